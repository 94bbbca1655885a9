//! Faults a test arms to see a documented failure (`/simulator/faults`): list, set, clear. A
//! fault names its kind, its target (a resource id) and how many times it fires.
use crate::domain::extensions::FaultKind;
use crate::domain::resource_id::ResourceId;
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::ops::extensions as ops;
use crate::state::AppState;
use crate::store::faults::FaultRow;
use actix_web::http::StatusCode;
use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An armed fault.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimFault {
    id: String,
    #[schema(example = "extensionDnsFailure")]
    kind: String,
    /// The resource it fires on (lowercase id).
    target: String,
    /// How many more times it fires; it goes when spent.
    remaining: i64,
    created_at: String,
}

impl From<FaultRow> for SimFault {
    fn from(f: FaultRow) -> Self {
        Self {
            id: f.id,
            kind: f.kind,
            target: f.target,
            remaining: f.remaining,
            created_at: f.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SimFaultList {
    value: Vec<SimFault>,
}

/// A fault to arm.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewFault {
    /// `extensionDnsFailure` (R18): provisioning the managed-identity extension on the target
    /// VM fails on a DNS lookup error, and so does every retry until the VM restarts.
    #[schema(example = "extensionDnsFailure")]
    kind: String,
    /// The id of the resource it fires on.
    target: String,
    /// How many times it fires (1 when left out).
    count: Option<i64>,
}

/// Arm a fault.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_CreateFault", request_body = NewFault,
    responses((status = 201, body = SimFault), (status = "default", body = ArmErrorResponse))
)]
#[post("/faults")]
pub async fn create_fault(
    state: web::Data<AppState>,
    body: web::Json<NewFault>,
) -> Result<HttpResponse, ArmError> {
    let kind = FaultKind::parse(&body.kind).ok_or_else(|| {
        let kinds: Vec<&str> = FaultKind::ALL.iter().map(|k| k.as_str()).collect();
        ArmError::bad_request(
            "InvalidFaultKind",
            format!(
                "There is no fault kind '{}'. Kinds: {}.",
                body.kind,
                kinds.join(", ")
            ),
        )
        .with_target("kind")
    })?;
    let target = ResourceId::parse(&body.target).map_err(|e| {
        ArmError::bad_request("InvalidResourceId", e.to_string()).with_target("target")
    })?;
    let fault = ops::arm_fault(&state, kind, &target, body.count.unwrap_or(1)).await?;
    Ok(json(StatusCode::CREATED, &SimFault::from(fault)))
}

/// List the armed faults.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ListFaults",
    responses((status = 200, body = SimFaultList), (status = "default", body = ArmErrorResponse))
)]
#[get("/faults")]
pub async fn list_faults(state: web::Data<AppState>) -> Result<HttpResponse, ArmError> {
    let value = ops::list_faults(&state)
        .await?
        .into_iter()
        .map(SimFault::from)
        .collect();
    Ok(json(StatusCode::OK, &SimFaultList { value }))
}

/// Clear every fault.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ClearFaults",
    responses((status = 204, description = "Cleared"), (status = "default", body = ArmErrorResponse))
)]
#[delete("/faults")]
pub async fn clear_faults(state: web::Data<AppState>) -> Result<HttpResponse, ArmError> {
    ops::clear_faults(&state, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Path of a fault.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FaultPath {
    id: String,
}

/// Clear one fault.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ClearFault", params(FaultPath),
    responses((status = 204, description = "Cleared"), (status = 404, body = ArmErrorResponse))
)]
#[delete("/faults/{id}")]
pub async fn clear_fault(
    state: web::Data<AppState>,
    path: web::Path<FaultPath>,
) -> Result<HttpResponse, ArmError> {
    if ops::clear_faults(&state, Some(path.id.clone())).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "FaultNotFound",
            format!(
                "There is no fault '{}'. GET /simulator/faults lists them.",
                path.id
            ),
        ))
    }
}
