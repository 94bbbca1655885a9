//! Service principals: the Entra side of every managed identity.
use crate::domain::identity::{user_assigned_identity_id, NewPrincipal, USER_ASSIGNED_TYPE};
use crate::domain::resource_id::ResourceId;
use crate::domain::SubscriptionId;
use sqlx::SqliteConnection;

/// A service principal as listed by the control API.
#[derive(Debug, Clone)]
pub struct PrincipalRow {
    pub object_id: String,
    pub app_id: String,
    pub tenant_id: String,
    pub display_name: String,
    pub kind: String,
    /// The ARM id of the resource it backs, where it is now; `None` for applications.
    pub resource_id: Option<String>,
}

/// A principal and where the resource that names it is. The principal does not store it: a
/// move would have to rename thousands of principals as well as their resources.
#[derive(sqlx::FromRow)]
struct ListedRow {
    object_id: String,
    app_id: String,
    tenant_id: String,
    display_name: String,
    kind: String,
    res_subscription: Option<SubscriptionId>,
    res_group: Option<String>,
    res_type: Option<String>,
    res_name: Option<String>,
}

impl From<ListedRow> for PrincipalRow {
    fn from(r: ListedRow) -> Self {
        let resource_id = match (r.res_subscription, r.res_group, r.res_type, r.res_name) {
            // The MSI provider writes its ids its own way (`user_assigned_identity_id`).
            (Some(sub), Some(group), Some(ty), Some(name)) => Some(if ty == USER_ASSIGNED_TYPE {
                user_assigned_identity_id(sub, &group, &name)
            } else {
                ResourceId::resource(sub, &group, &ty, &name).to_string()
            }),
            _ => None,
        };
        Self {
            object_id: r.object_id,
            app_id: r.app_id,
            tenant_id: r.tenant_id,
            display_name: r.display_name,
            kind: r.kind,
            resource_id,
        }
    }
}

/// Creates a service principal.
pub async fn insert(
    conn: &mut SqliteConnection,
    p: &NewPrincipal,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into service_principals (object_id, app_id, tenant_id, display_name, kind, created_at)
         values (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .bind(p.object_id.hyphenated().to_string())
    .bind(p.app_id.hyphenated().to_string())
    .bind(p.tenant_id.to_string())
    .bind(&p.display_name)
    .bind(p.kind.as_str())
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(conn: &mut SqliteConnection, object_id: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from service_principals where object_id = ?1")
        .bind(object_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn list_by_tenant(
    conn: &mut SqliteConnection,
    tenant: &str,
) -> Result<Vec<PrincipalRow>, sqlx::Error> {
    // The resource that names the principal: its identity or its VM or container group. SQLite builds a transient index on each principal column for the join (there is
    // none stored: every create and move would pay for it, and this list is rare).
    let rows: Vec<ListedRow> = sqlx::query_as(&format!(
        "select p.object_id, p.app_id, p.tenant_id, p.display_name, p.kind,
                coalesce(i.subscription_id, c.subscription_id) as res_subscription,
                coalesce(gi.name, gc.name) as res_group,
                case when i.name is not null then '{USER_ASSIGNED_TYPE}' else c.resource_type end as res_type,
                coalesce(i.name, c.name) as res_name
         from service_principals p
         left join user_assigned_identities i on p.kind = 'UserAssigned' and i.principal_id = p.object_id
         left join resource_groups gi on gi.subscription_id = i.subscription_id and gi.name_key = i.resource_group_key
         left join compute_resources c on p.kind = 'SystemAssigned' and c.system_principal_id = p.object_id
         left join resource_groups gc on gc.subscription_id = c.subscription_id and gc.name_key = c.resource_group_key
         where p.tenant_id = ?1 order by p.display_name, p.object_id",
    ))
    .bind(tenant)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(PrincipalRow::from).collect())
}

/// The tenant a principal lives in, if it exists.
pub async fn tenant_of(
    conn: &mut SqliteConnection,
    object_id: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("select tenant_id from service_principals where object_id = ?1")
        .bind(object_id)
        .fetch_optional(conn)
        .await
}
