//! Faults armed through `/simulator/faults` (`domain::faults`): a kind, a target (a resource id
//! or tenant id in key form, or a path pattern), how many more times it fires (null: until
//! cleared), a seeded probability, a delay and a `Retry-After`.
use sqlx::SqliteConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FaultRow {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub remaining: Option<i64>,
    pub probability: Option<f64>,
    pub seed: i64,
    pub seen: i64,
    pub delay_ms: Option<i64>,
    pub retry_after: Option<i64>,
    pub created_at: String,
}

const COLUMNS: &str =
    "id, kind, target, remaining, probability, seed, seen, delay_ms, retry_after, created_at";

pub async fn insert(conn: &mut SqliteConnection, f: &FaultRow) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "insert into faults ({COLUMNS}) values (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))
    .bind(&f.id)
    .bind(&f.kind)
    .bind(&f.target)
    .bind(f.remaining)
    .bind(f.probability)
    .bind(f.seed)
    .bind(f.seen)
    .bind(f.delay_ms)
    .bind(f.retry_after)
    .bind(&f.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Changes what a fault does (not its kind or target).
pub async fn update(conn: &mut SqliteConnection, f: &FaultRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update faults set remaining = ?2, probability = ?3, seed = ?4, delay_ms = ?5, retry_after = ?6
         where id = ?1",
    )
    .bind(&f.id)
    .bind(f.remaining)
    .bind(f.probability)
    .bind(f.seed)
    .bind(f.delay_ms)
    .bind(f.retry_after)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn count(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from faults")
        .fetch_one(conn)
        .await
}

pub async fn get(conn: &mut SqliteConnection, id: &str) -> Result<Option<FaultRow>, sqlx::Error> {
    sqlx::query_as(&format!("select {COLUMNS} from faults where id = ?1"))
        .bind(id)
        .fetch_optional(conn)
        .await
}

/// The armed faults, oldest first.
pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<FaultRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from faults order by created_at, id"
    ))
    .fetch_all(conn)
    .await
}

/// The armed faults of one kind, oldest first.
pub async fn of_kind(
    conn: &mut SqliteConnection,
    kind: &str,
) -> Result<Vec<FaultRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from faults where kind = ?1 order by created_at, id"
    ))
    .bind(kind)
    .fetch_all(conn)
    .await
}

/// The kinds armed now.
pub async fn kinds(conn: &mut SqliteConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("select distinct kind from faults")
        .fetch_all(conn)
        .await
}

/// Clears one fault (false: there was none), or every one.
pub async fn delete(conn: &mut SqliteConnection, id: Option<&str>) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from faults where ?1 is null or id = ?1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Records that a fault was asked about (`seen` + 1) and, when it fired, one firing fewer;
/// a spent fault goes.
pub async fn record(conn: &mut SqliteConnection, id: &str, fired: bool) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update faults set seen = seen + 1,
             remaining = case when ?2 and remaining is not null then remaining - 1 else remaining end
         where id = ?1",
    )
    .bind(id)
    .bind(fired)
    .execute(&mut *conn)
    .await?;
    sqlx::query("delete from faults where id = ?1 and remaining <= 0")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
