//! Tenants, subscriptions and the service principals of a tenant.
use crate::domain::{SubscriptionId, TenantId};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::SubscriptionPath;
use crate::http::{json, put_status};
use crate::ops::directory as ops;
use crate::state::AppState;
use crate::store::{principals::PrincipalRow, subscriptions::SubscriptionRow, tenants::TenantRow};
use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A tenant (directory).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimTenant {
    #[schema(example = "11111111-1111-4111-8111-111111111111")]
    tenant_id: String,
    display_name: String,
    default_domain: String,
}

impl From<TenantRow> for SimTenant {
    fn from(t: TenantRow) -> Self {
        Self {
            tenant_id: t.id,
            display_name: t.display_name,
            default_domain: t.default_domain,
        }
    }
}

/// The tenants.
#[derive(Serialize, ToSchema)]
pub struct SimTenantList {
    value: Vec<SimTenant>,
}

/// A new tenant; both fields are optional.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct NewTenant {
    /// The tenant's GUID; generated when absent.
    tenant_id: Option<String>,
    display_name: Option<String>,
}

/// Create a tenant.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_CreateTenant", request_body = NewTenant,
    responses((status = 201, body = SimTenant), (status = "default", body = ArmErrorResponse))
)]
#[post("/tenants")]
pub async fn create_tenant(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    // Both fields are optional, so an empty body is a valid request; anything else must parse.
    let body: NewTenant = if body.iter().all(u8::is_ascii_whitespace) {
        NewTenant::default()
    } else {
        serde_json::from_slice(&body).map_err(ArmError::invalid_request_content)?
    };
    let id = body.tenant_id.as_deref().map(TenantId::parse).transpose()?;
    let tenant = ops::create_tenant(&state, id, body.display_name).await?;
    Ok(json(StatusCode::CREATED, &SimTenant::from(tenant)))
}

/// List the tenants.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ListTenants",
    responses((status = 200, body = SimTenantList), (status = "default", body = ArmErrorResponse))
)]
#[get("/tenants")]
pub async fn list_tenants(state: web::Data<AppState>) -> Result<HttpResponse, ArmError> {
    let value = ops::list_tenants(&state)
        .await?
        .into_iter()
        .map(SimTenant::from)
        .collect();
    Ok(json(StatusCode::OK, &SimTenantList { value }))
}

/// A subscription and the tenant it trusts.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimSubscription {
    subscription_id: String,
    tenant_id: String,
    display_name: String,
    state: String,
}

impl From<SubscriptionRow> for SimSubscription {
    fn from(s: SubscriptionRow) -> Self {
        Self {
            subscription_id: s.id.to_string(),
            tenant_id: s.tenant_id,
            display_name: s.display_name,
            state: s.state,
        }
    }
}

/// The tenant a subscription is to trust, and its name.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PutSubscription {
    /// An existing tenant (see `POST /simulator/tenants`).
    tenant_id: String,
    display_name: Option<String>,
    /// The object id of a service principal of that tenant to make Owner of the new
    /// subscription (as Azure makes its creator); ignored when the subscription exists.
    owner: Option<String>,
}

/// Create a subscription (201), or rename it (200). Its tenant changes only by a transfer
/// (`POST .../transfer`); a PUT naming another tenant is refused with 409.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_PutSubscription", params(SubscriptionPath), request_body = PutSubscription,
    responses((status = 200, body = SimSubscription), (status = 201, body = SimSubscription), (status = "default", body = ArmErrorResponse))
)]
#[put("/subscriptions/{subscriptionId}")]
pub async fn put_subscription(
    state: web::Data<AppState>,
    path: web::Path<SubscriptionPath>,
    body: web::Json<PutSubscription>,
) -> Result<HttpResponse, ArmError> {
    let body = body.into_inner();
    let id = SubscriptionId::parse(&path.subscription_id)?;
    let tenant =
        TenantId::parse(&body.tenant_id).map_err(|e| ArmError::from(e).with_target("tenantId"))?;
    let (sub, written) =
        ops::put_subscription(&state, id, tenant, body.display_name, body.owner).await?;
    let status = put_status(written);
    Ok(json(status, &SimSubscription::from(sub)))
}

/// Where a subscription is transferred to.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransferSubscription {
    /// An existing tenant (see `POST /simulator/tenants`).
    target_tenant_id: String,
}

/// R11: transfer a subscription to another tenant, as Azure does it. Synchronous (200): when
/// the answer comes, the subscription trusts the target tenant. Nothing about its identities
/// changes: each keeps its `principalId` and `tenantId` and can no longer get tokens; the
/// remedies are to turn a system identity off and on, and to delete, recreate and re-attach a
/// user-assigned one.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_TransferSubscription", params(SubscriptionPath),
    request_body = TransferSubscription,
    responses((status = 200, body = SimSubscription), (status = "default", body = ArmErrorResponse))
)]
#[post("/subscriptions/{subscriptionId}/transfer")]
pub async fn transfer_subscription(
    state: web::Data<AppState>,
    path: web::Path<SubscriptionPath>,
    body: web::Json<TransferSubscription>,
) -> Result<HttpResponse, ArmError> {
    let id = SubscriptionId::parse(&path.subscription_id)?;
    let tenant = TenantId::parse(&body.target_tenant_id)
        .map_err(|e| ArmError::from(e).with_target("targetTenantId"))?;
    let sub = ops::transfer_subscription(&state, id, tenant).await?;
    Ok(json(StatusCode::OK, &SimSubscription::from(sub)))
}

/// A service principal in a tenant.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ServicePrincipal {
    /// The principal's object id: a managed identity's `principalId`.
    object_id: String,
    /// The application id: a managed identity's `clientId`.
    app_id: String,
    display_name: String,
    #[schema(example = "UserAssigned")]
    kind: String,
    /// The ARM id of the resource the principal backs.
    resource_id: Option<String>,
}

impl From<PrincipalRow> for ServicePrincipal {
    fn from(p: PrincipalRow) -> Self {
        Self {
            object_id: p.object_id,
            app_id: p.app_id,
            display_name: p.display_name,
            kind: p.kind,
            resource_id: p.resource_id,
        }
    }
}

/// The service principals of a tenant.
#[derive(Serialize, ToSchema)]
pub struct ServicePrincipalList {
    value: Vec<ServicePrincipal>,
}

/// Path of a tenant.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct TenantPath {
    pub tenant_id: String,
}

/// List the service principals of a tenant.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ListServicePrincipals", params(TenantPath),
    responses((status = 200, body = ServicePrincipalList), (status = "default", body = ArmErrorResponse))
)]
#[get("/tenants/{tenantId}/servicePrincipals")]
pub async fn list_service_principals(
    state: web::Data<AppState>,
    path: web::Path<TenantPath>,
) -> Result<HttpResponse, ArmError> {
    let tenant = TenantId::parse(&path.tenant_id)?;
    let value = ops::list_principals(&state, tenant)
        .await?
        .into_iter()
        .map(ServicePrincipal::from)
        .collect();
    Ok(json(StatusCode::OK, &ServicePrincipalList { value }))
}
