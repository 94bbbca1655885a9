//! ARM long-running operations (resource group delete) and their polls.
use sqlx::SqliteConnection;

pub async fn insert(
    conn: &mut SqliteConnection,
    id: &str,
    subscription: &str,
    kind: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into operations (id, subscription_id, kind, created_at) values (?1, ?2, ?3, ?4)",
    )
    .bind(id)
    .bind(subscription)
    .bind(kind)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts one poll and returns how many came before it and when the operation started, or
/// `None` for an unknown operation.
pub async fn record_poll(
    conn: &mut SqliteConnection,
    subscription: &str,
    id: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as("update operations set polls = polls + 1 where subscription_id = ?1 and id = ?2 returning polls - 1, created_at")
        .bind(subscription)
        .bind(id)
        .fetch_optional(conn)
        .await
}
