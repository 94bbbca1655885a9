//! The enforce mode (`--auth enforce`): every ARM call needs a token mi-sim signed, for an ARM
//! audience, from the tenant the subscription trusts (R12), whose principal's role assignments
//! grant the route's action over the scope the request addresses. The refusals are ARM's: 401
//! with a `WWW-Authenticate` challenge, 403 `AuthorizationFailed`. The decision itself is
//! `domain::authorization::allowed`; this reads the facts it needs (two indexed reads).
use super::error::ArmError;
use crate::domain::authorization::{
    request_scope, CallerGrants, Principal, Unverified, VerifiedPrincipal,
};
use crate::state::AppState;
use actix_web::http::header::{HeaderValue, WWW_AUTHENTICATE};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use std::sync::Arc;

/// The subscription-wide lists whose handlers filter by the caller's grants.
const FILTERED_LISTS: &[&str] = &[
    "/resources",
    "/resourcegroups",
    "/providers/microsoft.managedidentity/userassignedidentities",
    "/providers/microsoft.compute/virtualmachines",
    "/providers/microsoft.containerinstance/containergroups",
];

/// The most role assignments of one principal considered (Azure allows 4,000 a subscription).
const MAX_GRANTS: i64 = 4000;
/// The audiences ARM accepts, besides mi-sim's own address.
const ARM_AUDIENCES: &[&str] = &[
    "https://management.core.windows.net",
    "https://management.azure.com",
];

/// A 401 with ARM's challenge naming the tenant to sign in to.
fn unauthenticated(
    tenant: Option<&str>,
    code: &'static str,
    message: String,
    description: &str,
) -> HttpResponse {
    let mut res = ArmError::new(StatusCode::UNAUTHORIZED, code, message).error_response();
    res.extensions_mut().insert(RefusalCode(code));
    let challenge = format!(
        "Bearer authorization_uri=\"https://login.windows.net/{}\", error=\"invalid_token\", error_description=\"{description}\"",
        tenant.unwrap_or_default()
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    res
}

/// The host of a URL (`https://127.0.0.1:8443/` gives `127.0.0.1`).
fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    }
}

/// Whether a token's audience is ARM's: Azure's ARM audiences, or mi-sim itself (clients ask
/// for `{mi-sim's URL}/.default`).
fn is_arm_audience(audience: &str, req: &HttpRequest) -> bool {
    let aud = audience.trim_end_matches('/').to_ascii_lowercase();
    ARM_AUDIENCES.contains(&aud.as_str())
        || host_of(&aud).eq_ignore_ascii_case(host_of(req.connection_info().host()))
}

/// Checks a request; on success returns what the caller is granted (for linked checks). A
/// refusal goes to the journal, with R12 when the token came from another tenant.
pub async fn check(
    state: &AppState,
    req: &HttpRequest,
    principal: &Principal,
    action: &str,
) -> Result<Arc<CallerGrants>, HttpResponse> {
    let decided = decide(state, req, principal, action).await;
    if let Err(res) = &decided {
        let code = res.extensions().get::<RefusalCode>().map(|c| c.0);
        let caller = principal.label();
        state.journal.record(
            state.clock.now_text(),
            crate::journal::Record {
                surface: "arm",
                caller: &caller,
                request: &format!("{} {}", req.method(), req.path()),
                verdict: "refused",
                status: res.status().as_u16(),
                rule: (code == Some("InvalidAuthenticationTokenTenant")).then_some("R12"),
                detail: &format!("{}: needs {action}", code.unwrap_or("AuthorizationFailed")),
            },
        );
    }
    decided
}

/// The ARM error code of a refusal, for the journal.
#[derive(Clone, Copy)]
struct RefusalCode(&'static str);

async fn decide(
    state: &AppState,
    req: &HttpRequest,
    principal: &Principal,
    action: &str,
) -> Result<Arc<CallerGrants>, HttpResponse> {
    let scope = request_scope(req.path());
    let subscription = req
        .path()
        .split('/')
        .nth(2)
        .filter(|_| scope.is_some())
        .map(str::to_string);
    let cache = &state.grants;
    let read_at = cache.generation();
    let sub_tenant = match &subscription {
        Some(s) => match cache.tenant(s) {
            Some(t) => t,
            None => {
                let t = crate::ops::directory::subscription_tenant(state, s)
                    .await
                    .map_err(|e| ArmError::from(e).error_response())?;
                cache.put_tenant(s, read_at, t.clone());
                t
            }
        },
        None => None,
    };
    let p: &VerifiedPrincipal = match principal {
        Principal::Verified(p) => p,
        Principal::Anonymous(Unverified::NoToken) => {
            return Err(unauthenticated(
                sub_tenant.as_deref(),
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.".into(),
                "The authentication failed because of missing 'Authorization' header.",
            ))
        }
        Principal::Anonymous(why @ (Unverified::Expired | Unverified::NotYetValid)) => {
            let now = state.clock.now().format("%-m/%-d/%Y %-I:%M:%S %p");
            return Err(unauthenticated(
                sub_tenant.as_deref(),
                "ExpiredAuthenticationToken",
                format!("The access token expiry UTC time is earlier than current UTC time '{now}' ({}, on the simulator's clock).", why.as_str()),
                "The access token has expired.",
            ));
        }
        Principal::Anonymous(why) => {
            return Err(unauthenticated(
                sub_tenant.as_deref(),
                "InvalidAuthenticationToken",
                format!("The access token is invalid ({}).", why.as_str()),
                "The access token is invalid.",
            ))
        }
    };
    if !is_arm_audience(&p.audience, req) {
        return Err(unauthenticated(
            sub_tenant.as_deref(),
            "InvalidAuthenticationTokenAudience",
            format!("The access token has been obtained for wrong audience or resource '{}'. It should exactly match with one of the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net','https://management.azure.com/','https://management.azure.com'.", p.audience),
            "The access token has been obtained for wrong audience.",
        ));
    }
    // R12: a token from another tenant than the one the subscription trusts.
    if let Some(t) = sub_tenant
        .as_deref()
        .filter(|t| !t.eq_ignore_ascii_case(&p.tenant_id))
    {
        return Err(unauthenticated(
            Some(t),
            "InvalidAuthenticationTokenTenant",
            format!("The access token is from the wrong issuer 'https://sts.windows.net/{}/'. It must match the tenant 'https://sts.windows.net/{t}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/{t}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.", p.tenant_id),
            "The access token is from the wrong issuer.",
        ));
    }
    let grants = match cache.grants(&p.object_id) {
        Some(g) => g,
        None => {
            let grants = Arc::new(
                crate::ops::roles::grants_of(state, &p.object_id, MAX_GRANTS)
                    .await
                    .map_err(|e| ArmError::from(e).error_response())?,
            );
            cache.put_grants(&p.object_id, read_at, grants.clone());
            grants
        }
    };
    let caller = CallerGrants {
        principal: p.clone(),
        grants,
    };
    // Outside a subscription (the subscription and tenant lists, providers) any signed-in
    // caller may read; ARM shows it what it has access to.
    let Some(scope) = scope else {
        return Ok(Arc::new(caller));
    };
    if caller.allows(action, &scope.to_lowercase()) {
        return Ok(Arc::new(caller));
    }
    // A subscription-wide list answers whoever may read something in the subscription, with
    // only what they may read (its handler filters with `extract::Visibility`), as ARM does.
    let path = req.path().to_ascii_lowercase();
    let listed = subscription.as_deref().and_then(|s| {
        path.strip_prefix(&format!("/subscriptions/{}", s.to_ascii_lowercase()))
            .map(|rest| FILTERED_LISTS.contains(&rest))
    });
    let scope_key = scope.to_lowercase();
    let reads_something = caller.grants.iter().any(|g| {
        g.covers_part_of(&scope_key)
            && g.actions
                .iter()
                .any(|a| a == "*" || a.to_ascii_lowercase().ends_with("/read"))
    });
    if listed == Some(true) && reads_something {
        return Ok(Arc::new(caller));
    }
    // Operation status URLs sit at subscription scope (`/operationresults/{id}`,
    // `/providers/{ns}/locations/{l}/operations/{id}`), yet a caller whose roles reach only a
    // group polls what it started there: the action granted anywhere in the subscription
    // answers (docs/wire-contract.md, "Authorization").
    let polls = path.contains("/operationresults/")
        || path.contains("/operationstatuses/")
        || (path.contains("/locations/") && path.contains("/operations/"));
    if polls
        && caller
            .grants
            .iter()
            .any(|g| g.covers_part_of(&scope_key) && g.permits(action))
    {
        return Ok(Arc::new(caller));
    }
    let considered: Vec<String> = caller
        .grants
        .iter()
        .map(|g| format!("{} at {}", g.role_name, g.scope_key))
        .collect();
    tracing::info!(
        principal = %p.object_id,
        action,
        scope = %scope,
        assignments = ?considered,
        "refused: no role assignment grants the action over the scope"
    );
    let denied = crate::domain::authorization::Denied {
        client: p.app_id.clone(),
        object_id: p.object_id.clone(),
        action: action.to_string(),
        scope: scope.clone(),
    };
    Err(ArmError::new(
        StatusCode::FORBIDDEN,
        "AuthorizationFailed",
        denied.to_string(),
    )
    .error_response())
}
