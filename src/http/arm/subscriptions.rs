//! Subscriptions, tenants and locations (RES `stable/2022-12-01/subscriptions.json`).
use crate::domain::catalog::{self, Location};
use crate::domain::resource_id::{location_id, ResourceId};
use crate::domain::SubscriptionId;
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::{ApiVersion, ApiVersionParam, SubscriptionPath, Subscriptions};
use crate::http::json;
use crate::ops::directory as ops;
use crate::state::AppState;
use crate::store::{subscriptions::SubscriptionRow, tenants::TenantRow};
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

type Versions = ApiVersion<Subscriptions>;

/// A subscription and the tenant it trusts.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    id: String,
    subscription_id: String,
    tenant_id: String,
    display_name: String,
    #[schema(example = "Enabled")]
    state: String,
    subscription_policies: SubscriptionPolicies,
    authorization_source: &'static str,
    managed_by_tenants: Vec<serde_json::Value>,
}

/// Policies of a subscription.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionPolicies {
    location_placement_id: &'static str,
    quota_id: &'static str,
    spending_limit: &'static str,
}

impl From<SubscriptionRow> for Subscription {
    fn from(s: SubscriptionRow) -> Self {
        Self {
            id: ResourceId::subscription_scope(s.id).to_string(),
            subscription_id: s.id.to_string(),
            tenant_id: s.tenant_id,
            display_name: s.display_name,
            state: s.state,
            subscription_policies: SubscriptionPolicies {
                location_placement_id: "Public_2014-09-01",
                quota_id: "PayAsYouGo_2014-09-01",
                spending_limit: "Off",
            },
            authorization_source: "RoleBased",
            managed_by_tenants: Vec::new(),
        }
    }
}

/// A page of subscriptions.
#[derive(Serialize, ToSchema)]
pub struct SubscriptionList {
    value: Vec<Subscription>,
}

/// List the subscriptions.
#[utoipa::path(
    tag = "Subscriptions", operation_id = "Subscriptions_List", params(ApiVersionParam),
    responses((status = 200, body = SubscriptionList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions")]
pub async fn subscriptions_list(
    state: web::Data<AppState>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let value = ops::list_subscriptions(&state)
        .await?
        .into_iter()
        .map(Subscription::from)
        .collect();
    Ok(json(StatusCode::OK, &SubscriptionList { value }))
}

/// Get a subscription.
#[utoipa::path(
    tag = "Subscriptions", operation_id = "Subscriptions_Get", params(SubscriptionPath, ApiVersionParam),
    responses((status = 200, body = Subscription), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}")]
pub async fn subscriptions_get(
    state: web::Data<AppState>,
    path: web::Path<SubscriptionPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let sub = ops::get_subscription(&state, SubscriptionId::parse(&path.subscription_id)?).await?;
    Ok(json(StatusCode::OK, &Subscription::from(sub)))
}

/// A tenant the caller can see (`TenantIdDescription`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tenant {
    id: String,
    tenant_id: String,
    tenant_category: &'static str,
    country: &'static str,
    country_code: &'static str,
    display_name: String,
    domains: Vec<String>,
    default_domain: String,
    tenant_type: &'static str,
}

impl From<TenantRow> for Tenant {
    fn from(t: TenantRow) -> Self {
        Self {
            id: format!("/tenants/{}", t.id),
            tenant_id: t.id,
            tenant_category: "Home",
            country: "United States",
            country_code: "US",
            display_name: t.display_name,
            domains: vec![t.default_domain.clone()],
            default_domain: t.default_domain,
            tenant_type: "AAD",
        }
    }
}

/// A page of tenants.
#[derive(Serialize, ToSchema)]
pub struct TenantList {
    value: Vec<Tenant>,
}

/// List the tenants.
#[utoipa::path(
    tag = "Subscriptions", operation_id = "Tenants_List", params(ApiVersionParam),
    responses((status = 200, body = TenantList), (status = "default", body = ArmErrorResponse))
)]
#[get("/tenants")]
pub async fn tenants_list(
    state: web::Data<AppState>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let value = ops::list_tenants(&state)
        .await?
        .into_iter()
        .map(Tenant::from)
        .collect();
    Ok(json(StatusCode::OK, &TenantList { value }))
}

/// A location (region) of a subscription.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationView {
    id: String,
    name: &'static str,
    #[serde(rename = "type")]
    location_type: &'static str,
    display_name: &'static str,
    regional_display_name: String,
    metadata: LocationMetadata,
    /// Zonal regions: the subscription's logical zones and the physical zones behind them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    availability_zone_mappings: Vec<ZoneMapping>,
}

/// A logical availability zone of the subscription and the physical zone it maps to.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ZoneMapping {
    logical_zone: String,
    physical_zone: String,
}

/// Where a location is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LocationMetadata {
    region_type: &'static str,
    region_category: &'static str,
    geography: &'static str,
    geography_group: &'static str,
    longitude: &'static str,
    latitude: &'static str,
    physical_location: &'static str,
    paired_region: Vec<PairedRegion>,
}

/// A location's pair.
#[derive(Serialize, ToSchema)]
pub struct PairedRegion {
    name: &'static str,
    id: String,
}

impl LocationView {
    fn new(sub: SubscriptionId, l: &'static Location) -> Self {
        Self {
            id: location_id(sub, l.name),
            name: l.name,
            location_type: "Region",
            display_name: l.display_name,
            regional_display_name: format!("({}) {}", l.geography_group, l.display_name),
            metadata: LocationMetadata {
                region_type: "Physical",
                region_category: "Recommended",
                geography: l.geography,
                geography_group: l.geography_group,
                longitude: l.longitude,
                latitude: l.latitude,
                physical_location: catalog::physical_location(l.name),
                paired_region: vec![PairedRegion {
                    name: l.paired_region,
                    id: location_id(sub, l.paired_region),
                }],
            },
            availability_zone_mappings: if catalog::has_zones(l.name) {
                (1..=3)
                    .map(|z| ZoneMapping {
                        logical_zone: z.to_string(),
                        physical_zone: format!("{}-az{z}", l.name),
                    })
                    .collect()
            } else {
                Vec::new()
            },
        }
    }
}

/// The locations of a subscription.
#[derive(Serialize, ToSchema)]
pub struct LocationList {
    value: Vec<LocationView>,
}

/// List the locations available to a subscription.
#[utoipa::path(
    tag = "Subscriptions", operation_id = "Subscriptions_ListLocations", params(SubscriptionPath, ApiVersionParam),
    responses((status = 200, body = LocationList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/locations")]
pub async fn subscriptions_list_locations(
    state: web::Data<AppState>,
    path: web::Path<SubscriptionPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(&path.subscription_id)?;
    ops::get_subscription(&state, sub).await?;
    let value = catalog::LOCATIONS
        .iter()
        .map(|l| LocationView::new(sub, l))
        .collect();
    Ok(json(StatusCode::OK, &LocationList { value }))
}

/// Mounts subscriptions, tenants and locations.
pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(subscriptions_list)
        .service(subscriptions_get)
        .service(tenants_list)
        .service(subscriptions_list_locations);
}
