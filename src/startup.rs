//! Builds the application from settings: opens and migrates the database, bootstraps, sets up
//! TLS, binds HTTP and HTTPS (port 0 picks free ports, which `port()` and `tls_port()` report).
use crate::http::{self, middleware};
use crate::settings::{Database, Settings};
use crate::state::AppState;
use crate::{clock::Clock, idgen::IdGen, ops, signing, store, tls};
use actix_web::dev::Server;
use actix_web::{middleware::from_fn, web, App, HttpServer};
use std::net::TcpListener;
use std::path::PathBuf;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("TLS: {0}")]
    Tls(#[from] tls::TlsError),
    #[error("cannot write: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "cannot listen on {address}: {source}; pick another port with {flag} (0 picks a free one)"
    )]
    Bind {
        address: String,
        flag: &'static str,
        source: std::io::Error,
    },
}

/// A built, bound, not yet running mi-sim.
pub struct Application {
    port: u16,
    tls_port: u16,
    ca_file: Option<PathBuf>,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartError> {
        // The ports first: a port in use is reported before any file is made.
        let listener = bind(&settings.host, settings.port, "--port")?;
        let tls_listener = bind(&settings.host, settings.tls_port, "--tls-port")?;
        let http_base = format!(
            "http://{}:{}",
            loopback(&settings.host),
            listener.local_addr()?.port()
        );
        let custom_tls = settings.tls_cert.is_some() && settings.tls_key.is_some();
        let fresh = match &settings.database {
            Database::File(path) => !path.exists(),
            Database::Memory => true,
        };
        let making = (fresh && !custom_tls).then(tls::start_making);
        let store = store::connect::connect(&settings.database).await?;
        let idgen = settings.seed.map_or_else(IdGen::random, IdGen::seeded);
        let keys = signing::Keys::new(store.clone());
        let state = web::Data::new(AppState {
            store,
            clock: Clock::default(),
            idgen,
            keys,
            token_cache: Default::default(),
            locks: Default::default(),
            move_seconds: Default::default(),
            auth: settings.auth,
            grants: Default::default(),
            http_base,
            faults: Default::default(),
            journal: Default::default(),
            snapshot_dir: settings.snapshot_dir(),
            deployments: Default::default(),
        });
        ops::bootstrap::bootstrap(&state).await?;
        ops::moves::load(&state).await?;
        ops::faults::refresh(&state).await?;
        ops::deployments::fail_interrupted(&state).await?;

        let tls = match (&settings.tls_cert, &settings.tls_key) {
            (Some(cert), Some(key)) => tls::from_files(cert, key)?,
            _ => tls::generated(&state.store, &state.clock.now_text(), making).await?,
        };
        let ca_file = match &tls.ca_pem {
            Some(pem) => {
                let path = settings.ca_path();
                std::fs::write(&path, pem)?;
                Some(path)
            }
            None => None,
        };

        let (port, tls_port) = (
            listener.local_addr()?.port(),
            tls_listener.local_addr()?.port(),
        );
        let doc = web::Data::new(http::openapi());
        let state_for_app = state.clone();
        let body_timeout = middleware::BodyTimeout(settings.body_timeout);

        let server = HttpServer::new(move || {
            // Plain actix here: the document is built once, above (http::Routes says why).
            App::new()
                .app_data(state.clone())
                .app_data(body_timeout)
                .app_data(http::json_config())
                .app_data(web::PayloadConfig::new(http::MAX_BODY))
                .app_data(http::query_config())
                .configure(http::routes)
                .app_data(doc.clone())
                .route("/openapi.json", web::get().to(http::openapi_json))
                .route("/docs", web::get().to(http::docs_redirect))
                .route("/explorer", web::get().to(http::explorer::page))
                .service(
                    // Swagger UI's assets are compiled in (the vendored build): works offline.
                    utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}").config(
                        utoipa_swagger_ui::Config::from("/openapi.json").try_it_out_enabled(true),
                    ),
                )
                .default_service(web::to(http::not_found))
                .wrap(from_fn(middleware::front_door))
                .wrap(from_fn(middleware::arm_headers))
        })
        .listen(listener)?
        .listen_rustls_0_23(tls_listener, tls.config)?
        .disable_signals()
        .shutdown_timeout(5)
        .run();
        Ok(Self {
            port,
            tls_port,
            ca_file,
            server,
            state: state_for_app,
        })
    }

    /// The HTTP port actually bound.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The HTTPS port actually bound.
    pub fn tls_port(&self) -> u16 {
        self.tls_port
    }

    /// Where the CA certificate was written, when mi-sim generated it.
    pub fn ca_file(&self) -> Option<&PathBuf> {
        self.ca_file.as_ref()
    }

    /// Serves until the server stops (ctrl-c in `serve`, dropped task in tests).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Makes (or loads) the token-signing key in the background, so the first token request
    /// does not wait for it. `serve` calls it; tests leave the key to be made on first use.
    /// It waits a moment first: making an RSA key takes a core for a while, and start-up should
    /// answer its first request before that.
    pub fn prepare_signing_key(&self) {
        let state = self.state.clone();
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            if let Err(e) = state.keys.get(&state.clock.now_text()).await {
                tracing::error!(error = %e, "the token-signing key could not be made");
            }
        });
    }

    /// The database, for what `serve` does after the server stops (the WAL checkpoint).
    pub fn store(&self) -> store::Store {
        self.state.store.clone()
    }

    /// A handle to stop the server.
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

/// The address to reach a listener on this machine: loopback for the unspecified addresses.
fn loopback(host: &str) -> String {
    match host {
        "0.0.0.0" | "" => "127.0.0.1".into(),
        "::" | "[::]" => "[::1]".into(),
        h if h.contains(':') && !h.starts_with('[') => format!("[{h}]"),
        h => h.into(),
    }
}

/// Binds a listener, naming the address and the flag that moves it when that fails.
fn bind(host: &str, port: u16, flag: &'static str) -> Result<TcpListener, StartError> {
    TcpListener::bind((host, port)).map_err(|source| StartError::Bind {
        address: format!("{host}:{port}"),
        flag,
        source,
    })
}
