//! "Why is this token refused": the identity health report and the journal of recent token
//! requests and refusals.
use crate::domain::resource_id::ResourceId;
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::journal::Entry;
use crate::ops::health::{self, PairHealth};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimHealthReport {
    /// Pairs in all.
    pairs: usize,
    /// Pairs that cannot get a token now.
    broken: usize,
    /// Pairs with a warning (R14: a moved VM will not start once stopped).
    warned: usize,
    value: Vec<PairHealth>,
}

/// Which part of the report.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct HealthQuery {
    /// A VM, container group or user-assigned identity: only the pairs it is part of.
    resource_id: Option<String>,
    /// `true`: only the pairs that cannot get a token or carry a warning.
    broken: Option<bool>,
}

/// For every (resource, identity) pair and every user-assigned identity: whether it can get a
/// token now and, if not, the rule (R3, R5, R11, R15), the stored facts that make it so, and
/// the documented remedy; R14 warnings for moved VMs.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_IdentityHealth", params(HealthQuery),
    responses((status = 200, body = SimHealthReport), (status = "default", body = ArmErrorResponse))
)]
#[get("/identities/health")]
pub async fn identity_health(
    state: web::Data<AppState>,
    query: web::Query<HealthQuery>,
) -> Result<HttpResponse, ArmError> {
    let about = query
        .resource_id
        .as_deref()
        .map(ResourceId::parse)
        .transpose()
        .map_err(|e| {
            ArmError::bad_request("InvalidResourceId", e.to_string()).with_target("resourceId")
        })?;
    let mut value = health::report(&state, about.as_ref())
        .await
        .map_err(crate::ops::OpError::from)?;
    if query.broken == Some(true) {
        value.retain(|h| !h.verdict.can_get_token || !h.warnings.is_empty());
    }
    let report = SimHealthReport {
        pairs: value.len(),
        broken: value.iter().filter(|h| !h.verdict.can_get_token).count(),
        warned: value.iter().filter(|h| !h.warnings.is_empty()).count(),
        value,
    };
    Ok(json(StatusCode::OK, &report))
}

#[derive(Serialize, ToSchema)]
pub struct SimJournal {
    value: Vec<Entry>,
}

/// Which entries.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JournalQuery {
    /// Only entries after this `seq`.
    since: Option<u64>,
    /// At most this many, the newest (default and most: 1000).
    limit: Option<usize>,
}

/// The journal of recent token requests (instance endpoints, Entra) and ARM refusals: caller,
/// request, verdict, rule. The newest 1,000 are kept; reset empties it.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_Journal", params(JournalQuery),
    responses((status = 200, body = SimJournal), (status = "default", body = ArmErrorResponse))
)]
#[get("/journal")]
pub async fn journal(state: web::Data<AppState>, query: web::Query<JournalQuery>) -> HttpResponse {
    let limit = query
        .limit
        .unwrap_or(crate::journal::MAX_ENTRIES)
        .min(crate::journal::MAX_ENTRIES);
    let value = state.journal.list(query.since.unwrap_or(0), limit);
    json(StatusCode::OK, &SimJournal { value })
}
