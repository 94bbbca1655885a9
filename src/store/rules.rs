//! The user's changes to switchable rules; a rule without a row has its default.
use sqlx::SqliteConnection;

/// Every (rule id, enabled) the user set.
pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<(String, bool)>, sqlx::Error> {
    sqlx::query_as("select id, enabled from rule_switches")
        .fetch_all(conn)
        .await
}

pub async fn set(conn: &mut SqliteConnection, id: &str, enabled: bool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into rule_switches (id, enabled) values (?1, ?2)
         on conflict (id) do update set enabled = excluded.enabled",
    )
    .bind(id)
    .bind(enabled)
    .execute(conn)
    .await?;
    Ok(())
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
    sqlx::query(
        "insert into simulator_settings (name, value) values (?1, ?2)
         on conflict (name) do update set value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}
