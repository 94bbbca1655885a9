//! The simulator's own control API, under `/simulator`: what Azure has no API for (make a
//! tenant, transfer a subscription to another tenant, see the principals of a tenant, reset).
mod applications;
mod caller;
mod clock;
mod directory;
mod faults;
mod health;
mod instances;
mod rules;
mod scenarios;
mod settings;
mod snapshots;

use crate::http::error::{ArmError, ArmErrorResponse};
use crate::ops::bootstrap;
use crate::state::AppState;
use actix_web::{post, web, HttpResponse};
use applications::*;
use caller::*;
use clock::*;
use directory::*;
use faults::*;
use health::*;
use instances::*;
use rules::*;
use scenarios::*;
use settings::*;
use snapshots::*;

/// Back to the bootstrapped state: the default tenant and subscription, nothing else; the CA
/// and certificates are kept. Fast enough to call before every test.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_Reset",
    responses((status = 204, description = "Reset"), (status = "default", body = ArmErrorResponse))
)]
#[post("/reset")]
pub async fn reset(state: web::Data<AppState>) -> Result<HttpResponse, ArmError> {
    bootstrap::reset(&state)
        .await
        .map_err(crate::ops::OpError::from)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounts the control API (under `/simulator`).
pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(create_tenant)
        .service(list_tenants)
        .service(put_subscription)
        .service(transfer_subscription)
        .service(get_settings)
        .service(create_fault)
        .service(list_faults)
        .service(clear_faults)
        .service(clear_fault)
        .service(update_fault)
        .service(update_settings)
        .service(list_service_principals)
        .service(list_rules)
        .service(update_rule)
        .service(create_application)
        .service(list_applications)
        .service(get_clock)
        .service(set_clock)
        .service(advance_clock)
        .service(list_instances)
        .service(get_instance)
        .service(get_caller)
        .service(list_scenarios)
        .service(identity_health)
        .service(journal)
        .service(save_snapshot)
        .service(list_snapshots)
        .service(restore_snapshot)
        .service(delete_snapshot)
        .service(run_scenario)
        .service(reset);
}
