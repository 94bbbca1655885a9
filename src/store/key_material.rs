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

/// Stores `pair` under `name` unless a pair is there already; returns the stored one (the
/// first to be stored wins, so every process signs with the same key).
pub async fn insert_if_missing(
    conn: &mut SqliteConnection,
    name: &'static str,
    pair: KeyPair,
    now: String,
) -> Result<KeyPair, sqlx::Error> {
    if let Some(existing) = get(conn, name).await? {
        return Ok(existing);
    }
    insert(conn, name, &pair, &now).await?;
    Ok(pair)
}

/// Stores two pairs that belong together (a CA and the certificate it signed), replacing
/// whichever half is there, unless both are there already; returns the stored two.
pub async fn replace_pair(
    conn: &mut SqliteConnection,
    (first, second): (&'static str, &'static str),
    pairs: (KeyPair, KeyPair),
    now: String,
) -> Result<(KeyPair, KeyPair), sqlx::Error> {
    if let (Some(a), Some(b)) = (get(conn, first).await?, get(conn, second).await?) {
        return Ok((a, b));
    }
    sqlx::query("delete from key_material where name in (?1, ?2)")
        .bind(first)
        .bind(second)
        .execute(&mut *conn)
        .await?;
    insert(conn, first, &pairs.0, &now).await?;
    insert(conn, second, &pairs.1, &now).await?;
    Ok(pairs)
}
