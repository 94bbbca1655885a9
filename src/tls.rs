//! HTTPS: a local CA and a server certificate for `localhost` and `127.0.0.1`, made on first
//! start and kept in the database, or a user's own pair. The SDKs and MSAL refuse plain http
//! for ARM and Entra, so this is what lets unmodified clients talk to mi-sim.
use crate::store::{self, key_material::KeyPair, Store};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair as RcKeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("certificate generation failed: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("invalid PEM in {0}")]
    Pem(String),
    #[error("certificate generation did not finish: {0}")]
    Interrupted(String),
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
}

/// The certificate chain and key the HTTPS listener serves, and the CA PEM clients trust.
pub struct ServerTls {
    pub config: rustls::ServerConfig,
    /// The PEM of the CA that signed the server certificate (`None` for a user's own pair).
    pub ca_pem: Option<String>,
}

/// A CA and server certificate being made on a blocking thread.
pub struct Making(tokio::task::JoinHandle<Result<(KeyPair, KeyPair), TlsError>>);

/// Starts making a CA and server certificate. `Application::build` starts it before it opens
/// a database that does not exist yet, so making the keys overlaps the migrations instead of
/// following them (together they are most of a first start).
pub fn start_making() -> Making {
    Making(tokio::task::spawn_blocking(make_ca_and_server_cert))
}

/// Loads the generated CA and server certificate, making both on first start (with `making`,
/// when it was started early).
pub async fn generated(
    store: &Store,
    now: &str,
    making: Option<Making>,
) -> Result<ServerTls, TlsError> {
    let mut conn = store.read().await?;
    let existing = (
        store::key_material::get(&mut conn, "ca").await?,
        store::key_material::get(&mut conn, "server").await?,
    );
    drop(conn);
    let (ca, server) = match existing {
        (Some(ca), Some(server)) => (ca, server),
        _ => {
            // Key generation is CPU work: off the async threads.
            let (ca, server) = making
                .unwrap_or_else(start_making)
                .0
                .await
                .map_err(|e| TlsError::Interrupted(e.to_string()))??;
            let now = now.to_string();
            store
                .write(move |tx| {
                    Box::pin(store::key_material::replace_pair(
                        tx,
                        ("ca", "server"),
                        (ca, server),
                        now,
                    ))
                })
                .await?
        }
    };
    let chain = format!("{}{}", server.cert_pem, ca.cert_pem);
    Ok(ServerTls {
        config: server_config(&chain, &server.key_pem, "generated")?,
        ca_pem: Some(ca.cert_pem),
    })
}

/// A user's own certificate (chain) and key, from PEM files.
pub fn from_files(cert: &Path, key: &Path) -> Result<ServerTls, TlsError> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|source| TlsError::Read {
            path: p.display().to_string(),
            source,
        })
    };
    Ok(ServerTls {
        config: server_config(&read(cert)?, &read(key)?, &cert.display().to_string())?,
        ca_pem: None,
    })
}

fn server_config(
    chain_pem: &str,
    key_pem: &str,
    origin: &str,
) -> Result<rustls::ServerConfig, TlsError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<_, _>>()
        .map_err(|_| TlsError::Pem(origin.to_string()))?;
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|_| TlsError::Pem(origin.to_string()))?;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn make_ca_and_server_cert() -> Result<(KeyPair, KeyPair), TlsError> {
    let ca_key = RcKeyPair::generate()?;
    let mut ca_params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "mi-sim local CA");
    dn.push(DnType::OrganizationName, "mi-sim");
    ca_params.distinguished_name = dn;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    ca_params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let ca_cert = ca_params.self_signed(&ca_key)?;

    let key = RcKeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()])?;
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
    params
        .subject_alt_names
        .push(SanType::IpAddress(std::net::IpAddr::from([
            0u16, 0, 0, 0, 0, 0, 0, 1,
        ])));
    params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    // Python 3.13's strict verification wants the authority key identifier.
    params.use_authority_key_identifier_extension = true;
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(2049, 12, 31);
    let cert = params.signed_by(&key, &ca_cert, &ca_key)?;
    Ok((
        KeyPair {
            cert_pem: ca_cert.pem(),
            key_pem: ca_key.serialize_pem(),
        },
        KeyPair {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        },
    ))
}
