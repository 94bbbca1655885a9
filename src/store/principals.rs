//! Service principals: the Entra side of every managed identity.
use sqlx::SqliteConnection;

/// A service principal as listed by the control API.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PrincipalRow {
    pub object_id: String,
    pub app_id: String,
    pub tenant_id: String,
    pub display_name: String,
    pub kind: String,
    pub resource_id: Option<String>,
}

pub async fn delete(conn: &mut SqliteConnection, object_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from service_principals where object_id = ?1")
        .bind(object_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn list_by_tenant(
    conn: &mut SqliteConnection,
    tenant: &str,
) -> Result<Vec<PrincipalRow>, sqlx::Error> {
    sqlx::query_as(
        "select object_id, app_id, tenant_id, display_name, kind, resource_id from service_principals
         where tenant_id = ?1 order by display_name, object_id",
    )
    .bind(tenant)
    .fetch_all(conn)
    .await
}
