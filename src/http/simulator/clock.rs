//! The simulator's clock (`/simulator/clock`).
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The simulator's clock.
#[derive(Serialize, ToSchema)]
pub struct SimClock {
    /// The time every token and timestamp follows.
    #[schema(example = "2030-01-01T00:00:00Z")]
    now: String,
    frozen: bool,
}

fn clock_view(state: &AppState) -> SimClock {
    let r = state.clock.reading();
    SimClock {
        now: r.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        frozen: r.frozen,
    }
}

/// Read the simulator's clock.
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_GetClock",
    responses((status = 200, body = SimClock)))]
#[get("/clock")]
pub async fn get_clock(state: web::Data<AppState>) -> HttpResponse {
    json(StatusCode::OK, &clock_view(&state))
}

/// Set the clock: `now` moves it there, `frozen` stops or restarts it.
#[derive(Deserialize, ToSchema)]
pub struct ClockUpdate {
    /// An RFC 3339 time.
    now: Option<String>,
    frozen: Option<bool>,
}

/// Set or freeze the simulator's clock.
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_SetClock", request_body = ClockUpdate,
    responses((status = 200, body = SimClock), (status = "default", body = ArmErrorResponse)))]
#[put("/clock")]
pub async fn set_clock(
    state: web::Data<AppState>,
    body: web::Json<ClockUpdate>,
) -> Result<HttpResponse, ArmError> {
    let now = body
        .now
        .as_deref()
        .map(|raw| {
            chrono::DateTime::parse_from_rfc3339(raw)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|_| {
                    ArmError::bad_request(
                        "InvalidClockTime",
                        format!("The time '{raw}' is not an RFC 3339 time such as 2030-01-01T00:00:00Z."),
                    )
                    .with_target("now")
                })
        })
        .transpose()?;
    if let Some(now) = now {
        state.clock.set(now).map_err(|e| {
            ArmError::bad_request("InvalidClockTime", format!("{e}.")).with_target("now")
        })?;
    }
    if let Some(frozen) = body.frozen {
        state.clock.freeze(frozen);
    }
    Ok(json(StatusCode::OK, &clock_view(&state)))
}

/// How far to move the clock.
#[derive(Deserialize, ToSchema)]
pub struct ClockAdvance {
    seconds: i64,
}

/// Move the simulator's clock forward by `seconds`.
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_AdvanceClock", request_body = ClockAdvance,
    responses((status = 200, body = SimClock), (status = "default", body = ArmErrorResponse)))]
#[post("/clock/advance")]
pub async fn advance_clock(
    state: web::Data<AppState>,
    body: web::Json<ClockAdvance>,
) -> Result<HttpResponse, ArmError> {
    state.clock.advance(body.seconds).map_err(|e| {
        ArmError::bad_request(
            "InvalidClockAdvance",
            format!(
                "Advancing the clock by {} seconds would leave it out of range: {e}.",
                body.seconds
            ),
        )
        .with_target("seconds")
    })?;
    Ok(json(StatusCode::OK, &clock_view(&state)))
}
