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

/// One poll of an operation: how many polls came before it, when the operation started, and
/// when it ended (`now` on the first poll after the first, which reports it done; the same
/// afterwards). `None` for an unknown operation.
pub async fn record_poll(
    conn: &mut SqliteConnection,
    subscription: &str,
    id: &str,
    now: &str,
) -> Result<Option<(i64, String, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "update operations set polls = polls + 1,
                ended_at = case when polls >= 1 then coalesce(ended_at, ?3) end
         where subscription_id = ?1 and id = ?2
         returning polls - 1, created_at, ended_at",
    )
    .bind(subscription)
    .bind(id)
    .bind(now)
    .fetch_optional(conn)
    .await
}
