//! Token requests from inside an instance (IMDS and the App Service form): choose the identity
//! (R8), decide from the state whether it can have a token now, then hand out the cached token
//! or sign a new one. Nothing is written: a token request changes no state.
use crate::domain::compute::ComputeKind;
use crate::domain::faults::FaultKind;
use crate::domain::identity::parse_user_assigned_id;
use crate::domain::names::name_key;
use crate::domain::resource_id::ResourceId;
use crate::domain::token_rules::{
    can_issue_token, managed_identity_claims, select_identity, Chosen, IdentityFacts, Refusal,
    SelectionError, Selector, SystemIdentity,
};
use crate::signing::TokenError;
use crate::state::AppState;
use crate::store::compute::ResourceKey;
use crate::store::{self, instances::InstanceRow};

pub use crate::token_cache::IssuedToken;

/// Why no token was handed out.
#[derive(Debug, thiserror::Error)]
pub enum TokenFailure {
    #[error("mi-sim has no instance '{0}'")]
    UnknownInstance(String),
    #[error("identity selection failed: {0:?}")]
    Selection(SelectionError),
    /// The identity exists on the instance but cannot have a token now.
    #[error("refused by {}", .refusal.rule())]
    Refused {
        refusal: Refusal,
        client_id: String,
        tenant: String,
    },
    /// R18: the legacy endpoint is served only while the extension is provisioned.
    #[error("no managed-identity extension on '{0}'")]
    NoExtension(String),
    /// An armed fault answers instead (`/simulator/faults`).
    #[error("fault {} fired", .0.id)]
    Fault(super::faults::Fired),
    #[error("{0}")]
    Token(#[from] TokenError),
    #[error("database error: {0}")]
    Store(#[from] sqlx::Error),
}

/// Looks an instance up by its id.
pub async fn instance(state: &AppState, instance_id: &str) -> Result<InstanceRow, TokenFailure> {
    store::instances::get(&mut *state.store.read().await?, &instance_id.to_lowercase())
        .await?
        .ok_or_else(|| TokenFailure::UnknownInstance(instance_id.to_string()))
}

/// Instances whose resource id or name matches, or every one.
pub async fn find_instances(
    state: &AppState,
    resource_id: Option<&str>,
    name: Option<&str>,
) -> Result<Vec<InstanceRow>, sqlx::Error> {
    let mut conn = state.store.read().await?;
    match (resource_id, name) {
        (Some(id), _) => {
            let Ok(id) = ResourceId::parse(id) else {
                return Ok(Vec::new());
            };
            let found = [ComputeKind::VirtualMachine, ComputeKind::ContainerGroup]
                .into_iter()
                .find_map(|k| Some((k, id.as_resource(k.resource_type())?)));
            let Some((kind, (group, name))) = found else {
                return Ok(Vec::new());
            };
            let key = ResourceKey {
                subscription: id.subscription().to_string(),
                group_key: name_key(group),
                resource_type: kind.resource_type(),
                name_key: name_key(name),
            };
            let found = store::instances::get_by_resource(&mut conn, &key).await?;
            Ok(found.into_iter().collect())
        }
        (None, Some(n)) => store::instances::list_by_name(&mut conn, &name_key(n)).await,
        (None, None) => store::instances::list(&mut conn).await,
    }
}

/// The ARM id of an instance's resource.
pub fn resource_of(i: &InstanceRow) -> ResourceId {
    ResourceId::resource(
        i.subscription_id,
        &i.resource_group,
        &i.resource_type,
        &i.name,
    )
}

/// The same, as text.
pub fn resource_id(i: &InstanceRow) -> String {
    resource_of(i).to_string()
}

/// The token endpoint an instance is asked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// IMDS (`/metadata/identity/oauth2/token`).
    Imds,
    /// R18: the legacy VM extension's (`/oauth2/token`), which exists only while the
    /// managed-identity extension is provisioned on the VM.
    LegacyExtension,
}

/// A token for `resource` (the audience) from the identity `selector` picks on the instance.
pub async fn managed_identity_token(
    state: &AppState,
    endpoint: Endpoint,
    instance_id: &str,
    resource: &str,
    selector: &Selector,
) -> Result<IssuedToken, TokenFailure> {
    let i = instance(state, instance_id).await?;
    if endpoint == Endpoint::LegacyExtension && !has_extension(state, &i).await? {
        return Err(TokenFailure::NoExtension(resource_id(&i)));
    }
    token_for_instance(state, i, resource, selector).await
}

async fn has_extension(state: &AppState, i: &InstanceRow) -> Result<bool, TokenFailure> {
    Ok(
        i.resource_type == ComputeKind::VirtualMachine.resource_type()
            && store::extensions::has_managed_identity_extension(
                &mut *state.store.read().await?,
                (
                    i.subscription_id,
                    &name_key(&i.resource_group),
                    &name_key(&i.name),
                ),
            )
            .await?,
    )
}

/// The same, for an instance already looked up (the App Service form reads it first, to check
/// its `X-IDENTITY-HEADER`).
/// Armed faults of the instance's endpoints fire first (a late answer, then an error); the
/// verdict goes to the journal.
#[tracing::instrument(level = "debug", skip_all, fields(instance = %i.instance_id))]
pub async fn token_for_instance(
    state: &AppState,
    i: InstanceRow,
    resource: &str,
    selector: &Selector,
) -> Result<IssuedToken, TokenFailure> {
    let caller = resource_id(&i);
    const IMDS_FAULTS: [FaultKind; 4] = [
        FaultKind::ImdsSlow,
        FaultKind::ImdsThrottled,
        FaultKind::ImdsError,
        FaultKind::ImdsUnavailable,
    ];
    let mut outcome = Ok(());
    // The common case, no fault armed, skips even working out the key faults are matched by.
    if IMDS_FAULTS.iter().any(|k| state.faults.armed(*k)) {
        let key = ResourceId::parse(&caller)
            .map(|r| r.key())
            .unwrap_or_default();
        if let Some(slow) = super::faults::fire(state, FaultKind::ImdsSlow, &key).await? {
            tokio::time::sleep(std::time::Duration::from_millis(slow.delay_ms as u64)).await;
        }
        for kind in &IMDS_FAULTS[1..] {
            if let Some(f) = super::faults::fire(state, *kind, &key).await? {
                outcome = Err(TokenFailure::Fault(f));
                break;
            }
        }
    }
    let result = match outcome {
        Ok(()) => decide(state, i, resource, selector).await,
        Err(f) => Err(f),
    };
    let (verdict, status, rule, detail) = match &result {
        Ok(t) => ("issued", 200, None, format!("client id {}", t.client_id)),
        Err(TokenFailure::Fault(f)) => (
            "fault",
            f.kind.status(),
            None,
            format!("fault {} ({})", f.id, f.kind.as_str()),
        ),
        Err(TokenFailure::Refused {
            refusal, client_id, ..
        }) => (
            "refused",
            400,
            Some(refusal.rule()),
            format!("client id {client_id}: {refusal:?}"),
        ),
        Err(TokenFailure::Selection(SelectionError::Ambiguous)) => (
            "refused",
            400,
            Some("R8"),
            "several user-assigned identities and no selector".to_string(),
        ),
        Err(other) => ("refused", 400, None, other.to_string()),
    };
    state.journal.record(
        state.clock.now_text(),
        crate::journal::Record {
            surface: "imds",
            caller: &caller,
            request: &format!("token for {resource} ({})", named(selector)),
            verdict,
            status,
            rule,
            detail: &detail,
        },
    );
    result
}

async fn decide(
    state: &AppState,
    i: InstanceRow,
    resource: &str,
    selector: &Selector,
) -> Result<IssuedToken, TokenFailure> {
    let system = match (&i.system_principal_id, &i.system_client_id) {
        (Some(p), Some(c)) => Some(SystemIdentity {
            principal_id: p.clone(),
            client_id: c.clone(),
        }),
        _ => None,
    };
    let chosen = select_identity(system.as_ref(), &i.user_assigned.0, selector)
        .map_err(TokenFailure::Selection)?;
    let facts = match &chosen {
        Chosen::System(_) => IdentityFacts {
            principal_tenant: i.system_principal_tenant.clone(),
            subscription_tenant: i.subscription_tenant.clone(),
            identity_at_reference: None,
        },
        Chosen::User(u) => {
            let place = parse_user_assigned_id(&u.id)
                .map(|(s, g, n)| (s.to_string(), g, n))
                .unwrap_or_default();
            let (principal_tenant, at_reference) = store::instances::user_assigned_facts(
                &mut *state.store.read().await?,
                &u.principal_id,
                (&place.0, &place.1, &place.2),
            )
            .await?;
            IdentityFacts {
                principal_tenant,
                subscription_tenant: i.subscription_tenant.clone(),
                identity_at_reference: at_reference,
            }
        }
    };
    if let Err(refusal) = can_issue_token(&chosen, &facts) {
        tracing::info!(
            rule = refusal.rule(),
            principal = chosen.principal_id(),
            "token refused"
        );
        return Err(TokenFailure::Refused {
            refusal,
            client_id: chosen.client_id().to_string(),
            tenant: i.subscription_tenant,
        });
    }
    let now = state.clock.now().timestamp();
    let key = (chosen.principal_id().to_string(), resource.to_string());
    if let Some(cached) = state.token_cache.get(&key, now) {
        return Ok(cached);
    }
    // The principal's tenant: equal to the subscription's, or the request was refused above.
    let tenant = facts
        .principal_tenant
        .unwrap_or(i.subscription_tenant.clone());
    let nonce = state.idgen.uuid().simple().to_string();
    let claims = managed_identity_claims(&chosen, &tenant, resource, &resource_id(&i), now, &nonce);
    let (not_before, expires_on) = (claims.nbf, claims.exp);
    let access_token = state.keys.sign(claims, &state.clock.now_text()).await?;
    let token = IssuedToken {
        access_token,
        client_id: chosen.client_id().to_string(),
        resource: resource.to_string(),
        not_before,
        expires_on,
        expires_in: expires_on - now,
    };
    state.token_cache.put(key, token.clone());
    Ok(token)
}

/// The selector of a request, as the journal shows it.
fn named(selector: &Selector) -> String {
    match selector {
        Selector::Default => "no selector".into(),
        Selector::ClientId(v) => format!("client_id {v}"),
        Selector::ObjectId(v) => format!("object_id {v}"),
        Selector::ResourceId(v) => format!("msi_res_id {v}"),
    }
}
