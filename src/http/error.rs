//! The ARM error envelope, and the one table that gives every failure its status and code
//! (docs/wire-contract.md, "Error codes"). Nothing else in mi-sim chooses an HTTP status for an error.
use crate::domain::filter::FilterError;
use crate::domain::identity::IdentityViolation;
use crate::domain::rules::RuleViolation;
use crate::domain::{IdError, NameError, TagError};
use crate::ops::specs::BodyError;
use crate::ops::OpError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// An error as ARM sends it: `{"error": {"code", "message", "target"?}}` with a status.
#[derive(Debug, Clone)]
pub struct ArmError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub target: Option<String>,
    /// mi-sim's own hint (the rule, how to lift it), kept out of Azure's message.
    pub hint: Option<String>,
}

/// The ARM error envelope (common-types `ErrorResponse`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ArmErrorResponse {
    pub error: ArmErrorDetail,
}

/// One error: a PascalCase code, a message that says what to fix, and optionally its target.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArmErrorDetail {
    #[schema(example = "ResourceGroupNotFound")]
    pub code: String,
    #[schema(example = "Resource group 'rg1' could not be found.")]
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// ARM's `additionalInfo`: here, mi-sim's hint as `{"type": "MiSimHint", "info": {"hint"}}`.
    #[serde(rename = "additionalInfo", skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub additional_info: Option<serde_json::Value>,
}

impl ArmError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            target: None,
            hint: None,
        }
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    /// 400 `InvalidRequestContent`, with the parser's words about what was wrong.
    pub fn invalid_request_content(detail: impl fmt::Display) -> Self {
        BodyError::invalid_request_content(detail).into()
    }

    /// 400 `LocationRequired`: a PUT without `location`.
    pub fn location_required() -> Self {
        BodyError::location_required().into()
    }

    /// 404 for a path mi-sim does not serve.
    pub fn no_route(method: &str, path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("mi-sim serves no '{method}' operation at '{path}'. The operations it serves are listed at /openapi.json and /docs."),
        )
    }

    fn body(&self) -> ArmErrorResponse {
        ArmErrorResponse {
            error: ArmErrorDetail {
                code: self.code.to_string(),
                message: self.message.clone(),
                target: self.target.clone(),
                additional_info: self
                    .hint
                    .as_ref()
                    .map(|hint| serde_json::json!([{"type": "MiSimHint", "info": {"hint": hint}}])),
            },
        }
    }
}

impl fmt::Display for ArmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl ResponseError for ArmError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = super::json(self.status, &self.body());
        if let Some(rule) = journaled_rule(self.code) {
            res.extensions_mut().insert(Refused {
                code: self.code,
                rule,
            });
        }
        res
    }
}

/// An ARM refusal the front door writes to the journal (`/simulator/journal`): the error code
/// and the rule that decided it. The enforce mode's own refusals are journaled where they are
/// made (`http::enforce`).
#[derive(Debug, Clone, Copy)]
pub struct Refused {
    pub code: &'static str,
    pub rule: &'static str,
}

/// The refusals decided by a rule, with that rule.
fn journaled_rule(code: &str) -> Option<&'static str> {
    match code {
        "LinkedAuthorizationFailed" => Some("R13"),
        _ => None,
    }
}

impl From<OpError> for ArmError {
    fn from(e: OpError) -> Self {
        let message = e.to_string();
        let (status, code) = match &e {
            OpError::SubscriptionNotFound(_) => (StatusCode::NOT_FOUND, "SubscriptionNotFound"),
            OpError::ResourceGroupNotFound(_) => (StatusCode::NOT_FOUND, "ResourceGroupNotFound"),
            OpError::ResourceNotFound { .. } => (StatusCode::NOT_FOUND, "ResourceNotFound"),
            OpError::GroupLocationConflict { .. } => {
                (StatusCode::CONFLICT, "InvalidResourceGroupLocation")
            }
            OpError::ResourceLocationConflict { .. } => {
                (StatusCode::CONFLICT, "InvalidResourceLocation")
            }
            OpError::TenantNotFound(_) => (StatusCode::NOT_FOUND, "TenantNotFound"),
            OpError::TenantExists(_) => (StatusCode::CONFLICT, "TenantAlreadyExists"),
            OpError::SnapshotExists(_) => (StatusCode::CONFLICT, "SnapshotExists"),
            OpError::TenantChangeIsATransfer { .. } => {
                (StatusCode::CONFLICT, "UseSubscriptionTransfer")
            }
            OpError::OperationNotFound(_) => (StatusCode::NOT_FOUND, "OperationNotFound"),
            OpError::Identity(v) => (StatusCode::BAD_REQUEST, identity_code(v)),
            OpError::FailedIdentityOperation { .. } => {
                (StatusCode::BAD_REQUEST, "FailedIdentityOperation")
            }
            OpError::Rule(v) => (
                StatusCode::BAD_REQUEST,
                match v {
                    RuleViolation::IdentityNeedsNewerApiVersion(_) => "InvalidRequestContent",
                    RuleViolation::IdentityOnWindows => "IdentityNotSupportedOnWindows",
                    RuleViolation::IdentityInVirtualNetwork => {
                        "IdentityNotSupportedInVirtualNetwork"
                    }
                },
            ),
            OpError::RuleNotFound(_) => (StatusCode::NOT_FOUND, "RuleNotFound"),
            OpError::PreconditionFailed => (StatusCode::PRECONDITION_FAILED, "PreconditionFailed"),
            OpError::MoveRequest(m) => (StatusCode::BAD_REQUEST, m.code()),
            OpError::MoveResourceNotFound { .. } => (StatusCode::NOT_FOUND, "ResourceNotFound"),
            OpError::MoveTargetNotFound(_) => (StatusCode::BAD_REQUEST, "ResourceGroupNotFound"),
            OpError::MoveAcrossTenants { .. } => {
                (StatusCode::FORBIDDEN, "LinkedAuthorizationFailed")
            }
            OpError::MoveTargetTaken(_) => (StatusCode::CONFLICT, "ResourceMoveConflict"),
            OpError::ScopeLocked { .. } => (StatusCode::CONFLICT, "ScopeLocked"),
            OpError::InvalidParameter { .. } => (StatusCode::BAD_REQUEST, "InvalidParameter"),
            OpError::Role(r) => role_code(r),
            OpError::LinkedAuthorizationFailed { .. } => {
                (StatusCode::FORBIDDEN, "LinkedAuthorizationFailed")
            }
            OpError::Internal(cause) => {
                tracing::error!(error.cause_chain = ?cause, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError")
            }
            OpError::Inconsistent(why) => {
                tracing::error!(why, "inconsistent state");
                (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError")
            }
        };
        let message = if status.is_server_error() {
            "mi-sim failed to carry out the request; see its log.".to_string()
        } else {
            message
        };
        let mut error = Self::new(status, code, message);
        if let OpError::Rule(v) = &e {
            tracing::info!(hint = v.hint(), "refused by a rule");
            error.hint = Some(v.hint());
        }
        if let OpError::InvalidParameter { target, .. } = &e {
            error = error.with_target(*target);
        }
        error
    }
}

/// The code of an identity request the rules refuse (docs/wire-contract.md, "Identity errors").
fn role_code(r: &crate::ops::roles::RoleError) -> (StatusCode, &'static str) {
    use crate::ops::roles::RoleError as R;
    let bad = StatusCode::BAD_REQUEST;
    match r {
        R::InvalidAssignmentId(_) => (bad, "InvalidRoleAssignmentId"),
        R::InvalidPrincipalId(_) => (bad, "InvalidPrincipalId"),
        R::PrincipalNotFound { .. } => (bad, "PrincipalNotFound"),
        R::UnmatchedPrincipalType { .. } => (bad, "UnmatchedPrincipalType"),
        R::RoleDefinitionDoesNotExist(_) => (bad, "RoleDefinitionDoesNotExist"),
        R::Exists(_) => (StatusCode::CONFLICT, "RoleAssignmentExists"),
        R::UpdateNotPermitted => (bad, "RoleAssignmentUpdateNotPermitted"),
        R::InvalidScope(_) => (bad, "InvalidResourceId"),
        R::NotFound(_) => (StatusCode::NOT_FOUND, "RoleAssignmentNotFound"),
        R::TooMany(_) => (bad, "RoleAssignmentLimitExceeded"),
        R::InvalidFilter(_) => (bad, "InvalidFilter"),
        R::InvalidDefinitionId(_) => (bad, "InvalidRoleDefinitionId"),
        R::InvalidDefinition(_) => (bad, "InvalidRoleDefinitionParameter"),
        R::SameNameExists => (StatusCode::CONFLICT, "RoleDefinitionWithSameNameExists"),
        R::BuiltInRole(_) => (bad, "RoleDefinitionUpdateNotPermitted"),
        R::HasAssignments(_) => (StatusCode::CONFLICT, "RoleDefinitionHasAssignments"),
    }
}

fn identity_code(v: &IdentityViolation) -> &'static str {
    match v {
        IdentityViolation::InvalidType(_) | IdentityViolation::MissingUserAssigned(_) => {
            "InvalidParameter"
        }
        IdentityViolation::UnexpectedUserAssigned => "BadRequest",
        IdentityViolation::InvalidUserAssignedId(_) => "LinkedInvalidPropertyId",
        IdentityViolation::TooManyInRequest(_) | IdentityViolation::TooManyOnResource { .. } => {
            "FailedIdentityOperation"
        }
    }
}

impl From<FilterError> for ArmError {
    fn from(e: FilterError) -> Self {
        Self::bad_request("InvalidFilterInQueryString", e.to_string())
    }
}

impl From<NameError> for ArmError {
    fn from(e: NameError) -> Self {
        let code = match e {
            NameError::ResourceGroupCharacters { .. } | NameError::ResourceGroupShape(_) => {
                "InvalidResourceGroup"
            }
            NameError::Identity(_)
            | NameError::VirtualMachine(_)
            | NameError::ContainerGroup(_)
            | NameError::Extension(_) => "InvalidResourceName",
        };
        Self::bad_request(code, e.to_string())
    }
}

impl From<IdError> for ArmError {
    fn from(e: IdError) -> Self {
        let code = match e {
            IdError::Subscription(_) => "InvalidSubscriptionId",
            IdError::Tenant(_) => "InvalidTenantId",
        };
        Self::bad_request(code, e.to_string())
    }
}

impl From<TagError> for ArmError {
    fn from(e: TagError) -> Self {
        BodyError::from(e).into()
    }
}

impl From<BodyError> for ArmError {
    fn from(e: BodyError) -> Self {
        let error = Self::bad_request(e.code, e.message);
        match e.target {
            Some(t) => error.with_target(t),
            None => error,
        }
    }
}
