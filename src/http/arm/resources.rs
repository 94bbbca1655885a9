//! Microsoft.Resources: resource groups (RES `stable/2024-03-01/resources.json`), ARM's own
//! operation results, and the providers mi-sim registers.
use crate::domain::catalog::{self, Provider};
use crate::domain::names::name_key;
use crate::domain::resource_id::provider_id;
use crate::domain::{SubscriptionId, Tags};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::GroupPath;
use crate::http::extract::{
    base_url, next_link, ApiVersion, ApiVersionParam, ListQuery, Resources, SubscriptionPath,
};
use crate::http::{json, put_status};
use crate::ops::moves::MoveMode;
use crate::ops::resource_groups::{self as ops, GroupSpec, Poll};
use crate::state::AppState;
use crate::store::resource_groups::GroupRow;
use actix_web::http::StatusCode;
use actix_web::{delete, get, head, patch, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

type Versions = ApiVersion<Resources>;

/// A resource group.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroup {
    #[schema(example = "/subscriptions/22222222-2222-4222-8222-222222222222/resourceGroups/rg1")]
    id: String,
    name: String,
    #[serde(rename = "type")]
    #[schema(example = "Microsoft.Resources/resourceGroups")]
    resource_type: &'static str,
    location: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    managed_by: Option<String>,
    /// Omitted when the group has no tags, as ARM does.
    #[serde(skip_serializing_if = "Option::is_none")]
    tags: Option<BTreeMap<String, String>>,
    properties: ResourceGroupProperties,
}

/// A resource group's properties.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupProperties {
    #[schema(example = "Succeeded")]
    provisioning_state: &'static str,
}

impl From<GroupRow> for ResourceGroup {
    fn from(g: GroupRow) -> Self {
        Self {
            id: format!(
                "/subscriptions/{}/resourceGroups/{}",
                g.subscription_id, g.name
            ),
            name: g.name,
            resource_type: "Microsoft.Resources/resourceGroups",
            location: g.location,
            managed_by: g.managed_by,
            tags: (!g.tags.0.is_empty()).then_some(g.tags.0),
            properties: ResourceGroupProperties {
                provisioning_state: "Succeeded",
            },
        }
    }
}

/// A page of resource groups.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupList {
    value: Vec<ResourceGroup>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

/// The body of a PUT or PATCH of a group (`ResourceGroup` / `ResourceGroupPatchable`).
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceGroupUpdate {
    /// Required on PUT; cannot change afterwards.
    #[schema(example = "westeurope")]
    location: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    managed_by: Option<String>,
}

impl ResourceGroupUpdate {
    fn into_spec(self, location_required: bool) -> Result<GroupSpec, ArmError> {
        let location = match self.location {
            Some(raw) => Some(
                catalog::location(&raw)
                    .ok_or_else(|| {
                        ArmError::bad_request(
                            "LocationNotAvailableForResourceGroup",
                            format!("The provided location '{raw}' is not available for resource group. List of available regions is '{}'.", catalog::location_names()),
                        )
                        .with_target("location")
                    })?
                    .name,
            ),
            None if location_required => return Err(ArmError::location_required()),
            None => None,
        };
        Ok(GroupSpec {
            location,
            tags: self.tags.map(Tags::parse).transpose()?,
            managed_by: self.managed_by,
        })
    }
}

/// Create a resource group (201) or update its tags and managedBy (200).
#[utoipa::path(
    tag = "Resources", operation_id = "ResourceGroups_CreateOrUpdate",
    params(GroupPath, ApiVersionParam), request_body = ResourceGroupUpdate,
    responses((status = 200, body = ResourceGroup, description = "Updated"), (status = 201, body = ResourceGroup, description = "Created"),
              (status = "default", body = ArmErrorResponse))
)]
#[put("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}")]
pub async fn resource_groups_create_or_update(
    state: web::Data<AppState>,
    path: web::Path<GroupPath>,
    _version: Versions,
    body: web::Json<ResourceGroupUpdate>,
) -> Result<HttpResponse, ArmError> {
    let (sub, name) = path.parse()?;
    let spec = body.into_inner().into_spec(true)?;
    let (group, written) = ops::create_or_update(&state, sub, &name, spec).await?;
    let status = put_status(written);
    Ok(json(status, &ResourceGroup::from(group)))
}

/// Update a resource group: only the given fields change.
#[utoipa::path(
    tag = "Resources", operation_id = "ResourceGroups_Update",
    params(GroupPath, ApiVersionParam), request_body = ResourceGroupUpdate,
    responses((status = 200, body = ResourceGroup), (status = "default", body = ArmErrorResponse))
)]
#[patch("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}")]
pub async fn resource_groups_update(
    state: web::Data<AppState>,
    path: web::Path<GroupPath>,
    _version: Versions,
    body: web::Json<ResourceGroupUpdate>,
) -> Result<HttpResponse, ArmError> {
    let (sub, name) = path.parse()?;
    let group = ops::update(&state, sub, &name, body.into_inner().into_spec(false)?).await?;
    Ok(json(StatusCode::OK, &ResourceGroup::from(group)))
}

/// Get a resource group.
#[utoipa::path(
    tag = "Resources", operation_id = "ResourceGroups_Get",
    params(GroupPath, ApiVersionParam),
    responses((status = 200, body = ResourceGroup), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}")]
pub async fn resource_groups_get(
    state: web::Data<AppState>,
    path: web::Path<GroupPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let (sub, name) = path.parse()?;
    Ok(json(
        StatusCode::OK,
        &ResourceGroup::from(ops::get(&state, sub, &name).await?),
    ))
}

/// Check whether a resource group exists: 204 or 404, no body.
#[utoipa::path(
    tag = "Resources", operation_id = "ResourceGroups_CheckExistence",
    params(GroupPath, ApiVersionParam),
    responses((status = 204, description = "Exists"), (status = 404, description = "Does not exist"),
              (status = "default", body = ArmErrorResponse, description = "Bad input (no body on HEAD)"))
)]
#[head("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}")]
pub async fn resource_groups_check_existence(
    state: web::Data<AppState>,
    path: web::Path<GroupPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let (sub, name) = path.parse()?;
    Ok(if ops::exists(&state, sub, &name).await? {
        HttpResponse::NoContent().finish()
    } else {
        HttpResponse::NotFound().finish()
    })
}

/// Delete a resource group and everything in it, each resource with its cleanup rules (R5).
/// A long-running operation: 202 with a `Location` to poll.
#[utoipa::path(
    tag = "Resources", operation_id = "ResourceGroups_Delete",
    params(GroupPath, ApiVersionParam),
    responses((status = 202, description = "Accepted; poll the Location header"), (status = "default", body = ArmErrorResponse))
)]
#[delete("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}")]
pub async fn resource_groups_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    let (sub, name) = path.parse()?;
    let op = ops::delete(&state, sub, &name).await?;
    Ok(accepted(&req, sub, &op, version.version))
}

/// 202 with the `Location` of an ARM operation result, built on the host the client used.
pub(crate) fn accepted(
    req: &HttpRequest,
    sub: SubscriptionId,
    op: &str,
    version: &str,
) -> HttpResponse {
    let location = format!(
        "{}/subscriptions/{sub}/operationresults/{op}?api-version={version}",
        base_url(req)
    );
    // Retry-After: 1 keeps clients' pollers (which default to 30 s without it) quick.
    HttpResponse::Accepted()
        .insert_header(("Location", location))
        .insert_header(("Retry-After", "1"))
        .finish()
}

/// Path of an ARM operation result.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct OperationPath {
    subscription_id: String,
    operation_id: String,
}

/// Poll a long-running ARM operation: 202 while it runs (the first poll, and a move until its
/// time is up), then 200 (a group delete) or 204 (a move, a move validation).
#[utoipa::path(
    tag = "Resources", operation_id = "OperationResults_Get",
    params(OperationPath, ApiVersionParam),
    responses((status = 200, description = "Done"), (status = 202, description = "Still running; poll again"),
              (status = 204, description = "A move or move validation is done"),
              (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/operationresults/{operationId}")]
pub async fn operation_results_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<OperationPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(&path.subscription_id)?;
    let polled = ops::poll_operation(&state, sub, &path.operation_id).await?;
    let is_move = [MoveMode::Move, MoveMode::Validate]
        .iter()
        .any(|m| m.kind() == polled.kind);
    Ok(match polled.poll {
        Poll::Running => accepted(&req, sub, &path.operation_id, version.version),
        Poll::Succeeded if is_move => HttpResponse::NoContent().finish(),
        Poll::Succeeded if polled.result.is_some() => {
            json(StatusCode::OK, &polled.result.unwrap_or_default())
        }
        Poll::Succeeded => HttpResponse::Ok().finish(),
        Poll::Failed(error) => json(StatusCode::CONFLICT, &serde_json::json!({ "error": error })),
    })
}

/// List the resource groups of a subscription, `$top` per page, following `nextLink`.
#[utoipa::path(
    tag = "Resources", operation_id = "ResourceGroups_List",
    params(SubscriptionPath, ApiVersionParam, ListQuery),
    responses((status = 200, body = ResourceGroupList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups")]
pub async fn resource_groups_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<SubscriptionPath>,
    _version: Versions,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(&path.subscription_id)?;
    let (rows, more) = ops::list(&state, sub, query.after(), query.page_size()?).await?;
    let next = more
        .then(|| rows.last().map(|g| next_link(&req, &name_key(&g.name))))
        .flatten();
    let visible = crate::http::extract::Visibility::of(&req);
    let value = rows
        .into_iter()
        .filter(|g| {
            let id = crate::domain::resource_id::ResourceId::group_scope(sub, &g.name);
            visible.shows("Microsoft.Resources/subscriptions/resourceGroups", &id)
        })
        .map(ResourceGroup::from)
        .collect();
    Ok(json(
        StatusCode::OK,
        &ResourceGroupList {
            value,
            next_link: next,
        },
    ))
}

/// A resource provider and its types (`Provider`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderView {
    id: String,
    namespace: &'static str,
    #[schema(example = "Registered")]
    registration_state: &'static str,
    registration_policy: &'static str,
    resource_types: Vec<ProviderResourceType>,
}

/// One resource type of a provider.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProviderResourceType {
    resource_type: &'static str,
    locations: Vec<&'static str>,
    api_versions: &'static [&'static str],
    default_api_version: &'static str,
    capabilities: &'static str,
}

impl ProviderView {
    fn new(sub: Option<SubscriptionId>, p: &'static Provider) -> Self {
        let id = provider_id(sub, p.namespace);
        let resource_types = p
            .resource_types
            .iter()
            .map(|t| ProviderResourceType {
                resource_type: t.name,
                locations: if t.regional {
                    catalog::LOCATIONS.iter().map(|l| l.display_name).collect()
                } else {
                    Vec::new()
                },
                api_versions: t.api_versions,
                // The newest stable version, as ARM picks it.
                default_api_version: t
                    .api_versions
                    .iter()
                    .find(|v| !v.ends_with("preview"))
                    .copied()
                    .unwrap_or(t.api_versions[0]),
                capabilities: t.capabilities,
            })
            .collect();
        Self {
            id,
            namespace: p.namespace,
            registration_state: "Registered",
            // ARM's own namespaces need no registration; providers do.
            registration_policy: if ["Microsoft.Resources", "Microsoft.Authorization"]
                .contains(&p.namespace)
            {
                "RegistrationFree"
            } else {
                "RegistrationRequired"
            },
            resource_types,
        }
    }
}

/// A page of providers.
#[derive(Serialize, ToSchema)]
pub struct ProviderList {
    value: Vec<ProviderView>,
}

/// Path of one provider in a subscription.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct ProviderPath {
    subscription_id: String,
    resource_provider_namespace: String,
}

fn find_provider(namespace: &str) -> Result<&'static Provider, ArmError> {
    catalog::provider(namespace).ok_or_else(|| {
        ArmError::new(
            StatusCode::NOT_FOUND,
            "InvalidResourceNamespace",
            format!(
                "The resource namespace '{namespace}' is invalid. mi-sim serves: {}.",
                catalog::PROVIDERS
                    .iter()
                    .map(|p| p.namespace)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })
}

async fn existing_subscription(state: &AppState, raw: &str) -> Result<SubscriptionId, ArmError> {
    let sub = SubscriptionId::parse(raw)?;
    crate::ops::directory::get_subscription(state, sub).await?;
    Ok(sub)
}

/// List the resource providers of a subscription; every provider mi-sim serves is registered.
#[utoipa::path(
    tag = "Resources", operation_id = "Providers_List",
    params(SubscriptionPath, ApiVersionParam),
    responses((status = 200, body = ProviderList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers")]
pub async fn providers_list(
    state: web::Data<AppState>,
    path: web::Path<SubscriptionPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let sub = existing_subscription(&state, &path.subscription_id).await?;
    let value = catalog::PROVIDERS
        .iter()
        .map(|p| ProviderView::new(Some(sub), p))
        .collect();
    Ok(json(StatusCode::OK, &ProviderList { value }))
}

/// Get one resource provider of a subscription.
#[utoipa::path(
    tag = "Resources", operation_id = "Providers_Get",
    params(ProviderPath, ApiVersionParam),
    responses((status = 200, body = ProviderView), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}")]
pub async fn providers_get(
    state: web::Data<AppState>,
    path: web::Path<ProviderPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    provider_in_subscription(&state, &path).await
}

async fn provider_in_subscription(
    state: &AppState,
    path: &ProviderPath,
) -> Result<HttpResponse, ArmError> {
    let sub = existing_subscription(state, &path.subscription_id).await?;
    Ok(json(
        StatusCode::OK,
        &ProviderView::new(Some(sub), find_provider(&path.resource_provider_namespace)?),
    ))
}

/// Register a resource provider: they all are already, so this answers with the provider.
#[utoipa::path(
    tag = "Resources", operation_id = "Providers_Register",
    params(ProviderPath, ApiVersionParam),
    responses((status = 200, body = ProviderView), (status = "default", body = ArmErrorResponse))
)]
#[post("/subscriptions/{subscriptionId}/providers/{resourceProviderNamespace}/register")]
pub async fn providers_register(
    state: web::Data<AppState>,
    path: web::Path<ProviderPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    provider_in_subscription(&state, &path).await
}

/// Path of a provider at tenant scope.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct TenantProviderPath {
    resource_provider_namespace: String,
}

/// Get a resource provider at tenant scope.
#[utoipa::path(
    tag = "Resources", operation_id = "Providers_GetAtTenantScope",
    params(TenantProviderPath, ApiVersionParam),
    responses((status = 200, body = ProviderView), (status = "default", body = ArmErrorResponse))
)]
#[get("/providers/{resourceProviderNamespace}")]
pub async fn providers_get_at_tenant_scope(
    path: web::Path<TenantProviderPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    Ok(json(
        StatusCode::OK,
        &ProviderView::new(None, find_provider(&path.resource_provider_namespace)?),
    ))
}

/// Mounts Microsoft.Resources.
pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(resource_groups_create_or_update)
        .service(resource_groups_update)
        .service(resource_groups_get)
        .service(resource_groups_check_existence)
        .service(resource_groups_delete)
        .service(resource_groups_list)
        .service(operation_results_get)
        .service(providers_list)
        .service(providers_get)
        .service(providers_register)
        .service(providers_get_at_tenant_scope);
}
