//! VM extensions (`vm_extensions`), keyed by their VM's instance id, which a move keeps: they
//! go where the VM goes without being written, and its delete takes them (foreign key). They
//! are found through the VM, by (subscription, group key, VM name key).
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

const COLUMNS: &str = "e.name, e.location, e.tags, e.properties, e.provisioning_state, e.failure, e.failed_boot, e.created_at, e.modified_at";

/// Picks the VM (`c`) at ?1 (subscription), ?2 (group key), ?3 (name key). A macro, so that
/// `OF_VM` can be put together at compile time.
macro_rules! the_vm {
    () => {
        "c.subscription_id = ?1 and c.resource_group_key = ?2
           and c.resource_type = 'Microsoft.Compute/virtualMachines' and c.name_key = ?3"
    };
}
const THE_VM: &str = the_vm!();

/// Picks the extensions of that VM.
const OF_VM: &str = concat!(
    "from vm_extensions e join compute_resources c on c.instance_id = e.vm_instance_id where ",
    the_vm!()
);

pub async fn get(
    conn: &mut SqliteConnection,
    (s, g, vm): VmKey<'_>,
    name_key: &str,
) -> Result<Option<ExtensionRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} {OF_VM} and e.name_key = ?4"))
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
    sqlx::query_as(&format!("select {COLUMNS} {OF_VM} order by e.name_key"))
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
    sqlx::query(&format!(
        "insert into vm_extensions (vm_instance_id, name, name_key, location,
             tags, properties, provisioning_state, failure, failed_boot, created_at, modified_at)
         select c.instance_id, ?4, lower(?4), ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12
         from compute_resources c where {THE_VM}
         on conflict (vm_instance_id, name_key) do update set
             tags = excluded.tags, properties = excluded.properties,
             provisioning_state = excluded.provisioning_state, failure = excluded.failure,
             failed_boot = excluded.failed_boot, modified_at = excluded.modified_at",
    ))
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
    let done = sqlx::query(&format!(
        "delete from vm_extensions
         where name_key = ?4 and vm_instance_id = (select c.instance_id from compute_resources c where {THE_VM})",
    ))
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
    sqlx::query_scalar(&format!(
        "select exists (select 1 {OF_VM}
           and e.provisioning_state = 'Succeeded'
           and lower(e.properties ->> 'publisher') = 'microsoft.managedidentity'
           and lower(e.properties ->> 'type') in ('managedidentityextensionforwindows', 'managedidentityextensionforlinux'))",
    ))
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
        "select c.name_key as vm_name_key, {COLUMNS} from vm_extensions e
         join compute_resources c on c.instance_id = e.vm_instance_id
         where c.subscription_id = ?1 and c.resource_group_key = ?2
         order by c.name_key, e.name_key limit ?3"
    ))
    .bind(s)
    .bind(g)
    .bind(limit)
    .fetch_all(conn)
    .await
}
