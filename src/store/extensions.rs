//! VM extensions (`vm_extensions`), keyed under their VM; they move and go with it through
//! the foreign key.
use crate::domain::SubscriptionId;
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// (subscription, group key, VM name key) of the VM an extension belongs to.
pub type VmKey<'a> = (SubscriptionId, &'a str, &'a str);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExtensionRow {
    pub name: String,
    pub location: String,
    pub tags: Json<BTreeMap<String, String>>,
    pub properties: Json<Map<String, Value>>,
    pub provisioning_state: String,
    /// ARM's `{code, message}` of a failed provisioning.
    pub failure: Option<Json<Value>>,
    /// The VM's boot the failure happened in.
    pub failed_boot: Option<i64>,
    pub created_at: String,
    pub modified_at: String,
}

const COLUMNS: &str = "name, location, tags, properties, provisioning_state, failure, failed_boot, created_at, modified_at";

pub async fn get(
    conn: &mut SqliteConnection,
    (s, g, vm): VmKey<'_>,
    name_key: &str,
) -> Result<Option<ExtensionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from vm_extensions
         where subscription_id = ?1 and resource_group_key = ?2 and vm_name_key = ?3 and name_key = ?4"
    ))
    .bind(s)
    .bind(g)
    .bind(vm)
    .bind(name_key)
    .fetch_optional(conn)
    .await
}

/// A VM's extensions, by name key.
pub async fn list(
    conn: &mut SqliteConnection,
    (s, g, vm): VmKey<'_>,
) -> Result<Vec<ExtensionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from vm_extensions
         where subscription_id = ?1 and resource_group_key = ?2 and vm_name_key = ?3 order by name_key"
    ))
    .bind(s)
    .bind(g)
    .bind(vm)
    .fetch_all(conn)
    .await
}

pub async fn upsert(
    conn: &mut SqliteConnection,
    (s, g, vm): VmKey<'_>,
    e: &ExtensionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into vm_extensions (subscription_id, resource_group_key, vm_name_key, name, name_key, location,
             tags, properties, provisioning_state, failure, failed_boot, created_at, modified_at)
         values (?1, ?2, ?3, ?4, lower(?4), ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         on conflict (subscription_id, resource_group_key, resource_type, vm_name_key, name_key) do update set
             tags = excluded.tags, properties = excluded.properties,
             provisioning_state = excluded.provisioning_state, failure = excluded.failure,
             failed_boot = excluded.failed_boot, modified_at = excluded.modified_at",
    )
    .bind(s)
    .bind(g)
    .bind(vm)
    .bind(&e.name)
    .bind(&e.location)
    .bind(&e.tags)
    .bind(&e.properties)
    .bind(&e.provisioning_state)
    .bind(&e.failure)
    .bind(e.failed_boot)
    .bind(&e.created_at)
    .bind(&e.modified_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes an extension; false when there was none.
pub async fn delete(
    conn: &mut SqliteConnection,
    (s, g, vm): VmKey<'_>,
    name_key: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "delete from vm_extensions
         where subscription_id = ?1 and resource_group_key = ?2 and vm_name_key = ?3 and name_key = ?4",
    )
    .bind(s)
    .bind(g)
    .bind(vm)
    .bind(name_key)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// True when the VM has the managed-identity extension provisioned (R7, R18).
pub async fn has_managed_identity_extension(
    conn: &mut SqliteConnection,
    (s, g, vm): VmKey<'_>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists (select 1 from vm_extensions
         where subscription_id = ?1 and resource_group_key = ?2 and vm_name_key = ?3
           and provisioning_state = 'Succeeded'
           and lower(properties ->> 'publisher') = 'microsoft.managedidentity'
           and lower(properties ->> 'type') in ('managedidentityextensionforwindows', 'managedidentityextensionforlinux'))",
    )
    .bind(s)
    .bind(g)
    .bind(vm)
    .fetch_one(conn)
    .await
}

/// An extension and the name key of its VM.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupExtensionRow {
    pub vm_name_key: String,
    #[sqlx(flatten)]
    pub extension: ExtensionRow,
}

/// Every extension of the VMs of a group, at most `limit`.
pub async fn list_in_group(
    conn: &mut SqliteConnection,
    (s, g): (&str, &str),
    limit: i64,
) -> Result<Vec<GroupExtensionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select vm_name_key, {COLUMNS} from vm_extensions
         where subscription_id = ?1 and resource_group_key = ?2
         order by vm_name_key, name_key limit ?3"
    ))
    .bind(s)
    .bind(g)
    .bind(limit)
    .fetch_all(conn)
    .await
}
