//! `GET /simulator/caller`: what mi-sim makes of the request's bearer token, so a user can see
//! why a token counts as a principal or not.
use crate::domain::authorization::{Principal, PrincipalKind};
use crate::http::extract::Authenticated;
use crate::http::json;
use actix_web::http::StatusCode;
use actix_web::{get, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

/// The caller as mi-sim sees it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimCaller {
    /// True when the token is one mi-sim signed and it is valid on the simulator's clock.
    verified: bool,
    /// Why the caller is not verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
    /// `ManagedIdentity` or `Application`.
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<String>,
    /// For a managed identity: the resource (system-assigned) or identity behind it.
    #[serde(skip_serializing_if = "Option::is_none")]
    resource_id: Option<String>,
    /// What `systemData.createdBy` records for this caller, and its type.
    created_by: String,
    created_by_type: &'static str,
}

/// Who is calling, as mi-sim sees the bearer token.
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_GetCaller",
    responses((status = 200, body = SimCaller)))]
#[get("/caller")]
pub async fn get_caller(req: HttpRequest) -> HttpResponse {
    let a = Authenticated::of(&req);
    let mut view = SimCaller {
        verified: false,
        reason: None,
        kind: None,
        principal_id: None,
        tenant_id: None,
        client_id: None,
        resource_id: None,
        created_by: a.caller.name.clone(),
        created_by_type: a.caller.kind,
    };
    match &a.principal {
        Principal::Anonymous(why) => view.reason = Some(why.as_str()),
        Principal::Verified(p) => {
            view.verified = true;
            view.kind = Some(match p.kind {
                PrincipalKind::ManagedIdentity => "ManagedIdentity",
                PrincipalKind::Application => "Application",
            });
            view.principal_id = Some(p.object_id.clone());
            view.tenant_id = Some(p.tenant_id.clone());
            view.client_id = Some(p.app_id.clone());
            view.resource_id = p.resource_id.clone();
        }
    }
    json(StatusCode::OK, &view)
}
