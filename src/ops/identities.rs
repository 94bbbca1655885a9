//! User-assigned identities (R4, R5).
use super::resource_groups::{require_group, require_subscription};
use super::{Caller, OpError, Written};
use crate::domain::identity::{user_assigned_principal, NewPrincipal};
use crate::domain::{IdentityName, ResourceGroupName, SubscriptionId, Tags, TenantId};
use crate::state::AppState;
use crate::store::{self, identities::IdentityRow, writer::Statement};
use sqlx::types::Json;
use sqlx::SqliteConnection;
use std::sync::Arc;

/// Where an identity lives: subscription, group and name.
#[derive(Debug, Clone)]
pub struct IdentityRef {
    pub subscription: SubscriptionId,
    pub group: ResourceGroupName,
    pub name: IdentityName,
}

impl IdentityRef {
    fn sub(&self) -> String {
        self.subscription.to_string()
    }
}

/// What a PUT or PATCH of an identity asks for.
#[derive(Debug, Clone, Default)]
pub struct IdentitySpec {
    /// Canonical location name; required on PUT, ignored on PATCH.
    pub location: Option<&'static str>,
    pub tags: Option<Tags>,
    /// `None` or `Regional`.
    pub isolation_scope: Option<String>,
}

const TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

fn not_found(r: &IdentityRef) -> OpError {
    OpError::ResourceNotFound {
        resource_type: TYPE,
        name: r.name.to_string(),
        group: r.group.to_string(),
    }
}

/// Reads the identity; when it is missing, says whether the subscription, group or identity is.
async fn require(conn: &mut SqliteConnection, r: &IdentityRef) -> Result<IdentityRow, OpError> {
    match store::identities::get(conn, &r.sub(), &r.group.key(), &r.name.key()).await? {
        Some(row) => Ok(row),
        None => {
            require_group(conn, r.subscription, &r.group).await?;
            Err(not_found(r))
        }
    }
}

/// PUT: R4 on create (a principal in the tenant the subscription trusts now); on update, the
/// tags are replaced and the principal is untouched.
#[tracing::instrument(level = "debug", skip_all, fields(identity = %r.name))]
pub async fn create_or_update(
    state: &Arc<AppState>,
    r: &IdentityRef,
    spec: IdentitySpec,
    caller: &Caller,
) -> Result<(IdentityRow, Written), OpError> {
    let (mut row, statement) = fast_create(state, r, &spec, caller)?;
    let (state, r, caller) = (state.clone(), r.clone(), caller.clone());
    state
        .clone()
        .store
        .write_with(statement, move |tx, rows| {
            Box::pin(async move {
                if let Some((tenant, group)) = store::identities::created(&rows?)? {
                    row.tenant_id = tenant;
                    row.resource_group = group;
                    return Ok((row, Written::Created));
                }
                create_or_update_in(&state, tx, &r, spec, &caller).await
            })
        })
        .await
}

/// The common case, a new identity, as one statement batch (`store::identities::create_if_new`)
/// that reads R4's tenant itself, and the row it writes. When the identity exists or something
/// is missing it writes nothing: `create_or_update_in` then decides and answers.
fn fast_create(
    state: &AppState,
    r: &IdentityRef,
    spec: &IdentitySpec,
    caller: &Caller,
) -> Result<(IdentityRow, Statement), OpError> {
    // The batch reads the tenant (R4) and the group's display casing and hands them back;
    // until then the row and principal carry placeholders the batch ignores.
    let (row, principal) = new_identity(
        state,
        r,
        spec.clone(),
        caller,
        r.group.to_string(),
        uuid::Uuid::nil().to_string(),
    )?;
    let statement = store::identities::create_if_new(&row, &principal)?;
    Ok((row, statement))
}

/// R4: the identity row and its principal, in the tenant the subscription trusts now.
fn new_identity(
    state: &AppState,
    r: &IdentityRef,
    spec: IdentitySpec,
    caller: &Caller,
    group: String,
    subscription_tenant: String,
) -> Result<(IdentityRow, NewPrincipal), OpError> {
    let now = state.clock.now_text();
    let tenant = TenantId::parse(&subscription_tenant)
        .map_err(|e| OpError::Inconsistent(format!("the subscription's tenant: {e}")))?;
    let principal =
        user_assigned_principal(tenant, &r.name, state.idgen.uuid(), state.idgen.uuid());
    let row = IdentityRow {
        subscription_id: r.subscription,
        resource_group: group,
        name: r.name.to_string(),
        location: spec.location.unwrap_or_default().to_string(),
        tags: Json(spec.tags.map(|t| t.as_map().clone()).unwrap_or_default()),
        tenant_id: subscription_tenant,
        principal_id: principal.object_id.hyphenated().to_string(),
        client_id: principal.app_id.hyphenated().to_string(),
        isolation_scope: spec.isolation_scope.unwrap_or_else(|| "None".into()),
        created_at: now.clone(),
        created_by: caller.name.clone(),
        created_by_type: caller.kind.to_string(),
        modified_at: now,
        modified_by: caller.name.clone(),
        modified_by_type: caller.kind.to_string(),
    };
    Ok((row, principal))
}

/// The rest of a PUT: updates and errors.
async fn create_or_update_in(
    state: &AppState,
    tx: &mut SqliteConnection,
    r: &IdentityRef,
    spec: IdentitySpec,
    caller: &Caller,
) -> Result<(IdentityRow, Written), OpError> {
    let scope = store::identities::put_scope(tx, &r.sub(), &r.group.key(), &r.name.key())
        .await?
        .ok_or_else(|| OpError::SubscriptionNotFound(r.sub()))?;
    let group = scope
        .group_name
        .ok_or_else(|| OpError::ResourceGroupNotFound(r.group.to_string()))?;
    let result = match scope.resource {
        Some(existing) => {
            let location = spec.location.unwrap_or_default().to_string();
            if existing.location != location {
                return Err(OpError::ResourceLocationConflict {
                    name: r.name.to_string(),
                    group: r.group.to_string(),
                    existing: existing.location,
                    requested: location,
                });
            }
            let row = IdentityRow {
                tags: Json(spec.tags.map(|t| t.as_map().clone()).unwrap_or_default()),
                isolation_scope: spec
                    .isolation_scope
                    .unwrap_or(existing.isolation_scope.clone()),
                modified_at: state.clock.now_text(),
                modified_by: caller.name.clone(),
                modified_by_type: caller.kind.to_string(),
                ..existing
            };
            store::identities::update(tx, &row).await?;
            (row, Written::Updated)
        }
        None => {
            let (row, principal) =
                new_identity(state, r, spec, caller, group, scope.subscription_tenant)?;
            if !store::identities::insert_with_principal(tx, &row, &principal).await? {
                return Err(OpError::Inconsistent(
                    "the subscription changed inside a write transaction".into(),
                ));
            }
            (row, Written::Created)
        }
    };
    Ok(result)
}

/// PATCH: replaces the tags and the isolation scope when given; nothing else changes.
#[tracing::instrument(skip_all, fields(identity = %r.name))]
pub async fn update(
    state: &Arc<AppState>,
    r: &IdentityRef,
    spec: IdentitySpec,
    caller: &Caller,
) -> Result<IdentityRow, OpError> {
    let (r, caller, now) = (r.clone(), caller.clone(), state.clock.now_text());
    state
        .store
        .write(move |tx| Box::pin(async move { update_in(tx, &r, spec, &caller, now).await }))
        .await
}

async fn update_in(
    tx: &mut SqliteConnection,
    r: &IdentityRef,
    spec: IdentitySpec,
    caller: &Caller,
    now: String,
) -> Result<IdentityRow, OpError> {
    let mut row = require(tx, r).await?;
    if let Some(tags) = spec.tags {
        row.tags = Json(tags.as_map().clone());
    }
    if let Some(scope) = spec.isolation_scope {
        row.isolation_scope = scope;
    }
    row.modified_at = now;
    row.modified_by = caller.name.clone();
    row.modified_by_type = caller.kind.to_string();
    store::identities::update(tx, &row).await?;
    Ok(row)
}

pub async fn get(state: &AppState, r: &IdentityRef) -> Result<IdentityRow, OpError> {
    require(&mut *state.store.read().await?, r).await
}

/// DELETE: R5, the identity's service principal goes with it. References to the identity on
/// other resources are left in place. Returns false when there was no such identity.
#[tracing::instrument(skip_all, fields(identity = %r.name))]
pub async fn delete(state: &AppState, r: &IdentityRef) -> Result<bool, OpError> {
    let r = r.clone();
    let done = state
        .store
        .write(move |tx| Box::pin(async move { delete_in(tx, &r).await }))
        .await;
    // The identity's role assignments went with it.
    state.grants.invalidate();
    done
}

async fn delete_in(tx: &mut SqliteConnection, r: &IdentityRef) -> Result<bool, OpError> {
    let Some(principal) =
        store::identities::delete(tx, &r.sub(), &r.group.key(), &r.name.key()).await?
    else {
        require_group(tx, r.subscription, &r.group).await?;
        return Ok(false);
    };
    store::principals::delete(&mut *tx, &principal).await?;
    // Role assignments on the identity go with it.
    let id = crate::domain::resource_id::ResourceId::resource(
        r.subscription,
        r.group.as_str(),
        crate::domain::identity::USER_ASSIGNED_TYPE,
        r.name.as_str(),
    );
    store::roles::delete_within(tx, &r.sub(), &id.key()).await?;
    Ok(true)
}

/// One page of a group's identities after the name key `after`, plus whether more follow.
pub async fn list_by_group(
    state: &AppState,
    sub: SubscriptionId,
    group: &ResourceGroupName,
    after: &str,
    page: usize,
) -> Result<(Vec<IdentityRow>, bool), OpError> {
    let mut conn = state.store.read().await?;
    require_group(&mut conn, sub, group).await?;
    let rows = store::identities::list_by_group_page(
        &mut conn,
        &sub.to_string(),
        &group.key(),
        after,
        page as i64 + 1,
    )
    .await?;
    Ok(super::into_page(rows, page))
}

/// One page of a subscription's identities after the (group key, name key) pair `after`.
pub async fn list_by_subscription(
    state: &AppState,
    sub: SubscriptionId,
    after: (&str, &str),
    page: usize,
) -> Result<(Vec<IdentityRow>, bool), OpError> {
    let mut conn = state.store.read().await?;
    require_subscription(&mut conn, sub).await?;
    let rows = store::identities::list_by_subscription_page(
        &mut conn,
        &sub.to_string(),
        after,
        page as i64 + 1,
    )
    .await?;
    Ok(super::into_page(rows, page))
}
