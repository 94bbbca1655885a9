//! Who is calling ARM and what a request needs: the one place authorization is decided.
//!
//! The front door (`http::middleware::front_door`) verifies the bearer token against mi-sim's
//! signing key and clock and turns its claims into a [`Principal`]; each request's action comes
//! from [`required_action`], ARM's rule for every route: `{namespace}/{types...}/{verb}` with
//! `read` for GET, `write` for PUT and PATCH, `delete` for DELETE and `{name}/action` for POST
//! (the wire contract's "how ARM evaluates actions"). [`authorize`] decides; in the open mode
//! mi-sim runs in today every caller is allowed, and the RBAC work adds the evaluation of role
//! assignments here and nowhere else.

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
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// No token, or one mi-sim cannot vouch for (the reason says why).
    Anonymous(Unverified),
    Verified(VerifiedPrincipal),
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
    Principal::Verified(VerifiedPrincipal {
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
    /// Every caller may do everything, with or without a token (mi-sim's only mode so far).
    #[default]
    Open,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "The client does not have authorization to perform action '{action}' over scope '{scope}'."
)]
pub struct Denied {
    pub action: String,
    pub scope: String,
}

/// The decision for one request on `scope` (the path it addresses). `action` is asked for
/// only when the mode needs it: working it out costs a second match of the route.
pub fn authorize(
    mode: Mode,
    _principal: &Principal,
    _action: impl FnOnce() -> Option<String>,
    _scope: &str,
) -> Result<(), Denied> {
    match mode {
        Mode::Open => Ok(()),
    }
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
        let anonymous = Principal::Anonymous(Unverified::NoToken);
        assert_eq!(
            authorize(Mode::Open, &anonymous, || panic!("not needed"), "/"),
            Ok(())
        );
    }
}
