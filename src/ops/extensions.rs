//! VM extensions: create, update, read, list, delete, as Compute runs them (long-running, the
//! result on the operation). Any publisher and type is stored; the legacy managed-identity
//! extension has behaviour (R18, `domain::extensions`).
use super::compute::{record_operation, require, ComputeRef};
use super::{OpError, Written};
use crate::domain::extensions::{
    dns_failure, is_managed_identity, EXTENSION_TYPE, FAILED, SUCCEEDED,
};
use crate::domain::faults::FaultKind;
use crate::domain::identity::Write;
use crate::domain::resource_id::ResourceId;
use crate::domain::{ResourceName, Tags};
use crate::state::AppState;
use crate::store::{self, extensions::ExtensionRow};
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::SqliteConnection;
use std::sync::Arc;

/// An extension of a VM.
#[derive(Debug, Clone)]
pub struct ExtensionRef {
    pub vm: ComputeRef,
    pub name: ResourceName,
}

impl ExtensionRef {
    fn not_found(&self) -> OpError {
        OpError::ResourceNotFound {
            resource_type: EXTENSION_TYPE,
            name: format!("{}/{}", self.vm.name, self.name),
            group: self.vm.group.to_string(),
        }
    }
}

/// What a PUT or PATCH asks for; PUT replaces `properties`, PATCH merges them.
#[derive(Debug, Clone)]
pub struct ExtensionSpec {
    pub location: Option<&'static str>,
    pub tags: Option<Tags>,
    pub properties: Map<String, Value>,
}

/// What a write did, and the operation the client's poller follows.
#[derive(Debug)]
pub struct ExtensionOutcome {
    pub row: ExtensionRow,
    pub written: Written,
    pub operation: String,
    pub location: String,
}

/// PUT or PATCH, in one transaction: store the extension, then provision it.
#[tracing::instrument(skip_all, fields(vm = %r.vm.name, extension = %r.name))]
pub async fn write(
    state: &Arc<AppState>,
    r: &ExtensionRef,
    spec: ExtensionSpec,
    mode: Write,
) -> Result<ExtensionOutcome, OpError> {
    let (state, r) = (state.clone(), r.clone());
    state
        .clone()
        .store
        .write(move |tx| Box::pin(async move { write_in(&state, tx, &r, spec, mode).await }))
        .await
}

async fn write_in(
    state: &AppState,
    tx: &mut SqliteConnection,
    r: &ExtensionRef,
    spec: ExtensionSpec,
    mode: Write,
) -> Result<ExtensionOutcome, OpError> {
    let vm = require(&mut *tx, &r.vm).await?;
    let (s, g, n) = (vm.subscription_id, r.vm.group.key(), r.vm.name.key());
    let existing = store::extensions::get(&mut *tx, (s, &g, &n), &r.name.key()).await?;
    let now = state.clock.now_text();
    let (mut row, written) = match (existing, mode) {
        (Some(e), _) => (e, Written::Updated),
        (None, Write::Patch) => return Err(r.not_found()),
        (None, Write::Put) => (
            ExtensionRow {
                name: r.name.to_string(),
                location: spec.location.unwrap_or(&vm.location).to_string(),
                tags: Json(Default::default()),
                properties: Json(Map::new()),
                provisioning_state: SUCCEEDED.into(),
                failure: None,
                failed_boot: None,
                created_at: now.clone(),
                modified_at: now.clone(),
            },
            Written::Created,
        ),
    };
    if let Some(tags) = spec.tags {
        row.tags = Json(tags.as_map().clone());
    }
    let mut properties = spec.properties;
    // Write-only (secrets) and computed by Compute: never stored.
    for k in ["protectedSettings", "provisioningState", "instanceView"] {
        properties.remove(k);
    }
    match mode {
        Write::Put => row.properties = Json(properties),
        Write::Patch => row.properties.0.extend(properties),
    }
    for required in ["publisher", "type", "typeHandlerVersion"] {
        if row
            .properties
            .0
            .get(required)
            .and_then(Value::as_str)
            .is_none()
        {
            return Err(OpError::InvalidParameter {
                target: required,
                message: format!("Required parameter '{required}' is missing (null)."),
            });
        }
    }
    let text = |k: &str| {
        row.properties
            .0
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (publisher, extension_type) = (text("publisher"), text("type"));
    let failure = if is_managed_identity(&publisher, &extension_type) {
        let vm_id = ResourceId::resource(
            r.vm.subscription,
            &vm.resource_group,
            r.vm.kind.resource_type(),
            &vm.name,
        );
        // R18: a DNS failure lasts until the VM restarts; a fault starts one.
        let failed_this_boot = row.failure.is_some() && row.failed_boot == Some(vm.boots);
        let fires = failed_this_boot
            || super::faults::fire_in(
                &mut *tx,
                state.faults.armed(FaultKind::ExtensionDnsFailure),
                FaultKind::ExtensionDnsFailure,
                &vm_id.key(),
            )
            .await?
            .is_some();
        fires.then(|| dns_failure(&row.name, &publisher, &extension_type))
    } else {
        None
    };
    match &failure {
        Some(f) => {
            tracing::info!(rule = "R18", "extension provisioning failed");
            row.provisioning_state = FAILED.into();
            row.failure = Some(Json(f.clone()));
            row.failed_boot = Some(vm.boots);
        }
        None => {
            row.provisioning_state = SUCCEEDED.into();
            row.failure = None;
            row.failed_boot = None;
        }
    }
    row.modified_at = now.clone();
    store::extensions::upsert(&mut *tx, (s, &g, &n), &row).await?;
    let ending = store::operations::Ending {
        error: failure,
        ..Default::default()
    };
    let operation = record_operation(state, &mut *tx, &r.vm, "extension", &now, ending).await?;
    Ok(ExtensionOutcome {
        row,
        written,
        operation,
        location: vm.location,
    })
}

pub async fn get(state: &AppState, r: &ExtensionRef) -> Result<ExtensionRow, OpError> {
    let mut conn = state.store.read().await?;
    let vm = require(&mut conn, &r.vm).await?;
    store::extensions::get(
        &mut conn,
        (vm.subscription_id, &r.vm.group.key(), &r.vm.name.key()),
        &r.name.key(),
    )
    .await?
    .ok_or_else(|| r.not_found())
}

/// A VM and its extensions, read together (the VM's instance view shows them).
pub async fn vm_with_extensions(
    state: &AppState,
    vm: &ComputeRef,
) -> Result<(crate::store::compute::ComputeRow, Vec<ExtensionRow>), OpError> {
    let mut conn = state.store.read().await?;
    let row = require(&mut conn, vm).await?;
    let extensions = store::extensions::list(
        &mut conn,
        (row.subscription_id, &vm.group.key(), &vm.name.key()),
    )
    .await?;
    Ok((row, extensions))
}

/// A VM's extensions.
pub async fn list(state: &AppState, vm: &ComputeRef) -> Result<Vec<ExtensionRow>, OpError> {
    let mut conn = state.store.read().await?;
    let row = require(&mut conn, vm).await?;
    Ok(store::extensions::list(
        &mut conn,
        (row.subscription_id, &vm.group.key(), &vm.name.key()),
    )
    .await?)
}

/// Deletes an extension; the operation for the poller and the VM's location, or `None` when
/// there was none.
#[tracing::instrument(skip_all, fields(vm = %r.vm.name, extension = %r.name))]
pub async fn delete(
    state: &Arc<AppState>,
    r: &ExtensionRef,
) -> Result<Option<(String, String)>, OpError> {
    let (state, r) = (state.clone(), r.clone());
    state
        .clone()
        .store
        .write(move |tx| {
            Box::pin(async move {
                let vm = require(&mut *tx, &r.vm).await?;
                let key = (vm.subscription_id, &*r.vm.group.key(), &*r.vm.name.key());
                if !store::extensions::delete(&mut *tx, key, &r.name.key()).await? {
                    return Ok(None);
                }
                let now = state.clock.now_text();
                let op =
                    record_operation(&state, &mut *tx, &r.vm, "delete", &now, Default::default())
                        .await?;
                Ok(Some((op, vm.location)))
            })
        })
        .await
}
