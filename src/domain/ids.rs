//! GUID identifiers. Parsed once at the edge; displayed lowercase and hyphenated, which is
//! also their key (GUIDs compare case-insensitively in ARM).
use std::fmt;
use uuid::Uuid;

/// Why a GUID from the client was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IdError {
    #[error("The provided subscription identifier '{0}' is malformed or invalid.")]
    Subscription(String),
    #[error("The tenant identifier '{0}' is not a valid GUID.")]
    Tenant(String),
}

macro_rules! guid_newtype {
    ($(#[$doc:meta])* $name:ident, $err:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name(Uuid);

        impl $name {
            /// Parses a GUID in any case, with or without braces.
            pub fn parse(raw: &str) -> Result<Self, IdError> {
                Uuid::parse_str(raw.trim()).map(Self).map_err(|_| IdError::$err(raw.to_string()))
            }
            /// Wraps a GUID that is known to be valid (generated or read from the store).
            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    };
}

guid_newtype!(
    /// An Azure subscription id.
    SubscriptionId,
    Subscription
);
guid_newtype!(
    /// An Entra tenant (directory) id.
    TenantId,
    Tenant
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_ids_parse_in_any_case_and_display_lowercase() {
        let id = SubscriptionId::parse("22222222-AAAA-4222-8222-222222222222").unwrap();
        assert_eq!(id.to_string(), "22222222-aaaa-4222-8222-222222222222");
    }

    #[test]
    fn a_malformed_subscription_id_is_refused() {
        assert!(SubscriptionId::parse("not-a-guid").is_err());
    }
}
