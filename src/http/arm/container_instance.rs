//! Microsoft.ContainerInstance/containerGroups (`stable/2023-05-01/containerInstance.json`).
//! PUT is synchronous here (the group is up when it answers); PATCH changes tags only, as
//! Azure's; start is long-running, stop and restart answer 204.
use super::compute_list::list_rows;
use super::identity::{identity_view, IdentityView};
use super::lro::{operation_status, with_lro_headers, OperationPath, OperationStatus};
use crate::domain::compute::{ComputeKind, PowerAction};
use crate::domain::{ResourceName, SubscriptionId};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::{
    group_name_next_link, ApiVersion, ApiVersionParam, CallerInfo, ListQuery, SubscriptionPath,
};
use crate::http::extract::{resource_path, GroupPath};
use crate::http::{json, put_status};
use crate::ops::compute::{self as ops, ComputeRef, PowerOutcome};
use crate::ops::specs::{ContainerGroupBody, ContainerGroupTags};
use crate::state::AppState;
use crate::store::compute::ComputeRow;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

type Versions = ApiVersion<crate::http::extract::ContainerInstance>;

/// Path of one container group.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct ContainerGroupPath {
    subscription_id: String,
    resource_group_name: String,
    container_group_name: String,
}

impl ContainerGroupPath {
    async fn parse(&self, state: &AppState) -> Result<ComputeRef, ArmError> {
        let scope = (
            self.subscription_id.as_str(),
            self.resource_group_name.as_str(),
        );
        let (subscription, group, name) = resource_path(
            state,
            scope,
            ResourceName::container_group(&self.container_group_name),
        )
        .await?;
        Ok(ComputeRef {
            subscription,
            group,
            kind: ComputeKind::ContainerGroup,
            name,
        })
    }
}

/// A container group: the properties sent, plus its state and instance views.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerGroup {
    id: String,
    name: String,
    #[serde(rename = "type")]
    #[schema(example = "Microsoft.ContainerInstance/containerGroups")]
    resource_type: &'static str,
    location: String,
    /// Left out when there are none, as ContainerInstance answers.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<IdentityView>,
    #[schema(value_type = Object)]
    properties: Map<String, Value>,
    #[serde(flatten)]
    #[schema(value_type = Object)]
    extra: Map<String, Value>,
}

/// A page of container groups.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerGroupList {
    value: Vec<ContainerGroup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

impl ContainerGroup {
    fn new(row: ComputeRow) -> Self {
        let id = ComputeKind::ContainerGroup.resource_id(
            row.subscription_id,
            &row.resource_group,
            &row.name,
        );
        let identity = identity_view(&row);
        let running = row.power_state == "Running";
        // The containers last started at their latest restart, else when the group was created.
        let started = row
            .events
            .0
            .last()
            .and_then(|e| e.get("lastTimestamp"))
            .and_then(Value::as_str)
            .unwrap_or(&row.created_at)
            .to_string();
        let mut properties = row.properties.0.clone();
        if let Some(Value::Array(containers)) = properties.get_mut("containers") {
            for c in containers.iter_mut() {
                let Some(Value::Object(p)) = c.get_mut("properties") else {
                    continue;
                };
                let current = if running {
                    json!({"state": "Running", "startTime": started, "detailStatus": ""})
                } else {
                    json!({"state": "Terminated", "exitCode": 0, "finishTime": row.modified_at, "detailStatus": "Completed"})
                };
                p.insert(
                    "instanceView".into(),
                    json!({"restartCount": row.restart_count, "currentState": current, "events": []}),
                );
            }
        }
        if let Some(Value::Object(ip)) = properties.get_mut("ipAddress") {
            // A stable public address derived from the instance id.
            let b = row.instance_id.as_bytes();
            ip.insert(
                "ip".into(),
                format!("20.{}.{}.{}", b[0] % 250, b[1] % 250, b[2] % 250 + 1).into(),
            );
            if let Some(label) = ip.get("dnsNameLabel").and_then(Value::as_str) {
                let fqdn = format!("{label}.{}.azurecontainer.io", row.location);
                ip.insert("fqdn".into(), fqdn.into());
            }
        }
        properties.insert("provisioningState".into(), "Succeeded".into());
        properties.insert(
            "instanceView".into(),
            json!({"state": if running { "Running" } else { "Stopped" }, "events": row.events.0}),
        );
        Self {
            id,
            name: row.name,
            resource_type: ComputeKind::ContainerGroup.resource_type(),
            location: row.location,
            tags: row.tags.0,
            identity,
            properties,
            extra: row.extra.0,
        }
    }
}

/// Create or update a container group. Identities need api-version 2018-10-01 or later, a
/// Linux group and no virtual network (R16, the last two switchable); changing the identity
/// of an existing group restarts it.
#[utoipa::path(
    tag = "ContainerInstance", operation_id = "ContainerGroups_CreateOrUpdate",
    params(ContainerGroupPath, ApiVersionParam), request_body = ContainerGroupBody,
    responses((status = 200, body = ContainerGroup, description = "Updated"), (status = 201, body = ContainerGroup, description = "Created"),
              (status = "default", body = ArmErrorResponse))
)]
#[put("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerInstance/containerGroups/{containerGroupName}")]
pub async fn container_groups_create_or_update(
    state: web::Data<AppState>,
    path: web::Path<ContainerGroupPath>,
    version: Versions,
    caller: CallerInfo,
    body: web::Json<ContainerGroupBody>,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    let spec = body.into_inner().into_spec(version.version)?;
    let outcome = ops::create_or_update(&state, &r, spec, &caller.0).await?;
    let status = put_status(outcome.written);
    Ok(json(status, &ContainerGroup::new(outcome.row)))
}

/// Update a container group's tags.
#[utoipa::path(
    tag = "ContainerInstance", operation_id = "ContainerGroups_Update",
    params(ContainerGroupPath, ApiVersionParam), request_body = ContainerGroupTags,
    responses((status = 200, body = ContainerGroup), (status = "default", body = ArmErrorResponse))
)]
#[patch("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerInstance/containerGroups/{containerGroupName}")]
pub async fn container_groups_update(
    state: web::Data<AppState>,
    path: web::Path<ContainerGroupPath>,
    version: Versions,
    caller: CallerInfo,
    body: web::Json<ContainerGroupTags>,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    let spec = body.into_inner().into_spec(version.version)?;
    let outcome = ops::update(&state, &r, spec, &caller.0).await?;
    Ok(json(StatusCode::OK, &ContainerGroup::new(outcome.row)))
}

/// Get a container group with its instance view.
#[utoipa::path(
    tag = "ContainerInstance", operation_id = "ContainerGroups_Get",
    params(ContainerGroupPath, ApiVersionParam),
    responses((status = 200, body = ContainerGroup), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerInstance/containerGroups/{containerGroupName}")]
pub async fn container_groups_get(
    state: web::Data<AppState>,
    path: web::Path<ContainerGroupPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let row = ops::get(&state, &path.parse(&state).await?).await?;
    Ok(json(StatusCode::OK, &ContainerGroup::new(row)))
}

/// Delete a container group and its system-assigned principal (R17). 200 with the deleted
/// group, 204 when there was none.
#[utoipa::path(
    tag = "ContainerInstance", operation_id = "ContainerGroups_Delete",
    params(ContainerGroupPath, ApiVersionParam),
    responses((status = 200, body = ContainerGroup), (status = 204, description = "No such container group"),
              (status = "default", body = ArmErrorResponse))
)]
#[delete("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerInstance/containerGroups/{containerGroupName}")]
pub async fn container_groups_delete(
    state: web::Data<AppState>,
    path: web::Path<ContainerGroupPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    Ok(
        match ops::delete(&state, &path.parse(&state).await?, Default::default()).await? {
            Some((row, _)) => json(StatusCode::OK, &ContainerGroup::new(row)),
            None => HttpResponse::NoContent().finish(),
        },
    )
}

/// Start a stopped container group: 202 with `Azure-AsyncOperation`, or 204 when it runs.
#[utoipa::path(tag = "ContainerInstance", operation_id = "ContainerGroups_Start", params(ContainerGroupPath, ApiVersionParam),
    responses((status = 202, description = "Starting; poll Azure-AsyncOperation"), (status = 204, description = "Already running"),
              (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerInstance/containerGroups/{containerGroupName}/start")]
pub async fn container_groups_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<ContainerGroupPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    Ok(
        match ops::power(&state, &path.parse(&state).await?, PowerAction::Start).await? {
            PowerOutcome::Started { operation, row } => with_lro_headers(
                HttpResponse::Accepted().finish(),
                &req,
                (
                    row.subscription_id,
                    "Microsoft.ContainerInstance",
                    &row.location,
                ),
                &operation,
                version.version,
                false,
            ),
            PowerOutcome::AlreadyDone => HttpResponse::NoContent().finish(),
        },
    )
}

/// Stop a container group (synchronous, 204).
#[utoipa::path(tag = "ContainerInstance", operation_id = "ContainerGroups_Stop", params(ContainerGroupPath, ApiVersionParam),
    responses((status = 204, description = "Stopped"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerInstance/containerGroups/{containerGroupName}/stop")]
pub async fn container_groups_stop(
    state: web::Data<AppState>,
    path: web::Path<ContainerGroupPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    ops::power(&state, &path.parse(&state).await?, PowerAction::Stop).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Restart every container of a group (204); the instance view counts it.
#[utoipa::path(tag = "ContainerInstance", operation_id = "ContainerGroups_Restart", params(ContainerGroupPath, ApiVersionParam),
    responses((status = 204, description = "Restarted"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerInstance/containerGroups/{containerGroupName}/restart")]
pub async fn container_groups_restart(
    state: web::Data<AppState>,
    path: web::Path<ContainerGroupPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    ops::power(&state, &path.parse(&state).await?, PowerAction::Restart).await?;
    Ok(HttpResponse::NoContent().finish())
}

fn list_response(req: &HttpRequest, rows: Vec<ComputeRow>, more: bool) -> HttpResponse {
    let last = rows
        .last()
        .map(|r| (r.resource_group.as_str(), r.name.as_str()));
    let next = group_name_next_link(req, more, last);
    let value = rows.into_iter().map(ContainerGroup::new).collect();
    json(
        StatusCode::OK,
        &ContainerGroupList {
            value,
            next_link: next,
        },
    )
}

/// List the container groups of a resource group.
#[utoipa::path(
    tag = "ContainerInstance", operation_id = "ContainerGroups_ListByResourceGroup",
    params(GroupPath, ApiVersionParam, ListQuery),
    responses((status = 200, body = ContainerGroupList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerInstance/containerGroups")]
pub async fn container_groups_list_by_resource_group(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupPath>,
    _version: Versions,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let (sub, group) = path.parse()?;
    let kind = ComputeKind::ContainerGroup;
    let (rows, more) = list_rows(&state, &req, (sub, Some(&group)), kind, &query).await?;
    Ok(list_response(&req, rows, more))
}

/// List the container groups of a subscription.
#[utoipa::path(
    tag = "ContainerInstance", operation_id = "ContainerGroups_List",
    params(SubscriptionPath, ApiVersionParam, ListQuery),
    responses((status = 200, body = ContainerGroupList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.ContainerInstance/containerGroups")]
pub async fn container_groups_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<SubscriptionPath>,
    _version: Versions,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(&path.subscription_id)?;
    let kind = ComputeKind::ContainerGroup;
    let (rows, more) = list_rows(&state, &req, (sub, None), kind, &query).await?;
    Ok(list_response(&req, rows, more))
}

/// Poll a ContainerInstance operation.
#[utoipa::path(
    tag = "ContainerInstance", operation_id = "ContainerInstance_OperationStatus",
    params(OperationPath, ApiVersionParam),
    responses((status = 200, body = OperationStatus), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.ContainerInstance/locations/{location}/operations/{operationId}")]
pub async fn container_instance_operation_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<OperationPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    operation_status(&state, &req, &path).await
}

/// Mounts this provider's operations.
pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(container_groups_get)
        .service(container_groups_create_or_update)
        .service(container_groups_update)
        .service(container_groups_delete)
        .service(container_groups_start)
        .service(container_groups_stop)
        .service(container_groups_restart)
        .service(container_groups_list_by_resource_group)
        .service(container_groups_list)
        .service(container_instance_operation_status);
}
