//! Snapshots of the whole state, with SQLite's own machinery: `VACUUM INTO` writes a consistent
//! copy of the database to a file; a restore attaches that file and replaces every table's rows
//! with its rows in one transaction. Key material (CA, TLS and signing keys) stays the running
//! server's: its TLS listener and token signer hold them.
use sqlx::SqliteConnection;

/// Tables a restore leaves alone.
const KEPT: &[&str] = &["key_material", "_sqlx_migrations"];

/// Writes a consistent copy of the database to `path` (which must not exist). The copy holds
/// the private keys, so it is readable by its owner only: created 0600, and set 0600 again
/// after SQLite wrote it (SQLite opens its target with its default mode). The snapshot folder
/// of a server is 0700 besides.
pub async fn save(conn: &mut SqliteConnection, path: &str) -> Result<(), sqlx::Error> {
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    file.open(path).map_err(sqlx::Error::Io)?;
    let saved = sqlx::query("vacuum into ?1").bind(path).execute(conn).await;
    if saved.is_err() {
        let _ = std::fs::remove_file(path);
    }
    saved?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(sqlx::Error::Io)?;
    }
    Ok(())
}

/// Why a file cannot be restored.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(
        "the snapshot was taken by a mi-sim with schema version {snapshot}; this one has {ours}"
    )]
    Version { snapshot: i64, ours: i64 },
    #[error("the file is not a mi-sim snapshot: {0}")]
    NotASnapshot(sqlx::Error),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// Replaces the state with the snapshot's, in one transaction (on the writer's connection,
/// outside any other transaction: `ATTACH` needs that).
pub async fn restore(conn: &mut SqliteConnection, path: &str) -> Result<(), RestoreError> {
    sqlx::query("attach database ?1 as snap")
        .bind(path)
        .execute(&mut *conn)
        .await?;
    let copied = copy_in(&mut *conn).await;
    if copied.is_err() {
        let _ = sqlx::query("rollback").execute(&mut *conn).await;
    }
    sqlx::query("detach database snap")
        .execute(&mut *conn)
        .await?;
    copied
}

async fn copy_in(conn: &mut SqliteConnection) -> Result<(), RestoreError> {
    let version = "select coalesce(max(version), 0) from {db}._sqlx_migrations";
    let snap_version = version.replace("{db}", "snap");
    let snapshot: i64 = sqlx::query_scalar(&snap_version)
        .fetch_one(&mut *conn)
        .await
        .map_err(RestoreError::NotASnapshot)?;
    let main_version = version.replace("{db}", "main");
    let ours: i64 = sqlx::query_scalar(&main_version)
        .fetch_one(&mut *conn)
        .await?;
    if snapshot != ours {
        return Err(RestoreError::Version { snapshot, ours });
    }
    let tables: Vec<String> = sqlx::query_scalar(
        "select name from main.sqlite_master where type = 'table' and name not like 'sqlite_%'",
    )
    .fetch_all(&mut *conn)
    .await?;
    // Every delete before any insert: a delete cascades to child tables that an earlier insert
    // would already have filled.
    let tables: Vec<String> = tables
        .into_iter()
        .filter(|t| !KEPT.contains(&t.as_str()))
        .collect();
    let mut sql = String::from("begin immediate; pragma defer_foreign_keys = on;");
    for t in &tables {
        sql.push_str(&format!(" delete from main.\"{t}\";"));
    }
    for t in tables {
        let names: Vec<String> = sqlx::query_scalar("select name from pragma_table_info(?1)")
            .bind(t.clone())
            .fetch_all(&mut *conn)
            .await?;
        let mut columns = String::new();
        for c in names {
            if !columns.is_empty() {
                columns.push_str(", ");
            }
            columns.push_str(&format!("\"{c}\""));
        }
        sql.push_str(&format!(
            " insert into main.\"{t}\" ({columns}) select {columns} from snap.\"{t}\";"
        ));
    }
    sql.push_str(" commit;");
    sqlx::query(&sql).execute(&mut *conn).await?;
    Ok(())
}
