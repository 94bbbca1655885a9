//! What the VM and container-group lists share: a page of their rows, and at subscription
//! scope only the ones the caller may read.
use crate::domain::compute::ComputeKind;
use crate::domain::{ResourceGroupName, SubscriptionId};
use crate::http::error::ArmError;
use crate::http::extract::{split_token, ListQuery, Visibility};
use crate::ops::compute as ops;
use crate::state::AppState;
use crate::store::compute::ComputeRow;
use actix_web::HttpRequest;

/// A page of VMs or container groups of a group, or of a subscription: there, only those the
/// caller may read (a group's list is checked at the group, by the front door).
pub async fn list_rows(
    state: &AppState,
    req: &HttpRequest,
    (sub, group): (SubscriptionId, Option<&ResourceGroupName>),
    kind: ComputeKind,
    query: &ListQuery,
) -> Result<(Vec<ComputeRow>, bool), ArmError> {
    let page = query.page_size()?;
    let (mut rows, more) = ops::list(state, sub, group, kind, split_token(query), page).await?;
    if group.is_none() {
        let visible = Visibility::of(req);
        rows.retain(|r| visible.shows_resource(sub, &r.resource_group, &r.resource_type, &r.name));
    }
    Ok((rows, more))
}
