//! SQLite is configured here and nowhere else: WAL, foreign keys, busy timeout, migrations.
use super::writer::{Connection, Writer};
use super::Store;
use crate::settings::Database;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// WAL pages (4 KiB each) after which the writer's commit checkpoints and the WAL starts over:
/// the WAL file stays within about 64 MiB. With the checkpoint thread alone it never started
/// over under steady writes and reads (700 MB in 10 s of creates); at 16 MiB the restarts cost
/// a tenth of the create rate, at 64 MiB none measurable.
const WAL_RESTART_PAGES: u32 = 16384;

/// Opens (creating if missing) and migrates the database.
pub async fn connect(database: &Database) -> Result<Store, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .create_if_missing(true);
    let store = match database {
        Database::File(path) => {
            owner_only(path).map_err(sqlx::Error::Io)?;
            // WAL + synchronous=NORMAL: a commit survives the process being killed; readers
            // never wait for the writer.
            let options = options
                .filename(path)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            // One connection, owned by the writer task (`store::writer`). It leaves the
            // copying to the checkpoint thread (`store::checkpoints`), and checkpoints itself
            // only once the WAL holds WAL_RESTART_PAGES: by then nearly all is copied, and only
            // a checkpoint that ends between two of its own commits lets it start the WAL over.
            let write = pool(1)
                .connect_with(
                    options
                        .clone()
                        .pragma("wal_autocheckpoint", WAL_RESTART_PAGES.to_string()),
                )
                .await?;
            sqlx::migrate!().run(&write).await?;
            let read = pool(4)
                .connect_with(options.clone().read_only(true))
                .await?;
            Store {
                writer: Writer::start(write, Connection::Own).map_err(sqlx::Error::Io)?,
                read,
                _checkpoints: Some(super::checkpoints::start(options).map_err(sqlx::Error::Io)?),
            }
        }
        Database::Memory => {
            // One connection is the whole in-memory database; readers share it.
            let pool = pool(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true))
                .await?;
            sqlx::migrate!().run(&pool).await?;
            Store {
                writer: Writer::start(pool.clone(), Connection::Shared).map_err(sqlx::Error::Io)?,
                read: pool,
                _checkpoints: None,
            }
        }
    };
    Ok(store)
}

/// Pool settings every pool shares. No ping before each acquire: a local SQLite connection has
/// nothing to check, and each ping is a round trip to the connection's worker thread.
fn pool(max_connections: u32) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max_connections)
        .test_before_acquire(false)
}

/// The database holds private keys (the CA, TLS and token-signing keys): it and its `-wal` and
/// `-shm` files are readable by their owner only. SQLite gives the two side files the mode of
/// the database file, so creating that one 0600 covers the others; files an older mi-sim left
/// 0644 are narrowed here.
fn owner_only(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            match std::fs::set_permissions(&side, std::fs::Permissions::from_mode(0o600)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
