//! Service principals: the Entra side of every managed identity.
use crate::domain::identity::NewPrincipal;
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

/// Creates a service principal.
pub async fn insert(
    conn: &mut SqliteConnection,
    p: &NewPrincipal,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into service_principals (object_id, app_id, tenant_id, display_name, kind, resource_id, created_at)
         values (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(p.object_id.hyphenated().to_string())
    .bind(p.app_id.hyphenated().to_string())
    .bind(p.tenant_id.to_string())
    .bind(&p.display_name)
    .bind(p.kind.as_str())
    .bind(&p.resource_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
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

/// The tenant a principal lives in, if it exists.
pub async fn tenant_of(
    conn: &mut SqliteConnection,
    object_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select tenant_id from service_principals where object_id = ?1")
        .bind(object_id)
        .fetch_optional(conn)
        .await
}
