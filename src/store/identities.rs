//! User-assigned identities. Reads join the group for its display name.
use super::writer::Statement;
use super::PutScope;
use crate::domain::identity::NewPrincipal;
use crate::domain::names::name_key;
use crate::domain::SubscriptionId;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::types::Json;
use sqlx::Arguments;
use sqlx::{Row, SqliteConnection};
use std::collections::BTreeMap;

/// A user-assigned identity as stored, with its group's display name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct IdentityRow {
    pub subscription_id: SubscriptionId,
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

/// The identity's `PutScope`; `None`: no subscription.
pub async fn put_scope(
    conn: &mut SqliteConnection,
    subscription: &str,
    group_key: &str,
    name_key: &str,
) -> Result<Option<PutScope<IdentityRow>>, sqlx::Error> {
    let sql = "select s.tenant_id as subscription_tenant, g.name as resource_group, i.subscription_id, i.name, i.location, i.tags,
                i.tenant_id, i.principal_id, i.client_id, i.isolation_scope, i.created_at, i.created_by, i.created_by_type,
                i.modified_at, i.modified_by, i.modified_by_type
         from subscriptions s
         left join resource_groups g on g.subscription_id = s.id and g.name_key = ?2
         left join user_assigned_identities i
                on i.subscription_id = g.subscription_id and i.resource_group_key = g.name_key and i.name_key = ?3
         where s.id = ?1";
    let parts = [subscription, group_key, name_key];
    PutScope::read(conn, sql, &parts, ("resource_group", "principal_id")).await
}

pub async fn get(
    conn: &mut SqliteConnection,
    subscription: &str,
    group_key: &str,
    name_key: &str,
) -> Result<Option<IdentityRow>, sqlx::Error> {
    let sql = format!(
        "{SELECT} where i.subscription_id = ?1 and i.resource_group_key = ?2 and i.name_key = ?3"
    );
    super::bind_key_as(sqlx::query_as(&sql), &[subscription, group_key, name_key])
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

const INSERT_BOTH: &str = "insert into service_principals (object_id, app_id, tenant_id, display_name, kind, created_at)
     select ?7, ?8, ?18, ?19, ?20, ?10
     where exists (select 1 from subscriptions where id = ?1 and tenant_id = ?18);
     insert into user_assigned_identities (subscription_id, resource_group_key, name, name_key, location, tags,
         tenant_id, principal_id, client_id, isolation_scope, created_at, created_by, created_by_type,
         modified_at, modified_by, modified_by_type)
     select ?1, ?16, ?3, ?17, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?12, ?13, ?10, ?14, ?15
     where changes() = 1
     returning principal_id;";

fn bind_both<'q>(
    sql: &'q str,
    i: &'q IdentityRow,
    p: &'q NewPrincipal,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    sqlx::query(sql)
        .bind(i.subscription_id) // 1
        .bind(&i.resource_group) // 2 (unused: the key is ?16)
        .bind(&i.name) // 3
        .bind(&i.location) // 4
        .bind(&i.tags) // 5
        .bind(&i.tenant_id) // 6
        .bind(&i.principal_id) // 7
        .bind(&i.client_id) // 8
        .bind(&i.isolation_scope) // 9
        .bind(&i.created_at) // 10
        .bind(&i.created_at) // 11 (unused)
        .bind(&i.created_by) // 12
        .bind(&i.created_by_type) // 13
        .bind(&i.modified_by) // 14
        .bind(&i.modified_by_type) // 15
        .bind(name_key(&i.resource_group)) // 16
        .bind(name_key(&i.name)) // 17
        .bind(p.tenant_id.to_string()) // 18
        .bind(&p.display_name) // 19
        .bind(p.kind.as_str()) // 20
}

/// Inserts an identity and its service principal, inside the caller's transaction, provided
/// the subscription still trusts the principal's tenant. Returns whether both went in.
pub async fn insert_with_principal(
    conn: &mut SqliteConnection,
    i: &IdentityRow,
    p: &NewPrincipal,
) -> Result<bool, sqlx::Error> {
    Ok(!bind_both(INSERT_BOTH, i, p)
        .fetch_all(conn)
        .await?
        .is_empty())
}

/// The fast path of a create, as one statement batch for `Store::write_with` (one round trip
/// with the writer's savepoint): both inserts, inside the caller's transaction. The batch
/// decides for itself: the identity goes in only if the subscription and group exist and the
/// name is free, with R4's tenant (the one the subscription trusts now) read in the
/// same transaction; its principal only if the identity went in. [`created`] reads what it
/// did; when nothing was written the caller takes the general path, which decides and answers
/// (update, missing group, ...).
///
/// Of the row and principal it takes the values the caller decided but the tenant columns,
/// which it reads.
pub fn create_if_new(i: &IdentityRow, p: &NewPrincipal) -> Result<Statement, sqlx::Error> {
    const SQL: &str = "insert into user_assigned_identities (subscription_id, resource_group_key, name, name_key, location, tags,
            tenant_id, principal_id, client_id, isolation_scope, created_at, created_by, created_by_type,
            modified_at, modified_by, modified_by_type)
        select s.id, g.name_key, ?3, ?4, ?5, ?6, s.tenant_id, ?7, ?8, ?9, ?10, ?11, ?12, ?10, ?13, ?14
        from subscriptions s join resource_groups g on g.subscription_id = s.id and g.name_key = ?2
        where s.id = ?1
        on conflict do nothing;
        insert into service_principals (object_id, app_id, tenant_id, display_name, kind, created_at)
        select i.principal_id, i.client_id, i.tenant_id, ?15, ?16, ?10
        from user_assigned_identities i
        where changes() = 1 and i.subscription_id = ?1 and i.resource_group_key = ?2 and i.name_key = ?4
        returning tenant_id, (select name from resource_groups where subscription_id = ?1 and name_key = ?2) as resource_group;";
    let mut args = SqliteArguments::default();
    // Owned values: the statement outlives the request that built it.
    macro_rules! bind {
        ($($value:expr),* $(,)?) => { $( args.add($value).map_err(sqlx::Error::Encode)?; )* };
    }
    bind!(
        i.subscription_id,           // 1
        name_key(&i.resource_group), // 2
        i.name.clone(),              // 3
        name_key(&i.name),           // 4
        i.location.clone(),          // 5
        i.tags.clone(),              // 6
        i.principal_id.clone(),      // 7
        i.client_id.clone(),         // 8
        i.isolation_scope.clone(),   // 9
        i.created_at.clone(),        // 10
        i.created_by.clone(),        // 11
        i.created_by_type.clone(),   // 12
        i.modified_by.clone(),       // 13
        i.modified_by_type.clone(),  // 14
        p.display_name.clone(),      // 15
        p.kind.as_str(),             // 16
    );
    Ok(Statement { sql: SQL, args })
}

/// What [`create_if_new`] answered: `Some((tenant, group display name))` when both rows were
/// written, `None` when nothing was.
pub fn created(rows: &[SqliteRow]) -> Result<Option<(String, String)>, sqlx::Error> {
    match rows.first() {
        Some(row) => Ok(Some((
            row.try_get("tenant_id")?,
            row.try_get("resource_group")?,
        ))),
        None => Ok(None),
    }
}

/// Writes the mutable parts: tags, isolation scope, last-modified data.
pub async fn update(conn: &mut SqliteConnection, i: &IdentityRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update user_assigned_identities set tags = ?4, isolation_scope = ?5, modified_at = ?6, modified_by = ?7, modified_by_type = ?8
         where subscription_id = ?1 and resource_group_key = ?2 and name_key = ?3",
    )
    .bind(i.subscription_id)
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
