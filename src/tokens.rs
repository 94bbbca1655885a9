//! Token signing: one RSA key (RS256, as Entra signs), generated once and kept in the
//! database beside the TLS material, published as a JWKS with its certificate. ring signs
//! (as it does TLS); the rsa crate only generates the key.
use crate::store::{self, key_material::KeyPair, Store};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The name of the signing key in `key_material`.
const KEY_NAME: &str = "token-signing";

/// Why a token could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
    #[error("key generation or encoding failed: {0}")]
    Key(String),
    #[error("signing failed: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

/// The signing key and what the JWKS publishes of it.
pub struct SigningKey {
    encoding: EncodingKey,
    /// `kid` and `x5t`: the base64url SHA-1 thumbprint of the certificate, as Entra's.
    pub kid: String,
    /// The public modulus and exponent, base64url.
    pub n: String,
    pub e: String,
    /// The certificate, base64 DER.
    pub x5c: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish()
    }
}

impl SigningKey {
    /// Signs claims as an RS256 JWT whose header names the key (`kid`, `x5t`).
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, TokenError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.x5t = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.encoding)?)
    }

    fn from_pair(pair: &KeyPair) -> Result<Self, TokenError> {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pair.key_pem).map_err(err)?;
        let der = key.to_pkcs1_der().map_err(err)?;
        let cert = CertificateDer::from_pem_slice(pair.cert_pem.as_bytes()).map_err(err)?;
        let thumbprint = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert);
        Ok(Self {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            kid: URL_SAFE_NO_PAD.encode(thumbprint.as_ref()),
            n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
            e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
            x5c: STANDARD.encode(cert.as_ref()),
        })
    }
}

fn err(e: impl std::fmt::Display) -> TokenError {
    TokenError::Key(e.to_string())
}

/// A 2048-bit RSA key and a self-signed certificate for it (the JWKS publishes both).
fn generate() -> Result<KeyPair, TokenError> {
    let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).map_err(err)?;
    let key_pem = key.to_pkcs8_pem(LineEnding::LF).map_err(err)?.to_string();
    let signer =
        rcgen::KeyPair::from_pem_and_sign_algo(&key_pem, &rcgen::PKCS_RSA_SHA256).map_err(err)?;
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).map_err(err)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "mi-sim token signing");
    let cert = params.self_signed(&signer).map_err(err)?;
    Ok(KeyPair {
        cert_pem: cert.pem(),
        key_pem,
    })
}

/// The signing key, loaded from the database or generated on first use. Generating takes a
/// fraction of a second of CPU, so it runs off the async threads, once.
#[derive(Debug)]
pub struct Keys {
    store: Store,
    key: OnceCell<Arc<SigningKey>>,
}

impl Keys {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            key: OnceCell::new(),
        }
    }

    /// The signing key, made and stored the first time it is needed.
    pub async fn get(&self, now: &str) -> Result<Arc<SigningKey>, TokenError> {
        self.key
            .get_or_try_init(|| async {
                let existing =
                    store::key_material::get(&mut *self.store.read().await?, KEY_NAME).await?;
                let pair = match existing {
                    Some(pair) => pair,
                    None => {
                        let made = tokio::task::spawn_blocking(generate).await.map_err(err)??;
                        let mut tx = self.store.begin_write().await?;
                        // Another process may have stored one meanwhile: the first one wins.
                        if store::key_material::get(&mut tx, KEY_NAME).await?.is_none() {
                            store::key_material::insert(&mut tx, KEY_NAME, &made, now).await?;
                        }
                        let pair = store::key_material::get(&mut tx, KEY_NAME)
                            .await?
                            .unwrap_or(made);
                        tx.commit().await?;
                        pair
                    }
                };
                Ok(Arc::new(SigningKey::from_pair(&pair)?))
            })
            .await
            .cloned()
    }

    /// Signs claims off the async threads (an RSA signature is CPU work).
    pub async fn sign<T: Serialize + Send + 'static>(
        &self,
        claims: T,
        now: &str,
    ) -> Result<String, TokenError> {
        let key = self.get(now).await?;
        tokio::task::spawn_blocking(move || key.sign(&claims))
            .await
            .map_err(err)?
    }
}
