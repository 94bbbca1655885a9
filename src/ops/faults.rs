//! Faults (`domain::faults`): arm, change, list, clear, and fire. The request paths that can
//! fire one (ARM, the token endpoints, Entra) first ask an in-memory set of the kinds armed,
//! so with no fault armed they never touch the database.
use super::OpError;
use crate::domain::faults::{
    draw, path_matches, FaultKind, TargetKind, DEFAULT_DELAY_MS, MAX_DELAY_MS, MAX_FAULTS,
    MAX_FAULT_COUNT, MAX_PATTERN_LEN, MAX_RETRY_AFTER,
};
use crate::domain::resource_id::ResourceId;
use crate::domain::TenantId;
use crate::state::AppState;
use crate::store::{self, faults::FaultRow};
use sqlx::SqliteConnection;
use std::sync::atomic::{AtomicU32, Ordering};

/// The kinds armed now, one bit each. It may say a kind is armed after its last fault was
/// spent (a wasted lookup), never the reverse: it is set before a fault is stored.
#[derive(Debug, Default)]
pub struct Armed(AtomicU32);

impl Armed {
    pub fn armed(&self, kind: FaultKind) -> bool {
        self.0.load(Ordering::Relaxed) & kind.bit() != 0
    }

    fn add(&self, kind: FaultKind) {
        self.0.fetch_or(kind.bit(), Ordering::Relaxed);
    }

    fn set(&self, kinds: impl IntoIterator<Item = FaultKind>) {
        let bits = kinds.into_iter().fold(0, |b, k| b | k.bit());
        self.0.store(bits, Ordering::Relaxed);
    }
}

/// A fault to arm, or a change to one (kind and target are fixed once armed).
#[derive(Debug, Clone, Default)]
pub struct FaultSpec {
    pub count: Option<i64>,
    pub probability: Option<f64>,
    pub seed: Option<i64>,
    pub delay_ms: Option<i64>,
    pub retry_after: Option<i64>,
}

/// What a fired fault asks of the answer.
#[derive(Debug, Clone)]
pub struct Fired {
    pub id: String,
    pub kind: FaultKind,
    pub delay_ms: i64,
    pub retry_after: i64,
}

fn invalid(target: &'static str, message: String) -> OpError {
    OpError::InvalidParameter { target, message }
}

/// The target in the form it is matched in.
fn target_key(kind: FaultKind, target: &str) -> Result<String, OpError> {
    match kind.target() {
        TargetKind::Resource(types) => {
            let id = ResourceId::parse(target)
                .map_err(|e| invalid("target", format!("'{target}': {e}")))?;
            if !types.iter().any(|t| id.as_resource(t).is_some()) {
                return Err(invalid(
                    "target",
                    format!(
                        "A '{}' fault targets a resource of type {}; '{target}' is not one.",
                        kind.as_str(),
                        types.join(" or ")
                    ),
                ));
            }
            Ok(id.key())
        }
        TargetKind::Tenant if target == "*" => Ok("*".into()),
        TargetKind::Tenant => TenantId::parse(target)
            .map(|t| t.to_string())
            .map_err(|_| invalid("target", format!("A '{}' fault targets a tenant id (or * for every tenant); '{target}' is not one.", kind.as_str()))),
        TargetKind::PathPattern => {
            if target.is_empty()
                || target.len() > MAX_PATTERN_LEN
                || !(target.starts_with('/') || target.starts_with('*'))
            {
                return Err(invalid("target", format!("An '{}' fault targets an ARM path pattern of at most {MAX_PATTERN_LEN} characters, like /subscriptions/*/resourcegroups/rg1*; '{target}' is not one.", kind.as_str())));
            }
            Ok(target.to_ascii_lowercase())
        }
    }
}

/// Applies a spec to a fault, checking each value against the kind.
fn apply(kind: FaultKind, f: &mut FaultRow, spec: &FaultSpec, new: bool) -> Result<(), OpError> {
    if let Some(p) = spec.probability {
        if !(p > 0.0 && p <= 1.0) {
            return Err(invalid(
                "probability",
                format!("probability is above 0 and at most 1; it was {p}."),
            ));
        }
        f.probability = Some(p);
    }
    match spec.count {
        Some(c) if !(1..=MAX_FAULT_COUNT).contains(&c) => {
            return Err(invalid(
                "count",
                format!("count must be between 1 and {MAX_FAULT_COUNT}; it was {c}."),
            ))
        }
        Some(c) => f.remaining = Some(c),
        // Without a count: once, or until cleared when it fires on a share of requests.
        None if new => f.remaining = f.probability.is_none().then_some(1),
        None => {}
    }
    if let Some(seed) = spec.seed {
        f.seed = seed;
    }
    match (spec.delay_ms, kind) {
        (Some(d), FaultKind::ImdsSlow) if (1..=MAX_DELAY_MS).contains(&d) => f.delay_ms = Some(d),
        (Some(d), FaultKind::ImdsSlow) => {
            return Err(invalid(
                "delayMs",
                format!("delayMs must be between 1 and {MAX_DELAY_MS}; it was {d}."),
            ))
        }
        (Some(_), _) => {
            return Err(invalid(
                "delayMs",
                format!(
                    "Only an imdsSlow fault has a delay; '{}' has none.",
                    kind.as_str()
                ),
            ))
        }
        (None, FaultKind::ImdsSlow) if new => f.delay_ms = Some(DEFAULT_DELAY_MS),
        (None, _) => {}
    }
    match spec.retry_after {
        Some(r) if kind.retries() && (0..=MAX_RETRY_AFTER).contains(&r) => f.retry_after = Some(r),
        Some(r) if kind.retries() => {
            return Err(invalid(
                "retryAfter",
                format!("retryAfter must be between 0 and {MAX_RETRY_AFTER} seconds; it was {r}."),
            ))
        }
        Some(_) => {
            return Err(invalid(
                "retryAfter",
                format!("A '{}' fault answers without Retry-After.", kind.as_str()),
            ))
        }
        None if new && kind.retries() => f.retry_after = Some(1),
        None => {}
    }
    Ok(())
}

/// Arms a fault of `kind` on `target`.
pub async fn arm(
    state: &AppState,
    kind: FaultKind,
    target: &str,
    spec: FaultSpec,
) -> Result<FaultRow, OpError> {
    let mut fault = FaultRow {
        id: state.idgen.uuid().hyphenated().to_string(),
        kind: kind.as_str().to_string(),
        target: target_key(kind, target)?,
        remaining: None,
        probability: None,
        seed: 0,
        seen: 0,
        delay_ms: None,
        retry_after: None,
        created_at: state.clock.now_text(),
    };
    apply(kind, &mut fault, &spec, true)?;
    state.faults.add(kind);
    let armed = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                if store::faults::count(&mut *tx).await? >= MAX_FAULTS {
                    return Err(invalid(
                        "faults",
                        format!(
                            "At most {MAX_FAULTS} faults can be armed at once; clear some first."
                        ),
                    ));
                }
                store::faults::insert(&mut *tx, &fault).await?;
                Ok(fault)
            })
        })
        .await;
    refresh(state).await?;
    armed
}

/// Changes how often, how late or with what `Retry-After` a fault fires. `None`: no such fault.
pub async fn change(
    state: &AppState,
    id: String,
    spec: FaultSpec,
) -> Result<Option<FaultRow>, OpError> {
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let Some(mut f) = store::faults::get(&mut *tx, &id).await? else {
                    return Ok(None);
                };
                let kind = FaultKind::parse(&f.kind)
                    .ok_or_else(|| OpError::Inconsistent(format!("fault kind '{}'", f.kind)))?;
                apply(kind, &mut f, &spec, false)?;
                store::faults::update(&mut *tx, &f).await?;
                Ok(Some(f))
            })
        })
        .await
}

pub async fn list(state: &AppState) -> Result<Vec<FaultRow>, OpError> {
    Ok(store::faults::list(&mut *state.store.read().await?).await?)
}

/// Clears one fault (false: no such fault), or all of them.
pub async fn clear(state: &AppState, id: Option<String>) -> Result<bool, OpError> {
    let cleared = state
        .store
        .write(move |tx| Box::pin(async move { store::faults::delete(tx, id.as_deref()).await }))
        .await?;
    refresh(state).await?;
    Ok(cleared)
}

/// Re-reads which kinds are armed (at start, after a clear, reset or restore).
pub async fn refresh(state: &AppState) -> Result<(), sqlx::Error> {
    let kinds = store::faults::kinds(&mut *state.store.read().await?).await?;
    state
        .faults
        .set(kinds.iter().filter_map(|k| FaultKind::parse(k)));
    Ok(())
}

/// Fires the oldest armed fault of `kind` matching `subject` (a resource id or tenant id in key
/// form, or a request path), if its draw says so. Costs nothing when no such fault is armed.
pub async fn fire(
    state: &AppState,
    kind: FaultKind,
    subject: &str,
) -> Result<Option<Fired>, sqlx::Error> {
    if !state.faults.armed(kind) {
        return Ok(None);
    }
    let subject = subject.to_ascii_lowercase();
    state
        .store
        .write(move |tx| Box::pin(async move { fire_in(tx, true, kind, &subject).await }))
        .await
}

/// The same, inside a transaction already open (`armed`: the caller's check of `Armed`).
pub async fn fire_in(
    tx: &mut SqliteConnection,
    armed: bool,
    kind: FaultKind,
    subject: &str,
) -> Result<Option<Fired>, sqlx::Error> {
    if !armed {
        return Ok(None);
    }
    let faults = store::faults::of_kind(&mut *tx, kind.as_str()).await?;
    let matches = |f: &FaultRow| match kind.target() {
        TargetKind::PathPattern => path_matches(&f.target, subject),
        TargetKind::Tenant => f.target == "*" || f.target.eq_ignore_ascii_case(subject),
        TargetKind::Resource(_) => f.target == subject,
    };
    let Some(f) = faults.into_iter().find(|f| matches(f)) else {
        return Ok(None);
    };
    let fired = draw(f.probability, f.seed, f.seen);
    store::faults::record(&mut *tx, &f.id, fired).await?;
    if fired {
        tracing::info!(fault = %f.id, kind = kind.as_str(), target = %f.target, "fault fired");
    }
    Ok(fired.then(|| Fired {
        id: f.id,
        kind,
        delay_ms: f.delay_ms.unwrap_or(0),
        retry_after: f.retry_after.unwrap_or(1),
    }))
}
