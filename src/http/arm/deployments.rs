//! Microsoft.Resources `Deployments` and `DeploymentOperations` at resource-group and
//! subscription scope: ARM template deployments as az CLI, the SDKs and Ansible send them
//! (docs/deployments.md). Each route parses its scope and calls the shared handler below.
use crate::domain::template::lenient;
use crate::domain::{ResourceGroupName, SubscriptionId};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::{base_url, bearer, ApiVersion, ApiVersionParam, Resources};
use crate::http::json;
use crate::ops::deployments::{self as ops, DeployError, Mode, Request, Scope};
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{delete, get, head, post, put, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::IntoParams;

type Versions = ApiVersion<Resources>;

/// The deployments a list page holds.
const PAGE: i64 = 100;

/// A deployment at resource-group scope.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct GroupDeploymentPath {
    subscription_id: String,
    resource_group_name: String,
    deployment_name: String,
}

/// A deployment at subscription scope.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct SubDeploymentPath {
    subscription_id: String,
    deployment_name: String,
}

/// A scope's deployments.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct GroupScopePath {
    subscription_id: String,
    resource_group_name: String,
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct SubScopePath {
    subscription_id: String,
}

/// One operation (or status) of a deployment at resource-group scope.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct GroupOperationPath {
    subscription_id: String,
    resource_group_name: String,
    deployment_name: String,
    operation_id: String,
}

/// One operation (or status) of a deployment at subscription scope.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct SubOperationPath {
    subscription_id: String,
    deployment_name: String,
    operation_id: String,
}

/// `$filter=provisioningState eq 'X'`, `$top` and `$skiptoken` of a deployment list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeploymentListQuery {
    #[serde(rename = "$filter")]
    #[param(rename = "$filter")]
    filter: Option<String>,
    #[serde(rename = "$top")]
    #[param(rename = "$top")]
    top: Option<i64>,
    #[serde(rename = "$skiptoken")]
    #[param(rename = "$skiptoken")]
    skiptoken: Option<String>,
}

fn group_scope(sub: &str, group: &str) -> Result<Scope, ArmError> {
    Ok(Scope {
        sub: SubscriptionId::parse(sub)?,
        group: Some(ResourceGroupName::parse(group)?),
    })
}

fn sub_scope(sub: &str) -> Result<Scope, ArmError> {
    Ok(Scope {
        sub: SubscriptionId::parse(sub)?,
        group: None,
    })
}

/// Each path's scope, parsed: a group's paths with the group, a subscription's without.
macro_rules! scoped_paths {
    (group: $($g:ty),*; subscription: $($s:ty),*) => {
        $(impl $g {
            fn scope(&self) -> Result<Scope, ArmError> {
                group_scope(&self.subscription_id, &self.resource_group_name)
            }
        })*
        $(impl $s {
            fn scope(&self) -> Result<Scope, ArmError> {
                sub_scope(&self.subscription_id)
            }
        })*
    };
}

scoped_paths!(
    group: GroupDeploymentPath, GroupScopePath, GroupOperationPath;
    subscription: SubDeploymentPath, SubScopePath, SubOperationPath
);

/// A deployment's scope and name, parsed.
macro_rules! deployment_paths {
    ($($p:ty),*) => {
        $(impl $p {
            fn target(&self) -> Result<(Scope, &str), ArmError> {
                Ok((self.scope()?, &self.deployment_name))
            }
        })*
    };
}

deployment_paths!(
    GroupDeploymentPath,
    SubDeploymentPath,
    GroupOperationPath,
    SubOperationPath
);

/// A deployment name: 1 to 64 letters, digits, `-`, `_`, `.`, `(` and `)`.
fn check_name(name: &str) -> Result<(), ArmError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || "-_.()".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ArmError::bad_request(
            "InvalidDeploymentName",
            format!("The deployment name '{name}' is invalid. It can contain only letters, digits, underscores, parentheses, hyphens and periods, and be at most 64 characters long."),
        ))
    }
}

fn refuse(message: impl Into<String>) -> ArmError {
    ArmError::bad_request("InvalidRequestContent", message)
}

/// Reads a `Deployment` body. It may carry comments and a bare `template` key: az CLI sends
/// a template file's text verbatim.
fn read_request(name: &str, scope: &Scope, body: &[u8]) -> Result<(Request, Value), ArmError> {
    let text =
        std::str::from_utf8(body).map_err(|_| refuse("The request content is not UTF-8 text."))?;
    let value = lenient::parse(text).map_err(ArmError::invalid_request_content)?;
    let properties = value
        .get("properties")
        .and_then(Value::as_object)
        .ok_or_else(|| refuse("The request content has no 'properties' object: send {\"properties\": {\"mode\": \"Incremental\", \"template\": {...}, \"parameters\": {...}}}."))?;
    if properties.contains_key("templateLink") {
        return Err(refuse("mi-sim deploys templates sent in the request ('properties.template'); it does not fetch 'templateLink'. Send the template's content instead (az: --template-file)."));
    }
    if properties.contains_key("parametersLink") {
        return Err(refuse("mi-sim takes parameters in the request ('properties.parameters'); it does not fetch 'parametersLink'."));
    }
    let template = match properties.get("template") {
        Some(Value::Object(t)) => Value::Object(t.clone()),
        Some(Value::String(s)) => {
            lenient::parse(s)
                .ok()
                .filter(Value::is_object)
                .ok_or_else(|| {
                    refuse("'properties.template' is a string that is not a JSON object.")
                })?
        }
        _ => {
            return Err(refuse(
                "'properties.template' is missing: send the template as a JSON object.",
            ))
        }
    };
    let mode = properties
        .get("mode")
        .and_then(Value::as_str)
        .ok_or_else(|| refuse("'properties.mode' is missing: send 'Incremental' or 'Complete'."))?;
    let mode = Mode::parse(mode).ok_or_else(|| {
        refuse(format!(
            "'properties.mode' is '{mode}': send 'Incremental' or 'Complete'."
        ))
    })?;
    if mode == Mode::Complete && scope.group.is_none() {
        return Err(refuse("Complete mode deploys to a resource group only; at subscription scope use 'Incremental'."));
    }
    let mut parameters = Map::new();
    for (k, v) in properties
        .get("parameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if v.get("reference").is_some() {
            return Err(refuse(format!("The parameter '{k}' is a Key Vault reference; mi-sim serves no Key Vault. Pass its value instead.")));
        }
        if v.get("value").is_none() {
            return Err(refuse(format!(
                "The parameter '{k}' has no 'value': send {{\"{k}\": {{\"value\": ...}}}}."
            )));
        }
        parameters.insert(k.clone(), v.clone());
    }
    let location = value
        .get("location")
        .and_then(Value::as_str)
        .map(str::to_string);
    if scope.group.is_none() && location.is_none() {
        return Err(ArmError::location_required());
    }
    let request = Request {
        name: name.to_string(),
        location,
        tags: value
            .get("tags")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or(json!({})),
        mode,
        template,
        parameters,
    };
    Ok((request, value))
}

/// A refused deployment request, as ARM answers it.
fn refusal(e: DeployError) -> Result<HttpResponse, ArmError> {
    Err(match e {
        DeployError::Op(e) => e.into(),
        DeployError::Template(e) => {
            return Ok(json(StatusCode::BAD_REQUEST, &ops::invalid_template(&e)))
        }
        DeployError::Preflight { name, details } => {
            return Ok(json(
                StatusCode::BAD_REQUEST,
                &json!({"error": {
                    "code": "InvalidTemplateDeployment",
                    "message": format!("The template deployment '{name}' is not valid according to the validation procedure. The tracking id is '{}'. See inner errors for details.", uuid::Uuid::new_v4()),
                    "details": details,
                }}),
            ))
        }
        DeployError::Active { name, started } => ArmError::new(
            StatusCode::CONFLICT,
            "DeploymentActive",
            format!("Unable to edit or replace deployment '{name}': previous deployment from '{started}' is still active. Wait until it ends, or cancel it (POST .../deployments/{name}/cancel). Please see https://aka.ms/arm-deploy for usage details."),
        ),
        DeployError::NotFound(name) => ArmError::new(
            StatusCode::NOT_FOUND,
            "DeploymentNotFound",
            format!("Deployment '{name}' could not be found."),
        ),
        DeployError::NotCancellable { name, state } => ArmError::new(
            StatusCode::CONFLICT,
            "DeploymentCannotBeCancelled",
            format!("The deployment '{name}' is '{state}': only an Accepted or Running deployment can be cancelled."),
        ),
    })
}

/// The URL a deployment's `Azure-AsyncOperation` names.
fn status_url(req: &HttpRequest, scope: &Scope, name: &str, run: &str, version: &str) -> String {
    format!(
        "{}{}/operationStatuses/{run}?api-version={version}",
        base_url(req),
        scope.deployment_id(name)
    )
}

async fn put_deployment(
    state: web::Data<AppState>,
    req: &HttpRequest,
    (scope, name): (Scope, &str),
    version: &str,
    body: &[u8],
) -> Result<HttpResponse, ArmError> {
    check_name(name)?;
    let (request, _) = read_request(name, &scope, body)?;
    let token = bearer(req).map(str::to_string);
    let (existed, answer, run) =
        match ops::start(state.into_inner(), scope.clone(), request, token).await {
            Ok(started) => started,
            Err(e) => return refusal(e),
        };
    let status = if existed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut res = json(status, &answer);
    let url = status_url(req, &scope, name, &run, version);
    use actix_web::http::header::{HeaderName, HeaderValue, RETRY_AFTER};
    if let Ok(v) = HeaderValue::from_str(&url) {
        res.headers_mut()
            .insert(HeaderName::from_static("azure-asyncoperation"), v);
    }
    res.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    Ok(res)
}

async fn get_deployment(
    state: &AppState,
    (scope, name): (Scope, &str),
) -> Result<HttpResponse, ArmError> {
    match ops::get(state, &scope, name).await {
        Ok(row) => Ok(json(StatusCode::OK, &ops::view(&scope, &row))),
        Err(e) => refusal(e),
    }
}

async fn head_deployment(
    state: &AppState,
    (scope, name): (Scope, &str),
) -> Result<HttpResponse, ArmError> {
    Ok(match ops::get(state, &scope, name).await {
        Ok(_) => HttpResponse::NoContent().finish(),
        Err(DeployError::NotFound(_)) => HttpResponse::NotFound().finish(),
        Err(e) => return refusal(e),
    })
}

async fn delete_deployment(
    state: &AppState,
    (scope, name): (Scope, &str),
) -> Result<HttpResponse, ArmError> {
    match ops::delete(state, &scope, name).await {
        Ok(_) => Ok(HttpResponse::NoContent().finish()),
        Err(e) => refusal(e),
    }
}

/// The provisioning state a list's `$filter` asks for (`provisioningState eq 'Failed'`).
fn state_filter(filter: Option<&str>) -> Result<Option<String>, ArmError> {
    let Some(f) = filter.map(str::trim).filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let parts: Vec<&str> = f.splitn(3, ' ').collect();
    match parts.as_slice() {
        [field, op, value]
            if field.eq_ignore_ascii_case("provisioningState") && op.eq_ignore_ascii_case("eq") =>
        {
            let v = value.trim();
            v.strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .map(|v| Some(v.to_string()))
                .ok_or_else(|| ArmError::bad_request("InvalidFilterInQueryString", format!("The $filter '{f}' is not valid: quote the state, as in provisioningState eq 'Succeeded'.")))
        }
        _ => Err(ArmError::bad_request(
            "InvalidFilterInQueryString",
            format!("The $filter '{f}' is not valid: deployments filter on provisioningState only, as in provisioningState eq 'Succeeded'."),
        )),
    }
}

async fn list_deployments(
    state: &AppState,
    req: &HttpRequest,
    scope: Scope,
    query: &DeploymentListQuery,
) -> Result<HttpResponse, ArmError> {
    let filter = state_filter(query.filter.as_deref())?;
    let top = match query.top {
        None => PAGE,
        Some(t) if (1..=1000).contains(&t) => t.min(PAGE),
        Some(t) => {
            return Err(ArmError::bad_request(
                "InvalidQueryParameterValue",
                format!("$top is {t}: give a number from 1 to 1000."),
            ))
        }
    };
    let after = query.skiptoken.as_deref().unwrap_or_default();
    let rows = match ops::list(state, &scope, filter.as_deref(), after, top + 1).await {
        Ok(r) => r,
        Err(e) => return refusal(e),
    };
    let more = rows.len() as i64 > top;
    let value: Vec<Value> = rows
        .iter()
        .take(top as usize)
        .map(|(_, row)| ops::view(&scope, row))
        .collect();
    let mut body = json!({ "value": value });
    if more {
        if let Some((key, _)) = rows.get(top as usize - 1) {
            body["nextLink"] = json!(crate::http::extract::next_link(req, key));
        }
    }
    Ok(json(StatusCode::OK, &body))
}

async fn validate_deployment(
    state: &AppState,
    (scope, name): (Scope, &str),
    body: &[u8],
) -> Result<HttpResponse, ArmError> {
    check_name(name)?;
    let (request, _) = read_request(name, &scope, body)?;
    match ops::validate(state, &scope, &request).await {
        Ok(v) => Ok(json(StatusCode::OK, &v)),
        Err(e) => refusal(e),
    }
}

async fn what_if_deployment(
    state: &AppState,
    req: &HttpRequest,
    (scope, name): (Scope, &str),
    version: &str,
    body: &[u8],
) -> Result<HttpResponse, ArmError> {
    check_name(name)?;
    let (request, _) = read_request(name, &scope, body)?;
    let token = bearer(req);
    let result = match ops::what_if(state, &scope, &request, token).await {
        Ok(v) => v,
        Err(e) => return refusal(e),
    };
    let op = crate::ops::export::record(state, scope.sub, "WhatIf", result).await?;
    Ok(super::resources::accepted(req, scope.sub, &op, version))
}

async fn cancel_deployment(
    state: &AppState,
    (scope, name): (Scope, &str),
) -> Result<HttpResponse, ArmError> {
    match ops::cancel(state, &scope, name).await {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(e) => refusal(e),
    }
}

async fn export_deployment(
    state: &AppState,
    (scope, name): (Scope, &str),
) -> Result<HttpResponse, ArmError> {
    match ops::export(state, &scope, name).await {
        Ok(v) => Ok(json(StatusCode::OK, &v)),
        Err(e) => refusal(e),
    }
}

/// A deployment's operations, each with its id under the deployment.
fn operations_of(scope: &Scope, row: &crate::store::deployments::DeploymentRow) -> Vec<Value> {
    let base = scope.deployment_id(&row.name);
    row.operations
        .0
        .as_array()
        .into_iter()
        .flatten()
        .map(|op| {
            let mut op = op.clone();
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            op["id"] = json!(format!("{base}/operations/{id}"));
            op
        })
        .collect()
}

async fn list_operations(
    state: &AppState,
    (scope, name): (Scope, &str),
) -> Result<HttpResponse, ArmError> {
    match ops::get(state, &scope, name).await {
        Ok(row) => Ok(json(
            StatusCode::OK,
            &json!({"value": operations_of(&scope, &row)}),
        )),
        Err(e) => refusal(e),
    }
}

async fn get_operation(
    state: &AppState,
    (scope, name): (Scope, &str),
    op: &str,
) -> Result<HttpResponse, ArmError> {
    let row = match ops::get(state, &scope, name).await {
        Ok(r) => r,
        Err(e) => return refusal(e),
    };
    operations_of(&scope, &row)
        .into_iter()
        .find(|o| o["operationId"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(op)))
        .map(|o| json(StatusCode::OK, &o))
        .ok_or_else(|| ArmError::new(StatusCode::NOT_FOUND, "DeploymentOperationNotFound", format!("The operation '{op}' of deployment '{name}' could not be found. List them at .../deployments/{name}/operations.")))
}

/// The `Azure-AsyncOperation` status of a deployment's run.
async fn run_status(
    state: &AppState,
    (scope, name): (Scope, &str),
    run: &str,
) -> Result<HttpResponse, ArmError> {
    let row = match ops::get(state, &scope, name).await {
        Ok(r) => r,
        Err(e) => return refusal(e),
    };
    if row.run_id != run {
        return Err(ArmError::new(StatusCode::NOT_FOUND, "OperationNotFound", format!("The operation '{run}' of deployment '{name}' could not be found: the deployment has been run again since.")));
    }
    let mut res = match row.state.as_str() {
        "Accepted" | "Running" => json(StatusCode::OK, &json!({"status": "Running"})),
        "Failed" => json(
            StatusCode::OK,
            &json!({"status": "Failed", "error": row.properties.0["error"]}),
        ),
        other => json(StatusCode::OK, &json!({"status": other})),
    };
    if matches!(row.state.as_str(), "Accepted" | "Running") {
        res.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from_static("1"),
        );
    }
    Ok(res)
}

/// Create or update a deployment at resource-group scope: 201 (200 for a deployment that
/// existed) with provisioningState Accepted and `Azure-AsyncOperation`; the template is
/// checked first (400 `InvalidTemplate`).
#[utoipa::path(tag = "Resources", operation_id = "Deployments_CreateOrUpdate", params(GroupDeploymentPath, ApiVersionParam),
    request_body(content = Object, description = "Deployment: {properties: {mode, template, parameters}}; comments and a bare template key are read"),
    responses((status = 201, description = "DeploymentExtended, Accepted"), (status = 200, description = "DeploymentExtended"), (status = "default", body = ArmErrorResponse)))]
#[put("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}")]
pub async fn put_group(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupDeploymentPath>,
    version: Versions,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    put_deployment(state, &req, path.target()?, version.version, &body).await
}

/// A deployment at resource-group scope.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_Get", params(GroupDeploymentPath, ApiVersionParam),
    responses((status = 200, description = "DeploymentExtended"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}")]
pub async fn get_group(
    state: web::Data<AppState>,
    path: web::Path<GroupDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    get_deployment(&state, path.target()?).await
}

/// Whether a deployment exists: 204 or 404.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_CheckExistence", params(GroupDeploymentPath, ApiVersionParam),
    responses((status = 204, description = "It exists"), (status = 404, description = "It does not"),
              (status = "default", body = ArmErrorResponse, description = "Bad input (no body on HEAD)")))]
#[head("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}")]
pub async fn head_group(
    state: web::Data<AppState>,
    path: web::Path<GroupDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    head_deployment(&state, path.target()?).await
}

/// Delete a deployment's record (its resources stay); a running one is refused (409).
#[utoipa::path(tag = "Resources", operation_id = "Deployments_Delete", params(GroupDeploymentPath, ApiVersionParam),
    responses((status = 204, description = "Deleted, or there was none"), (status = "default", body = ArmErrorResponse)))]
#[delete("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}")]
pub async fn delete_group(
    state: web::Data<AppState>,
    path: web::Path<GroupDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    delete_deployment(&state, path.target()?).await
}

/// A group's deployments, optionally `$filter=provisioningState eq 'Failed'`.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_ListByResourceGroup", params(GroupScopePath, ApiVersionParam, DeploymentListQuery),
    responses((status = 200, description = "{value, nextLink?}"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments")]
pub async fn list_group(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupScopePath>,
    query: web::Query<DeploymentListQuery>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    list_deployments(&state, &req, path.scope()?, &query).await
}

/// Check a deployment without deploying: 200 `DeploymentValidateResult`, or 400
/// (`InvalidTemplate`, `InvalidTemplateDeployment` with the resource's error inside).
#[utoipa::path(tag = "Resources", operation_id = "Deployments_Validate", params(GroupDeploymentPath, ApiVersionParam), request_body(content = Object, description = "Deployment"),
    responses((status = 200, description = "DeploymentValidateResult"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}/validate")]
pub async fn validate_group(
    state: web::Data<AppState>,
    path: web::Path<GroupDeploymentPath>,
    _v: Versions,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    validate_deployment(&state, path.target()?, &body).await
}

/// What a deployment would change: 202 + `Location`, whose poll gives the change list.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_WhatIf", params(GroupDeploymentPath, ApiVersionParam), request_body(content = Object, description = "DeploymentWhatIf"),
    responses((status = 202, description = "Accepted; poll the Location header"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}/whatIf")]
pub async fn what_if_group(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupDeploymentPath>,
    version: Versions,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    what_if_deployment(&state, &req, path.target()?, version.version, &body).await
}

/// Cancel a running deployment: 204; 409 unless it is Accepted or Running.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_Cancel", params(GroupDeploymentPath, ApiVersionParam),
    responses((status = 204, description = "Cancelled"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}/cancel")]
pub async fn cancel_group(
    state: web::Data<AppState>,
    path: web::Path<GroupDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    cancel_deployment(&state, path.target()?).await
}

/// The template a deployment ran: `{"template": {...}}`.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_ExportTemplate", params(GroupDeploymentPath, ApiVersionParam),
    responses((status = 200, description = "{template}"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}/exportTemplate")]
pub async fn export_group(
    state: web::Data<AppState>,
    path: web::Path<GroupDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    export_deployment(&state, path.target()?).await
}

/// A deployment's operations: one per resource written or deleted, with its status and error.
#[utoipa::path(tag = "Resources", operation_id = "DeploymentOperations_List", params(GroupDeploymentPath, ApiVersionParam),
    responses((status = 200, description = "{value}"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}/operations")]
pub async fn operations_group(
    state: web::Data<AppState>,
    path: web::Path<GroupDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    list_operations(&state, path.target()?).await
}

/// The same list where the SDKs ask for it (without `/providers/Microsoft.Resources`).
#[utoipa::path(tag = "Resources", operation_id = "DeploymentOperations_List_Sdk", params(GroupDeploymentPath, ApiVersionParam),
    responses((status = 200, description = "{value}"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/deployments/{deploymentName}/operations")]
pub async fn operations_group_sdk(
    state: web::Data<AppState>,
    path: web::Path<GroupDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    list_operations(&state, path.target()?).await
}

/// One operation of a deployment.
#[utoipa::path(tag = "Resources", operation_id = "DeploymentOperations_Get", params(GroupOperationPath, ApiVersionParam),
    responses((status = 200, description = "DeploymentOperation"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}/operations/{operationId}")]
pub async fn operation_group(
    state: web::Data<AppState>,
    path: web::Path<GroupOperationPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    get_operation(&state, path.target()?, &path.operation_id).await
}

/// The same operation where the SDKs ask for it.
#[utoipa::path(tag = "Resources", operation_id = "DeploymentOperations_Get_Sdk", params(GroupOperationPath, ApiVersionParam),
    responses((status = 200, description = "DeploymentOperation"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/deployments/{deploymentName}/operations/{operationId}")]
pub async fn operation_group_sdk(
    state: web::Data<AppState>,
    path: web::Path<GroupOperationPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    get_operation(&state, path.target()?, &path.operation_id).await
}

/// The status a deployment's `Azure-AsyncOperation` names: Running, then Succeeded, Failed
/// (with the error) or Canceled.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_OperationStatus", params(GroupOperationPath, ApiVersionParam),
    responses((status = 200, description = "{status, error?}"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Resources/deployments/{deploymentName}/operationStatuses/{operationId}")]
pub async fn status_group(
    state: web::Data<AppState>,
    path: web::Path<GroupOperationPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    run_status(&state, path.target()?, &path.operation_id).await
}

/// Create or update a deployment at subscription scope (resource groups, subscription-wide
/// role assignments); `location` is required.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_CreateOrUpdateAtSubscriptionScope", params(SubDeploymentPath, ApiVersionParam),
    request_body(content = Object, description = "ScopedDeployment: {location, properties: {mode, template, parameters}}"),
    responses((status = 201, description = "DeploymentExtended, Accepted"), (status = 200, description = "DeploymentExtended"), (status = "default", body = ArmErrorResponse)))]
#[put("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}")]
pub async fn put_sub(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<SubDeploymentPath>,
    version: Versions,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    put_deployment(state, &req, path.target()?, version.version, &body).await
}

/// A deployment at subscription scope.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_GetAtSubscriptionScope", params(SubDeploymentPath, ApiVersionParam),
    responses((status = 200, description = "DeploymentExtended"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}")]
pub async fn get_sub(
    state: web::Data<AppState>,
    path: web::Path<SubDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    get_deployment(&state, path.target()?).await
}

/// Whether a subscription-scope deployment exists: 204 or 404.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_CheckExistenceAtSubscriptionScope", params(SubDeploymentPath, ApiVersionParam),
    responses((status = 204, description = "It exists"), (status = 404, description = "It does not"),
              (status = "default", body = ArmErrorResponse, description = "Bad input (no body on HEAD)")))]
#[head(
    "/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}"
)]
pub async fn head_sub(
    state: web::Data<AppState>,
    path: web::Path<SubDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    head_deployment(&state, path.target()?).await
}

/// Delete a subscription-scope deployment's record.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_DeleteAtSubscriptionScope", params(SubDeploymentPath, ApiVersionParam),
    responses((status = 204, description = "Deleted, or there was none"), (status = "default", body = ArmErrorResponse)))]
#[delete(
    "/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}"
)]
pub async fn delete_sub(
    state: web::Data<AppState>,
    path: web::Path<SubDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    delete_deployment(&state, path.target()?).await
}

/// A subscription's deployments.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_ListAtSubscriptionScope", params(SubScopePath, ApiVersionParam, DeploymentListQuery),
    responses((status = 200, description = "{value, nextLink?}"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments")]
pub async fn list_sub(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<SubScopePath>,
    query: web::Query<DeploymentListQuery>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    list_deployments(&state, &req, path.scope()?, &query).await
}

/// Check a subscription-scope deployment without deploying.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_ValidateAtSubscriptionScope", params(SubDeploymentPath, ApiVersionParam), request_body(content = Object, description = "ScopedDeployment"),
    responses((status = 200, description = "DeploymentValidateResult"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}/validate")]
pub async fn validate_sub(
    state: web::Data<AppState>,
    path: web::Path<SubDeploymentPath>,
    _v: Versions,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    validate_deployment(&state, path.target()?, &body).await
}

/// What a subscription-scope deployment would change.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_WhatIfAtSubscriptionScope", params(SubDeploymentPath, ApiVersionParam), request_body(content = Object, description = "DeploymentWhatIf"),
    responses((status = 202, description = "Accepted; poll the Location header"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}/whatIf")]
pub async fn what_if_sub(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<SubDeploymentPath>,
    version: Versions,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    what_if_deployment(&state, &req, path.target()?, version.version, &body).await
}

/// Cancel a running subscription-scope deployment.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_CancelAtSubscriptionScope", params(SubDeploymentPath, ApiVersionParam),
    responses((status = 204, description = "Cancelled"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}/cancel")]
pub async fn cancel_sub(
    state: web::Data<AppState>,
    path: web::Path<SubDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    cancel_deployment(&state, path.target()?).await
}

/// The template a subscription-scope deployment ran.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_ExportTemplateAtSubscriptionScope", params(SubDeploymentPath, ApiVersionParam),
    responses((status = 200, description = "{template}"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}/exportTemplate")]
pub async fn export_sub(
    state: web::Data<AppState>,
    path: web::Path<SubDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    export_deployment(&state, path.target()?).await
}

/// A subscription-scope deployment's operations.
#[utoipa::path(tag = "Resources", operation_id = "DeploymentOperations_ListAtSubscriptionScope", params(SubDeploymentPath, ApiVersionParam),
    responses((status = 200, description = "{value}"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}/operations")]
pub async fn operations_sub(
    state: web::Data<AppState>,
    path: web::Path<SubDeploymentPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    list_operations(&state, path.target()?).await
}

/// One operation of a subscription-scope deployment.
#[utoipa::path(tag = "Resources", operation_id = "DeploymentOperations_GetAtSubscriptionScope", params(SubOperationPath, ApiVersionParam),
    responses((status = 200, description = "DeploymentOperation"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}/operations/{operationId}")]
pub async fn operation_sub(
    state: web::Data<AppState>,
    path: web::Path<SubOperationPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    get_operation(&state, path.target()?, &path.operation_id).await
}

/// The status a subscription-scope deployment's `Azure-AsyncOperation` names.
#[utoipa::path(tag = "Resources", operation_id = "Deployments_OperationStatusAtSubscriptionScope", params(SubOperationPath, ApiVersionParam),
    responses((status = 200, description = "{status, error?}"), (status = "default", body = ArmErrorResponse)))]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Resources/deployments/{deploymentName}/operationStatuses/{operationId}")]
pub async fn status_sub(
    state: web::Data<AppState>,
    path: web::Path<SubOperationPath>,
    _v: Versions,
) -> Result<HttpResponse, ArmError> {
    run_status(&state, path.target()?, &path.operation_id).await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(put_group)
        .service(get_group)
        .service(head_group)
        .service(delete_group)
        .service(list_group)
        .service(validate_group)
        .service(what_if_group)
        .service(cancel_group)
        .service(export_group)
        .service(operations_group)
        .service(operations_group_sdk)
        .service(operation_group)
        .service(operation_group_sdk)
        .service(status_group)
        .service(put_sub)
        .service(get_sub)
        .service(head_sub)
        .service(delete_sub)
        .service(list_sub)
        .service(validate_sub)
        .service(what_if_sub)
        .service(cancel_sub)
        .service(export_sub)
        .service(operations_sub)
        .service(operation_sub)
        .service(status_sub);
}
