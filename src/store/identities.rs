//! User-assigned identities. Reads join the group for its display name.
use crate::domain::identity::NewPrincipal;
use crate::domain::names::name_key;
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;
use sqlx::{FromRow, Row, SqliteConnection};
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

/// Everything a PUT needs to decide, read in one statement: the tenant the subscription
/// trusts, the group's display name, and the identity if it exists. `None`: no subscription.
#[derive(Debug)]
pub struct PutScope {
    pub subscription_tenant: String,
    pub group_name: Option<String>,
    pub identity: Option<IdentityRow>,
}

pub async fn put_scope(
    conn: &mut SqliteConnection,
    subscription: &str,
    group_key: &str,
    name_key: &str,
) -> Result<Option<PutScope>, sqlx::Error> {
    let row: Option<SqliteRow> = sqlx::query(
        "select s.tenant_id as subscription_tenant, g.name as resource_group, i.subscription_id, i.name, i.location, i.tags,
                i.tenant_id, i.principal_id, i.client_id, i.isolation_scope, i.created_at, i.created_by, i.created_by_type,
                i.modified_at, i.modified_by, i.modified_by_type
         from subscriptions s
         left join resource_groups g on g.subscription_id = s.id and g.name_key = ?2
         left join user_assigned_identities i
                on i.subscription_id = g.subscription_id and i.resource_group_key = g.name_key and i.name_key = ?3
         where s.id = ?1",
    )
    .bind(subscription)
    .bind(group_key)
    .bind(name_key)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let identity = match row.try_get::<Option<String>, _>("principal_id")? {
        Some(_) => Some(IdentityRow::from_row(&row)?),
        None => None,
    };
    Ok(Some(PutScope {
        subscription_tenant: row.try_get("subscription_tenant")?,
        group_name: row.try_get("resource_group")?,
        identity,
    }))
}

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

const INSERT_BOTH: &str = "insert into service_principals (object_id, app_id, tenant_id, display_name, kind, resource_id, created_at)
     select ?7, ?8, ?18, ?19, ?20, ?21, ?10
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
        .bind(&i.subscription_id) // 1
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
        .bind(&p.resource_id) // 21
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

/// The fast path of a create: the same two inserts as one `begin immediate ... commit` batch
/// on the writer connection, one round trip instead of four, so the single writer is held as
/// briefly as possible. The caller decided on a snapshot read; the batch writes nothing unless
/// those facts still hold: the subscription trusts the same tenant (the `where` guards), the
/// name is free (primary key) and the group exists (foreign key). `Ok(false)`: something
/// changed meanwhile, nothing was written, and the caller takes the transactional path.
pub async fn create_if_unchanged(
    conn: &mut SqliteConnection,
    i: &IdentityRow,
    p: &NewPrincipal,
) -> Result<bool, sqlx::Error> {
    let sql = format!("begin immediate; {INSERT_BOTH} commit;");
    // The identity insert's `returning` row says both went in (rows_affected would count the commit).
    match bind_both(&sql, i, p).fetch_all(&mut *conn).await {
        Ok(rows) if !rows.is_empty() => Ok(true),
        outcome => {
            // A batch that stopped part-way leaves its transaction open: close it before the
            // connection goes back to the pool. (With nothing open, rollback merely fails.)
            let _ = sqlx::query("rollback").execute(&mut *conn).await;
            match outcome {
                Err(e) if !super::is_constraint_violation(&e) => Err(e),
                _ => Ok(false),
            }
        }
    }
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
