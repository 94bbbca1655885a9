//! The generic resource list: every resource of a subscription (or group) whatever its type,
//! with `$filter` translated into SQL so a page costs one statement.
use crate::domain::catalog;
use crate::domain::filter::{Field, Filter};
use crate::domain::identity::UserAssignedRef;
use crate::domain::names::name_key;
use crate::domain::SubscriptionId;
use sqlx::types::Json;
use sqlx::SqliteConnection;
use std::collections::BTreeMap;

/// One resource as the generic list shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GenericRow {
    pub subscription_id: SubscriptionId,
    pub resource_group: String,
    pub group_key: String,
    pub resource_type: String,
    pub type_key: String,
    pub name: String,
    pub name_key: String,
    pub location: String,
    pub tags: Json<BTreeMap<String, String>>,
    pub identity_type: String,
    pub system_principal_id: Option<String>,
    pub system_tenant_id: Option<String>,
    pub user_assigned: Json<Vec<UserAssignedRef>>,
    pub created_at: String,
    pub modified_at: String,
}

/// Appends the SQL of a filter to `sql`, its values to `args` (bound after the fixed ones).
fn push_filter(f: &Filter, sql: &mut String, args: &mut Vec<String>, first: usize) {
    let mut bind = |sql: &mut String, value: String| {
        args.push(value);
        sql.push_str(&format!("?{}", first + args.len() - 1));
    };
    let column = |field: Field| match field {
        Field::Name => "r.name_key",
        Field::ResourceType => "r.type_key",
        Field::ResourceGroup => "r.group_key",
        Field::Location => "r.location",
    };
    // Values are normalised the way the column is: names by `name_key`, types (ASCII) by
    // lowercase, locations to their canonical name.
    let normalise = |field: Field, v: &str| match field {
        Field::Name | Field::ResourceGroup => name_key(v),
        Field::ResourceType => v.to_ascii_lowercase(),
        Field::Location => catalog::location(v)
            .map(|l| l.name.to_string())
            .unwrap_or_else(|| name_key(v)),
    };
    match f {
        Filter::And(items) | Filter::Or(items) => {
            let join = if matches!(f, Filter::And(..)) {
                " and "
            } else {
                " or "
            };
            sql.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    sql.push_str(join);
                }
                push_filter(item, sql, args, first);
            }
            sql.push(')');
        }
        Filter::Eq(field, v) | Filter::Ne(field, v) => {
            sql.push_str(column(*field));
            sql.push_str(if matches!(f, Filter::Eq(..)) {
                " = "
            } else {
                " <> "
            });
            bind(sql, normalise(*field, v));
        }
        Filter::Substring(field, needle) => {
            sql.push_str(&format!("instr({}, ", column(*field)));
            bind(sql, name_key(needle));
            sql.push_str(") > 0");
        }
    }
}

/// One page of resources in (group, type, name) key order after `after`, matching `filter`.
pub async fn list_page(
    conn: &mut SqliteConnection,
    subscription: &str,
    group_key: Option<&str>,
    filter: Option<&Filter>,
    after: (&str, &str, &str),
    limit: i64,
) -> Result<Vec<GenericRow>, sqlx::Error> {
    let mut sql = format!(
        "select r.subscription_id, g.name as resource_group, r.group_key, r.resource_type, r.type_key, r.name,
                r.name_key, r.location, r.tags, r.identity_type, r.system_principal_id, r.system_tenant_id, r.user_assigned,
                r.created_at, r.modified_at
         from ({}) r
         join resource_groups g on g.subscription_id = r.subscription_id and g.name_key = r.group_key
         where (r.group_key, r.type_key, r.name_key) > (?3, ?4, ?5)",
        *super::kinds::LIST_UNION
    );
    let mut args = Vec::new();
    if let Some(f) = filter {
        sql.push_str(" and ");
        push_filter(f, &mut sql, &mut args, 7);
    }
    sql.push_str(" order by r.group_key, r.type_key, r.name_key limit ?6");
    let mut q = sqlx::query_as(&sql)
        .bind(subscription)
        .bind(group_key)
        .bind(after.0)
        .bind(after.1)
        .bind(after.2)
        .bind(limit);
    for a in args {
        q = q.bind(a);
    }
    q.fetch_all(conn).await
}
