//! Applications that sign in with a client secret (client credentials), and their principals.
use crate::domain::TenantId;
use sqlx::SqliteConnection;

/// An application as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApplicationRow {
    pub app_id: String,
    pub tenant_id: TenantId,
    pub object_id: String,
    pub display_name: String,
    pub secret_sha256: String,
    pub well_known_secret: Option<String>,
}

pub async fn insert(
    conn: &mut SqliteConnection,
    a: &ApplicationRow,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into applications (app_id, tenant_id, object_id, display_name, secret_sha256, well_known_secret, created_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(&a.app_id)
    .bind(a.tenant_id)
    .bind(&a.object_id)
    .bind(&a.display_name)
    .bind(&a.secret_sha256)
    .bind(&a.well_known_secret)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// An application of a tenant by its client (app) id; `app_id` must be lowercase.
pub async fn get(
    conn: &mut SqliteConnection,
    tenant: &str,
    app_id: &str,
) -> Result<Option<ApplicationRow>, sqlx::Error> {
    sqlx::query_as(
        "select app_id, tenant_id, object_id, display_name, secret_sha256, well_known_secret
         from applications where app_id = ?2 and tenant_id = ?1",
    )
    .bind(tenant)
    .bind(app_id)
    .fetch_optional(conn)
    .await
}

pub async fn list_by_tenant(
    conn: &mut SqliteConnection,
    tenant: &str,
) -> Result<Vec<ApplicationRow>, sqlx::Error> {
    sqlx::query_as(
        "select app_id, tenant_id, object_id, display_name, secret_sha256, well_known_secret
         from applications where tenant_id = ?1 order by display_name, app_id",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await
}
