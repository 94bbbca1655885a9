//! The resource kinds mi-sim stores, and what every set-based operation over "all resources"
//! needs to know of each: where its rows are, which service principal goes with a resource
//! when it goes (R2, R5, R17), and its row in the generic `/resources` list. The group-delete
//! cascade, the generic list and reset loop over this table instead of naming tables, so a new
//! kind is one entry here (and its own table, ops and HTTP module; `docs/architecture.md`).
use std::sync::LazyLock;

/// One kind of resource as stored.
#[derive(Debug)]
pub struct StoredKind {
    /// ARM's type, as the provider writes it.
    pub resource_type: &'static str,
    /// The table its rows live in (several kinds may share one).
    pub table: &'static str,
    /// Picks this kind's rows in that table.
    pub(crate) selector: &'static str,
    /// The column naming the principal that is deleted with the resource.
    pub(crate) principal: &'static str,
    /// The generic-list columns after (subscription, group key, type, type key): name, name
    /// key, location, tags, identity type, system principal, system tenant, user-assigned refs,
    /// created and changed times.
    list_columns: &'static str,
}

/// Every kind mi-sim stores.
pub const KINDS: &[StoredKind] = &[
    StoredKind {
        resource_type: "Microsoft.ManagedIdentity/userAssignedIdentities",
        table: "user_assigned_identities",
        selector: "1 = 1",
        principal: "principal_id",
        list_columns:
            "name, name_key, location, tags, 'None' as identity_type, null as system_principal_id,
                       null as system_tenant_id, '[]' as user_assigned, created_at, modified_at",
    },
    StoredKind {
        resource_type: "Microsoft.Compute/virtualMachines",
        table: "compute_resources",
        selector: "resource_type = 'Microsoft.Compute/virtualMachines'",
        principal: "system_principal_id",
        list_columns: COMPUTE_LIST_COLUMNS,
    },
    StoredKind {
        resource_type: "Microsoft.ContainerInstance/containerGroups",
        table: "compute_resources",
        selector: "resource_type = 'Microsoft.ContainerInstance/containerGroups'",
        principal: "system_principal_id",
        list_columns: COMPUTE_LIST_COLUMNS,
    },
];

const COMPUTE_LIST_COLUMNS: &str = "name, name_key, location, tags, identity_type, system_principal_id, system_tenant_id, user_assigned, created_at, modified_at";

/// The statements that delete everything in a group (`?1` subscription, `?2` group key), table
/// by table (a group delete takes every kind, so kinds that share a table go in one pass):
/// first the principals that go with the resources, then the resources.
pub static GROUP_CASCADE: LazyLock<Vec<String>> = LazyLock::new(|| {
    tables()
        .into_iter()
        .flat_map(|table| {
            let principal = KINDS
                .iter()
                .find(|k| k.table == table)
                .map_or("null", |k| k.principal);
            let scope = "subscription_id = ?1 and resource_group_key = ?2";
            [
                format!(
                    "delete from service_principals where object_id in (select {principal} from {table} where {scope} and {principal} is not null)"
                ),
                format!("delete from {table} where {scope}"),
            ]
        })
        .collect()
});

/// Every resource of a subscription (`?1`), or of one group (`?2`, null for all), as generic
/// list rows: the union of every kind's projection.
pub static LIST_UNION: LazyLock<String> = LazyLock::new(|| {
    KINDS
        .iter()
        .map(|k| {
            format!(
                "select subscription_id, resource_group_key as group_key, '{ty}' as resource_type, '{key}' as type_key, {cols}
                 from {t} where subscription_id = ?1 and (?2 is null or resource_group_key = ?2) and {sel}",
                ty = k.resource_type,
                key = k.resource_type.to_ascii_lowercase(),
                cols = k.list_columns,
                t = k.table,
                sel = k.selector
            )
        })
        .collect::<Vec<_>>()
        .join(" union all ")
});

/// The tables of resources, each once (reset empties them).
pub fn tables() -> Vec<&'static str> {
    let mut tables: Vec<&'static str> = KINDS.iter().map(|k| k.table).collect();
    tables.dedup();
    tables
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::compute::ComputeKind;
    use crate::domain::identity::USER_ASSIGNED_TYPE;

    #[test]
    fn every_kind_the_domain_knows_is_stored_once() {
        let types: Vec<&str> = KINDS.iter().map(|k| k.resource_type).collect();
        assert_eq!(
            types,
            [
                USER_ASSIGNED_TYPE,
                ComputeKind::VirtualMachine.resource_type(),
                ComputeKind::ContainerGroup.resource_type()
            ]
        );
        assert_eq!(tables(), ["user_assigned_identities", "compute_resources"]);
        assert_eq!(GROUP_CASCADE.len(), 2 * tables().len());
        // Kinds that share a table share the column of their principal.
        for k in KINDS {
            let first = KINDS.iter().find(|o| o.table == k.table).unwrap();
            assert_eq!(k.principal, first.principal, "{}", k.resource_type);
        }
    }
}
