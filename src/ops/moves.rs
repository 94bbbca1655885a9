//! Resource moves between groups and subscriptions of one tenant (R14, R15). A move changes
//! where resources are and nothing else: a VM's identity reference keeps the id it was written
//! at (R14), references other resources hold to a moved identity keep its old id (R15), and a
//! system-assigned identity keeps its principal. The move is committed when it is accepted;
//! its groups stay locked, and its operation running, for the configured time.
use super::resource_groups::require_group;
use super::OpError;
use crate::domain::moves::{plan_move, MovePlan};
use crate::domain::names::name_key;
use crate::domain::resource_id::ResourceId;
use crate::domain::{ResourceGroupName, SubscriptionId};
use crate::locks::GroupLock;
use crate::state::AppState;
use crate::store::{self, kinds::KINDS};
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;
use std::sync::atomic::Ordering;

/// The longest a move may be set to take (a day of the simulator's clock).
pub const MAX_MOVE_SECONDS: i64 = 86_400;
const MOVE_SECONDS: &str = "moveSeconds";

/// `validateMoveResources` checks and records an operation; `moveResources` also moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveMode {
    Validate,
    Move,
}

impl MoveMode {
    /// The operation's kind, as recorded.
    pub fn kind(self) -> &'static str {
        match self {
            Self::Validate => "ResourceMoveValidation",
            Self::Move => "ResourceMove",
        }
    }
}

/// Checks a move out of `source` and, for `MoveMode::Move`, carries it out, all in one
/// transaction; returns the id of the operation the client polls.
#[tracing::instrument(skip_all, fields(subscription = %sub, group = %group, mode = ?mode))]
pub async fn start(
    state: &std::sync::Arc<AppState>,
    (sub, group): (SubscriptionId, &ResourceGroupName),
    resources: Vec<String>,
    target: String,
    mode: MoveMode,
) -> Result<String, OpError> {
    let source = ResourceId::group_scope(sub, group.as_str());
    let plan = plan_move(&source, &resources, &target)?;
    let now = state.clock.now();
    for (s, g) in [
        (sub, group.key()),
        (plan.target_subscription, name_key(&plan.target_group)),
    ] {
        refuse_if_locked(state, s, &g, now)?;
    }
    let seconds = state.move_seconds.load(Ordering::Relaxed);
    let until = now + chrono::Duration::seconds(seconds);
    let op = state.idgen.arm_operation();
    let group = group.clone();
    let locks = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let ctx = MoveContext {
                    sub,
                    group: &group,
                    op: &op,
                    now: &crate::clock::arm_time(now),
                    until: &crate::clock::arm_time(until),
                };
                let locks = move_in(tx, &ctx, &plan, mode).await?;
                Ok::<_, OpError>((op, locks))
            })
        })
        .await?;
    let (op, locks) = locks;
    // Tokens name the resource's id (`xms_mirid`): those handed out before the move are stale.
    if mode == MoveMode::Move {
        state.token_cache.clear();
    }
    state.locks.add(locks.into_iter().map(|(s, g)| GroupLock {
        subscription: s,
        group_key: g,
        operation: op.clone(),
        until,
    }));
    Ok(op)
}

/// What a move's transaction needs besides the plan.
struct MoveContext<'a> {
    sub: SubscriptionId,
    group: &'a ResourceGroupName,
    op: &'a str,
    now: &'a str,
    until: &'a str,
}

/// The checks that need the state, then the move; returns the groups it locked.
async fn move_in(
    tx: &mut SqliteConnection,
    ctx: &MoveContext<'_>,
    plan: &MovePlan,
    mode: MoveMode,
) -> Result<Vec<(String, String)>, OpError> {
    let source_sub = require_group(&mut *tx, ctx.sub, ctx.group).await?;
    let (s, g) = (ctx.sub.to_string(), ctx.group.key());
    let target_text = ResourceId::group_scope(plan.target_subscription, &plan.target_group);
    let (ts, tg) = (
        plan.target_subscription.to_string(),
        name_key(&plan.target_group),
    );
    let missing = || OpError::MoveTargetNotFound(target_text.to_string());
    let source_tenant = store::subscriptions::get(&mut *tx, &s)
        .await?
        .map(|row| row.tenant_id)
        .unwrap_or_default();
    let target_tenant = store::subscriptions::get(&mut *tx, &ts)
        .await?
        .ok_or_else(missing)?
        .tenant_id;
    if !source_tenant.eq_ignore_ascii_case(&target_tenant) {
        return Err(OpError::MoveAcrossTenants {
            from: ResourceId::group_scope(ctx.sub, &source_sub.name).to_string(),
            tenant: source_tenant,
            target: ts,
        });
    }
    let target_group = store::resource_groups::get(&mut *tx, &ts, &tg)
        .await?
        .ok_or_else(missing)?;
    let target_prefix = ResourceId::group_scope(plan.target_subscription, &target_group.name);
    // The ids by kind, in request order, as name keys.
    let mut by_kind: Vec<(usize, Vec<String>)> = Vec::new();
    for id in &plan.resources {
        let Some(k) = KINDS
            .iter()
            .position(|k| id.as_resource(k.resource_type).is_some())
        else {
            return Err(not_found(id, &source_sub.name));
        };
        let name = name_key(id.name().unwrap_or_default());
        match by_kind.iter_mut().find(|(i, _)| *i == k) {
            Some((_, names)) => names.push(name),
            None => by_kind.push((k, vec![name])),
        }
    }
    let (from, to) = ((s.as_str(), g.as_str()), (ts.as_str(), tg.as_str()));
    let names = (source_sub.name.as_str(), target_group.name.as_str());
    let mut ending = store::operations::Ending::default();
    let mut locked = Vec::new();
    if mode == MoveMode::Move {
        // Optimistic: the move goes first, and its counts and the target's unique keys say
        // whether every resource was in the source and free at the target. Only when one was
        // not are the checks run, on the state as it was (the attempt is rolled back), for
        // the error they give. The common case so reads nothing twice.
        let moves: Vec<_> = by_kind
            .iter()
            .map(|(k, n)| (&KINDS[*k], n.as_slice()))
            .collect();
        if !store::moves::apply_all(&mut *tx, &moves, from, to).await? {
            check(&mut *tx, ctx, plan, &by_kind, (from, to), names).await?;
            return Err(OpError::Inconsistent(
                "the move did not take every resource, yet each is in its group".into(),
            ));
        }
        if ctx.until > ctx.now {
            for (ls, lg) in [(&s, &g), (&ts, &tg)] {
                store::moves::lock_group(&mut *tx, (ls, lg), ctx.op, ctx.until).await?;
                locked.push((ls.clone(), lg.clone()));
            }
            ending.done_at = Some(ctx.until.to_string());
        }
    } else {
        check(&mut *tx, ctx, plan, &by_kind, (from, to), names).await?;
    }
    store::operations::insert(&mut *tx, ctx.op, &s, mode.kind(), ctx.now, ending).await?;
    tracing::info!(
        resources = plan.resources.len(),
        target = %target_prefix,
        "move {}",
        if mode == MoveMode::Move { "done" } else { "valid" }
    );
    Ok(locked)
}

/// Refuses a move whose resources are not all in the source group, or one of which the
/// target group already holds: 404 `ResourceNotFound` or 409 `ResourceExists`, naming it.
async fn check(
    tx: &mut SqliteConnection,
    ctx: &MoveContext<'_>,
    plan: &MovePlan,
    by_kind: &[(usize, Vec<String>)],
    (from, to): (store::moves::GroupKey<'_>, store::moves::GroupKey<'_>),
    (source_name, target_name): (&str, &str),
) -> Result<(), OpError> {
    for (k, names) in by_kind {
        let kind = &KINDS[*k];
        let present: std::collections::HashSet<String> =
            store::moves::present(&mut *tx, kind, from, names)
                .await?
                .into_iter()
                .collect();
        if let Some(gone) = names.iter().find(|n| !present.contains(*n)) {
            let id = plan
                .resources
                .iter()
                .find(|id| {
                    id.as_resource(kind.resource_type)
                        .is_some_and(|(_, n)| &name_key(n) == gone)
                })
                .cloned()
                .unwrap_or_else(|| ResourceId::group_scope(ctx.sub, ctx.group.as_str()));
            return Err(not_found(&id, source_name));
        }
        let taken = store::moves::present(&mut *tx, kind, to, names).await?;
        if let Some(name) = taken.first() {
            let id = ResourceId::resource(
                plan.target_subscription,
                target_name,
                kind.resource_type,
                name,
            );
            return Err(OpError::MoveTargetTaken(id.to_string()));
        }
    }
    Ok(())
}

fn not_found(id: &ResourceId, group: &str) -> OpError {
    OpError::MoveResourceNotFound {
        id: id.to_string(),
        group: group.to_string(),
    }
}

/// Refuses a write or delete in a group a running move holds (ARM's lock during a move).
pub fn refuse_if_locked(
    state: &AppState,
    subscription: SubscriptionId,
    group_key: &str,
    now: DateTime<Utc>,
) -> Result<(), OpError> {
    match state.locks.held(&subscription.to_string(), group_key, now) {
        Some(lock) => Err(OpError::ScopeLocked {
            scope: ResourceId::group_scope(subscription, group_key).to_string(),
            operation: lock.operation,
            until: crate::clock::arm_time(lock.until),
        }),
        None => Ok(()),
    }
}

/// At start: the move time setting, and the locks of moves still running.
pub async fn load(state: &AppState) -> Result<(), sqlx::Error> {
    let mut conn = state.store.read().await?;
    let seconds = store::rules::setting(&mut conn, MOVE_SECONDS).await?;
    state
        .move_seconds
        .store(seconds.unwrap_or(0), Ordering::Relaxed);
    let now = state.clock.now_text();
    let held = store::moves::active_locks(&mut conn, &now).await?;
    state
        .locks
        .add(held.into_iter().filter_map(|(s, g, op, until)| {
            Some(GroupLock {
                subscription: s,
                group_key: g,
                operation: op,
                until: DateTime::parse_from_rfc3339(&until)
                    .ok()?
                    .with_timezone(&Utc),
            })
        }));
    Ok(())
}

/// Sets how long a move takes (0: done at once).
pub async fn set_move_seconds(state: &AppState, seconds: i64) -> Result<(), OpError> {
    state
        .store
        .write(move |tx| {
            Box::pin(async move { store::rules::set_setting(tx, MOVE_SECONDS, seconds).await })
        })
        .await?;
    state.move_seconds.store(seconds, Ordering::Relaxed);
    Ok(())
}
