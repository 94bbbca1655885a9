//! The switchable historical rules (DESIGN principle 7): list them, switch one.
use super::OpError;
use crate::domain::rules::{switchable, SwitchableRule, SWITCHABLE};
use crate::state::AppState;
use crate::store;

/// Every switchable rule with whether it is on now.
pub async fn list(state: &AppState) -> Result<Vec<(&'static SwitchableRule, bool)>, OpError> {
    let overrides = store::rules::list(&mut *state.store.read().await?).await?;
    Ok(SWITCHABLE
        .iter()
        .map(|r| {
            let on = overrides
                .iter()
                .find(|(id, _)| id == r.id)
                .is_none_or(|(_, on)| *on);
            (r, on)
        })
        .collect())
}

/// Switches one rule on or off.
#[tracing::instrument(skip(state))]
pub async fn set(
    state: &AppState,
    id: &str,
    enabled: bool,
) -> Result<(&'static SwitchableRule, bool), OpError> {
    let rule = switchable(id).ok_or_else(|| OpError::RuleNotFound(id.to_string()))?;
    state
        .store
        .write(move |tx| Box::pin(async move { store::rules::set(tx, rule.id, enabled).await }))
        .await?;
    Ok((rule, enabled))
}
