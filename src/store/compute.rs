//! Virtual machines and container groups: where each is and its identity in
//! `compute_resources`, the rest in `compute_bodies` by instance id (migration 0012: a move
//! rewrites only the first). Reads join both, and the group for its display name.
use super::PutScope;
use crate::domain::identity::UserAssignedRef;
use crate::domain::names::name_key;
use crate::domain::SubscriptionId;
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// A VM or container group as stored, with its group's display name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComputeRow {
    pub subscription_id: SubscriptionId,
    pub resource_group: String,
    pub resource_type: String,
    pub name: String,
    pub location: String,
    pub tags: Json<BTreeMap<String, String>>,
    pub instance_id: String,
    pub properties: Json<Map<String, Value>>,
    pub extra: Json<Map<String, Value>>,
    pub power_state: String,
    pub restart_count: i64,
    pub events: Json<Vec<Value>>,
    pub identity_type: String,
    pub system_principal_id: Option<String>,
    pub system_client_id: Option<String>,
    pub system_tenant_id: Option<String>,
    pub user_assigned: Json<Vec<UserAssignedRef>>,
    /// The secret the instance's App Service-style token endpoint checks (`IDENTITY_HEADER`).
    pub identity_header: String,
    pub created_at: String,
    pub created_by: String,
    pub created_by_type: String,
    pub modified_at: String,
    pub modified_by: String,
    pub modified_by_type: String,
    /// The model version the etag is made from (`domain::compute::etag`).
    pub version: i64,
    /// R14: the id (key form) the identity reference was last written at; a move leaves it.
    pub identity_written_at: String,
    /// How many times the VM has started (R18's DNS failure lasts until the next one).
    pub boots: i64,
    /// The error (ARM's `{code, message}`) of the last operation that failed, if the resource
    /// has not been written or started since.
    pub last_error: Option<Json<Value>>,
}

const COLUMNS: &str = "c.subscription_id, g.name as resource_group, c.resource_type, c.name, c.location, c.tags,
    c.instance_id, b.properties, b.extra, b.power_state, b.restart_count, b.events, c.identity_type,
    c.system_principal_id, c.system_client_id, c.system_tenant_id, c.user_assigned, b.identity_header, c.created_at, b.created_by, b.created_by_type,
    c.modified_at, b.modified_by, b.modified_by_type, b.version, b.identity_written_at, b.boots, b.last_error";

/// Both halves of a resource (`c`, `b`); callers join the group (`g`).
const BOTH: &str = "compute_resources c join compute_bodies b on b.instance_id = c.instance_id";

/// Where a VM or container group is, in key form: how the store finds it.
#[derive(Debug, Clone)]
pub struct ResourceKey {
    pub subscription: String,
    pub group_key: String,
    pub resource_type: &'static str,
    pub name_key: String,
}

impl ResourceKey {
    /// The parts in the order statements here take them (?1..?4).
    pub(super) fn parts(&self) -> [&str; 4] {
        [
            &self.subscription,
            &self.group_key,
            self.resource_type,
            &self.name_key,
        ]
    }
}

/// The resource's `PutScope`; `None`: no subscription.
pub async fn put_scope(
    conn: &mut SqliteConnection,
    key: &ResourceKey,
) -> Result<Option<PutScope<ComputeRow>>, sqlx::Error> {
    let sql = format!(
        "select s.tenant_id as subscription_tenant, g.name as group_name, {COLUMNS}
         from subscriptions s
         left join resource_groups g on g.subscription_id = s.id and g.name_key = ?2
         left join compute_resources c on c.subscription_id = g.subscription_id
               and c.resource_group_key = g.name_key and c.resource_type = ?3 and c.name_key = ?4
         left join compute_bodies b on b.instance_id = c.instance_id
         where s.id = ?1"
    );
    PutScope::read(conn, &sql, &key.parts(), ("group_name", "instance_id")).await
}

pub async fn get(
    conn: &mut SqliteConnection,
    key: &ResourceKey,
) -> Result<Option<ComputeRow>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from {BOTH}
         join resource_groups g on g.subscription_id = c.subscription_id and g.name_key = c.resource_group_key
         where c.subscription_id = ?1 and c.resource_group_key = ?2 and c.resource_type = ?3 and c.name_key = ?4"
    );
    super::bind_key_as(sqlx::query_as(&sql), &key.parts())
        .fetch_optional(conn)
        .await
}

/// One page of a type's resources in (group key, name key) order after `after`, in one group
/// or (`group_key` = None) the whole subscription.
pub async fn list_page(
    conn: &mut SqliteConnection,
    subscription: &str,
    group_key: Option<&str>,
    resource_type: &str,
    after: (&str, &str),
    limit: i64,
) -> Result<Vec<ComputeRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from {BOTH}
         join resource_groups g on g.subscription_id = c.subscription_id and g.name_key = c.resource_group_key
         where c.subscription_id = ?1 and (?2 is null or c.resource_group_key = ?2) and c.resource_type = ?3
           and (c.resource_group_key, c.name_key) > (?4, ?5)
         order by c.resource_group_key, c.name_key limit ?6"
    ))
    .bind(subscription)
    .bind(group_key)
    .bind(resource_type)
    .bind(after.0)
    .bind(after.1)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Inserts a new resource, or rewrites every mutable column of an existing one: both halves,
/// in one statement batch.
pub async fn upsert(conn: &mut SqliteConnection, c: &ComputeRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into compute_resources (subscription_id, resource_group_key, resource_type, name, name_key, location,
             tags, instance_id, identity_type, system_principal_id, system_tenant_id, user_assigned, created_at,
             modified_at, system_client_id)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?14, ?15, ?16, ?17, ?18, ?21, ?24)
         on conflict (subscription_id, resource_group_key, resource_type, name_key) do update set
             tags = excluded.tags, identity_type = excluded.identity_type,
             system_principal_id = excluded.system_principal_id, system_client_id = excluded.system_client_id,
             system_tenant_id = excluded.system_tenant_id, user_assigned = excluded.user_assigned,
             modified_at = excluded.modified_at;
         insert into compute_bodies (instance_id, properties, extra, power_state, restart_count, events,
             created_by, created_by_type, modified_by, modified_by_type, identity_header, version,
             identity_written_at, boots, last_error)
         values (?8, ?9, ?10, ?11, ?12, ?13, ?19, ?20, ?22, ?23, ?25, ?26, ?27, ?28, ?29)
         on conflict (instance_id) do update set
             properties = excluded.properties, extra = excluded.extra,
             power_state = excluded.power_state, restart_count = excluded.restart_count, events = excluded.events,
             modified_by = excluded.modified_by, modified_by_type = excluded.modified_by_type,
             version = excluded.version, identity_written_at = excluded.identity_written_at,
             boots = excluded.boots, last_error = excluded.last_error;",
    )
    .bind(c.subscription_id)
    .bind(name_key(&c.resource_group))
    .bind(&c.resource_type)
    .bind(&c.name)
    .bind(name_key(&c.name))
    .bind(&c.location)
    .bind(&c.tags)
    .bind(&c.instance_id)
    .bind(&c.properties)
    .bind(&c.extra)
    .bind(&c.power_state)
    .bind(c.restart_count)
    .bind(&c.events)
    .bind(&c.identity_type)
    .bind(&c.system_principal_id)
    .bind(&c.system_tenant_id)
    .bind(&c.user_assigned)
    .bind(&c.created_at)
    .bind(&c.created_by)
    .bind(&c.created_by_type)
    .bind(&c.modified_at)
    .bind(&c.modified_by)
    .bind(&c.modified_by_type)
    .bind(&c.system_client_id)
    .bind(&c.identity_header)
    .bind(c.version)
    .bind(&c.identity_written_at)
    .bind(c.boots)
    .bind(&c.last_error)
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a resource and returns it, or `None` when there was none.
pub async fn delete(
    conn: &mut SqliteConnection,
    key: &ResourceKey,
) -> Result<Option<ComputeRow>, sqlx::Error> {
    let row = get(&mut *conn, key).await?;
    if row.is_some() {
        let sql = "delete from compute_resources
                   where subscription_id = ?1 and resource_group_key = ?2 and resource_type = ?3 and name_key = ?4";
        super::bind_key(sqlx::query(sql), &key.parts())
            .execute(conn)
            .await?;
    }
    Ok(row)
}

/// The principal and client ids of the user-assigned identities at the given places
/// (subscription, group key, name key), in one statement; `None` where there is none.
pub async fn resolve_user_assigned(
    conn: &mut SqliteConnection,
    places: &[(String, String, String)],
) -> Result<Vec<Option<(String, String)>>, sqlx::Error> {
    if places.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = serde_json::to_string(places).unwrap_or_else(|_| "[]".into());
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "select cast(j.key as integer), i.principal_id, i.client_id
         from json_each(?1) j
         join user_assigned_identities i
           on i.subscription_id = j.value ->> 0 and i.resource_group_key = j.value ->> 1 and i.name_key = j.value ->> 2",
    )
    .bind(wanted)
    .fetch_all(conn)
    .await?;
    let mut found = vec![None; places.len()];
    for (index, principal, client) in rows {
        if let Some(slot) = found.get_mut(index as usize) {
            *slot = Some((principal, client));
        }
    }
    Ok(found)
}
