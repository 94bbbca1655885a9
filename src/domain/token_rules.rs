//! Tokens for managed identities: which identity a request on an instance gets (R8), whether
//! that identity can have a token now (R2, R3, R5, R11, R15), derived from state as DESIGN
//! principle 3 asks, and the claims of the token (shaped like Entra's, docs/wire-contract.md, "Tokens").
use super::identity::UserAssignedRef;
use super::resource_id::{GroupSegment, ResourceId};
use serde::Serialize;

/// How long a managed-identity token lives (IMDS hands out ~24 h tokens).
pub const TOKEN_LIFETIME_SECS: i64 = 86_399;
/// A cached token is handed out again until this close to its expiry.
pub const REFRESH_BEFORE_EXPIRY_SECS: i64 = 300;
/// The longest `resource` (audience) a token request may name. Application ID URIs are short;
/// the bound keeps a caller from filling the token cache with its own strings.
pub const MAX_RESOURCE_LEN: usize = 1024;

/// Why a `resource` parameter is refused: too long to be an application ID URI.
pub fn check_resource(resource: &str) -> Result<(), String> {
    (resource.len() <= MAX_RESOURCE_LEN).then_some(()).ok_or_else(|| {
        format!(
            "The resource parameter is {} characters long; an application ID URI has at most {MAX_RESOURCE_LEN}.",
            resource.len()
        )
    })
}

/// The identity a token request names, if any (at most one selector, docs/wire-contract.md, "Instance endpoints").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Default,
    ClientId(String),
    ObjectId(String),
    ResourceId(String),
}

/// The system-assigned identity of an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemIdentity {
    pub principal_id: String,
    pub client_id: String,
}

/// The identity a request gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    System(SystemIdentity),
    User(UserAssignedRef),
}

impl Chosen {
    pub fn principal_id(&self) -> &str {
        match self {
            Self::System(s) => &s.principal_id,
            Self::User(u) => &u.principal_id,
        }
    }

    pub fn client_id(&self) -> &str {
        match self {
            Self::System(s) => &s.client_id,
            Self::User(u) => &u.client_id,
        }
    }
}

/// Why no identity was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionError {
    /// Nothing matches (or the instance has no identity).
    NotFound,
    /// R8: several user-assigned identities, no system one, and no selector.
    Ambiguous,
}

/// R8: without a selector the system-assigned identity if enabled, else the one user-assigned
/// identity if there is exactly one; with several and no system identity the request must name
/// one. A selector matches a client id, an object (principal) id or a user-assigned resource
/// id, in any case.
pub fn select_identity(
    system: Option<&SystemIdentity>,
    user_assigned: &[UserAssignedRef],
    selector: &Selector,
) -> Result<Chosen, SelectionError> {
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let user = |f: &dyn Fn(&UserAssignedRef) -> bool| {
        user_assigned
            .iter()
            .find(|u| f(u))
            .cloned()
            .map(Chosen::User)
            .ok_or(SelectionError::NotFound)
    };
    match selector {
        Selector::Default => match (system, user_assigned) {
            (Some(s), _) => Ok(Chosen::System(s.clone())),
            (None, [only]) => Ok(Chosen::User(only.clone())),
            (None, []) => Err(SelectionError::NotFound),
            (None, _) => Err(SelectionError::Ambiguous),
        },
        Selector::ClientId(id) => match system.filter(|s| same(&s.client_id, id)) {
            Some(s) => Ok(Chosen::System(s.clone())),
            None => user(&|u| same(&u.client_id, id)),
        },
        Selector::ObjectId(id) => match system.filter(|s| same(&s.principal_id, id)) {
            Some(s) => Ok(Chosen::System(s.clone())),
            None => user(&|u| same(&u.principal_id, id)),
        },
        Selector::ResourceId(id) => match ResourceId::parse(id) {
            Ok(id) => {
                let key = id.key();
                user(&|u| u.key() == key)
            }
            Err(_) => Err(SelectionError::NotFound),
        },
    }
}

/// What the store knows about the chosen identity right now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityFacts {
    /// The tenant the chosen principal lives in; `None` when the principal is gone.
    pub principal_tenant: Option<String>,
    /// The tenant the instance's subscription trusts now.
    pub subscription_tenant: String,
    /// For a user-assigned identity: the principal of the identity that now lives at the id the
    /// reference names (`None` when nothing lives there).
    pub identity_at_reference: Option<String>,
}

/// Why a chosen identity cannot have a token, by rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// R5: the user-assigned identity was deleted (or deleted and made again: a new principal).
    IdentityDeleted,
    /// R15: the user-assigned identity was moved; nothing lives at the id the resource names.
    IdentityMoved,
    /// R2, R3: the principal is gone.
    PrincipalDeleted,
    /// R11: the subscription now trusts another tenant than the principal's.
    TenantChanged,
}

impl Refusal {
    /// The rule a log line names.
    pub fn rule(self) -> &'static str {
        match self {
            Self::IdentityDeleted => "R5",
            Self::IdentityMoved => "R15",
            Self::PrincipalDeleted => "R3",
            Self::TenantChanged => "R11",
        }
    }
}

/// Whether the chosen identity can have a token now, from the facts alone.
pub fn can_issue_token(chosen: &Chosen, facts: &IdentityFacts) -> Result<(), Refusal> {
    if let Chosen::User(u) = chosen {
        match (&facts.identity_at_reference, &facts.principal_tenant) {
            (Some(p), _) if p == &u.principal_id => {}
            (None, Some(_)) => return Err(Refusal::IdentityMoved),
            _ => return Err(Refusal::IdentityDeleted),
        }
    }
    match &facts.principal_tenant {
        None => Err(Refusal::PrincipalDeleted),
        Some(t) if !t.eq_ignore_ascii_case(&facts.subscription_tenant) => {
            Err(Refusal::TenantChanged)
        }
        Some(_) => Ok(()),
    }
}

/// The claims of a managed-identity access token (v1, as IMDS issues them).
#[derive(Debug, Clone, Serialize)]
pub struct AccessTokenClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub aio: String,
    pub appid: String,
    pub appidacr: &'static str,
    pub idp: String,
    pub idtyp: &'static str,
    pub oid: String,
    pub rh: String,
    pub sub: String,
    pub tid: String,
    pub uti: String,
    pub ver: &'static str,
    /// For managed identities: the resource (system) or identity (user-assigned) behind it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xms_mirid: Option<String>,
    /// For a user-assigned identity: the resource it was used from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xms_az_rid: Option<String>,
}

/// R12: a token names the tenant its principal lives in (`tid`), nothing else; `xms_mirid`
/// names the resource (system) or the identity (user-assigned), with `resourcegroups` in
/// lowercase as Entra writes it.
pub fn managed_identity_claims(
    chosen: &Chosen,
    tenant: &str,
    audience: &str,
    instance_resource_id: &str,
    now: i64,
    nonce: &str,
) -> AccessTokenClaims {
    let lower_groups = |id: &str| match ResourceId::parse(id) {
        Ok(id) => id.written_with(GroupSegment::Lower).to_string(),
        Err(_) => id.replacen("/resourceGroups/", "/resourcegroups/", 1),
    };
    let (mirid, az_rid) = match chosen {
        Chosen::System(_) => (lower_groups(instance_resource_id), None),
        Chosen::User(u) => (
            lower_groups(&u.id),
            Some(lower_groups(instance_resource_id)),
        ),
    };
    // A managed identity signs in with a certificate (appidacr 2), and its token lives longer.
    AccessTokenClaims {
        exp: now + TOKEN_LIFETIME_SECS,
        appidacr: "2",
        xms_mirid: Some(mirid),
        xms_az_rid: az_rid,
        ..application_claims(
            chosen.client_id(),
            chosen.principal_id(),
            tenant,
            audience,
            now,
            nonce,
        )
    }
}

/// How long an application's token lives (client credentials).
pub const APPLICATION_TOKEN_LIFETIME_SECS: i64 = 3_599;

/// The claims of an application's token (client credentials), v1 as ARM's audience gets them.
pub fn application_claims(
    app_id: &str,
    object_id: &str,
    tenant: &str,
    audience: &str,
    now: i64,
    nonce: &str,
) -> AccessTokenClaims {
    let issuer = format!("https://sts.windows.net/{tenant}/");
    AccessTokenClaims {
        aud: audience.to_string(),
        iss: issuer.clone(),
        iat: now,
        nbf: now,
        exp: now + APPLICATION_TOKEN_LIFETIME_SECS,
        aio: nonce.to_string(),
        appid: app_id.to_string(),
        appidacr: "1",
        idp: issuer,
        idtyp: "app",
        oid: object_id.to_string(),
        rh: "0.mi-sim.".to_string(),
        sub: object_id.to_string(),
        tid: tenant.to_string(),
        uti: nonce.chars().take(22).collect(),
        ver: "1.0",
        xms_mirid: None,
        xms_az_rid: None,
    }
}

/// The audience a client-credentials request asks for: v1 sends `resource`; v2 sends a
/// `scope` that must end in `/.default`, which is cut off (`https://x//.default` → `https://x/`).
pub fn audience_of_scope(scope: &str) -> Option<String> {
    scope
        .split_whitespace()
        .find_map(|s| s.strip_suffix("/.default"))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uai(n: &str) -> UserAssignedRef {
        UserAssignedRef {
            id: format!("/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{n}"),
            principal_id: format!("p-{n}"),
            client_id: format!("c-{n}"),
        }
    }

    fn system() -> SystemIdentity {
        SystemIdentity {
            principal_id: "p-sys".into(),
            client_id: "c-sys".into(),
        }
    }

    #[test]
    fn r8_default_is_the_system_identity_then_the_only_user_assigned_one() {
        let s = system();
        assert_eq!(
            select_identity(Some(&s), &[uai("a"), uai("b")], &Selector::Default),
            Ok(Chosen::System(s.clone()))
        );
        assert_eq!(
            select_identity(None, &[uai("a")], &Selector::Default),
            Ok(Chosen::User(uai("a")))
        );
        assert_eq!(
            select_identity(None, &[], &Selector::Default),
            Err(SelectionError::NotFound)
        );
    }

    #[test]
    fn r8_several_user_assigned_and_no_system_identity_need_a_selector() {
        let both = [uai("a"), uai("b")];
        assert_eq!(
            select_identity(None, &both, &Selector::Default),
            Err(SelectionError::Ambiguous)
        );
        assert_eq!(
            select_identity(None, &both, &Selector::ClientId("C-B".into())),
            Ok(Chosen::User(uai("b")))
        );
        assert_eq!(
            select_identity(None, &both, &Selector::ObjectId("p-a".into())),
            Ok(Chosen::User(uai("a")))
        );
        let id = uai("b").id.to_uppercase();
        assert_eq!(
            select_identity(None, &both, &Selector::ResourceId(id)),
            Ok(Chosen::User(uai("b")))
        );
        assert_eq!(
            select_identity(None, &both, &Selector::ClientId("nope".into())),
            Err(SelectionError::NotFound)
        );
    }

    #[test]
    fn client_credential_scopes_need_dot_default() {
        assert_eq!(
            audience_of_scope("https://management.azure.com//.default").as_deref(),
            Some("https://management.azure.com/")
        );
        assert_eq!(
            audience_of_scope("https://vault.azure.net/.default").as_deref(),
            Some("https://vault.azure.net")
        );
        assert_eq!(audience_of_scope("https://vault.azure.net/read"), None);
    }

    #[test]
    fn refusals_are_derived_from_the_facts_by_rule() {
        let facts = |principal: Option<&str>, at: Option<&str>| IdentityFacts {
            principal_tenant: principal.map(str::to_string),
            subscription_tenant: "t1".into(),
            identity_at_reference: at.map(str::to_string),
        };
        let user = Chosen::User(uai("a"));
        assert_eq!(
            can_issue_token(&user, &facts(Some("t1"), Some("p-a"))),
            Ok(())
        );
        assert_eq!(
            can_issue_token(&user, &facts(None, None)),
            Err(Refusal::IdentityDeleted)
        );
        assert_eq!(
            can_issue_token(&user, &facts(Some("t1"), None)),
            Err(Refusal::IdentityMoved)
        );
        assert_eq!(
            can_issue_token(&user, &facts(None, Some("p-new"))),
            Err(Refusal::IdentityDeleted),
            "deleted and made again under the same name: a new principal"
        );
        assert_eq!(
            can_issue_token(&user, &facts(Some("t0"), Some("p-a"))),
            Err(Refusal::TenantChanged)
        );
        let sys = Chosen::System(system());
        assert_eq!(can_issue_token(&sys, &facts(Some("t1"), None)), Ok(()));
        assert_eq!(
            can_issue_token(&sys, &facts(Some("t0"), None)),
            Err(Refusal::TenantChanged)
        );
    }

    #[test]
    fn r12_claims_name_the_principal_tenant_and_the_identity_resource() {
        let c = managed_identity_claims(
            &Chosen::User(uai("a")),
            "t1",
            "https://management.azure.com/",
            "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm",
            1000,
            "nonce-nonce-nonce-nonce-nonce",
        );
        assert_eq!(
            (c.tid.as_str(), c.oid.as_str(), c.appid.as_str()),
            ("t1", "p-a", "c-a")
        );
        assert_eq!(c.exp - c.iat, TOKEN_LIFETIME_SECS);
        assert!(c
            .xms_mirid
            .unwrap()
            .contains("/resourcegroups/rg/providers/Microsoft.ManagedIdentity/"));
        assert!(c.xms_az_rid.unwrap().ends_with("/virtualMachines/vm"));
        assert_eq!(c.aud, "https://management.azure.com/");
    }
}
