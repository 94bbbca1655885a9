//! Instances: VMs and container groups as code on them sees them (`/simulator/instances`).
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::json;
use crate::ops::tokens;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An instance: a VM or container group as code running on it sees it, with the environment
/// that points unmodified clients at its identity.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimInstance {
    instance_id: String,
    resource_id: String,
    /// IMDS base: `{metadataBaseUrl}/metadata/identity/oauth2/token`.
    metadata_base_url: String,
    /// The App Service-style token endpoint.
    identity_endpoint: String,
    identity_header: String,
    /// `IDENTITY_ENDPOINT`, `IDENTITY_HEADER`, `AZURE_POD_IDENTITY_AUTHORITY_HOST`.
    env: std::collections::BTreeMap<String, String>,
}

impl SimInstance {
    fn new(i: crate::store::instances::InstanceRow, base: &str) -> Self {
        let metadata_base_url = format!("{base}/instances/{}", i.instance_id);
        let identity_endpoint = format!("{metadata_base_url}/msi/token");
        let env = [
            ("IDENTITY_ENDPOINT", identity_endpoint.clone()),
            ("IDENTITY_HEADER", i.identity_header.clone()),
            (
                "AZURE_POD_IDENTITY_AUTHORITY_HOST",
                metadata_base_url.clone(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Self {
            resource_id: tokens::resource_id(&i),
            instance_id: i.instance_id,
            metadata_base_url,
            identity_endpoint,
            identity_header: i.identity_header,
            env,
        }
    }
}

/// Instances.
#[derive(Serialize, ToSchema)]
pub struct SimInstanceList {
    value: Vec<SimInstance>,
}

/// Which instances to list.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct InstanceQuery {
    /// The ARM id of a VM or container group.
    resource_id: Option<String>,
    /// A VM or container group name, in any group.
    name: Option<String>,
}

/// List instances, or find one by resource id or name.
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_ListInstances", params(InstanceQuery),
    responses((status = 200, body = SimInstanceList), (status = "default", body = ArmErrorResponse)))]
#[get("/instances")]
pub async fn list_instances(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    query: web::Query<InstanceQuery>,
) -> Result<HttpResponse, ArmError> {
    let rows = tokens::find_instances(&state, query.resource_id.as_deref(), query.name.as_deref())
        .await
        .map_err(crate::ops::OpError::from)?;
    let base = crate::http::extract::base_url(&req);
    let value = rows
        .into_iter()
        .map(|i| SimInstance::new(i, &base))
        .collect();
    Ok(json(StatusCode::OK, &SimInstanceList { value }))
}

/// Path of an instance.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct SimInstancePath {
    instance_id: String,
}

/// Get an instance by its id.
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_GetInstance", params(SimInstancePath),
    responses((status = 200, body = SimInstance), (status = "default", body = ArmErrorResponse)))]
#[get("/instances/{instanceId}")]
pub async fn get_instance(
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    path: web::Path<SimInstancePath>,
) -> Result<HttpResponse, ArmError> {
    let row = tokens::instance(&state, &path.instance_id)
        .await
        .map_err(|e| {
            ArmError::new(
                StatusCode::NOT_FOUND,
                "InstanceNotFound",
                format!("{e}. GET /simulator/instances lists them."),
            )
        })?;
    let base = crate::http::extract::base_url(&req);
    Ok(json(StatusCode::OK, &SimInstance::new(row, &base)))
}
