//! The mi-sim command line: parses arguments and hands over to `startup`.
use clap::{Parser, Subcommand};
use mi_sim::ops::bootstrap::{DEFAULT_SUBSCRIPTION_ID, DEFAULT_TENANT_ID};
use mi_sim::settings::{Database, Settings};
use mi_sim::startup::Application;
use std::path::PathBuf;

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
    },
    /// Print the OpenAPI document (JSON) and exit.
    Openapi,
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
        Command::Serve {
            port,
            tls_port,
            host,
            db,
            tls_cert,
            tls_key,
            ca_file,
            seed,
        } => {
            mi_sim::telemetry::init("info");
            let settings = Settings {
                host,
                port,
                tls_port,
                database: Database::parse(&db),
                tls_cert,
                tls_key,
                ca_file,
                seed,
            };
            let app = Application::build(settings.clone()).await?;
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
            println!("  docs:         http://{h}:{p}/openapi.json");
            let handle = app.handle();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                handle.stop(true).await;
            });
            app.run_until_stopped().await?;
            Ok(())
        }
    }
}
