//! The user's changes to switchable rules; a rule without a row has its default.
use sqlx::SqliteConnection;

/// Every (rule id, enabled) the user set.
pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<(String, bool)>, sqlx::Error> {
    sqlx::query_as("select id, enabled from rule_switches")
        .fetch_all(conn)
        .await
}

/// Runs `sql`, an upsert of the value ?2 under the key ?1.
async fn upsert(
    conn: &mut SqliteConnection,
    sql: &str,
    key: &str,
    value: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(sql).bind(key).bind(value).execute(conn).await?;
    Ok(())
}

pub async fn set(conn: &mut SqliteConnection, id: &str, enabled: bool) -> Result<(), sqlx::Error> {
    let sql = "insert into rule_switches (id, enabled) values (?1, ?2)
               on conflict (id) do update set enabled = excluded.enabled";
    upsert(conn, sql, id, enabled.into()).await
}

/// A simulator setting the user changed (`simulator_settings`), if any.
pub async fn setting(conn: &mut SqliteConnection, name: &str) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select value from simulator_settings where name = ?1")
        .bind(name)
        .fetch_optional(conn)
        .await
}

pub async fn set_setting(
    conn: &mut SqliteConnection,
    name: &str,
    value: i64,
) -> Result<(), sqlx::Error> {
    let sql = "insert into simulator_settings (name, value) values (?1, ?2)
               on conflict (name) do update set value = excluded.value";
    upsert(conn, sql, name, value).await
}
