//! Long-running operations (group deletes, moves, provider operations) and their polls.
use serde_json::Value;
use sqlx::types::Json;
use sqlx::SqliteConnection;

/// How an operation ends, beyond "done on the second poll".
#[derive(Debug, Clone, Default)]
pub struct Ending {
    /// Not done before the clock passes this (RFC 3339): a move that takes time.
    pub done_at: Option<String>,
    /// ARM's error object when the operation fails.
    pub error: Option<Value>,
    /// The answer the last poll gives (a template export).
    pub result: Option<Value>,
}

pub async fn insert(
    conn: &mut SqliteConnection,
    id: &str,
    subscription: &str,
    kind: &str,
    now: &str,
    ending: Ending,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into operations (id, subscription_id, kind, created_at, done_at, error, result)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(id)
    .bind(subscription)
    .bind(kind)
    .bind(now)
    .bind(ending.done_at)
    .bind(ending.error.map(Json))
    .bind(ending.result.map(Json))
    .execute(conn)
    .await?;
    Ok(())
}

/// What one poll of an operation finds.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Polled {
    pub kind: String,
    pub created_at: String,
    /// Set once the operation is done: the first poll always reports it running (so every
    /// client walks ARM's real 202-then-result path), and one with `done_at` runs until then.
    pub ended_at: Option<String>,
    pub error: Option<Json<Value>>,
    pub result: Option<Json<Value>>,
}

/// One poll of an operation; `None` for an unknown one.
pub async fn record_poll(
    conn: &mut SqliteConnection,
    subscription: &str,
    id: &str,
    now: &str,
) -> Result<Option<Polled>, sqlx::Error> {
    sqlx::query_as(
        "update operations set polls = polls + 1,
                ended_at = case when polls >= 1 and (done_at is null or done_at <= ?3)
                                then coalesce(ended_at, ?3) end
         where subscription_id = ?1 and id = ?2
         returning kind, created_at, ended_at, error, result",
    )
    .bind(subscription)
    .bind(id)
    .bind(now)
    .fetch_optional(conn)
    .await
}
