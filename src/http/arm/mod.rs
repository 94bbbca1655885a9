//! ARM, one module per provider: the paths, bodies and codes of Azure's REST specs.
pub mod authorization;
pub mod compute;
pub mod compute_list;
pub mod container_instance;
pub mod deployments;
pub mod export;
pub mod extensions;
pub mod generic;
pub mod identity;
pub mod lro;
pub mod managed_identity;
pub mod moves;
pub mod resources;
pub mod subscriptions;
