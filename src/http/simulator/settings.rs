//! The simulator's settings (`/simulator/settings`): how long a move takes.
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::ops::moves::{self, MAX_MOVE_SECONDS};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, patch, web, HttpResponse};
use serde::{Deserialize, Serialize};
use std::sync::atomic::Ordering;
use utoipa::ToSchema;

/// The settings.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimSettings {
    /// Seconds of the simulator's clock a move takes. While it runs, its poll answers 202 and
    /// both groups refuse writes and deletes (409 `ScopeLocked`). 0 (the default): done at once.
    move_seconds: i64,
    /// `open` or `enforce`: whether ARM checks callers (set at start with `--auth`).
    #[schema(example = "open")]
    auth: &'static str,
}

/// The settings to change; what is left out stays.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SimSettingsPatch {
    move_seconds: Option<i64>,
}

fn current(state: &AppState) -> SimSettings {
    SimSettings {
        move_seconds: state.move_seconds.load(Ordering::Relaxed),
        auth: state.auth.as_str(),
    }
}

/// Read the settings.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_GetSettings",
    responses((status = 200, body = SimSettings), (status = "default", body = ArmErrorResponse))
)]
#[get("/settings")]
pub async fn get_settings(state: web::Data<AppState>) -> HttpResponse {
    json(StatusCode::OK, &current(&state))
}

/// Change settings. They are stored, and a reset returns them to their defaults.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_UpdateSettings", request_body = SimSettingsPatch,
    responses((status = 200, body = SimSettings), (status = "default", body = ArmErrorResponse))
)]
#[patch("/settings")]
pub async fn update_settings(
    state: web::Data<AppState>,
    body: web::Json<SimSettingsPatch>,
) -> Result<HttpResponse, ArmError> {
    if let Some(seconds) = body.move_seconds {
        if !(0..=MAX_MOVE_SECONDS).contains(&seconds) {
            return Err(ArmError::bad_request(
                "InvalidSetting",
                format!("moveSeconds must be between 0 and {MAX_MOVE_SECONDS}; it was {seconds}."),
            )
            .with_target("moveSeconds"));
        }
        moves::set_move_seconds(&state, seconds).await?;
    }
    Ok(json(StatusCode::OK, &current(&state)))
}
