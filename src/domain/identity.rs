//! The managed-identity lifecycle rules, by rule id (`docs/rules.md`).
//! They decide *what* a principal looks like and *where* it lives; ops/ carries it out.
use super::names::name_key;
use super::resource_id::{GroupSegment, ResourceId};
use super::{IdentityName, ResourceGroupName, SubscriptionId, TenantId};
use serde::{Deserialize, Serialize};
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
}

/// R4: creating a user-assigned identity creates a service principal in the tenant that its
/// subscription trusts *at that moment*; the principal is named after the identity.
/// `principalId` = objectId, `clientId` = appId. Which resource it backs is not stored: the
/// resource names its principal, so a move has nothing to rename.
pub fn user_assigned_principal(
    subscription_tenant: TenantId,
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
    }
}

/// The ARM id of a user-assigned identity. The MSI provider writes the group segment as
/// `resourcegroups` (lowercase), as its examples and live traffic show (docs/wire-contract.md, "User-assigned identities").
pub fn user_assigned_identity_id(subscription: SubscriptionId, group: &str, name: &str) -> String {
    ResourceId::resource(subscription, group, USER_ASSIGNED_TYPE, name)
        .written_with(GroupSegment::Lower)
        .to_string()
}

/// The type of user-assigned identities.
pub const USER_ASSIGNED_TYPE: &str = "Microsoft.ManagedIdentity/userAssignedIdentities";

/// The ARM id of a resource group (`resourceGroups`, as Microsoft.Resources writes it).
pub fn resource_group_id(subscription: SubscriptionId, group: &ResourceGroupName) -> String {
    ResourceId::group_scope(subscription, group.as_str()).to_string()
}

/// R6: the identity types a VM or container group can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentityType {
    None,
    SystemAssigned,
    UserAssigned,
    SystemAndUserAssigned,
}

impl IdentityType {
    /// Parses a type as ARM does: any case, with or without the space after the comma
    /// (the docs' own examples send `systemAssigned` and `SystemAssigned,UserAssigned`).
    pub fn parse(raw: &str) -> Result<Self, IdentityViolation> {
        let squashed: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase();
        match squashed.as_str() {
            "none" => Ok(Self::None),
            "systemassigned" => Ok(Self::SystemAssigned),
            "userassigned" => Ok(Self::UserAssigned),
            "systemassigned,userassigned" | "userassigned,systemassigned" => {
                Ok(Self::SystemAndUserAssigned)
            }
            _ => Err(IdentityViolation::InvalidType(raw.to_string())),
        }
    }

    /// The canonical spelling, as ARM echoes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "None",
            Self::SystemAssigned => "SystemAssigned",
            Self::UserAssigned => "UserAssigned",
            Self::SystemAndUserAssigned => "SystemAssigned, UserAssigned",
        }
    }

    pub fn has_system(self) -> bool {
        matches!(self, Self::SystemAssigned | Self::SystemAndUserAssigned)
    }

    pub fn has_user(self) -> bool {
        matches!(self, Self::UserAssigned | Self::SystemAndUserAssigned)
    }

    fn from_parts(system: bool, user: bool) -> Self {
        match (system, user) {
            (false, false) => Self::None,
            (true, false) => Self::SystemAssigned,
            (false, true) => Self::UserAssigned,
            (true, true) => Self::SystemAndUserAssigned,
        }
    }
}

/// A user-assigned identity as a resource references it: the id as the client wrote it, and
/// the identity's principal and client ids as they were when the reference was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAssignedRef {
    pub id: String,
    pub principal_id: String,
    pub client_id: String,
}

impl UserAssignedRef {
    /// ARM matches these ids case-insensitively (and with or without a trailing slash).
    pub fn key(&self) -> String {
        ResourceId::parse(&self.id).map_or_else(|_| name_key(&self.id), |id| id.key())
    }
}

/// A resource's identity as stored: its type, its system principal, its user-assigned references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceIdentity {
    pub kind: IdentityType,
    /// The system-assigned principal and the tenant it lives in (R1).
    pub system: Option<(Uuid, TenantId)>,
    pub user_assigned: Vec<UserAssignedRef>,
}

impl ResourceIdentity {
    pub fn none() -> Self {
        Self {
            kind: IdentityType::None,
            system: None,
            user_assigned: Vec::new(),
        }
    }
}

/// The `identity` of a PUT or PATCH body: a type and the user-assigned ids named, each with
/// `true` to assign it or `false` for a `null` value (PATCH: remove that one).
#[derive(Debug, Clone)]
pub struct IdentityRequest {
    pub kind: IdentityType,
    pub user_assigned: Vec<(String, bool)>,
}

/// PUT replaces the identity; PATCH merges the user-assigned map (docs/wire-contract.md, "The identity object").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Put,
    Patch,
}

/// The most user-assigned identities one request may assign (docs/wire-contract.md, "Identity errors").
pub const MAX_ASSIGNED_PER_REQUEST: usize = 150;
/// R7: the most user-assigned identities one VM can hold (IMDS serves up to 1000).
pub const MAX_ASSIGNED_PER_VM: usize = 1000;
/// R7: the most a VM with the legacy managed-identity extension can hold (R18).
pub const MAX_ASSIGNED_WITH_EXTENSION: usize = 32;

/// Why an identity request cannot be carried out; the messages are Azure's where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityViolation {
    #[error("The identity type '{0}' is invalid. Allowed values are 'SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned' and 'None'.")]
    InvalidType(String),
    #[error("The request format was unexpected, a non-UserAssigned identity type should not contain: userAssignedIdentities")]
    UnexpectedUserAssigned,
    #[error(
        "The identity type '{0}' requires at least one entry in 'identity.userAssignedIdentities'."
    )]
    MissingUserAssigned(&'static str),
    #[error("Property id '{0}' at path 'identity.userAssignedIdentities' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{{subscriptionId}}' or '/providers/{{resourceProviderNamespace}}/'.")]
    InvalidUserAssignedId(String),
    /// More than 150 identities in one request.
    #[error("User Assigned Identities Number '{0}' Assign exceed limit '150' in one request.")]
    TooManyInRequest(usize),
    /// R7: more than 1000 identities on one VM (32 with the legacy extension).
    #[error("User Assigned Identities Number '{count}' exceed the limit of '{limit}' user-assigned identities per virtual machine{} (R7).", if *.limit == MAX_ASSIGNED_WITH_EXTENSION { " with the ManagedIdentityExtension" } else { "" })]
    TooManyOnResource { count: usize, limit: usize },
}

/// What applying an identity request does: the identity afterwards, the ids that must name
/// existing identities (looked up by the caller), and the principal changes R1 and R3 make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityChange {
    pub kind: IdentityType,
    /// Kept system principal, if any (a new one is `create_system`).
    pub system: Option<(Uuid, TenantId)>,
    /// R1: enabling creates a new system principal.
    pub create_system: bool,
    /// R3: disabling deletes the system principal.
    pub delete_system: Option<Uuid>,
    /// References kept as they are (PATCH merge), in order.
    pub kept: Vec<UserAssignedRef>,
    /// Ids named by the request, to be resolved to existing identities, in order.
    pub assign: Vec<String>,
}

/// R1, R3, R6, R7: what a PUT or PATCH of `identity` does to a resource's current identity.
/// PUT replaces it; PATCH merges the user-assigned map, a `null` value removing one key. The
/// type decides which kinds survive: without `SystemAssigned` the system principal is deleted
/// (R3), and enabling it again makes a new one (R1); without `UserAssigned` no reference stays.
pub fn plan_identity(
    current: &ResourceIdentity,
    request: &IdentityRequest,
    write: Write,
    limit: usize,
) -> Result<IdentityChange, IdentityViolation> {
    let named: Vec<&(String, bool)> = request.user_assigned.iter().collect();
    if !request.kind.has_user() && named.iter().any(|(_, assign)| *assign) {
        return Err(IdentityViolation::UnexpectedUserAssigned);
    }
    for (id, _) in &named {
        if parse_user_assigned_id(id).is_none() {
            return Err(IdentityViolation::InvalidUserAssignedId(id.clone()));
        }
    }
    // The last mention of a key wins (JSON objects may repeat a key in another case).
    let mut assign: Vec<String> = Vec::new();
    let mut removed: Vec<String> = Vec::new();
    for (id, add) in &named {
        let key = name_key(id);
        assign.retain(|a| name_key(a) != key);
        removed.retain(|r| *r != key);
        if *add {
            assign.push(id.clone());
        } else {
            removed.push(key);
        }
    }
    if assign.len() > MAX_ASSIGNED_PER_REQUEST {
        return Err(IdentityViolation::TooManyInRequest(assign.len()));
    }
    let kept: Vec<UserAssignedRef> = match (request.kind.has_user(), write) {
        (false, _) | (true, Write::Put) => Vec::new(),
        (true, Write::Patch) => current
            .user_assigned
            .iter()
            .filter(|r| {
                let key = r.key();
                !removed.contains(&key) && !assign.iter().any(|a| name_key(a) == key)
            })
            .cloned()
            .collect(),
    };
    let total = kept.len() + assign.len();
    if request.kind.has_user() && total == 0 {
        return Err(IdentityViolation::MissingUserAssigned(
            request.kind.as_str(),
        ));
    }
    if total > limit {
        return Err(IdentityViolation::TooManyOnResource {
            count: total,
            limit,
        });
    }
    let wants_system = request.kind.has_system();
    Ok(IdentityChange {
        kind: IdentityType::from_parts(wants_system, total > 0),
        system: current.system.filter(|_| wants_system),
        create_system: wants_system && current.system.is_none(),
        delete_system: current.system.filter(|_| !wants_system).map(|(p, _)| p),
        kept,
        assign,
    })
}

/// R1: the system-assigned principal of a resource, in the tenant its subscription trusts
/// now, named after the resource, as Entra names it.
pub fn system_assigned_principal(
    subscription_tenant: TenantId,
    name: &str,
    principal_id: Uuid,
    app_id: Uuid,
) -> NewPrincipal {
    NewPrincipal {
        object_id: principal_id,
        app_id,
        tenant_id: subscription_tenant,
        display_name: name.to_string(),
        kind: PrincipalKind::SystemAssigned,
    }
}

/// Where a user-assigned identity id points: (subscription, group key, name key); `None` when
/// the id is not a `Microsoft.ManagedIdentity/userAssignedIdentities` id.
pub fn parse_user_assigned_id(id: &str) -> Option<(SubscriptionId, String, String)> {
    let id = ResourceId::parse(id).ok()?;
    let (group, name) = id.as_resource(USER_ASSIGNED_TYPE)?;
    let group = ResourceGroupName::parse(group).ok()?;
    let name = IdentityName::parse(name).ok()?;
    Some((id.subscription(), group.key(), name.key()))
}
#[cfg(test)]
mod tests {
    fn uai(n: &str) -> String {
        format!("/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-{n}")
    }

    fn reference(n: &str) -> UserAssignedRef {
        UserAssignedRef {
            id: uai(n),
            principal_id: format!("p-{n}"),
            client_id: format!("c-{n}"),
        }
    }

    fn request(kind: &str, ids: &[(&str, bool)]) -> IdentityRequest {
        IdentityRequest {
            kind: IdentityType::parse(kind).unwrap(),
            user_assigned: ids.iter().map(|(n, a)| (uai(n), *a)).collect(),
        }
    }

    fn tenant() -> TenantId {
        TenantId::parse("11111111-1111-4111-8111-111111111111").unwrap()
    }

    #[test]
    fn r6_identity_types_parse_in_any_case_and_spacing() {
        for (raw, want) in [
            ("systemAssigned", IdentityType::SystemAssigned),
            ("USERASSIGNED", IdentityType::UserAssigned),
            (
                "SystemAssigned,UserAssigned",
                IdentityType::SystemAndUserAssigned,
            ),
            (
                "SystemAssigned, UserAssigned",
                IdentityType::SystemAndUserAssigned,
            ),
            ("none", IdentityType::None),
        ] {
            assert_eq!(IdentityType::parse(raw).unwrap(), want, "{raw}");
        }
        assert!(IdentityType::parse("Both").is_err());
    }

    #[test]
    fn r1_enabling_the_system_identity_creates_a_principal() {
        let plan = plan_identity(
            &ResourceIdentity::none(),
            &request("SystemAssigned", &[]),
            Write::Put,
            MAX_ASSIGNED_PER_VM,
        )
        .unwrap();
        assert!(plan.create_system);
        assert_eq!(plan.kind, IdentityType::SystemAssigned);
    }

    #[test]
    fn r3_dropping_system_assigned_from_the_type_deletes_its_principal() {
        let p = Uuid::new_v4();
        let current = ResourceIdentity {
            kind: IdentityType::SystemAndUserAssigned,
            system: Some((p, tenant())),
            user_assigned: vec![reference("a")],
        };
        let plan = plan_identity(
            &current,
            &request("UserAssigned", &[]),
            Write::Patch,
            MAX_ASSIGNED_PER_VM,
        )
        .unwrap();
        assert_eq!(plan.delete_system, Some(p));
        assert_eq!(plan.kept, vec![reference("a")]);
        assert_eq!(plan.kind, IdentityType::UserAssigned);
        let none = plan_identity(
            &current,
            &request("None", &[]),
            Write::Patch,
            MAX_ASSIGNED_PER_VM,
        )
        .unwrap();
        assert_eq!((none.kind, none.kept.len()), (IdentityType::None, 0));
    }

    #[test]
    fn patch_merges_the_map_and_null_removes_one_key_in_any_case() {
        let current = ResourceIdentity {
            kind: IdentityType::UserAssigned,
            system: None,
            user_assigned: vec![reference("a"), reference("b")],
        };
        let plan = plan_identity(
            &current,
            &request("UserAssigned", &[("B", false), ("c", true)]),
            Write::Patch,
            MAX_ASSIGNED_PER_VM,
        )
        .unwrap();
        assert_eq!(plan.kept, vec![reference("a")]);
        assert_eq!(plan.assign, vec![uai("c")]);
        let put = plan_identity(
            &current,
            &request("UserAssigned", &[("c", true)]),
            Write::Put,
            MAX_ASSIGNED_PER_VM,
        )
        .unwrap();
        assert!(put.kept.is_empty(), "PUT replaces the map");
    }

    #[test]
    fn r7_more_than_150_per_request_or_1000_per_vm_is_refused() {
        let many: Vec<(String, bool)> = (0..151)
            .map(|i| (uai(&format!("id{i:03}")), true))
            .collect();
        let req = IdentityRequest {
            kind: IdentityType::UserAssigned,
            user_assigned: many,
        };
        let err = plan_identity(
            &ResourceIdentity::none(),
            &req,
            Write::Patch,
            MAX_ASSIGNED_PER_VM,
        )
        .unwrap_err();
        assert_eq!(err, IdentityViolation::TooManyInRequest(151));
        let current = ResourceIdentity {
            kind: IdentityType::UserAssigned,
            system: None,
            user_assigned: (0..1000)
                .map(|i| reference(&format!("old{i:04}")))
                .collect(),
        };
        let err = plan_identity(
            &current,
            &request("UserAssigned", &[("new", true)]),
            Write::Patch,
            MAX_ASSIGNED_PER_VM,
        )
        .unwrap_err();
        assert_eq!(
            err,
            IdentityViolation::TooManyOnResource {
                count: 1001,
                limit: MAX_ASSIGNED_PER_VM
            }
        );
    }

    #[test]
    fn user_assigned_ids_must_be_identity_ids_and_need_the_user_assigned_type() {
        let bad = IdentityRequest {
            kind: IdentityType::UserAssigned,
            user_assigned: vec![("/subscriptions/x/foo".into(), true)],
        };
        assert!(matches!(
            plan_identity(
                &ResourceIdentity::none(),
                &bad,
                Write::Put,
                MAX_ASSIGNED_PER_VM
            ),
            Err(IdentityViolation::InvalidUserAssignedId(_))
        ));
        assert_eq!(
            plan_identity(
                &ResourceIdentity::none(),
                &request("SystemAssigned", &[("a", true)]),
                Write::Put,
                MAX_ASSIGNED_PER_VM
            ),
            Err(IdentityViolation::UnexpectedUserAssigned)
        );
        assert_eq!(
            parse_user_assigned_id(&uai("Web-ID")).map(|(_, g, n)| (g, n)),
            Some(("rg".to_string(), "id-web-id".to_string()))
        );
    }

    use super::*;

    #[test]
    fn r4_user_assigned_principal_lives_in_the_subscription_tenant_of_the_moment() {
        let tenant = TenantId::parse("33333333-3333-4333-8333-333333333333").unwrap();
        let name = IdentityName::parse("web-id").unwrap();
        let (p, c) = (Uuid::new_v4(), Uuid::new_v4());
        let sp = user_assigned_principal(tenant, &name, p, c);
        assert_eq!(sp.tenant_id, tenant);
        assert_eq!((sp.object_id, sp.app_id), (p, c));
        assert_eq!(sp.kind, PrincipalKind::UserAssigned);
        assert_eq!(sp.display_name, "web-id");
    }
}
