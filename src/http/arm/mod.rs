//! ARM, one module per provider: the paths, bodies and codes of Azure's REST specs.
pub mod managed_identity;
pub mod resources;
pub mod subscriptions;
