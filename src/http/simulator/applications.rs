//! Applications that sign in to mi-sim's Entra with a client secret.
use super::directory::TenantPath;
use crate::domain::TenantId;
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::ops::applications;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An application that signs in with a client secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimApplication {
    /// The client id.
    app_id: String,
    /// The object id of its service principal.
    object_id: String,
    tenant_id: String,
    display_name: String,
    /// Shown once at creation; afterwards only for bootstrapped (well-known) applications.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl SimApplication {
    fn new(a: crate::store::applications::ApplicationRow, secret: Option<String>) -> Self {
        Self {
            client_secret: secret.or(a.well_known_secret),
            app_id: a.app_id,
            object_id: a.object_id,
            tenant_id: a.tenant_id.to_string(),
            display_name: a.display_name,
        }
    }
}

/// Applications of a tenant.
#[derive(Serialize, ToSchema)]
pub struct SimApplicationList {
    value: Vec<SimApplication>,
}

/// A new application; the name is optional.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct NewApplication {
    display_name: Option<String>,
}

/// Create an application (and its service principal) with a client secret, shown once.
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_CreateApplication", params(TenantPath),
    request_body = NewApplication,
    responses((status = 201, body = SimApplication), (status = "default", body = ArmErrorResponse)))]
#[post("/tenants/{tenantId}/applications")]
pub async fn create_application(
    state: web::Data<AppState>,
    path: web::Path<TenantPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    let body: NewApplication = if body.iter().all(u8::is_ascii_whitespace) {
        NewApplication::default()
    } else {
        serde_json::from_slice(&body).map_err(ArmError::invalid_request_content)?
    };
    let tenant = TenantId::parse(&path.tenant_id)?;
    let (app, secret) = applications::create(&state, tenant, body.display_name).await?;
    Ok(json(
        StatusCode::CREATED,
        &SimApplication::new(app, Some(secret)),
    ))
}

/// List the applications of a tenant (secrets of bootstrapped applications only).
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_ListApplications", params(TenantPath),
    responses((status = 200, body = SimApplicationList), (status = "default", body = ArmErrorResponse)))]
#[get("/tenants/{tenantId}/applications")]
pub async fn list_applications(
    state: web::Data<AppState>,
    path: web::Path<TenantPath>,
) -> Result<HttpResponse, ArmError> {
    let tenant = TenantId::parse(&path.tenant_id)?;
    let value = applications::list(&state, tenant)
        .await?
        .into_iter()
        .map(|a| SimApplication::new(a, None))
        .collect();
    Ok(json(StatusCode::OK, &SimApplicationList { value }))
}
