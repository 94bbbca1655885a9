//! Role assignments and custom role definitions. An assignment applies at its scope and every
//! scope below it; scopes are compared in key form (lowercase) by prefix, segment-wise.
use sqlx::SqliteConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AssignmentRow {
    pub name: String,
    pub scope: String,
    pub role_definition_id: String,
    pub principal_id: String,
    pub principal_type: String,
    pub description: Option<String>,
    pub condition: Option<String>,
    pub condition_version: Option<String>,
    pub created_on: String,
    pub updated_on: String,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

pub(super) const COLUMNS: &str =
    "name, scope, role_definition_id, principal_id, principal_type, description, condition,
    condition_version, created_on, updated_on, created_by, updated_by";

/// `scope_key` lies at or below the `?N` scope key.
fn within(column: &str, n: usize) -> String {
    format!("({column} = ?{n} or substr({column}, 1, length(?{n}) + 1) = ?{n} || '/')")
}

pub async fn get(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<Option<AssignmentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from role_assignments where name = ?1"
    ))
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// The name of the assignment of this role to this principal at exactly this scope, if any.
pub async fn find_same(
    conn: &mut SqliteConnection,
    (scope_key, principal, role_key): (&str, &str, &str),
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select name from role_assignments where scope_key = ?1 and principal_id = ?2 and role_key = ?3",
    )
    .bind(scope_key)
    .bind(principal)
    .bind(role_key)
    .fetch_optional(conn)
    .await
}

pub async fn insert(
    conn: &mut SqliteConnection,
    a: &AssignmentRow,
    (scope_key, subscription, role_key): (&str, Option<&str>, &str),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into role_assignments (name, scope, scope_key, subscription_id, role_definition_id, role_key,
             principal_id, principal_type, description, condition, condition_version, created_on, updated_on,
             created_by, updated_by)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .bind(&a.name)
    .bind(&a.scope)
    .bind(scope_key)
    .bind(subscription)
    .bind(&a.role_definition_id)
    .bind(role_key)
    .bind(&a.principal_id)
    .bind(&a.principal_type)
    .bind(&a.description)
    .bind(&a.condition)
    .bind(&a.condition_version)
    .bind(&a.created_on)
    .bind(&a.updated_on)
    .bind(&a.created_by)
    .bind(&a.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}

/// Updates what may change on a re-PUT: the description and the condition.
pub async fn update(conn: &mut SqliteConnection, a: &AssignmentRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update role_assignments set description = ?2, condition = ?3, condition_version = ?4,
             updated_on = ?5, updated_by = ?6 where name = ?1",
    )
    .bind(&a.name)
    .bind(&a.description)
    .bind(&a.condition)
    .bind(&a.condition_version)
    .bind(&a.updated_on)
    .bind(&a.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut SqliteConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from role_assignments where name = ?1")
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// The assignments that apply at a scope (at it or above it) and, unless `at_scope`, those
/// below it too; only one principal's when given. At most `limit`, by name.
pub async fn list_for_scope(
    conn: &mut SqliteConnection,
    scope_key: &str,
    at_scope: bool,
    principal: Option<&str>,
    limit: i64,
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    // Above: the assignment's scope is the requested one or a prefix of it.
    const ABOVE: &str = "(scope_key = '/' or ?1 = scope_key or substr(?1, 1, length(scope_key) + 1) = scope_key || '/')";
    sqlx::query_as(&format!(
        "select {COLUMNS} from role_assignments
         where ({ABOVE} or (?2 = 0 and {below})) and (?3 is null or principal_id = ?3)
         order by name limit ?4",
        below = within("scope_key", 1),
    ))
    .bind(scope_key)
    .bind(at_scope)
    .bind(principal)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Deletes the assignments at or below a scope of a subscription (a deleted group or
/// resource takes its assignments with it), in one statement.
pub async fn delete_within(
    conn: &mut SqliteConnection,
    subscription: &str,
    scope_key: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(&format!(
        "delete from role_assignments where subscription_id = ?2 and {}",
        within("scope_key", 1)
    ))
    .bind(scope_key)
    .bind(subscription)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// R11: a transfer deletes every assignment in the subscription.
pub async fn delete_subscription(
    conn: &mut SqliteConnection,
    subscription: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from role_assignments where subscription_id = ?1")
        .bind(subscription)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

/// How many assignments a subscription holds (Azure allows 4,000).
pub async fn count_in_subscription(
    conn: &mut SqliteConnection,
    subscription: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from role_assignments where subscription_id = ?1")
        .bind(subscription)
        .fetch_one(conn)
        .await
}

/// A custom role definition.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DefinitionRow {
    pub name: String,
    pub scope: String,
    pub role_name: String,
    pub description: String,
    /// `[{"actions", "notActions", "dataActions", "notDataActions"}]` as given.
    pub permissions: sqlx::types::Json<serde_json::Value>,
    pub assignable_scopes: sqlx::types::Json<Vec<String>>,
    pub created_on: String,
    pub updated_on: String,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
}

const DEFINITION_COLUMNS: &str =
    "name, scope, role_name, description, permissions, assignable_scopes,
    created_on, updated_on, created_by, updated_by";

pub async fn get_definition(
    conn: &mut SqliteConnection,
    name: &str,
) -> Result<Option<DefinitionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEFINITION_COLUMNS} from role_definitions where name = ?1"
    ))
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// The custom role with this name (in any case), if any.
pub async fn definition_named(
    conn: &mut SqliteConnection,
    role_name: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select name from role_definitions where lower(role_name) = lower(?1)")
        .bind(role_name)
        .fetch_optional(conn)
        .await
}

/// Every custom role (a tenant holds at most 5,000).
pub async fn list_definitions(
    conn: &mut SqliteConnection,
) -> Result<Vec<DefinitionRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {DEFINITION_COLUMNS} from role_definitions order by role_name limit 5000"
    ))
    .fetch_all(conn)
    .await
}

pub async fn upsert_definition(
    conn: &mut SqliteConnection,
    d: &DefinitionRow,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into role_definitions (name, scope, role_name, description, permissions, assignable_scopes,
             created_on, updated_on, created_by, updated_by)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         on conflict (name) do update set role_name = excluded.role_name,
             description = excluded.description, permissions = excluded.permissions,
             assignable_scopes = excluded.assignable_scopes, updated_on = excluded.updated_on,
             updated_by = excluded.updated_by",
    )
    .bind(&d.name)
    .bind(&d.scope)
    .bind(&d.role_name)
    .bind(&d.description)
    .bind(&d.permissions)
    .bind(&d.assignable_scopes)
    .bind(&d.created_on)
    .bind(&d.updated_on)
    .bind(&d.created_by)
    .bind(&d.updated_by)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete_definition(conn: &mut SqliteConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from role_definitions where name = ?1")
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// How many assignments name a role.
pub async fn assignments_of_role(
    conn: &mut SqliteConnection,
    role_key: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from role_assignments where role_key = ?1")
        .bind(role_key)
        .fetch_one(conn)
        .await
}

/// A principal's assignments with the permissions of their custom roles (null for built-in
/// ones), for the enforce mode's grants.
pub async fn grants_of_principal(
    conn: &mut SqliteConnection,
    principal: &str,
    limit: i64,
) -> Result<Vec<(String, String, Option<sqlx::types::Json<serde_json::Value>>)>, sqlx::Error> {
    sqlx::query_as(
        "select a.scope_key, a.role_key, d.permissions from role_assignments a
         left join role_definitions d on d.name = a.role_key
         where a.principal_id = ?1 limit ?2",
    )
    .bind(principal)
    .bind(limit)
    .fetch_all(conn)
    .await
}
