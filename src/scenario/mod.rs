//! Known-issue replay: scenario files (`scenarios/*.toml`, the format in `format`), a runner
//! that plays one against a mi-sim over HTTP (`run`), and its reports (`report`). `mi-sim
//! scenario run` starts its own in-memory mi-sim unless given `--url`; `POST
//! /simulator/scenarios/{id}/runs` plays one against the server itself.
pub mod format;
pub mod path;
pub mod report;
pub mod run;
pub mod vars;

pub use format::{Auth, FormatError, Scenario};
pub use run::{Outcome, Target, Transcript};

/// The scenarios mi-sim ships, S1..S9 of `docs/rules.md`, compiled in.
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "scenarios/s1-moved-vm-fails-to-start.toml",
        include_str!("../../scenarios/s1-moved-vm-fails-to-start.toml"),
    ),
    (
        "scenarios/s2-subscription-transfer.toml",
        include_str!("../../scenarios/s2-subscription-transfer.toml"),
    ),
    (
        "scenarios/s3-moved-user-assigned-identity.toml",
        include_str!("../../scenarios/s3-moved-user-assigned-identity.toml"),
    ),
    (
        "scenarios/s4-re-enabled-system-identity.toml",
        include_str!("../../scenarios/s4-re-enabled-system-identity.toml"),
    ),
    (
        "scenarios/s5-two-user-assigned-need-a-selector.toml",
        include_str!("../../scenarios/s5-two-user-assigned-need-a-selector.toml"),
    ),
    (
        "scenarios/s6-container-group-identity.toml",
        include_str!("../../scenarios/s6-container-group-identity.toml"),
    ),
    (
        "scenarios/s7-deleted-user-assigned-identity.toml",
        include_str!("../../scenarios/s7-deleted-user-assigned-identity.toml"),
    ),
    (
        "scenarios/s8-token-from-another-tenant.toml",
        include_str!("../../scenarios/s8-token-from-another-tenant.toml"),
    ),
    (
        "scenarios/s9-legacy-extension-dns.toml",
        include_str!("../../scenarios/s9-legacy-extension-dns.toml"),
    ),
];

/// The shipped scenarios, parsed once. They are checked by the test suite, so this cannot fail
/// in a released build; a broken one is left out rather than taking the server down.
pub fn shipped() -> &'static [Scenario] {
    static PARSED: std::sync::LazyLock<Vec<Scenario>> = std::sync::LazyLock::new(|| {
        SHIPPED
            .iter()
            .filter_map(|(file, text)| format::parse(file, text).ok())
            .collect()
    });
    PARSED.as_slice()
}

/// A shipped scenario by id (`S1`, any case).
pub fn find_shipped(id: &str) -> Option<Scenario> {
    shipped()
        .iter()
        .find(|s| s.id.eq_ignore_ascii_case(id))
        .cloned()
}

/// What `mi-sim scenario run` is given: a shipped id, or a file of the user's.
pub fn load(arg: &str) -> Result<Scenario, String> {
    if let Some(s) = find_shipped(arg) {
        return Ok(s);
    }
    let path = std::path::Path::new(arg);
    if !path.exists() {
        let ids: Vec<&str> = shipped().iter().map(|s| s.id.as_str()).collect();
        return Err(format!(
            "'{arg}' is neither a shipped scenario ({}) nor a file",
            ids.join(", ")
        ));
    }
    let meta = std::fs::metadata(path).map_err(|e| format!("{arg}: {e}"))?;
    if meta.len() > format::MAX_FILE_BYTES as u64 {
        return Err(format!(
            "{arg}: the file is over {} bytes",
            format::MAX_FILE_BYTES
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{arg}: {e}"))?;
    format::parse(arg, &text).map_err(|e| e.to_string())
}

/// A mi-sim of the runner's own: in memory, on free loopback ports, gone when dropped.
pub struct LocalServer {
    pub target: Target,
    handle: actix_web::dev::ServerHandle,
    ca_file: std::path::PathBuf,
}

impl LocalServer {
    pub async fn start(auth: Auth) -> Result<Self, String> {
        use crate::domain::authorization::Mode;
        let ca_file = std::env::temp_dir().join(format!(
            "mi-sim-scenario-{}-{}.ca.pem",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        let settings = crate::settings::Settings {
            host: "127.0.0.1".into(),
            port: 0,
            tls_port: 0,
            database: crate::settings::Database::Memory,
            tls_cert: None,
            tls_key: None,
            ca_file: Some(ca_file.clone()),
            seed: None,
            body_timeout: crate::settings::BODY_TIMEOUT,
            auth: match auth {
                Auth::Open => Mode::Open,
                Auth::Enforce => Mode::Enforce,
            },
        };
        let app = crate::startup::Application::build(settings)
            .await
            .map_err(|e| format!("cannot start mi-sim: {e}"))?;
        let target = Target::new(&format!("http://127.0.0.1:{}", app.port()))?;
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        Ok(Self {
            target,
            handle,
            ca_file,
        })
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = std::fs::remove_file(&self.ca_file);
    }
}

/// Output formats of `mi-sim scenario run`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Junit,
}

/// `mi-sim scenario run`: checks every file first, then runs each scenario against `url`, or
/// against a fresh in-memory mi-sim of its own (one per auth mode the scenarios need). Prints
/// the report; the exit code is 0 when every step agrees with Azure, 1 when one disagrees,
/// 2 when a file is refused or mi-sim cannot be reached.
pub async fn run_command(names: &[String], all: bool, url: Option<&str>, format: Format) -> i32 {
    let mut wanted: Vec<String> = names.to_vec();
    if all {
        wanted.splice(0..0, shipped().iter().map(|s| s.id.clone()));
    }
    if wanted.is_empty() {
        eprintln!("mi-sim scenario run: name scenarios (S1, my-incident.toml) or give --all; `mi-sim scenario list` lists them");
        return 2;
    }
    let mut scenarios = Vec::new();
    let mut refused = false;
    for w in &wanted {
        match load(w) {
            Ok(s) => scenarios.push(s),
            Err(e) => {
                eprintln!("mi-sim scenario run: {e}");
                refused = true;
            }
        }
    }
    if refused {
        return 2;
    }
    let mut transcripts = Vec::new();
    match url {
        Some(url) => {
            let target = match Target::new(url) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("mi-sim scenario run: {e}");
                    return 2;
                }
            };
            for s in &scenarios {
                transcripts.push(run::run(&target, s).await);
            }
        }
        None => {
            let mut servers: Vec<(Auth, LocalServer)> = Vec::new();
            for s in &scenarios {
                if !servers.iter().any(|(a, _)| *a == s.auth) {
                    match LocalServer::start(s.auth).await {
                        Ok(server) => servers.push((s.auth, server)),
                        Err(e) => {
                            eprintln!("mi-sim scenario run: {e}");
                            return 2;
                        }
                    }
                }
                let (_, server) = servers.iter().find(|(a, _)| *a == s.auth).expect("started");
                transcripts.push(run::run(&server.target, s).await);
            }
            for (_, server) in servers {
                server.stop().await;
            }
        }
    }
    let out = match format {
        Format::Text => report::text(&transcripts),
        Format::Json => report::json(&transcripts),
        Format::Junit => report::junit(&transcripts),
    };
    print!("{out}");
    if transcripts.iter().any(|t| t.outcome == Outcome::Error) {
        2
    } else if transcripts.iter().all(Transcript::agrees) {
        0
    } else {
        1
    }
}

/// `mi-sim scenario list`.
pub fn list_text() -> String {
    let mut out = String::new();
    for s in shipped() {
        let auth = if s.auth == Auth::Enforce {
            "  (needs --auth enforce)"
        } else {
            ""
        };
        out.push_str(&format!(
            "{:<4} {:<8} {}{auth}\n     {}\n",
            s.id,
            s.rules.join(","),
            s.title,
            s.file
        ));
    }
    out
}
