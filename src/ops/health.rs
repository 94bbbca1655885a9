//! The identity health report (`GET /simulator/identities/health`): every (resource, identity)
//! pair and every user-assigned identity, with `domain::health`'s verdict. Three statements,
//! whatever the number of resources.
use crate::domain::compute::ComputeKind;
use crate::domain::health::{assess, start_warning, Pair, Verdict, Warning};
use crate::domain::identity::{parse_user_assigned_id, UserAssignedRef};
use crate::domain::resource_id::ResourceId;
use crate::domain::token_rules::{Chosen, IdentityFacts, SystemIdentity};
use crate::domain::SubscriptionId;
use crate::state::AppState;
use crate::store;
use std::collections::HashMap;

/// One pair's health.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PairHealth {
    /// The VM or container group, or for a user-assigned identity's own entry, the identity.
    pub resource_id: String,
    pub resource_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_state: Option<String>,
    /// `SystemAssigned`, or the user-assigned identity's id as the resource names it.
    pub identity: String,
    #[schema(example = "SystemAssigned")]
    pub identity_kind: &'static str,
    pub principal_id: String,
    pub client_id: String,
    /// Where the principal lives; null when it is deleted.
    pub principal_tenant: Option<String>,
    pub subscription_tenant: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// The report, or the part of it about one resource (as the resource or as the identity).
pub async fn report(
    state: &AppState,
    about: Option<&ResourceId>,
) -> Result<Vec<PairHealth>, sqlx::Error> {
    let mut conn = state.store.read().await?;
    let instances = store::instances::list(&mut conn).await?;
    let places = store::instances::identity_places(&mut conn).await?;
    let tenants: HashMap<String, String> =
        store::instances::referenced_principal_tenants(&mut conn)
            .await?
            .into_iter()
            .collect();
    drop(conn);
    let at_place: HashMap<(SubscriptionId, &str, &str), &str> = places
        .iter()
        .map(|p| {
            (
                (
                    p.subscription_id,
                    p.resource_group_key.as_str(),
                    p.name_key.as_str(),
                ),
                p.principal_id.as_str(),
            )
        })
        .collect();
    let mut out = Vec::new();
    for i in &instances {
        let here = crate::ops::tokens::resource_of(i);
        let resource_id = here.to_string();
        let warnings: Vec<Warning> =
            if i.resource_type == ComputeKind::VirtualMachine.resource_type() {
                start_warning(&i.identity_type, &i.identity_written_at, &here)
                    .into_iter()
                    .collect()
            } else {
                Vec::new()
            };
        let mut pair =
            |identity: String, chosen: Chosen, facts: IdentityFacts, reference: Option<&str>| {
                let verdict = assess(&Pair {
                    chosen: &chosen,
                    facts: &facts,
                    subscription: i.subscription_id,
                    tenant_since: i.tenant_since.as_deref(),
                    reference,
                });
                out.push(PairHealth {
                    resource_id: resource_id.clone(),
                    resource_type: i.resource_type.clone(),
                    instance_id: Some(i.instance_id.clone()),
                    power_state: Some(i.power_state.clone()),
                    identity_kind: if matches!(chosen, Chosen::System(_)) {
                        "SystemAssigned"
                    } else {
                        "UserAssigned"
                    },
                    identity,
                    principal_id: chosen.principal_id().to_string(),
                    client_id: chosen.client_id().to_string(),
                    principal_tenant: facts.principal_tenant.clone(),
                    subscription_tenant: i.subscription_tenant.clone(),
                    verdict,
                    warnings: warnings.clone(),
                });
            };
        if let (Some(p), Some(c)) = (&i.system_principal_id, &i.system_client_id) {
            let chosen = Chosen::System(SystemIdentity {
                principal_id: p.clone(),
                client_id: c.clone(),
            });
            let facts = IdentityFacts {
                principal_tenant: i.system_principal_tenant.clone(),
                subscription_tenant: i.subscription_tenant.clone(),
                identity_at_reference: None,
            };
            pair("SystemAssigned".into(), chosen, facts, None);
        }
        for u in &i.user_assigned.0 {
            let at_reference = parse_user_assigned_id(&u.id).and_then(|(s, g, n)| {
                at_place
                    .get(&(s, g.as_str(), n.as_str()))
                    .map(|p| p.to_string())
            });
            let facts = IdentityFacts {
                principal_tenant: tenants.get(&u.principal_id).cloned(),
                subscription_tenant: i.subscription_tenant.clone(),
                identity_at_reference: at_reference,
            };
            pair(u.id.clone(), Chosen::User(u.clone()), facts, Some(&u.id));
        }
    }
    for p in &places {
        let id = crate::domain::identity::user_assigned_identity_id(
            p.subscription_id,
            &p.resource_group,
            &p.name,
        );
        let chosen = Chosen::User(UserAssignedRef {
            id: id.clone(),
            principal_id: p.principal_id.clone(),
            client_id: p.client_id.clone(),
        });
        let facts = IdentityFacts {
            principal_tenant: p.principal_tenant.clone(),
            subscription_tenant: p.subscription_tenant.clone(),
            identity_at_reference: Some(p.principal_id.clone()),
        };
        let verdict = assess(&Pair {
            chosen: &chosen,
            facts: &facts,
            subscription: p.subscription_id,
            tenant_since: p.tenant_since.as_deref(),
            reference: Some(&id),
        });
        out.push(PairHealth {
            resource_id: id.clone(),
            resource_type: crate::domain::identity::USER_ASSIGNED_TYPE.to_string(),
            instance_id: None,
            power_state: None,
            identity: id,
            identity_kind: "UserAssigned",
            principal_id: p.principal_id.clone(),
            client_id: p.client_id.clone(),
            principal_tenant: p.principal_tenant.clone(),
            subscription_tenant: p.subscription_tenant.clone(),
            verdict,
            warnings: Vec::new(),
        });
    }
    if let Some(about) = about {
        let key = about.key();
        let is = |id: &str| ResourceId::parse(id).is_ok_and(|r| r.key() == key);
        out.retain(|h| is(&h.resource_id) || is(&h.identity));
    }
    Ok(out)
}
