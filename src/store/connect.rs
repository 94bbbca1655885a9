//! SQLite is configured here and nowhere else: WAL, foreign keys, busy timeout, migrations.
use super::Store;
use crate::settings::Database;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// Writer connections. SQLite still runs one write at a time; several connections let the
/// hand-offs to their worker threads (sqlx runs each connection on its own thread) overlap
/// with another connection's write. Measured: 0.71x the bare program's create rate with one,
/// 0.82x with four (`../shared/bench/compare.sh`).
const WRITERS: u32 = 4;

/// Opens (creating if missing) and migrates the database.
pub async fn connect(database: &Database) -> Result<Store, sqlx::Error> {
    let options = SqliteConnectOptions::new()
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .create_if_missing(true);
    let store = match database {
        Database::File(path) => {
            // WAL + synchronous=NORMAL: a commit survives the process being killed; readers
            // never wait for the writer.
            let options = options
                .filename(path)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            let write = pool(WRITERS).connect_with(options.clone()).await?;
            sqlx::migrate!().run(&write).await?;
            let read = pool(4).connect_with(options.read_only(true)).await?;
            Store { write, read }
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
                write: pool.clone(),
                read: pool,
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
