//! WAL checkpoints off the writer's path. SQLite's automatic checkpoint runs inside the commit
//! that takes the WAL past 1,000 pages, so that commit, and every operation of its batch, waits
//! while pages are copied into the database file (25 of the 70 ms the SQL of a 10,000-resource
//! move takes). Instead, a thread of its own checkpoints every [`INTERVAL`] on a connection of
//! its own (PASSIVE: it never waits for the writer or the readers), and the writer's own
//! checkpoint comes only every 16,384 pages (`connect`), when there is little left to copy; it
//! is the one that lets the WAL start over, as it runs between the writer's commits.
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How often the WAL is folded into the database file. Often enough that the writer's own
/// checkpoint finds little to copy (at 100 ms a 10,000-resource move took 80-126 ms, at 25 ms
/// 82-91 ms); a checkpoint with nothing to copy costs a few microseconds.
const INTERVAL: Duration = Duration::from_millis(25);

/// Stops the checkpoint thread when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    _stop: mpsc::Sender<()>,
}

/// Starts the checkpoint thread on the database `options` open.
pub fn start(options: SqliteConnectOptions) -> std::io::Result<Checkpoints> {
    let (stop, stopped) = mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("mi-sim-checkpoint".into())
        .spawn(move || {
            // Nothing to fold before the first interval; connecting then also stays out of
            // the way of start-up (migrations, TLS keys), which wants both cores.
            if stopped.recv_timeout(INTERVAL) != Err(RecvTimeoutError::Timeout) {
                return;
            }
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "no checkpoint runtime; the WAL is copied by the writer alone");
                    return;
                }
            };
            runtime.block_on(async move {
                let mut conn = match options.connect().await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "no checkpoint connection; the WAL is copied by the writer alone");
                        return;
                    }
                };
                // The sender lives in the store: the thread ends with it.
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(INTERVAL) {
                    if let Err(e) = sqlx::query("pragma wal_checkpoint(passive)")
                        .execute(&mut conn)
                        .await
                    {
                        tracing::debug!(error = %e, "checkpoint skipped");
                    }
                }
                let _ = conn.close().await;
            })
        })?;
    Ok(Checkpoints { _stop: stop })
}
