//! What `serve` is told: where to listen, where the database and key material live.
use std::path::{Path, PathBuf};

/// Where the SQLite database lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    File(PathBuf),
    /// `--db :memory:`: nothing survives the process.
    Memory,
}

impl Database {
    pub fn parse(raw: &str) -> Self {
        if raw == ":memory:" {
            Self::Memory
        } else {
            Self::File(PathBuf::from(raw))
        }
    }
}

/// Everything `Application::build` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    /// HTTP port; 0 picks a free one (tests).
    pub port: u16,
    /// HTTPS port; 0 picks a free one (tests).
    pub tls_port: u16,
    pub database: Database,
    /// A user's own certificate and key (PEM) instead of the generated ones.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Where the CA certificate is written; by default beside the database.
    pub ca_file: Option<PathBuf>,
    /// Seed for reproducible GUIDs.
    pub seed: Option<u64>,
    /// How long a request body may take to arrive before the request gets 408.
    pub body_timeout: std::time::Duration,
    /// `open` (every caller may do everything) or `enforce` (tokens and role assignments).
    pub auth: crate::domain::authorization::Mode,
}

/// The default of `Settings::body_timeout`: ten seconds, far more than any local client needs.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl Settings {
    /// A server on free ports with its own database in `dir`.
    pub fn for_tests(dir: &Path) -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 0,
            tls_port: 0,
            database: Database::File(dir.join("mi-sim.db")),
            tls_cert: None,
            tls_key: None,
            ca_file: Some(dir.join("mi-sim-ca.pem")),
            seed: None,
            body_timeout: std::time::Duration::from_secs(2),
            auth: Default::default(),
        }
    }

    /// Where named snapshots go: `<db>.snapshots/` beside a file database, else a folder of
    /// this process in the temp dir (removed at exit, as the in-memory state is).
    pub fn snapshot_dir(&self) -> PathBuf {
        match &self.database {
            Database::File(db) => {
                let mut name = db.file_name().unwrap_or_default().to_os_string();
                name.push(".snapshots");
                std::path::absolute(db.with_file_name(name)).unwrap_or_default()
            }
            Database::Memory => std::env::temp_dir().join(format!(
                "mi-sim-{}-{}-snapshots",
                std::process::id(),
                self.port
            )),
        }
    }

    /// The CA file path: `--ca-file`, else `<db>.ca.pem` beside a file database, else the temp dir.
    /// Absolute, so the `REQUESTS_CA_BUNDLE` the banner prints works from any directory.
    pub fn ca_path(&self) -> PathBuf {
        let path = self.ca_path_as_given();
        std::path::absolute(&path).unwrap_or(path)
    }

    fn ca_path_as_given(&self) -> PathBuf {
        if let Some(p) = &self.ca_file {
            return p.clone();
        }
        match &self.database {
            Database::File(db) => {
                let mut name = db.file_name().unwrap_or_default().to_os_string();
                name.push(".ca.pem");
                db.with_file_name(name)
            }
            Database::Memory => {
                std::env::temp_dir().join(format!("mi-sim-{}-ca.pem", std::process::id()))
            }
        }
    }
}
