//! The managed-identity lifecycle rules, by rule id (../shared/reference/rules.md).
//! They decide *what* a principal looks like and *where* it lives; ops/ carries it out.
use super::{IdentityName, ResourceGroupName, SubscriptionId, TenantId};
use uuid::Uuid;

/// The kinds of service principal mi-sim keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    SystemAssigned,
    UserAssigned,
    Application,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SystemAssigned => "SystemAssigned",
            Self::UserAssigned => "UserAssigned",
            Self::Application => "Application",
        }
    }
}

/// A service principal to be created in a tenant.
#[derive(Debug, Clone)]
pub struct NewPrincipal {
    pub object_id: Uuid,
    pub app_id: Uuid,
    pub tenant_id: TenantId,
    pub display_name: String,
    pub kind: PrincipalKind,
    pub resource_id: Option<String>,
}

/// R4: creating a user-assigned identity creates a service principal in the tenant that its
/// subscription trusts *at that moment*; the principal is named after the identity and
/// remembers the resource it backs. `principalId` = objectId, `clientId` = appId.
pub fn user_assigned_principal(
    subscription_tenant: TenantId,
    resource_id: &str,
    name: &IdentityName,
    principal_id: Uuid,
    client_id: Uuid,
) -> NewPrincipal {
    NewPrincipal {
        object_id: principal_id,
        app_id: client_id,
        tenant_id: subscription_tenant,
        display_name: name.to_string(),
        kind: PrincipalKind::UserAssigned,
        resource_id: Some(resource_id.to_string()),
    }
}

/// The ARM id of a user-assigned identity. The MSI provider writes the group segment as
/// `resourcegroups` (lowercase), as its examples and live traffic show (arm-contract.md A.1.3).
pub fn user_assigned_identity_id(subscription: SubscriptionId, group: &str, name: &str) -> String {
    format!("/subscriptions/{subscription}/resourcegroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}")
}

/// The ARM id of a resource group (`resourceGroups`, as Microsoft.Resources writes it).
pub fn resource_group_id(subscription: SubscriptionId, group: &ResourceGroupName) -> String {
    format!("/subscriptions/{subscription}/resourceGroups/{group}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r4_user_assigned_principal_lives_in_the_subscription_tenant_of_the_moment() {
        let tenant = TenantId::parse("33333333-3333-4333-8333-333333333333").unwrap();
        let name = IdentityName::parse("web-id").unwrap();
        let (p, c) = (Uuid::new_v4(), Uuid::new_v4());
        let sp = user_assigned_principal(tenant, "/x", &name, p, c);
        assert_eq!(sp.tenant_id, tenant);
        assert_eq!((sp.object_id, sp.app_id), (p, c));
        assert_eq!(sp.kind, PrincipalKind::UserAssigned);
        assert_eq!(sp.display_name, "web-id");
    }
}
