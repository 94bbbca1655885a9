//! Resource moves (`moveResources`, `validateMoveResources`): the checks ARM makes before any
//! provider sees the request, from the request alone. Checks that need the state (do the
//! groups and resources exist, is the target free, same tenant) are in `ops::moves`.
//! Codes ARM documents are used as documented; where Azure's text is not public the code is
//! mi-sim's choice (`docs/wire-contract.md`, "Moves").
use super::resource_id::{key_within, ResourceId};
use super::SubscriptionId;

/// At most this many resources move in one request (ARM refuses more at once).
pub const MAX_MOVE_RESOURCES: usize = 800;

/// Why a move request is refused before anything is looked up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveRequestError {
    #[error("The move request names no resources. List the ids of the resources to move in 'resources'.")]
    NoResources,
    #[error("The move request names {0} resources; at most {MAX_MOVE_RESOURCES} can move in one request. Split it into several requests.")]
    TooMany(usize),
    #[error("'{0}' in 'resources' is not a valid resource id. Give full ids: /subscriptions/{{s}}/resourceGroups/{{g}}/providers/{{namespace}}/{{type}}/{{name}}.")]
    InvalidId(String),
    #[error("'targetResourceGroup' ('{0}') is not a resource group id. Give it as /subscriptions/{{s}}/resourceGroups/{{g}}.")]
    InvalidTarget(String),
    #[error("The resources being moved must all reside in the source resource group '{group}'. The resource '{id}' does not.")]
    OutsideSource { id: String, group: String },
    #[error("The resource '{0}' is a child resource; it moves with its parent. Move the top-level resource instead.")]
    ChildResource(String),
    #[error("The source and the target resource group are the same ('{0}'). Name another resource group in 'targetResourceGroup'.")]
    SameGroup(String),
}

impl MoveRequestError {
    /// ARM's error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::ChildResource(_) => "ResourceNotTopLevel",
            Self::InvalidId(_) | Self::InvalidTarget(_) => "InvalidResourceId",
            _ => "InvalidResourceMoveRequest",
        }
    }
}

/// A move request that passed the front-door checks: the ids to move (each once, in the order
/// given) and the target group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovePlan {
    pub resources: Vec<ResourceId>,
    pub target_subscription: SubscriptionId,
    pub target_group: String,
}

/// ARM's front-door checks of a move out of `source` (a group id): a non-empty list of at most
/// 800 valid ids, each a top-level resource in the source group, and a target group other
/// than the source.
pub fn plan_move(
    source: &ResourceId,
    resources: &[String],
    target: &str,
) -> Result<MovePlan, MoveRequestError> {
    if resources.is_empty() {
        return Err(MoveRequestError::NoResources);
    }
    if resources.len() > MAX_MOVE_RESOURCES {
        return Err(MoveRequestError::TooMany(resources.len()));
    }
    let target_id = ResourceId::parse(target)
        .ok()
        .filter(|t| t.group().is_some() && t.providers().is_empty())
        .ok_or_else(|| MoveRequestError::InvalidTarget(target.to_string()))?;
    let mut ids: Vec<ResourceId> = Vec::with_capacity(resources.len());
    let mut seen = std::collections::HashSet::with_capacity(resources.len());
    let source_key = source.key();
    for raw in resources {
        let id =
            ResourceId::parse(raw).map_err(|_| MoveRequestError::InvalidId(raw.to_string()))?;
        if id.name().is_none() {
            return Err(MoveRequestError::InvalidId(raw.to_string()));
        }
        let key = id.key();
        if !key_within(&key, &source_key) {
            return Err(MoveRequestError::OutsideSource {
                id: raw.to_string(),
                group: source.to_string(),
            });
        }
        if !id.is_top_level_resource() {
            return Err(MoveRequestError::ChildResource(raw.to_string()));
        }
        if seen.insert(key) {
            ids.push(id);
        }
    }
    if target_id.key() == source.key() {
        return Err(MoveRequestError::SameGroup(source.to_string()));
    }
    Ok(MovePlan {
        resources: ids,
        target_subscription: target_id.subscription(),
        target_group: target_id.group().unwrap_or_default().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &str = "00000000-0000-0000-0000-000000000001";

    fn source() -> ResourceId {
        ResourceId::parse(&format!("/subscriptions/{S}/resourceGroups/rg1")).unwrap()
    }

    fn id(group: &str, name: &str) -> String {
        format!("/subscriptions/{S}/resourceGroups/{group}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{name}")
    }

    fn target(group: &str) -> String {
        format!("/subscriptions/{S}/resourceGroups/{group}")
    }

    #[test]
    fn a_plan_keeps_each_id_once_in_any_case() {
        let plan = plan_move(
            &source(),
            &[id("rg1", "a"), id("RG1", "A"), id("rg1", "b")],
            &target("rg2"),
        )
        .unwrap();
        assert_eq!(plan.resources.len(), 2);
        assert_eq!(plan.target_group, "rg2");
    }

    #[test]
    fn front_door_refusals() {
        let cases: Vec<(Vec<String>, String, &str)> = vec![
            (vec![], target("rg2"), "InvalidResourceMoveRequest"),
            (
                vec![id("rg1", "a"); MAX_MOVE_RESOURCES + 1],
                target("rg2"),
                "InvalidResourceMoveRequest",
            ),
            (vec!["nope".into()], target("rg2"), "InvalidResourceId"),
            (vec![id("rg1", "a")], "rg2".into(), "InvalidResourceId"),
            (
                vec![id("rg9", "a")],
                target("rg2"),
                "InvalidResourceMoveRequest",
            ),
            (
                vec![format!("{}/federatedIdentityCredentials/f", id("rg1", "a"))],
                target("rg2"),
                "ResourceNotTopLevel",
            ),
            (
                vec![id("rg1", "a")],
                target("RG1"),
                "InvalidResourceMoveRequest",
            ),
        ];
        for (resources, target, code) in cases {
            let e = plan_move(&source(), &resources, &target).unwrap_err();
            assert_eq!(e.code(), code, "{e}");
        }
    }
}
