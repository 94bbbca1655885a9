//! Resource-group template export: reads the group's resources in a few statements (at most
//! 200, as ARM exports), builds the template (`domain::export`) and, for the api-versions that
//! run it as a long-running operation, keeps the answer for the poller.
use super::resource_groups::require_group;
use super::OpError;
use crate::domain::compute::ComputeKind;
use crate::domain::export::{
    export_template, Export, ExportOptions, Exported, MAX_EXPORT_RESOURCES,
};
use crate::domain::identity::USER_ASSIGNED_TYPE;
use crate::domain::names::name_key;
use crate::domain::resource_id::ResourceId;
use crate::domain::{ResourceGroupName, SubscriptionId};
use crate::state::AppState;
use crate::store;
use serde_json::{json, Map, Value};

/// Which resources to export: every one (`["*"]`) or the given ids.
#[derive(Debug, Clone)]
pub enum Selection {
    All,
    Ids(Vec<ResourceId>),
}

/// Exports a group's template.
#[tracing::instrument(skip_all, fields(subscription = %sub, group = %group))]
pub async fn export(
    state: &AppState,
    (sub, group): (SubscriptionId, &ResourceGroupName),
    selection: &Selection,
    options: ExportOptions,
) -> Result<Export, OpError> {
    let mut conn = state.store.read().await?;
    let g = require_group(&mut conn, sub, group).await?;
    let (s, gk) = (sub.to_string(), group.key());
    let limit = MAX_EXPORT_RESOURCES as i64 + 1;
    let mut resources: Vec<Exported> = Vec::new();
    for i in store::identities::list_by_group_page(&mut conn, &s, &gk, "", limit).await? {
        resources.push(Exported {
            resource_type: USER_ASSIGNED_TYPE,
            name: i.name,
            location: i.location,
            tags: to_map(i.tags.0),
            properties: Map::new(),
            extra: Map::new(),
            identity: None,
            extensions: Vec::new(),
        });
    }
    let extensions = store::extensions::list_in_group(&mut conn, (&s, &gk), limit).await?;
    for kind in [ComputeKind::VirtualMachine, ComputeKind::ContainerGroup] {
        let rows = store::compute::list_page(
            &mut conn,
            &s,
            Some(&gk),
            kind.resource_type(),
            ("", ""),
            limit,
        )
        .await?;
        for c in rows {
            let key = name_key(&c.name);
            let exts = extensions
                .iter()
                .filter(|e| kind == ComputeKind::VirtualMachine && e.vm_name_key == key)
                .map(|e| (e.extension.name.clone(), e.extension.properties.0.clone()))
                .collect();
            let identity = (c.identity_type != "None").then(|| {
                let ids = c.user_assigned.0.iter().map(|u| u.id.clone()).collect();
                (c.identity_type.clone(), ids)
            });
            resources.push(Exported {
                resource_type: kind.resource_type(),
                name: c.name,
                location: c.location,
                tags: to_map(c.tags.0),
                properties: c.properties.0,
                extra: c.extra.0,
                identity,
                extensions: exts,
            });
        }
    }
    let scope = ResourceId::group_scope(sub, &g.name);
    if let Selection::Ids(ids) = selection {
        let wanted: Vec<String> = ids.iter().map(ResourceId::key).collect();
        resources.retain(|r| {
            let id = ResourceId::resource(sub, &g.name, r.resource_type, &r.name);
            wanted.contains(&id.key())
        });
    }
    if resources.len() > MAX_EXPORT_RESOURCES {
        return Err(OpError::InvalidParameter {
            target: "resources",
            message: format!("The resource group '{}' holds more than {MAX_EXPORT_RESOURCES} resources; export at most {MAX_EXPORT_RESOURCES} at a time by listing their ids in 'resources'.", g.name),
        });
    }
    Ok(export_template(&scope, &resources, options))
}

fn to_map(tags: std::collections::BTreeMap<String, String>) -> Map<String, Value> {
    tags.into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()
}

/// The answer of an export, as ARM shapes it: `template`, and `error` when part of it failed.
pub fn answer(e: Export) -> Value {
    let mut body = json!({ "template": e.template });
    if let Some(error) = e.error {
        body["error"] = error;
    }
    body
}

/// Records an answer (an export, a what-if) as a finished operation of `kind` whose poll
/// gives it; returns its id.
pub async fn record(
    state: &AppState,
    sub: SubscriptionId,
    kind: &'static str,
    answer: Value,
) -> Result<String, OpError> {
    let op = state.idgen.arm_operation();
    let (s, now, id) = (sub.to_string(), state.clock.now_text(), op.clone());
    state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let ending = store::operations::Ending {
                    result: Some(answer),
                    ..Default::default()
                };
                store::operations::insert(tx, &id, &s, kind, &now, ending).await
            })
        })
        .await?;
    Ok(op)
}
