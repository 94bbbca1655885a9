//! Resource names with ARM's naming rules (resource-name-rules.md). Each keeps the casing the
//! client sent for display and offers `key()`, the lowercased form used for comparison.
use std::fmt;

/// Why a name was refused; the message is Azure's and says what a valid name looks like.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NameError {
    #[error("The provided resource group name '{name}' has these invalid characters: '{chars}'. The name can only be a letter, digit, '-', '.', '(', ')' or '_'.")]
    ResourceGroupCharacters { name: String, chars: String },
    #[error("Resource group names only allow up to 90 characters and can only include alphanumeric, underscore, parentheses, hyphen, period (except at end), and Unicode characters that match the allowed characters. The name '{0}' does not.")]
    ResourceGroupShape(String),
    #[error("The resource name '{0}' is invalid. A user-assigned identity name must be 3 to 128 characters long, start with a letter or a digit, and contain only letters, digits, hyphens and underscores.")]
    Identity(String),
    #[error("The resource name '{0}' is invalid. A virtual machine name must be 1 to 64 characters long, contain no spaces and none of ~!@#$%^&*()=+_[]{{}}\\|;:.'\",<>/?, and must not end with a period or a hyphen.")]
    VirtualMachine(String),
    #[error("The VM extension name '{0}' is invalid. It must be 1 to 64 characters long and contain only letters, digits, '.', '-' and '_'.")]
    Extension(String),
    #[error("The container group name '{0}' is invalid. It must be 1 to 63 characters long, contain only lowercase letters, digits and single hyphens, and must not start or end with a hyphen.")]
    ContainerGroup(String),
}

/// The normalised form of any ARM name: the key it is stored, indexed and compared under.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// A resource group name: 1–90 characters of letters, digits, `-`, `.`, `(`, `)`, `_`, not ending in `.`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceGroupName(String);

impl ResourceGroupName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let bad: String = raw
            .chars()
            .filter(|c| !(c.is_alphanumeric() || matches!(c, '-' | '.' | '(' | ')' | '_')))
            .collect();
        if !bad.is_empty() {
            return Err(NameError::ResourceGroupCharacters {
                name: raw.to_string(),
                chars: bad,
            });
        }
        let len = raw.chars().count();
        if len == 0 || len > 90 || raw.ends_with('.') {
            return Err(NameError::ResourceGroupShape(raw.to_string()));
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The normalised form: ARM compares group names case-insensitively.
    pub fn key(&self) -> String {
        name_key(&self.0)
    }
}

impl fmt::Display for ResourceGroupName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user-assigned identity name: `^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityName(String);

impl IdentityName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let ok = (3..=128).contains(&raw.len())
            && raw.starts_with(|c: char| c.is_ascii_alphanumeric())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(raw.to_string()))
        } else {
            Err(NameError::Identity(raw.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        name_key(&self.0)
    }
}

impl fmt::Display for IdentityName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of a VM or container group, checked against its type's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceName(String);

impl ResourceName {
    /// A virtual machine name (Microsoft.Compute naming rules).
    pub fn vm(raw: &str) -> Result<Self, NameError> {
        const BANNED: &str = "~!@#$%^&*()=+_[]{}\\|;:.'\",<>/?";
        let ok = (1..=64).contains(&raw.chars().count())
            && !raw
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || BANNED.contains(c))
            && !raw.ends_with(['.', '-']);
        ok.then(|| Self(raw.to_string()))
            .ok_or_else(|| NameError::VirtualMachine(raw.to_string()))
    }

    /// A container group name: lowercase letters, digits and single hyphens, 1–63 long.
    pub fn container_group(raw: &str) -> Result<Self, NameError> {
        let ok = (1..=63).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        ok.then(|| Self(raw.to_string()))
            .ok_or_else(|| NameError::ContainerGroup(raw.to_string()))
    }

    /// A VM extension name: letters, digits, '.', '-', '_', 1–64 long (extension names are
    /// often their type, `ManagedIdentityExtensionForLinux`, or dotted, `Microsoft.Insights.X`).
    pub fn extension(raw: &str) -> Result<Self, NameError> {
        let ok = (1..=64).contains(&raw.len())
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        ok.then(|| Self(raw.to_string()))
            .ok_or_else(|| NameError::Extension(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn key(&self) -> String {
        name_key(&self.0)
    }
}

impl fmt::Display for ResourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_group_names_follow_arm_rules() {
        for ok in ["a", "rg-1", "My_RG.(test)", "grüße", &"x".repeat(90)] {
            assert!(ResourceGroupName::parse(ok).is_ok(), "{ok} should be valid");
        }
        for bad in ["", "rg.", "rg/1", "rg 1", "a#b", &"x".repeat(91)] {
            assert!(
                ResourceGroupName::parse(bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn resource_group_invalid_characters_are_quoted() {
        let err = ResourceGroupName::parse("a b#").unwrap_err().to_string();
        assert!(err.contains("invalid characters: ' #'"), "{err}");
    }

    #[test]
    fn identity_names_follow_arm_rules() {
        for ok in ["abc", "id_1-x", "9lives", &"a".repeat(128)] {
            assert!(IdentityName::parse(ok).is_ok(), "{ok} should be valid");
        }
        for bad in ["ab", "-abc", "_abc", "a.bc", "a bc", &"a".repeat(129)] {
            assert!(IdentityName::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn vm_and_container_group_names_follow_their_rules() {
        for ok in ["vm1", "My-VM", &"v".repeat(64)] {
            assert!(ResourceName::vm(ok).is_ok(), "{ok} should be valid");
        }
        for bad in ["", "vm 1", "vm_1", "vm.", "vm-", "a/b", &"v".repeat(65)] {
            assert!(ResourceName::vm(bad).is_err(), "{bad} should be refused");
        }
        for ok in ["web", "aci-1", "a1"] {
            assert!(
                ResourceName::container_group(ok).is_ok(),
                "{ok} should be valid"
            );
        }
        for bad in ["", "Web", "-a", "a-", "a--b", "a_b", &"a".repeat(64)] {
            assert!(
                ResourceName::container_group(bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn keys_are_lowercase() {
        assert_eq!(ResourceGroupName::parse("MyRG").unwrap().key(), "myrg");
        assert_eq!(ResourceGroupName::parse("GRÜSSE").unwrap().key(), "grüsse");
        assert_eq!(IdentityName::parse("MyId").unwrap().key(), "myid");
    }
}
