//! Runs a scenario against a mi-sim over HTTP, as a user's tools would talk to it. Before the
//! first step the run makes a tenant, a second tenant and a subscription of its own, with an
//! application that is Owner of it, so a shared mi-sim's other state is never touched. Each
//! step: fill in the variables, send, follow an asynchronous answer if asked, capture, check.
//! The first step that disagrees with Azure ends the run (later steps build on it).
use super::format::{Auth, Expect, Scenario, Step};
use super::path::{self, Path};
use super::vars::Vars;
pub use crate::client::Target;
use crate::client::{follow, post_form, send, Answer};
use serde::Serialize;
use serde_json::{json, Value};
use std::time::Instant;
use utoipa::ToSchema;

/// The largest answer body kept in a transcript (larger ones are summarised).
const MAX_KEPT_BODY: usize = 16 * 1024;
/// The region resources go to.
pub const LOCATION: &str = "eastus";

/// How a scenario's run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Every step agreed with what Azure documents.
    Passed,
    /// A step disagreed.
    Failed,
    /// Not run: the scenario needs `--auth enforce` and the server is open.
    Skipped,
    /// The run could not go on (mi-sim unreachable, or its setup failed).
    Error,
}

/// A run, step by step.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Transcript {
    pub id: String,
    pub title: String,
    pub rules: Vec<String>,
    pub file: String,
    pub story: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub outcome: Outcome,
    /// Why it was skipped or could not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The run's own tenant and subscription: its resources stay there to be explored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscription: Option<String>,
    pub steps: Vec<StepResult>,
    pub duration_ms: u64,
}

impl Transcript {
    pub fn agrees(&self) -> bool {
        matches!(self.outcome, Outcome::Passed | Outcome::Skipped)
    }
}

/// One step: what was sent, what came back, what Azure documents, and whether they agree.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StepResult {
    pub n: usize,
    pub name: String,
    /// The step's line in its file.
    pub line: usize,
    /// The request line as sent: `PUT /subscriptions/.../virtualMachines/vm1?api-version=...`.
    pub request: String,
    /// Whether the step ran (false after an earlier step disagreed).
    pub ran: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Polls made to follow an asynchronous answer.
    #[serde(skip_serializing_if = "is_zero")]
    pub polls: u32,
    /// The key field of the answer, and its value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown_value: Option<Value>,
    /// What Azure documents for this step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub agrees: bool,
    /// Each check that failed: what Azure documents, and what mi-sim answered.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disagreements: Vec<String>,
    /// The answer's body (large ones summarised).
    #[serde(skip_serializing_if = "Value::is_null")]
    pub response: Value,
    pub duration_ms: u64,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// The run's fixture: its variables and the token its requests carry.
struct Fixture {
    vars: Vars,
    token: String,
}

/// Runs one scenario to its end.
pub async fn run(target: &Target, scenario: &Scenario) -> Transcript {
    let started = Instant::now();
    let mut t = Transcript {
        id: scenario.id.clone(),
        title: scenario.title.clone(),
        rules: scenario.rules.clone(),
        file: scenario.file.clone(),
        story: scenario.story.clone(),
        source: scenario.source.clone(),
        outcome: Outcome::Passed,
        note: None,
        tenant: None,
        subscription: None,
        steps: Vec::new(),
        duration_ms: 0,
    };
    let fixture = match prepare(target, scenario).await {
        Ok(Some(f)) => f,
        Ok(None) => {
            t.outcome = Outcome::Skipped;
            t.note = Some(
                "needs ARM to check callers: run it against `mi-sim serve --auth enforce`, or without --url".into(),
            );
            t.steps = scenario.steps.iter().enumerate().map(not_run).collect();
            return t;
        }
        Err(e) => {
            t.outcome = Outcome::Error;
            t.note = Some(format!("setting up the run failed: {e}"));
            t.steps = scenario.steps.iter().enumerate().map(not_run).collect();
            return t;
        }
    };
    t.tenant = fixture.vars.get("tenant").map(str::to_string);
    t.subscription = fixture.vars.get("subscription").map(str::to_string);
    let mut vars = fixture.vars;
    for (i, step) in scenario.steps.iter().enumerate() {
        if t.outcome != Outcome::Passed {
            t.steps.push(not_run((i, step)));
            continue;
        }
        let result = run_step(target, &fixture.token, &mut vars, i + 1, step).await;
        if !result.agrees {
            t.outcome = Outcome::Failed;
        }
        t.steps.push(result);
    }
    t.duration_ms = started.elapsed().as_millis() as u64;
    t
}

fn not_run((i, step): (usize, &Step)) -> StepResult {
    StepResult {
        n: i + 1,
        name: step.name.clone(),
        line: step.line,
        request: format!("{} {}", step.method, step.path),
        ran: false,
        status: None,
        polls: 0,
        shown: None,
        shown_value: None,
        azure: step.azure.clone(),
        rule: step.rule.clone(),
        source: step.source.clone(),
        agrees: false,
        disagreements: Vec::new(),
        response: Value::Null,
        duration_ms: 0,
    }
}

/// The run's tenants, subscription and token. `None`: the scenario needs the enforce mode and
/// the server is open.
async fn prepare(target: &Target, scenario: &Scenario) -> Result<Option<Fixture>, String> {
    let settings = send(target, "GET", "/simulator/settings", None, None, &[]).await?;
    let open = settings.body["auth"].as_str() != Some("enforce");
    if scenario.auth == Auth::Enforce && open {
        return Ok(None);
    }
    let run = uuid::Uuid::new_v4();
    let short = &run.simple().to_string()[..8];
    let label = format!("scenario {} ({short})", scenario.id);
    let field = |a: &Answer, name: &str| -> Result<String, String> {
        a.body[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("{} {}: no {name} in {}", a.status, a.text, name))
    };
    let tenant = expect_ok(
        send(
            target,
            "POST",
            "/simulator/tenants",
            None,
            Some(&json!({"displayName": label})),
            &[],
        )
        .await?,
    )?;
    let tenant = field(&tenant, "tenantId")?;
    let other = expect_ok(
        send(
            target,
            "POST",
            "/simulator/tenants",
            None,
            Some(&json!({"displayName": format!("{label}, other tenant")})),
            &[],
        )
        .await?,
    )?;
    let other = field(&other, "tenantId")?;
    let app = expect_ok(
        send(
            target,
            "POST",
            &format!("/simulator/tenants/{tenant}/applications"),
            None,
            Some(&json!({"displayName": "mi-sim scenario runner"})),
            &[],
        )
        .await?,
    )?;
    let (client_id, object_id, secret) = (
        field(&app, "appId")?,
        field(&app, "objectId")?,
        field(&app, "clientSecret")?,
    );
    let subscription = uuid::Uuid::new_v4().to_string();
    expect_ok(
        send(
            target,
            "PUT",
            &format!("/simulator/subscriptions/{subscription}"),
            None,
            Some(&json!({"tenantId": tenant, "displayName": label, "owner": object_id})),
            &[],
        )
        .await?,
    )?;
    let form = serde_urlencoded::to_string([
        ("grant_type", "client_credentials"),
        ("client_id", client_id.as_str()),
        ("client_secret", secret.as_str()),
        ("scope", "https://management.azure.com/.default"),
    ])
    .map_err(|e| e.to_string())?;
    let token = post_form(target, &format!("/{tenant}/oauth2/v2.0/token"), form).await?;
    let token = field(&expect_ok(token)?, "access_token")?;
    let mut vars = Vars::new(run);
    vars.set("tenant", tenant);
    vars.set("otherTenant", other);
    vars.set("subscription", subscription);
    vars.set("location", LOCATION.into());
    vars.set("run", short.to_string());
    Ok(Some(Fixture { vars, token }))
}

/// A field of an answer: a header, or a path into its body.
fn at(a: &Answer, p: &Path) -> Option<Value> {
    match p {
        Path::Header(h) => a.header(h).map(|v| Value::String(v.to_string())),
        Path::Body(segs) => path::get(segs, &a.body).cloned(),
    }
}

fn expect_ok(a: Answer) -> Result<Answer, String> {
    if (200..300).contains(&a.status) {
        Ok(a)
    } else {
        Err(format!("{}: {}", a.status, a.text))
    }
}

async fn run_step(
    target: &Target,
    token: &str,
    vars: &mut Vars,
    n: usize,
    step: &Step,
) -> StepResult {
    let started = Instant::now();
    let mut result = not_run((n - 1, step));
    result.ran = true;
    let mut path = vars.fill(&step.path);
    let mut headers: Vec<(String, String)> = step
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), vars.fill(v)))
        .collect();
    let token = match (&step.instance, &step.token) {
        (_, Some(t)) => Some(vars.fill(t)),
        (Some(_), None) => None,
        (None, None) => Some(token.to_string()),
    };
    if let Some(instance) = &step.instance {
        path = format!("/instances/{}{path}", vars.fill(instance));
        headers.push(("Metadata".into(), "true".into()));
    }
    result.request = format!("{} {path}", step.method);
    let body = step.body.as_ref().map(|b| vars.fill_json(b));
    let sent = send(
        target,
        &step.method,
        &path,
        token.as_deref(),
        body.as_ref(),
        &headers,
    )
    .await;
    let url = format!("{}{path}", target.base());
    let answered = match sent {
        Ok(first) if step.wait => {
            let t = token.clone().unwrap_or_default();
            follow(
                target,
                Some(&t),
                &step.method,
                &url,
                first,
                &mut result.polls,
            )
            .await
        }
        other => other,
    };
    let a = match answered {
        Ok(a) => a,
        Err(e) => {
            result.agrees = false;
            result.disagreements.push(e);
            result.duration_ms = started.elapsed().as_millis() as u64;
            return result;
        }
    };
    result.status = Some(a.status);
    result.disagreements = check(&step.expect, &a, vars);
    // Captures come after the checks: a step's own checks see only earlier captures.
    for (name, p) in &step.capture {
        match path::parse(&vars.fill(p)).ok().and_then(|p| at(&a, &p)) {
            Some(v) => vars.set(name, text_of(&v)),
            None => result
                .disagreements
                .push(format!("capture {name}: the answer has no {p}")),
        }
    }
    let key = step
        .show
        .as_ref()
        .or(step.expect.equals.first().map(|(p, _)| p))
        .or(step.expect.differs.first().map(|(p, _)| p))
        .or(step.capture.first().map(|(_, p)| p));
    if let Some(k) = key {
        result.shown_value = path::parse(&vars.fill(k)).ok().and_then(|p| at(&a, &p));
        result.shown = Some(vars.fill(k));
    } else if let Some(code) = a.error_code() {
        result.shown = Some("error.code".into());
        result.shown_value = Some(Value::String(code.to_string()));
    }
    result.agrees = result.disagreements.is_empty();
    result.response = if a.text.len() > MAX_KEPT_BODY {
        Value::String(format!("({} bytes)", a.text.len()))
    } else {
        a.body
    };
    result.duration_ms = started.elapsed().as_millis() as u64;
    result
}

/// A captured value as text: strings as they are, anything else as JSON.
fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Equal as ARM compares: strings ignoring case (ids and GUIDs are case-insensitive).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.eq_ignore_ascii_case(y),
        _ => a == b,
    }
}

fn check(expect: &Expect, a: &Answer, vars: &Vars) -> Vec<String> {
    let mut out = Vec::new();
    let got_code = a
        .error_code()
        .map(|c| format!(" ({c})"))
        .unwrap_or_default();
    match expect.status {
        Some(s) if s != a.status => out.push(format!(
            "status: Azure answers {s}, mi-sim answered {}{got_code}",
            a.status
        )),
        None if !(200..300).contains(&a.status) => out.push(format!(
            "status: Azure answers 2xx, mi-sim answered {}{got_code}",
            a.status
        )),
        _ => {}
    }
    if let Some(code) = &expect.code {
        let code = vars.fill(code);
        if !a
            .error_code()
            .is_some_and(|c| c.eq_ignore_ascii_case(&code))
        {
            out.push(format!(
                "error code: Azure answers {code}, mi-sim answered {}",
                a.error_code().unwrap_or("none")
            ));
        }
    }
    if let Some(rule) = &expect.rule {
        if !a.text.contains(&format!("rule {rule}")) {
            out.push(format!("the refusal does not name rule {rule}: {}", a.text));
        }
    }
    let at = |p: &str| {
        let filled = vars.fill(p);
        path::parse(&filled).ok().and_then(|p| at(a, &p))
    };
    for (p, want) in &expect.equals {
        let want = vars.fill_json(want);
        match at(p) {
            Some(got) if same(&got, &want) => {}
            Some(got) => out.push(format!("{p}: Azure shows {want}, mi-sim showed {got}")),
            None => out.push(format!("{p}: Azure shows {want}, mi-sim's answer has none")),
        }
    }
    for (p, old) in &expect.differs {
        let old = vars.fill_json(old);
        match at(p) {
            Some(got) if !same(&got, &old) => {}
            Some(got) => out.push(format!("{p}: Azure shows a new value, mi-sim kept {got}")),
            None => out.push(format!(
                "{p}: Azure shows a new value, mi-sim's answer has none"
            )),
        }
    }
    for p in &expect.present {
        if at(p).is_none_or(|v| v.is_null()) {
            out.push(format!("{p}: Azure shows it, mi-sim's answer has none"));
        }
    }
    for p in &expect.absent {
        if let Some(v) = at(p).filter(|v| !v.is_null()) {
            out.push(format!("{p}: Azure shows none, mi-sim showed {v}"));
        }
    }
    out
}
