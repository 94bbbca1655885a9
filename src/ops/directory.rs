//! Tenants, subscriptions and service principals: the directory side of the simulator.
use super::{OpError, Written};
use crate::domain::{SubscriptionId, TenantId};
use crate::state::AppState;
use crate::store::{
    self, principals::PrincipalRow, subscriptions::SubscriptionRow, tenants::TenantRow,
};
use sqlx::SqliteConnection;

/// Creates a tenant, with a generated id unless one is given.
#[tracing::instrument(skip_all)]
pub async fn create_tenant(
    state: &AppState,
    id: Option<TenantId>,
    display_name: Option<String>,
) -> Result<TenantRow, OpError> {
    let id = id
        .unwrap_or_else(|| TenantId::from_uuid(state.idgen.uuid()))
        .to_string();
    let short = &id[..8];
    let tenant = TenantRow {
        display_name: display_name.unwrap_or_else(|| format!("Tenant {short}")),
        default_domain: format!("tenant{short}.onmicrosoft.com"),
        id,
    };
    let now = state.clock.now_text();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                match store::tenants::insert(tx, &tenant, &now).await {
                    Ok(()) => Ok(tenant),
                    Err(e) if store::is_unique_violation(&e) => {
                        Err(OpError::TenantExists(tenant.id.clone()))
                    }
                    Err(e) => Err(e.into()),
                }
            })
        })
        .await
}

/// The tenant with this id, if there is one.
pub async fn find_tenant(state: &AppState, id: TenantId) -> Result<Option<TenantRow>, OpError> {
    Ok(store::tenants::get(&mut *state.store.read().await?, &id.to_string()).await?)
}

pub async fn list_tenants(state: &AppState) -> Result<Vec<TenantRow>, OpError> {
    Ok(store::tenants::list(&mut *state.store.read().await?).await?)
}

/// Creates a subscription trusting `tenant`, or renames an existing one. Changing the tenant
/// of an existing one is `transfer_subscription`, the one way to do it.
#[tracing::instrument(skip_all, fields(subscription = %id, tenant = %tenant))]
pub async fn put_subscription(
    state: &AppState,
    id: SubscriptionId,
    tenant: TenantId,
    display_name: Option<String>,
    owner: Option<String>,
) -> Result<(SubscriptionRow, Written), OpError> {
    let now = state.clock.now_text();
    let assignment = state.idgen.uuid().to_string();
    let put = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let (sub, written) =
                    put_subscription_in(&mut *tx, id, tenant, display_name, &now).await?;
                if let (Some(owner), Written::Created) = (owner, written) {
                    make_owner(tx, &sub, &owner, &assignment, &now).await?;
                }
                Ok((sub, written))
            })
        })
        .await;
    state.grants.invalidate();
    put
}

async fn put_subscription_in(
    tx: &mut SqliteConnection,
    id: SubscriptionId,
    tenant: TenantId,
    display_name: Option<String>,
    now: &str,
) -> Result<(SubscriptionRow, Written), OpError> {
    if store::tenants::get(&mut *tx, &tenant.to_string())
        .await?
        .is_none()
    {
        return Err(OpError::TenantNotFound(tenant.to_string()));
    }
    let existing = store::subscriptions::get(&mut *tx, &id.to_string()).await?;
    if let Some(e) = existing
        .as_ref()
        .filter(|e| !e.tenant_id.eq_ignore_ascii_case(&tenant.to_string()))
    {
        return Err(OpError::TenantChangeIsATransfer {
            subscription: id.to_string(),
            tenant: e.tenant_id.clone(),
        });
    }
    let written = if existing.is_some() {
        Written::Updated
    } else {
        Written::Created
    };
    let sub = SubscriptionRow {
        id,
        display_name: display_name
            .or_else(|| existing.as_ref().map(|s| s.display_name.clone()))
            .unwrap_or_else(|| format!("Subscription {}", &id.to_string()[..8])),
        tenant_id: tenant.to_string(),
        state: existing.map_or_else(|| "Enabled".to_string(), |s| s.state),
    };
    match written {
        Written::Created => store::subscriptions::insert(&mut *tx, &sub, now).await?,
        Written::Updated => store::subscriptions::update(&mut *tx, &sub).await?,
    }
    Ok((sub, written))
}

/// The principal a new subscription names as its owner gets Owner over it (Azure makes the
/// account that creates a subscription its owner). It must live in the tenant trusted.
async fn make_owner(
    tx: &mut SqliteConnection,
    sub: &SubscriptionRow,
    owner: &str,
    assignment: &str,
    now: &str,
) -> Result<(), OpError> {
    let lives_in = store::principals::tenant_of(&mut *tx, owner).await?;
    if !lives_in.is_some_and(|t| t.eq_ignore_ascii_case(&sub.tenant_id)) {
        return Err(OpError::InvalidParameter {
            target: "owner",
            message: format!(
                "There is no service principal '{owner}' in tenant '{}'; the owner must be an object id of that tenant (GET /simulator/tenants/{}/servicePrincipals).",
                sub.tenant_id, sub.tenant_id
            ),
        });
    }
    super::bootstrap::owner_of_subscription(tx, assignment, sub.id, owner, now).await?;
    Ok(())
}

/// R11: transfers a subscription to another tenant, as Azure does: the subscription trusts the
/// new tenant from now on, and nothing else changes. Its identities keep their principals (and
/// `tenantId`) in the old tenant, so none of them can have tokens until recreated.
#[tracing::instrument(skip_all, fields(subscription = %id, tenant = %target))]
pub async fn transfer_subscription(
    state: &AppState,
    id: SubscriptionId,
    target: TenantId,
) -> Result<SubscriptionRow, OpError> {
    let now = state.clock.now_text();
    let transferred = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let mut sub = store::subscriptions::get(&mut *tx, &id.to_string())
                    .await?
                    .ok_or_else(|| OpError::SubscriptionNotFound(id.to_string()))?;
                if store::tenants::get(&mut *tx, &target.to_string())
                    .await?
                    .is_none()
                {
                    return Err(OpError::TenantNotFound(target.to_string()));
                }
                sub.tenant_id = target.to_string();
                store::subscriptions::transfer(&mut *tx, &id.to_string(), &sub.tenant_id, &now)
                    .await?;
                // R11: the subscription's role assignments go with the transfer.
                let removed = store::roles::delete_subscription(&mut *tx, &id.to_string()).await?;
                tracing::info!(
                    rule = "R11",
                    role_assignments_deleted = removed,
                    "subscription transferred"
                );
                Ok(sub)
            })
        })
        .await;
    state.grants.invalidate();
    transferred
}

pub async fn get_subscription(
    state: &AppState,
    id: SubscriptionId,
) -> Result<SubscriptionRow, OpError> {
    store::subscriptions::get(&mut *state.store.read().await?, &id.to_string())
        .await?
        .ok_or_else(|| OpError::SubscriptionNotFound(id.to_string()))
}

pub async fn list_subscriptions(state: &AppState) -> Result<Vec<SubscriptionRow>, OpError> {
    Ok(store::subscriptions::list(&mut *state.store.read().await?).await?)
}

/// The service principals of a tenant.
pub async fn list_principals(
    state: &AppState,
    tenant: TenantId,
) -> Result<Vec<PrincipalRow>, OpError> {
    let mut conn = state.store.read().await?;
    if store::tenants::get(&mut conn, &tenant.to_string())
        .await?
        .is_none()
    {
        return Err(OpError::TenantNotFound(tenant.to_string()));
    }
    Ok(store::principals::list_by_tenant(&mut conn, &tenant.to_string()).await?)
}

/// The state the explorer draws, read together: every tenant and subscription, and at most
/// `limit` groups and role assignments.
pub struct Overview {
    pub tenants: Vec<TenantRow>,
    pub subscriptions: Vec<SubscriptionRow>,
    pub groups: Vec<store::resource_groups::GroupRow>,
    pub assignments: Vec<store::roles::AssignmentRow>,
}

pub async fn overview(state: &AppState, limit: i64) -> Result<Overview, OpError> {
    let mut conn = state.store.read().await?;
    let (groups, assignments) = store::explorer_lists(&mut conn, limit).await?;
    Ok(Overview {
        tenants: store::tenants::list(&mut conn).await?,
        subscriptions: store::subscriptions::list(&mut conn).await?,
        groups,
        assignments,
    })
}

/// The tenant a subscription trusts, by its id as a request path gives it; `None` when there
/// is no such subscription.
pub async fn subscription_tenant(
    state: &AppState,
    subscription: &str,
) -> Result<Option<String>, OpError> {
    Ok(
        store::subscriptions::get(&mut *state.store.read().await?, subscription)
            .await?
            .map(|row| row.tenant_id),
    )
}
