//! Microsoft.Resources generic resources: every resource of a subscription or group, whatever
//! its type, with `$filter` (docs/wire-contract.md, "Generic resource list") and each resource's `identity`, so
//! `az resource list -n NAME --query [*].identity.principalId` finds a VM's principal.
use super::identity::IdentityView;
use crate::domain::filter::Filter;
use crate::domain::resource_id::ResourceId;
use crate::domain::{ResourceGroupName, SubscriptionId};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::GroupPath;
use crate::http::extract::{next_link, ApiVersion, ApiVersionParam, Resources, SubscriptionPath};
use crate::http::json;
use crate::ops::resources as ops;
use crate::state::AppState;
use crate::store::resources::GenericRow;
use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

type Versions = ApiVersion<Resources>;

/// `$filter`, `$top` and `$skiptoken` of a generic list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResourceListQuery {
    /// e.g. `name eq 'vm1'`, `resourceType eq 'Microsoft.Compute/virtualMachines'`,
    /// `substringof('web', name)`, combined with `and` / `or`.
    #[serde(rename = "$filter")]
    #[param(rename = "$filter")]
    pub filter: Option<String>,
    #[serde(rename = "$skiptoken")]
    #[param(rename = "$skiptoken")]
    pub skiptoken: Option<String>,
    #[serde(rename = "$top")]
    #[param(rename = "$top")]
    pub top: Option<i64>,
    /// `createdTime`, `changedTime`, `provisioningState` (comma-separated) add those fields.
    #[serde(rename = "$expand")]
    #[param(rename = "$expand")]
    pub expand: Option<String>,
}

/// A resource as the generic list shows it (`GenericResourceExpanded`).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericResource {
    id: String,
    name: String,
    #[serde(rename = "type")]
    resource_type: String,
    location: String,
    tags: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identity: Option<IdentityView>,
    /// Only with `$expand=createdTime` (and likewise the next two), as ARM adds them.
    #[serde(skip_serializing_if = "Option::is_none")]
    created_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changed_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provisioning_state: Option<&'static str>,
}

/// The fields `$expand` adds to each resource: a comma-separated list of `createdTime`,
/// `changedTime` and `provisioningState`, in any case.
#[derive(Debug, Clone, Copy, Default)]
struct Expand {
    created: bool,
    changed: bool,
    provisioning: bool,
}

impl Expand {
    fn parse(raw: Option<&str>) -> Result<Self, ArmError> {
        let mut e = Self::default();
        for part in raw
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            match part.to_ascii_lowercase().as_str() {
                "createdtime" => e.created = true,
                "changedtime" => e.changed = true,
                "provisioningstate" => e.provisioning = true,
                _ => {
                    return Err(ArmError::bad_request(
                        "InvalidExpandQueryParameterValue",
                        format!("The value '{part}' of the $expand query parameter is not valid. The supported values are 'createdTime', 'changedTime' and 'provisioningState'."),
                    ))
                }
            }
        }
        Ok(e)
    }
}

/// A page of resources.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GenericResourceList {
    value: Vec<GenericResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_link: Option<String>,
}

impl GenericResource {
    fn new(r: GenericRow, expand: Expand) -> Self {
        Self {
            created_time: expand.created.then(|| r.created_at.clone()),
            changed_time: expand.changed.then(|| r.modified_at.clone()),
            provisioning_state: expand.provisioning.then_some("Succeeded"),
            id: ResourceId::resource(
                r.subscription_id,
                &r.resource_group,
                &r.resource_type,
                &r.name,
            )
            .to_string(),
            identity: IdentityView::new(
                &r.identity_type,
                r.system_principal_id,
                r.system_tenant_id,
                r.user_assigned.0,
            ),
            name: r.name,
            resource_type: r.resource_type,
            location: r.location,
            tags: r.tags.0,
        }
    }
}

async fn list(
    state: &AppState,
    req: &HttpRequest,
    sub: &str,
    group: Option<&str>,
    query: &ResourceListQuery,
) -> Result<HttpResponse, ArmError> {
    let sub = SubscriptionId::parse(sub)?;
    let group = group.map(ResourceGroupName::parse).transpose()?;
    let filter = query.filter.as_deref().map(Filter::parse).transpose()?;
    let expand = Expand::parse(query.expand.as_deref())?;
    let page = crate::http::extract::ListQuery {
        skiptoken: None,
        top: query.top,
    }
    .page_size()?;
    // The token is "<group key>|<type key>|<name key>"; none of the three can hold a '|'.
    let token = query.skiptoken.as_deref().unwrap_or("");
    let mut parts = token.splitn(3, '|');
    let after = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let (rows, more) = ops::list(state, sub, group.as_ref(), filter.as_ref(), after, page).await?;
    let next = more
        .then(|| {
            rows.last().map(|r| {
                next_link(
                    req,
                    &format!("{}|{}|{}", r.group_key, r.type_key, r.name_key),
                )
            })
        })
        .flatten();
    // In the enforce mode a subscription-wide list shows only what the caller may read.
    let visible = crate::http::extract::Visibility::of(req);
    let value = rows
        .into_iter()
        .filter(|r| visible.shows_resource(sub, &r.resource_group, &r.resource_type, &r.name))
        .map(|r| GenericResource::new(r, expand))
        .collect();
    Ok(json(
        StatusCode::OK,
        &GenericResourceList {
            value,
            next_link: next,
        },
    ))
}

/// List every resource of a subscription.
#[utoipa::path(
    tag = "Resources", operation_id = "Resources_List",
    params(SubscriptionPath, ApiVersionParam, ResourceListQuery),
    responses((status = 200, body = GenericResourceList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resources")]
pub async fn resources_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<SubscriptionPath>,
    _version: Versions,
    query: web::Query<ResourceListQuery>,
) -> Result<HttpResponse, ArmError> {
    list(&state, &req, &path.subscription_id, None, &query).await
}

/// List every resource of a resource group.
#[utoipa::path(
    tag = "Resources", operation_id = "Resources_ListByResourceGroup",
    params(GroupPath, ApiVersionParam, ResourceListQuery),
    responses((status = 200, body = GenericResourceList), (status = "default", body = ArmErrorResponse))
)]
#[get("/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/resources")]
pub async fn resources_list_by_resource_group(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<GroupPath>,
    _version: Versions,
    query: web::Query<ResourceListQuery>,
) -> Result<HttpResponse, ArmError> {
    list(
        &state,
        &req,
        &path.subscription_id,
        Some(&path.resource_group_name),
        &query,
    )
    .await
}

/// Mounts the generic resource lists.
pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(resources_list)
        .service(resources_list_by_resource_group);
}
