//! All SQL lives here, one file per table family. Functions take `&mut SqliteConnection`
//! (callers pass `&mut *tx`), so an op composes them inside its one transaction.
pub mod applications;
pub mod compute;
pub mod connect;
pub mod identities;
pub mod instances;
pub mod key_material;
pub mod operations;
pub mod principals;
pub mod resource_groups;
pub mod resources;
pub mod rules;
pub mod subscriptions;
pub mod tenants;

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

/// The database: a pool of writer connections and a pool of readers.
///
/// SQLite allows one writer at a time. Every write takes the lock up front (`BEGIN IMMEDIATE`),
/// so writers queue on `busy_timeout` instead of colliding: a deferred read-then-write
/// transaction that loses the race fails with SQLITE_BUSY_SNAPSHOT, which `busy_timeout` does
/// not retry. WAL lets readers run beside the writer.
#[derive(Debug, Clone)]
pub struct Store {
    write: SqlitePool,
    read: SqlitePool,
}

impl Store {
    /// A write transaction: the whole of one operation, committed or dropped as a unit. It
    /// holds the write lock from its first statement (see the type's docs).
    pub async fn begin_write(&self) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.write.begin_with("BEGIN IMMEDIATE").await
    }

    /// The writer connection itself, for a write sent as one batch (see `identities::create_if_new`).
    pub async fn writer(&self) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        self.write.acquire().await
    }

    /// A connection for reads that need no transaction.
    pub async fn read(&self) -> Result<PoolConnection<Sqlite>, sqlx::Error> {
        self.read.acquire().await
    }
}

/// Empties every table but the key material: back to a fresh database, before bootstrap.
pub async fn clear_state(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query(
        r#"delete from operations;
           delete from rule_switches;
           delete from applications;
           delete from compute_resources;
           delete from user_assigned_identities;
           delete from service_principals;
           delete from resource_groups;
           delete from subscriptions;
           delete from tenants;"#,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// True when the error is the violation of a unique or primary-key constraint.
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
