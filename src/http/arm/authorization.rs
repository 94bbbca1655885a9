//! Microsoft.Authorization (`authorization-RoleAssignmentsCalls.json`,
//! `authorization-RoleDefinitionsCalls.json`, 2022-04-01): role assignments at any scope
//! (subscription, group, resource) and the built-in role definitions, as az CLI, the SDKs and
//! Ansible call them. `{scope}` is the rest of the path before `/providers/Microsoft.Authorization`.
use crate::domain::resource_id::ResourceId;
use crate::domain::roles::{
    built_in, parse_assignment_filter, parse_definition_filter, BuiltInRole, BUILT_IN_CREATED_ON,
    BUILT_IN_ROLES,
};
use crate::http::error::{ArmError, ArmErrorResponse};
use crate::http::extract::{ApiVersion, ApiVersionParam, Authenticated, Authorization};
use crate::http::{json, put_status};
use crate::ops::roles::{self as ops, AssignmentSpec, RoleError};
use crate::state::AppState;
use crate::store::roles::{AssignmentRow, DefinitionRow};
use actix_web::http::StatusCode;
use actix_web::{delete, get, put, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::{IntoParams, ToSchema};

type Versions = ApiVersion<Authorization>;

/// Path of one role assignment.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct AssignmentPath {
    /// A subscription, group or resource id, without the leading `/`.
    scope: String,
    role_assignment_name: String,
}

/// Path of a scope's role assignments or definitions.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ScopePath {
    /// A subscription, group or resource id, without the leading `/`.
    scope: String,
}

/// Path of one role definition at a scope.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct DefinitionPath {
    /// A subscription, group or resource id, without the leading `/`.
    scope: String,
    role_definition_id: String,
}

/// Path of one role definition at the tenant (`/providers/...`).
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct TenantDefinitionPath {
    role_definition_id: String,
}

/// The body of a PUT (`RoleAssignmentCreateParameters`).
#[derive(Deserialize, ToSchema)]
pub struct RoleAssignmentCreate {
    properties: RoleAssignmentCreateProperties,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentCreateProperties {
    #[schema(
        example = "/subscriptions/22222222-2222-4222-8222-222222222222/providers/Microsoft.Authorization/roleDefinitions/acdd72a7-3385-48ef-bd42-f606fba81ae7"
    )]
    role_definition_id: String,
    /// The object id of the principal (a managed identity's `principalId`).
    principal_id: String,
    /// `ServicePrincipal` for managed identities and applications; when given, the principal
    /// is not looked up (Azure's way around replication delay).
    principal_type: Option<String>,
    description: Option<String>,
    condition: Option<String>,
    condition_version: Option<String>,
}

/// A role assignment.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignment {
    id: String,
    name: String,
    #[serde(rename = "type")]
    #[schema(example = "Microsoft.Authorization/roleAssignments")]
    resource_type: &'static str,
    #[schema(value_type = Object)]
    properties: Value,
}

impl From<AssignmentRow> for RoleAssignment {
    fn from(a: AssignmentRow) -> Self {
        Self {
            id: format!(
                "{}/providers/Microsoft.Authorization/roleAssignments/{}",
                a.scope, a.name
            ),
            name: a.name,
            resource_type: "Microsoft.Authorization/roleAssignments",
            // Azure writes every property, null where unset.
            properties: json!({
                "roleDefinitionId": a.role_definition_id,
                "principalId": a.principal_id,
                "principalType": a.principal_type,
                "scope": a.scope,
                "condition": a.condition,
                "conditionVersion": a.condition_version,
                "createdOn": a.created_on,
                "updatedOn": a.updated_on,
                "createdBy": a.created_by,
                "updatedBy": a.updated_by,
                "delegatedManagedIdentityResourceId": null,
                "description": a.description,
            }),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RoleAssignmentList {
    value: Vec<RoleAssignment>,
}

/// A role definition.
#[derive(Serialize, ToSchema)]
pub struct RoleDefinition {
    id: String,
    name: String,
    #[serde(rename = "type")]
    #[schema(example = "Microsoft.Authorization/roleDefinitions")]
    resource_type: &'static str,
    #[schema(value_type = Object)]
    properties: Value,
}

impl RoleDefinition {
    /// A built-in role as read at `scope` (its id carries the subscription when read there).
    fn new(r: &'static BuiltInRole, scope: Option<&ResourceId>) -> Self {
        let prefix = scope
            .map(|s| ResourceId::subscription_scope(s.subscription()).to_string())
            .unwrap_or_default();
        let p = &r.permission;
        Self {
            id: format!(
                "{prefix}/providers/Microsoft.Authorization/roleDefinitions/{}",
                r.id
            ),
            name: r.id.to_string(),
            resource_type: "Microsoft.Authorization/roleDefinitions",
            properties: json!({
                "roleName": r.name,
                "type": "BuiltInRole",
                "description": r.description,
                "assignableScopes": ["/"],
                "permissions": [{"actions": p.actions, "notActions": p.not_actions,
                                 "dataActions": p.data_actions, "notDataActions": p.not_data_actions}],
                "createdOn": BUILT_IN_CREATED_ON,
                "updatedOn": BUILT_IN_CREATED_ON,
                "createdBy": null,
                "updatedBy": null,
            }),
        }
    }
}

impl From<DefinitionRow> for RoleDefinition {
    fn from(d: DefinitionRow) -> Self {
        Self {
            id: format!(
                "{}/providers/Microsoft.Authorization/roleDefinitions/{}",
                d.scope, d.name
            ),
            name: d.name,
            resource_type: "Microsoft.Authorization/roleDefinitions",
            properties: json!({
                "roleName": d.role_name,
                "type": "CustomRole",
                "description": d.description,
                "assignableScopes": d.assignable_scopes.0,
                "permissions": d.permissions.0,
                "createdOn": d.created_on,
                "updatedOn": d.updated_on,
                "createdBy": d.created_by,
                "updatedBy": d.updated_by,
            }),
        }
    }
}

/// The body of a custom role's PUT (`RoleDefinition`).
#[derive(Deserialize, ToSchema)]
pub struct RoleDefinitionCreate {
    properties: RoleDefinitionCreateProperties,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RoleDefinitionCreateProperties {
    role_name: String,
    #[serde(default)]
    description: Option<String>,
    /// `[{"actions": [...], "notActions": [...], "dataActions": [...], "notDataActions": [...]}]`.
    #[schema(value_type = Vec<Object>)]
    permissions: Value,
    #[serde(default)]
    assignable_scopes: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RoleDefinitionList {
    value: Vec<RoleDefinition>,
}

/// `$filter` of a list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoleFilterQuery {
    /// Assignments: `atScope()`, `principalId eq '{id}'`, `assignedTo('{id}')`; definitions:
    /// `roleName eq '{name}'`, `type eq 'BuiltInRole'`.
    #[serde(rename = "$filter")]
    #[param(rename = "$filter")]
    pub filter: Option<String>,
}

/// `$filter`, decoded (clients send it raw, `+`- or `%20`-encoded).
fn filter_of(req: &HttpRequest) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .ok()?
        .into_iter()
        .find(|(k, _)| k == "$filter")
        .map(|(_, v)| v)
}

/// The object id of the caller, when mi-sim signed its token (`createdBy`).
fn caller_oid(req: &HttpRequest) -> Option<String> {
    match Authenticated::of(req).principal {
        crate::domain::authorization::Principal::Verified(p) => Some(p.object_id),
        crate::domain::authorization::Principal::Anonymous(_) => None,
    }
}

/// Create a role assignment: 201, or 200 for the same content again.
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleAssignments_Create",
    params(AssignmentPath, ApiVersionParam), request_body = RoleAssignmentCreate,
    responses((status = 200, body = RoleAssignment), (status = 201, body = RoleAssignment), (status = "default", body = ArmErrorResponse))
)]
#[put("/{scope:.*}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}")]
pub async fn role_assignments_create(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<AssignmentPath>,
    _version: Versions,
    body: web::Json<RoleAssignmentCreate>,
) -> Result<HttpResponse, ArmError> {
    let scope = ops::parse_scope(&path.scope)?;
    let p = body.into_inner().properties;
    let spec = AssignmentSpec {
        role_definition_id: p.role_definition_id,
        principal_id: p.principal_id,
        principal_type: p.principal_type,
        description: p.description,
        condition: p.condition,
        condition_version: p.condition_version,
    };
    let (row, written) = ops::put_assignment(
        &state,
        &scope,
        &path.role_assignment_name,
        spec,
        caller_oid(&req),
    )
    .await?;
    let status = put_status(written);
    Ok(json(status, &RoleAssignment::from(row)))
}

/// Get a role assignment (also by its full id).
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleAssignments_Get",
    params(AssignmentPath, ApiVersionParam),
    responses((status = 200, body = RoleAssignment), (status = "default", body = ArmErrorResponse))
)]
#[get("/{scope:.*}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}")]
pub async fn role_assignments_get(
    state: web::Data<AppState>,
    path: web::Path<AssignmentPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let scope = ops::parse_scope(&path.scope)?;
    let row = ops::get_assignment(&state, &scope, &path.role_assignment_name).await?;
    Ok(json(StatusCode::OK, &RoleAssignment::from(row)))
}

/// Delete a role assignment: 200 with it, or 204 when there is none.
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleAssignments_Delete",
    params(AssignmentPath, ApiVersionParam),
    responses((status = 200, body = RoleAssignment), (status = 204, description = "No such assignment"),
              (status = "default", body = ArmErrorResponse))
)]
#[delete("/{scope:.*}/providers/Microsoft.Authorization/roleAssignments/{roleAssignmentName}")]
pub async fn role_assignments_delete(
    state: web::Data<AppState>,
    path: web::Path<AssignmentPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let scope = ops::parse_scope(&path.scope)?;
    Ok(
        match ops::delete_assignment(&state, &scope, &path.role_assignment_name).await? {
            Some(row) => json(StatusCode::OK, &RoleAssignment::from(row)),
            None => HttpResponse::NoContent().finish(),
        },
    )
}

/// List the role assignments that apply at a scope: at it, above it and (without `atScope()`)
/// below it.
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleAssignments_ListForScope",
    params(ScopePath, ApiVersionParam, RoleFilterQuery),
    responses((status = 200, body = RoleAssignmentList), (status = "default", body = ArmErrorResponse))
)]
#[get("/{scope:.*}/providers/Microsoft.Authorization/roleAssignments")]
pub async fn role_assignments_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<ScopePath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let scope = ops::parse_scope(&path.scope)?;
    let filter = parse_assignment_filter(filter_of(&req).as_deref())
        .map_err(|e| crate::ops::OpError::from(RoleError::InvalidFilter(e)))?;
    let value = ops::list_assignments(&state, &scope, &filter)
        .await?
        .into_iter()
        .map(RoleAssignment::from)
        .collect();
    Ok(json(StatusCode::OK, &RoleAssignmentList { value }))
}

async fn definition(
    state: &AppState,
    id: &str,
    scope: Option<&ResourceId>,
) -> Result<HttpResponse, ArmError> {
    if let Some(r) = built_in(id) {
        return Ok(json(StatusCode::OK, &RoleDefinition::new(r, scope)));
    }
    match ops::custom_definition(state, id).await? {
        Some(d) => Ok(json(StatusCode::OK, &RoleDefinition::from(d))),
        None => Err(ArmError::new(
            StatusCode::NOT_FOUND,
            "RoleDefinitionDoesNotExist",
            format!(
                "The specified role definition with ID '{}' does not exist.",
                id.replace('-', "")
            ),
        )),
    }
}

async fn definitions(
    state: &AppState,
    req: &HttpRequest,
    scope: Option<&ResourceId>,
) -> Result<HttpResponse, ArmError> {
    let f = parse_definition_filter(filter_of(req).as_deref())
        .map_err(|e| crate::ops::OpError::from(RoleError::InvalidFilter(e)))?;
    let named = |n: &str| {
        f.role_name
            .as_deref()
            .is_none_or(|want| n.eq_ignore_ascii_case(want))
    };
    let mut value: Vec<RoleDefinition> = BUILT_IN_ROLES
        .iter()
        .filter(|_| f.built_in != Some(false))
        .filter(|r| named(r.name))
        .map(|r| RoleDefinition::new(r, scope))
        .collect();
    if f.built_in != Some(true) {
        value.extend(
            ops::custom_definitions(state, scope)
                .await?
                .into_iter()
                .filter(|d| named(&d.role_name))
                .map(RoleDefinition::from),
        );
    }
    Ok(json(StatusCode::OK, &RoleDefinitionList { value }))
}

/// Create or update a custom role: 201, or 200 when it existed. Built-in roles cannot change.
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleDefinitions_CreateOrUpdate",
    params(DefinitionPath, ApiVersionParam), request_body = RoleDefinitionCreate,
    responses((status = 200, body = RoleDefinition), (status = 201, body = RoleDefinition), (status = "default", body = ArmErrorResponse))
)]
#[put("/{scope:.*}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}")]
pub async fn role_definitions_create_or_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<DefinitionPath>,
    _version: Versions,
    body: web::Json<RoleDefinitionCreate>,
) -> Result<HttpResponse, ArmError> {
    let scope = ops::parse_scope(&path.scope)?;
    let p = body.into_inner().properties;
    let spec = ops::DefinitionSpec {
        role_name: p.role_name,
        description: p.description.unwrap_or_default(),
        permissions: p.permissions,
        assignable_scopes: p.assignable_scopes,
    };
    let (row, written) = ops::put_definition(
        &state,
        &scope,
        &path.role_definition_id,
        spec,
        caller_oid(&req),
    )
    .await?;
    let status = put_status(written);
    Ok(json(status, &RoleDefinition::from(row)))
}

/// Delete a custom role: 200 with it, or 204 when there is none; 409 while assignments name it.
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleDefinitions_Delete",
    params(DefinitionPath, ApiVersionParam),
    responses((status = 200, body = RoleDefinition), (status = 204, description = "No such role"),
              (status = "default", body = ArmErrorResponse))
)]
#[delete("/{scope:.*}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}")]
pub async fn role_definitions_delete(
    state: web::Data<AppState>,
    path: web::Path<DefinitionPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    ops::parse_scope(&path.scope)?;
    Ok(
        match ops::delete_definition(&state, &path.role_definition_id).await? {
            Some(row) => json(StatusCode::OK, &RoleDefinition::from(row)),
            None => HttpResponse::NoContent().finish(),
        },
    )
}

/// Get a role definition at a scope.
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleDefinitions_Get",
    params(DefinitionPath, ApiVersionParam),
    responses((status = 200, body = RoleDefinition), (status = "default", body = ArmErrorResponse))
)]
#[get("/{scope:.*}/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}")]
pub async fn role_definitions_get(
    state: web::Data<AppState>,
    path: web::Path<DefinitionPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let scope = ops::parse_scope(&path.scope)?;
    ops::check_definition_scope(&state, Some(&scope)).await?;
    definition(&state, &path.role_definition_id, Some(&scope)).await
}

/// List the role definitions usable at a scope; `roleName eq '...'` is how az resolves `--role`.
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleDefinitions_List",
    params(ScopePath, ApiVersionParam, RoleFilterQuery),
    responses((status = 200, body = RoleDefinitionList), (status = "default", body = ArmErrorResponse))
)]
#[get("/{scope:.*}/providers/Microsoft.Authorization/roleDefinitions")]
pub async fn role_definitions_list(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<ScopePath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    let scope = ops::parse_scope(&path.scope)?;
    ops::check_definition_scope(&state, Some(&scope)).await?;
    definitions(&state, &req, Some(&scope)).await
}

/// Get a role definition by its tenant-level id.
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleDefinitions_GetById",
    params(TenantDefinitionPath, ApiVersionParam),
    responses((status = 200, body = RoleDefinition), (status = "default", body = ArmErrorResponse))
)]
#[get("/providers/Microsoft.Authorization/roleDefinitions/{roleDefinitionId}")]
pub async fn role_definitions_get_by_id(
    state: web::Data<AppState>,
    path: web::Path<TenantDefinitionPath>,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    definition(&state, &path.role_definition_id, None).await
}

/// List the role definitions at the tenant.
#[utoipa::path(
    tag = "Authorization", operation_id = "RoleDefinitions_ListAtTenant",
    params(ApiVersionParam, RoleFilterQuery),
    responses((status = 200, body = RoleDefinitionList), (status = "default", body = ArmErrorResponse))
)]
#[get("/providers/Microsoft.Authorization/roleDefinitions")]
pub async fn role_definitions_list_at_tenant(
    state: web::Data<AppState>,
    req: HttpRequest,
    _version: Versions,
) -> Result<HttpResponse, ArmError> {
    definitions(&state, &req, None).await
}

pub fn configure(cfg: &mut impl crate::http::Routes) {
    cfg.service(role_definitions_get_by_id)
        .service(role_definitions_list_at_tenant)
        .service(role_assignments_create)
        .service(role_assignments_get)
        .service(role_assignments_delete)
        .service(role_assignments_list)
        .service(role_definitions_get)
        .service(role_definitions_list)
        .service(role_definitions_create_or_update)
        .service(role_definitions_delete);
}
