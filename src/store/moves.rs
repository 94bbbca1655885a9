//! Moves, set-based: one statement per kind checks which of the named resources exist (or
//! are taken at the target), one moves them. Nothing else is written: principals and a VM's
//! extensions hang off ids a move keeps (migration 0011). The groups a move locks are kept in
//! `group_locks`.
use super::kinds::StoredKind;
use sqlx::SqliteConnection;

/// (subscription, group key) of a group.
pub type GroupKey<'a> = (&'a str, &'a str);

fn names_json(names: &[String]) -> String {
    serde_json::to_string(names).unwrap_or_else(|_| "[]".into())
}

/// Of `names` (name keys), those that exist as `kind` in the group.
pub async fn present(
    conn: &mut SqliteConnection,
    kind: &StoredKind,
    (subscription, group_key): GroupKey<'_>,
    names: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    let sql = format!(
        "select name_key from {t} where subscription_id = ?1 and resource_group_key = ?2 and {sel}
           and name_key in (select value from json_each(?3))",
        t = kind.table,
        sel = kind.selector
    );
    let rows: Vec<(String,)> = sqlx::query_as(&sql)
        .bind(subscription)
        .bind(group_key)
        .bind(names_json(names))
        .fetch_all(conn)
        .await?;
    Ok(rows.into_iter().map(|(n,)| n).collect())
}

/// Moves the named resources of `kind` from one group to another. Returns how many moved.
async fn apply(
    conn: &mut SqliteConnection,
    kind: &StoredKind,
    from: GroupKey<'_>,
    to: GroupKey<'_>,
    names: &[String],
) -> Result<u64, sqlx::Error> {
    let moved = sqlx::query(&format!(
        "update {t} set subscription_id = ?3, resource_group_key = ?4
         where subscription_id = ?1 and resource_group_key = ?2 and {sel}
           and name_key in (select value from json_each(?5))",
        t = kind.table,
        sel = kind.selector
    ))
    .bind(from.0)
    .bind(from.1)
    .bind(to.0)
    .bind(to.1)
    .bind(names_json(names))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(moved)
}

/// Moves every named resource, kind by kind, or nothing: true when each was in the source
/// and its name free at the target. Otherwise what it moved is rolled back (to a savepoint of
/// its own, inside the caller's transaction) and it answers false.
pub async fn apply_all(
    conn: &mut SqliteConnection,
    moves: &[(&StoredKind, &[String])],
    from: GroupKey<'_>,
    to: GroupKey<'_>,
) -> Result<bool, sqlx::Error> {
    sqlx::query("savepoint move_attempt")
        .execute(&mut *conn)
        .await?;
    let mut all = true;
    for (kind, names) in moves {
        match apply(&mut *conn, kind, from, to, names).await {
            Ok(moved) if moved == names.len() as u64 => {}
            Ok(_) => all = false,
            Err(e) if super::is_unique_violation(&e) => all = false,
            Err(e) => return Err(e),
        }
        if !all {
            break;
        }
    }
    let end = if all {
        "release move_attempt"
    } else {
        "rollback to move_attempt; release move_attempt"
    };
    sqlx::query(end).execute(conn).await?;
    Ok(all)
}

/// Locks a group for writes and deletes until `until` (RFC 3339) on behalf of an operation.
pub async fn lock_group(
    conn: &mut SqliteConnection,
    (subscription, group_key): GroupKey<'_>,
    operation: &str,
    until: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into group_locks (subscription_id, resource_group_key, operation_id, until)
         values (?1, ?2, ?3, ?4)",
    )
    .bind(subscription)
    .bind(group_key)
    .bind(operation)
    .bind(until)
    .execute(conn)
    .await?;
    Ok(())
}

/// The locks still held after `now`: (subscription, group key, operation, until).
pub async fn active_locks(
    conn: &mut SqliteConnection,
    now: &str,
) -> Result<Vec<(String, String, String, String)>, sqlx::Error> {
    sqlx::query_as(
        "select subscription_id, resource_group_key, operation_id, until from group_locks
         where until > ?1",
    )
    .bind(now)
    .fetch_all(conn)
    .await
}
