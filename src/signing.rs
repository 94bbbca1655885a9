//! Token signing: one RSA key (RS256, as Entra signs), generated once and kept in the
//! database beside the TLS material, published as a JWKS with its certificate. aws-lc-rs
//! generates and signs (as it does TLS). The JWT is assembled here: jsonwebtoken's signer
//! parses the private key again for every signature and uses ring, at half the speed.
use crate::store::{self, key_material::KeyPair, Store};
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair, RsaPublicKeyComponents, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer};
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
    #[error("signing failed")]
    Sign,
    #[error("claims could not be serialised: {0}")]
    Claims(#[from] serde_json::Error),
}

/// The signing key and what the JWKS publishes of it.
pub struct SigningKey {
    pair: RsaKeyPair,
    rng: aws_lc_rs::rand::SystemRandom,
    /// The JWT header, base64url, the same for every token.
    header: String,
    /// `kid` and `x5t`: the base64url SHA-1 thumbprint of the certificate, as Entra's.
    pub kid: String,
    /// The public modulus and exponent, base64url.
    pub n: String,
    pub e: String,
    /// The certificate, base64 DER.
    pub x5c: String,
    /// The public key, DER (PKCS#1), for verifying tokens mi-sim signed.
    public_der: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish()
    }
}

impl SigningKey {
    /// Signs claims as an RS256 JWT whose header names the key (`kid`, `x5t`), as Entra's do.
    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, TokenError> {
        let message = format!(
            "{}.{}",
            self.header,
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?)
        );
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &self.rng,
                message.as_bytes(),
                &mut signature,
            )
            .map_err(|_| TokenError::Sign)?;
        Ok(format!("{message}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }

    /// The claims of a JWT this key signed, or `None` for anything else. Only the signature is
    /// checked here; the times are the caller's to judge against the simulator's clock.
    pub fn verify(&self, token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
        let (message, signature) = token.rsplit_once('.')?;
        let (header, payload) = message.split_once('.')?;
        // mi-sim writes one header for every token: a token with another is not mi-sim's.
        if header != self.header {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            &self.public_der,
        )
        .verify(message.as_bytes(), &signature)
        .ok()?;
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }

    fn from_pair(pair: &KeyPair) -> Result<Self, TokenError> {
        let key = PrivatePkcs8KeyDer::from_pem_slice(pair.key_pem.as_bytes()).map_err(err)?;
        let rsa = RsaKeyPair::from_pkcs8(key.secret_pkcs8_der()).map_err(err)?;
        let public: RsaPublicKeyComponents<Vec<u8>> = rsa.public_key().into();
        let public_der = rsa.public_key().as_ref().to_vec();
        let cert = CertificateDer::from_pem_slice(pair.cert_pem.as_bytes()).map_err(err)?;
        let thumbprint =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, &cert);
        let kid = URL_SAFE_NO_PAD.encode(thumbprint.as_ref());
        // In Entra's order (tokens start `eyJ0eXAi`); the kid is base64url, so needs no escaping.
        let header = format!(r#"{{"typ":"JWT","alg":"RS256","x5t":"{kid}","kid":"{kid}"}}"#);
        Ok(Self {
            pair: rsa,
            rng: aws_lc_rs::rand::SystemRandom::new(),
            header: URL_SAFE_NO_PAD.encode(header),
            n: URL_SAFE_NO_PAD.encode(&public.n),
            e: URL_SAFE_NO_PAD.encode(&public.e),
            x5c: STANDARD.encode(cert.as_ref()),
            public_der,
            kid,
        })
    }
}

fn err(e: impl std::fmt::Display) -> TokenError {
    TokenError::Key(e.to_string())
}

/// A 2048-bit RSA key and a self-signed certificate for it (the JWKS publishes both).
fn generate() -> Result<KeyPair, TokenError> {
    let signer = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).map_err(err)?;
    let key_pem = signer.serialize_pem();
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
        if let Some(key) = self.existing().await? {
            return Ok(key);
        }
        self.key
            .get_or_try_init(|| async {
                let made = tokio::task::spawn_blocking(generate).await.map_err(err)??;
                let now = now.to_string();
                // Another process may have stored one meanwhile: the stored one wins.
                let pair = self
                    .store
                    .write(move |tx| {
                        Box::pin(store::key_material::insert_if_missing(
                            tx, KEY_NAME, made, now,
                        ))
                    })
                    .await?;
                Ok(Arc::new(SigningKey::from_pair(&pair)?))
            })
            .await
            .cloned()
    }

    /// The signing key if one exists (in memory or stored), never making one: a token can only
    /// have been signed by a key that exists.
    pub async fn existing(&self) -> Result<Option<Arc<SigningKey>>, TokenError> {
        if let Some(key) = self.key.get() {
            return Ok(Some(key.clone()));
        }
        let stored = store::key_material::get(&mut *self.store.read().await?, KEY_NAME).await?;
        let Some(pair) = stored else {
            return Ok(None);
        };
        let key = self
            .key
            .get_or_try_init(|| async { SigningKey::from_pair(&pair).map(Arc::new) })
            .await?;
        Ok(Some(key.clone()))
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
