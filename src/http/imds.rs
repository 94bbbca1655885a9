//! The endpoints code on an instance calls, under `/instances/{instanceId}` (docs/wire-contract.md, "Instance endpoints"):
//! the IMDS token endpoint, the instance metadata, and the App Service form that every Azure
//! client honours through `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`. Their errors are IMDS's and
//! App Service's own shapes, not ARM's.
use crate::domain::token_rules::{check_resource, Refusal, SelectionError, Selector};
use crate::http::json;
use crate::ops::tokens::{self as ops, Endpoint, IssuedToken, TokenFailure};
use crate::state::AppState;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

/// What IMDS sends as its `Server` header; MSAL.NET's probe looks for the `IMDS/` prefix.
const SERVER: &str = "IMDS/150.870.65.1854";

/// The IMDS api-versions (instance-metadata-service docs); tokens need 2018-02-01 or later (R10).
const IMDS_VERSIONS: &[&str] = &[
    "2025-04-07",
    "2024-07-17",
    "2024-03-15",
    "2023-11-15",
    "2023-07-01",
    "2021-12-13",
    "2021-11-15",
    "2021-11-01",
    "2021-10-01",
    "2021-08-01",
    "2021-05-01",
    "2021-03-01",
    "2021-02-01",
    "2021-01-01",
    "2020-12-01",
    "2020-10-01",
    "2020-09-01",
    "2020-07-15",
    "2020-06-01",
    "2019-11-01",
    "2019-08-15",
    "2019-08-01",
    "2019-06-04",
    "2019-06-01",
    "2019-04-30",
    "2019-03-11",
    "2019-02-01",
    "2018-10-01",
    "2018-04-02",
    "2018-02-01",
];

/// Path of an instance.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct InstancePath {
    instance_id: String,
}

/// The query of a token request: `api-version`, `resource`, and at most one selector.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    #[serde(rename = "api-version")]
    #[param(rename = "api-version")]
    pub api_version: Option<String>,
    /// The audience, e.g. `https://management.azure.com/`.
    pub resource: Option<String>,
    pub client_id: Option<String>,
    pub object_id: Option<String>,
    pub msi_res_id: Option<String>,
}

/// An IMDS token (every value a string, docs/wire-contract.md, "Instance endpoints").
#[derive(Serialize, ToSchema)]
pub struct ImdsToken {
    access_token: String,
    client_id: String,
    expires_in: String,
    expires_on: String,
    ext_expires_in: String,
    not_before: String,
    resource: String,
    token_type: &'static str,
}

/// A JSON answer as IMDS sends it, with its `Server` header.
fn imds_json<T: Serialize>(status: StatusCode, body: &T) -> HttpResponse {
    let mut res = json(status, body);
    res.headers_mut().insert(
        actix_web::http::header::SERVER,
        actix_web::http::header::HeaderValue::from_static(SERVER),
    );
    res
}

fn imds_error(status: StatusCode, error: &str, description: &str) -> HttpResponse {
    imds_json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

/// The query's pairs; IMDS refuses a parameter given twice.
fn pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, ()> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(req.query_string()).map_err(|_| ())?;
    let mut names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    (names.len() == before).then_some(pairs).ok_or(())
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The one selector of a request, from the parameter names a protocol uses.
fn selector(
    pairs: &[(String, String)],
    client: &str,
    object: &[&str],
    resource: &[&str],
) -> Result<Selector, ()> {
    let mut found = Vec::new();
    if let Some(v) = param(pairs, client) {
        found.push(Selector::ClientId(v.to_string()));
    }
    for name in object {
        if let Some(v) = param(pairs, name) {
            found.push(Selector::ObjectId(v.to_string()));
        }
    }
    for name in resource {
        if let Some(v) = param(pairs, name) {
            found.push(Selector::ResourceId(v.to_string()));
        }
    }
    match found.len() {
        0 => Ok(Selector::Default),
        1 => Ok(found.remove(0)),
        _ => Err(()),
    }
}

/// Why a token request failed, as (status, IMDS error id, description).
fn failure_parts(f: TokenFailure) -> (StatusCode, &'static str, String) {
    let bad = StatusCode::BAD_REQUEST;
    match f {
        TokenFailure::UnknownInstance(id) => (
            StatusCode::NOT_FOUND,
            "not_found",
            format!("mi-sim has no instance '{id}'. GET /simulator/instances lists them."),
        ),
        TokenFailure::Selection(SelectionError::NotFound) => {
            (bad, "invalid_request", "Identity not found".into())
        }
        TokenFailure::Selection(SelectionError::Ambiguous) => (
            bad,
            "invalid_request",
            "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request".into(),
        ),
        // The principal is gone, or lives in a tenant the subscription no longer trusts:
        // Entra does not know the application in the tenant IMDS asks it for.
        TokenFailure::Refused {
            refusal: refusal @ (Refusal::TenantChanged | Refusal::PrincipalDeleted | Refusal::IdentityDeleted),
            client_id,
            tenant,
        } => (
            bad,
            "unauthorized_client",
            format!("AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant. (mi-sim: refused by rule {})", refusal.rule()),
        ),
        TokenFailure::Refused { refusal, .. } => (
            bad,
            "invalid_request",
            format!("Identity not found (mi-sim: the user-assigned identity was moved away from the id this resource names; rule {})", refusal.rule()),
        ),
        TokenFailure::NoExtension(id) => (
            StatusCode::NOT_FOUND,
            "not_found",
            format!("Nothing listens on localhost:50342 on '{id}': the legacy endpoint is served only while the ManagedIdentityExtensionForWindows or ...ForLinux extension is provisioned on the VM (R18). Use IMDS (/metadata/identity/oauth2/token) instead."),
        ),
        TokenFailure::Fault(f) => {
            let status = StatusCode::from_u16(f.kind.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let (error, description) = match status {
                StatusCode::TOO_MANY_REQUESTS => ("too_many_requests", "Too many requests: the instance metadata service is throttling this instance. Retry after the time Retry-After says."),
                StatusCode::SERVICE_UNAVAILABLE => ("temporarily_unavailable", "The identity endpoint is temporarily unavailable. Retry after the time Retry-After says."),
                _ => ("unknown", "Failed to retrieve token from the Active directory."),
            };
            (status, error, format!("{description} (mi-sim: fault {})", f.id))
        }
        TokenFailure::Token(e) => {
            tracing::error!(error = %e, "token signing failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "unknown", "Failed to retrieve token from the Active directory.".into())
        }
        TokenFailure::Store(e) => {
            tracing::error!(error.cause_chain = ?e, "internal error");
            (StatusCode::INTERNAL_SERVER_ERROR, "unknown", "Failed to retrieve token from the Active directory.".into())
        }
    }
}

/// The error a failed token request gets on the IMDS protocol.
fn imds_failure(f: TokenFailure) -> HttpResponse {
    let retry = retry_after(&f);
    let (status, error, description) = failure_parts(f);
    with_retry_after(imds_error(status, error, &description), retry)
}

/// The `Retry-After` a fault's answer carries.
fn retry_after(f: &TokenFailure) -> Option<i64> {
    match f {
        TokenFailure::Fault(x) if x.kind.retries() => Some(x.retry_after),
        _ => None,
    }
}

fn with_retry_after(mut res: HttpResponse, seconds: Option<i64>) -> HttpResponse {
    if let Some(v) = seconds.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        res.headers_mut().insert(RETRY_AFTER, v);
    }
    res
}

/// The refusal of a request without `Metadata: true`, as each endpoint words it.
fn without_metadata(req: &HttpRequest, endpoint: Endpoint) -> Option<HttpResponse> {
    let metadata = req.headers().get("metadata").and_then(|v| v.to_str().ok());
    if metadata == Some("true") {
        return None;
    }
    Some(match endpoint {
        Endpoint::Imds => imds_error(
            StatusCode::BAD_REQUEST,
            "bad_request_102",
            "Required metadata header not specified",
        ),
        Endpoint::LegacyExtension => imds_error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Required metadata header not specified or not correct",
        ),
    })
}

/// Get a token for an identity of the instance (the IMDS protocol). Needs `Metadata: true`;
/// a request without it (how clients probe) is answered at once with `bad_request_102`.
#[utoipa::path(
    tag = "Instance", operation_id = "Imds_GetToken",
    params(InstancePath, TokenQuery, ("Metadata" = String, Header, description = "must be `true`")),
    responses((status = 200, body = ImdsToken), (status = 400, description = "IMDS error: {error, error_description}"),
              (status = 404, description = "No such instance"), (status = 500, description = "Signing failed"))
)]
#[get("/instances/{instanceId}/metadata/identity/oauth2/token")]
pub async fn imds_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<InstancePath>,
) -> HttpResponse {
    if let Some(refused) = without_metadata(&req, Endpoint::Imds) {
        return refused;
    }
    if req.headers().contains_key("x-forwarded-for") {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "bad_request_102",
            "Requests with an X-Forwarded-For header are refused: the instance metadata service only answers code on the instance itself.",
        );
    }
    let Ok(pairs) = pairs(&req) else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed.",
        );
    };
    if !param(&pairs, "api-version").is_some_and(|v| IMDS_VERSIONS.contains(&v)) {
        return imds_json(
            StatusCode::BAD_REQUEST,
            &json!({"error": "Bad request. api-version is invalid or was not specified in the request. For more information refer to aka.ms/azureimds", "newest-versions": &IMDS_VERSIONS[..3]}),
        );
    }
    let Some(resource) = param(&pairs, "resource").filter(|r| !r.is_empty()) else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required query variable 'resource' is missing",
        );
    };
    if let Err(why) = check_resource(resource) {
        return imds_error(StatusCode::BAD_REQUEST, "invalid_resource", &why);
    }
    let Ok(selector) = selector(
        &pairs,
        "client_id",
        &["object_id"],
        &["msi_res_id", "mi_res_id"],
    ) else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Only one of client_id, object_id or msi_res_id may be given.",
        );
    };
    match ops::managed_identity_token(
        &state,
        Endpoint::Imds,
        &path.instance_id,
        resource,
        &selector,
    )
    .await
    {
        Ok(t) => imds_json(StatusCode::OK, &imds_body(t)),
        Err(f) => imds_failure(f),
    }
}

fn imds_body(t: IssuedToken) -> ImdsToken {
    ImdsToken {
        access_token: t.access_token,
        client_id: t.client_id,
        expires_in: t.expires_in.to_string(),
        expires_on: t.expires_on.to_string(),
        ext_expires_in: t.expires_in.to_string(),
        not_before: t.not_before.to_string(),
        resource: t.resource,
        token_type: "Bearer",
    }
}

/// The instance's compute metadata (`GET /metadata/instance`).
#[utoipa::path(
    tag = "Instance", operation_id = "Imds_GetInstance",
    params(InstancePath, ("Metadata" = String, Header, description = "must be `true`")),
    responses((status = 200, description = "{compute: {...}}"), (status = 400, description = "IMDS error"),
              (status = 404, description = "No such instance"))
)]
#[get("/instances/{instanceId}/metadata/instance")]
pub async fn imds_instance(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<InstancePath>,
) -> HttpResponse {
    if let Some(refused) = without_metadata(&req, Endpoint::Imds) {
        return refused;
    }
    match ops::instance(&state, &path.instance_id).await {
        Ok(i) => json(
            StatusCode::OK,
            &json!({"compute": {
                "azEnvironment": "AzurePublicCloud",
                "location": i.location,
                "name": i.name,
                "resourceGroupName": i.resource_group,
                "resourceId": ops::resource_id(&i),
                "subscriptionId": i.subscription_id,
                "vmId": i.instance_id,
                "identityType": i.identity_type,
            }}),
        ),
        Err(f) => imds_failure(f),
    }
}

/// An App Service-style token (`expires_on` as an epoch string, no `expires_in`).
#[derive(Serialize, ToSchema)]
pub struct AppServiceToken {
    access_token: String,
    expires_on: String,
    resource: String,
    token_type: &'static str,
    client_id: String,
}

fn app_service_error(status: StatusCode, message: &str) -> HttpResponse {
    json(
        status,
        &json!({"statusCode": status.as_u16(), "message": message}),
    )
}

/// Get a token the App Service way (api-version 2019-08-01, `X-IDENTITY-HEADER`): what
/// `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` point every Azure client at.
#[utoipa::path(
    tag = "Instance", operation_id = "AppService_GetToken",
    params(InstancePath, ("X-IDENTITY-HEADER" = String, Header, description = "the instance's IDENTITY_HEADER")),
    responses((status = 200, body = AppServiceToken), (status = 400, description = "{statusCode, message}"),
              (status = 401, description = "Wrong or missing X-IDENTITY-HEADER"), (status = 404, description = "No such instance"),
              (status = 500, description = "Signing failed"))
)]
#[get("/instances/{instanceId}/msi/token")]
pub async fn app_service_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<InstancePath>,
) -> HttpResponse {
    let instance = match ops::instance(&state, &path.instance_id).await {
        Ok(i) => i,
        Err(f) => return app_service_error(StatusCode::NOT_FOUND, &f.to_string()),
    };
    let header = req
        .headers()
        .get("x-identity-header")
        .and_then(|v| v.to_str().ok());
    if header != Some(instance.identity_header.as_str()) {
        return app_service_error(
            StatusCode::UNAUTHORIZED,
            "The X-IDENTITY-HEADER header is missing or does not match this instance's IDENTITY_HEADER.",
        );
    }
    let Ok(pairs) = pairs(&req) else {
        return app_service_error(StatusCode::BAD_REQUEST, "A query parameter is given twice.");
    };
    if param(&pairs, "api-version") != Some("2019-08-01") {
        return app_service_error(
            StatusCode::BAD_REQUEST,
            "The api-version must be 2019-08-01.",
        );
    }
    let Some(resource) = param(&pairs, "resource").filter(|r| !r.is_empty()) else {
        return app_service_error(
            StatusCode::BAD_REQUEST,
            "The resource parameter is required.",
        );
    };
    if let Err(why) = check_resource(resource) {
        return app_service_error(StatusCode::BAD_REQUEST, &why);
    }
    let Ok(selector) = selector(
        &pairs,
        "client_id",
        &["principal_id", "object_id"],
        &["mi_res_id"],
    ) else {
        return app_service_error(
            StatusCode::BAD_REQUEST,
            "Only one of client_id, principal_id, object_id or mi_res_id may be given.",
        );
    };
    match ops::token_for_instance(&state, instance, resource, &selector).await {
        Ok(t) => json(
            StatusCode::OK,
            &AppServiceToken {
                access_token: t.access_token,
                expires_on: t.expires_on.to_string(),
                resource: t.resource,
                token_type: "Bearer",
                client_id: t.client_id,
            },
        ),
        Err(f) => {
            // The same reasons as IMDS gives, in App Service's envelope.
            let retry = retry_after(&f);
            let (status, _, description) = failure_parts(f);
            with_retry_after(app_service_error(status, &description), retry)
        }
    }
}

/// A token from the legacy VM extension (`http://localhost:50342/oauth2/token` on a VM, R18).
#[derive(Serialize, ToSchema)]
pub struct ExtensionToken {
    access_token: String,
    refresh_token: &'static str,
    expires_in: String,
    expires_on: String,
    not_before: String,
    resource: String,
    token_type: &'static str,
}

/// Get a token the deprecated VM extension's way (R18): `Metadata: true`, `resource`, and
/// optionally `client_id` or `object_id`. Served only while the managed-identity extension is
/// provisioned on the VM; 404 otherwise.
#[utoipa::path(
    tag = "Instance", operation_id = "ManagedIdentityExtension_GetToken",
    params(InstancePath, ("Metadata" = String, Header, description = "must be `true`")),
    responses((status = 200, body = ExtensionToken), (status = 400, description = "{error, error_description}"),
              (status = 404, description = "No such instance, or no provisioned extension on it"))
)]
#[get("/instances/{instanceId}/oauth2/token")]
pub async fn extension_token(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<InstancePath>,
) -> HttpResponse {
    if let Some(refused) = without_metadata(&req, Endpoint::LegacyExtension) {
        return refused;
    }
    let Ok(pairs) = pairs(&req) else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "A query parameter is given twice.",
        );
    };
    let Some(resource) = param(&pairs, "resource").filter(|r| !r.is_empty()) else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Required query variable 'resource' is missing",
        );
    };
    if let Err(why) = check_resource(resource) {
        return imds_error(StatusCode::BAD_REQUEST, "invalid_resource", &why);
    }
    let Ok(selector) = selector(&pairs, "client_id", &["object_id"], &[]) else {
        return imds_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Only one of client_id or object_id may be given.",
        );
    };
    match ops::managed_identity_token(
        &state,
        Endpoint::LegacyExtension,
        &path.instance_id,
        resource,
        &selector,
    )
    .await
    {
        Ok(t) => json(
            StatusCode::OK,
            &ExtensionToken {
                access_token: t.access_token,
                refresh_token: "",
                expires_in: t.expires_in.to_string(),
                expires_on: t.expires_on.to_string(),
                not_before: t.not_before.to_string(),
                resource: t.resource,
                token_type: "Bearer",
            },
        ),
        Err(f) => imds_failure(f),
    }
}

/// Mounts the instance endpoints.
pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(imds_token)
        .service(extension_token)
        .service(app_service_token)
        .service(imds_instance);
}
