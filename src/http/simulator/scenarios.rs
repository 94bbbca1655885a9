//! The shipped scenarios over HTTP: list them, and run one against this server. A run works in
//! a tenant and subscription of its own, whose resources stay to be explored until reset.
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::scenario::{self, Auth, Target, Transcript};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A scenario mi-sim ships.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimScenario {
    #[schema(example = "S1")]
    id: String,
    title: String,
    rules: Vec<String>,
    file: String,
    story: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    /// `enforce`: the scenario needs ARM to check callers.
    #[schema(value_type = String, example = "open")]
    auth: Auth,
    /// The names of its steps.
    steps: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SimScenarioList {
    value: Vec<SimScenario>,
}

/// List the scenarios mi-sim ships (S1..S9).
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ListScenarios",
    responses((status = 200, body = SimScenarioList), (status = "default", body = ArmErrorResponse))
)]
#[get("/scenarios")]
pub async fn list_scenarios() -> HttpResponse {
    let value = scenario::shipped()
        .iter()
        .map(|s| SimScenario {
            steps: s.steps.iter().map(|st| st.name.clone()).collect(),
            id: s.id.clone(),
            title: s.title.clone(),
            rules: s.rules.clone(),
            file: s.file.clone(),
            story: s.story.clone(),
            source: s.source.clone(),
            auth: s.auth,
        })
        .collect();
    json(StatusCode::OK, &SimScenarioList { value })
}

/// Path of a scenario.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ScenarioPath {
    /// `S1`..`S9`.
    id: String,
}

/// Run a shipped scenario against this server and answer its transcript. A scenario that
/// needs `--auth enforce` on an open server is answered as skipped.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_RunScenario", params(ScenarioPath),
    responses((status = 200, body = Transcript), (status = 404, body = ArmErrorResponse), (status = "default", body = ArmErrorResponse))
)]
#[post("/scenarios/{id}/runs")]
pub async fn run_scenario(
    state: web::Data<AppState>,
    path: web::Path<ScenarioPath>,
) -> Result<HttpResponse, ArmError> {
    let found = scenario::find_shipped(&path.id).ok_or_else(|| {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "ScenarioNotFound",
            format!(
                "There is no scenario '{}'. GET /simulator/scenarios lists them.",
                path.id
            ),
        )
    })?;
    let target = Target::new(&state.http_base).map_err(|e| {
        ArmError::from(crate::ops::OpError::Inconsistent(format!(
            "the scenario client: {e}"
        )))
    })?;
    let transcript = scenario::run::run(&target, &found).await;
    Ok(json(StatusCode::OK, &transcript))
}
