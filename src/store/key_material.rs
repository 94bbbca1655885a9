//! Certificates and keys generated on first start, kept across restarts and resets.
use sqlx::SqliteConnection;

/// A PEM certificate and its PEM private key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyPair {
    pub cert_pem: String,
    pub key_pem: String,
}

pub async fn get(conn: &mut SqliteConnection, name: &str) -> Result<Option<KeyPair>, sqlx::Error> {
    sqlx::query_as("select cert_pem, key_pem from key_material where name = ?1")
        .bind(name)
        .fetch_optional(conn)
        .await
}

pub async fn insert(
    conn: &mut SqliteConnection,
    name: &str,
    pair: &KeyPair,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into key_material (name, cert_pem, key_pem, created_at) values (?1, ?2, ?3, ?4)",
    )
    .bind(name)
    .bind(&pair.cert_pem)
    .bind(&pair.key_pem)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}
