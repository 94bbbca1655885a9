//! Snapshots of the whole state: save, list, restore, delete. Saved with SQLite's `VACUUM INTO`.
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::ops::snapshots::{self as ops, SnapshotInfo};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct SimSnapshotList {
    value: Vec<SnapshotInfo>,
}

/// A snapshot to save.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSnapshot {
    /// Letters, digits, `-`, `_`, `.`; at most 64.
    #[schema(example = "before-transfer")]
    name: String,
}

/// Save the whole state under a name (409 when the name is taken).
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_SaveSnapshot", request_body = NewSnapshot,
    responses((status = 201, body = SnapshotInfo), (status = "default", body = ArmErrorResponse))
)]
#[post("/snapshots")]
pub async fn save_snapshot(
    state: web::Data<AppState>,
    body: web::Json<NewSnapshot>,
) -> Result<HttpResponse, ArmError> {
    let saved = ops::save(&state, &body.name).await?;
    Ok(json(StatusCode::CREATED, &saved))
}

/// List the saved snapshots.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ListSnapshots",
    responses((status = 200, body = SimSnapshotList), (status = "default", body = ArmErrorResponse))
)]
#[get("/snapshots")]
pub async fn list_snapshots(state: web::Data<AppState>) -> HttpResponse {
    json(
        StatusCode::OK,
        &SimSnapshotList {
            value: ops::list(&state),
        },
    )
}

/// Path of a snapshot.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SnapshotPath {
    name: String,
}

fn snapshot_not_found(name: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "SnapshotNotFound",
        format!("There is no snapshot '{name}'. GET /simulator/snapshots lists them."),
    )
}

/// Bring a snapshot's state back: every tenant, subscription, resource, principal, role
/// assignment, fault and setting as saved (the server's keys stay). Tokens handed out since
/// are forgotten.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_RestoreSnapshot", params(SnapshotPath),
    responses((status = 204, description = "Restored"), (status = 404, body = ArmErrorResponse), (status = "default", body = ArmErrorResponse))
)]
#[post("/snapshots/{name}/restore")]
pub async fn restore_snapshot(
    state: web::Data<AppState>,
    path: web::Path<SnapshotPath>,
) -> Result<HttpResponse, ArmError> {
    if ops::restore(&state, &path.name).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(snapshot_not_found(&path.name))
    }
}

/// Delete a snapshot.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_DeleteSnapshot", params(SnapshotPath),
    responses((status = 204, description = "Deleted"), (status = 404, body = ArmErrorResponse), (status = "default", body = ArmErrorResponse))
)]
#[delete("/snapshots/{name}")]
pub async fn delete_snapshot(
    state: web::Data<AppState>,
    path: web::Path<SnapshotPath>,
) -> Result<HttpResponse, ArmError> {
    if ops::delete(&state, &path.name)? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(snapshot_not_found(&path.name))
    }
}
