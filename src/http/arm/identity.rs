//! The `identity` object of VMs and container groups on the wire (docs/wire-contract.md, "The identity object"),
//! shared by Compute, ContainerInstance and the generic resource list.
use crate::domain::identity::{IdentityRequest, IdentityType, UserAssignedRef};
use crate::http::error::ArmError;
use crate::store::compute::ComputeRow;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// `identity` in a request. A `null` value in `userAssignedIdentities` (PATCH) removes that one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityBody {
    /// `SystemAssigned`, `UserAssigned`, `SystemAssigned, UserAssigned` or `None`, in any case.
    #[serde(rename = "type")]
    #[schema(example = "SystemAssigned, UserAssigned")]
    kind: Option<String>,
    /// ARM ids of user-assigned identities; values are `{}` (or `null` to remove one in PATCH).
    #[schema(value_type = Option<Object>)]
    user_assigned_identities: Option<Map<String, Value>>,
}

impl IdentityBody {
    pub fn into_request(self) -> Result<IdentityRequest, ArmError> {
        let raw = self.kind.ok_or_else(|| {
            ArmError::bad_request(
                "InvalidParameter",
                "The property 'type' of 'identity' is required. Use 'SystemAssigned', 'UserAssigned', 'SystemAssigned, UserAssigned' or 'None'.",
            )
            .with_target("identity.type")
        })?;
        let kind = IdentityType::parse(&raw).map_err(|e| {
            ArmError::bad_request("InvalidParameter", e.to_string()).with_target("identity.type")
        })?;
        let user_assigned = self
            .user_assigned_identities
            .unwrap_or_default()
            .into_iter()
            .map(|(id, v)| (id, !v.is_null()))
            .collect();
        Ok(IdentityRequest {
            kind,
            user_assigned,
        })
    }
}

/// `identity` in a response.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityView {
    #[serde(rename = "type")]
    #[schema(example = "SystemAssigned, UserAssigned")]
    kind: &'static str,
    /// The system-assigned identity's principal (object) id.
    #[serde(skip_serializing_if = "Option::is_none")]
    principal_id: Option<String>,
    /// The tenant of the system-assigned identity's principal.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_assigned_identities: Option<BTreeMap<String, UserAssignedView>>,
}

/// One user-assigned identity as a resource shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserAssignedView {
    principal_id: String,
    client_id: String,
}

impl IdentityView {
    /// The view of a stored identity; `None` when the resource has none.
    pub fn new(
        kind: &str,
        principal_id: Option<String>,
        tenant_id: Option<String>,
        user_assigned: Vec<UserAssignedRef>,
    ) -> Option<Self> {
        let kind = IdentityType::parse(kind).ok()?;
        if kind == IdentityType::None {
            return None;
        }
        let users: BTreeMap<String, UserAssignedView> = user_assigned
            .into_iter()
            .map(|r| {
                (
                    r.id,
                    UserAssignedView {
                        principal_id: r.principal_id,
                        client_id: r.client_id,
                    },
                )
            })
            .collect();
        Some(Self {
            kind: kind.as_str(),
            principal_id,
            tenant_id,
            user_assigned_identities: (!users.is_empty()).then_some(users),
        })
    }
}

/// The identity view of any compute resource.
pub fn identity_view(row: &ComputeRow) -> Option<IdentityView> {
    IdentityView::new(
        &row.identity_type,
        row.system_principal_id.clone(),
        row.system_tenant_id.clone(),
        row.user_assigned.0.clone(),
    )
}
