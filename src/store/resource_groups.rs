//! Resource groups, and the set-based cascade that deletes one with everything in it.
use crate::domain::names::name_key;
use crate::domain::resource_id::ResourceId;
use crate::domain::SubscriptionId;
use sqlx::types::Json;
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// A resource group as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupRow {
    pub subscription_id: String,
    pub name: String,
    pub location: String,
    pub managed_by: Option<String>,
    pub tags: Json<BTreeMap<String, String>>,
}

pub(super) const COLUMNS: &str = "subscription_id, name, location, managed_by, tags";

pub async fn get(
    conn: &mut SqliteConnection,
    subscription: &str,
    key: &str,
) -> Result<Option<GroupRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from resource_groups where subscription_id = ?1 and name_key = ?2"
    ))
    .bind(subscription)
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// One page of a subscription's groups in key order, starting after `after` (a name key).
pub async fn list_page(
    conn: &mut SqliteConnection,
    subscription: &str,
    after: &str,
    limit: i64,
) -> Result<Vec<GroupRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from resource_groups where subscription_id = ?1 and name_key > ?2 order by name_key limit ?3"
    ))
    .bind(subscription)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await
}

pub async fn insert(
    conn: &mut SqliteConnection,
    g: &GroupRow,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into resource_groups (subscription_id, name, name_key, location, managed_by, tags, created_at) values (?1, ?2, ?7, ?3, ?4, ?5, ?6)",
    )
    .bind(&g.subscription_id)
    .bind(&g.name)
    .bind(&g.location)
    .bind(&g.managed_by)
    .bind(&g.tags)
    .bind(now)
    .bind(name_key(&g.name))
    .execute(conn)
    .await?;
    Ok(())
}

/// Writes the mutable parts of a group (tags, managedBy); name and location never change.
pub async fn update(conn: &mut SqliteConnection, g: &GroupRow) -> Result<(), sqlx::Error> {
    sqlx::query("update resource_groups set managed_by = ?3, tags = ?4 where subscription_id = ?1 and name_key = ?2")
        .bind(&g.subscription_id)
        .bind(name_key(&g.name))
        .bind(&g.managed_by)
        .bind(&g.tags)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a group and everything in it, as a handful of set-based statements whose cost
/// grows with the rows touched, not with round trips.
pub async fn delete_cascade(
    conn: &mut SqliteConnection,
    subscription: SubscriptionId,
    key: &str,
) -> Result<(), sqlx::Error> {
    // R2, R5, R17: every resource, kind by kind, and the principals that go with them.
    let group = "delete from resource_groups where subscription_id = ?1 and name_key = ?2";
    let deployments =
        "delete from deployments where subscription_id = ?1 and resource_group_key = ?2";
    for sql in super::kinds::GROUP_CASCADE
        .iter()
        .map(String::as_str)
        .chain([deployments, group])
    {
        sqlx::query(sql)
            .bind(subscription)
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    // Role assignments at the group and below it.
    let scope = ResourceId::group_scope(subscription, key).key();
    super::roles::delete_within(conn, &subscription.to_string(), &scope).await?;
    Ok(())
}
