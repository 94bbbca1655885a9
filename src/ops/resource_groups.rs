//! Resource groups: create, read, update, delete (with everything in it), list, and the
//! long-running delete's operation.
use super::{OpError, Written};
use crate::domain::{ResourceGroupName, SubscriptionId, Tags};
use crate::state::AppState;
use crate::store::{self, resource_groups::GroupRow};
use sqlx::types::Json;
use sqlx::SqliteConnection;

/// Fails with `SubscriptionNotFound` unless the subscription exists.
pub(crate) async fn require_subscription(
    conn: &mut SqliteConnection,
    sub: SubscriptionId,
) -> Result<store::subscriptions::SubscriptionRow, OpError> {
    store::subscriptions::get(conn, &sub.to_string())
        .await?
        .ok_or_else(|| OpError::SubscriptionNotFound(sub.to_string()))
}

/// Fails with `SubscriptionNotFound` or `ResourceGroupNotFound` unless the group exists.
pub(crate) async fn require_group(
    conn: &mut SqliteConnection,
    sub: SubscriptionId,
    group: &ResourceGroupName,
) -> Result<GroupRow, OpError> {
    match store::resource_groups::get(conn, &sub.to_string(), &group.key()).await? {
        Some(g) => Ok(g),
        None => {
            require_subscription(conn, sub).await?;
            Err(OpError::ResourceGroupNotFound(group.to_string()))
        }
    }
}

/// Fails unless the scope of a list exists: the group when one is named, else the subscription.
pub(crate) async fn require_scope(
    conn: &mut SqliteConnection,
    sub: SubscriptionId,
    group: Option<&ResourceGroupName>,
) -> Result<(), OpError> {
    match group {
        Some(g) => require_group(conn, sub, g).await.map(drop),
        None => require_subscription(conn, sub).await.map(drop),
    }
}

/// What a PUT or PATCH of a group asks for.
#[derive(Debug, Clone)]
pub struct GroupSpec {
    /// Canonical location name; required on PUT, optional on PATCH.
    pub location: Option<&'static str>,
    pub tags: Option<Tags>,
    pub managed_by: Option<String>,
}

/// PUT: creates the group, or replaces its tags and managedBy. The location cannot change.
#[tracing::instrument(skip_all, fields(subscription = %sub, group = %name))]
pub async fn create_or_update(
    state: &AppState,
    sub: SubscriptionId,
    name: &ResourceGroupName,
    spec: GroupSpec,
) -> Result<(GroupRow, Written), OpError> {
    let (name, now) = (name.clone(), state.clock.now_text());
    state
        .store
        .write(move |tx| {
            Box::pin(async move { create_or_update_in(tx, sub, &name, spec, &now).await })
        })
        .await
}

async fn create_or_update_in(
    tx: &mut SqliteConnection,
    sub: SubscriptionId,
    name: &ResourceGroupName,
    spec: GroupSpec,
    now: &str,
) -> Result<(GroupRow, Written), OpError> {
    let location = spec.location.unwrap_or_default().to_string();
    let tags = Json(spec.tags.map(|t| t.as_map().clone()).unwrap_or_default());
    require_subscription(&mut *tx, sub).await?;
    let result = match store::resource_groups::get(&mut *tx, &sub.to_string(), &name.key()).await? {
        Some(existing) => {
            if existing.location != location {
                return Err(OpError::GroupLocationConflict {
                    requested: location,
                    existing: existing.location,
                });
            }
            let group = GroupRow {
                tags,
                managed_by: spec.managed_by,
                ..existing
            };
            store::resource_groups::update(&mut *tx, &group).await?;
            (group, Written::Updated)
        }
        None => {
            let group = GroupRow {
                subscription_id: sub.to_string(),
                name: name.to_string(),
                location,
                managed_by: spec.managed_by,
                tags,
            };
            store::resource_groups::insert(&mut *tx, &group, now).await?;
            (group, Written::Created)
        }
    };
    Ok(result)
}

/// PATCH: changes only what is given. A location, if given, must be the group's own.
#[tracing::instrument(skip_all, fields(subscription = %sub, group = %name))]
pub async fn update(
    state: &AppState,
    sub: SubscriptionId,
    name: &ResourceGroupName,
    spec: GroupSpec,
) -> Result<GroupRow, OpError> {
    let name = name.clone();
    state
        .store
        .write(move |tx| Box::pin(async move { update_in(tx, sub, &name, spec).await }))
        .await
}

async fn update_in(
    tx: &mut SqliteConnection,
    sub: SubscriptionId,
    name: &ResourceGroupName,
    spec: GroupSpec,
) -> Result<GroupRow, OpError> {
    let mut group = require_group(&mut *tx, sub, name).await?;
    if let Some(location) = spec.location.filter(|l| *l != group.location) {
        return Err(OpError::GroupLocationConflict {
            requested: location.to_string(),
            existing: group.location,
        });
    }
    if let Some(tags) = spec.tags {
        group.tags = Json(tags.as_map().clone());
    }
    if spec.managed_by.is_some() {
        group.managed_by = spec.managed_by;
    }
    store::resource_groups::update(&mut *tx, &group).await?;
    Ok(group)
}

pub async fn get(
    state: &AppState,
    sub: SubscriptionId,
    name: &ResourceGroupName,
) -> Result<GroupRow, OpError> {
    require_group(&mut *state.store.read().await?, sub, name).await
}

/// True when the group exists (HEAD); a missing subscription is still an error.
pub async fn exists(
    state: &AppState,
    sub: SubscriptionId,
    name: &ResourceGroupName,
) -> Result<bool, OpError> {
    match get(state, sub, name).await {
        Ok(_) => Ok(true),
        Err(OpError::ResourceGroupNotFound(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// One page of groups after the name key `after`, plus whether more follow.
pub async fn list(
    state: &AppState,
    sub: SubscriptionId,
    after: &str,
    page: usize,
) -> Result<(Vec<GroupRow>, bool), OpError> {
    let mut conn = state.store.read().await?;
    require_subscription(&mut conn, sub).await?;
    let rows =
        store::resource_groups::list_page(&mut conn, &sub.to_string(), after, page as i64 + 1)
            .await?;
    Ok(super::into_page(rows, page))
}

/// Deletes the group and everything in it in one transaction, each resource with its
/// cleanup rules, and records the operation its poller will ask about. Returns the operation id.
#[tracing::instrument(skip_all, fields(subscription = %sub, group = %name))]
pub async fn delete(
    state: &AppState,
    sub: SubscriptionId,
    name: &ResourceGroupName,
) -> Result<String, OpError> {
    let (name, now) = (name.clone(), state.clock.now_text());
    let op = state.idgen.arm_operation();
    let done = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                require_group(&mut *tx, sub, &name).await?;
                let s = sub.to_string();
                store::resource_groups::delete_cascade(&mut *tx, sub, &name.key()).await?;
                store::operations::insert(
                    &mut *tx,
                    &op,
                    &s,
                    "ResourceGroupDeletion",
                    &now,
                    Default::default(),
                )
                .await?;
                Ok::<_, OpError>(op)
            })
        })
        .await;
    // The group's role assignments went with it.
    state.grants.invalidate();
    done
}

/// What a poll of an operation learns.
#[derive(Debug, Clone, PartialEq)]
pub enum Poll {
    Running,
    Succeeded,
    /// Done, with ARM's error object.
    Failed(serde_json::Value),
}

/// A poll of an operation, ARM's (`/subscriptions/{s}/operationresults/{id}`) or a
/// provider's: the operation's kind, its state, when it started and when it ended.
#[derive(Debug, Clone)]
pub struct Polled {
    pub kind: String,
    pub poll: Poll,
    /// The operation's answer, once done (a template export).
    pub result: Option<serde_json::Value>,
    pub started: String,
    pub ended: Option<String>,
}

/// Records a poll. The first reports the operation running, later ones its result (once a
/// move's time is up), so clients walk ARM's 202-then-result path.
pub async fn poll_operation(
    state: &AppState,
    sub: SubscriptionId,
    id: &str,
) -> Result<Polled, OpError> {
    let (s, op, now) = (sub.to_string(), id.to_string(), state.clock.now_text());
    let polled = state
        .store
        .write(move |tx| {
            Box::pin(async move { store::operations::record_poll(tx, &s, &op, &now).await })
        })
        .await?
        .ok_or_else(|| OpError::OperationNotFound(id.to_string()))?;
    let poll = match (&polled.ended_at, polled.error) {
        (None, _) => Poll::Running,
        (Some(_), Some(Json(error))) => Poll::Failed(error),
        (Some(_), None) => Poll::Succeeded,
    };
    Ok(Polled {
        kind: polled.kind,
        result: polled
            .result
            .map(|r| r.0)
            .filter(|_| poll == Poll::Succeeded),
        poll,
        started: polled.created_at,
        ended: polled.ended_at,
    })
}
