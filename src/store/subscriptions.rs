//! Subscriptions and the tenant each trusts.
use crate::domain::SubscriptionId;
use sqlx::SqliteConnection;

/// A subscription as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubscriptionRow {
    pub id: SubscriptionId,
    pub display_name: String,
    pub tenant_id: String,
    pub state: String,
}

pub async fn get(
    conn: &mut SqliteConnection,
    id: &str,
) -> Result<Option<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as("select id, display_name, tenant_id, state from subscriptions where id = ?1")
        .bind(id)
        .fetch_optional(conn)
        .await
}

pub async fn list(conn: &mut SqliteConnection) -> Result<Vec<SubscriptionRow>, sqlx::Error> {
    sqlx::query_as(
        "select id, display_name, tenant_id, state from subscriptions order by created_at, id",
    )
    .fetch_all(conn)
    .await
}

pub async fn insert(
    conn: &mut SqliteConnection,
    s: &SubscriptionRow,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("insert into subscriptions (id, display_name, tenant_id, state, created_at, tenant_since) values (?1, ?2, ?3, ?4, ?5, ?5)")
        .bind(s.id)
        .bind(&s.display_name)
        .bind(&s.tenant_id)
        .bind(&s.state)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// Changes the name and the trusted tenant. Principals keep their own tenant (R11 is derived).
pub async fn update(conn: &mut SqliteConnection, s: &SubscriptionRow) -> Result<(), sqlx::Error> {
    sqlx::query("update subscriptions set display_name = ?2, tenant_id = ?3 where id = ?1")
        .bind(s.id)
        .bind(&s.display_name)
        .bind(&s.tenant_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// R11: the subscription trusts `tenant` from `now` on.
pub async fn transfer(
    conn: &mut SqliteConnection,
    id: &str,
    tenant: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("update subscriptions set tenant_id = ?2, tenant_since = ?3 where id = ?1")
        .bind(id)
        .bind(tenant)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}
