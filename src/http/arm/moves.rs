//! Microsoft.Resources moves (RES `resources.json`, `Resources_MoveResources`,
//! `Resources_ValidateMoveResources`): 202 with the `Location` of an ARM operation result,
//! which answers 202 while the move runs and 204 when it is done.
use super::resources::accepted;
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::{ApiVersion, ApiVersionParam, GroupPath, Resources};
use crate::ops::moves::{self as ops, MoveMode};
use crate::state::AppState;
use actix_web::{post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::ToSchema;

type Versions = ApiVersion<Resources>;

/// What to move, and where (`ResourcesMoveInfo`).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourcesMoveInfo {
    /// The ids of top-level resources in the source group, at most 800.
    #[serde(default)]
    resources: Vec<String>,
    /// The target group's id, `/subscriptions/{s}/resourceGroups/{g}`, in the same tenant.
    #[schema(example = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg2")]
    target_resource_group: Option<String>,
}

async fn start(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupPath>,
    version: Versions,
    body: web::Json<ResourcesMoveInfo>,
    mode: MoveMode,
) -> Result<HttpResponse, ArmError> {
    let (sub, group) = path.parse()?;
    let body = body.into_inner();
    let target = body.target_resource_group.unwrap_or_default();
    let op = ops::start(&state, (sub, &group), body.resources, target, mode).await?;
    Ok(accepted(&req, sub, &op, version.version))
}

/// Move resources to another group or subscription of the same tenant. The move is done when
/// the request is accepted; both groups stay locked (409 `ScopeLocked` on writes and deletes)
/// for the time `/simulator/settings` sets (`moveSeconds`, 0 by default).
#[utoipa::path(
    tag = "Resources", operation_id = "Resources_MoveResources",
    params(GroupPath, ApiVersionParam), request_body = ResourcesMoveInfo,
    responses((status = 202, description = "Accepted; poll the Location header (202, then 204)"),
              (status = "default", body = ArmErrorResponse))
)]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/moveResources")]
pub async fn move_resources(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupPath>,
    version: Versions,
    body: web::Json<ResourcesMoveInfo>,
) -> Result<HttpResponse, ArmError> {
    start(state, req, path, version, body, MoveMode::Move).await
}

/// Check a move without moving anything: the same checks, the same errors.
#[utoipa::path(
    tag = "Resources", operation_id = "Resources_ValidateMoveResources",
    params(GroupPath, ApiVersionParam), request_body = ResourcesMoveInfo,
    responses((status = 202, description = "Accepted; poll the Location header (202, then 204)"),
              (status = "default", body = ArmErrorResponse))
)]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/validateMoveResources")]
pub async fn validate_move_resources(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupPath>,
    version: Versions,
    body: web::Json<ResourcesMoveInfo>,
) -> Result<HttpResponse, ArmError> {
    start(state, req, path, version, body, MoveMode::Validate).await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(move_resources).service(validate_move_resources);
}
