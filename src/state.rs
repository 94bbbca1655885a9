//! The one piece of shared state every handler gets through `web::Data`.
use crate::{clock::Clock, idgen::IdGen, store::Store};

/// Store, clock and id generator: everything an op needs.
#[derive(Debug)]
pub struct AppState {
    pub store: Store,
    pub clock: Clock,
    pub idgen: IdGen,
}
