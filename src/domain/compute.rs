//! Virtual machines and container groups: the two kinds of resource that run code and so carry
//! managed identities, their ARM ids, and what their power actions do.
use super::SubscriptionId;

/// The kinds of compute resource mi-sim serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComputeKind {
    VirtualMachine,
    ContainerGroup,
}

impl ComputeKind {
    /// The ARM resource type, as stored and as shown.
    pub fn resource_type(self) -> &'static str {
        match self {
            Self::VirtualMachine => "Microsoft.Compute/virtualMachines",
            Self::ContainerGroup => "Microsoft.ContainerInstance/containerGroups",
        }
    }

    /// The provider namespace, for operation URLs.
    pub fn namespace(self) -> &'static str {
        match self {
            Self::VirtualMachine => "Microsoft.Compute",
            Self::ContainerGroup => "Microsoft.ContainerInstance",
        }
    }

    /// The power state of a new resource: both start running.
    pub fn initial_power_state(self) -> &'static str {
        match self {
            Self::VirtualMachine => PowerState::Running.as_str(),
            Self::ContainerGroup => "Running",
        }
    }

    /// ARM's id of a resource of this kind.
    pub fn resource_id(self, sub: SubscriptionId, group: &str, name: &str) -> String {
        super::resource_id::ResourceId::resource(sub, group, self.resource_type(), name).to_string()
    }
}

/// A VM's power state (docs/wire-contract.md, "VMs").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerState {
    Running,
    Stopped,
    Deallocated,
}

impl PowerState {
    pub fn parse(stored: &str) -> Self {
        match stored {
            "stopped" => Self::Stopped,
            "deallocated" => Self::Deallocated,
            _ => Self::Running,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Deallocated => "deallocated",
        }
    }

    /// The instance view status: (`PowerState/...` code, display status).
    pub fn status(self) -> (&'static str, &'static str) {
        match self {
            Self::Running => ("PowerState/running", "VM running"),
            Self::Stopped => ("PowerState/stopped", "VM stopped"),
            Self::Deallocated => ("PowerState/deallocated", "VM deallocated"),
        }
    }
}

/// A power action on a VM or container group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerAction {
    Start,
    PowerOff,
    Deallocate,
    Restart,
    Stop,
}

impl PowerAction {
    /// The VM power state an action leaves behind.
    pub fn vm_outcome(self) -> PowerState {
        match self {
            Self::Start | Self::Restart => PowerState::Running,
            Self::PowerOff | Self::Stop => PowerState::Stopped,
            Self::Deallocate => PowerState::Deallocated,
        }
    }

    /// The container group state an action leaves behind.
    pub fn container_group_outcome(self) -> &'static str {
        match self {
            Self::Start | Self::Restart => "Running",
            Self::PowerOff | Self::Stop | Self::Deallocate => "Stopped",
        }
    }

    /// The name of the operation, as recorded for its poller.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::PowerOff => "powerOff",
            Self::Deallocate => "deallocate",
            Self::Restart => "restart",
            Self::Stop => "stop",
        }
    }
}

/// Drops the write-only values of a VM's or container group's properties, before they are
/// stored: Azure never returns them (so neither does mi-sim, in any answer or log), and
/// nothing mi-sim simulates needs them. Secret volumes keep their names with no values (`{}`),
/// as ACI shows them.
pub fn drop_write_only(
    kind: ComputeKind,
    properties: &mut serde_json::Map<String, serde_json::Value>,
) {
    use serde_json::Value;
    fn each(v: Option<&mut Value>) -> impl Iterator<Item = &mut serde_json::Map<String, Value>> {
        v.and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .filter_map(Value::as_object_mut)
    }
    match kind {
        ComputeKind::VirtualMachine => {
            if let Some(Value::Object(os)) = properties.get_mut("osProfile") {
                os.remove("adminPassword");
                os.remove("customData");
            }
        }
        ComputeKind::ContainerGroup => {
            for volume in each(properties.get_mut("volumes")) {
                if let Some(Value::Object(file)) = volume.get_mut("azureFile") {
                    file.remove("storageAccountKey");
                }
                if let Some(secret) = volume.get_mut("secret") {
                    *secret = Value::Object(Default::default());
                }
            }
            if let Some(Value::Object(la)) = properties
                .get_mut("diagnostics")
                .and_then(|d| d.get_mut("logAnalytics"))
            {
                la.remove("workspaceKey");
            }
            for credential in each(properties.get_mut("imageRegistryCredentials")) {
                credential.remove("password");
            }
            for list in ["containers", "initContainers"] {
                for container in each(properties.get_mut(list)) {
                    let env = container
                        .get_mut("properties")
                        .and_then(|p| p.get_mut("environmentVariables"));
                    for var in each(env) {
                        var.remove("secureValue");
                    }
                }
            }
        }
    }
}

/// What Compute fills in of a VM's profiles when the request leaves it out, as its answers show
/// (clients such as Ansible's VM info read `storageProfile.osDisk` unconditionally): the OS
/// disk (type, name, create option, caching, size, its managed disk in the VM's group), empty
/// `dataDisks` and `osProfile.secrets`, the OS configuration's defaults. A data disk sent with
/// `toBeDetached: true` is gone after the write. `group_id` is the VM's group; `disk_suffix`
/// makes the GUID part of an OS disk name, when one has to be made.
pub fn complete_vm_properties(
    properties: &mut serde_json::Map<String, serde_json::Value>,
    vm_name: &str,
    group_id: &str,
    disk_suffix: impl FnOnce() -> String,
) {
    use serde_json::{json, Map, Value};
    fn object<'a>(parent: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
        let slot = parent.entry(key).or_insert_with(|| json!({}));
        if !slot.is_object() {
            *slot = json!({});
        }
        slot.as_object_mut().expect("an object")
    }
    fn default(map: &mut Map<String, Value>, key: &str, value: Value) {
        map.entry(key).or_insert(value);
    }
    let windows = properties
        .get("osProfile")
        .and_then(|o| o.get("windowsConfiguration"))
        .is_some()
        || properties
            .get("storageProfile")
            .and_then(|s| s.get("imageReference"))
            .and_then(|i| i.get("publisher"))
            .and_then(Value::as_str)
            .is_some_and(|p| p.to_ascii_lowercase().contains("windows"));
    let os_type = if windows { "Windows" } else { "Linux" };

    let storage = object(properties, "storageProfile");
    let os_disk = object(storage, "osDisk");
    default(os_disk, "osType", json!(os_type));
    if !os_disk.contains_key("name") {
        os_disk.insert(
            "name".into(),
            json!(format!("{vm_name}_OsDisk_1_{}", disk_suffix())),
        );
    }
    default(os_disk, "createOption", json!("FromImage"));
    default(os_disk, "caching", json!("ReadWrite"));
    default(os_disk, "diskSizeGB", json!(if windows { 127 } else { 30 }));
    default(os_disk, "deleteOption", json!("Detach"));
    let name = os_disk["name"].as_str().unwrap_or(vm_name).to_string();
    let managed = object(os_disk, "managedDisk");
    default(managed, "storageAccountType", json!("Premium_LRS"));
    default(
        managed,
        "id",
        json!(format!(
            "{group_id}/providers/Microsoft.Compute/disks/{name}"
        )),
    );
    let disks = storage.entry("dataDisks").or_insert_with(|| json!([]));
    if let Some(list) = disks.as_array_mut() {
        list.retain(|d| d.get("toBeDetached").and_then(Value::as_bool) != Some(true));
    }
    // Every Azure VM has a network profile (a VM needs a NIC); mi-sim serves no networks, so a
    // VM sent without one shows an empty list, which clients iterate (Ansible's VM info does).
    let network = object(properties, "networkProfile");
    default(network, "networkInterfaces", json!([]));
    if let Some(Value::Object(os)) = properties.get_mut("osProfile") {
        default(os, "secrets", json!([]));
        default(os, "allowExtensionOperations", json!(true));
        let (key, defaults) = if windows {
            (
                "windowsConfiguration",
                json!({"provisionVMAgent": true, "enableAutomaticUpdates": true,
                       "patchSettings": {"patchMode": "AutomaticByOS", "assessmentMode": "ImageDefault"}}),
            )
        } else {
            (
                "linuxConfiguration",
                json!({"disablePasswordAuthentication": false, "provisionVMAgent": true,
                       "patchSettings": {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"}}),
            )
        };
        let config = object(os, key);
        for (k, v) in defaults.as_object().expect("an object") {
            default(config, k, v.clone());
        }
    }
}

#[cfg(test)]
mod write_only_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_of_container_groups_and_vms_are_dropped_before_storage() {
        let mut cg = json!({
            "volumes": [{"name": "f", "azureFile": {"shareName": "s", "storageAccountName": "a", "storageAccountKey": "KEY"}},
                        {"name": "s", "secret": {"k": "dmFsdWU="}}],
            "diagnostics": {"logAnalytics": {"workspaceId": "w", "workspaceKey": "WKEY"}},
            "imageRegistryCredentials": [{"server": "r.io", "username": "u", "password": "PW"}],
            "containers": [{"name": "c", "properties": {"environmentVariables": [{"name": "A", "value": "1"}, {"name": "B", "secureValue": "SV"}]}}]
        });
        drop_write_only(ComputeKind::ContainerGroup, cg.as_object_mut().unwrap());
        let text = cg.to_string();
        for secret in ["KEY", "WKEY", "PW", "SV", "dmFsdWU="] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert_eq!(cg["volumes"][1]["secret"], json!({}));
        assert_eq!(cg["volumes"][0]["azureFile"]["shareName"], "s");

        let mut vm = json!({"osProfile": {"adminUsername": "u", "adminPassword": "P", "customData": "Q2xvdWQ="}});
        drop_write_only(ComputeKind::VirtualMachine, vm.as_object_mut().unwrap());
        assert_eq!(vm, json!({"osProfile": {"adminUsername": "u"}}));
    }
}

/// The etag of a resource at a model version, as Compute writes it: a quoted number.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The conditional headers of a write (`If-Match`, `If-None-Match`), as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Precondition {
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
}

impl Precondition {
    /// Whether a write may go ahead on a resource whose etag is `current` (`None`: it does not
    /// exist), by RFC 9110: `If-Match` needs one of its tags (or `*`: any resource) to match,
    /// `If-None-Match` needs none to (`*`: no resource).
    pub fn allows(&self, current: Option<&str>) -> bool {
        fn tags(header: &str) -> impl Iterator<Item = &str> {
            header.split(',').map(|t| t.trim().trim_start_matches("W/"))
        }
        let matches = |header: &str| match current {
            None => false,
            Some(etag) => tags(header).any(|t| t == "*" || t == etag),
        };
        self.if_match.as_deref().is_none_or(matches)
            && !self.if_none_match.as_deref().is_some_and(matches)
    }
}

#[cfg(test)]
mod precondition_tests {
    use super::*;

    #[test]
    fn if_match_and_if_none_match_follow_rfc_9110() {
        let when = |m: Option<&str>, n: Option<&str>| Precondition {
            if_match: m.map(str::to_string),
            if_none_match: n.map(str::to_string),
        };
        let current = Some("\"2\"");
        assert!(when(None, None).allows(current) && when(None, None).allows(None));
        assert!(when(Some("\"2\""), None).allows(current));
        assert!(when(Some("\"1\", \"2\""), None).allows(current));
        assert!(!when(Some("\"1\""), None).allows(current));
        assert!(when(Some("*"), None).allows(current));
        assert!(
            !when(Some("*"), None).allows(None),
            "If-Match: * needs the resource"
        );
        assert!(
            !when(None, Some("*")).allows(current),
            "If-None-Match: * is create-only"
        );
        assert!(when(None, Some("*")).allows(None));
        assert!(!when(None, Some("\"2\"")).allows(current));
    }
}

/// R14: a VM moved while running whose identity reference was not written since still points
/// at its old id; starting it fails until any update of the VM writes the reference again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleIdentityReference {
    /// Where the reference points (key form): the VM's id before the move.
    pub written_at: String,
    /// The VM's id now.
    pub here: String,
}

impl StaleIdentityReference {
    /// The error the start operation ends with. Azure's own text for this case is not public;
    /// this follows its wording for a failed identity operation and names the old place.
    pub fn arm_error(&self) -> serde_json::Value {
        serde_json::json!({
            "code": "FailedIdentityOperation",
            "message": format!(
                "Identity operation for resource '{here}' failed with error 'Failed to perform resource identity operation. Status: 'NotFound'. Response: '{{\"error\":{{\"code\":\"NotFound\",\"message\":\"Resource '{old}' was not found.\"}}}}'.'. The VM's managed identity reference still points at '{old}', where the VM was before it moved. Update the VM (for example az vm update --set tags.fixVM=1) and start it again.",
                here = self.here,
                old = self.written_at,
            ),
        })
    }
}

/// R14: whether a stopped VM with an identity can start: only if its identity reference was
/// written at the id it has now.
pub fn check_start(
    identity_type: &str,
    written_at: &str,
    here: &super::resource_id::ResourceId,
) -> Result<(), StaleIdentityReference> {
    let has_identity = !identity_type.eq_ignore_ascii_case("None");
    if has_identity && !written_at.is_empty() && written_at != here.key() {
        return Err(StaleIdentityReference {
            written_at: written_at.to_string(),
            here: here.to_string(),
        });
    }
    Ok(())
}
