//! Who is calling ARM and what a request needs: the one place authorization is decided.
//!
//! The front door (`http::middleware::front_door`) verifies the bearer token against mi-sim's
//! signing key and clock and turns its claims into a [`Principal`]; each request's action comes
//! from [`required_action`], ARM's rule for every route: `{namespace}/{types...}/{verb}` with
//! `read` for GET, `write` for PUT and PATCH, `delete` for DELETE and `{name}/action` for POST
//! (the wire contract's "how ARM evaluates actions"). [`authorize`] decides; in the open mode
//! mi-sim runs in today every caller is allowed, and the RBAC work adds the evaluation of role
//! assignments here and nowhere else.

use super::resource_id::key_within;

/// What kind of principal a verified token names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    /// A managed identity (the token carries `xms_mirid`).
    ManagedIdentity,
    /// An application signing in with its own credentials.
    Application,
}

/// A caller whose token mi-sim signed and that is valid now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPrincipal {
    /// `oid`: the service principal's object id.
    pub object_id: String,
    /// `tid`: the tenant the principal lives in.
    pub tenant_id: String,
    /// `appid`: the client id.
    pub app_id: String,
    pub kind: PrincipalKind,
    /// `xms_mirid`, for a managed identity: the resource or identity behind it.
    pub resource_id: Option<String>,
    /// `aud`: the resource the token was issued for.
    pub audience: String,
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No token, or one mi-sim cannot vouch for (the reason says why).
    Anonymous(Unverified),
    Verified(VerifiedPrincipal),
}

impl Principal {
    /// Who called, as the journal names a caller.
    pub fn label(&self) -> String {
        match self {
            Principal::Verified(p) => format!("{} (app {})", p.object_id, p.app_id),
            Principal::Anonymous(why) => format!("anonymous ({why:?})"),
        }
    }
}

/// Why a caller is anonymous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unverified {
    NoToken,
    /// Not a JWT, or not signed by mi-sim's key.
    NotSignedByMiSim,
    Expired,
    NotYetValid,
    /// Signed by mi-sim but without `oid`/`tid`/`appid`.
    MissingClaims,
}

impl Unverified {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoToken => "no bearer token",
            Self::NotSignedByMiSim => "the token is not one mi-sim signed",
            Self::Expired => "the token has expired",
            Self::NotYetValid => "the token is not valid yet",
            Self::MissingClaims => "the token lacks oid, tid or appid",
        }
    }
}

/// The principal behind the claims of a token mi-sim signed, checked against the time `now`
/// (seconds since the epoch, the simulator's clock).
pub fn principal_from_claims(
    claims: &serde_json::Map<String, serde_json::Value>,
    now: i64,
) -> Principal {
    let text = |k: &str| claims.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let time = |k: &str| claims.get(k).and_then(|v| v.as_i64());
    if time("exp").is_none_or(|exp| now >= exp) {
        return Principal::Anonymous(Unverified::Expired);
    }
    if time("nbf").is_some_and(|nbf| now < nbf) {
        return Principal::Anonymous(Unverified::NotYetValid);
    }
    let (Some(object_id), Some(tenant_id), Some(app_id)) =
        (text("oid"), text("tid"), text("appid"))
    else {
        return Principal::Anonymous(Unverified::MissingClaims);
    };
    let resource_id = text("xms_mirid");
    let audience = text("aud").unwrap_or_default();
    Principal::Verified(VerifiedPrincipal {
        audience,
        kind: if resource_id.is_some() {
            PrincipalKind::ManagedIdentity
        } else {
            PrincipalKind::Application
        },
        object_id,
        tenant_id,
        app_id,
        resource_id,
    })
}

/// The ARM action a request needs, from the route's pattern (`{placeholders}` for names) and
/// the request's own path (for a namespace given as a placeholder). `None` for a pattern
/// that is not an ARM route.
pub fn required_action(method: &str, pattern: &str, path: &str) -> Option<String> {
    let literal = |s: &str| !s.starts_with('{');
    let mut pattern: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let mut actual: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // An extension route at any scope (`/{scope}/providers/Microsoft.Authorization/...`): its
    // action is its provider's, whatever the scope, so the walk starts at `providers`.
    if pattern.first().is_some_and(|s| s.starts_with("{scope")) {
        pattern.remove(0);
        actual = pattern.clone();
    }
    let value = |i: usize| *actual.get(i).unwrap_or(&pattern[i]);
    let first = pattern.first()?;
    if !["subscriptions", "tenants", "providers"]
        .iter()
        .any(|s| first.eq_ignore_ascii_case(s))
    {
        return None;
    }
    let post = method.eq_ignore_ascii_case("POST");
    let last = pattern.len() - 1;
    let mut namespace = "Microsoft.Resources".to_string();
    let mut types: Vec<String> = Vec::new();
    let mut verb = None;
    let mut i = 0;
    // Segments come in (type, name) pairs, whatever their spelling (`identities/default`); a
    // trailing type without a name is a collection or, on POST, the action's verb.
    while i < pattern.len() {
        let s = pattern[i];
        if post && i == last && literal(s) {
            verb = Some(format!("{s}/action"));
            break;
        }
        if s.eq_ignore_ascii_case("providers") {
            if i + 2 < pattern.len() {
                // A provider namespace, and its types (or its POST verb) below it.
                namespace = value(i + 1).to_string();
                types.clear();
            } else {
                // The provider itself.
                types.push("providers".into());
            }
        } else {
            types.push(s.to_string());
        }
        i += 2;
    }
    let verb = verb.unwrap_or_else(|| {
        match method.to_ascii_uppercase().as_str() {
            "PUT" | "PATCH" => "write",
            "DELETE" => "delete",
            _ => "read",
        }
        .to_string()
    });
    let mut action = namespace;
    for t in types {
        action.push('/');
        action.push_str(&t);
    }
    action.push('/');
    action.push_str(&verb);
    Some(action)
}

/// How ARM treats callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Every caller may do everything, with or without a token; assignments are only stored.
    #[default]
    Open,
    /// Every ARM call needs a token mi-sim signed whose principal's role assignments grant the
    /// route's action over the scope it addresses.
    Enforce,
}

impl Mode {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.to_ascii_lowercase().as_str() {
            "open" => Some(Self::Open),
            "enforce" => Some(Self::Enforce),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Enforce => "enforce",
        }
    }
}

/// What one role assignment grants: its scope (key form) and its role's permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub scope_key: String,
    pub role_name: String,
    pub actions: Vec<String>,
    pub not_actions: Vec<String>,
}

/// ARM's action matching: case-insensitive, `*` matches anything (across `/`), and `/*/`
/// also matches a single `/` (Managed Identity Operator's `userAssignedIdentities/*/assign/action`
/// grants `userAssignedIdentities/assign/action`).
pub fn action_matches(pattern: &str, action: &str) -> bool {
    fn glob(p: &[u8], a: &[u8]) -> bool {
        // Iterative wildcard match with one backtrack point: linear in practice, and bounded
        // by the lengths of two short strings either way.
        let (mut pi, mut ai, mut star, mut mark) = (0, 0, None, 0);
        while ai < a.len() {
            if pi < p.len() && p[pi] == b'*' {
                star = Some(pi);
                mark = ai;
                pi += 1;
            } else if pi < p.len() && p[pi].eq_ignore_ascii_case(&a[ai]) {
                pi += 1;
                ai += 1;
            } else if let Some(s) = star {
                pi = s + 1;
                mark += 1;
                ai = mark;
            } else {
                return false;
            }
        }
        p[pi..].iter().all(|&c| c == b'*')
    }
    glob(pattern.as_bytes(), action.as_bytes())
        || (pattern.contains("/*/")
            && glob(
                pattern.replacen("/*/", "/", 1).as_bytes(),
                action.as_bytes(),
            ))
}

impl Grant {
    /// Whether this grant applies over `scope_key` (at it or above it).
    pub fn covers(&self, scope_key: &str) -> bool {
        self.scope_key == "/" || key_within(scope_key, &self.scope_key)
    }

    /// Whether it applies over `scope_key` or somewhere below it.
    pub fn covers_part_of(&self, scope_key: &str) -> bool {
        self.covers(scope_key) || key_within(&self.scope_key, scope_key)
    }

    /// Whether its role grants `action`: an action matches and no notAction does.
    pub fn permits(&self, action: &str) -> bool {
        self.actions.iter().any(|p| action_matches(p, action))
            && !self.not_actions.iter().any(|p| action_matches(p, action))
    }
}

/// A verified caller and what its role assignments grant (the enforce mode keeps it with the
/// request, so an operation can check a linked scope, R13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerGrants {
    pub principal: VerifiedPrincipal,
    pub grants: std::sync::Arc<Vec<Grant>>,
}

impl CallerGrants {
    pub fn allows(&self, action: &str, scope_key: &str) -> bool {
        allowed(&self.grants, action, scope_key)
    }
}

/// RBAC is additive: any grant over the scope that permits the action allows it.
pub fn allowed(grants: &[Grant], action: &str, scope_key: &str) -> bool {
    grants
        .iter()
        .any(|g| g.covers(scope_key) && g.permits(action))
}

/// The scope a request addresses, for the decision: the subscription, the group, and the
/// top-level resource named in its path (child resources and actions are within it). `None`
/// for a path outside any subscription.
pub fn request_scope(path: &str) -> Option<String> {
    // A request path is cut, not parsed as a `ResourceId`: it is decided before the handler
    // refuses a bad one (a subscription that is not a GUID, an action after the name).
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if !segs.first()?.eq_ignore_ascii_case("subscriptions") {
        return None;
    }
    let mut scope = format!("/subscriptions/{}", segs.get(1)?);
    if segs
        .get(2)
        .is_some_and(|s| s.eq_ignore_ascii_case("resourceGroups"))
    {
        if let Some(g) = segs.get(3) {
            scope.push_str(&format!("/resourceGroups/{g}"));
            if let (Some(p), Some(ns), Some(ty), Some(name)) =
                (segs.get(4), segs.get(5), segs.get(6), segs.get(7))
            {
                if p.eq_ignore_ascii_case("providers") {
                    scope.push_str(&format!("/providers/{ns}/{ty}/{name}"));
                }
            }
        }
    }
    Some(scope)
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "The client '{client}' with object id '{object_id}' does not have authorization to perform action '{action}' over scope '{scope}' or the scope is invalid. If access was recently granted, please refresh your credentials."
)]
pub struct Denied {
    pub client: String,
    pub object_id: String,
    pub action: String,
    pub scope: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actions_follow_arms_rule_for_every_kind_of_route() {
        let cases = [
            ("GET", "/subscriptions", "Microsoft.Resources/subscriptions/read"),
            ("GET", "/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}", "Microsoft.Resources/subscriptions/resourcegroups/read"),
            ("DELETE", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}", "Microsoft.Resources/subscriptions/resourceGroups/delete"),
            ("GET", "/subscriptions/{subscriptionId}/resources", "Microsoft.Resources/subscriptions/resources/read"),
            ("PUT", "/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}", "Microsoft.ManagedIdentity/userAssignedIdentities/write"),
            ("PATCH", "/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Compute/virtualMachines/{vmName}", "Microsoft.Compute/virtualMachines/write"),
            ("POST", "/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Compute/virtualMachines/{vmName}/powerOff", "Microsoft.Compute/virtualMachines/powerOff/action"),
            ("GET", "/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Compute/virtualMachines/{vmName}/instanceView", "Microsoft.Compute/virtualMachines/instanceView/read"),
            ("GET", "/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.Compute/virtualMachines/{vmName}/providers/Microsoft.ManagedIdentity/identities/default", "Microsoft.ManagedIdentity/identities/read"),
            ("GET", "/subscriptions/{s}/providers/Microsoft.Compute/locations/{location}/operations/{operationId}", "Microsoft.Compute/locations/operations/read"),
            ("GET", "/subscriptions/{s}/providers", "Microsoft.Resources/subscriptions/providers/read"),
            ("GET", "/subscriptions/{s}/providers/{resourceProviderNamespace}", "Microsoft.Resources/subscriptions/providers/read"),
            ("GET", "/tenants", "Microsoft.Resources/tenants/read"),
            ("GET", "/providers/{resourceProviderNamespace}", "Microsoft.Resources/providers/read"),
            ("GET", "/subscriptions/{s}/resourceGroups/{g}/resources", "Microsoft.Resources/subscriptions/resourceGroups/resources/read"),
        ];
        for (method, pattern, want) in cases {
            assert_eq!(
                required_action(method, pattern, pattern).as_deref(),
                Some(want),
                "{method} {pattern}"
            );
        }
        // A namespace given as a placeholder takes the request's value.
        assert_eq!(
            required_action(
                "POST",
                "/subscriptions/{s}/providers/{resourceProviderNamespace}/register",
                "/subscriptions/x/providers/Microsoft.Compute/register"
            )
            .as_deref(),
            Some("Microsoft.Compute/register/action")
        );
        assert_eq!(
            required_action("GET", "/simulator/tenants", "/simulator/tenants"),
            None
        );
        // Role assignments at any scope need Microsoft.Authorization's actions.
        let scoped =
            "/{scope:.*}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}";
        assert_eq!(
            required_action("PUT", scoped, "/subscriptions/x/resourceGroups/g/providers/Microsoft.Authorization/roleAssignments/a").as_deref(),
            Some("Microsoft.Authorization/roleAssignments/write")
        );
    }

    #[test]
    fn a_token_names_its_principal_only_while_valid() {
        let claims = |exp: i64, mirid: bool| {
            let mut c = json!({"oid": "o", "tid": "t", "appid": "a", "nbf": 100, "exp": exp});
            if mirid {
                c["xms_mirid"] = json!("/subscriptions/x/resourcegroups/rg/providers/Microsoft.Compute/virtualMachines/vm");
            }
            c.as_object().unwrap().clone()
        };
        match principal_from_claims(&claims(200, true), 150) {
            Principal::Verified(p) => {
                assert_eq!(
                    (p.kind, p.object_id.as_str(), p.tenant_id.as_str()),
                    (PrincipalKind::ManagedIdentity, "o", "t")
                )
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            principal_from_claims(&claims(200, false), 150),
            Principal::Verified(VerifiedPrincipal {
                kind: PrincipalKind::Application,
                ..
            })
        ));
        assert_eq!(
            principal_from_claims(&claims(200, false), 200),
            Principal::Anonymous(Unverified::Expired)
        );
        assert_eq!(
            principal_from_claims(&claims(200, false), 99),
            Principal::Anonymous(Unverified::NotYetValid)
        );
        let mut no_oid = claims(200, false);
        no_oid.remove("oid");
        assert_eq!(
            principal_from_claims(&no_oid, 150),
            Principal::Anonymous(Unverified::MissingClaims)
        );
    }

    #[test]
    fn actions_match_as_arm_evaluates_them() {
        for (pattern, action, want) in [
            ("*", "Microsoft.Compute/virtualMachines/write", true),
            (
                "*/read",
                "Microsoft.Compute/virtualMachines/extensions/read",
                true,
            ),
            ("*/read", "Microsoft.Compute/virtualMachines/write", false),
            (
                "Microsoft.Compute/virtualMachines/*",
                "microsoft.compute/virtualmachines/start/action",
                true,
            ),
            (
                "Microsoft.Authorization/*/Write",
                "Microsoft.Authorization/roleAssignments/write",
                true,
            ),
            (
                "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",
                "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",
                true,
            ),
            (
                "Microsoft.ManagedIdentity/userAssignedIdentities/*/read",
                "Microsoft.ManagedIdentity/userAssignedIdentities/read",
                true,
            ),
            (
                "Microsoft.Compute/*",
                "Microsoft.ContainerInstance/containerGroups/read",
                false,
            ),
        ] {
            assert_eq!(
                action_matches(pattern, action),
                want,
                "{pattern} vs {action}"
            );
        }
        let contributor = Grant {
            scope_key: "/subscriptions/s/resourcegroups/rg".into(),
            role_name: "Contributor".into(),
            actions: vec!["*".into()],
            not_actions: vec!["Microsoft.Authorization/*/Write".into()],
        };
        let grants = [contributor];
        assert!(allowed(
            &grants,
            "Microsoft.Compute/virtualMachines/write",
            "/subscriptions/s/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm"
        ));
        assert!(!allowed(
            &grants,
            "Microsoft.Authorization/roleAssignments/write",
            "/subscriptions/s/resourcegroups/rg"
        ));
        assert!(!allowed(
            &grants,
            "Microsoft.Compute/virtualMachines/write",
            "/subscriptions/s/resourcegroups/rg2"
        ));
        assert!(!allowed(
            &grants,
            "Microsoft.Resources/subscriptions/read",
            "/subscriptions/s"
        ));
        assert_eq!(
            request_scope("/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm/start").as_deref(),
            Some("/subscriptions/s/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/vm")
        );
        assert_eq!(
            request_scope("/subscriptions/s/resourcegroups").as_deref(),
            Some("/subscriptions/s")
        );
        assert_eq!(request_scope("/tenants"), None);
    }
}
