//! The `identity` object of VMs and container groups on the wire (docs/wire-contract.md, "The identity object"),
//! shared by Compute, ContainerInstance and the generic resource list.
use crate::domain::identity::{IdentityType, UserAssignedRef};
use crate::store::compute::ComputeRow;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

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
