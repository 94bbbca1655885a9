//! User-assigned identities. Reads join the group for its display name.
use crate::domain::names::name_key;
use sqlx::types::Json;
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// A user-assigned identity as stored, with its group's display name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityRow {
    pub subscription_id: String,
    pub resource_group: String,
    pub name: String,
    pub location: String,
    pub tags: Json<BTreeMap<String, String>>,
    pub tenant_id: String,
    pub principal_id: String,
    pub client_id: String,
    pub isolation_scope: String,
    pub created_at: String,
    pub created_by: String,
    pub created_by_type: String,
    pub modified_at: String,
    pub modified_by: String,
    pub modified_by_type: String,
}

const SELECT: &str = "select i.subscription_id, g.name as resource_group, i.name, i.location, i.tags, i.tenant_id,
        i.principal_id, i.client_id, i.isolation_scope, i.created_at, i.created_by, i.created_by_type,
        i.modified_at, i.modified_by, i.modified_by_type
    from user_assigned_identities i
    join resource_groups g on g.subscription_id = i.subscription_id and g.name_key = i.resource_group_key";

pub async fn get(
    conn: &mut SqliteConnection,
    subscription: &str,
    group_key: &str,
    name_key: &str,
) -> Result<Option<IdentityRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} where i.subscription_id = ?1 and i.resource_group_key = ?2 and i.name_key = ?3"
    ))
    .bind(subscription)
    .bind(group_key)
    .bind(name_key)
    .fetch_optional(conn)
    .await
}

/// One page of a group's identities in key order, after `after` (a name key).
pub async fn list_by_group_page(
    conn: &mut SqliteConnection,
    subscription: &str,
    group_key: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<IdentityRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} where i.subscription_id = ?1 and i.resource_group_key = ?2 and i.name_key > ?3 order by i.name_key limit ?4"
    ))
    .bind(subscription)
    .bind(group_key)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One page of a subscription's identities in (group key, name key) order, after the given pair.
pub async fn list_by_subscription_page(
    conn: &mut SqliteConnection,
    subscription: &str,
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<IdentityRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT} where i.subscription_id = ?1 and (i.resource_group_key, i.name_key) > (?2, ?3)
         order by i.resource_group_key, i.name_key limit ?4"
    ))
    .bind(subscription)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn insert(conn: &mut SqliteConnection, i: &IdentityRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into user_assigned_identities (subscription_id, resource_group_key, name, name_key, location, tags,
             tenant_id, principal_id, client_id, isolation_scope, created_at, created_by, created_by_type,
             modified_at, modified_by, modified_by_type)
         values (?1, ?16, ?3, ?17, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .bind(&i.subscription_id)
    .bind(&i.resource_group)
    .bind(&i.name)
    .bind(&i.location)
    .bind(&i.tags)
    .bind(&i.tenant_id)
    .bind(&i.principal_id)
    .bind(&i.client_id)
    .bind(&i.isolation_scope)
    .bind(&i.created_at)
    .bind(&i.created_by)
    .bind(&i.created_by_type)
    .bind(&i.modified_at)
    .bind(&i.modified_by)
    .bind(&i.modified_by_type)
    .bind(name_key(&i.resource_group))
    .bind(name_key(&i.name))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the mutable parts: tags, isolation scope, last-modified data.
pub async fn update(conn: &mut SqliteConnection, i: &IdentityRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update user_assigned_identities set tags = ?4, isolation_scope = ?5, modified_at = ?6, modified_by = ?7, modified_by_type = ?8
         where subscription_id = ?1 and resource_group_key = ?2 and name_key = ?3",
    )
    .bind(&i.subscription_id)
    .bind(name_key(&i.resource_group))
    .bind(name_key(&i.name))
    .bind(&i.tags)
    .bind(&i.isolation_scope)
    .bind(&i.modified_at)
    .bind(&i.modified_by)
    .bind(&i.modified_by_type)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes an identity and returns its principal id, or `None` when there was none.
pub async fn delete(
    conn: &mut SqliteConnection,
    subscription: &str,
    group_key: &str,
    name_key: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "delete from user_assigned_identities where subscription_id = ?1 and resource_group_key = ?2 and name_key = ?3
         returning principal_id",
    )
    .bind(subscription)
    .bind(group_key)
    .bind(name_key)
    .fetch_optional(conn)
    .await
}
