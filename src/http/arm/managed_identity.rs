//! Microsoft.ManagedIdentity/userAssignedIdentities (MSI `stable/2024-11-30/ManagedIdentity.json`).
//! All operations are synchronous: PUT 201/200, PATCH 200, DELETE 200/204.
use crate::domain::catalog::identity_has_isolation_scope;
use crate::domain::compute::ComputeKind;
use crate::domain::identity::user_assigned_identity_id;
use crate::domain::names::name_key;
use crate::domain::resource_id::ResourceId;
use crate::domain::{IdentityName, ResourceGroupName, ResourceName, SubscriptionId};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::{
    base_url, group_name_next_link, next_link, ApiVersion, ApiVersionParam, CallerInfo, ListQuery,
    SubscriptionPath, UserAssignedIdentities,
};
use crate::http::extract::{resource_path, GroupPath};
use crate::http::{json, put_status, SystemData};
use crate::ops::compute::{self, ComputeRef};
use crate::ops::identities::{self as ops, IdentityRef};
use crate::ops::specs::IdentityUpdate;
use crate::ops::OpError;
use crate::state::AppState;
use crate::store::identities::IdentityRow;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

type Versions = ApiVersion<UserAssignedIdentities>;

/// Path of one identity.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct IdentityPath {
    subscription_id: String,
    resource_group_name: String,
    resource_name: String,
}

impl IdentityPath {
    async fn parse(&self, state: &AppState) -> Result<IdentityRef, ArmError> {
        let scope = (
            self.subscription_id.as_str(),
            self.resource_group_name.as_str(),
        );
        let (subscription, group, name) =
            resource_path(state, scope, IdentityName::parse(&self.resource_name)).await?;
        Ok(IdentityRef {
            subscription,
            group,
            name,
        })
    }
}

/// A user-assigned identity (TrackedResource).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[schema(
        example = "/subscriptions/22222222-2222-4222-8222-222222222222/resourcegroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1"
    )]
    id: String,
    name: String,
    #[serde(rename = "type")]
    #[schema(example = "Microsoft.ManagedIdentity/userAssignedIdentities")]
    resource_type: &'static str,
    location: String,
    tags: BTreeMap<String, String>,
    system_data: SystemData,
    properties: IdentityProperties,
}

/// The identity's principal in Entra, and where it lives.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityProperties {
    /// The tenant the identity's principal was created in.
    tenant_id: String,
    /// The object id of the identity's service principal.
    principal_id: String,
    /// The application (client) id of the identity's service principal.
    client_id: String,
    /// `None` or `Regional` (api-version 2023-07-31-preview and later).
    #[serde(skip_serializing_if = "Option::is_none")]
    isolation_scope: Option<String>,
}

impl Identity {
    fn new(row: IdentityRow, api_version: &str) -> Self {
        let id = user_assigned_identity_id(row.subscription_id, &row.resource_group, &row.name);
        Self {
            id,
            name: row.name,
            resource_type: "Microsoft.ManagedIdentity/userAssignedIdentities",
            location: row.location,
            tags: row.tags.0,
            system_data: SystemData {
                created_by: row.created_by,
                created_by_type: row.created_by_type,
                created_at: row.created_at,
                last_modified_by: row.modified_by,
                last_modified_by_type: row.modified_by_type,
                last_modified_at: row.modified_at,
            },
            properties: IdentityProperties {
                tenant_id: row.tenant_id,
                principal_id: row.principal_id,
                client_id: row.client_id,
                isolation_scope: identity_has_isolation_scope(api_version)
                    .then_some(row.isolation_scope),
            },
        }
    }
}

/// A page of identities.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityList {
    value: Vec<Identity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

/// Create or update a user-assigned identity. Creating one makes a service principal in the
/// tenant its subscription trusts (R4).
#[utoipa::path(
    tag = "ManagedIdentity", operation_id = "UserAssignedIdentities_CreateOrUpdate",
    params(IdentityPath, ApiVersionParam), request_body = IdentityUpdate,
    responses((status = 200, body = Identity, description = "Updated"), (status = 201, body = Identity, description = "Created"),
              (status = "default", body = ArmErrorResponse))
)]
#[put("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}")]
pub async fn user_assigned_identities_create_or_update(
    state: web::Data<AppState>,
    path: web::Path<IdentityPath>,
    version: Versions,
    caller: CallerInfo,
    body: web::Json<IdentityUpdate>,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    let spec = body.into_inner().into_spec(true)?;
    let (row, written) = ops::create_or_update(&state, &r, spec, &caller.0).await?;
    let status = put_status(written);
    Ok(json(status, &Identity::new(row, version.version)))
}

/// Update the tags (and isolation scope) of a user-assigned identity.
#[utoipa::path(
    tag = "ManagedIdentity", operation_id = "UserAssignedIdentities_Update",
    params(IdentityPath, ApiVersionParam), request_body = IdentityUpdate,
    responses((status = 200, body = Identity), (status = "default", body = ArmErrorResponse))
)]
#[patch("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}")]
pub async fn user_assigned_identities_update(
    state: web::Data<AppState>,
    path: web::Path<IdentityPath>,
    version: Versions,
    caller: CallerInfo,
    body: web::Json<IdentityUpdate>,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    let spec = body.into_inner().into_spec(false)?;
    let row = ops::update(&state, &r, spec, &caller.0).await?;
    Ok(json(StatusCode::OK, &Identity::new(row, version.version)))
}

/// Get a user-assigned identity.
#[utoipa::path(
    tag = "ManagedIdentity", operation_id = "UserAssignedIdentities_Get",
    params(IdentityPath, ApiVersionParam),
    responses((status = 200, body = Identity), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}")]
pub async fn user_assigned_identities_get(
    state: web::Data<AppState>,
    path: web::Path<IdentityPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    let row = ops::get(&state, &path.parse(&state).await?).await?;
    Ok(json(StatusCode::OK, &Identity::new(row, version.version)))
}

/// Delete a user-assigned identity and its service principal (R5). Resources that reference
/// it keep the reference. 200 when deleted, 204 when there was no such identity.
#[utoipa::path(
    tag = "ManagedIdentity", operation_id = "UserAssignedIdentities_Delete",
    params(IdentityPath, ApiVersionParam),
    responses((status = 200, description = "Deleted"), (status = 204, description = "The specified identity does not exist."),
              (status = "default", body = ArmErrorResponse))
)]
#[delete("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{resourceName}")]
pub async fn user_assigned_identities_delete(
    state: web::Data<AppState>,
    path: web::Path<IdentityPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let deleted = ops::delete(&state, &path.parse(&state).await?).await?;
    Ok(if deleted {
        HttpResponse::Ok().finish()
    } else {
        HttpResponse::NoContent().finish()
    })
}

/// List the user-assigned identities of a resource group.
#[utoipa::path(
    tag = "ManagedIdentity", operation_id = "UserAssignedIdentities_ListByResourceGroup",
    params(GroupPath, ApiVersionParam, ListQuery),
    responses((status = 200, body = IdentityList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ManagedIdentity/userAssignedIdentities")]
pub async fn user_assigned_identities_list_by_resource_group(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupPath>,
    version: Versions,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let (sub, group) = path.parse()?;
    let (rows, more) =
        ops::list_by_group(&state, sub, &group, query.after(), query.page_size()?).await?;
    let next = more
        .then(|| rows.last().map(|r| next_link(&req, &name_key(&r.name))))
        .flatten();
    let value = rows
        .into_iter()
        .map(|r| Identity::new(r, version.version))
        .collect();
    Ok(json(
        StatusCode::OK,
        &IdentityList {
            value,
            next_link: next,
        },
    ))
}

/// List the user-assigned identities of a subscription.
#[utoipa::path(
    tag = "ManagedIdentity", operation_id = "UserAssignedIdentities_ListBySubscription",
    params(SubscriptionPath, ApiVersionParam, ListQuery),
    responses((status = 200, body = IdentityList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.ManagedIdentity/userAssignedIdentities")]
pub async fn user_assigned_identities_list_by_subscription(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<SubscriptionPath>,
    version: Versions,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(&path.subscription_id)?;
    // The token is "<group key>/<name key>": group names cannot contain '/'.
    let after = query.after().split_once('/').unwrap_or((query.after(), ""));
    let (rows, more) = ops::list_by_subscription(&state, sub, after, query.page_size()?).await?;
    let last = rows
        .last()
        .map(|r| (r.resource_group.as_str(), r.name.as_str()));
    let next = group_name_next_link(&req, more, last);
    let visible = crate::http::extract::Visibility::of(&req);
    let value = rows
        .into_iter()
        .filter(|r| {
            let ty = crate::domain::identity::USER_ASSIGNED_TYPE;
            visible.shows_resource(sub, &r.resource_group, ty, &r.name)
        })
        .map(|r| Identity::new(r, version.version))
        .collect();
    Ok(json(
        StatusCode::OK,
        &IdentityList {
            value,
            next_link: next,
        },
    ))
}

/// Path of a VM or container group's system-assigned identity.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct ScopePath {
    subscription_id: String,
    resource_group_name: String,
    resource_name: String,
}

/// A resource's system-assigned identity (`SystemAssignedIdentity`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemAssignedIdentity {
    id: String,
    name: &'static str,
    #[serde(rename = "type")]
    #[schema(example = "Microsoft.ManagedIdentity/identities")]
    resource_type: &'static str,
    location: String,
    /// Left out when there are none, as the parent resource answers.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<String, String>,
    properties: SystemAssignedIdentityProperties,
}

/// The principal of a system-assigned identity.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemAssignedIdentityProperties {
    tenant_id: String,
    principal_id: String,
    client_id: String,
    client_secret_url: String,
}

async fn system_assigned(
    state: &AppState,
    req: &HttpRequest,
    path: &ScopePath,
    kind: ComputeKind,
) -> Result<HttpResponse, ArmError> {
    let name = match kind {
        ComputeKind::VirtualMachine => ResourceName::vm(&path.resource_name)?,
        ComputeKind::ContainerGroup => ResourceName::container_group(&path.resource_name)?,
    };
    let r = ComputeRef {
        subscription: SubscriptionId::parse(&path.subscription_id)?,
        group: ResourceGroupName::parse(&path.resource_group_name)?,
        kind,
        name,
    };
    let row = compute::get(state, &r).await?;
    let scope = ResourceId::resource(
        r.subscription,
        &row.resource_group,
        kind.resource_type(),
        &row.name,
    );
    let (Some(principal_id), Some(client_id), Some(tenant_id)) = (
        row.system_principal_id,
        row.system_client_id,
        row.system_tenant_id,
    ) else {
        return Err(OpError::ResourceNotFound {
            resource_type: "Microsoft.ManagedIdentity/identities",
            name: "default".into(),
            group: r.group.to_string(),
        }
        .into());
    };
    let client_secret_url = format!(
        "{}{scope}/credentials/v2/systemassigned?tid={tenant_id}&oid={principal_id}&aid={client_id}",
        base_url(req)
    );
    Ok(json(
        StatusCode::OK,
        &SystemAssignedIdentity {
            id: scope
                .clone()
                .provider("Microsoft.ManagedIdentity", "identities", "default")
                .to_string(),
            name: "default",
            resource_type: "Microsoft.ManagedIdentity/identities",
            location: row.location,
            tags: row.tags.0,
            properties: SystemAssignedIdentityProperties {
                tenant_id,
                principal_id,
                client_id,
                client_secret_url,
            },
        },
    ))
}

/// Get the system-assigned identity of a VM.
#[utoipa::path(
    tag = "ManagedIdentity", operation_id = "SystemAssignedIdentities_GetByScope_VirtualMachine",
    params(ScopePath, ApiVersionParam),
    responses((status = 200, body = SystemAssignedIdentity), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{resourceName}/providers/Microsoft.ManagedIdentity/identities/default")]
pub async fn system_assigned_identities_get_by_vm(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<ScopePath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    system_assigned(&state, &req, &path, ComputeKind::VirtualMachine).await
}

/// Get the system-assigned identity of a container group.
#[utoipa::path(
    tag = "ManagedIdentity", operation_id = "SystemAssignedIdentities_GetByScope_ContainerGroup",
    params(ScopePath, ApiVersionParam),
    responses((status = 200, body = SystemAssignedIdentity), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerInstance/containerGroups/{resourceName}/providers/Microsoft.ManagedIdentity/identities/default")]
pub async fn system_assigned_identities_get_by_container_group(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<ScopePath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    system_assigned(&state, &req, &path, ComputeKind::ContainerGroup).await
}

/// Mounts this provider's operations.
pub fn configure(cfg: &mut impl crate::http::Routes) {
    // Reads first: actix matches routes in order and each is a regex test.
    cfg.service(user_assigned_identities_get)
        .service(user_assigned_identities_create_or_update)
        .service(user_assigned_identities_update)
        .service(user_assigned_identities_delete)
        .service(user_assigned_identities_list_by_resource_group)
        .service(user_assigned_identities_list_by_subscription)
        .service(system_assigned_identities_get_by_vm)
        .service(system_assigned_identities_get_by_container_group);
}
