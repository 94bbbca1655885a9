//! Template deployments (`Microsoft.Resources/deployments`): check a template and plan it
//! (`domain::template`), then deploy it in the background, resource by resource, through
//! mi-sim's own ARM routes over HTTP (`crate::client`), exactly as a user's PUT would arrive:
//! the same validation, rules, enforce-mode checks (the caller's token is passed on) and
//! long-running operations. There is no second code path into the resources.
//! docs/deployments.md describes what is served and how it differs from Azure.
use super::resource_groups::{require_group, require_subscription};
use super::OpError;
use crate::client::{follow, send, Answer, Target};
use crate::domain::catalog;
use crate::domain::names::name_key;
use crate::domain::resource_id::ResourceId;
use crate::domain::template::document::{
    bind_parameters, evaluate, outputs, plan, Context, Planned, TemplateError, TemplateScope,
};
use crate::domain::{ResourceGroupName, SubscriptionId};
use crate::state::AppState;
use crate::store::deployments::{self as store, DeploymentRow, Key};
use futures_util::StreamExt;
use serde_json::{json, Map, Value};
use sqlx::types::Json;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many resources of one dependency level are written at once (ARM deploys independent
/// resources in parallel; the writer commits them in groups).
const PARALLEL: usize = 16;
/// The most resources a `reference()` chain of one resource may read.
const MAX_LOOKUPS: usize = 32;
/// The most pages of a group's resources read for Complete mode (1,000 a page).
const MAX_PAGES: usize = 50;
/// The api-version a deployment lists its group's resources with (Complete mode).
const LIST_VERSION: &str = "2021-04-01";
/// Keys of a template resource that are the template's, not the resource body's.
const TEMPLATE_KEYS: &[&str] = &[
    "type",
    "name",
    "apiVersion",
    "dependsOn",
    "condition",
    "copy",
    "resources",
    "comments",
    "scope",
    "metadata",
];

/// Where a deployment is: a subscription, and a group unless it is at subscription scope.
#[derive(Debug, Clone)]
pub struct Scope {
    pub sub: SubscriptionId,
    pub group: Option<ResourceGroupName>,
}

impl Scope {
    fn group_key(&self) -> String {
        self.group.as_ref().map(|g| g.key()).unwrap_or_default()
    }

    /// The scope's id: `/subscriptions/{s}[/resourceGroups/{g}]`.
    pub fn resource_id(&self) -> ResourceId {
        match &self.group {
            Some(g) => ResourceId::group_scope(self.sub, g.as_str()),
            None => ResourceId::subscription_scope(self.sub),
        }
    }

    pub fn id(&self) -> String {
        self.resource_id().to_string()
    }

    pub fn deployment_id(&self, name: &str) -> String {
        self.resource_id()
            .provider("Microsoft.Resources", "deployments", name)
            .to_string()
    }
}

/// `Incremental` leaves what the template does not name; `Complete` deletes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Incremental,
    Complete,
}

impl Mode {
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.eq_ignore_ascii_case("Incremental") {
            Some(Self::Incremental)
        } else if raw.eq_ignore_ascii_case("Complete") {
            Some(Self::Complete)
        } else {
            None
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Incremental => "Incremental",
            Self::Complete => "Complete",
        }
    }
}

/// A deployment as requested (the `Deployment` body, read by the HTTP layer).
#[derive(Debug, Clone)]
pub struct Request {
    pub name: String,
    pub location: Option<String>,
    pub tags: Value,
    pub mode: Mode,
    pub template: Value,
    /// `{"name": {"value": ...}}`, as sent (Key Vault references are refused before).
    pub parameters: Map<String, Value>,
}

/// Why a deployment request is refused.
#[derive(Debug)]
pub enum DeployError {
    Op(OpError),
    /// The template does not bind or plan: ARM's `InvalidTemplate`.
    Template(TemplateError),
    /// A deployment of this name is still running.
    Active {
        name: String,
        started: String,
    },
    NotFound(String),
    /// Cancel of a deployment that is not running.
    NotCancellable {
        name: String,
        state: String,
    },
    /// Preflight refuses a resource: ARM's `InvalidTemplateDeployment`, the resource's own
    /// error inside.
    Preflight {
        name: String,
        details: Vec<Value>,
    },
}

impl From<OpError> for DeployError {
    fn from(e: OpError) -> Self {
        Self::Op(e)
    }
}

impl From<sqlx::Error> for DeployError {
    fn from(e: sqlx::Error) -> Self {
        Self::Op(e.into())
    }
}

impl From<TemplateError> for DeployError {
    fn from(e: TemplateError) -> Self {
        Self::Template(e)
    }
}

/// Deployments running now, by key, with the flag a cancel raises. Bounded by what runs.
#[derive(Debug, Default)]
pub struct Running(Mutex<HashMap<String, Arc<AtomicBool>>>);

impl Running {
    fn start(&self, key: &str) -> Arc<AtomicBool> {
        let flag = Arc::new(AtomicBool::new(false));
        self.lock().insert(key.to_string(), flag.clone());
        flag
    }

    fn end(&self, key: &str) {
        self.lock().remove(key);
    }

    fn cancel(&self, key: &str) -> bool {
        match self.lock().get(key) {
            Some(f) => {
                f.store(true, Ordering::Relaxed);
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<AtomicBool>>> {
        // A poisoned map still holds valid flags: a panic elsewhere must not stop deployments.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn running_key(scope: &Scope, name: &str) -> String {
    format!("{}/{}/{}", scope.sub, scope.group_key(), name_key(name))
}

/// What a checked template yields before anything is deployed.
struct Checked {
    /// The parameters as ARM echoes them: `{"name": {"type": "String", "value": ...}}`.
    parameters: Value,
    planned: Vec<Planned>,
}

/// A template type name as ARM writes it back (`securestring` → `SecureString`).
fn type_name(declared: &str) -> String {
    match declared.to_ascii_lowercase().as_str() {
        "string" => "String",
        "securestring" => "SecureString",
        "int" => "Int",
        "bool" => "Bool",
        "object" => "Object",
        "secureobject" => "SecureObject",
        "array" => "Array",
        other => return other.to_string(),
    }
    .to_string()
}

/// The values of `resourceGroup()`, `subscription()`, `tenant()` and `deployment()`.
async fn context(
    state: &AppState,
    scope: &Scope,
    request: &Request,
) -> Result<Context, DeployError> {
    let mut conn = state.store.read().await?;
    let sub = require_subscription(&mut conn, scope.sub).await?;
    let group_value = match &scope.group {
        Some(g) => {
            let row = require_group(&mut conn, scope.sub, g).await?;
            json!({
                "id": scope.id(), "name": row.name, "type": "Microsoft.Resources/resourceGroups",
                "location": row.location, "tags": row.tags.0, "managedBy": row.managed_by,
                "properties": {"provisioningState": "Succeeded"},
            })
        }
        None => Value::Null,
    };
    let mut deployment = json!({
        "name": request.name,
        "properties": {
            "template": {"contentVersion": request.template.get("contentVersion").cloned().unwrap_or(json!("1.0.0.0"))},
            "mode": request.mode.as_str(),
            "provisioningState": "Accepted",
        },
    });
    if let Some(l) = &request.location {
        deployment["location"] = json!(l);
    }
    Ok(Context {
        subscription_id: scope.sub.to_string(),
        resource_group: scope.group.as_ref().map(|g| g.to_string()),
        resource_group_value: group_value,
        subscription_value: json!({
            "id": ResourceId::subscription_scope(scope.sub).to_string(),
            "subscriptionId": scope.sub.to_string(),
            "tenantId": sub.tenant_id,
            "displayName": sub.display_name,
        }),
        tenant_value: json!({"tenantId": sub.tenant_id, "countryCode": "US"}),
        deployment_value: deployment,
        now: state.clock.now(),
    })
}

fn check(request: &Request, ctx: &Context) -> Result<Checked, TemplateError> {
    let scope = bind_parameters(&request.template, &request.parameters, ctx)?;
    let planned = plan(&request.template, &scope)?;
    let declared = request.template["parameters"].as_object();
    let parameters = scope
        .parameters()
        .iter()
        .map(|(name, value)| {
            let kind = declared
                .and_then(|d| d.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .and_then(|(_, d)| d["type"].as_str())
                .map_or_else(|| "String".to_string(), type_name);
            // Secure values are never echoed.
            let shown = if kind.starts_with("Secure") {
                json!({ "type": kind })
            } else {
                json!({ "type": kind, "value": value })
            };
            (name.clone(), shown)
        })
        .collect::<Map<_, _>>();
    Ok(Checked {
        parameters: Value::Object(parameters),
        planned,
    })
}

/// ARM's `templateHash`: a decimal 64-bit hash of the template (ARM's algorithm is not
/// published; this is stable for a template, which is what clients compare).
fn template_hash(template: &Value) -> String {
    let text = template.to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h.to_string()
}

/// The `providers` and `dependencies` of a deployment's answer, from its plan; the providers'
/// location is the deployment's, else its group's.
fn providers_and_dependencies(
    planned: &[Planned],
    request: &Request,
    ctx: &Context,
) -> (Value, Value) {
    let location = request
        .location
        .clone()
        .or_else(|| {
            ctx.resource_group_value["location"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or_default();
    let location = location.as_str();
    let mut providers: Vec<(String, Vec<String>)> = Vec::new();
    for p in planned.iter().filter(|p| p.condition) {
        let (ns, ty) = p
            .resource_type
            .split_once('/')
            .unwrap_or((&p.resource_type, ""));
        match providers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(ns))
        {
            Some((_, types)) if !types.iter().any(|t| t.eq_ignore_ascii_case(ty)) => {
                types.push(ty.to_string())
            }
            Some(_) => {}
            None => providers.push((ns.to_string(), vec![ty.to_string()])),
        }
    }
    let providers = providers
        .into_iter()
        .map(|(ns, types)| {
            json!({"namespace": ns, "resourceTypes": types.into_iter().map(|t| json!({"resourceType": t, "locations": [location]})).collect::<Vec<_>>()})
        })
        .collect::<Vec<_>>();
    let short =
        |p: &Planned| json!({"id": p.id, "resourceType": p.resource_type, "resourceName": p.name});
    let dependencies = planned
        .iter()
        .filter(|p| p.condition && !p.depends_on.is_empty())
        .map(|p| {
            let mut d = short(p);
            d["dependsOn"] = p.depends_on.iter().map(|i| short(&planned[*i])).collect();
            d
        })
        .collect::<Vec<_>>();
    (json!(providers), json!(dependencies))
}

/// A deployment's answer (`DeploymentExtended`).
pub fn view(scope: &Scope, row: &DeploymentRow) -> Value {
    let mut properties = row.properties.0.clone();
    properties["provisioningState"] = json!(row.state);
    properties["timestamp"] = json!(row.ended_at.as_deref().unwrap_or(&row.started_at));
    properties["duration"] = json!(duration(
        &row.started_at,
        row.ended_at.as_deref().unwrap_or(&row.started_at)
    ));
    let mut v = json!({
        "id": scope.deployment_id(&row.name),
        "name": row.name,
        "type": "Microsoft.Resources/deployments",
        "tags": row.tags.0,
        "properties": properties,
    });
    if let Some(l) = &row.location {
        v["location"] = json!(l);
    }
    v
}

/// An ISO 8601 duration between two RFC 3339 times (`PT1.5S`).
fn duration(from: &str, to: &str) -> String {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    let ms = match (parse(from), parse(to)) {
        (Some(a), Some(b)) => (b - a).num_milliseconds().max(0),
        _ => 0,
    };
    format!("PT{}.{:03}S", ms / 1000, ms % 1000)
}

/// ARM's `InvalidTemplate` error for a template that does not bind or plan.
pub fn invalid_template(e: &TemplateError) -> Value {
    json!({"error": {
        "code": "InvalidTemplate",
        "message": format!("Deployment template validation failed: '{}: {}'.", e.target, e.message),
        "additionalInfo": [{"type": "TemplateViolation", "info": {"lineNumber": 0, "linePosition": 0, "path": format!("properties.template.{}", e.target)}}],
    }})
}

/// Starts a deployment: checks its template, records it Accepted and deploys it in the
/// background. `token` is the caller's, passed on to every resource write.
pub async fn start(
    state: std::sync::Arc<AppState>,
    scope: Scope,
    request: Request,
    token: Option<String>,
) -> Result<(bool, Value, String), DeployError> {
    let ctx = context(&state, &scope, &request).await?;
    let checked = check(&request, &ctx)?;
    let (providers, dependencies) = providers_and_dependencies(&checked.planned, &request, &ctx);
    let now = state.clock.now_text();
    let run_id = format!("{:020}", state.idgen.uuid().as_u128() % 10u128.pow(20));
    let row = DeploymentRow {
        name: request.name.clone(),
        location: request.location.clone(),
        tags: Json(request.tags.clone()),
        state: "Accepted".into(),
        run_id: run_id.clone(),
        template: Json(request.template.clone()),
        properties: Json(json!({
            "templateHash": template_hash(&request.template),
            "parameters": checked.parameters,
            "mode": request.mode.as_str(),
            "correlationId": state.idgen.uuid().to_string(),
            "providers": providers,
            "dependencies": dependencies,
        })),
        operations: Json(json!([])),
        started_at: now.clone(),
        ended_at: None,
    };
    let (s, g, n) = (
        scope.sub.to_string(),
        scope.group_key(),
        name_key(&request.name),
    );
    let written = {
        let row = row.clone();
        let existed = {
            let mut conn = state.store.read().await?;
            store::get(&mut conn, Key::from((s.as_str(), g.as_str(), n.as_str())))
                .await?
                .is_some()
        };
        let stored = state
            .store
            .write(move |tx| {
                Box::pin(async move {
                    let key = Key::from((s.as_str(), g.as_str(), n.as_str()));
                    let started = store::start(tx, key, &row).await?;
                    Ok::<_, sqlx::Error>((started, store::get(tx, key).await?))
                })
            })
            .await?;
        match stored {
            (true, _) => existed,
            (false, existing) => {
                return Err(DeployError::Active {
                    name: request.name.clone(),
                    started: existing.map(|r| r.started_at).unwrap_or_default(),
                })
            }
        }
    };
    let cancel = state.deployments.start(&running_key(&scope, &request.name));
    let answer = view(&scope, &row);
    let job = state.clone();
    let job_scope = scope.clone();
    // A local task (on the worker's LocalSet): template evaluation holds non-Send state (the
    // variables' cache) across the awaits of its writes.
    tokio::task::spawn_local(async move {
        let key = running_key(&job_scope, &request.name);
        run(
            &job,
            &job_scope,
            &request,
            ctx,
            (&run_id, token.as_deref()),
            &cancel,
        )
        .await;
        job.deployments.end(&key);
    });
    Ok((written, answer, row.run_id))
}

/// The resources a deployment has read or written, by lower-case id: what `reference()`
/// answers. A miss is noted so the caller can read the resource and evaluate again.
struct Lookups<'p> {
    planned: &'p [Planned],
    bodies: RefCell<HashMap<String, Value>>,
    missing: RefCell<Option<(String, Option<String>)>>,
}

impl Lookups<'_> {
    fn resolve(&self, target: &str, api: Option<&str>, full: bool) -> Result<Value, String> {
        let named = self.planned.iter().find(|p| {
            p.id.eq_ignore_ascii_case(target)
                || p.name.eq_ignore_ascii_case(target)
                || format!("{}/{}", p.resource_type, p.name).eq_ignore_ascii_case(target)
        });
        let id = match (named, target.starts_with('/')) {
            (Some(p), _) => p.id.clone(),
            (None, true) => target.to_string(),
            (None, false) => {
                return Err(format!("The referenced resource '{target}' is not defined in the template; name a resource of the template, or give the full id (resourceId(...)) and an api-version."))
            }
        };
        let api = api
            .map(str::to_string)
            .or_else(|| named.map(|p| p.api_version.clone()));
        match self.bodies.borrow().get(&id.to_lowercase()) {
            Some(body) => Ok(shape(body, &id, api.as_deref(), full)),
            None => {
                *self.missing.borrow_mut() = Some((id, api));
                Err("the referenced resource is not read yet".into())
            }
        }
    }
}

/// What `reference()` gives: the resource's `properties`, or with `'Full'` the whole resource
/// with ARM's extra fields.
fn shape(body: &Value, id: &str, api: Option<&str>, full: bool) -> Value {
    if !full {
        return body.get("properties").cloned().unwrap_or_else(|| json!({}));
    }
    let mut v = body.clone();
    let parsed = ResourceId::parse(id).ok();
    if let Some(o) = v.as_object_mut() {
        o.insert("apiVersion".into(), json!(api));
        o.insert(
            "subscriptionId".into(),
            json!(parsed.as_ref().map(|p| p.subscription())),
        );
        o.insert(
            "resourceGroupName".into(),
            json!(parsed.as_ref().and_then(|p| p.group())),
        );
        o.insert(
            "resourceId".into(),
            json!(parsed.as_ref().map(|p| p.provider_path())),
        );
        o.insert("referenceApiVersion".into(), json!(api));
        o.insert("condition".into(), json!(true));
        o.insert("isConditionTrue".into(), json!(true));
        o.insert("isTemplateResource".into(), json!(false));
        o.insert("isAction".into(), json!(false));
        o.insert("provisioningOperation".into(), json!("Read"));
    }
    v
}

/// The newest api-version mi-sim serves for a resource type, for reads and deletes the
/// template gives none for.
fn latest_version(resource_type: &str) -> Option<&'static str> {
    let (ns, ty) = resource_type.split_once('/')?;
    let provider = catalog::provider(ns)?;
    let top = ty.split('/').next().unwrap_or(ty);
    provider
        .resource_types
        .iter()
        .find(|t| t.name.eq_ignore_ascii_case(top))
        .and_then(|t| t.api_versions.first().copied())
}

/// The type of a resource id (`/subscriptions/.../providers/Ns/type/name` → `Ns/type`); empty
/// for a string that is no id.
fn type_of(id: &str) -> String {
    let Ok(id) = ResourceId::parse(id) else {
        return String::new();
    };
    id.resource_type().unwrap_or_else(|| {
        match id.group() {
            Some(_) => "Microsoft.Resources/resourceGroups",
            None => "Microsoft.Resources/subscriptions",
        }
        .into()
    })
}

/// Why one resource could not be deployed: ARM's error object.
type Failure = Value;

/// Reads a resource for `reference()`; its own error when it cannot be read.
async fn read(
    target: &Target,
    token: Option<&str>,
    id: &str,
    api: Option<&str>,
) -> Result<Value, Failure> {
    let api = api
        .map(str::to_string)
        .or_else(|| latest_version(&type_of(id)).map(str::to_string))
        .ok_or_else(|| json!({"code": "InvalidTemplate", "message": format!("reference('{id}') needs an api-version: mi-sim serves no resources of type '{}'.", type_of(id))}))?;
    let a = send(
        target,
        "GET",
        &format!("{id}?api-version={api}"),
        token,
        None,
        &[],
    )
    .await
    .map_err(|m| json!({"code": "InternalServerError", "message": m}))?;
    if a.status == 200 {
        Ok(a.body)
    } else {
        Err(error_of(&a))
    }
}

/// The error object of a failed answer (ARM's `error`, or the status text).
fn error_of(a: &Answer) -> Value {
    match a.body.get("error") {
        Some(e) if e.is_object() => e.clone(),
        _ => json!({"code": status_name(a.status), "message": a.text}),
    }
}

/// The HTTP reason name ARM writes in an operation's `statusCode`.
fn status_name(status: u16) -> String {
    actix_web::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown")
        .replace([' ', '-'], "")
}

/// The resource the last evaluation missed. Taken at once, before any await: the deployment's
/// resources of one level are evaluated in turns on one thread.
fn take_missing(lookups: &Lookups<'_>) -> Option<(String, Option<String>)> {
    lookups.missing.borrow_mut().take()
}

/// Evaluates a value, reading the resources its `reference()` calls name as they come up.
async fn evaluate_reading(
    value: &Value,
    scope: &TemplateScope<'_>,
    lookups: &Lookups<'_>,
    (target, token): (&Target, Option<&str>),
    path: &str,
) -> Result<Value, Failure> {
    for _ in 0..MAX_LOOKUPS {
        match evaluate(value, scope, path) {
            Ok(v) => return Ok(v),
            Err(e) => match take_missing(lookups) {
                None => {
                    return Err(
                        json!({"code": "InvalidTemplate", "message": format!("Deployment template validation failed: '{}: {}'.", e.target, e.message)}),
                    )
                }
                Some((id, api)) => {
                    let body = read(target, token, &id, api.as_deref()).await?;
                    lookups.bodies.borrow_mut().insert(id.to_lowercase(), body);
                }
            },
        }
    }
    Err(
        json!({"code": "InvalidTemplate", "message": format!("'{path}' references more than {MAX_LOOKUPS} resources.")}),
    )
}

/// One resource's outcome, as a deployment operation.
struct Done {
    index: usize,
    operation: Value,
    failure: Option<Failure>,
}

fn operation(
    state: &AppState,
    (p_id, p_type, p_name, api): (&str, &str, &str, &str),
    kind: &str,
    started: Instant,
    (status, message): (u16, Value),
) -> Value {
    let failed = status >= 400 || message["status"].as_str() == Some("Failed");
    let op_id = state.idgen.uuid().simple().to_string()[..16].to_uppercase();
    json!({
        "operationId": op_id,
        "properties": {
            "provisioningOperation": kind,
            "provisioningState": if failed { "Failed" } else { "Succeeded" },
            "timestamp": state.clock.now_text(),
            "duration": format!("PT{:.3}S", started.elapsed().as_secs_f64()),
            "trackingId": state.idgen.uuid().to_string(),
            "serviceRequestId": state.idgen.uuid().to_string(),
            "statusCode": status_name(status),
            "statusMessage": message,
            "targetResource": {"id": p_id, "resourceType": p_type, "resourceName": p_name, "apiVersion": api},
        },
    })
}

/// Deploys one planned resource: evaluates its body, PUTs it, follows the operation.
async fn deploy_one(
    state: &AppState,
    (index, p): (usize, &Planned),
    scope: &TemplateScope<'_>,
    lookups: &Lookups<'_>,
    (target, token): (&Target, Option<&str>),
) -> Done {
    let started = Instant::now();
    let looped = scope.with_copies(p.copies.clone());
    let mut body = p.raw.clone();
    if let Some(o) = body.as_object_mut() {
        o.retain(|k, _| !TEMPLATE_KEYS.iter().any(|t| t.eq_ignore_ascii_case(k)));
    }
    let names = (
        p.id.as_str(),
        p.resource_type.as_str(),
        p.name.as_str(),
        p.api_version.as_str(),
    );
    let fail = |failure: Failure, status: u16| Done {
        index,
        operation: operation(
            state,
            names,
            "Create",
            started,
            (status, json!({"status": "Failed", "error": failure})),
        ),
        failure: Some(failure),
    };
    let body = match evaluate_reading(&body, &looped, lookups, (target, token), &p.target).await {
        Ok(b) => b,
        Err(f) => return fail(f, 400),
    };
    let url = format!("{}?api-version={}", p.id, p.api_version);
    let first = match send(target, "PUT", &url, token, Some(&body), &[]).await {
        Ok(a) => a,
        Err(m) => return fail(json!({"code": "InternalServerError", "message": m}), 500),
    };
    let status = first.status;
    let mut polls = 0;
    let last = match follow(target, token, "PUT", &url, first, &mut polls).await {
        Ok(a) => a,
        Err(m) => {
            return fail(
                json!({"code": "ResourceDeploymentFailure", "message": m}),
                500,
            )
        }
    };
    if last.status >= 400 {
        return fail(error_of(&last), last.status);
    }
    if last.body["status"]
        .as_str()
        .is_some_and(|s| !s.eq_ignore_ascii_case("Succeeded"))
    {
        let inner = last.body.get("error").cloned().unwrap_or(json!({}));
        let failure = json!({
            "code": "ResourceDeploymentFailure", "target": p.id,
            "message": "The resource write operation failed to complete successfully, because it reached terminal provisioning state 'Failed'.",
            "details": [inner],
        });
        return fail(failure, 200);
    }
    lookups
        .bodies
        .borrow_mut()
        .insert(p.id.to_lowercase(), last.body.clone());
    Done {
        index,
        operation: operation(
            state,
            names,
            "Create",
            started,
            (status, json!({"status": "Succeeded"})),
        ),
        failure: None,
    }
}

/// The group's resources a Complete deployment deletes: every one the template does not name.
async fn leftovers(
    scope: &Scope,
    planned: &[Planned],
    (target, token): (&Target, Option<&str>),
) -> Result<Vec<(String, String)>, Failure> {
    let mut url = format!("{}/resources?api-version={LIST_VERSION}", scope.id());
    let mut out = Vec::new();
    for _ in 0..MAX_PAGES {
        let a = send(target, "GET", &url, token, None, &[])
            .await
            .map_err(|m| json!({"code": "InternalServerError", "message": m}))?;
        if a.status != 200 {
            return Err(error_of(&a));
        }
        for r in a.body["value"].as_array().into_iter().flatten() {
            let (Some(id), Some(ty)) = (r["id"].as_str(), r["type"].as_str()) else {
                continue;
            };
            let named = planned
                .iter()
                .any(|p| p.condition && p.id.eq_ignore_ascii_case(id));
            if !named {
                out.push((id.to_string(), ty.to_string()));
            }
        }
        match a.body["nextLink"].as_str() {
            Some(next) => url = next.to_string(),
            None => return Ok(out),
        }
    }
    Ok(out)
}

async fn delete_one(
    state: &AppState,
    (id, ty): &(String, String),
    (target, token): (&Target, Option<&str>),
) -> (Value, Option<Failure>) {
    let started = Instant::now();
    let name = id.rsplit('/').next().unwrap_or_default();
    let api = latest_version(ty).unwrap_or(LIST_VERSION);
    let names = (id.as_str(), ty.as_str(), name, api);
    let url = format!("{id}?api-version={api}");
    let result = match send(target, "DELETE", &url, token, None, &[]).await {
        Ok(first) => {
            let mut polls = 0;
            follow(target, token, "DELETE", &url, first, &mut polls).await
        }
        Err(m) => Err(m),
    };
    let (status, failure) = match result {
        Ok(a) if a.status < 400 && a.body["status"].as_str().is_none_or(|s| s == "Succeeded") => {
            (a.status, None)
        }
        Ok(a) => (a.status.max(400), Some(error_of(&a))),
        Err(m) => (
            500,
            Some(json!({"code": "InternalServerError", "message": m})),
        ),
    };
    let message = match &failure {
        Some(f) => json!({"status": "Failed", "error": f}),
        None => json!({"status": "Succeeded"}),
    };
    (
        operation(state, names, "Delete", started, (status, message)),
        failure,
    )
}

/// ARM's `DeploymentFailed`, the failed resources' errors inside.
fn deployment_failed(id: &str, details: Vec<Failure>) -> Value {
    json!({
        "code": "DeploymentFailed", "target": id,
        "message": "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
        "details": details,
    })
}

/// Deploys a checked template: level by level of its dependencies, each level's resources
/// in parallel; then Complete mode's deletes, then the outputs. Records the end.
async fn run(
    state: &AppState,
    scope: &Scope,
    request: &Request,
    ctx: Context,
    (run_id, token): (&str, Option<&str>),
    cancel: &AtomicBool,
) {
    let (s, g, n) = (
        scope.sub.to_string(),
        scope.group_key(),
        name_key(&request.name),
    );
    let target = match Target::new(&state.http_base) {
        Ok(t) => t.pausing_at_most(Duration::from_millis(50)),
        Err(m) => {
            let e = json!({"code": "InternalServerError", "message": m});
            return fail_before_any_resource(state, (&s, &g, &n), run_id, e).await;
        }
    };
    let io = (&target, token);
    // Checked when the request came; checked again here with the same inputs.
    let bound = bind_parameters(&request.template, &request.parameters, &ctx)
        .and_then(|sc| plan(&request.template, &sc).map(|p| (sc, p)));
    let (base, planned) = match bound {
        Ok(b) => b,
        Err(e) => {
            let f = invalid_template(&e)["error"].clone();
            return fail_before_any_resource(state, (&s, &g, &n), run_id, f).await;
        }
    };
    update_state(state, (&s, &g, &n), run_id, "Running").await;
    let lookups = Lookups {
        planned: &planned,
        bodies: RefCell::new(HashMap::new()),
        missing: RefCell::new(None),
    };
    let resolver = |t: &str, a: Option<&str>, f: bool| lookups.resolve(t, a, f);
    let scope_t = base.resolving_with(&resolver);
    let mut level = vec![0usize; planned.len()];
    for i in 0..planned.len() {
        level[i] = planned[i]
            .depends_on
            .iter()
            .map(|d| level[*d] + 1)
            .max()
            .unwrap_or(0);
    }
    let mut operations: Vec<Value> = Vec::new();
    let mut failures: Vec<Failure> = Vec::new();
    let mut canceled = false;
    let top = level.iter().copied().max().unwrap_or(0);
    for l in 0..=top {
        if cancel.load(Ordering::Relaxed) {
            canceled = true;
            break;
        }
        let wave: Vec<(usize, &Planned)> = planned
            .iter()
            .enumerate()
            .filter(|(i, p)| level[*i] == l && p.condition)
            .collect();
        let mut done: Vec<Done> = futures_util::stream::iter(wave)
            .map(|item| deploy_one(state, item, &scope_t, &lookups, io))
            .buffer_unordered(PARALLEL)
            .collect()
            .await;
        done.sort_by_key(|d| d.index);
        for d in done {
            operations.push(d.operation);
            failures.extend(d.failure);
        }
        if !failures.is_empty() {
            break;
        }
    }
    let deployment_id = scope.deployment_id(&request.name);
    if failures.is_empty() && !canceled && request.mode == Mode::Complete && scope.group.is_some() {
        match leftovers(scope, &planned, io).await {
            Ok(gone) => {
                let results: Vec<(Value, Option<Failure>)> =
                    futures_util::stream::iter(gone.iter())
                        .map(|r| delete_one(state, r, io))
                        .buffer_unordered(PARALLEL)
                        .collect()
                        .await;
                for (op, f) in results {
                    operations.push(op);
                    failures.extend(f);
                }
            }
            Err(f) => failures.push(f),
        }
    }
    let (state_name, extra) = if canceled {
        ("Canceled", json!({}))
    } else if !failures.is_empty() {
        (
            "Failed",
            json!({"error": deployment_failed(&deployment_id, failures)}),
        )
    } else {
        let resources: Vec<Value> = planned
            .iter()
            .filter(|p| p.condition)
            .map(|p| json!({"id": p.id}))
            .collect();
        match evaluate_outputs(&request.template, &scope_t, &lookups, io).await {
            Ok(out) => (
                "Succeeded",
                json!({"outputs": out, "outputResources": resources}),
            ),
            Err(f) => (
                "Failed",
                json!({"error": deployment_failed(&deployment_id, vec![f]), "outputResources": resources}),
            ),
        }
    };
    finish(
        state,
        (&s, &g, &n),
        run_id,
        state_name,
        extra,
        Value::Array(operations),
    )
    .await;
}

/// The outputs, names with their first letter lowercased and types capitalised, as ARM
/// answers them.
async fn evaluate_outputs(
    template: &Value,
    scope: &TemplateScope<'_>,
    lookups: &Lookups<'_>,
    io: (&Target, Option<&str>),
) -> Result<Value, Failure> {
    for _ in 0..MAX_LOOKUPS {
        match outputs(template, scope) {
            Ok(out) => {
                let shown = out
                    .into_iter()
                    .map(|(name, mut v)| {
                        let kind = v["type"].as_str().map(type_name).unwrap_or_default();
                        v["type"] = json!(kind);
                        let mut chars = name.chars();
                        let lowered = chars
                            .next()
                            .map(|c| c.to_lowercase().chain(chars).collect::<String>())
                            .unwrap_or_default();
                        (lowered, v)
                    })
                    .collect::<Map<_, _>>();
                return Ok(Value::Object(shown));
            }
            Err(e) => match take_missing(lookups) {
                None => {
                    return Err(
                        json!({"code": "DeploymentOutputEvaluationFailed", "message": format!("Unable to evaluate template outputs: '{}'. {}", e.target, e.message)}),
                    )
                }
                Some((id, api)) => {
                    let body = read(io.0, io.1, &id, api.as_deref()).await?;
                    lookups.bodies.borrow_mut().insert(id.to_lowercase(), body);
                }
            },
        }
    }
    Err(
        json!({"code": "DeploymentOutputEvaluationFailed", "message": format!("The outputs reference more than {MAX_LOOKUPS} resources.")}),
    )
}

/// A run's bookkeeping write on its deployment's row (`what` names it in the log): a failure
/// is logged and the run goes on, its status read back from the row.
async fn record<F>(state: &AppState, (s, g, n): (&str, &str, &str), what: &'static str, write: F)
where
    F: for<'c> FnOnce(
            &'c mut sqlx::SqliteConnection,
            Key<'c>,
        ) -> crate::store::WriteFuture<'c, Result<(), sqlx::Error>>
        + Send
        + 'static,
{
    let (s, g, n) = (s.to_string(), g.to_string(), n.to_string());
    let written = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                let key = Key::from((s.as_str(), g.as_str(), n.as_str()));
                write(tx, key).await
            })
        })
        .await;
    if let Err(e) = written {
        tracing::error!(error = %e, "recording a deployment's {what} failed");
    }
}

async fn update_state(state: &AppState, key: (&str, &str, &str), run_id: &str, to: &str) {
    let (run, to) = (run_id.to_string(), to.to_string());
    record(state, key, "progress", move |tx, key| {
        Box::pin(async move { store::set_state(tx, key, &run, &to).await })
    })
    .await;
}

/// Records a run that ended in `error` before it deployed anything.
async fn fail_before_any_resource(
    state: &AppState,
    key: (&str, &str, &str),
    run_id: &str,
    error: Value,
) {
    let extra = json!({ "error": error });
    finish(state, key, run_id, "Failed", extra, json!([])).await;
}

/// Records a run's end: its state, the extra properties (outputs or error) and operations.
async fn finish(
    state: &AppState,
    key: (&str, &str, &str),
    run_id: &str,
    to: &str,
    extra: Value,
    operations: Value,
) {
    let now = state.clock.now_text();
    let (run, to) = (run_id.to_string(), to.to_string());
    record(state, key, "end", move |tx, key| {
        Box::pin(async move {
            let Some(row) = store::get(&mut *tx, key).await? else {
                return Ok(());
            };
            let mut properties = row.properties.0;
            if let (Some(p), Some(e)) = (properties.as_object_mut(), extra.as_object()) {
                p.extend(e.clone());
            }
            let ops: Vec<Value> = operations.as_array().cloned().unwrap_or_default();
            store::update(
                tx,
                key,
                &run,
                (&to, &properties, &Value::Array(ops)),
                Some(&now),
            )
            .await
        })
    })
    .await;
}

async fn require(
    state: &AppState,
    scope: &Scope,
    name: &str,
) -> Result<DeploymentRow, DeployError> {
    let mut conn = state.store.read().await?;
    let (s, g, n) = (scope.sub.to_string(), scope.group_key(), name_key(name));
    if let Some(row) =
        store::get(&mut conn, Key::from((s.as_str(), g.as_str(), n.as_str()))).await?
    {
        return Ok(row);
    }
    match &scope.group {
        Some(group) => {
            require_group(&mut conn, scope.sub, group).await?;
        }
        None => {
            require_subscription(&mut conn, scope.sub).await?;
        }
    }
    Err(DeployError::NotFound(name.to_string()))
}

pub async fn get(
    state: &AppState,
    scope: &Scope,
    name: &str,
) -> Result<DeploymentRow, DeployError> {
    require(state, scope, name).await
}

/// A page of a scope's deployments.
pub async fn list(
    state: &AppState,
    scope: &Scope,
    filter_state: Option<&str>,
    after: &str,
    limit: i64,
) -> Result<Vec<(String, DeploymentRow)>, DeployError> {
    let mut conn = state.store.read().await?;
    match &scope.group {
        Some(group) => {
            require_group(&mut conn, scope.sub, group).await?;
        }
        None => {
            require_subscription(&mut conn, scope.sub).await?;
        }
    }
    let (s, g) = (scope.sub.to_string(), scope.group_key());
    Ok(store::list_page(&mut conn, (&s, &g), filter_state, after, limit).await?)
}

/// Deletes a deployment's record (never its resources); a running one is refused.
pub async fn delete(state: &AppState, scope: &Scope, name: &str) -> Result<bool, DeployError> {
    let row = match require(state, scope, name).await {
        Ok(r) => r,
        Err(DeployError::NotFound(_)) => return Ok(false),
        Err(e) => return Err(e),
    };
    let (s, g, n) = (scope.sub.to_string(), scope.group_key(), name_key(name));
    let deleted = state
        .store
        .write(move |tx| {
            Box::pin(async move {
                store::delete(tx, Key::from((s.as_str(), g.as_str(), n.as_str()))).await
            })
        })
        .await?;
    match deleted {
        Some(false) => Err(DeployError::Active {
            name: row.name,
            started: row.started_at,
        }),
        _ => Ok(true),
    }
}

/// Cancels a running deployment: it stops before its next level of resources.
pub async fn cancel(state: &AppState, scope: &Scope, name: &str) -> Result<(), DeployError> {
    let row = require(state, scope, name).await?;
    if matches!(row.state.as_str(), "Accepted" | "Running")
        && state.deployments.cancel(&running_key(scope, name))
    {
        return Ok(());
    }
    Err(DeployError::NotCancellable {
        name: row.name,
        state: row.state,
    })
}

/// Checks a deployment without deploying it: the template binds and plans, and every
/// resource is of a provider mi-sim serves. Answers `DeploymentValidateResult`.
pub async fn validate(
    state: &AppState,
    scope: &Scope,
    request: &Request,
) -> Result<Value, DeployError> {
    let ctx = context(state, scope, request).await?;
    let checked = check(request, &ctx)?;
    let unserved: Vec<Value> = checked
        .planned
        .iter()
        .filter(|p| p.condition)
        .filter(|p| {
            let ns = p.resource_type.split('/').next().unwrap_or_default();
            catalog::provider(ns).is_none()
        })
        .map(|p| {
            let ns = p.resource_type.split('/').next().unwrap_or_default();
            json!({"code": "PreflightValidationCheckFailed", "message": "Preflight validation failed. Please refer to the details for the specific errors.",
                   "details": [{"code": "NoRegisteredProviderFound", "target": p.id,
                                "message": format!("mi-sim serves no resource provider '{ns}' (it serves Microsoft.ManagedIdentity, Microsoft.Compute, Microsoft.ContainerInstance, Microsoft.Authorization and Microsoft.Resources); the resource '{}' cannot be deployed.", p.name)}]})
        })
        .collect();
    if !unserved.is_empty() {
        return Err(DeployError::Preflight {
            name: request.name.clone(),
            details: unserved,
        });
    }
    let (providers, dependencies) = providers_and_dependencies(&checked.planned, request, &ctx);
    let validated: Vec<Value> = checked
        .planned
        .iter()
        .filter(|p| p.condition)
        .map(|p| json!({"id": p.id}))
        .collect();
    Ok(json!({
        "id": scope.deployment_id(&request.name),
        "name": request.name,
        "type": "Microsoft.Resources/deployments",
        "properties": {
            "templateHash": template_hash(&request.template),
            "parameters": checked.parameters,
            "mode": request.mode.as_str(),
            "provisioningState": "Succeeded",
            "timestamp": state.clock.now_text(),
            "duration": "PT0S",
            "correlationId": state.idgen.uuid().to_string(),
            "providers": providers,
            "dependencies": dependencies,
            "validatedResources": validated,
        },
    }))
}

/// What a deployment would change (`WhatIfOperationResult`): each resource of the template
/// compared with what is there now (Create, Modify with the property changes, NoChange), and
/// the group's other resources (Delete in Complete mode, Ignore otherwise).
pub async fn what_if(
    state: &AppState,
    scope: &Scope,
    request: &Request,
    token: Option<&str>,
) -> Result<Value, DeployError> {
    let ctx = context(state, scope, request).await?;
    let checked = check(request, &ctx)?;
    let target = Target::new(&state.http_base)
        .map_err(|m| DeployError::Op(OpError::Inconsistent(m)))?
        .pausing_at_most(Duration::from_millis(50));
    let base = bind_parameters(&request.template, &request.parameters, &ctx)?;
    let lookups = Lookups {
        planned: &checked.planned,
        bodies: RefCell::new(HashMap::new()),
        missing: RefCell::new(None),
    };
    let resolver = |t: &str, a: Option<&str>, f: bool| lookups.resolve(t, a, f);
    let scope_t = base.resolving_with(&resolver);
    let mut changes = Vec::new();
    for p in checked.planned.iter().filter(|p| p.condition) {
        let current = read(&target, token, &p.id, Some(&p.api_version)).await.ok();
        if let Some(c) = &current {
            lookups
                .bodies
                .borrow_mut()
                .insert(p.id.to_lowercase(), c.clone());
        }
        let looped = scope_t.with_copies(p.copies.clone());
        let desired = desired_body(p, &looped, &lookups);
        let mut after = json!({"id": p.id, "name": p.name.rsplit('/').next().unwrap_or_default(), "type": p.resource_type, "apiVersion": p.api_version});
        merge(&mut after, &desired);
        let change = match current {
            None => json!({"resourceId": p.id, "changeType": "Create", "after": after}),
            Some(mut before) => {
                before["apiVersion"] = json!(p.api_version);
                let mut delta = Vec::new();
                diff("", &desired, &before, &mut delta, 0);
                let mut predicted = before.clone();
                merge(&mut predicted, &desired);
                let kind = if delta.is_empty() {
                    "NoChange"
                } else {
                    "Modify"
                };
                let mut c = json!({"resourceId": p.id, "changeType": kind, "before": before, "after": predicted});
                if !delta.is_empty() {
                    c["delta"] = json!(delta);
                }
                c
            }
        };
        changes.push(change);
    }
    if scope.group.is_some() {
        let others = leftovers(scope, &checked.planned, (&target, token))
            .await
            .map_err(|e| DeployError::Op(OpError::Inconsistent(e.to_string())))?;
        for (id, ty) in others {
            let change = if request.mode == Mode::Complete {
                let api = latest_version(&ty).unwrap_or(LIST_VERSION);
                let before = read(&target, token, &id, Some(api))
                    .await
                    .unwrap_or_else(|_| json!({"id": id}));
                json!({"resourceId": id, "changeType": "Delete", "before": before})
            } else {
                json!({"resourceId": id, "changeType": "Ignore"})
            };
            changes.push(change);
        }
    }
    Ok(json!({"status": "Succeeded", "properties": {"changes": changes}}))
}

/// A resource's body as the template asks for it; where a value needs a resource that does
/// not exist yet (`reference()` of one the deployment would create), the expression stays as
/// written, as ARM's what-if shows it.
fn desired_body(p: &Planned, scope: &TemplateScope<'_>, lookups: &Lookups<'_>) -> Value {
    fn walk(
        v: &Value,
        scope: &TemplateScope<'_>,
        lookups: &Lookups<'_>,
        path: &str,
        depth: usize,
    ) -> Value {
        if depth > 64 {
            return v.clone();
        }
        match v {
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| {
                        let at = format!("{path}.{k}");
                        let key =
                            match walk(&Value::String(k.clone()), scope, lookups, &at, depth + 1) {
                                Value::String(key) => key,
                                _ => k.clone(),
                            };
                        (key, walk(x, scope, lookups, &at, depth + 1))
                    })
                    .collect(),
            ),
            Value::Array(a) => Value::Array(
                a.iter()
                    .enumerate()
                    .map(|(i, x)| walk(x, scope, lookups, &format!("{path}[{i}]"), depth + 1))
                    .collect(),
            ),
            other => {
                let out = evaluate(other, scope, path).unwrap_or_else(|_| other.clone());
                lookups.missing.borrow_mut().take();
                out
            }
        }
    }
    let mut body = p.raw.clone();
    if let Some(o) = body.as_object_mut() {
        o.retain(|k, _| !TEMPLATE_KEYS.iter().any(|t| t.eq_ignore_ascii_case(k)));
    }
    walk(&body, scope, lookups, &p.target, 0)
}

/// Overlays `top` on `base`, objects key by key.
fn merge(base: &mut Value, top: &Value) {
    match (base, top) {
        (Value::Object(b), Value::Object(t)) => {
            for (k, v) in t {
                match b.iter_mut().find(|(bk, _)| bk.eq_ignore_ascii_case(k)) {
                    Some((_, bv)) => merge(bv, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, t) => *b = t.clone(),
    }
}

/// The property changes `desired` makes to `current` (only the properties the template sets:
/// what the provider adds, such as a principal id, is not a change).
fn diff(path: &str, desired: &Value, current: &Value, out: &mut Vec<Value>, depth: usize) {
    let at = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match (desired, current) {
        (Value::Object(d), Value::Object(c)) if depth < 64 => {
            for (k, dv) in d {
                match c.iter().find(|(ck, _)| ck.eq_ignore_ascii_case(k)) {
                    Some((_, cv)) => diff(&at(k), dv, cv, out, depth + 1),
                    None if dv.is_null() => {}
                    None => out
                        .push(json!({"path": at(k), "propertyChangeType": "Create", "after": dv})),
                }
            }
        }
        // Azure writes locations both ways (`West Europe`, `westeurope`).
        (Value::String(d), Value::String(c))
            if path == "location"
                && d.replace(' ', "").eq_ignore_ascii_case(&c.replace(' ', "")) => {}
        (d, c) if d == c => {}
        (d, c) => {
            out.push(json!({"path": path, "propertyChangeType": "Modify", "before": c, "after": d}))
        }
    }
}

/// The template a deployment ran (`exportTemplate` of a deployment).
pub async fn export(state: &AppState, scope: &Scope, name: &str) -> Result<Value, DeployError> {
    let row = require(state, scope, name).await?;
    Ok(json!({"template": row.template.0}))
}

/// Ends every deployment that was running when mi-sim last stopped (startup).
pub async fn fail_interrupted(state: &AppState) -> Result<u64, sqlx::Error> {
    let error = json!({"code": "DeploymentFailed", "message": "The deployment was interrupted: mi-sim stopped while it ran. Deploy it again."});
    let now = state.clock.now_text();
    state
        .store
        .write(move |tx| Box::pin(async move { store::fail_interrupted(tx, &error, &now).await }))
        .await
}
