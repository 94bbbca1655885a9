//! Plain data and pure rules: names and identifiers as ARM accepts them, the catalogue of
//! providers, api-versions and locations, and the lifecycle rules. Nothing here knows about
//! HTTP or SQL, so every rule is unit-tested without a runtime.
pub mod authorization;
pub mod catalog;
pub mod compute;
pub mod export;
pub mod extensions;
pub mod faults;
pub mod filter;
pub mod health;
pub mod identity;
pub mod ids;
pub mod moves;
pub mod names;
pub mod resource_id;
pub mod roles;
pub mod rules;
pub mod tags;
pub mod template;
pub mod token_rules;

pub use ids::{IdError, SubscriptionId, TenantId};
pub use names::{IdentityName, NameError, ResourceGroupName, ResourceName};
pub use tags::{TagError, Tags};
