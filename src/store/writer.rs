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
//!
//! Each statement is a round trip to the connection's own thread (sqlx runs SQLite there), and
//! on a busy machine the round trip, not SQLite, is most of a small write's cost. So an
//! operation may hand the writer its first statement batch as data ([`Statement`]): the writer
//! sends it in the same round trip as the savepoint statements around it, which makes an
//! identity create one round trip instead of two.
use futures_util::FutureExt;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};
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

/// A write operation: `move |tx| Box::pin(async move { ... })`, run on the writer's
/// connection. Named once so the methods that take one (here and on `Store`) say so briefly.
pub trait WriteOp<T>:
    for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, T> + Send + 'static
{
}
impl<T, F> WriteOp<T> for F where
    F: for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, T> + Send + 'static
{
}

/// The rest of an operation that began with a [`Statement`], given the statement's rows.
pub trait ThenOp<T>:
    for<'c> FnOnce(
        &'c mut SqliteConnection,
        Result<Vec<SqliteRow>, sqlx::Error>,
    ) -> WriteFuture<'c, T>
    + Send
    + 'static
{
}
impl<T, F> ThenOp<T> for F where
    F: for<'c> FnOnce(
            &'c mut SqliteConnection,
            Result<Vec<SqliteRow>, sqlx::Error>,
        ) -> WriteFuture<'c, T>
        + Send
        + 'static
{
}

/// Hands an operation's result to its caller once the commit's fate is known.
type Deliver = Box<dyn FnOnce(Result<(), &sqlx::Error>) + Send>;

/// An operation, type-erased: runs on the connection, says whether it succeeded (its savepoint
/// is kept or rolled back) and how to answer.
type RunJob =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, (bool, Deliver)> + Send>;

/// The rest of an operation that began with a [`Statement`]: it gets the statement's rows.
type ThenJob = Box<
    dyn for<'c> FnOnce(
            &'c mut SqliteConnection,
            Result<Vec<SqliteRow>, sqlx::Error>,
        ) -> WriteFuture<'c, (bool, Deliver)>
        + Send,
>;

enum Job {
    Run(RunJob),
    Prepared(Statement, ThenJob),
}

/// An operation's first statement batch, as data: SQL with numbered parameters (`?1`...) and
/// their values. The writer prefixes its own transaction control, so the SQL must not hold any.
pub struct Statement {
    pub sql: &'static str,
    pub args: SqliteArguments<'static>,
}

/// What the writer is asked to do.
enum Message {
    Write(Job),
    /// Fold the WAL into the database file, outside any transaction (at shutdown).
    Checkpoint(oneshot::Sender<Result<(), sqlx::Error>>),
    /// Run on the connection outside any batch transaction (a snapshot restore: `ATTACH`
    /// cannot run inside one). The job answers for itself.
    Exclusive(ExclusiveJob),
}

type ExclusiveJob = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> WriteFuture<'c, ()> + Send>;

/// The sending side; cheap to clone.
#[derive(Debug, Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Message>,
}

/// Whether the writer's pool is the database's only connection (`:memory:`), which readers
/// share: then the writer takes it for each batch and gives it back; otherwise it keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    Own,
    Shared,
}

impl Writer {
    /// Starts the writer on `pool` (a pool nobody else writes through), on a thread of its own
    /// with a single-threaded runtime: the writer is one sequential loop, and a work-stealing
    /// runtime only adds wake-ups between its threads (measured: a third of a create's CPU).
    pub fn start(pool: SqlitePool, connection: Connection) -> std::io::Result<Self> {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("mi-sim-writer".into())
            .spawn(move || runtime.block_on(run(pool, connection, rx)))?;
        Ok(Self { jobs })
    }

    /// Folds the WAL into the database file, after the writes queued before it.
    pub async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        let (answer, answered) = oneshot::channel();
        self.jobs
            .send(Message::Checkpoint(answer))
            .await
            .map_err(|_| gone("the writer has stopped"))?;
        answered
            .await
            .unwrap_or_else(|_| Err(gone("the writer has stopped")))
    }

    /// Runs `op` on the writer's connection after the writes queued before it, outside any
    /// transaction: `op` manages its own. Nothing else writes meanwhile.
    pub async fn exclusive<T: Send + 'static>(
        &self,
        op: impl WriteOp<Result<T, sqlx::Error>>,
    ) -> Result<T, sqlx::Error> {
        let (answer, answered) = oneshot::channel();
        let job: ExclusiveJob = Box::new(move |conn| {
            Box::pin(async move {
                let _ = answer.send(op(conn).await);
            })
        });
        self.jobs
            .send(Message::Exclusive(job))
            .await
            .map_err(|_| gone("the writer has stopped"))?;
        answered
            .await
            .unwrap_or_else(|_| Err(gone("the writer has stopped")))
    }

    /// Runs `op` as one transaction and answers once it is committed. An `Err` from `op` rolls
    /// back everything it wrote. Whether or not the caller waits for the answer, `op` runs to
    /// its end.
    pub async fn write<T, E>(&self, op: impl WriteOp<Result<T, E>>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job = Job::Run(Box::new(move |conn| {
            Box::pin(async move { settle(AssertUnwindSafe(op(conn)).catch_unwind().await, answer) })
        }));
        self.send(job, answered).await
    }

    /// As [`Writer::write`], for an operation that begins with `statement`: the writer sends it
    /// with its own transaction control in one round trip, and `then` goes on from its rows (or
    /// its error) on the same connection, inside the same savepoint. Given an error, `then`
    /// fails too: the statements before the failing one stay written until the savepoint is
    /// rolled back.
    pub async fn write_with<T, E>(
        &self,
        statement: Statement,
        then: impl ThenOp<Result<T, E>>,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let then: ThenJob = Box::new(move |conn, rows| {
            Box::pin(async move {
                settle(
                    AssertUnwindSafe(then(conn, rows)).catch_unwind().await,
                    answer,
                )
            })
        });
        self.send(Job::Prepared(statement, then), answered).await
    }

    async fn send<T, E: From<sqlx::Error>>(
        &self,
        job: Job,
        answered: oneshot::Receiver<Result<T, E>>,
    ) -> Result<T, E> {
        self.jobs
            .send(Message::Write(job))
            .await
            .map_err(|_| E::from(gone("the writer has stopped")))?;
        answered
            .await
            .unwrap_or_else(|_| Err(E::from(gone("the write was not committed"))))
    }
}

/// An operation's result (a panic fails that operation, not the writer), and how to answer it
/// once the commit's fate is known.
fn settle<T: Send + 'static, E: From<sqlx::Error> + Send + 'static>(
    result: std::thread::Result<Result<T, E>>,
    answer: oneshot::Sender<Result<T, E>>,
) -> (bool, Deliver) {
    let result = result.unwrap_or_else(|_| Err(E::from(gone("the write operation panicked"))));
    let ok = result.is_ok();
    let deliver: Deliver = Box::new(move |commit| {
        let _ = answer.send(match commit {
            Ok(()) => result,
            Err(e) => Err(E::from(gone(&format!("the commit failed: {e}")))),
        });
    });
    (ok, deliver)
}

fn gone(why: &str) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(why.to_string()))
}

async fn run(pool: SqlitePool, connection: Connection, mut rx: mpsc::Receiver<Message>) {
    let mut messages = Vec::with_capacity(MAX_BATCH);
    let mut held: Option<PoolConnection<Sqlite>> = None;
    while rx.recv_many(&mut messages, MAX_BATCH).await > 0 {
        let mut conn = match held.take() {
            Some(c) => c,
            None => match pool.acquire().await {
                Ok(c) => c,
                Err(e) => {
                    // Dropping a job drops its answer: each caller hears its write did not happen.
                    tracing::error!(error = %e, operations = messages.len(), "the writer has no connection");
                    messages.clear();
                    continue;
                }
            },
        };
        let mut batch = Vec::with_capacity(messages.len());
        for message in messages.drain(..) {
            match message {
                Message::Write(job) => batch.push(job),
                Message::Checkpoint(answer) => {
                    commit_batch(&mut conn, std::mem::take(&mut batch)).await;
                    let done = exec(&mut conn, "pragma wal_checkpoint(truncate)").await;
                    let _ = answer.send(done);
                }
                Message::Exclusive(job) => {
                    commit_batch(&mut conn, std::mem::take(&mut batch)).await;
                    job(&mut conn).await;
                }
            }
        }
        commit_batch(&mut conn, batch).await;
        if connection == Connection::Own {
            held = Some(conn);
        }
    }
}

/// One transaction over the batch: `BEGIN IMMEDIATE`, a savepoint per operation, `COMMIT`.
/// Transaction control goes with the neighbouring savepoint statements: one round trip to the
/// connection's thread between two operations.
async fn commit_batch(conn: &mut SqliteConnection, jobs: Vec<Job>) {
    if jobs.is_empty() {
        return;
    }
    // An operation alone in its batch needs no savepoint: the transaction is its own.
    let alone = jobs.len() == 1;
    let mut answers: Vec<Deliver> = Vec::new();
    let mut next = if alone {
        "begin immediate;"
    } else {
        "begin immediate; savepoint op;"
    };
    let mut outcome = Ok(());
    for job in jobs {
        let (ok, deliver) = match job {
            Job::Run(run) => {
                if let Err(e) = exec(conn, next).await {
                    // The transaction is lost; the jobs not run yet are dropped, which answers
                    // them.
                    outcome = Err(e);
                    break;
                }
                run(&mut *conn).await
            }
            Job::Prepared(statement, then) => {
                // Should the transaction control fail, the operation's statements do not run;
                // it hears the error, and the rollback to its savepoint then fails too, which
                // loses the batch as above.
                let sql = format!("{next} {}", statement.sql);
                let rows = sqlx::query_with(&sql, statement.args)
                    .fetch_all(&mut *conn)
                    .await;
                then(&mut *conn, rows).await
            }
        };
        answers.push(deliver);
        next = match (ok, alone) {
            (true, true) => "commit;",
            // It failed alone: nothing of it stays, and its own error is its answer.
            (false, true) => "rollback;",
            (true, false) => "release op; savepoint op;",
            (false, false) => "rollback to op; release op; savepoint op;",
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

/// Transaction control.
async fn exec(conn: &mut SqliteConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(conn).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::Statement;
    use crate::settings::Database;
    use crate::store::connect::connect;
    use crate::store::Store;
    use sqlx::Arguments;

    /// An in-memory store with a table `scratch (x integer check (x >= 0))`.
    async fn scratch() -> Store {
        let store = connect(&Database::Memory).await.unwrap();
        store
            .write(|tx| {
                Box::pin(async move {
                    sqlx::query("create table scratch (x integer check (x >= 0))")
                        .execute(tx)
                        .await?;
                    Ok::<_, sqlx::Error>(())
                })
            })
            .await
            .unwrap();
        store
    }

    async fn kept(store: &Store) -> Vec<i64> {
        sqlx::query_scalar("select x from scratch order by x")
            .fetch_all(&mut *store.read().await.unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_statement_that_fails_halfway_rolls_back_only_its_own_operation() {
        let store = scratch().await;
        // Two inserts each; for the odd ones the second breaks the check after the first went in.
        let writes = (0..64).map(|i: i64| {
            let mut args = sqlx::sqlite::SqliteArguments::default();
            args.add(i).unwrap();
            args.add(if i % 2 == 1 { -1 } else { i }).unwrap();
            let statement = Statement {
                sql: "insert into scratch (x) values (?1); insert into scratch (x) values (?2);",
                args,
            };
            store.write_with(statement, move |_, rows| {
                Box::pin(async move { rows.map(|_| i) })
            })
        });
        let results = futures_util::future::join_all(writes).await;
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i % 2 == 0, "write {i}: {r:?}");
        }
        let even: Vec<i64> = (0..64)
            .filter(|i| i % 2 == 0)
            .flat_map(|i| [i, i])
            .collect();
        assert_eq!(kept(&store).await, even);
    }

    #[tokio::test]
    async fn a_failed_operation_rolls_back_only_itself_and_the_rest_commit_together() {
        let store = scratch().await;
        // Sent together, so they share batches: each writes, the odd ones then fail.
        let writes = (0..64).map(|i: i64| {
            store.write(move |tx| {
                Box::pin(async move {
                    sqlx::query("insert into scratch (x) values (?1)")
                        .bind(i)
                        .execute(&mut *tx)
                        .await?;
                    if i % 2 == 1 {
                        return Err(sqlx::Error::RowNotFound);
                    }
                    Ok(i)
                })
            })
        });
        let results = futures_util::future::join_all(writes).await;
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i % 2 == 0, "write {i}: {r:?}");
        }
        assert_eq!(
            kept(&store).await,
            (0..64).filter(|i| i % 2 == 0).collect::<Vec<_>>()
        );
    }
}
