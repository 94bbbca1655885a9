//! Virtual machines and container groups: create, update, delete, power actions, and what
//! each does to their identities (R1, R2, R3, R5, R6, R7, R16, R17).
use super::resource_groups::{require_group, require_scope};
use super::{Caller, OpError, Written};
use crate::domain::compute::{
    check_start, complete_vm_properties, drop_write_only, etag, ComputeKind, PowerAction,
    PowerState, Precondition,
};
use crate::domain::faults::FaultKind;
use crate::domain::identity::{
    parse_user_assigned_id, plan_identity, system_assigned_principal, IdentityChange,
    IdentityRequest, IdentityType, IdentityViolation, ResourceIdentity, UserAssignedRef, Write,
    MAX_ASSIGNED_PER_VM, MAX_ASSIGNED_WITH_EXTENSION,
};
use crate::domain::resource_id::ResourceId;
use crate::domain::rules::{check_container_group, RuleSwitches};
use crate::domain::{ResourceGroupName, ResourceName, SubscriptionId, Tags, TenantId};
use crate::state::AppState;
use crate::store;
use crate::store::compute::{ComputeRow, ResourceKey};
use serde_json::{json, Map, Value};
use sqlx::types::Json;
use sqlx::SqliteConnection;
use std::sync::Arc;
use uuid::Uuid;

/// Where a VM or container group lives.
#[derive(Debug, Clone)]
pub struct ComputeRef {
    pub subscription: SubscriptionId,
    pub group: ResourceGroupName,
    pub kind: ComputeKind,
    pub name: ResourceName,
}

impl ComputeRef {
    fn sub(&self) -> String {
        self.subscription.to_string()
    }

    fn key(&self) -> ResourceKey {
        ResourceKey {
            subscription: self.sub(),
            group_key: self.group.key(),
            resource_type: self.kind.resource_type(),
            name_key: self.name.key(),
        }
    }

    fn not_found(&self) -> OpError {
        OpError::ResourceNotFound {
            resource_type: self.kind.resource_type(),
            name: self.name.to_string(),
            group: self.group.to_string(),
        }
    }
}

/// What a PUT or PATCH asks for. On PUT `location` is required and `properties` replace the
/// stored ones; on PATCH `properties` are merged into them (JSON merge patch).
#[derive(Debug, Clone)]
pub struct ComputeSpec {
    pub location: Option<&'static str>,
    pub tags: Option<Tags>,
    pub properties: Option<Map<String, Value>>,
    pub extra: Map<String, Value>,
    /// `None`: the request does not mention `identity`, which stays as it is.
    pub identity: Option<IdentityRequest>,
    /// The request's api-version (R16 gates container-group identities on it).
    pub api_version: &'static str,
    /// `If-Match` / `If-None-Match` of the request.
    pub precondition: Precondition,
}

/// PUT: creates the resource or replaces it; the identity follows the rules of
/// `domain::identity::plan_identity`.
#[tracing::instrument(skip_all, fields(resource = %r.name))]
pub async fn create_or_update(
    state: &Arc<AppState>,
    r: &ComputeRef,
    spec: ComputeSpec,
    caller: &Caller,
) -> Result<Outcome, OpError> {
    write(state, r, spec, Write::Put, caller).await
}

/// What a write did: the resource now, whether it is new, and (VMs, whose writes are
/// long-running in Compute) the operation the client's poller follows.
#[derive(Debug)]
pub struct Outcome {
    pub row: ComputeRow,
    pub written: Written,
    pub operation: Option<String>,
}

/// PATCH: merges properties, replaces tags when given, and merges the identity.
#[tracing::instrument(skip_all, fields(resource = %r.name))]
pub async fn update(
    state: &Arc<AppState>,
    r: &ComputeRef,
    spec: ComputeSpec,
    caller: &Caller,
) -> Result<Outcome, OpError> {
    write(state, r, spec, Write::Patch, caller).await
}

/// The one write path of PUT and PATCH, in one transaction.
async fn write(
    state: &Arc<AppState>,
    r: &ComputeRef,
    spec: ComputeSpec,
    mode: Write,
    caller: &Caller,
) -> Result<Outcome, OpError> {
    let (state, r, caller) = (state.clone(), r.clone(), caller.clone());
    state
        .clone()
        .store
        .write(move |tx| {
            Box::pin(async move { write_in(&state, tx, &r, spec, mode, &caller).await })
        })
        .await
}

async fn write_in(
    state: &AppState,
    tx: &mut SqliteConnection,
    r: &ComputeRef,
    spec: ComputeSpec,
    mode: Write,
    caller: &Caller,
) -> Result<Outcome, OpError> {
    let scope = store::compute::put_scope(&mut *tx, &r.key())
        .await?
        .ok_or_else(|| OpError::SubscriptionNotFound(r.sub()))?;
    let group = scope
        .group_name
        .ok_or_else(|| OpError::ResourceGroupNotFound(r.group.to_string()))?;
    let now = state.clock.now_text();
    let current = scope.resource.as_ref().map(|r| etag(r.version));
    if !spec.precondition.allows(current.as_deref()) {
        return Err(OpError::PreconditionFailed);
    }
    let (mut row, written) = match (scope.resource, mode) {
        (Some(existing), _) => (existing, Written::Updated),
        (None, Write::Patch) => return Err(r.not_found()),
        (None, Write::Put) => (
            new_row(
                r,
                &group,
                &spec,
                caller,
                &now,
                (state.idgen.uuid(), state.idgen.uuid()),
            ),
            Written::Created,
        ),
    };
    let resource_id = r.kind.resource_id(r.subscription, &group, r.name.as_str());
    if mode == Write::Put {
        let location = spec.location.unwrap_or_default();
        if row.location != location {
            return Err(OpError::ResourceLocationConflict {
                name: r.name.to_string(),
                group: r.group.to_string(),
                existing: row.location,
                requested: location.to_string(),
            });
        }
    }
    if let Some(tags) = spec.tags {
        row.tags = Json(tags.as_map().clone());
    }
    let properties = spec.properties.map(|mut p| {
        drop_write_only(r.kind, &mut p);
        p
    });
    match (properties, mode) {
        (Some(p), Write::Put) => row.properties = Json(p),
        (Some(p), Write::Patch) => merge_patch(&mut row.properties.0, p),
        (None, _) => {}
    }
    if mode == Write::Put {
        row.extra = Json(spec.extra);
    }
    if r.kind == ComputeKind::VirtualMachine {
        let group_id = ResourceId::group_scope(r.subscription, &group);
        complete_vm_properties(
            &mut row.properties.0,
            r.name.as_str(),
            &group_id.to_string(),
            || state.idgen.uuid().simple().to_string(),
        );
    }
    let before = identity_of(&row);
    if let Some(request) = &spec.identity {
        // R7: a VM with the legacy managed-identity extension holds at most 32 (R18).
        let with_extension = r.kind == ComputeKind::VirtualMachine
            && written == Written::Updated
            && store::extensions::has_managed_identity_extension(
                &mut *tx,
                (r.subscription, &r.group.key(), &r.name.key()),
            )
            .await?;
        let limit = if with_extension {
            MAX_ASSIGNED_WITH_EXTENSION
        } else {
            MAX_ASSIGNED_PER_VM
        };
        let change = plan_identity(&before, request, mode, limit).map_err(|v| match v {
            IdentityViolation::TooManyInRequest(_)
            | IdentityViolation::TooManyOnResource { .. } => {
                OpError::failed_identity_operation(&resource_id, &v.to_string())
            }
            other => OpError::Identity(other),
        })?;
        check_linked(caller, &resource_id, &change.assign)?;
        let assigned = resolve(&mut *tx, &resource_id, &change).await?;
        apply_identity(
            state,
            &mut *tx,
            &mut row,
            change,
            assigned,
            &scope.subscription_tenant,
        )
        .await?;
    }
    if r.kind == ComputeKind::ContainerGroup {
        check_r16(&mut *tx, &row, &spec.identity, spec.api_version).await?;
        // R16: enabling or changing the identity of an existing group restarts it.
        if written == Written::Updated && identity_of(&row) != before {
            restart_container_group(&mut row, &now, "its managed identity changed (R16)");
        }
    }
    let operation = match r.kind {
        ComputeKind::VirtualMachine => Some(
            record_operation(
                state,
                &mut *tx,
                r,
                if mode == Write::Put {
                    "write"
                } else {
                    "update"
                },
                &now,
                Default::default(),
            )
            .await?,
        ),
        ComputeKind::ContainerGroup => None,
    };
    row.modified_at = now;
    row.modified_by = caller.name.clone();
    row.modified_by_type = caller.kind.to_string();
    // R14: every write records the identity reference at the resource's id now, which is what
    // repairs a VM moved while running.
    row.identity_written_at = ResourceId::parse(&resource_id)
        .map(|id| id.key())
        .unwrap_or_default();
    row.last_error = None;
    if written == Written::Updated {
        row.version += 1;
    }
    store::compute::upsert(&mut *tx, &row).await?;
    Ok(Outcome {
        row,
        written,
        operation,
    })
}

/// R13: in the enforce mode, assigning a user-assigned identity also needs
/// `Microsoft.ManagedIdentity/userAssignedIdentities/assign/action` over that identity.
fn check_linked(caller: &Caller, resource_id: &str, assign: &[String]) -> Result<(), OpError> {
    const ASSIGN: &str = "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action";
    let Some(grants) = &caller.grants else {
        return Ok(());
    };
    let refused: Vec<&str> = assign
        .iter()
        .filter(|id| !grants.allows(ASSIGN, &id.to_lowercase()))
        .map(String::as_str)
        .collect();
    if refused.is_empty() {
        return Ok(());
    }
    let ty = ResourceId::parse(resource_id)
        .ok()
        .and_then(|id| id.resource_type())
        .unwrap_or_default();
    Err(OpError::LinkedAuthorizationFailed {
        client: grants.principal.app_id.clone(),
        object_id: grants.principal.object_id.clone(),
        action: format!("{ty}/write"),
        scope: resource_id.to_string(),
        linked: refused.join(","),
    })
}

/// Records an operation of this resource's provider for the client's poller to follow.
pub(crate) async fn record_operation(
    state: &AppState,
    conn: &mut SqliteConnection,
    r: &ComputeRef,
    what: &str,
    now: &str,
    ending: store::operations::Ending,
) -> Result<String, OpError> {
    let operation = state.idgen.uuid().hyphenated().to_string();
    let kind = format!("{}/{what}", r.kind.namespace());
    store::operations::insert(conn, &operation, &r.sub(), &kind, now, ending).await?;
    Ok(operation)
}

fn new_row(
    r: &ComputeRef,
    group: &str,
    spec: &ComputeSpec,
    caller: &Caller,
    now: &str,
    (instance_id, identity_header): (Uuid, Uuid),
) -> ComputeRow {
    ComputeRow {
        subscription_id: r.subscription,
        resource_group: group.to_string(),
        resource_type: r.kind.resource_type().to_string(),
        name: r.name.to_string(),
        location: spec.location.unwrap_or_default().to_string(),
        tags: Json(Default::default()),
        instance_id: instance_id.hyphenated().to_string(),
        properties: Json(Map::new()),
        extra: Json(Map::new()),
        power_state: r.kind.initial_power_state().to_string(),
        restart_count: 0,
        events: Json(Vec::new()),
        identity_type: IdentityType::None.as_str().to_string(),
        system_principal_id: None,
        system_client_id: None,
        system_tenant_id: None,
        user_assigned: Json(Vec::new()),
        identity_header: identity_header.simple().to_string(),
        created_at: now.to_string(),
        created_by: caller.name.clone(),
        created_by_type: caller.kind.to_string(),
        modified_at: now.to_string(),
        modified_by: caller.name.clone(),
        modified_by_type: caller.kind.to_string(),
        version: 1,
        identity_written_at: String::new(),
        boots: 1,
        last_error: None,
    }
}

/// RFC 7386: objects merge key by key, `null` removes, anything else replaces.
fn merge_patch(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (k, v) in patch {
        match (target.get_mut(&k), v) {
            (_, Value::Null) => {
                target.remove(&k);
            }
            (Some(Value::Object(t)), Value::Object(p)) => merge_patch(t, p),
            (_, v) => {
                target.insert(k, v);
            }
        }
    }
}

/// The identity facts of a stored resource.
pub fn identity_of(row: &ComputeRow) -> ResourceIdentity {
    let system = match (&row.system_principal_id, &row.system_tenant_id) {
        (Some(p), Some(t)) => Uuid::parse_str(p).ok().zip(TenantId::parse(t).ok()),
        _ => None,
    };
    ResourceIdentity {
        kind: IdentityType::parse(&row.identity_type).unwrap_or(IdentityType::None),
        system,
        user_assigned: row.user_assigned.0.clone(),
    }
}

/// Every id the request assigns must name an existing user-assigned identity; one statement
/// looks them all up. A missing one fails the request as Azure fails it.
async fn resolve(
    conn: &mut SqliteConnection,
    resource_id: &str,
    change: &IdentityChange,
) -> Result<Vec<UserAssignedRef>, OpError> {
    let places: Vec<(String, String, String)> = change
        .assign
        .iter()
        .filter_map(|id| parse_user_assigned_id(id))
        .map(|(s, g, n)| (s.to_string(), g, n))
        .collect();
    let found = store::compute::resolve_user_assigned(conn, &places).await?;
    change
        .assign
        .iter()
        .zip(found)
        .map(|(id, hit)| match hit {
            Some((principal_id, client_id)) => Ok(UserAssignedRef {
                id: id.clone(),
                principal_id,
                client_id,
            }),
            None => Err(OpError::failed_identity_operation(
                resource_id,
                &format!("Resource '{id}' was not found."),
            )),
        })
        .collect()
}

/// Writes an identity change: R1 creates the system principal in the tenant the subscription
/// trusts now, R3 deletes it; user-assigned references are kept and added in order.
async fn apply_identity(
    state: &AppState,
    conn: &mut SqliteConnection,
    row: &mut ComputeRow,
    change: IdentityChange,
    assigned: Vec<UserAssignedRef>,
    subscription_tenant: &str,
) -> Result<(), OpError> {
    if let Some(old) = change.delete_system {
        store::principals::delete(conn, &old.hyphenated().to_string()).await?;
    }
    let mut system = change.system;
    let mut client = row.system_client_id.clone().filter(|_| system.is_some());
    if change.create_system {
        let tenant = TenantId::parse(subscription_tenant)
            .map_err(|e| OpError::Inconsistent(format!("the subscription's tenant: {e}")))?;
        let principal =
            system_assigned_principal(tenant, &row.name, state.idgen.uuid(), state.idgen.uuid());
        store::principals::insert(conn, &principal, &state.clock.now_text()).await?;
        system = Some((principal.object_id, tenant));
        client = Some(principal.app_id.hyphenated().to_string());
    }
    row.identity_type = change.kind.as_str().to_string();
    row.system_principal_id = system.map(|(p, _)| p.hyphenated().to_string());
    row.system_tenant_id = system.map(|(_, t)| t.to_string());
    row.system_client_id = client;
    let mut refs = change.kept;
    refs.extend(assigned);
    row.user_assigned = Json(refs);
    Ok(())
}

/// R16 for container groups, with the user's rule switches.
async fn check_r16(
    conn: &mut SqliteConnection,
    row: &ComputeRow,
    request: &Option<IdentityRequest>,
    api_version: &str,
) -> Result<(), OpError> {
    let has_identity = row.identity_type != IdentityType::None.as_str();
    if !has_identity {
        return Ok(());
    }
    let switches = rule_switches(conn).await?;
    let sent_with = request.as_ref().map(|_| api_version);
    check_container_group(&row.properties.0, has_identity, sent_with, switches)
        .map_err(OpError::Rule)
}

/// The rule switches in force.
pub(crate) async fn rule_switches(conn: &mut SqliteConnection) -> Result<RuleSwitches, OpError> {
    let overrides = store::rules::list(conn).await?;
    Ok(RuleSwitches::from_overrides(
        overrides.iter().map(|(id, on)| (id.as_str(), *on)),
    ))
}

/// A container group restart: every container's restart count goes up and the group records
/// why, as its instance view shows.
fn restart_container_group(row: &mut ComputeRow, now: &str, why: &str) {
    row.restart_count += 1;
    row.power_state = "Running".into();
    row.events.0.push(json!({
        "count": 1,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "name": "Restarted",
        "message": format!("Container group restarted because {why}."),
        "type": "Normal",
    }));
}

pub(crate) async fn require(
    conn: &mut SqliteConnection,
    r: &ComputeRef,
) -> Result<ComputeRow, OpError> {
    match store::compute::get(conn, &r.key()).await? {
        Some(row) => Ok(row),
        None => {
            require_group(conn, r.subscription, &r.group).await?;
            Err(r.not_found())
        }
    }
}

pub async fn get(state: &AppState, r: &ComputeRef) -> Result<ComputeRow, OpError> {
    require(&mut *state.store.read().await?, r).await
}

/// DELETE: R2, R17, the system-assigned principal goes with the resource. User-assigned
/// identities it used are left alone (R5). `None` when there was no such resource.
#[tracing::instrument(skip_all, fields(resource = %r.name))]
pub async fn delete(
    state: &Arc<AppState>,
    r: &ComputeRef,
    precondition: Precondition,
) -> Result<Option<(ComputeRow, String)>, OpError> {
    let (writer, r) = (state.clone(), r.clone());
    let done = state
        .store
        .write(move |tx| Box::pin(async move { delete_in(&writer, tx, &r, precondition).await }))
        .await;
    // The resource's role assignments went with it.
    state.grants.invalidate();
    done
}

async fn delete_in(
    state: &AppState,
    tx: &mut SqliteConnection,
    r: &ComputeRef,
    precondition: Precondition,
) -> Result<Option<(ComputeRow, String)>, OpError> {
    let deleted = store::compute::delete(&mut *tx, &r.key()).await?;
    // Judged on the row the delete removed: a refusal rolls the delete back (one operation,
    // one transaction), so the row is read once.
    if !precondition.allows(deleted.as_ref().map(|row| etag(row.version)).as_deref()) {
        return Err(OpError::PreconditionFailed);
    }
    let Some(row) = deleted else {
        require_group(&mut *tx, r.subscription, &r.group).await?;
        return Ok(None);
    };
    if let Some(p) = &row.system_principal_id {
        store::principals::delete(&mut *tx, p).await?;
    }
    // Role assignments on the resource (and below it) go with it.
    let id = ResourceId::resource(
        r.subscription,
        &row.resource_group,
        r.kind.resource_type(),
        &row.name,
    );
    store::roles::delete_within(&mut *tx, &r.sub(), &id.key()).await?;
    let operation = record_operation(
        state,
        &mut *tx,
        r,
        "delete",
        &state.clock.now_text(),
        Default::default(),
    )
    .await?;
    Ok(Some((row, operation)))
}

/// One page of a type's resources in a group or a subscription, after (group key, name key).
pub async fn list(
    state: &AppState,
    sub: SubscriptionId,
    group: Option<&ResourceGroupName>,
    kind: ComputeKind,
    after: (&str, &str),
    page: usize,
) -> Result<(Vec<ComputeRow>, bool), OpError> {
    let mut conn = state.store.read().await?;
    require_scope(&mut conn, sub, group).await?;
    let group_key = group.map(ResourceGroupName::key);
    let rows = store::compute::list_page(
        &mut conn,
        &sub.to_string(),
        group_key.as_deref(),
        kind.resource_type(),
        after,
        page as i64 + 1,
    )
    .await?;
    Ok(super::into_page(rows, page))
}

/// What a power action did.
#[derive(Debug)]
pub enum PowerOutcome {
    /// The action ran; its poller follows this operation.
    Started {
        operation: String,
        row: Box<ComputeRow>,
    },
    /// Nothing to do (a container group that is already running).
    AlreadyDone,
}

/// Azure's answer when no host can take a starting VM (a `vmStartFailure` fault).
fn allocation_failed(location: &str, fault: &str) -> Value {
    json!({
        "code": "AllocationFailed",
        "message": format!("Allocation failed. We do not have sufficient capacity for the requested VM size in this region ({location}). Read more about improving likelihood of allocation success at http://aka.ms/allocation-guidance (mi-sim: fault {fault})"),
    })
}

/// A power action on a VM or container group. It takes effect at once; VM actions and a
/// container group's start record an operation for the client's poller.
#[tracing::instrument(skip_all, fields(resource = %r.name, action = action.as_str()))]
pub async fn power(
    state: &Arc<AppState>,
    r: &ComputeRef,
    action: PowerAction,
) -> Result<PowerOutcome, OpError> {
    let (state, r) = (state.clone(), r.clone());
    state
        .clone()
        .store
        .write(move |tx| Box::pin(async move { power_in(&state, tx, &r, action).await }))
        .await
}

async fn power_in(
    state: &AppState,
    tx: &mut SqliteConnection,
    r: &ComputeRef,
    action: PowerAction,
) -> Result<PowerOutcome, OpError> {
    let mut row = require(&mut *tx, r).await?;
    let now = state.clock.now_text();
    let mut ending = store::operations::Ending::default();
    match r.kind {
        ComputeKind::VirtualMachine => {
            let here = ResourceId::resource(
                r.subscription,
                &row.resource_group,
                r.kind.resource_type(),
                &row.name,
            );
            let stopped = PowerState::parse(&row.power_state) != PowerState::Running;
            let starting = action == PowerAction::Start && stopped;
            let refused = starting
                .then(|| check_start(&row.identity_type, &row.identity_written_at, &here))
                .and_then(Result::err)
                .map(|stale| {
                    tracing::info!(rule = "R14", written_at = %stale.written_at, "start refused");
                    stale.arm_error()
                });
            let refused = match refused {
                Some(e) => Some(e),
                None if starting => super::faults::fire_in(
                    &mut *tx,
                    state.faults.armed(FaultKind::VmStartFailure),
                    FaultKind::VmStartFailure,
                    &here.key(),
                )
                .await?
                .map(|f| allocation_failed(&row.location, &f.id)),
                None => None,
            };
            match refused {
                Some(error) => {
                    row.last_error = Some(Json(error.clone()));
                    ending.error = Some(error);
                }
                None => {
                    if action == PowerAction::Start && stopped {
                        row.boots += 1;
                    }
                    row.power_state = action.vm_outcome().as_str().to_string();
                    row.last_error = None;
                }
            }
        }
        ComputeKind::ContainerGroup => {
            let target = action.container_group_outcome();
            if action == PowerAction::Start && row.power_state == target {
                return Ok(PowerOutcome::AlreadyDone);
            }
            if action == PowerAction::Restart {
                restart_container_group(&mut row, &now, "a restart was requested");
            }
            row.power_state = target.to_string();
        }
    }
    if action == PowerAction::Restart {
        row.boots += 1;
    }
    store::compute::upsert(&mut *tx, &row).await?;
    let operation = record_operation(state, &mut *tx, r, action.as_str(), &now, ending).await?;
    Ok(PowerOutcome::Started {
        operation,
        row: Box::new(row),
    })
}
