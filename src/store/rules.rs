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
