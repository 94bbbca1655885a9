//! All SQL lives here, one file per table family. Functions take `&mut SqliteConnection`
//! (callers pass `&mut *tx`), so an op composes them inside its one transaction.
pub mod applications;
mod checkpoints;
pub mod compute;
pub mod connect;
pub mod deployments;
pub mod extensions;
pub mod faults;
mod guid;
pub mod identities;
pub mod instances;
pub mod key_material;
pub mod kinds;
pub mod moves;
pub mod operations;
pub mod principals;
pub mod resource_groups;
pub mod resources;
pub mod roles;
pub mod rules;
pub mod snapshots;
pub mod subscriptions;
pub mod tenants;
pub mod writer;

use sqlx::pool::PoolConnection;
use sqlx::query::{Query, QueryAs};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{FromRow, Row, Sqlite, SqliteConnection, SqlitePool};
pub use writer::{ThenOp, WriteFuture, WriteOp};

/// Binds `parts` to ?1, ?2, ... in order: most statements here find a row by a key made of
/// text (subscription, group key, type, name key).
fn bind_key<'q>(
    q: Query<'q, Sqlite, SqliteArguments<'q>>,
    parts: &[&'q str],
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    parts.iter().fold(q, |q, p| q.bind(*p))
}

/// `bind_key` for a statement that reads rows of `O`.
fn bind_key_as<'q, O>(
    q: QueryAs<'q, Sqlite, O, SqliteArguments<'q>>,
    parts: &[&'q str],
) -> QueryAs<'q, Sqlite, O, SqliteArguments<'q>> {
    parts.iter().fold(q, |q, p| q.bind(*p))
}

/// What the explorer lists across subscriptions: every group (by subscription and key) and
/// every role assignment (by scope), at most `limit` of each.
pub async fn explorer_lists(
    conn: &mut SqliteConnection,
    limit: i64,
) -> Result<(Vec<resource_groups::GroupRow>, Vec<roles::AssignmentRow>), sqlx::Error> {
    let groups = format!(
        "select {} from resource_groups order by subscription_id, name_key limit ?1",
        resource_groups::COLUMNS
    );
    let assignments = format!(
        "select {} from role_assignments order by scope_key, name limit ?1",
        roles::COLUMNS
    );
    Ok((
        sqlx::query_as(&groups)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await?,
        sqlx::query_as(&assignments)
            .bind(limit)
            .fetch_all(conn)
            .await?,
    ))
}

/// Everything a PUT needs to decide, read in one statement: the tenant the subscription
/// trusts, the group's display name, and the resource if it exists.
#[derive(Debug)]
pub struct PutScope<T> {
    pub subscription_tenant: String,
    pub group_name: Option<String>,
    pub resource: Option<T>,
}

impl<T: for<'r> FromRow<'r, SqliteRow>> PutScope<T> {
    /// Reads it with `sql`, whose parameters are `parts` (see `from_row` for the columns).
    async fn read(
        conn: &mut SqliteConnection,
        sql: &str,
        parts: &[&str],
        (group, probe): (&str, &str),
    ) -> Result<Option<Self>, sqlx::Error> {
        let row = bind_key(sqlx::query(sql), parts)
            .fetch_optional(conn)
            .await?;
        row.map(|row| Self::from_row(&row, group, probe))
            .transpose()
    }

    /// From a subscription's row left-joined to its group (`group`: the column of its name)
    /// and to the resource (`probe`: a column the resource always has).
    fn from_row(row: &SqliteRow, group: &str, probe: &str) -> Result<Self, sqlx::Error> {
        let resource = match row.try_get::<Option<String>, _>(probe)? {
            Some(_) => Some(T::from_row(row)?),
            None => None,
        };
        Ok(Self {
            subscription_tenant: row.try_get("subscription_tenant")?,
            group_name: row.try_get(group)?,
            resource,
        })
    }
}

/// The database: one writer task (`writer`) and a pool of readers. WAL lets readers run beside
/// the writer.
#[derive(Debug, Clone)]
pub struct Store {
    writer: writer::Writer,
    read: SqlitePool,
    /// The checkpoint thread of a database file (`checkpoints`); none in memory.
    _checkpoints: Option<checkpoints::Checkpoints>,
}

impl Store {
    /// Runs a write operation as one transaction on the writer (see `writer`): all of it is
    /// committed before the answer comes, or none of it. Written as
    /// `store.write(move |tx| Box::pin(async move { ... }))`.
    pub async fn write<T, E>(&self, op: impl WriteOp<Result<T, E>>) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        self.writer.write(op).await
    }

    /// A write that begins with `statement`, sent with the writer's transaction control in one
    /// round trip (`writer::Writer::write_with`).
    pub async fn write_with<T, E>(
        &self,
        statement: writer::Statement,
        then: impl ThenOp<Result<T, E>>,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<sqlx::Error> + Send + 'static,
    {
        self.writer.write_with(statement, then).await
    }

    /// Moves the WAL into the database file and truncates it, so a stopped mi-sim leaves one
    /// self-contained file. Waits for the writer's current batch.
    pub async fn checkpoint(&self) -> Result<(), sqlx::Error> {
        self.writer.checkpoint().await
    }

    /// Runs `op` on the writer's connection outside any transaction (`Writer::exclusive`).
    pub async fn exclusive<T: Send + 'static>(
        &self,
        op: impl WriteOp<Result<T, sqlx::Error>>,
    ) -> Result<T, sqlx::Error> {
        self.writer.exclusive(op).await
    }

    /// A connection for reads that need no transaction.
    pub async fn read(&self) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        self.read.acquire().await
    }
}

/// Empties every table but the key material: back to a fresh database, before bootstrap.
pub async fn clear_state(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let mut sql = String::from(
        "delete from operations; delete from rule_switches; delete from applications;
         delete from group_locks; delete from faults; delete from simulator_settings;
         delete from vm_extensions; delete from deployments; delete from role_assignments; delete from role_definitions;",
    );
    for table in kinds::tables() {
        sql.push_str(&format!(" delete from {table};"));
    }
    sql.push_str(
        " delete from service_principals; delete from resource_groups; delete from subscriptions; delete from tenants;",
    );
    sqlx::query(&sql).execute(conn).await?;
    Ok(())
}

/// True when the error is the violation of a unique or primary-key constraint.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
