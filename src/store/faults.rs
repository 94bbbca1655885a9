//! Faults armed through `/simulator/faults`: a kind, a target (a resource id, key form) and
//! how many more times it fires.
use sqlx::SqliteConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FaultRow {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub remaining: i64,
    pub created_at: String,
}

pub async fn insert(conn: &mut SqliteConnection, f: &FaultRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into faults (id, kind, target, remaining, created_at) values (?1, ?2, ?3, ?4, ?5)",
    )
    .bind(&f.id)
    .bind(&f.kind)
    .bind(&f.target)
    .bind(f.remaining)
    .bind(&f.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn count(conn: &mut SqliteConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from faults")
        .fetch_one(conn)
        .await
}

/// The armed faults, oldest first.
pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<FaultRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, kind, target, remaining, created_at from faults order by created_at, id",
    )
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

/// Fires the oldest fault of `kind` on `target` if one is armed: one firing fewer, and the
/// fault goes once spent. True when one fired.
pub async fn fire(
    conn: &mut SqliteConnection,
    kind: &str,
    target: &str,
) -> Result<bool, sqlx::Error> {
    let fired: Option<(String, i64)> = sqlx::query_as(
        "update faults set remaining = remaining - 1
         where id = (select id from faults where kind = ?1 and target = ?2 and remaining > 0
                     order by created_at, id limit 1)
         returning id, remaining",
    )
    .bind(kind)
    .bind(target)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id, 0)) = &fired {
        sqlx::query("delete from faults where id = ?1")
            .bind(id)
            .execute(conn)
            .await?;
    }
    Ok(fired.is_some())
}
