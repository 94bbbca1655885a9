//! The mi-sim command line: parses arguments and hands over to `startup`.
use clap::{Parser, Subcommand};
use mi_sim::ops::applications::{WELL_KNOWN_APP_ID, WELL_KNOWN_APP_SECRET};
use mi_sim::ops::bootstrap::{DEFAULT_SUBSCRIPTION_ID, DEFAULT_TENANT_ID};
use mi_sim::settings::{Database, Settings};
use mi_sim::startup::Application;
use std::path::PathBuf;

// mimalloc, the standard fast allocator for Rust services: every request allocates its JSON,
// ids and rows, and glibc's malloc and free took about 7% of a create's CPU.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "mi-sim",
    version,
    about = "A simulator of the Azure managed-identity control plane"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve ARM, the control API and the OpenAPI document over HTTP and HTTPS.
    Serve {
        /// HTTP port (0 picks a free one).
        #[arg(long, env = "MI_SIM_PORT", default_value_t = 8080)]
        port: u16,
        /// HTTPS port (0 picks a free one).
        #[arg(long, env = "MI_SIM_TLS_PORT", default_value_t = 8443)]
        tls_port: u16,
        /// Address to listen on.
        #[arg(long, env = "MI_SIM_HOST", default_value = "127.0.0.1")]
        host: String,
        /// SQLite database file, or `:memory:`.
        #[arg(long, env = "MI_SIM_DB", default_value = "mi-sim.db")]
        db: String,
        /// Your own server certificate (PEM, may hold the chain); needs --tls-key.
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// The private key (PEM) of --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Where to write the CA certificate (default: beside the database, `<db>.ca.pem`).
        #[arg(long)]
        ca_file: Option<PathBuf>,
        /// Seed for reproducible GUIDs.
        #[arg(long)]
        seed: Option<u64>,
        /// `open`: every caller may do everything; `enforce`: ARM checks each caller's token
        /// and role assignments.
        #[arg(long, env = "MI_SIM_AUTH", default_value = "open", value_parser = ["open", "enforce"])]
        auth: String,
    },
    /// Print the OpenAPI document (JSON) and exit.
    Openapi,
    /// Save or restore the whole state of a database file, offline (mi-sim not running on it).
    Snapshot {
        #[command(subcommand)]
        action: SnapshotAction,
    },
    /// Replay known issues step by step: the shipped S1..S9 or your own scenario files.
    Scenario {
        #[command(subcommand)]
        action: ScenarioAction,
    },
    /// Print the environment that puts a process "on" a VM or container group: its identity
    /// endpoints, as `export` lines (`eval "$(mi-sim env myvm)"`).
    Env {
        /// The VM or container group: its name, or its ARM resource id.
        resource: String,
        /// The running mi-sim (http).
        #[arg(long, env = "MI_SIM_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
    },
}

#[derive(Subcommand)]
enum SnapshotAction {
    /// Write a consistent copy of the database to FILE (SQLite's VACUUM INTO).
    Save {
        file: PathBuf,
        /// The database file.
        #[arg(long, env = "MI_SIM_DB", default_value = "mi-sim.db")]
        db: PathBuf,
    },
    /// Replace the database's state with FILE's (its keys stay).
    Restore {
        file: PathBuf,
        #[arg(long, env = "MI_SIM_DB", default_value = "mi-sim.db")]
        db: PathBuf,
    },
}

#[derive(Subcommand)]
enum ScenarioAction {
    /// List the shipped scenarios.
    List,
    /// Run scenarios (shipped ids such as S1, or files), each step checked against what Azure
    /// documents. Exit code: 0 all agree, 1 a step disagrees, 2 a file is refused.
    Run {
        /// Shipped ids (S1..S9) or scenario files.
        scenarios: Vec<String>,
        /// Every shipped scenario (before any named ones).
        #[arg(long)]
        all: bool,
        /// A running mi-sim to run against (http://127.0.0.1:8080); by default a fresh
        /// in-memory one. The run works in a tenant and subscription of its own.
        #[arg(long)]
        url: Option<String>,
        /// `text`, `json`, or `junit` (JUnit XML: a test case per step).
        #[arg(long, default_value = "text", value_parser = ["text", "json", "junit"])]
        format: String,
    },
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().command {
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&mi_sim::http::openapi())?
            );
            Ok(())
        }
        Command::Snapshot { action } => {
            let done = match action {
                SnapshotAction::Save { file, db } => {
                    mi_sim::ops::snapshots::save_offline(&db, &file).await
                }
                SnapshotAction::Restore { file, db } => {
                    mi_sim::ops::snapshots::restore_offline(&db, &file).await
                }
            };
            if let Err(e) = done {
                eprintln!("mi-sim snapshot: {e}");
                std::process::exit(2)
            }
            Ok(())
        }
        Command::Scenario { action } => match action {
            ScenarioAction::List => {
                print!("{}", mi_sim::scenario::list_text());
                Ok(())
            }
            ScenarioAction::Run {
                scenarios,
                all,
                url,
                format,
            } => {
                use mi_sim::scenario::Format;
                let format = match format.as_str() {
                    "json" => Format::Json,
                    "junit" => Format::Junit,
                    _ => Format::Text,
                };
                let code =
                    mi_sim::scenario::run_command(&scenarios, all, url.as_deref(), format).await;
                std::process::exit(code)
            }
        },
        Command::Env { resource, url } => match env_lines(&url, &resource).await {
            Ok(lines) => {
                print!("{lines}");
                Ok(())
            }
            Err(message) => {
                eprintln!("mi-sim env: {message}");
                // `eval "$(mi-sim env NAME)" && az login --identity` must stop here, not fall
                // through to a client that then asks the real instance metadata address.
                println!("false");
                std::process::exit(1)
            }
        },
        Command::Serve {
            port,
            tls_port,
            host,
            db,
            tls_cert,
            tls_key,
            ca_file,
            seed,
            auth,
        } => {
            let _log = mi_sim::telemetry::init_batched("info");
            let settings = Settings {
                host,
                port,
                tls_port,
                database: Database::parse(&db),
                tls_cert,
                tls_key,
                ca_file,
                seed,
                body_timeout: mi_sim::settings::BODY_TIMEOUT,
                auth: mi_sim::domain::authorization::Mode::parse(&auth).unwrap_or_default(),
            };
            let app = match Application::build(settings.clone()).await {
                Ok(app) => app,
                Err(e) => {
                    eprintln!("mi-sim: {e}");
                    std::process::exit(1)
                }
            };
            let (h, p, t) = (&settings.host, app.port(), app.tls_port());
            println!("mi-sim is serving");
            println!("  ARM (http):   http://{h}:{p}");
            println!("  ARM (https):  https://{h}:{t}");
            match app.ca_file() {
                Some(ca) => println!(
                    "  CA file:      {}   (export REQUESTS_CA_BUNDLE={})",
                    ca.display(),
                    ca.display()
                ),
                None => println!(
                    "  TLS:          your certificate ({})",
                    settings
                        .tls_cert
                        .as_ref()
                        .map(|c| c.display().to_string())
                        .unwrap_or_default()
                ),
            }
            println!("  tenant:       {DEFAULT_TENANT_ID}");
            println!("  subscription: {DEFAULT_SUBSCRIPTION_ID}");
            println!(
                "  auth:         {}",
                match settings.auth {
                    mi_sim::domain::authorization::Mode::Open =>
                        "open (every caller may do everything; --auth enforce checks role assignments)",
                    mi_sim::domain::authorization::Mode::Enforce =>
                        "enforce (ARM checks each caller's token and role assignments)",
                }
            );
            println!("  Entra:        https://{h}:{t}/{DEFAULT_TENANT_ID}  (authority; turn instance discovery off)");
            println!("  application:  client id {WELL_KNOWN_APP_ID}, secret {WELL_KNOWN_APP_SECRET}  (well known: local use only)");
            println!("  docs:         http://{h}:{p}/docs  (OpenAPI: /openapi.json)");
            println!("  explorer:     http://{h}:{p}/explorer  (state, identity health, known-issue scenarios)");
            app.prepare_signing_key();
            let handle = app.handle();
            tokio::spawn(async move {
                shutdown_signal().await;
                tracing::info!("stopping: finishing requests in flight");
                // Graceful: stop accepting, let requests in flight finish (bounded by the
                // server's shutdown timeout).
                handle.stop(true).await;
            });
            let store = app.store();
            // With `--db :memory:` nothing is to outlive the process: the CA file mi-sim wrote
            // goes with it (its key lived only in memory, so the file would trust nothing).
            let temporary_ca = (settings.database == Database::Memory)
                .then(|| app.ca_file().cloned())
                .flatten();
            app.run_until_stopped().await?;
            if let Err(e) = store.checkpoint().await {
                tracing::warn!(error = %e, "the WAL could not be checkpointed at exit");
            }
            if let Some(ca) = temporary_ca {
                let _ = std::fs::remove_file(ca);
                let _ = std::fs::remove_dir_all(settings.snapshot_dir());
            }
            Ok(())
        }
    }
}

/// SIGINT (ctrl-c) or SIGTERM (`docker stop`, systemd, CI runners), whichever comes first.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Asks a running mi-sim for the instance and renders its environment as shell `export` lines.
async fn env_lines(url: &str, resource: &str) -> Result<String, String> {
    let key = if resource.starts_with('/') {
        "resourceId"
    } else {
        "name"
    };
    let query = serde_urlencoded::to_string([(key, resource)]).map_err(|e| e.to_string())?;
    let base = url.trim_end_matches('/');
    let answer = reqwest::get(format!("{base}/simulator/instances?{query}"))
        .await
        .map_err(|e| format!("cannot reach mi-sim at {url}: {e}"))?;
    if !answer.status().is_success() {
        return Err(format!("mi-sim at {url} answered {}", answer.status()));
    }
    let found: serde_json::Value = answer.json().await.map_err(|e| e.to_string())?;
    let instances = found["value"].as_array().cloned().unwrap_or_default();
    let instance = match instances.as_slice() {
        [one] => one,
        [] => return Err(format!("no VM or container group '{resource}' at {url}")),
        many => {
            let ids: Vec<&str> = many
                .iter()
                .filter_map(|i| i["resourceId"].as_str())
                .collect();
            return Err(format!(
                "'{resource}' names several resources; give a resource id:\n  {}",
                ids.join("\n  ")
            ));
        }
    };
    let mut out = String::new();
    if let Some(env) = instance["env"].as_object() {
        for (k, v) in env {
            // Single quotes keep the value literal in any POSIX shell.
            let v = v.as_str().unwrap_or_default().replace('\'', r"'\''");
            out.push_str(&format!("export {k}='{v}'\n"));
        }
    }
    Ok(out)
}
