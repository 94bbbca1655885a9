//! mi-sim: a simulator of the Azure managed-identity control plane.
//!
//! # Layout
//! Data flows top to bottom; each layer knows only those below it.
//!
//! | module | job |
//! |---|---|
//! | `main.rs` | the CLI: `serve`, `openapi`, `env` |
//! | [`startup`] | build the app from [`settings`]: migrate, bootstrap, TLS, bind HTTP and HTTPS |
//! | [`http`] | one module per API surface (ARM providers, instance endpoints, Entra, cloud metadata, `/simulator`); error envelope, api-version, middleware |
//! | [`ops`] | one function per operation, one transaction each: load, ask the rules, save |
//! | [`domain`] | pure rules and types: names, GUIDs, resource ids, catalogue, identity planning, token selection and refusals (`token_rules`), `$filter`, switchable rules (R1..R20); no HTTP, no SQL |
//! | [`store`] | all SQL (sqlx + SQLite); the one writer task; migrations in `migrations/` |
//! | [`scenario`] | known-issue replay: scenario files, the runner, its reports |
//! | [`tls`], [`signing`], [`token_cache`], [`clock`], [`idgen`], [`telemetry`] | TLS material, the token-signing key, the bounded IMDS token cache, time, GUIDs, logging |
//!
//! `docs/architecture.md` says where each kind of code goes; `docs/rules.md` holds the rules.
pub mod client;
pub mod clock;
pub mod domain;
pub mod grants_cache;
pub mod http;
pub mod idgen;
pub mod journal;
pub mod locks;
pub mod ops;
pub mod scenario;
pub mod settings;
pub mod signing;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tls;
pub mod token_cache;
