//! The simulator's own control API, under `/simulator`: what Azure has no API for (make a
//! tenant, move a subscription to another tenant, see the principals of a tenant, reset).
use crate::domain::rules::SwitchableRule;
use crate::domain::{SubscriptionId, TenantId};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::SubscriptionPath;
use crate::http::json;
use crate::ops::{applications, bootstrap, directory as ops, rules, tokens, Written};
use crate::state::AppState;
use crate::store::{principals::PrincipalRow, subscriptions::SubscriptionRow, tenants::TenantRow};
use actix_web::http::StatusCode;
use actix_web::{get, patch, post, put, web, HttpResponse};
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
            subscription_id: s.id,
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
}

/// Create a subscription (201), or change its name and the tenant it trusts (200). Identities
/// already in it keep their principals in the tenant they were created in.
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
    let (sub, written) = ops::put_subscription(&state, id, tenant, body.display_name).await?;
    let status = if written == Written::Created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(json(status, &SimSubscription::from(sub)))
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
    tenant_id: String,
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

/// A switchable historical rule and whether it is on.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimRule {
    #[schema(example = "R16-windows")]
    id: &'static str,
    /// The rule of rules.md it belongs to.
    #[schema(example = "R16")]
    rule: &'static str,
    description: &'static str,
    enabled: bool,
}

impl SimRule {
    fn new((r, enabled): (&'static SwitchableRule, bool)) -> Self {
        Self {
            id: r.id,
            rule: r.rule,
            description: r.description,
            enabled,
        }
    }
}

/// The switchable rules.
#[derive(Serialize, ToSchema)]
pub struct SimRuleList {
    value: Vec<SimRule>,
}

/// List the historical rules that can be switched off, with their state. All are on after
/// start and after a reset.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_ListRules",
    responses((status = 200, body = SimRuleList), (status = "default", body = ArmErrorResponse))
)]
#[get("/rules")]
pub async fn list_rules(state: web::Data<AppState>) -> Result<HttpResponse, ArmError> {
    let value = rules::list(&state)
        .await?
        .into_iter()
        .map(SimRule::new)
        .collect();
    Ok(json(StatusCode::OK, &SimRuleList { value }))
}

/// Path of a switchable rule.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RulePath {
    id: String,
}

/// Switch a rule on or off.
#[derive(Deserialize, ToSchema)]
pub struct RulePatch {
    enabled: bool,
}

/// Switch a historical rule on or off.
#[utoipa::path(
    tag = "Simulator", operation_id = "Simulator_UpdateRule", params(RulePath), request_body = RulePatch,
    responses((status = 200, body = SimRule), (status = "default", body = ArmErrorResponse))
)]
#[patch("/rules/{id}")]
pub async fn update_rule(
    state: web::Data<AppState>,
    path: web::Path<RulePath>,
    body: web::Json<RulePatch>,
) -> Result<HttpResponse, ArmError> {
    let rule = rules::set(&state, &path.id, body.enabled).await?;
    Ok(json(StatusCode::OK, &SimRule::new(rule)))
}

/// An application that signs in with a client secret.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SimApplication {
    /// The client id.
    app_id: String,
    /// The object id of its service principal.
    object_id: String,
    tenant_id: String,
    display_name: String,
    /// Shown once at creation; afterwards only for bootstrapped (well-known) applications.
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
}

impl SimApplication {
    fn new(a: crate::store::applications::ApplicationRow, secret: Option<String>) -> Self {
        Self {
            client_secret: secret.or(a.well_known_secret),
            app_id: a.app_id,
            object_id: a.object_id,
            tenant_id: a.tenant_id,
            display_name: a.display_name,
        }
    }
}

/// Applications of a tenant.
#[derive(Serialize, ToSchema)]
pub struct SimApplicationList {
    value: Vec<SimApplication>,
}

/// A new application; the name is optional.
#[derive(Deserialize, ToSchema, Default)]
#[serde(rename_all = "camelCase")]
pub struct NewApplication {
    display_name: Option<String>,
}

/// Create an application (and its service principal) with a client secret, shown once.
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_CreateApplication", params(TenantPath),
    request_body = NewApplication,
    responses((status = 201, body = SimApplication), (status = "default", body = ArmErrorResponse)))]
#[post("/tenants/{tenantId}/applications")]
pub async fn create_application(
    state: web::Data<AppState>,
    path: web::Path<TenantPath>,
    body: web::Bytes,
) -> Result<HttpResponse, ArmError> {
    let body: NewApplication = if body.iter().all(u8::is_ascii_whitespace) {
        NewApplication::default()
    } else {
        serde_json::from_slice(&body).map_err(ArmError::invalid_request_content)?
    };
    let tenant = TenantId::parse(&path.tenant_id)?;
    let (app, secret) = applications::create(&state, tenant, body.display_name).await?;
    Ok(json(
        StatusCode::CREATED,
        &SimApplication::new(app, Some(secret)),
    ))
}

/// List the applications of a tenant (secrets of bootstrapped applications only).
#[utoipa::path(tag = "Simulator", operation_id = "Simulator_ListApplications", params(TenantPath),
    responses((status = 200, body = SimApplicationList), (status = "default", body = ArmErrorResponse)))]
#[get("/tenants/{tenantId}/applications")]
pub async fn list_applications(
    state: web::Data<AppState>,
    path: web::Path<TenantPath>,
) -> Result<HttpResponse, ArmError> {
    let tenant = TenantId::parse(&path.tenant_id)?;
    let value = applications::list(&state, tenant)
        .await?
        .into_iter()
        .map(|a| SimApplication::new(a, None))
        .collect();
    Ok(json(StatusCode::OK, &SimApplicationList { value }))
}

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

/// Mounts the control API (under `/simulator`).
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_tenant)
        .service(list_tenants)
        .service(put_subscription)
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
        .service(reset);
}
