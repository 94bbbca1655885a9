//! The one writer: a task that owns the write connection and runs every write operation, in
//! arrival order, with group commit.
//!
//! Why a task and not a pool of writer connections: a request's future can be dropped at any
//! await (the client resets its connection), and a transaction driven from that future would
//! stop halfway and stay open on a pooled connection, wedging every later write. Here the
//! request only sends its operation and awaits the answer; dropping it drops the answer, never
//! the transaction. Why group commit: SQLite runs one write transaction at a time, and the
//! cost of a small write is mostly the commit. The writer takes every operation queued behind
//! the first (up to [`MAX_BATCH`]), runs each inside its own savepoint, so one operation's
//! failure rolls back only its own changes, commits them together, and only then answers each.
//! From an operation's side it is still one transaction: all of it or none of it, durable once
//! answered.
use futures_util::FutureExt;
use sqlx::{SqliteConnection, SqlitePool};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use tokio::sync::{mpsc, oneshot};

/// Operations committed together at most (bounds the latency one commit adds to the first).
const MAX_BATCH: usize = 256;
/// Operations waiting for the writer at most; senders wait beyond that (backpressure).
const QUEUE: usize = 4096;

/// The future a write operation returns, borrowing the writer's connection.
pub type WriteFuture<'c, T> = Pin<Box<dyn Future<Output = T> + Send + 'c>>;

/// Hands an operation's result to its caller once the commit's fate is known.
type Deliver = Box<dyn FnOnce(Result<(), &sqlx::Error>) + Send>;

/// An operation, type-erased: runs on the connection, says whether it succeeded (its savepoint
/// is kept or rolled back) and how to answer.
type Job =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, (bool, Deliver)> + Send>;

/// The sending side; cheap to clone.
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on `pool` (a pool nobody else writes through).
    pub fn start(pool: SqlitePool) -> Self {
        let (jobs, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(pool, rx));
        Self { jobs }
    }

    /// Runs `op` as one transaction and answers once it is committed. An `Err` from `op` rolls
    /// back everything it wrote. Whether or not the caller waits for the answer, `op` runs to
    /// its end.
    pub async fn write<T, E, F>(&self, op: F) -> Result<T, E>
    where
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, Result<T, E>>
            + Send
            + 'static,
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            Box::pin(async move {
                // A panic in an operation fails that operation, not the writer.
                let result = AssertUnwindSafe(op(conn))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Err(E::from(gone("the write operation panicked"))));
                let ok = result.is_ok();
                let deliver: Deliver = Box::new(move |commit| {
                    let _ = answer.send(match commit {
                        Ok(()) => result,
                        Err(e) => Err(E::from(gone(&format!("the commit failed: {e}")))),
                    });
                });
                (ok, deliver)
            })
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| E::from(gone("the writer has stopped")))?;
        answered
            .await
            .unwrap_or_else(|_| Err(E::from(gone("the write was not committed"))))
    }
}

fn gone(why: &str) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(why.to_string()))
}

async fn run(pool: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        match pool.acquire().await {
            Ok(mut conn) => commit_batch(&mut conn, std::mem::take(&mut batch)).await,
            Err(e) => {
                // Dropping a job drops its answer: each caller hears its write did not happen.
                tracing::error!(error = %e, operations = batch.len(), "the writer has no connection");
                batch.clear();
            }
        }
    }
}

/// One transaction over the batch: `BEGIN IMMEDIATE`, a savepoint per operation, `COMMIT`.
/// Transaction control goes with the neighbouring savepoint statements: one round trip to the
/// connection's thread between two operations.
fn commit_batch(conn: &mut SqliteConnection, jobs: Vec<Job>) -> WriteFuture<'_, ()> {
    // Boxed as `Send` here, where the lifetimes are concrete: the compiler cannot prove the
    // spawned loop `Send` through the higher-ranked job type otherwise.
    Box::pin(commit(conn, jobs))
}

async fn commit(conn: &mut SqliteConnection, jobs: Vec<Job>) {
    let mut answers: Vec<Deliver> = Vec::new();
    let mut next = "begin immediate; savepoint op;";
    let mut outcome = Ok(());
    for job in jobs {
        if let Err(e) = exec(conn, next).await {
            // The transaction is lost; the jobs not run yet are dropped, which answers them.
            outcome = Err(e);
            break;
        }
        let (ok, deliver) = job(&mut *conn).await;
        answers.push(deliver);
        next = if ok {
            "release op; savepoint op;"
        } else {
            "rollback to op; release op; savepoint op;"
        };
    }
    if outcome.is_ok() {
        let finish = next.replace("savepoint op;", "commit;");
        outcome = exec(conn, &finish).await;
    }
    if let Err(e) = &outcome {
        tracing::error!(error = %e, operations = answers.len(), "a write batch was not committed");
        let _ = exec(conn, "rollback").await;
    }
    for deliver in answers {
        deliver(outcome.as_ref().map(|_| ()));
    }
}

/// Transaction control, unprepared. Boxed for the same reason as `commit_batch`.
fn exec<'a>(
    conn: &'a mut SqliteConnection,
    sql: &'a str,
) -> WriteFuture<'a, Result<(), sqlx::Error>> {
    Box::pin(async move { sqlx::query(sql).execute(conn).await.map(|_| ()) })
}
