//! One function per operation. Each loads state, asks the rules in `domain`, saves through
//! `store`, all in one transaction; the HTTP layer only parses and shapes answers.
pub mod applications;
pub mod bootstrap;
pub mod compute;
pub mod deployments;
pub mod directory;
pub mod export;
pub mod extensions;
pub mod faults;
pub mod health;
pub mod identities;
pub mod moves;
pub mod resource_groups;
pub mod resources;
pub mod roles;
pub mod rules;
pub mod snapshots;
pub mod specs;
pub mod tokens;

/// Why an operation did not happen. `http::error` maps each variant to ARM's status and code.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("The subscription '{0}' could not be found.")]
    SubscriptionNotFound(String),
    #[error("Resource group '{0}' could not be found.")]
    ResourceGroupNotFound(String),
    #[error("The Resource '{resource_type}/{name}' under resource group '{group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix")]
    ResourceNotFound {
        resource_type: &'static str,
        name: String,
        group: String,
    },
    #[error("Invalid resource group location '{requested}'. The Resource group already exists in location '{existing}'.")]
    GroupLocationConflict { requested: String, existing: String },
    #[error("The resource '{name}' already exists in location '{existing}' in resource group '{group}'. A resource with the same name cannot be created in location '{requested}'. Please select a new resource name.")]
    ResourceLocationConflict {
        name: String,
        group: String,
        existing: String,
        requested: String,
    },
    #[error("The tenant '{0}' does not exist. Create it first with POST /simulator/tenants.")]
    TenantNotFound(String),
    #[error("A tenant with id '{0}' already exists.")]
    TenantExists(String),
    #[error("The subscription '{subscription}' trusts tenant '{tenant}'. Moving it to another tenant is a transfer: POST /simulator/subscriptions/{subscription}/transfer with {{\"targetTenantId\": \"...\"}}.")]
    TenantChangeIsATransfer {
        subscription: String,
        tenant: String,
    },
    #[error("The operation '{0}' could not be found.")]
    OperationNotFound(String),
    /// An identity request the rules refuse (type, user-assigned ids).
    #[error("{0}")]
    Identity(#[from] crate::domain::identity::IdentityViolation),
    /// Azure's wrapper for a failed identity operation: a user-assigned identity that does not
    /// exist, or too many of them (docs/wire-contract.md, "Identity errors").
    #[error("Identity operation for resource '{resource}' failed with error 'Failed to perform resource identity operation. Status: 'BadRequest'. Response: '{{\"error\":{{\"code\":\"BadRequest\",\"message\":\"{inner}\"}}}}'.'.")]
    FailedIdentityOperation { resource: String, inner: String },
    /// A container-group rule (R16) refuses the request.
    #[error("{0}")]
    Rule(#[from] crate::domain::rules::RuleViolation),
    #[error("There is no switchable rule '{0}'. GET /simulator/rules lists them.")]
    RuleNotFound(String),
    #[error("The condition specified using HTTP conditional header(s) is not met.")]
    PreconditionFailed,
    /// A move request ARM refuses before looking anything up.
    #[error("{0}")]
    MoveRequest(#[from] crate::domain::moves::MoveRequestError),
    #[error("The resource '{id}' to move was not found in resource group '{group}'. List only resources that are in the source group.")]
    MoveResourceNotFound { id: String, group: String },
    #[error("The target resource group '{0}' could not be found. Create it first, or name an existing group in 'targetResourceGroup'.")]
    MoveTargetNotFound(String),
    #[error("The client has permission to move resources out of '{from}', however the current tenant '{tenant}' is not authorized to access linked subscription '{target}'. Resources move only between subscriptions of one tenant.")]
    MoveAcrossTenants {
        from: String,
        tenant: String,
        target: String,
    },
    #[error("The target resource group already holds '{0}'. Delete or rename the resource there, or move to another group.")]
    MoveTargetTaken(String),
    #[error("The scope '{scope}' cannot perform write operation because a move of resources (operation '{operation}') holds it until {until}. Wait until the move is done and try again.")]
    ScopeLocked {
        scope: String,
        operation: String,
        until: String,
    },
    /// A role assignment or definition request Azure refuses.
    #[error("{0}")]
    Role(#[from] roles::RoleError),
    /// A parameter Compute or the control API refuses, named in `target`.
    /// A snapshot name already in use.
    #[error("There is a snapshot '{0}' already; delete it first (DELETE /simulator/snapshots/{0}) or pick another name.")]
    SnapshotExists(String),
    #[error("{message}")]
    InvalidParameter {
        target: &'static str,
        message: String,
    },
    /// R13: assigning a user-assigned identity needs its `assign/action` too.
    #[error("The client '{client}' with object id '{object_id}' has permission to perform action '{action}' on scope '{scope}'; however, it does not have permission to perform action 'Microsoft.ManagedIdentity/userAssignedIdentities/assign/action' on the linked scope(s) '{linked}' or the linked scope(s) are invalid.")]
    LinkedAuthorizationFailed {
        client: String,
        object_id: String,
        action: String,
        scope: String,
        linked: String,
    },
    #[error("database error")]
    Internal(#[from] sqlx::Error),
    /// Stored state that breaks one of mi-sim's own invariants (a tenant id that is not a
    /// GUID, a subscription that changed under a write): a bug, never the client's fault.
    #[error("inconsistent state: {0}")]
    Inconsistent(String),
}

impl OpError {
    pub fn failed_identity_operation(resource: &str, inner: &str) -> Self {
        Self::FailedIdentityOperation {
            resource: resource.to_string(),
            inner: inner.to_string(),
        }
    }
}

/// Who made a change, as `systemData` records it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub name: String,
    /// `User`, `Application`, `ManagedIdentity` or `Key`.
    pub kind: &'static str,
    /// In the enforce mode, what the caller's role assignments grant: an operation that links
    /// another resource (a user-assigned identity on a VM) checks it there (R13).
    pub grants: Option<std::sync::Arc<crate::domain::authorization::CallerGrants>>,
}

/// Whether a PUT made something new or replaced what was there (201 vs 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
}

/// Splits rows fetched with a limit of `page + 1` into one page and whether more follow, so a
/// list needs one query per page and no count.
pub(crate) fn into_page<T>(mut rows: Vec<T>, page: usize) -> (Vec<T>, bool) {
    let more = rows.len() > page;
    rows.truncate(page);
    (rows, more)
}
