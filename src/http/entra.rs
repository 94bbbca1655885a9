//! Entra's public endpoints, per tenant, at Entra's paths (docs/wire-contract.md, "Entra"): the OpenID
//! discovery documents (v1 and v2) and the signing keys, so any JWT library can verify a
//! mi-sim token without knowing mi-sim. Errors use Entra's AADSTS envelope.
use crate::domain::faults::FaultKind;
use crate::domain::token_rules::audience_of_scope;
use crate::domain::TenantId;
use crate::http::extract::base_url;
use crate::http::json;
use crate::ops::applications::{self, GrantFailure};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

/// Path of a tenant's Entra endpoints.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EntraTenantPath {
    /// A tenant id (or `common` for the keys).
    tenant: String,
}

/// Entra's error envelope (`error`, `error_description` with the AADSTS code, `error_codes`...).
pub fn aadsts_error(
    state: &AppState,
    status: StatusCode,
    error: &str,
    code: u32,
    text: &str,
) -> HttpResponse {
    let now = state.clock.now();
    let stamp = now.format("%Y-%m-%d %H:%M:%SZ").to_string();
    let trace = state.idgen.uuid().hyphenated().to_string();
    let correlation = state.idgen.uuid().hyphenated().to_string();
    let mut res = json(
        status,
        &json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}"),
            "error_codes": [code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    );
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store, no-cache"),
    );
    res
}

/// The tenant of an Entra path, or Entra's `invalid_tenant` answer.
pub async fn known_tenant(state: &AppState, raw: &str) -> Result<String, HttpResponse> {
    let unknown = || {
        aadsts_error(
            state,
            StatusCode::BAD_REQUEST,
            "invalid_tenant",
            90002,
            &format!("Tenant '{raw}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."),
        )
    };
    let Ok(id) = TenantId::parse(raw) else {
        return Err(unknown());
    };
    match crate::ops::directory::find_tenant(state, id).await {
        Ok(Some(t)) => Ok(t.id),
        Ok(None) => Err(unknown()),
        Err(e) => {
            tracing::error!(error.cause_chain = ?e, "internal error");
            Err(HttpResponse::InternalServerError().finish())
        }
    }
}

fn cached(mut res: HttpResponse) -> HttpResponse {
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("max-age=86400, private"),
    );
    res
}

/// The JSON Web Key Set mi-sim signs with.
async fn jwks(state: &AppState) -> HttpResponse {
    match state.keys.get(&state.clock.now_text()).await {
        Ok(k) => cached(json(
            StatusCode::OK,
            &json!({"keys": [{
                "kty": "RSA", "use": "sig", "kid": k.kid, "x5t": k.kid,
                "n": k.n, "e": k.e, "x5c": [k.x5c],
            }]}),
        )),
        Err(e) => {
            tracing::error!(error = %e, "signing key unavailable");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The signing keys (v2 path).
#[utoipa::path(tag = "Entra", operation_id = "Entra_KeysV2", params(EntraTenantPath),
    responses((status = 200, description = "JWKS {keys: [...]}"), (status = 400, description = "AADSTS90002: unknown tenant")))]
#[get("/{tenant}/discovery/v2.0/keys")]
pub async fn keys_v2(state: web::Data<AppState>, path: web::Path<EntraTenantPath>) -> HttpResponse {
    if path.tenant != "common" {
        if let Err(res) = known_tenant(&state, &path.tenant).await {
            return res;
        }
    }
    jwks(&state).await
}

/// The signing keys (v1 path; `common` too).
#[utoipa::path(tag = "Entra", operation_id = "Entra_Keys", params(EntraTenantPath),
    responses((status = 200, description = "JWKS {keys: [...]}"), (status = 400, description = "AADSTS90002: unknown tenant")))]
#[get("/{tenant}/discovery/keys")]
pub async fn keys_v1(state: web::Data<AppState>, path: web::Path<EntraTenantPath>) -> HttpResponse {
    if path.tenant != "common" {
        if let Err(res) = known_tenant(&state, &path.tenant).await {
            return res;
        }
    }
    jwks(&state).await
}

fn discovery(base: &str, tenant: &str, v2: bool) -> Value {
    let (issuer, oauth, keys) = if v2 {
        (
            format!("{base}/{tenant}/v2.0"),
            format!("{base}/{tenant}/oauth2/v2.0"),
            format!("{base}/{tenant}/discovery/v2.0/keys"),
        )
    } else {
        (
            format!("https://sts.windows.net/{tenant}/"),
            format!("{base}/{tenant}/oauth2"),
            format!("{base}/common/discovery/keys"),
        )
    };
    json!({
        "token_endpoint": format!("{oauth}/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
        "jwks_uri": keys,
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": issuer,
        "request_uri_parameter_supported": false,
        "authorization_endpoint": format!("{oauth}/authorize"),
        "device_authorization_endpoint": format!("{oauth}/devicecode"),
        "http_logout_supported": true,
        "frontchannel_logout_supported": true,
        "end_session_endpoint": format!("{oauth}/logout"),
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "appid", "idtyp"],
        "tenant_region_scope": "WW",
        "cloud_instance_name": "microsoftonline.com",
        "cloud_graph_host_name": "graph.windows.net",
        "msgraph_host": "graph.microsoft.com",
    })
}

/// The OpenID configuration of a tenant (v2).
#[utoipa::path(tag = "Entra", operation_id = "Entra_OpenIdConfigurationV2", params(EntraTenantPath),
    responses((status = 200, description = "OpenID discovery document"), (status = 400, description = "AADSTS90002: unknown tenant")))]
#[get("/{tenant}/v2.0/.well-known/openid-configuration")]
pub async fn openid_configuration_v2(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<EntraTenantPath>,
) -> HttpResponse {
    match known_tenant(&state, &path.tenant).await {
        Ok(t) => cached(json(StatusCode::OK, &discovery(&base_url(&req), &t, true))),
        Err(res) => res,
    }
}

/// The OpenID configuration of a tenant (v1, issuer `https://sts.windows.net/{tenant}/`, as the
/// managed-identity tokens carry).
#[utoipa::path(tag = "Entra", operation_id = "Entra_OpenIdConfiguration", params(EntraTenantPath),
    responses((status = 200, description = "OpenID discovery document"), (status = 400, description = "AADSTS90002: unknown tenant")))]
#[get("/{tenant}/.well-known/openid-configuration")]
pub async fn openid_configuration_v1(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<EntraTenantPath>,
) -> HttpResponse {
    match known_tenant(&state, &path.tenant).await {
        Ok(t) => cached(json(StatusCode::OK, &discovery(&base_url(&req), &t, false))),
        Err(res) => res,
    }
}

/// The form of a token request (client credentials; either secret style).
#[derive(Deserialize, ToSchema, Default)]
pub struct TokenForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// v2: `https://management.azure.com//.default`.
    scope: Option<String>,
    /// v1: `https://management.azure.com/`.
    resource: Option<String>,
}

/// The client id and secret: from the form (client_secret_post) or `Authorization: Basic`.
fn client_auth(req: &HttpRequest, form: &TokenForm) -> (Option<String>, Option<String>) {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            s.split_once(':').map(|(u, p)| {
                let decode = |v: &str| {
                    serde_urlencoded::from_str::<Vec<(String, String)>>(&format!("v={v}"))
                        .ok()
                        .and_then(|mut v| v.pop())
                        .map(|(_, v)| v)
                        .unwrap_or_default()
                };
                (decode(u), decode(p))
            })
        });
    match basic {
        Some((id, secret)) => (Some(id), Some(secret)),
        None => (form.client_id.clone(), form.client_secret.clone()),
    }
}

/// The client-credentials grant, for both token endpoints; the verdict goes to the journal.
async fn token(
    state: &AppState,
    req: &HttpRequest,
    tenant: &str,
    body: &[u8],
    v2: bool,
) -> HttpResponse {
    let res = grant(state, req, tenant, body, v2).await;
    let form: TokenForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let (client, _) = client_auth(req, &form);
    let status = res.status();
    let verdict = match status {
        s if s.is_success() => "issued",
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => "fault",
        _ => "refused",
    };
    state.journal.record(
        state.clock.now_text(),
        crate::journal::Record {
            surface: "entra",
            caller: client.as_deref().unwrap_or("(no client id)"),
            request: &format!(
                "token from tenant {tenant} for {}",
                form.scope.or(form.resource).unwrap_or_default()
            ),
            verdict,
            status: status.as_u16(),
            rule: None,
            detail: "",
        },
    );
    res
}

async fn grant(
    state: &AppState,
    req: &HttpRequest,
    tenant: &str,
    body: &[u8],
    v2: bool,
) -> HttpResponse {
    let bad = |code: u32, error: &str, text: &str| {
        aadsts_error(state, StatusCode::BAD_REQUEST, error, code, text)
    };
    let tenant = match known_tenant(state, tenant).await {
        Ok(t) => t,
        Err(res) => return res,
    };
    for kind in [FaultKind::EntraThrottled, FaultKind::EntraUnavailable] {
        match crate::ops::faults::fire(state, kind, &tenant).await {
            Ok(Some(f)) => {
                let status =
                    StatusCode::from_u16(kind.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
                let mut res = aadsts_error(
                    state,
                    status,
                    "temporarily_unavailable",
                    90033,
                    &format!(
                        "A transient error has occurred. Please try again. (mi-sim: fault {})",
                        f.id
                    ),
                );
                if let Ok(v) =
                    actix_web::http::header::HeaderValue::from_str(&f.retry_after.to_string())
                {
                    res.headers_mut()
                        .insert(actix_web::http::header::RETRY_AFTER, v);
                }
                return res;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!(error = %e, "fault lookup failed");
                return HttpResponse::InternalServerError().finish();
            }
        }
    }
    let form: TokenForm = serde_urlencoded::from_bytes(body).unwrap_or_default();
    match form.grant_type.as_deref() {
        Some("client_credentials") => {}
        Some(other) => {
            return bad(70003, "unsupported_grant_type", &format!("The app requested an unsupported grant type '{other}'. mi-sim's Entra serves client_credentials."))
        }
        None => {
            return bad(900144, "invalid_request", "The request body must contain the following parameter: 'grant_type'.")
        }
    }
    let (Some(client_id), secret) = client_auth(req, &form) else {
        return bad(
            900144,
            "invalid_request",
            "The request body must contain the following parameter: 'client_id'.",
        );
    };
    let Some(secret) = secret else {
        return aadsts_error(state, StatusCode::UNAUTHORIZED, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    };
    let audience = if v2 {
        match form.scope.as_deref() {
            None => return bad(900144, "invalid_request", "The request body must contain the following parameter: 'scope'."),
            Some(scope) => match audience_of_scope(scope) {
                Some(a) => a,
                None => return bad(1002012, "invalid_scope", &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).")),
            },
        }
    } else {
        match form.resource {
            Some(r) if !r.is_empty() => r,
            _ => {
                return bad(
                    900144,
                    "invalid_request",
                    "The request body must contain the following parameter: 'resource'.",
                )
            }
        }
    };
    match applications::client_credentials(state, &tenant, &client_id, &secret, &audience).await {
        Ok(t) if v2 => json(
            StatusCode::OK,
            &json!({"token_type": "Bearer", "expires_in": t.expires_in, "ext_expires_in": t.expires_in, "access_token": t.access_token}),
        ),
        Ok(t) => json(
            StatusCode::OK,
            &json!({"token_type": "Bearer", "expires_in": t.expires_in.to_string(), "ext_expires_in": t.expires_in.to_string(),
                    "expires_on": t.expires_on.to_string(), "not_before": t.not_before.to_string(),
                    "resource": t.audience, "access_token": t.access_token}),
        ),
        Err(GrantFailure::UnknownClient { app_id, tenant }) => bad(700016, "unauthorized_client", &format!("Application with identifier '{app_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.")),
        Err(GrantFailure::WrongSecret(app_id)) => aadsts_error(state, StatusCode::UNAUTHORIZED, "invalid_client", 7000215, &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app_id}'.")),
        Err(e) => {
            tracing::error!(error = %e, "token grant failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Get a token with client credentials (v2: `scope`, numbers in the answer).
#[utoipa::path(tag = "Entra", operation_id = "Entra_TokenV2", params(EntraTenantPath),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "{token_type, expires_in, ext_expires_in, access_token}"),
              (status = 400, description = "AADSTS error"), (status = 401, description = "AADSTS7000215: wrong secret")))]
#[post("/{tenant}/oauth2/v2.0/token")]
pub async fn token_v2(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<EntraTenantPath>,
    body: web::Bytes,
) -> HttpResponse {
    token(&state, &req, &path.tenant, &body, true).await
}

/// Get a token with client credentials (v1: `resource`, strings in the answer).
#[utoipa::path(tag = "Entra", operation_id = "Entra_Token", params(EntraTenantPath),
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "{token_type, expires_in, expires_on, not_before, resource, access_token}"),
              (status = 400, description = "AADSTS error"), (status = 401, description = "AADSTS7000215: wrong secret")))]
#[post("/{tenant}/oauth2/token")]
pub async fn token_v1(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<EntraTenantPath>,
    body: web::Bytes,
) -> HttpResponse {
    token(&state, &req, &path.tenant, &body, false).await
}

/// Mounts Entra's endpoints.
pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(keys_v2)
        .service(keys_v1)
        .service(openid_configuration_v2)
        .service(openid_configuration_v1)
        .service(token_v2)
        .service(token_v1);
}
