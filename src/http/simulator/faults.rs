//! Faults a test arms to see a documented failure (`/simulator/faults`): arm, list, change,
//! clear. A fault names its kind, its target, and how often it fires; `domain::faults` has
//! the kinds.
use crate::domain::faults::{FaultKind, TargetKind};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::ops::faults::{self as ops, FaultSpec};
use crate::state::AppState;
use crate::store::faults::FaultRow;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An armed fault.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimFault {
    id: String,
    #[schema(example = "imdsUnavailable")]
    kind: String,
    /// What it does.
    description: &'static str,
    /// What it fires on: a resource id or tenant id (lowercase), or an ARM path pattern.
    target: String,
    /// How many more times it fires; null: until cleared. It goes when spent.
    remaining: Option<i64>,
    /// The share of requests it fires on (a seeded draw); null: every one.
    probability: Option<f64>,
    seed: i64,
    /// The requests it was asked about so far.
    seen: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    delay_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<i64>,
    created_at: String,
}

impl From<FaultRow> for SimFault {
    fn from(f: FaultRow) -> Self {
        Self {
            description: FaultKind::parse(&f.kind).map_or("", FaultKind::describe),
            id: f.id,
            kind: f.kind,
            target: f.target,
            remaining: f.remaining,
            probability: f.probability,
            seed: f.seed,
            seen: f.seen,
            delay_ms: f.delay_ms,
            retry_after: f.retry_after,
            created_at: f.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SimFaultList {
    value: Vec<SimFault>,
}

/// How often, how late, and with what `Retry-After` a fault fires.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultChange {
    /// How many times it fires (default: once, or until cleared with a probability).
    count: Option<i64>,
    /// Fire on this share of requests (0 < p <= 1), drawn from `seed`: the same seed replays.
    probability: Option<f64>,
    seed: Option<i64>,
    /// `imdsSlow`: how late the answer comes (default 2000, at most 30000).
    delay_ms: Option<i64>,
    /// Throttling and unavailability: the `Retry-After` seconds (default 1).
    retry_after: Option<i64>,
}

impl From<FaultChange> for FaultSpec {
    fn from(c: FaultChange) -> Self {
        Self {
            count: c.count,
            probability: c.probability,
            seed: c.seed,
            delay_ms: c.delay_ms,
            retry_after: c.retry_after,
        }
    }
}

/// A fault to arm.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewFault {
    /// `extensionDnsFailure` (R18) and `vmStartFailure` target a VM; `imdsThrottled`,
    /// `imdsError`, `imdsUnavailable` and `imdsSlow` a VM or container group; `entraThrottled`
    /// and `entraUnavailable` a tenant id (or `*`); `armThrottled` an ARM path pattern (`*`
    /// matches anything, case is ignored).
    #[schema(example = "imdsUnavailable")]
    kind: String,
    /// The resource id, tenant id or path pattern it fires on.
    target: String,
    /// How many times it fires (default: once, or until cleared with a probability).
    count: Option<i64>,
    /// Fire on this share of requests (0 < p <= 1), drawn from `seed`: the same seed replays.
    probability: Option<f64>,
    seed: Option<i64>,
    /// `imdsSlow`: how late the answer comes (default 2000, at most 30000).
    delay_ms: Option<i64>,
    /// Throttling and unavailability: the `Retry-After` seconds (default 1).
    retry_after: Option<i64>,
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
    let body = body.into_inner();
    let kind = FaultKind::parse(&body.kind).ok_or_else(|| {
        let kinds: Vec<String> = FaultKind::ALL
            .iter()
            .map(|k| {
                let target = match k.target() {
                    TargetKind::Resource(t) => t.join(" or "),
                    TargetKind::Tenant => "a tenant id".into(),
                    TargetKind::PathPattern => "an ARM path pattern".into(),
                };
                format!("{} ({target})", k.as_str())
            })
            .collect();
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
    let spec = FaultSpec {
        count: body.count,
        probability: body.probability,
        seed: body.seed,
        delay_ms: body.delay_ms,
        retry_after: body.retry_after,
    };
    let fault = ops::arm(&state, kind, &body.target, spec).await?;
    Ok(json(StatusCode::CREATED, &SimFault::from(fault)))
}

/// List the armed faults.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ListFaults",
    responses((status = 200, body = SimFaultList), (status = "default", body = ArmErrorResponse))
)]
#[get("/faults")]
pub async fn list_faults(state: web::Data<AppState>) -> Result<HttpResponse, ArmError> {
    let value = ops::list(&state)
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
    ops::clear(&state, None).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Path of a fault.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct FaultPath {
    id: String,
}

fn fault_not_found(id: &str) -> ArmError {
    ArmError::new(
        StatusCode::NOT_FOUND,
        "FaultNotFound",
        format!("There is no fault '{id}'. GET /simulator/faults lists them."),
    )
}

/// Change how often, how late or with what `Retry-After` a fault fires.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_UpdateFault", params(FaultPath), request_body = FaultChange,
    responses((status = 200, body = SimFault), (status = 404, body = ArmErrorResponse), (status = "default", body = ArmErrorResponse))
)]
#[patch("/faults/{id}")]
pub async fn update_fault(
    state: web::Data<AppState>,
    path: web::Path<FaultPath>,
    body: web::Json<FaultChange>,
) -> Result<HttpResponse, ArmError> {
    match ops::change(&state, path.id.clone(), body.into_inner().into()).await? {
        Some(f) => Ok(json(StatusCode::OK, &SimFault::from(f))),
        None => Err(fault_not_found(&path.id)),
    }
}

/// Clear one fault.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ClearFault", params(FaultPath),
    responses((status = 204, description = "Cleared"), (status = 404, body = ArmErrorResponse), (status = "default", body = ArmErrorResponse))
)]
#[delete("/faults/{id}")]
pub async fn clear_fault(
    state: web::Data<AppState>,
    path: web::Path<FaultPath>,
) -> Result<HttpResponse, ArmError> {
    if ops::clear(&state, Some(path.id.clone())).await? {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(fault_not_found(&path.id))
    }
}
