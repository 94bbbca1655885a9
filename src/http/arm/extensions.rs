//! Microsoft.Compute/virtualMachines/extensions (ComputeRP `virtualMachineExtension.json`)
//! and the extension images `az vm extension set` looks versions up in
//! (`virtualMachineExtensionImage.json`). Writes are long-running as Compute runs them: the
//! first answer says `Creating`/`Updating` and carries `Azure-AsyncOperation`, whose status
//! ends `Succeeded` or `Failed` with the agent's error (R18).
use super::compute::vm_ref;
use super::lro::with_lro_headers;
use crate::domain::extensions::{EXTENSION_IMAGES, EXTENSION_TYPE};
use crate::domain::identity::Write;
use crate::domain::{ResourceName, SubscriptionId, Tags};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::{query_param, ApiVersion, ApiVersionParam};
use crate::http::json;
use crate::ops::compute::ComputeRef;
use crate::ops::extensions::{self as ops, ExtensionOutcome, ExtensionRef, ExtensionSpec};
use crate::ops::specs::location as parse_location;
use crate::ops::Written;
use crate::state::AppState;
use crate::store::extensions::ExtensionRow;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

type Versions = ApiVersion<crate::http::extract::Compute>;
const COMPUTE: &str = "Microsoft.Compute";

/// Path of a VM's extensions.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct VmExtensionsPath {
    subscription_id: String,
    resource_group_name: String,
    vm_name: String,
}

impl VmExtensionsPath {
    async fn parse(&self, state: &AppState) -> Result<ComputeRef, ArmError> {
        let vm = (
            self.subscription_id.as_str(),
            self.resource_group_name.as_str(),
            self.vm_name.as_str(),
        );
        vm_ref(state, vm).await
    }
}

/// Path of one extension.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct VmExtensionPath {
    subscription_id: String,
    resource_group_name: String,
    vm_name: String,
    vm_extension_name: String,
}

impl VmExtensionPath {
    async fn parse(&self, state: &AppState) -> Result<ExtensionRef, ArmError> {
        let vm = (
            self.subscription_id.as_str(),
            self.resource_group_name.as_str(),
            self.vm_name.as_str(),
        );
        let vm = vm_ref(state, vm).await?;
        let name = ResourceName::extension(&self.vm_extension_name)?;
        Ok(ExtensionRef { vm, name })
    }
}

/// A VM extension.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineExtension {
    id: String,
    name: String,
    #[serde(rename = "type")]
    #[schema(example = "Microsoft.Compute/virtualMachines/extensions")]
    resource_type: &'static str,
    location: String,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<String, String>,
    /// publisher, type, typeHandlerVersion, settings, ... as sent (protectedSettings are never
    /// returned), plus provisioningState.
    #[schema(value_type = Object)]
    properties: Map<String, Value>,
}

/// The extension's instance view, as the VM agent reports it.
pub fn extension_instance_view(e: &ExtensionRow) -> Value {
    let text = |k: &str| e.properties.0.get(k).cloned().unwrap_or(Value::Null);
    let status = match &e.failure {
        Some(f) => json!({"code": "ProvisioningState/failed/0", "level": "Error",
                          "displayStatus": "Provisioning failed", "message": f.0["message"], "time": e.modified_at}),
        None => json!({"code": "ProvisioningState/succeeded", "level": "Info",
                       "displayStatus": "Provisioning succeeded", "message": "Plugin enabled", "time": e.modified_at}),
    };
    json!({
        "name": e.name,
        "type": format!("{}.{}", text("publisher").as_str().unwrap_or_default(), text("type").as_str().unwrap_or_default()),
        "typeHandlerVersion": text("typeHandlerVersion"),
        "statuses": [status],
    })
}

impl VirtualMachineExtension {
    fn new(vm_id: &str, row: ExtensionRow, state: &str, expand: bool) -> Self {
        let mut properties = row.properties.0.clone();
        properties.insert("provisioningState".into(), state.into());
        if expand {
            properties.insert("instanceView".into(), extension_instance_view(&row));
        }
        Self {
            id: format!("{vm_id}/extensions/{}", row.name),
            name: row.name,
            resource_type: EXTENSION_TYPE,
            location: row.location,
            tags: row.tags.0,
            properties,
        }
    }
}

/// The extensions of a VM (no `nextLink`).
#[derive(Serialize, ToSchema)]
pub struct VirtualMachineExtensionList {
    value: Vec<VirtualMachineExtension>,
}

/// The body of a PUT or PATCH.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineExtensionBody {
    #[schema(example = "westeurope")]
    location: Option<String>,
    tags: Option<BTreeMap<String, String>>,
    /// publisher, type and typeHandlerVersion are required on PUT.
    #[schema(value_type = Option<Object>)]
    properties: Option<Map<String, Value>>,
}

fn vm_id(r: &ComputeRef) -> String {
    r.kind
        .resource_id(r.subscription, r.group.as_str(), r.name.as_str())
}

fn expanded(req: &HttpRequest) -> bool {
    query_param(req.query_string(), "$expand")
        .or_else(|| query_param(req.query_string(), "%24expand"))
        .is_some_and(|e| e.eq_ignore_ascii_case("instanceView"))
}

async fn write(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmExtensionPath>,
    version: Versions,
    body: web::Json<VirtualMachineExtensionBody>,
    mode: Write,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    let body = body.into_inner();
    let location = body
        .location
        .map(|l| parse_location(&l, EXTENSION_TYPE))
        .transpose()?;
    let spec = ExtensionSpec {
        location,
        tags: body.tags.map(Tags::parse).transpose()?,
        properties: body.properties.unwrap_or_default(),
    };
    let ExtensionOutcome {
        row,
        written,
        operation,
        location,
    } = ops::write(&state, &r, spec, mode).await?;
    let (status, shown) = match written {
        Written::Created => (StatusCode::CREATED, "Creating"),
        Written::Updated => (StatusCode::OK, "Updating"),
    };
    let res = json(
        status,
        &VirtualMachineExtension::new(&vm_id(&r.vm), row, shown, false),
    );
    Ok(with_lro_headers(
        res,
        &req,
        (r.vm.subscription, COMPUTE, &location),
        &operation,
        version.version,
        false,
    ))
}

/// Create or update an extension. Any publisher and type is stored; the managed-identity
/// extension (publisher `Microsoft.ManagedIdentity`) serves its token endpoint once
/// provisioned, and fails to provision while an `extensionDnsFailure` fault holds (R18).
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachineExtensions_CreateOrUpdate",
    params(VmExtensionPath, ApiVersionParam), request_body = VirtualMachineExtensionBody,
    responses((status = 200, body = VirtualMachineExtension), (status = 201, body = VirtualMachineExtension),
              (status = "default", body = ArmErrorResponse))
)]
#[put("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/extensions/{vmExtensionName}")]
pub async fn extensions_create_or_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmExtensionPath>,
    version: Versions,
    body: web::Json<VirtualMachineExtensionBody>,
) -> Result<HttpResponse, ArmError> {
    write(state, req, path, version, body, Write::Put).await
}

/// Update an extension: properties are merged.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachineExtensions_Update",
    params(VmExtensionPath, ApiVersionParam), request_body = VirtualMachineExtensionBody,
    responses((status = 200, body = VirtualMachineExtension), (status = "default", body = ArmErrorResponse))
)]
#[patch("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/extensions/{vmExtensionName}")]
pub async fn extensions_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmExtensionPath>,
    version: Versions,
    body: web::Json<VirtualMachineExtensionBody>,
) -> Result<HttpResponse, ArmError> {
    write(state, req, path, version, body, Write::Patch).await
}

/// Get an extension; `$expand=instanceView` adds what the agent reports.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachineExtensions_Get",
    params(VmExtensionPath, ApiVersionParam),
    responses((status = 200, body = VirtualMachineExtension), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/extensions/{vmExtensionName}")]
pub async fn extensions_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmExtensionPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    let row = ops::get(&state, &r).await?;
    let shown = row.provisioning_state.clone();
    Ok(json(
        StatusCode::OK,
        &VirtualMachineExtension::new(&vm_id(&r.vm), row, &shown, expanded(&req)),
    ))
}

/// List a VM's extensions.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachineExtensions_List",
    params(VmExtensionsPath, ApiVersionParam),
    responses((status = 200, body = VirtualMachineExtensionList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/extensions")]
pub async fn extensions_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmExtensionsPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let vm = path.parse(&state).await?;
    let id = vm_id(&vm);
    let expand = expanded(&req);
    let value = ops::list(&state, &vm)
        .await?
        .into_iter()
        .map(|row| {
            let shown = row.provisioning_state.clone();
            VirtualMachineExtension::new(&id, row, &shown, expand)
        })
        .collect();
    Ok(json(StatusCode::OK, &VirtualMachineExtensionList { value }))
}

/// Delete an extension: 202 and its operation, or 204 when there is none.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachineExtensions_Delete",
    params(VmExtensionPath, ApiVersionParam),
    responses((status = 202, description = "Deleted; poll Azure-AsyncOperation"), (status = 204, description = "No such extension"),
              (status = "default", body = ArmErrorResponse))
)]
#[delete("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/extensions/{vmExtensionName}")]
pub async fn extensions_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmExtensionPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    Ok(match ops::delete(&state, &r).await? {
        Some((op, location)) => with_lro_headers(
            HttpResponse::Accepted().finish(),
            &req,
            (r.vm.subscription, COMPUTE, &location),
            &op,
            version.version,
            true,
        ),
        None => HttpResponse::NoContent().finish(),
    })
}

/// Path of a location's extension images.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct ImagesPath {
    subscription_id: String,
    location: String,
    publisher_name: Option<String>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    extension_type: Option<String>,
}

/// One entry of an image list (`VirtualMachineImageResource`): a bare JSON array of these.
#[derive(Serialize, ToSchema)]
pub struct ImageResource {
    name: String,
    location: String,
    id: String,
}

fn image_list(path: &ImagesPath, level: usize) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(&path.subscription_id)?;
    let location = parse_location(&path.location, EXTENSION_TYPE)?;
    let base =
        format!("/Subscriptions/{sub}/Providers/Microsoft.Compute/Locations/{location}/Publishers");
    let same =
        |a: &str, b: &Option<String>| b.as_deref().is_some_and(|b| a.eq_ignore_ascii_case(b));
    let mut names: Vec<(String, String)> = Vec::new();
    for (publisher, ty, versions) in EXTENSION_IMAGES {
        let entries: Vec<(String, String)> = match level {
            0 => vec![(publisher.to_string(), format!("{base}/{publisher}"))],
            1 if same(publisher, &path.publisher_name) => vec![(
                ty.to_string(),
                format!("{base}/{publisher}/ArtifactTypes/VMExtension/Types/{ty}"),
            )],
            2 if same(publisher, &path.publisher_name) && same(ty, &path.extension_type) => versions
                .iter()
                .map(|v| (v.to_string(), format!("{base}/{publisher}/ArtifactTypes/VMExtension/Types/{ty}/Versions/{v}")))
                .collect(),
            _ => Vec::new(),
        };
        for e in entries {
            if !names.iter().any(|(n, _)| n == &e.0) {
                names.push(e);
            }
        }
    }
    if names.is_empty() && level > 0 {
        return Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "ArtifactNotFound",
            format!(
                "The VM extension with publisher '{}'{} could not be found.",
                path.publisher_name.as_deref().unwrap_or_default(),
                path.extension_type
                    .as_deref()
                    .map(|t| format!(" and type '{t}'"))
                    .unwrap_or_default()
            ),
        ));
    }
    let value: Vec<ImageResource> = names
        .into_iter()
        .map(|(name, id)| ImageResource {
            name,
            location: location.to_string(),
            id,
        })
        .collect();
    Ok(json(StatusCode::OK, &value))
}

/// The publishers of a location (the ones mi-sim knows extensions of).
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachineImages_ListPublishers",
    params(("subscriptionId" = String, Path), ("location" = String, Path), ApiVersionParam),
    responses((status = 200, body = Vec<ImageResource>), (status = "default", body = ArmErrorResponse))
)]
#[get(
    "/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}/publishers"
)]
pub async fn image_publishers(
    path: web::Path<ImagesPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    image_list(&path, 0)
}

/// The extension types of a publisher.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachineExtensionImages_ListTypes",
    params(("subscriptionId" = String, Path), ("location" = String, Path), ("publisherName" = String, Path), ApiVersionParam),
    responses((status = 200, body = Vec<ImageResource>), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}/publishers/{publisherName}/artifacttypes/vmextension/types")]
pub async fn image_types(
    path: web::Path<ImagesPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    image_list(&path, 1)
}

/// The versions of an extension type.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachineExtensionImages_ListVersions",
    params(("subscriptionId" = String, Path), ("location" = String, Path), ("publisherName" = String, Path),
           ("type" = String, Path), ApiVersionParam),
    responses((status = 200, body = Vec<ImageResource>), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}/publishers/{publisherName}/artifacttypes/vmextension/types/{type}/versions")]
pub async fn image_versions(
    path: web::Path<ImagesPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    image_list(&path, 2)
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(extensions_create_or_update)
        .service(extensions_update)
        .service(extensions_get)
        .service(extensions_list)
        .service(extensions_delete)
        .service(image_publishers)
        .service(image_types)
        .service(image_versions);
}
