//! Microsoft.Compute/virtualMachines (ComputeRP `stable/2024-07-01/virtualMachine.json`).
//! Writes, deletes and power actions are long-running as Compute runs them: the first answer
//! carries `Azure-AsyncOperation` (and `Location` for actions and deletes) under
//! `/subscriptions/{s}/providers/Microsoft.Compute/locations/{l}/operations/{id}`.
use super::compute_list::list_rows;
use super::extensions::extension_instance_view;
use super::identity::{identity_view, IdentityView};
use super::lro::{operation_status, with_lro_headers, OperationPath, OperationStatus};
use crate::domain::catalog::{self, vm_has_time_created};
use crate::domain::compute::{ComputeKind, PowerAction, PowerState};
use crate::domain::{ResourceName, SubscriptionId};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::{
    group_name_next_link, query_param, ApiVersion, ApiVersionParam, CallerInfo, ListQuery,
    SubscriptionPath,
};
use crate::http::extract::{resource_path, Conditions, GroupPath};
use crate::http::json;
use crate::ops::compute::{self as ops, ComputeRef, Outcome, PowerOutcome};
use crate::ops::extensions as extension_ops;
use crate::ops::specs::location as parse_location;
use crate::ops::specs::VirtualMachineBody;
use crate::ops::Written;
use crate::state::AppState;
use crate::store::compute::ComputeRow;
use crate::store::extensions::ExtensionRow;
use actix_web::http::StatusCode;
use actix_web::{delete, get, patch, post, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

type Versions = ApiVersion<crate::http::extract::Compute>;

/// The provider namespace in the operation URLs this surface hands out.
const COMPUTE: &str = "Microsoft.Compute";

/// Path of one VM.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct VmPath {
    subscription_id: String,
    resource_group_name: String,
    vm_name: String,
}

impl VmPath {
    async fn parse(&self, state: &AppState) -> Result<ComputeRef, ArmError> {
        vm_ref(
            state,
            (
                &self.subscription_id,
                &self.resource_group_name,
                &self.vm_name,
            ),
        )
        .await
    }
}

/// The VM a path names (subscription, group, VM name), checked as ARM checks it: a bad name
/// in a missing group is the group's error.
pub(crate) async fn vm_ref(
    state: &AppState,
    (subscription, group, vm): (&str, &str, &str),
) -> Result<ComputeRef, ArmError> {
    let (subscription, group, name) =
        resource_path(state, (subscription, group), ResourceName::vm(vm)).await?;
    Ok(ComputeRef {
        subscription,
        group,
        kind: ComputeKind::VirtualMachine,
        name,
    })
}

/// A virtual machine. `properties` echo what the client sent (profiles are accepted, not
/// simulated) plus `vmId` and `provisioningState`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachine {
    id: String,
    name: String,
    #[serde(rename = "type")]
    #[schema(example = "Microsoft.Compute/virtualMachines")]
    resource_type: &'static str,
    location: String,
    /// Kept as `{}` when there are none: az CLI's generic update (`az vm update --set
    /// tags.fixVM=1`, the R14 remedy the FAQ gives) needs the field to be there.
    tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<IdentityView>,
    /// Changes on every PUT and PATCH; send it back in `If-Match` to write only over this one.
    #[schema(example = "\"1\"")]
    etag: String,
    #[schema(value_type = Object)]
    properties: Map<String, Value>,
    /// Other top-level fields as sent (zones, plan, extendedLocation).
    #[serde(flatten)]
    #[schema(value_type = Object)]
    extra: Map<String, Value>,
}

/// A page of VMs.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineList {
    value: Vec<VirtualMachine>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

/// A VM's instance view: its provisioning and power states (docs/wire-contract.md, "VMs").
fn instance_view(row: &ComputeRow, extensions: &[ExtensionRow]) -> Value {
    let (code, display) = PowerState::parse(&row.power_state).status();
    let computer_name = row
        .properties
        .0
        .get("osProfile")
        .and_then(|o| o.get("computerName"))
        .cloned()
        .unwrap_or_else(|| Value::String(row.name.clone()));
    // The last failed operation (R14's refused start) shows as Compute shows a failure.
    let provisioning = match &row.last_error {
        Some(error) => json!({
            "code": format!("ProvisioningState/failed/{}", error.0["code"].as_str().unwrap_or("Failed")),
            "level": "Error",
            "displayStatus": "Provisioning failed",
            "message": error.0["message"],
            "time": row.modified_at,
        }),
        None => {
            json!({"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded", "time": row.modified_at})
        }
    };
    let running = PowerState::parse(&row.power_state) == PowerState::Running;
    let extensions: Vec<Value> = extensions.iter().map(extension_instance_view).collect();
    let handlers: Vec<Value> = extensions
        .iter()
        .map(|view| {
            json!({"type": view["type"], "typeHandlerVersion": view["typeHandlerVersion"],
                   "status": {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready"}})
        })
        .collect();
    let storage = row.properties.0.get("storageProfile");
    let os_disk = storage
        .and_then(|s| s.get("osDisk"))
        .and_then(|d| d.get("name"))
        .cloned();
    let disks: Vec<Value> = os_disk
        .into_iter()
        .map(|name| json!({"name": name, "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info",
                                                      "displayStatus": "Provisioning succeeded", "time": row.created_at}]}))
        .collect();
    // What the guest agent reports: it answers only while the VM runs.
    let agent_status = if running {
        json!({"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready",
               "message": "Guest Agent is running", "time": row.modified_at})
    } else {
        json!({"code": "ProvisioningState/Unavailable", "level": "Warning", "displayStatus": "Not Ready",
               "message": "VM status blob is found but not yet populated.", "time": row.modified_at})
    };
    let mut view = json!({
        "computerName": computer_name,
        "platformUpdateDomain": 0,
        "platformFaultDomain": 0,
        "hyperVGeneration": "V2",
        "vmAgent": {"vmAgentVersion": "2.12.0.2", "statuses": [agent_status], "extensionHandlers": handlers},
        "disks": disks,
        "extensions": extensions,
        "statuses": [provisioning, {"code": code, "level": "Info", "displayStatus": display}],
    });
    if let Some((name, version)) = guest_os(storage) {
        view["osName"] = name.into();
        view["osVersion"] = version.into();
    }
    view
}

/// The guest OS the agent would report, from the image the VM was made from (Ubuntu's and
/// Windows Server's marketplace images; anything else reports nothing).
fn guest_os(storage: Option<&Value>) -> Option<(String, String)> {
    let image = storage?.get("imageReference")?;
    let text = |k: &str| {
        image
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let (offer, sku) = (text("offer"), text("sku"));
    if offer.contains("ubuntu") {
        // `ubuntu-24_04-lts` with sku `server`, or `0001-com-ubuntu-server-jammy` with `22_04-lts-gen2`.
        let digits = |s: &str| {
            s.split(|c: char| !c.is_ascii_digit())
                .filter(|p| !p.is_empty())
                .take(2)
                .collect::<Vec<_>>()
                .join(".")
        };
        let version = [digits(&sku), digits(&offer)]
            .into_iter()
            .find(|v| v.contains('.'))
            .unwrap_or_default();
        return Some(("ubuntu".into(), version));
    }
    if offer.contains("windowsserver") {
        return Some(("Windows Server".into(), sku));
    }
    None
}

impl VirtualMachine {
    /// The VM as Compute shows it; with its extensions, the instance view too (`$expand`).
    fn new(
        row: ComputeRow,
        api_version: &str,
        state: &str,
        expand: Option<&[ExtensionRow]>,
    ) -> Self {
        let id = ComputeKind::VirtualMachine.resource_id(
            row.subscription_id,
            &row.resource_group,
            &row.name,
        );
        let identity = identity_view(&row);
        let mut properties = row.properties.0.clone();
        properties.insert("vmId".into(), row.instance_id.clone().into());
        let state = if row.last_error.is_some() && state == "Succeeded" {
            "Failed"
        } else {
            state
        };
        properties.insert("provisioningState".into(), state.into());
        if vm_has_time_created(api_version) {
            properties.insert("timeCreated".into(), row.created_at.clone().into());
        }
        if let Some(extensions) = expand {
            properties.insert("instanceView".into(), instance_view(&row, extensions));
        }
        Self {
            id,
            name: row.name,
            resource_type: ComputeKind::VirtualMachine.resource_type(),
            location: row.location,
            tags: row.tags.0,
            identity,
            etag: crate::domain::compute::etag(row.version),
            properties,
            extra: row.extra.0,
        }
    }
}

fn write_response(req: &HttpRequest, outcome: Outcome, version: &'static str) -> HttpResponse {
    let (status, state) = match outcome.written {
        Written::Created => (StatusCode::CREATED, "Creating"),
        Written::Updated => (StatusCode::OK, "Updating"),
    };
    let place = (outcome.row.subscription_id, outcome.row.location.clone());
    let res = json(
        status,
        &VirtualMachine::new(outcome.row, version, state, None),
    );
    match &outcome.operation {
        Some(op) => with_lro_headers(res, req, (place.0, COMPUTE, &place.1), op, version, false),
        None => res,
    }
}

/// Create or update a VM. Enabling the system-assigned identity creates a service principal
/// in the tenant the subscription trusts (R1); dropping it deletes that principal (R3).
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachines_CreateOrUpdate",
    params(VmPath, ApiVersionParam), request_body = VirtualMachineBody,
    responses((status = 200, body = VirtualMachine, description = "Updated; poll Azure-AsyncOperation"),
              (status = 201, body = VirtualMachine, description = "Created; poll Azure-AsyncOperation"),
              (status = "default", body = ArmErrorResponse))
)]
#[put("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}")]
pub async fn virtual_machines_create_or_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmPath>,
    version: Versions,
    caller: CallerInfo,
    conditions: Conditions,
    body: web::Json<VirtualMachineBody>,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    let mut spec = body.into_inner().into_spec(true, version.version)?;
    spec.precondition = conditions.0;
    let outcome = ops::create_or_update(&state, &r, spec, &caller.0).await?;
    Ok(write_response(&req, outcome, version.version))
}

/// Update a VM: properties are merged, a user-assigned key set to `null` removes that one,
/// type `None` removes every identity.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachines_Update",
    params(VmPath, ApiVersionParam), request_body = VirtualMachineBody,
    responses((status = 200, body = VirtualMachine), (status = "default", body = ArmErrorResponse))
)]
#[patch("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}")]
pub async fn virtual_machines_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmPath>,
    version: Versions,
    caller: CallerInfo,
    conditions: Conditions,
    body: web::Json<VirtualMachineBody>,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    let mut spec = body.into_inner().into_spec(false, version.version)?;
    spec.precondition = conditions.0;
    let outcome = ops::update(&state, &r, spec, &caller.0).await?;
    Ok(write_response(&req, outcome, version.version))
}

/// `$expand` of a VM GET.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpandQuery {
    /// `instanceView` adds `properties.instanceView`.
    #[serde(rename = "$expand")]
    #[param(rename = "$expand")]
    pub expand: Option<String>,
}

/// Get a VM, with `$expand=instanceView` its power state.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachines_Get",
    params(VmPath, ApiVersionParam, ExpandQuery),
    responses((status = 200, body = VirtualMachine), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}")]
pub async fn virtual_machines_get(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    let r = path.parse(&state).await?;
    let expand = query_param(req.query_string(), "$expand")
        .or_else(|| query_param(req.query_string(), "%24expand"))
        .is_some_and(|e| e.eq_ignore_ascii_case("instanceView"));
    let vm = if expand {
        let (row, extensions) = extension_ops::vm_with_extensions(&state, &r).await?;
        VirtualMachine::new(row, version.version, "Succeeded", Some(&extensions))
    } else {
        VirtualMachine::new(
            ops::get(&state, &r).await?,
            version.version,
            "Succeeded",
            None,
        )
    };
    Ok(json(StatusCode::OK, &vm))
}

/// A VM's instance view.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachines_InstanceView",
    params(VmPath, ApiVersionParam),
    responses((status = 200, description = "VirtualMachineInstanceView"), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/instanceView")]
pub async fn virtual_machines_instance_view(
    state: web::Data<AppState>,
    path: web::Path<VmPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let (row, extensions) =
        extension_ops::vm_with_extensions(&state, &path.parse(&state).await?).await?;
    Ok(json(StatusCode::OK, &instance_view(&row, &extensions)))
}

/// Delete a VM and its system-assigned principal (R2). User-assigned identities it used stay.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachines_Delete",
    params(VmPath, ApiVersionParam),
    responses((status = 202, description = "Deleted; poll Azure-AsyncOperation"), (status = 204, description = "No such VM"),
              (status = "default", body = ArmErrorResponse))
)]
#[delete("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}")]
pub async fn virtual_machines_delete(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmPath>,
    version: Versions,
    conditions: Conditions,
) -> Result<HttpResponse, ArmError> {
    Ok(
        match ops::delete(&state, &path.parse(&state).await?, conditions.0).await? {
            Some((row, op)) => with_lro_headers(
                HttpResponse::Accepted().finish(),
                &req,
                (row.subscription_id, COMPUTE, &row.location),
                &op,
                version.version,
                true,
            ),
            None => HttpResponse::NoContent().finish(),
        },
    )
}

async fn power(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmPath>,
    version: Versions,
    action: PowerAction,
) -> Result<HttpResponse, ArmError> {
    Ok(
        match ops::power(&state, &path.parse(&state).await?, action).await? {
            PowerOutcome::Started { operation, row } => with_lro_headers(
                HttpResponse::Accepted().finish(),
                &req,
                (row.subscription_id, COMPUTE, &row.location),
                &operation,
                version.version,
                true,
            ),
            PowerOutcome::AlreadyDone => HttpResponse::Ok().finish(),
        },
    )
}

/// Start a VM.
#[utoipa::path(tag = "Compute", operation_id = "VirtualMachines_Start", params(VmPath, ApiVersionParam),
    responses((status = 202, description = "Accepted; poll Azure-AsyncOperation"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/start")]
pub async fn virtual_machines_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    power(state, req, path, version, PowerAction::Start).await
}

/// Power off a VM (it stays allocated).
#[utoipa::path(tag = "Compute", operation_id = "VirtualMachines_PowerOff", params(VmPath, ApiVersionParam),
    responses((status = 202, description = "Accepted; poll Azure-AsyncOperation"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/powerOff")]
pub async fn virtual_machines_power_off(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    power(state, req, path, version, PowerAction::PowerOff).await
}

/// Deallocate a VM.
#[utoipa::path(tag = "Compute", operation_id = "VirtualMachines_Deallocate", params(VmPath, ApiVersionParam),
    responses((status = 202, description = "Accepted; poll Azure-AsyncOperation"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/deallocate")]
pub async fn virtual_machines_deallocate(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    power(state, req, path, version, PowerAction::Deallocate).await
}

/// Restart a VM.
#[utoipa::path(tag = "Compute", operation_id = "VirtualMachines_Restart", params(VmPath, ApiVersionParam),
    responses((status = 202, description = "Accepted; poll Azure-AsyncOperation"), (status = "default", body = ArmErrorResponse)))]
#[post("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines/{vmName}/restart")]
pub async fn virtual_machines_restart(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<VmPath>,
    version: Versions,
) -> Result<HttpResponse, ArmError> {
    power(state, req, path, version, PowerAction::Restart).await
}

fn list_response(
    req: &HttpRequest,
    rows: Vec<ComputeRow>,
    more: bool,
    version: &'static str,
) -> HttpResponse {
    let last = rows
        .last()
        .map(|r| (r.resource_group.as_str(), r.name.as_str()));
    let next = group_name_next_link(req, more, last);
    let value = rows
        .into_iter()
        .map(|r| VirtualMachine::new(r, version, "Succeeded", None))
        .collect();
    json(
        StatusCode::OK,
        &VirtualMachineList {
            value,
            next_link: next,
        },
    )
}

/// List the VMs of a resource group.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachines_List",
    params(GroupPath, ApiVersionParam, ListQuery),
    responses((status = 200, body = VirtualMachineList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Compute/virtualMachines")]
pub async fn virtual_machines_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupPath>,
    version: Versions,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let (sub, group) = path.parse()?;
    let kind = ComputeKind::VirtualMachine;
    let (rows, more) = list_rows(&state, &req, (sub, Some(&group)), kind, &query).await?;
    Ok(list_response(&req, rows, more, version.version))
}

/// List the VMs of a subscription.
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachines_ListAll",
    params(SubscriptionPath, ApiVersionParam, ListQuery),
    responses((status = 200, body = VirtualMachineList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Compute/virtualMachines")]
pub async fn virtual_machines_list_all(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<SubscriptionPath>,
    version: Versions,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(&path.subscription_id)?;
    let kind = ComputeKind::VirtualMachine;
    let (rows, more) = list_rows(&state, &req, (sub, None), kind, &query).await?;
    Ok(list_response(&req, rows, more, version.version))
}

/// Poll a Compute operation.
#[utoipa::path(
    tag = "Compute", operation_id = "Compute_OperationStatus",
    params(OperationPath, ApiVersionParam),
    responses((status = 200, body = OperationStatus), (status = 202, description = "Still running (monitor=true)"),
              (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}/operations/{operationId}")]
pub async fn compute_operation_status(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<OperationPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    operation_status(&state, &req, &path).await
}

/// Path of a region of a subscription.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct LocationPath {
    subscription_id: String,
    location: String,
}

/// A VM size (`VirtualMachineSize`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VirtualMachineSize {
    #[schema(example = "Standard_B1s")]
    name: &'static str,
    number_of_cores: u32,
    #[serde(rename = "osDiskSizeInMB")]
    os_disk_size_in_mb: u32,
    #[serde(rename = "resourceDiskSizeInMB")]
    resource_disk_size_in_mb: u32,
    #[serde(rename = "memoryInMB")]
    memory_in_mb: u32,
    max_data_disk_count: u32,
}

/// The VM sizes of a region.
#[derive(Serialize, ToSchema)]
pub struct VirtualMachineSizeList {
    value: Vec<VirtualMachineSize>,
}

/// List the VM sizes of a region (what `az vm create` and Ansible read before a create).
#[utoipa::path(
    tag = "Compute", operation_id = "VirtualMachineSizes_List",
    params(LocationPath, ApiVersionParam),
    responses((status = 200, body = VirtualMachineSizeList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/providers/Microsoft.Compute/locations/{location}/vmSizes")]
pub async fn virtual_machine_sizes_list(
    state: web::Data<AppState>,
    path: web::Path<LocationPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(&path.subscription_id)?;
    crate::ops::directory::get_subscription(&state, sub).await?;
    parse_location(&path.location, "Microsoft.Compute/locations/vmSizes")?;
    let value = catalog::VM_SIZES
        .iter()
        .map(|s| VirtualMachineSize {
            name: s.name,
            number_of_cores: s.cores,
            // Azure lists every size with a 1 TiB OS disk limit.
            os_disk_size_in_mb: 1_047_552,
            resource_disk_size_in_mb: s.resource_disk_mb,
            memory_in_mb: s.memory_mb,
            max_data_disk_count: s.max_data_disks,
        })
        .collect();
    Ok(json(StatusCode::OK, &VirtualMachineSizeList { value }))
}

/// Mounts this provider's operations.
pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(virtual_machines_get)
        .service(virtual_machines_create_or_update)
        .service(virtual_machines_update)
        .service(virtual_machines_delete)
        .service(virtual_machines_instance_view)
        .service(virtual_machines_start)
        .service(virtual_machines_power_off)
        .service(virtual_machines_deallocate)
        .service(virtual_machines_restart)
        .service(virtual_machines_list)
        .service(virtual_machines_list_all)
        .service(virtual_machine_sizes_list)
        .service(compute_operation_status);
}
