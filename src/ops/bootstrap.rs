//! The state a fresh mi-sim starts in, and `reset`, which returns to it.
use super::applications;
use crate::domain::resource_id::ResourceId;
use crate::domain::{SubscriptionId, TenantId};
use crate::state::AppState;
use crate::store::{self, subscriptions::SubscriptionRow, tenants::TenantRow};
use sqlx::SqliteConnection;

/// The default tenant's id: stable and documented, so scripts may hard-code it.
pub const DEFAULT_TENANT_ID: &str = "11111111-1111-4111-8111-111111111111";
/// The same, typed.
pub const DEFAULT_TENANT: TenantId = TenantId::from_uuid(uuid::Uuid::from_u128(
    0x11111111_1111_4111_8111_111111111111,
));
/// The default subscription's id, trusting the default tenant.
pub const DEFAULT_SUBSCRIPTION_ID: &str = "22222222-2222-4222-8222-222222222222";
/// The same, typed (a unit test checks the two agree).
pub const DEFAULT_SUBSCRIPTION: SubscriptionId = SubscriptionId::from_uuid(uuid::Uuid::from_u128(
    0x22222222_2222_4222_8222_222222222222,
));
pub const DEFAULT_TENANT_NAME: &str = "mi-sim default directory";
pub const DEFAULT_SUBSCRIPTION_NAME: &str = "mi-sim default subscription";

/// Creates the default tenant and subscription unless they exist (first start).
pub async fn ensure_defaults(conn: &mut SqliteConnection, now: &str) -> Result<(), sqlx::Error> {
    if store::tenants::get(conn, DEFAULT_TENANT_ID)
        .await?
        .is_none()
    {
        let tenant = TenantRow {
            id: DEFAULT_TENANT_ID.into(),
            display_name: DEFAULT_TENANT_NAME.into(),
            default_domain: "misim.onmicrosoft.com".into(),
        };
        store::tenants::insert(conn, &tenant, now).await?;
    }
    if store::subscriptions::get(conn, DEFAULT_SUBSCRIPTION_ID)
        .await?
        .is_none()
    {
        let sub = SubscriptionRow {
            id: DEFAULT_SUBSCRIPTION,
            display_name: DEFAULT_SUBSCRIPTION_NAME.into(),
            tenant_id: DEFAULT_TENANT_ID.into(),
            state: "Enabled".into(),
        };
        store::subscriptions::insert(conn, &sub, now).await?;
    }
    if store::applications::get(conn, DEFAULT_TENANT_ID, applications::WELL_KNOWN_APP_ID)
        .await?
        .is_none()
    {
        let app = applications::well_known(DEFAULT_TENANT);
        applications::insert(conn, &app, now).await?;
        // The application is Owner of the default subscription, so that signing in with it
        // can do everything in the enforce mode too.
        owner_of_subscription(
            conn,
            BOOTSTRAP_OWNER_ASSIGNMENT,
            DEFAULT_SUBSCRIPTION,
            &app.object_id,
            now,
        )
        .await?;
    }
    Ok(())
}

/// The name of the bootstrapped application's Owner assignment on the default subscription.
pub const BOOTSTRAP_OWNER_ASSIGNMENT: &str = "66666666-6666-4666-8666-666666666666";
const OWNER_ROLE_ID: &str = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

/// Makes a service principal Owner of a subscription, as Azure makes a subscription's creator.
pub(crate) async fn owner_of_subscription(
    conn: &mut SqliteConnection,
    name: &str,
    subscription: SubscriptionId,
    principal: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    let scope = ResourceId::subscription_scope(subscription);
    let owner = store::roles::AssignmentRow {
        name: name.into(),
        scope: scope.to_string(),
        role_definition_id: scope
            .clone()
            .provider("Microsoft.Authorization", "roleDefinitions", OWNER_ROLE_ID)
            .to_string(),
        principal_id: principal.into(),
        principal_type: "ServicePrincipal".into(),
        description: None,
        condition: None,
        condition_version: None,
        created_on: now.into(),
        updated_on: now.into(),
        created_by: None,
        updated_by: None,
    };
    let subscription = subscription.to_string();
    store::roles::insert(
        conn,
        &owner,
        (&owner.scope, Some(&subscription), OWNER_ROLE_ID),
    )
    .await
}

/// Applies the bootstrap at start, in one transaction.
pub async fn bootstrap(state: &AppState) -> Result<(), sqlx::Error> {
    let now = state.clock.now_text();
    state
        .store
        .write(move |tx| Box::pin(async move { ensure_defaults(tx, &now).await }))
        .await
}

/// Back to the bootstrapped state: every tenant, subscription, group, identity, principal and
/// operation goes; the defaults come back; key material (CA, certificates) stays.
#[tracing::instrument(skip_all)]
pub async fn reset(state: &AppState) -> Result<(), sqlx::Error> {
    state.clock.reset();
    let now = state.clock.now_text();
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                store::clear_state(&mut *tx).await?;
                ensure_defaults(&mut *tx, &now).await
            })
        })
        .await?;
    state.token_cache.clear();
    state.grants.invalidate();
    state.locks.clear();
    state.journal.clear();
    super::faults::refresh(state).await?;
    state
        .move_seconds
        .store(0, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_typed_defaults_are_the_printed_ones() {
        assert_eq!(DEFAULT_SUBSCRIPTION.to_string(), DEFAULT_SUBSCRIPTION_ID);
        assert_eq!(DEFAULT_TENANT.to_string(), DEFAULT_TENANT_ID);
    }
}
