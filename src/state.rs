//! The one piece of shared state every handler gets through `web::Data`.
use crate::{clock::Clock, idgen::IdGen, signing::Keys, store::Store};

/// Store, clock, id generator and signing keys: everything an op needs.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub clock: Clock,
    pub idgen: IdGen,
    pub keys: Keys,
    /// Managed-identity tokens already signed (IMDS hands out the same token until near expiry).
    pub token_cache: crate::token_cache::TokenCache,
    /// Groups a running move holds.
    pub locks: crate::locks::GroupLocks,
    /// How long a move takes, in seconds of the simulator's clock (`/simulator/settings`).
    pub move_seconds: std::sync::atomic::AtomicI64,
    /// The enforce mode's reads, cached until a write changes them.
    pub grants: crate::grants_cache::GrantsCache,
    /// Whether ARM checks callers (`--auth`).
    pub auth: crate::domain::authorization::Mode,
    /// This server's own plain-HTTP address (loopback when bound to every address): where a
    /// scenario run started over HTTP sends its requests.
    pub http_base: String,
    /// The fault kinds armed now (`/simulator/faults`): request paths skip the lookup otherwise.
    pub faults: crate::ops::faults::Armed,
    /// Recent token requests and refusals (`/simulator/journal`).
    pub journal: crate::journal::Journal,
    /// Where named snapshots are kept (`/simulator/snapshots`).
    pub snapshot_dir: std::path::PathBuf,
    /// Template deployments running now, and their cancel flags.
    pub deployments: crate::ops::deployments::Running,
}
