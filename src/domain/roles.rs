//! Role-based access control as data: the built-in roles a managed-identity user meets (their
//! real GUIDs, names and permissions, the same in every tenant), role definition ids, and the
//! `$filter`s clients send when they list assignments and definitions.
use super::resource_id::ResourceId;

/// One permission block of a role (`actions` minus `notActions`, and the data-plane pair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permission {
    pub actions: &'static [&'static str],
    pub not_actions: &'static [&'static str],
    pub data_actions: &'static [&'static str],
    pub not_data_actions: &'static [&'static str],
}

/// A built-in role.
#[derive(Debug)]
pub struct BuiltInRole {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub permission: Permission,
}

const NONE: &[&str] = &[];

const fn role(
    id: &'static str,
    name: &'static str,
    description: &'static str,
    actions: &'static [&'static str],
    not_actions: &'static [&'static str],
    data_actions: &'static [&'static str],
) -> BuiltInRole {
    BuiltInRole {
        id,
        name,
        description,
        permission: Permission {
            actions,
            not_actions,
            data_actions,
            not_data_actions: NONE,
        },
    }
}

/// Built-in roles are dated as Azure dates them (they predate every tenant).
pub const BUILT_IN_CREATED_ON: &str = "2015-02-02T21:55:09.8806423Z";

/// The built-in roles mi-sim knows, by Microsoft's documentation of each.
pub static BUILT_IN_ROLES: &[BuiltInRole] = &[
    role("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "Owner",
        "Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.",
        &["*"], NONE, NONE),
    role("b24988ac-6180-42a0-ab88-20f7382dd24c", "Contributor",
        "Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.",
        &["*"],
        &["Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write", "Microsoft.Authorization/elevateAccess/Action",
          "Microsoft.Blueprint/blueprintAssignments/write", "Microsoft.Blueprint/blueprintAssignments/delete",
          "Microsoft.Compute/galleries/share/action", "Microsoft.Purview/consents/write", "Microsoft.Purview/consents/delete",
          "Microsoft.Resources/deploymentStacks/manageDenySetting/action", "Microsoft.Subscription/cancel/action",
          "Microsoft.Subscription/enable/action"],
        NONE),
    role("acdd72a7-3385-48ef-bd42-f606fba81ae7", "Reader",
        "View all resources, but does not allow you to make any changes.",
        &["*/read"], NONE, NONE),
    role("18d7d88d-d35e-4fb5-a5c3-7773c20a72d9", "User Access Administrator",
        "Lets you manage user access to Azure resources.",
        &["*/read", "Microsoft.Authorization/*", "Microsoft.Support/*"], NONE, NONE),
    role("f58310d9-a9f6-439a-9e8d-f62e7b41a168", "Role Based Access Control Administrator",
        "Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.",
        &["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleAssignments/delete", "*/read", "Microsoft.Support/*"],
        NONE, NONE),
    role("9980e02c-c2be-4d73-94e8-173b1dc7cf3c", "Virtual Machine Contributor",
        "Lets you manage virtual machines, but not access to them, and not the virtual network or storage account they're connected to.",
        &["Microsoft.Authorization/*/read", "Microsoft.Compute/availabilitySets/*", "Microsoft.Compute/locations/*",
          "Microsoft.Compute/virtualMachines/*", "Microsoft.Compute/virtualMachineScaleSets/*", "Microsoft.Compute/cloudServices/*",
          "Microsoft.Compute/disks/write", "Microsoft.Compute/disks/read", "Microsoft.Compute/disks/delete",
          "Microsoft.Compute/hostgroups/write", "Microsoft.Compute/hostgroups/hosts/write", "Microsoft.DevTestLab/schedules/*",
          "Microsoft.Insights/alertRules/*", "Microsoft.Network/applicationGateways/backendAddressPools/join/action",
          "Microsoft.Network/loadBalancers/backendAddressPools/join/action", "Microsoft.Network/loadBalancers/inboundNatPools/join/action",
          "Microsoft.Network/loadBalancers/inboundNatRules/join/action", "Microsoft.Network/loadBalancers/probes/join/action",
          "Microsoft.Network/loadBalancers/read", "Microsoft.Network/locations/*", "Microsoft.Network/networkInterfaces/*",
          "Microsoft.Network/networkSecurityGroups/join/action", "Microsoft.Network/networkSecurityGroups/read",
          "Microsoft.Network/publicIPAddresses/join/action", "Microsoft.Network/publicIPAddresses/read",
          "Microsoft.Network/virtualNetworks/read", "Microsoft.Network/virtualNetworks/subnets/join/action",
          "Microsoft.RecoveryServices/locations/*", "Microsoft.RecoveryServices/Vaults/backupFabrics/backupProtectionIntent/write",
          "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/*/read",
          "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/read",
          "Microsoft.RecoveryServices/Vaults/backupFabrics/protectionContainers/protectedItems/write",
          "Microsoft.RecoveryServices/Vaults/backupPolicies/read", "Microsoft.RecoveryServices/Vaults/backupPolicies/write",
          "Microsoft.RecoveryServices/Vaults/read", "Microsoft.RecoveryServices/Vaults/usages/read",
          "Microsoft.RecoveryServices/Vaults/write", "Microsoft.ResourceHealth/availabilityStatuses/read",
          "Microsoft.Resources/deployments/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
          "Microsoft.SerialConsole/serialPorts/connect/action", "Microsoft.SqlVirtualMachine/*",
          "Microsoft.Storage/storageAccounts/listKeys/action", "Microsoft.Storage/storageAccounts/read", "Microsoft.Support/*"],
        NONE, NONE),
    role("f1a07417-d97a-45cb-824c-7a7467783830", "Managed Identity Operator",
        "Read and Assign User Assigned Identity",
        &["Microsoft.ManagedIdentity/userAssignedIdentities/*/read", "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
          "Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
          "Microsoft.Resources/deployments/*", "Microsoft.Support/*"],
        NONE, NONE),
    role("e40ec5ca-96e0-45a2-b4ff-59039f2c2b59", "Managed Identity Contributor",
        "Create, Read, Update, and Delete User Assigned Identity",
        &["Microsoft.ManagedIdentity/userAssignedIdentities/read", "Microsoft.ManagedIdentity/userAssignedIdentities/write",
          "Microsoft.ManagedIdentity/userAssignedIdentities/delete",
          "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read",
          "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write",
          "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete",
          "Microsoft.ManagedIdentity/userAssignedIdentities/revokeTokens/action", "Microsoft.Authorization/*/read",
          "Microsoft.Insights/alertRules/*", "Microsoft.Resources/subscriptions/resourceGroups/read",
          "Microsoft.Resources/deployments/*", "Microsoft.Support/*"],
        NONE, NONE),
    role("4633458b-17de-408a-b874-0445c86b69e6", "Key Vault Secrets User",
        "Read secret contents. Only works for key vaults that use the 'Azure role-based access control' permission model.",
        NONE, NONE,
        &["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.KeyVault/vaults/secrets/readMetadata/action"]),
    role("00482a5a-887f-4fb3-b363-3b7fe8e74483", "Key Vault Administrator",
        "Perform all data plane operations on a key vault and all objects in it, including certificates, keys, and secrets. Cannot manage key vault resources or manage role assignments. Only works for key vaults that use the 'Azure role-based access control' permission model.",
        &["Microsoft.Authorization/*/read", "Microsoft.Insights/alertRules/*", "Microsoft.Resources/deployments/*",
          "Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Support/*",
          "Microsoft.KeyVault/checkNameAvailability/read", "Microsoft.KeyVault/deletedVaults/read",
          "Microsoft.KeyVault/locations/*/read", "Microsoft.KeyVault/vaults/*/read", "Microsoft.KeyVault/operations/read"],
        NONE,
        &["Microsoft.KeyVault/vaults/*"]),
    role("2a2b9908-6ea1-4ae2-8e65-a410df84e7d1", "Storage Blob Data Reader",
        "Allows for read access to Azure Storage blob containers and data",
        &["Microsoft.Storage/storageAccounts/blobServices/containers/read",
          "Microsoft.Storage/storageAccounts/blobServices/generateUserDelegationKey/action"],
        NONE,
        &["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read"]),
];

/// The built-in role with this GUID, in any case.
pub fn built_in(id: &str) -> Option<&'static BuiltInRole> {
    BUILT_IN_ROLES
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(id))
}

/// The GUID a role definition id ends in: `/subscriptions/{s}/providers/Microsoft.Authorization/
/// roleDefinitions/{guid}` or the tenant-level `/providers/...` form. `None` when it is
/// neither, or the last segment is not a GUID.
pub fn role_definition_guid(id: &str) -> Option<String> {
    let lower = id.to_ascii_lowercase();
    let (scope, guid) = lower.rsplit_once("/providers/microsoft.authorization/roledefinitions/")?;
    let scope_ok = scope.is_empty() || ResourceId::parse(scope).is_ok();
    (scope_ok && uuid::Uuid::parse_str(guid).is_ok()).then(|| guid.to_string())
}

/// Bounds of a custom role (Azure: 5,000 custom roles a tenant; names up to 512 characters).
pub const MAX_ROLE_NAME: usize = 512;
pub const MAX_ACTIONS: usize = 1000;
pub const MAX_ASSIGNABLE_SCOPES: usize = 100;

/// The control-plane actions and notActions of a custom role's `permissions`, every block
/// together (a role's blocks are one set of grants).
pub fn custom_actions(permissions: &serde_json::Value) -> (Vec<String>, Vec<String>) {
    let strings = |block: &serde_json::Value, key: &str| -> Vec<String> {
        block
            .get(key)
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let blocks = permissions.as_array().cloned().unwrap_or_default();
    let mut actions = Vec::new();
    let mut not_actions = Vec::new();
    for b in &blocks {
        actions.extend(strings(b, "actions"));
        not_actions.extend(strings(b, "notActions"));
    }
    (actions, not_actions)
}

/// Why a custom role body is refused: a name, permissions (arrays of action strings) and at
/// least one assignable scope, within Azure's bounds.
pub fn check_custom_role(
    role_name: &str,
    permissions: &serde_json::Value,
    assignable_scopes: &[String],
) -> Result<(), String> {
    if role_name.trim().is_empty() || role_name.len() > MAX_ROLE_NAME {
        return Err(format!(
            "'roleName' must be 1 to {MAX_ROLE_NAME} characters long."
        ));
    }
    let Some(blocks) = permissions.as_array().filter(|b| !b.is_empty()) else {
        return Err("'permissions' must be a list of {actions, notActions, dataActions, notDataActions} blocks.".into());
    };
    let mut count = 0;
    for b in blocks {
        for key in ["actions", "notActions", "dataActions", "notDataActions"] {
            match b.get(key) {
                None | Some(serde_json::Value::Null) => {}
                Some(serde_json::Value::Array(a)) if a.iter().all(|x| x.is_string()) => {
                    count += a.len()
                }
                Some(_) => {
                    return Err(format!(
                        "'permissions[].{key}' must be a list of action strings."
                    ))
                }
            }
        }
    }
    if count > MAX_ACTIONS {
        return Err(format!(
            "A role may list at most {MAX_ACTIONS} actions; this one lists {count}."
        ));
    }
    if assignable_scopes.is_empty() || assignable_scopes.len() > MAX_ASSIGNABLE_SCOPES {
        return Err(format!("'assignableScopes' must list 1 to {MAX_ASSIGNABLE_SCOPES} scopes, such as /subscriptions/{{id}}."));
    }
    Ok(())
}

/// What a role-assignment list asks for (`$filter`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AssignmentFilter {
    /// `atScope()`: only assignments at or above the scope, none below it.
    pub at_scope: bool,
    /// `principalId eq '{id}'` or `assignedTo('{id}')`.
    pub principal: Option<String>,
}

/// Parses the filters clients send, joined by `and`; anything else is refused with a message.
pub fn parse_assignment_filter(raw: Option<&str>) -> Result<AssignmentFilter, String> {
    let mut f = AssignmentFilter::default();
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(f);
    };
    for part in split_and(raw) {
        let lower = part.to_ascii_lowercase();
        if lower == "atscope()" {
            f.at_scope = true;
        } else if let Some(v) = quoted_after(part, &lower, "principalid eq ")
            .or_else(|| quoted_call(part, &lower, "assignedto("))
        {
            f.principal = Some(v.to_ascii_lowercase());
        } else {
            return Err(format!("The filter '{raw}' is not supported. Use atScope(), principalId eq '{{objectId}}' or assignedTo('{{objectId}}'), joined by 'and'."));
        }
    }
    Ok(f)
}

/// What a role-definition list asks for (`$filter`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DefinitionFilter {
    pub role_name: Option<String>,
    /// `Some(true)` for `type eq 'BuiltInRole'`, `Some(false)` for `'CustomRole'`.
    pub built_in: Option<bool>,
}

pub fn parse_definition_filter(raw: Option<&str>) -> Result<DefinitionFilter, String> {
    let mut f = DefinitionFilter::default();
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(f);
    };
    for part in split_and(raw) {
        let lower = part.to_ascii_lowercase();
        if let Some(v) = quoted_after(part, &lower, "rolename eq ") {
            f.role_name = Some(v);
        } else if let Some(v) = quoted_after(part, &lower, "type eq ") {
            f.built_in = match v.to_ascii_lowercase().as_str() {
                "builtinrole" => Some(true),
                "customrole" => Some(false),
                _ => {
                    return Err(format!(
                        "The role type '{v}' is not valid: use 'BuiltInRole' or 'CustomRole'."
                    ))
                }
            };
        } else if lower != "atscopeandbelow()" {
            return Err(format!("The filter '{raw}' is not supported. Use roleName eq '{{name}}' or type eq 'BuiltInRole', joined by 'and'."));
        }
    }
    Ok(f)
}

/// The parts of a filter joined by ` and ` (in any case).
fn split_and(raw: &str) -> Vec<&str> {
    let lower = raw.to_ascii_lowercase();
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(i) = lower[start..].find(" and ") {
        parts.push(raw[start..start + i].trim());
        start += i + 5;
    }
    parts.push(raw[start..].trim());
    parts
}

/// The quoted value after a prefix: `principalId eq 'x'` gives `x`.
fn quoted_after(part: &str, lower: &str, prefix: &str) -> Option<String> {
    lower.starts_with(prefix).then_some(())?;
    let value = part[prefix.len()..].trim();
    let inner = value.strip_prefix('\'')?.strip_suffix('\'')?;
    Some(inner.to_string())
}

/// The quoted argument of a call: `assignedTo('x')` gives `x`.
fn quoted_call(part: &str, lower: &str, prefix: &str) -> Option<String> {
    lower.starts_with(prefix).then_some(())?;
    let inner = part[prefix.len()..].strip_suffix(')')?.trim();
    Some(inner.strip_prefix('\'')?.strip_suffix('\'')?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_roles_have_their_real_guids() {
        assert_eq!(
            built_in("ACDD72A7-3385-48EF-BD42-F606FBA81AE7")
                .unwrap()
                .name,
            "Reader"
        );
        assert_eq!(BUILT_IN_ROLES.len(), 11);
        for r in BUILT_IN_ROLES {
            assert!(uuid::Uuid::parse_str(r.id).is_ok(), "{}", r.name);
        }
    }

    #[test]
    fn role_definition_ids_in_both_forms() {
        let guid = "acdd72a7-3385-48ef-bd42-f606fba81ae7";
        let sub = format!("/subscriptions/22222222-2222-4222-8222-222222222222/providers/Microsoft.Authorization/roleDefinitions/{guid}");
        assert_eq!(role_definition_guid(&sub).as_deref(), Some(guid));
        let tenant = format!(
            "/providers/Microsoft.Authorization/roleDefinitions/{}",
            guid.to_uppercase()
        );
        assert_eq!(role_definition_guid(&tenant).as_deref(), Some(guid));
        assert_eq!(role_definition_guid("Reader"), None);
        assert_eq!(
            role_definition_guid("/providers/Microsoft.Authorization/roleDefinitions/x"),
            None
        );
    }

    #[test]
    fn the_filters_clients_send() {
        let f = parse_assignment_filter(Some("atScope() and assignedTo('ABC')")).unwrap();
        assert_eq!((f.at_scope, f.principal.as_deref()), (true, Some("abc")));
        let f = parse_assignment_filter(Some("principalId eq 'x'")).unwrap();
        assert_eq!(f.principal.as_deref(), Some("x"));
        assert!(parse_assignment_filter(Some("name eq 'x'")).is_err());
        let d = parse_definition_filter(Some("roleName eq 'Virtual Machine Contributor'")).unwrap();
        assert_eq!(d.role_name.as_deref(), Some("Virtual Machine Contributor"));
        assert_eq!(
            parse_definition_filter(Some("type eq 'BuiltInRole'"))
                .unwrap()
                .built_in,
            Some(true)
        );
        assert!(parse_definition_filter(Some("type eq 'Other'")).is_err());
    }
}
