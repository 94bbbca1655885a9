//! Instances: VMs and container groups looked up by their instance id, with the facts a token
//! decision needs (the subscription's tenant now, where each principal lives).
use super::compute::ResourceKey;
use crate::domain::identity::UserAssignedRef;
use crate::domain::SubscriptionId;
use sqlx::types::Json;
use sqlx::SqliteConnection;

/// An instance and the identity facts around it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InstanceRow {
    pub instance_id: String,
    pub subscription_id: SubscriptionId,
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
    /// R14: the id the identity reference was last written at (key form).
    pub identity_written_at: String,
    pub power_state: String,
    /// When the subscription began to trust its tenant (creation or last transfer).
    pub tenant_since: Option<String>,
}

const SELECT: &str = "select c.instance_id, c.subscription_id, g.name as resource_group, c.resource_type, c.name,
        c.location, b.identity_header, c.identity_type, c.system_principal_id, c.system_client_id, c.user_assigned,
        s.tenant_id as subscription_tenant, sp.tenant_id as system_principal_tenant,
        b.identity_written_at, b.power_state, s.tenant_since
    from compute_resources c
    join compute_bodies b on b.instance_id = c.instance_id
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
    key: &ResourceKey,
) -> Result<Option<InstanceRow>, sqlx::Error> {
    let sql = format!(
        "{SELECT} where c.subscription_id = ?1 and c.resource_group_key = ?2 and c.resource_type = ?3 and c.name_key = ?4"
    );
    super::bind_key_as(sqlx::query_as(&sql), &key.parts())
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

/// A user-assigned identity as the health report sees it: where it lives, its principal, the
/// tenant that principal lives in (null: gone) and the tenant its subscription trusts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityPlace {
    pub subscription_id: SubscriptionId,
    pub resource_group: String,
    pub resource_group_key: String,
    pub name: String,
    pub name_key: String,
    pub principal_id: String,
    pub client_id: String,
    pub principal_tenant: Option<String>,
    pub subscription_tenant: String,
    pub tenant_since: Option<String>,
}

/// Every user-assigned identity, in one statement.
pub async fn identity_places(
    conn: &mut SqliteConnection,
) -> Result<Vec<IdentityPlace>, sqlx::Error> {
    sqlx::query_as(
        "select u.subscription_id, g.name as resource_group, u.resource_group_key, u.name, u.name_key,
                u.principal_id, u.client_id, sp.tenant_id as principal_tenant,
                s.tenant_id as subscription_tenant, s.tenant_since
         from user_assigned_identities u
         join subscriptions s on s.id = u.subscription_id
         join resource_groups g on g.subscription_id = u.subscription_id and g.name_key = u.resource_group_key
         left join service_principals sp on sp.object_id = u.principal_id
         order by u.subscription_id, u.resource_group_key, u.name_key",
    )
    .fetch_all(conn)
    .await
}

/// The tenant of every principal a user-assigned reference of any instance names, in one
/// statement (a principal that is gone is absent).
pub async fn referenced_principal_tenants(
    conn: &mut SqliteConnection,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select sp.object_id, sp.tenant_id from service_principals sp
         where sp.object_id in (select json_extract(u.value, '$.principalId')
                                from compute_resources c, json_each(c.user_assigned) u)",
    )
    .fetch_all(conn)
    .await
}
