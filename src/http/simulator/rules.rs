//! The switchable historical rules (`/simulator/rules`).
use crate::domain::rules::SwitchableRule;
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::ops::rules;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, patch, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A switchable historical rule and whether it is on.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimRule {
    #[schema(example = "R16-windows")]
    id: &'static str,
    /// The rule of rules.md it belongs to.
    #[schema(example = "R16")]
    rule: &'static str,
    description: &'static str,
    enabled: bool,
}

impl SimRule {
    fn new((r, enabled): (&'static SwitchableRule, bool)) -> Self {
        Self {
            id: r.id,
            rule: r.rule,
            description: r.description,
            enabled,
        }
    }
}

/// The switchable rules.
#[derive(Serialize, ToSchema)]
pub struct SimRuleList {
    value: Vec<SimRule>,
}

/// List the historical rules that can be switched off, with their state. All are on after
/// start and after a reset.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ListRules",
    responses((status = 200, body = SimRuleList), (status = "default", body = ArmErrorResponse))
)]
#[get("/rules")]
pub async fn list_rules(state: web::Data<AppState>) -> Result<HttpResponse, ArmError> {
    let value = rules::list(&state)
        .await?
        .into_iter()
        .map(SimRule::new)
        .collect();
    Ok(json(StatusCode::OK, &SimRuleList { value }))
}

/// Path of a switchable rule.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RulePath {
    id: String,
}

/// Switch a rule on or off.
#[derive(Deserialize, ToSchema)]
pub struct RulePatch {
    enabled: bool,
}

/// Switch a historical rule on or off.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_UpdateRule", params(RulePath), request_body = RulePatch,
    responses((status = 200, body = SimRule), (status = "default", body = ArmErrorResponse))
)]
#[patch("/rules/{id}")]
pub async fn update_rule(
    state: web::Data<AppState>,
    path: web::Path<RulePath>,
    body: web::Json<RulePatch>,
) -> Result<HttpResponse, ArmError> {
    let rule = rules::set(&state, &path.id, body.enabled).await?;
    Ok(json(StatusCode::OK, &SimRule::new(rule)))
}
