//! Role assignments (create, read, delete, list at a scope) and role definitions (the built-in
//! ones), with Azure's rules: names are GUIDs, a (scope, principal, role) triple is assigned
//! once, the principal must exist unless `principalType` is given (Azure's documented way
//! around replication delay), and the scope must exist. Assignments go with the group or
//! resource they are on, and with a subscription transfer (R11).
use super::resource_groups::{require_group, require_subscription};
use super::{OpError, Written};
use crate::domain::authorization::Grant;
use crate::domain::names::name_key;
use crate::domain::resource_id::{key_within, ResourceId};
use crate::domain::roles::{built_in, custom_actions, role_definition_guid, AssignmentFilter};
use crate::domain::ResourceGroupName;
use crate::state::AppState;
use crate::store::{self, kinds::KINDS, roles::AssignmentRow};
use sqlx::SqliteConnection;

/// Azure's limit of role assignments per subscription.
pub const MAX_ASSIGNMENTS_PER_SUBSCRIPTION: i64 = 4000;
/// The most assignments one list returns (a subscription holds at most 4,000).
const MAX_LISTED: i64 = 5000;

/// Why a role request is refused (mapped to ARM's codes in `http::error`).
#[derive(Debug, Clone, thiserror::Error)]
pub enum RoleError {
    #[error("The role assignment ID '{0}' is not valid. The role assignment ID must be a GUID.")]
    InvalidAssignmentId(String),
    #[error("The Principal ID '{0}' is not valid. Principal ID must be a GUID.")]
    InvalidPrincipalId(String),
    #[error("Principal {principal} does not exist in the directory {tenant}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype")]
    PrincipalNotFound { principal: String, tenant: String },
    #[error("The specified role definition with ID '{0}' does not exist.")]
    RoleDefinitionDoesNotExist(String),
    #[error("The PrincipalId '{principal}' has type 'ServicePrincipal' , which is different from specified PrincipalType '{given}'.")]
    UnmatchedPrincipalType { principal: String, given: String },
    #[error("The role assignment already exists. The ID of the existing role assignment is {0}.")]
    Exists(String),
    #[error("Tenant ID, application ID, principal ID, and scope are not allowed to be updated.")]
    UpdateNotPermitted,
    #[error("The scope '{0}' is not valid for a role assignment: give a subscription, a resource group or a resource id.")]
    InvalidScope(String),
    #[error("The role assignment '{0}' could not be found.")]
    NotFound(String),
    #[error("The subscription '{0}' holds {MAX_ASSIGNMENTS_PER_SUBSCRIPTION} role assignments, the most Azure allows. Delete some first.")]
    TooMany(String),
    #[error("{0}")]
    InvalidFilter(String),
    #[error("The role definition ID '{0}' is not valid. It must be a GUID.")]
    InvalidDefinitionId(String),
    #[error("{0}")]
    InvalidDefinition(String),
    #[error("A custom role with the same name already exists in this directory.")]
    SameNameExists,
    #[error("'{0}' is a built-in role; built-in roles cannot be changed or deleted.")]
    BuiltInRole(String),
    #[error("There are existing role assignments referencing role '{0}'. Delete them first.")]
    HasAssignments(String),
}

/// What a PUT of a custom role asks for.
#[derive(Debug, Clone)]
pub struct DefinitionSpec {
    pub role_name: String,
    pub description: String,
    pub permissions: serde_json::Value,
    pub assignable_scopes: Vec<String>,
}

/// What a PUT asks for.
#[derive(Debug, Clone)]
pub struct AssignmentSpec {
    pub role_definition_id: String,
    pub principal_id: String,
    pub principal_type: Option<String>,
    pub description: Option<String>,
    pub condition: Option<String>,
    pub condition_version: Option<String>,
}

/// A scope: a subscription, a group, or a top-level resource of a kind mi-sim stores.
pub fn parse_scope(raw: &str) -> Result<ResourceId, OpError> {
    let path = format!("/{}", raw.trim_start_matches('/'));
    let id = ResourceId::parse(&path).map_err(|_| RoleError::InvalidScope(path.clone()))?;
    let ok = id.providers().is_empty() || id.is_top_level_resource();
    ok.then_some(id)
        .ok_or_else(|| RoleError::InvalidScope(path).into())
}

/// Fails unless the scope exists.
async fn require_scope(conn: &mut SqliteConnection, scope: &ResourceId) -> Result<(), OpError> {
    let sub = scope.subscription();
    let Some(group) = scope.group() else {
        return require_subscription(conn, sub).await.map(drop);
    };
    let group =
        ResourceGroupName::parse(group).map_err(|_| RoleError::InvalidScope(scope.to_string()))?;
    require_group(&mut *conn, sub, &group).await?;
    if scope.providers().is_empty() {
        return Ok(());
    }
    let missing = || OpError::ResourceNotFound {
        resource_type: "Microsoft.Resources/resources",
        name: scope.name().unwrap_or_default().to_string(),
        group: group.to_string(),
    };
    let kind = KINDS
        .iter()
        .find(|k| scope.as_resource(k.resource_type).is_some())
        .ok_or_else(missing)?;
    let name = name_key(scope.name().unwrap_or_default());
    let found =
        store::moves::present(conn, kind, (&sub.to_string(), &group.key()), &[name]).await?;
    if found.is_empty() {
        return Err(missing());
    }
    Ok(())
}

fn check_name(name: &str) -> Result<String, OpError> {
    uuid::Uuid::parse_str(name)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| RoleError::InvalidAssignmentId(name.to_string()).into())
}

/// PUT: creates the assignment (201) or, for the same content, answers it again (200).
#[tracing::instrument(skip_all, fields(scope = %scope, name))]
pub async fn put_assignment(
    state: &AppState,
    scope: &ResourceId,
    name: &str,
    spec: AssignmentSpec,
    caller: Option<String>,
) -> Result<(AssignmentRow, Written), OpError> {
    let name = check_name(name)?;
    let principal = uuid::Uuid::parse_str(&spec.principal_id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| RoleError::InvalidPrincipalId(spec.principal_id.clone()))?;
    let role_key = role_definition_guid(&spec.role_definition_id)
        .ok_or_else(|| RoleError::RoleDefinitionDoesNotExist(spec.role_definition_id.clone()))?;
    let (scope, now) = (scope.clone(), state.clock.now_text());
    let written = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                require_scope(&mut *tx, &scope).await?;
                if built_in(&role_key).is_none()
                    && store::roles::get_definition(&mut *tx, &role_key)
                        .await?
                        .is_none()
                {
                    return Err(RoleError::RoleDefinitionDoesNotExist(role_key).into());
                }
                let sub = scope.subscription().to_string();
                let scope_key = scope.key();
                if let Some(existing) = store::roles::get(&mut *tx, &name).await? {
                    let same = existing.principal_id == principal
                        && existing.scope.eq_ignore_ascii_case(&scope.to_string())
                        && role_definition_guid(&existing.role_definition_id).as_deref()
                            == Some(role_key.as_str());
                    if !same {
                        return Err(RoleError::UpdateNotPermitted.into());
                    }
                    let updated = AssignmentRow {
                        description: spec.description,
                        condition: spec.condition,
                        condition_version: spec.condition_version,
                        updated_on: now,
                        updated_by: caller,
                        ..existing
                    };
                    store::roles::update(&mut *tx, &updated).await?;
                    return Ok((updated, Written::Updated));
                }
                if let Some(other) =
                    store::roles::find_same(&mut *tx, (&scope_key, &principal, &role_key)).await?
                {
                    return Err(RoleError::Exists(other.replace('-', "")).into());
                }
                let tenant = store::subscriptions::get(&mut *tx, &sub)
                    .await?
                    .map(|s| s.tenant_id)
                    .unwrap_or_default();
                let known = store::principals::tenant_of(&mut *tx, &principal).await?;
                let principal_type = match spec.principal_type {
                    // Every principal mi-sim knows is a service principal (managed identities
                    // and applications); Azure checks a given type against the directory.
                    Some(t) if known.is_some() && !t.eq_ignore_ascii_case("ServicePrincipal") => {
                        return Err(RoleError::UnmatchedPrincipalType {
                            principal: principal.replace('-', ""),
                            given: t,
                        }
                        .into());
                    }
                    Some(t) => t,
                    None => {
                        // Without a principalType Azure looks the principal up in the
                        // subscription's directory first.
                        if !known.is_some_and(|t| t.eq_ignore_ascii_case(&tenant)) {
                            return Err(RoleError::PrincipalNotFound {
                                principal: principal.replace('-', ""),
                                tenant,
                            }
                            .into());
                        }
                        "ServicePrincipal".to_string()
                    }
                };
                if store::roles::count_in_subscription(&mut *tx, &sub).await?
                    >= MAX_ASSIGNMENTS_PER_SUBSCRIPTION
                {
                    return Err(RoleError::TooMany(sub).into());
                }
                let row = AssignmentRow {
                    name,
                    scope: scope.to_string(),
                    role_definition_id: spec.role_definition_id,
                    principal_id: principal,
                    principal_type,
                    description: spec.description,
                    condition: spec.condition,
                    condition_version: spec.condition_version,
                    created_on: now.clone(),
                    updated_on: now,
                    created_by: caller.clone(),
                    updated_by: caller,
                };
                store::roles::insert(&mut *tx, &row, (&scope_key, Some(&sub), &role_key)).await?;
                Ok((row, Written::Created))
            })
        })
        .await;
    state.grants.invalidate();
    written
}

/// The assignment with this name at this scope.
pub async fn get_assignment(
    state: &AppState,
    scope: &ResourceId,
    name: &str,
) -> Result<AssignmentRow, OpError> {
    let name = check_name(name)?;
    let mut conn = state.store.read().await?;
    match store::roles::get(&mut conn, &name).await? {
        Some(a) if a.scope.eq_ignore_ascii_case(&scope.to_string()) => Ok(a),
        _ => {
            require_scope(&mut conn, scope).await?;
            Err(RoleError::NotFound(name).into())
        }
    }
}

/// DELETE: the deleted assignment, or `None` when there was none (204).
pub async fn delete_assignment(
    state: &AppState,
    scope: &ResourceId,
    name: &str,
) -> Result<Option<AssignmentRow>, OpError> {
    let name = check_name(name)?;
    let scope = scope.clone();
    let deleted = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                match store::roles::get(&mut *tx, &name).await? {
                    Some(a) if a.scope.eq_ignore_ascii_case(&scope.to_string()) => {
                        store::roles::delete(&mut *tx, &name).await?;
                        Ok(Some(a))
                    }
                    _ => Ok(None),
                }
            })
        })
        .await;
    state.grants.invalidate();
    deleted
}

/// The assignments that apply at a scope, above and (unless `atScope()`) below it.
pub async fn list_assignments(
    state: &AppState,
    scope: &ResourceId,
    filter: &AssignmentFilter,
) -> Result<Vec<AssignmentRow>, OpError> {
    let mut conn = state.store.read().await?;
    require_scope(&mut conn, scope).await?;
    Ok(store::roles::list_for_scope(
        &mut conn,
        &scope.key(),
        filter.at_scope,
        filter.principal.as_deref(),
        MAX_LISTED,
    )
    .await?)
}

/// Fails unless the scope a role definition is read at exists (definitions are global).
pub async fn check_definition_scope(
    state: &AppState,
    scope: Option<&ResourceId>,
) -> Result<(), OpError> {
    match scope {
        Some(s) => require_scope(&mut *state.store.read().await?, s).await,
        None => Ok(()),
    }
}

fn check_definition_id(id: &str) -> Result<String, OpError> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| RoleError::InvalidDefinitionId(id.to_string()).into())
}

/// PUT of a custom role: 201, or 200 when it existed. Each assignable scope must exist.
#[tracing::instrument(skip_all, fields(scope = %scope, id))]
pub async fn put_definition(
    state: &AppState,
    scope: &ResourceId,
    id: &str,
    spec: DefinitionSpec,
    caller: Option<String>,
) -> Result<(store::roles::DefinitionRow, Written), OpError> {
    let name = check_definition_id(id)?;
    if built_in(&name).is_some() {
        return Err(RoleError::BuiltInRole(name).into());
    }
    crate::domain::roles::check_custom_role(
        &spec.role_name,
        &spec.permissions,
        &spec.assignable_scopes,
    )
    .map_err(RoleError::InvalidDefinition)?;
    let mut scopes = Vec::with_capacity(spec.assignable_scopes.len());
    for raw in &spec.assignable_scopes {
        scopes.push(parse_scope(raw)?);
    }
    let (scope, now) = (scope.clone(), state.clock.now_text());
    let done = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                for s in &scopes {
                    require_scope(&mut *tx, s).await?;
                }
                if crate::domain::roles::BUILT_IN_ROLES
                    .iter()
                    .any(|r| r.name.eq_ignore_ascii_case(spec.role_name.trim()))
                {
                    return Err(RoleError::SameNameExists.into());
                }
                if let Some(other) =
                    store::roles::definition_named(&mut *tx, spec.role_name.trim()).await?
                {
                    if other != name {
                        return Err(RoleError::SameNameExists.into());
                    }
                }
                let existing = store::roles::get_definition(&mut *tx, &name).await?;
                let written = if existing.is_some() {
                    Written::Updated
                } else {
                    Written::Created
                };
                let row = store::roles::DefinitionRow {
                    name: name.clone(),
                    scope: existing
                        .as_ref()
                        .map_or_else(|| scope.to_string(), |e| e.scope.clone()),
                    role_name: spec.role_name.trim().to_string(),
                    description: spec.description,
                    permissions: sqlx::types::Json(spec.permissions),
                    assignable_scopes: sqlx::types::Json(
                        scopes.iter().map(ResourceId::to_string).collect(),
                    ),
                    created_on: existing
                        .as_ref()
                        .map_or_else(|| now.clone(), |e| e.created_on.clone()),
                    updated_on: now,
                    created_by: existing
                        .as_ref()
                        .map_or_else(|| caller.clone(), |e| e.created_by.clone()),
                    updated_by: caller,
                };
                store::roles::upsert_definition(&mut *tx, &row).await?;
                Ok((row, written))
            })
        })
        .await;
    // Assignments of this role now grant what it says.
    state.grants.invalidate();
    done
}

/// A custom role, if there is one with this id.
pub async fn custom_definition(
    state: &AppState,
    id: &str,
) -> Result<Option<store::roles::DefinitionRow>, OpError> {
    let Ok(name) = check_definition_id(id) else {
        return Ok(None);
    };
    Ok(store::roles::get_definition(&mut *state.store.read().await?, &name).await?)
}

/// Every custom role assignable at `scope` (one of its assignable scopes is at or above it).
pub async fn custom_definitions(
    state: &AppState,
    scope: Option<&ResourceId>,
) -> Result<Vec<store::roles::DefinitionRow>, OpError> {
    let all = store::roles::list_definitions(&mut *state.store.read().await?).await?;
    let key = scope.map(ResourceId::key);
    Ok(all
        .into_iter()
        .filter(|d| {
            key.as_deref().is_none_or(|k| {
                d.assignable_scopes
                    .0
                    .iter()
                    .any(|s| key_within(k, &s.to_lowercase()))
            })
        })
        .collect())
}

/// DELETE of a custom role: the deleted role, or `None` when there was none. A role that
/// assignments still name is kept (409).
pub async fn delete_definition(
    state: &AppState,
    id: &str,
) -> Result<Option<store::roles::DefinitionRow>, OpError> {
    let name = check_definition_id(id)?;
    if built_in(&name).is_some() {
        return Err(RoleError::BuiltInRole(name).into());
    }
    let done = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let Some(row) = store::roles::get_definition(&mut *tx, &name).await? else {
                    return Ok(None);
                };
                if store::roles::assignments_of_role(&mut *tx, &name).await? > 0 {
                    return Err(RoleError::HasAssignments(row.role_name).into());
                }
                store::roles::delete_definition(&mut *tx, &name).await?;
                Ok(Some(row))
            })
        })
        .await;
    state.grants.invalidate();
    done
}

/// What a principal's role assignments let it do, at most `limit` of them: each assignment's
/// scope with its role's actions (built-in or custom). The enforce mode caches the answer.
pub async fn grants_of(
    state: &AppState,
    principal: &str,
    limit: i64,
) -> Result<Vec<Grant>, OpError> {
    let rows = store::roles::grants_of_principal(&mut *state.store.read().await?, principal, limit)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(scope_key, role_key, custom)| {
            let (role_name, actions, not_actions) = match (custom, built_in(&role_key)) {
                (Some(perms), _) => {
                    let (a, n) = custom_actions(&perms.0);
                    (role_key.clone(), a, n)
                }
                (None, Some(role)) => (
                    role.name.to_string(),
                    role.permission
                        .actions
                        .iter()
                        .map(|a| a.to_string())
                        .collect(),
                    role.permission
                        .not_actions
                        .iter()
                        .map(|a| a.to_string())
                        .collect(),
                ),
                (None, None) => return None,
            };
            Some(Grant {
                scope_key,
                role_name,
                actions,
                not_actions,
            })
        })
        .collect())
}
