//! Tenants (directories).
use sqlx::SqliteConnection;

/// A tenant as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantRow {
    pub id: String,
    pub display_name: String,
    pub default_domain: String,
}

/// Inserts a tenant; a duplicate id is a unique violation for the caller to map.
pub async fn insert(
    conn: &mut SqliteConnection,
    t: &TenantRow,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into tenants (id, display_name, default_domain, created_at) values (?1, ?2, ?3, ?4)")
        .bind(&t.id)
        .bind(&t.display_name)
        .bind(&t.default_domain)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn get(conn: &mut SqliteConnection, id: &str) -> Result<Option<TenantRow>, sqlx::Error> {
    sqlx::query_as("select id, display_name, default_domain from tenants where id = ?1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<TenantRow>, sqlx::Error> {
    sqlx::query_as("select id, display_name, default_domain from tenants order by created_at, id")
        .fetch_all(conn)
        .await
}
