//! Rules about where an identity may be attached, and the historical ones a user can switch
//! off (DESIGN principle 7): they stay on by default, as the documentation states them.

/// A documented restriction Azure has since lifted; on unless a user switched it off.
#[derive(Debug)]
pub struct SwitchableRule {
    pub id: &'static str,
    pub rule: &'static str,
    pub description: &'static str,
}

/// R16: a container group in a virtual network cannot have a managed identity.
pub const R16_VIRTUAL_NETWORK: &str = "R16-virtual-network";
/// R16: only Linux container groups can have a managed identity.
pub const R16_WINDOWS: &str = "R16-windows";

pub static SWITCHABLE: &[SwitchableRule] = &[
    SwitchableRule {
        id: R16_VIRTUAL_NETWORK,
        rule: "R16",
        description: "A container group deployed into a virtual network cannot have a managed identity. Azure has since lifted this restriction.",
    },
    SwitchableRule {
        id: R16_WINDOWS,
        rule: "R16",
        description: "Only Linux container groups can have a managed identity. Azure has since lifted this restriction.",
    },
];

/// Finds a switchable rule by id, in any case.
pub fn switchable(id: &str) -> Option<&'static SwitchableRule> {
    SWITCHABLE.iter().find(|r| r.id.eq_ignore_ascii_case(id))
}

/// The switches in force: which of the historical rules are on.
#[derive(Debug, Clone, Copy)]
pub struct RuleSwitches {
    pub r16_virtual_network: bool,
    pub r16_windows: bool,
}

impl Default for RuleSwitches {
    fn default() -> Self {
        Self {
            r16_virtual_network: true,
            r16_windows: true,
        }
    }
}

impl RuleSwitches {
    /// The defaults with a user's changes applied.
    pub fn from_overrides<'a>(overrides: impl IntoIterator<Item = (&'a str, bool)>) -> Self {
        let mut s = Self::default();
        for (id, enabled) in overrides {
            if id.eq_ignore_ascii_case(R16_VIRTUAL_NETWORK) {
                s.r16_virtual_network = enabled;
            } else if id.eq_ignore_ascii_case(R16_WINDOWS) {
                s.r16_windows = enabled;
            }
        }
        s
    }
}

/// Why a container group may not have the identity it asks for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    /// R16: identities on container groups need api-version 2018-10-01 or later.
    #[error("The request content was invalid and could not be deserialized: 'Could not find member 'identity' on object of type 'ContainerGroup'. Path 'identity'.'.")]
    IdentityNeedsNewerApiVersion(String),
    /// R16: Windows container groups cannot have an identity.
    #[error("Managed service identity is not supported for Windows container groups.")]
    IdentityOnWindows,
    /// R16: container groups in a virtual network cannot have an identity. Azure's text is not
    /// known (the documentation stated the restriction); this one says what to change.
    #[error("Managed service identity is not supported for container groups deployed into a virtual network. Remove 'identity' or 'subnetIds'.")]
    IdentityInVirtualNetwork,
}

impl RuleViolation {
    /// mi-sim's own word on a refusal, beside Azure's message (which a user's assertions may
    /// match word for word): the rule, and how to lift a historical one.
    pub fn hint(&self) -> String {
        match self {
            Self::IdentityNeedsNewerApiVersion(v) => format!(
                "R16: managed identities on container groups need api-version {CONTAINER_GROUP_IDENTITY_SINCE} or later; this request used '{v}'."
            ),
            Self::IdentityOnWindows => "R16: mi-sim enforces this historical restriction by default; PATCH /simulator/rules/R16-windows with {\"enabled\": false} lifts it.".into(),
            Self::IdentityInVirtualNetwork => "R16: mi-sim enforces this historical restriction by default; PATCH /simulator/rules/R16-virtual-network with {\"enabled\": false} lifts it.".into(),
        }
    }
}

/// The first api-version of Microsoft.ContainerInstance with `identity` (R16).
pub const CONTAINER_GROUP_IDENTITY_SINCE: &str = "2018-10-01";

/// R16: whether a container group may carry an identity, given its OS, network and the
/// api-version of the request. `has_identity` is false for type `None` or no identity.
pub fn check_container_group_identity(
    has_identity: bool,
    api_version: &str,
    windows: bool,
    in_virtual_network: bool,
    switches: RuleSwitches,
) -> Result<(), RuleViolation> {
    if !has_identity {
        return Ok(());
    }
    if api_version < CONTAINER_GROUP_IDENTITY_SINCE {
        return Err(RuleViolation::IdentityNeedsNewerApiVersion(
            api_version.to_string(),
        ));
    }
    if windows && switches.r16_windows {
        return Err(RuleViolation::IdentityOnWindows);
    }
    if in_virtual_network && switches.r16_virtual_network {
        return Err(RuleViolation::IdentityInVirtualNetwork);
    }
    Ok(())
}

/// R16 over a container group as stored: its OS and network are read from its properties.
/// `sent_with` is the api-version of a request that sends an identity; a request that does not
/// send one keeps the identity the group has, whatever its api-version.
pub fn check_container_group(
    properties: &serde_json::Map<String, serde_json::Value>,
    has_identity: bool,
    sent_with: Option<&str>,
    switches: RuleSwitches,
) -> Result<(), RuleViolation> {
    use serde_json::Value;
    let windows = properties
        .get("osType")
        .and_then(Value::as_str)
        .is_some_and(|os| os.eq_ignore_ascii_case("windows"));
    let in_virtual_network = properties
        .get("subnetIds")
        .and_then(Value::as_array)
        .is_some_and(|s| !s.is_empty())
        || properties
            .get("networkProfile")
            .is_some_and(|n| !n.is_null());
    let version = sent_with.unwrap_or(CONTAINER_GROUP_IDENTITY_SINCE);
    check_container_group_identity(has_identity, version, windows, in_virtual_network, switches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r16_identity_needs_2018_10_01_linux_and_no_virtual_network_by_default() {
        let on = RuleSwitches::default();
        assert!(check_container_group_identity(true, "2023-05-01", false, false, on).is_ok());
        assert!(check_container_group_identity(false, "2018-06-01", true, true, on).is_ok());
        assert_eq!(
            check_container_group_identity(true, "2018-06-01", false, false, on),
            Err(RuleViolation::IdentityNeedsNewerApiVersion(
                "2018-06-01".into()
            ))
        );
        assert_eq!(
            check_container_group_identity(true, "2023-05-01", true, false, on),
            Err(RuleViolation::IdentityOnWindows)
        );
        assert_eq!(
            check_container_group_identity(true, "2023-05-01", false, true, on),
            Err(RuleViolation::IdentityInVirtualNetwork)
        );
    }

    #[test]
    fn r16_historical_restrictions_can_be_switched_off() {
        let off =
            RuleSwitches::from_overrides([(R16_WINDOWS, false), ("r16-VIRTUAL-network", false)]);
        assert!(check_container_group_identity(true, "2023-05-01", true, true, off).is_ok());
    }
}
