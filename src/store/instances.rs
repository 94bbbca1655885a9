//! Instances: VMs and container groups looked up by their instance id, with the facts a token
//! decision needs (the subscription's tenant now, where each principal lives).
use crate::domain::identity::UserAssignedRef;
use sqlx::types::Json;
use sqlx::SqliteConnection;

/// An instance and the identity facts around it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstanceRow {
    pub instance_id: String,
    pub subscription_id: String,
    pub resource_group: String,
    pub resource_type: String,
    pub name: String,
    pub location: String,
    pub identity_header: String,
    pub identity_type: String,
    pub system_principal_id: Option<String>,
    pub system_client_id: Option<String>,
    pub user_assigned: Json<Vec<UserAssignedRef>>,
    /// The tenant the subscription trusts now.
    pub subscription_tenant: String,
    /// The tenant the system principal lives in; null when it is gone or there is none.
    pub system_principal_tenant: Option<String>,
}

const SELECT: &str = "select c.instance_id, c.subscription_id, g.name as resource_group, c.resource_type, c.name,
        c.location, c.identity_header, c.identity_type, c.system_principal_id, c.system_client_id, c.user_assigned,
        s.tenant_id as subscription_tenant, sp.tenant_id as system_principal_tenant
    from compute_resources c
    join subscriptions s on s.id = c.subscription_id
    join resource_groups g on g.subscription_id = c.subscription_id and g.name_key = c.resource_group_key
    left join service_principals sp on sp.object_id = c.system_principal_id";

/// The instance with this id, in one statement.
pub async fn get(
    conn: &mut SqliteConnection,
    instance_id: &str,
) -> Result<Option<InstanceRow>, sqlx::Error> {
    sqlx::query_as(&format!("{SELECT} where c.instance_id = ?1"))
        .bind(instance_id)
        .fetch_optional(conn)
        .await
}

/// The instance of a resource, by subscription, group key, type and name key.
pub async fn get_by_resource(
    conn: &mut SqliteConnection,
    (subscription, group_key, resource_type, name_key): (&str, &str, &str, &str),
) -> Result<Option<InstanceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} where c.subscription_id = ?1 and c.resource_group_key = ?2 and c.resource_type = ?3 and c.name_key = ?4"
    ))
    .bind(subscription)
    .bind(group_key)
    .bind(resource_type)
    .bind(name_key)
    .fetch_optional(conn)
    .await
}

/// Every instance whose name is `name_key`, in any group of any subscription (for `mi-sim env NAME`).
pub async fn list_by_name(
    conn: &mut SqliteConnection,
    name_key: &str,
) -> Result<Vec<InstanceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} where c.name_key = ?1 order by c.subscription_id, c.resource_group_key"
    ))
    .bind(name_key)
    .fetch_all(conn)
    .await
}

/// Every instance, in id order.
pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<InstanceRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} order by c.subscription_id, c.resource_group_key, c.name_key"
    ))
    .fetch_all(conn)
    .await
}

/// For a user-assigned identity: the tenant its principal lives in (null when gone) and the
/// principal of the identity living at the place the reference names (null when none).
pub async fn user_assigned_facts(
    conn: &mut SqliteConnection,
    principal_id: &str,
    (subscription, group_key, name_key): (&str, &str, &str),
) -> Result<(Option<String>, Option<String>), sqlx::Error> {
    sqlx::query_as(
        "select (select tenant_id from service_principals where object_id = ?1),
                (select principal_id from user_assigned_identities
                 where subscription_id = ?2 and resource_group_key = ?3 and name_key = ?4)",
    )
    .bind(principal_id)
    .bind(subscription)
    .bind(group_key)
    .bind(name_key)
    .fetch_one(conn)
    .await
}
