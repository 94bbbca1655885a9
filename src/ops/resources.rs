//! The generic resource list across every type mi-sim serves.
use super::resource_groups::require_scope;
use super::OpError;
use crate::domain::filter::Filter;
use crate::domain::{ResourceGroupName, SubscriptionId};
use crate::state::AppState;
use crate::store::{self, resources::GenericRow};

/// One page of a subscription's (or group's) resources matching `filter`, after the
/// (group key, type key, name key) triple `after`, plus whether more follow.
pub async fn list(
    state: &AppState,
    sub: SubscriptionId,
    group: Option<&ResourceGroupName>,
    filter: Option<&Filter>,
    after: (&str, &str, &str),
    page: usize,
) -> Result<(Vec<GenericRow>, bool), OpError> {
    let mut conn = state.store.read().await?;
    require_scope(&mut conn, sub, group).await?;
    let group_key = group.map(ResourceGroupName::key);
    let rows = store::resources::list_page(
        &mut conn,
        &sub.to_string(),
        group_key.as_deref(),
        filter,
        after,
        page as i64 + 1,
    )
    .await?;
    Ok(super::into_page(rows, page))
}
