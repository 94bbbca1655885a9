//! VM extensions, and the one with behaviour: the legacy managed-identity extension (R18),
//! `ManagedIdentityExtensionForWindows` / `ManagedIdentityExtensionForLinux` of publisher
//! `Microsoft.ManagedIdentity`. Deprecated since January 2019 in favour of IMDS; while it is
//! provisioned the VM serves its token endpoint (`localhost:50342/oauth2/token` on a real VM)
//! and holds at most 32 user-assigned identities (R7). Its provisioning can fail on a DNS
//! lookup error that lasts until the VM restarts.
use serde_json::{json, Value};

pub const MANAGED_IDENTITY_PUBLISHER: &str = "Microsoft.ManagedIdentity";
pub const MANAGED_IDENTITY_TYPES: [&str; 2] = [
    "ManagedIdentityExtensionForWindows",
    "ManagedIdentityExtensionForLinux",
];
/// The version the extension was published at (the only one there is).
pub const MANAGED_IDENTITY_VERSION: &str = "1.0.0.10";
/// ARM's type of an extension resource.
pub const EXTENSION_TYPE: &str = "Microsoft.Compute/virtualMachines/extensions";

/// True for the legacy managed-identity extension, in any case.
pub fn is_managed_identity(publisher: &str, extension_type: &str) -> bool {
    publisher.eq_ignore_ascii_case(MANAGED_IDENTITY_PUBLISHER)
        && MANAGED_IDENTITY_TYPES
            .iter()
            .any(|t| t.eq_ignore_ascii_case(extension_type))
}

/// Provisioning states an extension shows.
pub const SUCCEEDED: &str = "Succeeded";
pub const FAILED: &str = "Failed";

/// R18: what the VM agent reports when the extension cannot resolve the name of the service
/// it fetches credentials from. Compute's envelope for a failed extension
/// (`VMExtensionProvisioningError`) with the documented remedy.
pub fn dns_failure(name: &str, publisher: &str, extension_type: &str) -> Value {
    let os = if extension_type.to_ascii_lowercase().ends_with("windows") {
        "windows"
    } else {
        "linux"
    };
    json!({
        "code": "VMExtensionProvisioningError",
        "message": format!(
            "VM has reported a failure when processing extension '{name}' (publisher '{publisher}' and type '{extension_type}'). Error message: 'Failed to acquire the managed identity credentials: DNS lookup failed (temporary failure in name resolution). Restart the VM and try again.'. More information on troubleshooting is available at https://aka.ms/vmextension{os}troubleshoot."
        ),
    })
}

/// The extension images `az vm extension set` looks a version up in when none is given
/// (publisher, type, versions newest first): the managed-identity extension, and a few that
/// scripts commonly install beside it.
pub const EXTENSION_IMAGES: &[(&str, &str, &[&str])] = &[
    (
        MANAGED_IDENTITY_PUBLISHER,
        "ManagedIdentityExtensionForLinux",
        &[MANAGED_IDENTITY_VERSION],
    ),
    (
        MANAGED_IDENTITY_PUBLISHER,
        "ManagedIdentityExtensionForWindows",
        &[MANAGED_IDENTITY_VERSION],
    ),
    (
        "Microsoft.Azure.Extensions",
        "CustomScript",
        &["2.1.10", "2.0.7"],
    ),
    (
        "Microsoft.Compute",
        "CustomScriptExtension",
        &["1.10.18", "1.9.5"],
    ),
    (
        "Microsoft.Azure.ActiveDirectory",
        "AADSSHLoginForLinux",
        &["1.0.3003.1"],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_two_legacy_types_of_the_managed_identity_publisher_have_behaviour() {
        assert!(is_managed_identity(
            "microsoft.managedidentity",
            "managedidentityextensionforlinux"
        ));
        assert!(is_managed_identity(
            "Microsoft.ManagedIdentity",
            "ManagedIdentityExtensionForWindows"
        ));
        assert!(!is_managed_identity(
            "Microsoft.Azure.Extensions",
            "CustomScript"
        ));
        assert!(!is_managed_identity(
            "Other",
            "ManagedIdentityExtensionForLinux"
        ));
    }

    #[test]
    fn the_dns_failure_names_the_extension_and_the_remedy() {
        let e = dns_failure("mi", MANAGED_IDENTITY_PUBLISHER, MANAGED_IDENTITY_TYPES[0]);
        let m = e["message"].as_str().unwrap();
        assert!(
            m.contains("extension 'mi'") && m.contains("Restart the VM"),
            "{m}"
        );
        assert!(m.ends_with("vmextensionwindowstroubleshoot."), "{m}");
    }
}
