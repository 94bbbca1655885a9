//! Identity health, "why is this token refused": for a (resource, identity) pair, whether it can
//! get a token now and, if not, the rule, the stored facts that make it so, and the documented
//! remedy. The verdict is `token_rules::can_issue_token`'s, the same the token endpoints ask;
//! this only explains it. R14 (a moved VM will not start) is a warning: tokens still work.
use super::token_rules::{can_issue_token, Chosen, IdentityFacts, Refusal};
use super::SubscriptionId;
use serde::Serialize;
use utoipa::ToSchema;

/// What is known of one pair.
pub struct Pair<'a> {
    pub chosen: &'a Chosen,
    pub facts: &'a IdentityFacts,
    pub subscription: SubscriptionId,
    /// When the subscription began to trust its tenant.
    pub tenant_since: Option<&'a str>,
    /// For a user-assigned identity: the id the resource names.
    pub reference: Option<&'a str>,
}

/// The verdict and its explanation.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Verdict {
    pub can_get_token: bool,
    /// The rule that refuses it (R3, R5, R11, R15).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// The stored facts behind the verdict, in words.
    pub facts: Vec<String>,
    /// What Azure documents to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

/// Something that will break although tokens work now.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Warning {
    pub rule: &'static str,
    pub facts: Vec<String>,
    pub remedy: String,
}

const SYSTEM_REMEDY_R11: &str = "Turn the system-assigned identity off and on again (identity type None, then SystemAssigned): a new principal is made in the tenant the subscription trusts. Grant its roles again.";
const USER_REMEDY_R11: &str = "Delete the user-assigned identity, create it again, and attach it to the resources again (a new principal in the tenant the subscription trusts). Grant its roles again.";

pub fn assess(p: &Pair<'_>) -> Verdict {
    let principal = p.chosen.principal_id();
    let lives = |t: &str| format!("principal {principal} lives in tenant {t}");
    let trusts = format!(
        "subscription {} trusts tenant {}{}",
        p.subscription,
        p.facts.subscription_tenant,
        p.tenant_since
            .map(|t| format!(" since {t}"))
            .unwrap_or_default()
    );
    let refused = |rule, facts, remedy: &str| Verdict {
        can_get_token: false,
        rule: Some(rule),
        facts,
        remedy: Some(remedy.to_string()),
    };
    let reference = p.reference.unwrap_or_default();
    match can_issue_token(p.chosen, p.facts) {
        Ok(()) => Verdict {
            can_get_token: true,
            rule: None,
            facts: vec![lives(&p.facts.subscription_tenant), trusts],
            remedy: None,
        },
        Err(Refusal::TenantChanged) => {
            let home = p.facts.principal_tenant.clone().unwrap_or_default();
            let facts = vec![
                lives(&home),
                format!("{trusts} (the subscription was transferred)"),
            ];
            let remedy = match p.chosen {
                Chosen::System(_) => SYSTEM_REMEDY_R11,
                Chosen::User(_) => USER_REMEDY_R11,
            };
            refused("R11", facts, remedy)
        }
        Err(Refusal::IdentityMoved) => refused(
            "R15",
            vec![
                format!("the resource names the identity at {reference}"),
                format!("no identity lives there now, but its principal {principal} still exists: the identity was moved"),
            ],
            "Moving a user-assigned identity breaks it for the resources using it. Move it back, or attach it at its new id and remove the old reference.",
        ),
        Err(Refusal::IdentityDeleted) => {
            let now_there = match &p.facts.identity_at_reference {
                Some(other) => format!(
                    "the identity living there now has principal {other}: it was deleted and created again"
                ),
                None => format!("no identity lives there and principal {principal} is deleted"),
            };
            refused(
                "R5",
                vec![
                    format!("the resource names the identity at {reference} with principal {principal}"),
                    now_there,
                ],
                "Deleting a user-assigned identity leaves it listed on the resources using it. Attach the identity again (PATCH the resource's identity) once it exists, and grant its roles again; or remove the reference.",
            )
        }
        Err(Refusal::PrincipalDeleted) => refused(
            "R3",
            vec![format!("principal {principal} is deleted")],
            "Turn the system-assigned identity off and on again: a new principal is made.",
        ),
    }
}

/// R14: a VM whose identity reference was written at another id will not start once stopped.
pub fn start_warning(
    identity_type: &str,
    written_at: &str,
    here: &super::resource_id::ResourceId,
) -> Option<Warning> {
    let stale = super::compute::check_start(identity_type, written_at, here).err()?;
    Some(Warning {
        rule: "R14",
        facts: vec![
            format!("the VM's identity reference was written at {}", stale.written_at),
            format!("the VM lives at {} now: it was moved", stale.here),
        ],
        remedy: "A moved VM keeps running but will not start once stopped. Update the VM (set a tag, say) to refresh the reference; the tag may be removed afterwards.".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token_rules::SystemIdentity;

    fn system() -> Chosen {
        Chosen::System(SystemIdentity {
            principal_id: "p".into(),
            client_id: "c".into(),
        })
    }

    fn assessed(principal_tenant: &str, subscription_tenant: &str) -> Verdict {
        let facts = IdentityFacts {
            principal_tenant: Some(principal_tenant.into()),
            subscription_tenant: subscription_tenant.into(),
            identity_at_reference: None,
        };
        let chosen = system();
        assess(&Pair {
            chosen: &chosen,
            facts: &facts,
            subscription: SubscriptionId::from_uuid(uuid::Uuid::nil()),
            tenant_since: Some("T"),
            reference: None,
        })
    }

    #[test]
    fn r11_names_both_tenants_the_transfer_and_the_remedy() {
        let v = assessed("A", "B");
        assert_eq!(v.rule, Some("R11"));
        assert!(!v.can_get_token);
        assert_eq!(v.facts[0], "principal p lives in tenant A");
        assert!(
            v.facts[1].contains("trusts tenant B since T"),
            "{:?}",
            v.facts
        );
        assert!(v.remedy.unwrap().contains("off and on"));
    }

    #[test]
    fn a_healthy_pair_says_where_its_principal_lives() {
        let v = assessed("A", "A");
        assert!(v.can_get_token && v.rule.is_none() && v.remedy.is_none());
        assert_eq!(v.facts[0], "principal p lives in tenant A");
    }
}
