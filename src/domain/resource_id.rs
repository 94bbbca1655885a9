//! ARM resource ids, parsed once: a subscription, an optional resource group, and the chain of
//! provider parts below them. Each provider part is a namespace with (type, name) pairs; a
//! second part is an extension resource on the first (`{vm}/providers/Microsoft.ManagedIdentity
//! /identities/default`, a role assignment on a resource). Literal segments match in any case
//! and are written the way ARM writes them; values keep the casing the client sent; `key()` is
//! the lowercase form every comparison and index uses (DESIGN principle 5).
use super::SubscriptionId;
use std::fmt;

/// Why a string is not an ARM resource id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{id}' is not a valid resource id: {why}.")]
pub struct ResourceIdError {
    pub id: String,
    pub why: &'static str,
}

/// A namespace and the (type, name) pairs under it: `Microsoft.Compute/virtualMachines/vm1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderPart {
    pub namespace: String,
    pub types: Vec<(String, String)>,
}

/// A parsed ARM id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceId {
    subscription: SubscriptionId,
    group: Option<String>,
    /// `resourceGroups`, or `resourcegroups` where a provider writes it so (ManagedIdentity).
    group_segment: GroupSegment,
    providers: Vec<ProviderPart>,
}

/// How the group's literal segment is written: most providers write `resourceGroups`; the
/// ManagedIdentity provider writes `resourcegroups`, and so do some clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupSegment {
    Camel,
    Lower,
}

/// At most this many segments: ARM ids are short, and the parse is bounded.
const MAX_SEGMENTS: usize = 64;

impl ResourceId {
    /// A subscription.
    pub fn subscription_scope(subscription: SubscriptionId) -> Self {
        Self {
            subscription,
            group: None,
            group_segment: GroupSegment::Camel,
            providers: Vec::new(),
        }
    }

    /// A resource group.
    pub fn group_scope(subscription: SubscriptionId, group: &str) -> Self {
        Self {
            group: Some(group.to_string()),
            ..Self::subscription_scope(subscription)
        }
    }

    /// A top-level resource of type `namespace/type` in a group.
    pub fn resource(
        subscription: SubscriptionId,
        group: &str,
        resource_type: &str,
        name: &str,
    ) -> Self {
        let (namespace, ty) = resource_type.split_once('/').unwrap_or((resource_type, ""));
        Self::group_scope(subscription, group).provider(namespace, ty, name)
    }

    /// The same id, its group segment written as given.
    pub fn written_with(mut self, segment: GroupSegment) -> Self {
        self.group_segment = segment;
        self
    }

    /// This id with an extension resource (a new provider part) below it.
    pub fn provider(mut self, namespace: &str, ty: &str, name: &str) -> Self {
        self.providers.push(ProviderPart {
            namespace: namespace.to_string(),
            types: vec![(ty.to_string(), name.to_string())],
        });
        self
    }

    /// This resource's child (`.../virtualMachines/vm1/extensions/e`); a scope without a
    /// resource has no children and stays as it is.
    pub fn child(mut self, ty: &str, name: &str) -> Self {
        if let Some(last) = self.providers.last_mut() {
            last.types.push((ty.to_string(), name.to_string()));
        }
        self
    }

    /// Parses an id in any case, with or without a trailing slash.
    pub fn parse(raw: &str) -> Result<Self, ResourceIdError> {
        let fail = |why| ResourceIdError {
            id: raw.to_string(),
            why,
        };
        let body = raw
            .strip_prefix('/')
            .ok_or_else(|| fail("it must start with '/subscriptions/'"))?;
        let body = body.strip_suffix('/').unwrap_or(body);
        let segs: Vec<&str> = body.split('/').collect();
        if segs.len() > MAX_SEGMENTS {
            return Err(fail("it has too many segments"));
        }
        if segs.iter().any(|s| s.is_empty()) {
            return Err(fail("it has an empty segment"));
        }
        let literal =
            |i: usize, want: &str| segs.get(i).is_some_and(|s| s.eq_ignore_ascii_case(want));
        if !literal(0, "subscriptions") || segs.len() < 2 {
            return Err(fail("it must start with '/subscriptions/{subscriptionId}'"));
        }
        let subscription =
            SubscriptionId::parse(segs[1]).map_err(|_| fail("the subscription is not a GUID"))?;
        let mut id = Self::subscription_scope(subscription);
        let mut i = 2;
        if literal(i, "resourceGroups") {
            let group = segs
                .get(i + 1)
                .ok_or_else(|| fail("the resource group has no name"))?;
            id.group = Some(group.to_string());
            if segs[i] == "resourcegroups" {
                id.group_segment = GroupSegment::Lower;
            }
            i += 2;
        }
        while i < segs.len() {
            if !literal(i, "providers") {
                return Err(fail("expected 'providers' before a namespace"));
            }
            let namespace = segs
                .get(i + 1)
                .ok_or_else(|| fail("'providers' has no namespace"))?;
            i += 2;
            let mut types = Vec::new();
            while i < segs.len() && !literal(i, "providers") {
                let name = segs
                    .get(i + 1)
                    .ok_or_else(|| fail("a resource type has no name"))?;
                types.push((segs[i].to_string(), name.to_string()));
                i += 2;
            }
            if types.is_empty() {
                return Err(fail("a namespace has no resource type"));
            }
            id.providers.push(ProviderPart {
                namespace: namespace.to_string(),
                types,
            });
        }
        Ok(id)
    }

    pub fn subscription(&self) -> SubscriptionId {
        self.subscription
    }

    /// The group's name as sent, if the id is in a group.
    pub fn group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    pub fn providers(&self) -> &[ProviderPart] {
        &self.providers
    }

    /// The full type of the innermost resource (`Microsoft.Compute/virtualMachines`,
    /// `Microsoft.Sql/servers/databases`), or `None` for a subscription or group.
    pub fn resource_type(&self) -> Option<String> {
        let last = self.providers.last()?;
        let mut t = last.namespace.clone();
        for (ty, _) in &last.types {
            t.push('/');
            t.push_str(ty);
        }
        Some(t)
    }

    /// The id below its scope, as a template's `reference(..., 'Full').resourceId` shows it:
    /// `Microsoft.Compute/virtualMachines/vm1` (extension parts joined by `/providers/`).
    pub fn provider_path(&self) -> String {
        let full = self.to_string();
        full.split_once("/providers/")
            .map(|(_, rest)| rest.to_string())
            .unwrap_or_default()
    }

    /// The innermost resource's name.
    pub fn name(&self) -> Option<&str> {
        self.providers.last()?.types.last().map(|(_, n)| n.as_str())
    }

    /// True for a top-level resource (one provider part, one type).
    pub fn is_top_level_resource(&self) -> bool {
        self.providers.len() == 1 && self.providers[0].types.len() == 1
    }

    /// The group and name of a top-level resource of type `resource_type` (in any case), or
    /// `None` when the id names something else.
    pub fn as_resource(&self, resource_type: &str) -> Option<(&str, &str)> {
        let is_it = self.is_top_level_resource()
            && self
                .resource_type()
                .is_some_and(|t| t.eq_ignore_ascii_case(resource_type));
        is_it.then_some((self.group()?, self.name()?))
    }

    /// The lowercase form: equal for ids ARM treats as equal.
    pub fn key(&self) -> String {
        self.to_string().to_lowercase()
    }

    /// The id one level up: a child's parent resource, an extension's resource, a resource's
    /// group, a group's subscription; `None` for a subscription.
    pub fn parent(&self) -> Option<Self> {
        let mut up = self.clone();
        match up.providers.last_mut() {
            Some(last) => {
                last.types.pop();
                if last.types.is_empty() {
                    up.providers.pop();
                }
            }
            None if up.group.is_some() => up.group = None,
            None => return None,
        }
        Some(up)
    }

    /// True when this id is `scope` or lies below it.
    pub fn is_within(&self, scope: &ResourceId) -> bool {
        key_within(&self.key(), &scope.key())
    }

    /// The same resource in another group (a move); a subscription-level id gains the group.
    pub fn with_group(&self, group: &str) -> Self {
        Self {
            group: Some(group.to_string()),
            ..self.clone()
        }
    }

    /// The same resource in another subscription (a move).
    pub fn with_subscription(&self, subscription: SubscriptionId) -> Self {
        Self {
            subscription,
            ..self.clone()
        }
    }
}

/// A subscription's location, `/subscriptions/{s}/locations/{name}`: ARM's id for it, though
/// not a provider's resource (so not a `ResourceId`).
pub fn location_id(subscription: SubscriptionId, location: &str) -> String {
    format!(
        "{}/locations/{location}",
        ResourceId::subscription_scope(subscription)
    )
}

/// A resource provider's id: `/subscriptions/{s}/providers/{ns}` where it is registered, or
/// `/providers/{ns}` at the tenant.
pub fn provider_id(subscription: Option<SubscriptionId>, namespace: &str) -> String {
    let scope = subscription
        .map(|s| ResourceId::subscription_scope(s).to_string())
        .unwrap_or_default();
    format!("{scope}/providers/{namespace}")
}

/// True when the id `key` is `scope_key` or lies below it (both in key form): a prefix that
/// ends at a segment boundary, so `/rg1` does not contain `/rg10`.
pub fn key_within(key: &str, scope_key: &str) -> bool {
    key == scope_key
        || key
            .strip_prefix(scope_key)
            .is_some_and(|rest| rest.starts_with('/'))
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/subscriptions/{}", self.subscription)?;
        if let Some(g) = &self.group {
            let segment = match self.group_segment {
                GroupSegment::Camel => "resourceGroups",
                GroupSegment::Lower => "resourcegroups",
            };
            write!(f, "/{segment}/{g}")?;
        }
        for p in &self.providers {
            write!(f, "/providers/{}", p.namespace)?;
            for (ty, name) in &p.types {
                write!(f, "/{ty}/{name}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUB: &str = "22222222-2222-4222-8222-222222222222";

    fn id(s: &str) -> ResourceId {
        ResourceId::parse(s).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn ids_parse_in_any_case_keep_the_casing_of_values_and_compare_by_key() {
        let a = id(&format!("/SUBSCRIPTIONS/{SUB}/RESOURCEGROUPS/My-RG/PROVIDERS/Microsoft.Compute/virtualMachines/Vm1/"));
        assert_eq!(
            a.to_string(),
            format!("/subscriptions/{SUB}/resourceGroups/My-RG/providers/Microsoft.Compute/virtualMachines/Vm1")
        );
        let b = id(&format!("/subscriptions/{SUB}/resourceGroups/my-rg/providers/microsoft.compute/VIRTUALMACHINES/vm1"));
        assert_ne!(a, b);
        assert_eq!(a.key(), b.key());
        assert_eq!(a.group(), Some("My-RG"));
        assert_eq!(
            a.resource_type().as_deref(),
            Some("Microsoft.Compute/virtualMachines")
        );
        assert_eq!(a.name(), Some("Vm1"));
        assert!(a.is_top_level_resource());
        assert_eq!(
            a.as_resource("microsoft.compute/VIRTUALMACHINES"),
            Some(("My-RG", "Vm1"))
        );
        assert_eq!(
            a.as_resource("Microsoft.ContainerInstance/containerGroups"),
            None
        );
        let msi = format!("/subscriptions/{SUB}/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1");
        assert_eq!(
            id(&msi).to_string(),
            msi,
            "ManagedIdentity's lowercase segment is kept"
        );
    }

    #[test]
    fn child_and_extension_resources_have_parents_up_to_the_subscription() {
        let ext = id(&format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1/providers/Microsoft.ManagedIdentity/identities/default"));
        assert_eq!(
            ext.resource_type().as_deref(),
            Some("Microsoft.ManagedIdentity/identities")
        );
        assert!(!ext.is_top_level_resource());
        let vm = ext.parent().unwrap();
        assert_eq!(vm.name(), Some("vm1"));
        let child = id(&format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Sql/servers/s1/databases/d1"));
        assert_eq!(
            child.resource_type().as_deref(),
            Some("Microsoft.Sql/servers/databases")
        );
        assert_eq!(child.parent().unwrap().name(), Some("s1"));
        let group = vm.parent().unwrap();
        assert_eq!(
            group.to_string(),
            format!("/subscriptions/{SUB}/resourceGroups/rg")
        );
        let sub = group.parent().unwrap();
        assert_eq!(sub.to_string(), format!("/subscriptions/{SUB}"));
        assert_eq!(sub.parent(), None);
        assert!(
            ext.is_within(&sub) && ext.is_within(&group) && ext.is_within(&vm) && vm.is_within(&vm)
        );
        let other = id(&format!("/subscriptions/{SUB}/resourceGroups/rg2"));
        assert!(!vm.is_within(&other));
        // A prefix of a name is not a scope.
        let rg = id(&format!("/subscriptions/{SUB}/resourceGroups/r"));
        assert!(!vm.is_within(&rg));
    }

    #[test]
    fn moves_change_the_group_or_subscription_and_nothing_else() {
        let vm = ResourceId::resource(
            SubscriptionId::parse(SUB).unwrap(),
            "rg",
            "Microsoft.Compute/virtualMachines",
            "vm1",
        );
        let moved = vm.with_group("rg2");
        assert_eq!(moved.group(), Some("rg2"));
        assert_eq!(moved.name(), Some("vm1"));
        let other = SubscriptionId::parse("33333333-3333-4333-8333-333333333333").unwrap();
        assert_eq!(vm.with_subscription(other).subscription(), other);
    }

    #[test]
    fn malformed_ids_are_refused_with_the_reason() {
        for bad in [
            "",
            "subscriptions/x",
            "/subscriptions",
            "/subscriptions/not-a-guid",
            &format!("/subscriptions/{SUB}/resourceGroups"),
            &format!("/subscriptions/{SUB}//resourceGroups/rg"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines"),
            &format!("/subscriptions/{SUB}/resourceGroups/rg/things/x"),
        ] {
            assert!(ResourceId::parse(bad).is_err(), "{bad} should be refused");
        }
        let long = format!("/subscriptions/{SUB}{}", "/a/b".repeat(100));
        assert_eq!(
            ResourceId::parse(&long).unwrap_err().why,
            "it has too many segments"
        );
    }
}
