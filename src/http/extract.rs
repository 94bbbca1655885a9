//! Extractors shared by every ARM surface: the api-version, the caller, list paging.
use super::error::ArmError;
use crate::domain::authorization::{Principal, Unverified};
use crate::domain::catalog::{self, ApiVersionSet, VersionRejection};
use crate::domain::compute::Precondition;
use crate::domain::{ResourceGroupName, SubscriptionId};
use crate::ops::Caller;
use crate::state::AppState;
use actix_web::HttpMessage;
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use base64::Engine;
use futures_util::future::{ready, Ready};
use serde::Deserialize;
use std::marker::PhantomData;
use utoipa::IntoParams;

/// A surface's set of api-versions, as a type, so handlers declare it in their signature.
pub trait Surface {
    const VERSIONS: &'static ApiVersionSet;
}

/// Microsoft.Resources: resource groups, providers, operation results.
pub struct Resources;
/// Subscriptions, tenants, locations.
pub struct Subscriptions;
/// Microsoft.ManagedIdentity/userAssignedIdentities.
pub struct UserAssignedIdentities;

/// Microsoft.Compute/virtualMachines.
pub struct Compute;
/// Microsoft.ContainerInstance/containerGroups.
pub struct ContainerInstance;

/// Microsoft.Authorization: role assignments and definitions.
pub struct Authorization;

impl Surface for Authorization {
    const VERSIONS: &'static ApiVersionSet = &catalog::AUTHORIZATION;
}
impl Surface for Compute {
    const VERSIONS: &'static ApiVersionSet = &catalog::COMPUTE;
}
impl Surface for ContainerInstance {
    const VERSIONS: &'static ApiVersionSet = &catalog::CONTAINER_INSTANCE;
}
impl Surface for Resources {
    const VERSIONS: &'static ApiVersionSet = &catalog::RESOURCES;
}
impl Surface for Subscriptions {
    const VERSIONS: &'static ApiVersionSet = &catalog::SUBSCRIPTIONS;
}
impl Surface for UserAssignedIdentities {
    const VERSIONS: &'static ApiVersionSet = &catalog::USER_ASSIGNED_IDENTITIES;
}

/// The request's `api-version`, checked against its surface: missing gives 400
/// `MissingApiVersionParameter`; unknown gives the surface's own code listing the supported ones.
pub struct ApiVersion<S> {
    /// The canonical spelling of the version the client asked for.
    pub version: &'static str,
    surface: PhantomData<S>,
}

/// The `api-version` query parameter, for the OpenAPI document.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApiVersionParam {
    /// The API version to use for this operation.
    #[serde(rename = "api-version")]
    #[param(rename = "api-version")]
    pub api_version: String,
}

/// Finds a query parameter by name, case-insensitively (ARM treats `Api-Version` alike).
pub fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        k.eq_ignore_ascii_case(name).then_some(v)
    })
}

/// Checks a raw api-version against a set, with ARM's errors.
pub fn check_api_version(
    set: &'static ApiVersionSet,
    raw: Option<&str>,
) -> Result<&'static str, ArmError> {
    let raw = match raw {
        Some(v) if !v.is_empty() => v,
        _ => {
            return Err(ArmError::bad_request(
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            ))
        }
    };
    if let Some(v) = set.find(raw) {
        return Ok(v);
    }
    let raw = raw.replace("%20", " ");
    Err(match set.rejection {
        VersionRejection::Arm => ArmError::bad_request(
            "InvalidApiVersionParameter",
            format!("The api-version '{raw}' is invalid. The supported versions are '{}'.", set.versions.join(",")),
        ),
        VersionRejection::Provider { type_name } => ArmError::bad_request(
            "NoRegisteredProviderFound",
            format!(
                "No registered resource provider found for API version '{raw}' for type '{type_name}'. The supported api-versions are '{}'. The supported locations are '{}'.",
                set.versions.join(", "),
                catalog::LOCATIONS.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
            ),
        ),
    })
}

impl<S: Surface> FromRequest for ApiVersion<S> {
    type Error = ArmError;
    type Future = Ready<Result<Self, ArmError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = query_param(req.query_string(), "api-version");
        ready(check_api_version(S::VERSIONS, raw).map(|version| Self {
            version,
            surface: PhantomData,
        }))
    }
}

/// Who is calling, as the front door established it (`middleware::front_door`): the verified
/// principal, if the token is one mi-sim signed and valid now, and the name `systemData`
/// records.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub principal: Principal,
    pub caller: Caller,
}

impl Authenticated {
    /// Who a request without a bearer token is (the front door records nothing for it).
    pub fn of(req: &HttpRequest) -> Self {
        req.extensions()
            .get::<Self>()
            .cloned()
            .unwrap_or_else(|| Self {
                principal: Principal::Anonymous(Unverified::NoToken),
                caller: caller_from_claims(None),
            })
    }
}

/// The bearer token of a request, if it sends one.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
}

/// The claims of a JWT, read without checking anything (any bearer token is accepted in the
/// open mode, and its claims still name the caller in `systemData`).
pub fn unverified_claims(token: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// The caller `systemData` names: a user's upn, an application's appid, as ARM records them.
pub fn caller_from_claims(claims: Option<&serde_json::Map<String, serde_json::Value>>) -> Caller {
    let text = |k: &str| {
        claims
            .and_then(|c| c.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    if let Some(upn) = text("upn").or_else(|| text("unique_name")) {
        Caller {
            name: upn,
            kind: "User",
            grants: None,
        }
    } else if let Some(app) = text("appid").or_else(|| text("azp")) {
        Caller {
            name: app,
            kind: "Application",
            grants: None,
        }
    } else {
        Caller {
            name: "anonymous@mi-sim".into(),
            kind: "User",
            grants: None,
        }
    }
}

/// The conditional headers of a write, `If-Match` and `If-None-Match`.
pub struct Conditions(pub Precondition);

impl FromRequest for Conditions {
    type Error = ArmError;
    type Future = Ready<Result<Self, ArmError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        ready(Ok(Self(Precondition {
            if_match: header("if-match"),
            if_none_match: header("if-none-match"),
        })))
    }
}

/// Who is calling, for `systemData`: what the front door established.
pub struct CallerInfo(pub Caller);

impl FromRequest for CallerInfo {
    type Error = ArmError;
    type Future = Ready<Result<Self, ArmError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let mut caller = Authenticated::of(req).caller;
        caller.grants = req
            .extensions()
            .get::<std::sync::Arc<crate::domain::authorization::CallerGrants>>()
            .cloned();
        ready(Ok(Self(caller)))
    }
}

/// Path of a subscription (or of a collection directly under it).
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct SubscriptionPath {
    pub subscription_id: String,
}

/// Path of a resource group, or of a collection in one.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct GroupPath {
    pub subscription_id: String,
    pub resource_group_name: String,
}

impl GroupPath {
    pub fn parse(&self) -> Result<(SubscriptionId, ResourceGroupName), ArmError> {
        Ok((
            SubscriptionId::parse(&self.subscription_id)?,
            ResourceGroupName::parse(&self.resource_group_name)?,
        ))
    }
}

/// `$skiptoken` and `$top` of a list request.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Continuation token from a previous page's `nextLink`.
    #[serde(rename = "$skiptoken")]
    #[param(rename = "$skiptoken")]
    pub skiptoken: Option<String>,
    /// Page size (at most 1000).
    #[serde(rename = "$top")]
    #[param(rename = "$top")]
    pub top: Option<i64>,
}

/// Page size when the client does not ask for one.
pub const DEFAULT_PAGE: usize = 100;

impl ListQuery {
    /// The page size: `$top` clamped to 1..=1000, else the default.
    pub fn page_size(&self) -> Result<usize, ArmError> {
        match self.top {
            None => Ok(DEFAULT_PAGE),
            Some(n) if (1..=1000).contains(&n) => Ok(n as usize),
            Some(n) => Err(ArmError::bad_request(
                "InvalidQueryParameterValue",
                format!("The value '{n}' of query parameter '$top' is invalid. It must be between 1 and 1000."),
            )),
        }
    }

    pub fn after(&self) -> &str {
        self.skiptoken.as_deref().unwrap_or("")
    }
}

/// The absolute URL of the next page: the request's own URL (scheme and host it came in on)
/// with `$skiptoken` set, so SDK pagers follow it back to mi-sim.
pub fn next_link(req: &HttpRequest, token: &str) -> String {
    let info = req.connection_info();
    let mut query: Vec<&str> = req
        .query_string()
        .split('&')
        .filter(|p| {
            !p.is_empty()
                && !p.to_ascii_lowercase().starts_with("$skiptoken=")
                && !p.to_ascii_lowercase().starts_with("%24skiptoken=")
        })
        .collect();
    let token = serde_urlencoded::to_string([("$skiptoken", token)]).unwrap_or_default();
    query.push(&token);
    format!(
        "{}://{}{}?{}",
        info.scheme(),
        info.host(),
        req.path(),
        query.join("&")
    )
}

/// The `nextLink` of a page listed in (group, name) order across a subscription, when more
/// follow: its token is "<group key>/<name key>" of the page's last row (group names cannot
/// hold a '/').
pub fn group_name_next_link(
    req: &HttpRequest,
    more: bool,
    last: Option<(&str, &str)>,
) -> Option<String> {
    let (group, name) = last.filter(|_| more)?;
    Some(next_link(
        req,
        &format!(
            "{}/{}",
            crate::domain::names::name_key(group),
            crate::domain::names::name_key(name)
        ),
    ))
}

/// The scheme and host the request came in on, for absolute URLs mi-sim hands out.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// The subscription, group and name of a resource path, checked in the order of ARM's front
/// door: the subscription id and group name first, then the provider's rule for the name; a
/// name the provider refuses, under a subscription or group that does not exist, gets that 404
/// first.
pub async fn resource_path<T, E: Into<ArmError>>(
    state: &AppState,
    (subscription, group): (&str, &str),
    name: Result<T, E>,
) -> Result<(SubscriptionId, ResourceGroupName, T), ArmError> {
    let subscription = SubscriptionId::parse(subscription)?;
    let group = ResourceGroupName::parse(group)?;
    match name {
        Ok(name) => Ok((subscription, group, name)),
        Err(e) => {
            crate::ops::resource_groups::get(state, subscription, &group).await?;
            Err(e.into())
        }
    }
}

/// The `$skiptoken` of a list by subscription: "<group key>/<name key>".
pub fn split_token(q: &ListQuery) -> (&str, &str) {
    q.after().split_once('/').unwrap_or(("", ""))
}

/// In the enforce mode, what a subscription-wide list may show its caller: the resources its
/// role assignments let it read (ARM filters these lists rather than refusing them). In the
/// open mode, everything.
pub struct Visibility(Option<std::sync::Arc<crate::domain::authorization::CallerGrants>>);

impl Visibility {
    pub fn of(req: &HttpRequest) -> Self {
        Self(
            req.extensions()
                .get::<std::sync::Arc<crate::domain::authorization::CallerGrants>>()
                .cloned(),
        )
    }

    /// Whether the caller may read the top-level resource `name` of `resource_type` in a group.
    pub fn shows_resource(
        &self,
        subscription: SubscriptionId,
        group: &str,
        resource_type: &str,
        name: &str,
    ) -> bool {
        self.0.is_none()
            || self.shows(
                resource_type,
                &crate::domain::resource_id::ResourceId::resource(
                    subscription,
                    group,
                    resource_type,
                    name,
                ),
            )
    }

    /// Whether the caller may read the resource of type `resource_type` at `id`.
    pub fn shows(&self, resource_type: &str, id: &crate::domain::resource_id::ResourceId) -> bool {
        self.0
            .as_ref()
            .is_none_or(|g| g.allows(&format!("{resource_type}/read"), &id.key()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_version_is_found_in_any_case() {
        assert_eq!(
            query_param("a=1&API-VERSION=2021-04-01", "api-version"),
            Some("2021-04-01")
        );
        assert_eq!(query_param("a=1", "api-version"), None);
    }

    #[test]
    fn arm_and_provider_surfaces_refuse_versions_with_their_own_codes() {
        let arm = check_api_version(&catalog::RESOURCES, Some("1999-01-01")).unwrap_err();
        assert_eq!(arm.code, "InvalidApiVersionParameter");
        assert!(arm.message.contains("2025-04-01"));
        let rp =
            check_api_version(&catalog::USER_ASSIGNED_IDENTITIES, Some("1999-01-01")).unwrap_err();
        assert_eq!(rp.code, "NoRegisteredProviderFound");
        assert!(rp.message.contains("'userAssignedIdentities'"));
        let missing = check_api_version(&catalog::RESOURCES, None).unwrap_err();
        assert_eq!(missing.code, "MissingApiVersionParameter");
    }
}
