//! Template deployments: one row per (subscription, group or '', name), its answer's
//! properties and per-resource operations as JSON (they are read and written whole).
use serde_json::Value;
use sqlx::types::Json;
use sqlx::SqliteConnection;

/// Where a deployment lives: its subscription, its group's key ('' at subscription scope) and
/// its name's key.
#[derive(Debug, Clone, Copy)]
pub struct Key<'a> {
    pub subscription: &'a str,
    pub group: &'a str,
    pub name: &'a str,
}

impl<'a> From<(&'a str, &'a str, &'a str)> for Key<'a> {
    fn from((subscription, group, name): (&'a str, &'a str, &'a str)) -> Self {
        Self {
            subscription,
            group,
            name,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeploymentRow {
    pub name: String,
    pub location: Option<String>,
    pub tags: Json<Value>,
    pub state: String,
    pub run_id: String,
    pub template: Json<Value>,
    pub properties: Json<Value>,
    pub operations: Json<Value>,
    pub started_at: String,
    pub ended_at: Option<String>,
}

const COLUMNS: &str =
    "name, location, tags, state, run_id, template, properties, operations, started_at, ended_at";

pub async fn get(
    conn: &mut SqliteConnection,
    k: Key<'_>,
) -> Result<Option<DeploymentRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from deployments
         where subscription_id = ?1 and resource_group_key = ?2 and name_key = ?3"
    ))
    .bind(k.subscription)
    .bind(k.group)
    .bind(k.name)
    .fetch_optional(conn)
    .await
}

/// A page of a scope's deployments in name order, after the name key `after`, optionally in
/// one provisioning state (any case).
pub async fn list_page(
    conn: &mut SqliteConnection,
    (subscription, group): (&str, &str),
    state: Option<&str>,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, DeploymentRow)>, sqlx::Error> {
    sqlx::query_as::<_, KeyedRow>(&format!(
        "select name_key, {COLUMNS} from deployments
         where subscription_id = ?1 and resource_group_key = ?2 and name_key > ?3
           and (?4 is null or state = ?4 collate nocase)
         order by name_key limit ?5"
    ))
    .bind(subscription)
    .bind(group)
    .bind(after)
    .bind(state)
    .bind(limit)
    .fetch_all(conn)
    .await
    .map(|rows| rows.into_iter().map(|r| (r.name_key, r.row)).collect())
}

#[derive(sqlx::FromRow)]
struct KeyedRow {
    name_key: String,
    #[sqlx(flatten)]
    row: DeploymentRow,
}

/// Writes a deployment as it starts (a new one, or a new run of an existing one), unless the
/// one there is still running: then `false` and nothing changes.
pub async fn start(
    conn: &mut SqliteConnection,
    k: Key<'_>,
    row: &DeploymentRow,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into deployments (subscription_id, resource_group_key, name_key, name, location,
             tags, state, run_id, template, properties, operations, started_at, ended_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
         on conflict (subscription_id, resource_group_key, name_key) do update set
             name = excluded.name, location = excluded.location, tags = excluded.tags,
             state = excluded.state, run_id = excluded.run_id, template = excluded.template,
             properties = excluded.properties, operations = excluded.operations,
             started_at = excluded.started_at, ended_at = excluded.ended_at
         where deployments.state not in ('Accepted', 'Running')",
    )
    .bind(k.subscription)
    .bind(k.group)
    .bind(k.name)
    .bind(&row.name)
    .bind(&row.location)
    .bind(&row.tags)
    .bind(&row.state)
    .bind(&row.run_id)
    .bind(&row.template)
    .bind(&row.properties)
    .bind(&row.operations)
    .bind(&row.started_at)
    .bind(&row.ended_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records progress or the end of a run (only of the run `run_id`: a later PUT has replaced an
/// older one).
pub async fn update(
    conn: &mut SqliteConnection,
    k: Key<'_>,
    run_id: &str,
    (state, properties, operations): (&str, &Value, &Value),
    ended_at: Option<&str>,
) -> Result<(), sqlx::Error> {
    let sql = "update deployments set state = ?5, properties = ?6, operations = ?7, ended_at = ?8
               where subscription_id = ?1 and resource_group_key = ?2 and name_key = ?3 and run_id = ?4";
    super::bind_key(
        sqlx::query(sql),
        &[k.subscription, k.group, k.name, run_id, state],
    )
    .bind(Json(properties))
    .bind(Json(operations))
    .bind(ended_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a run's progress: its state alone (only of the run `run_id`).
pub async fn set_state(
    conn: &mut SqliteConnection,
    k: Key<'_>,
    run_id: &str,
    state: &str,
) -> Result<(), sqlx::Error> {
    let sql = "update deployments set state = ?5
               where subscription_id = ?1 and resource_group_key = ?2 and name_key = ?3 and run_id = ?4";
    super::bind_key(
        sqlx::query(sql),
        &[k.subscription, k.group, k.name, run_id, state],
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes a deployment unless it is running; `None` when there is none.
pub async fn delete(conn: &mut SqliteConnection, k: Key<'_>) -> Result<Option<bool>, sqlx::Error> {
    let state: Option<String> = sqlx::query_scalar(
        "select state from deployments
         where subscription_id = ?1 and resource_group_key = ?2 and name_key = ?3",
    )
    .bind(k.subscription)
    .bind(k.group)
    .bind(k.name)
    .fetch_optional(&mut *conn)
    .await?;
    match state.as_deref() {
        None => Ok(None),
        Some("Accepted" | "Running") => Ok(Some(false)),
        Some(_) => {
            sqlx::query(
                "delete from deployments
                 where subscription_id = ?1 and resource_group_key = ?2 and name_key = ?3",
            )
            .bind(k.subscription)
            .bind(k.group)
            .bind(k.name)
            .execute(conn)
            .await?;
            Ok(Some(true))
        }
    }
}

/// Ends, as Failed with `error`, every run that was going when mi-sim stopped: nothing will
/// finish it. Returns how many.
pub async fn fail_interrupted(
    conn: &mut SqliteConnection,
    error: &Value,
    now: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update deployments set state = 'Failed', ended_at = ?2,
             properties = json_set(properties, '$.error', json(?1))
         where state in ('Accepted', 'Running')",
    )
    .bind(Json(error))
    .bind(now)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
