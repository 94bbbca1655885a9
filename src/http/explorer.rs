//! The explorer (`/explorer`): the state as a tree, tenants, subscriptions, groups, resources,
//! each identity with its principal, where that principal lives and its health (broken ones
//! with the rule and the remedy), the role assignments that apply; and the scenarios with a
//! button that runs one and shows its transcript. Rendered on the server with maud (escaped
//! at compile time); the page's only script is the run button's, inline: it works offline.
use crate::domain::roles::built_in;
use crate::ops::health::{self, PairHealth};
use crate::scenario;
use crate::state::AppState;
use crate::store::roles::AssignmentRow;
use actix_web::{web, HttpResponse};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::collections::HashMap;

/// The most groups and role assignments the page lists (a page, not a dump).
const MAX_ROWS: i64 = 2000;

const STYLE: &str = r#"
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
header { background: #0f3d6b; color: #fff; padding: 10px 20px; display: flex; gap: 24px; align-items: baseline; }
header a { color: #cfe6ff; }
main { display: grid; grid-template-columns: 3fr 2fr; gap: 20px; padding: 16px 20px; }
details { margin-left: 14px; }
summary { cursor: pointer; padding: 2px 0; }
.kind { color: #666; font-size: 12px; }
.resource { margin: 6px 0 6px 28px; padding: 6px 10px; background: #fff; border: 1px solid #ddd; border-radius: 6px; }
.identity { margin: 6px 0; padding: 6px 8px; border-left: 4px solid #2e7d32; background: #f3faf3; }
.identity.broken { border-color: #c62828; background: #fdf1f1; }
.identity.warned { border-color: #ef6c00; background: #fff6ec; }
.rule { font-weight: 600; color: #c62828; }
.warned .rule { color: #ef6c00; }
.remedy { margin-top: 4px; }
code { font-size: 12px; }
table { border-collapse: collapse; width: 100%; }
button { white-space: nowrap; }
td, th { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e5e5e5; vertical-align: top; }
#transcript li { margin: 4px 0; }
#transcript .ok { color: #2e7d32; } #transcript .fail { color: #c62828; font-weight: 600; }
#transcript .req { font-family: monospace; font-size: 12px; color: #444; word-break: break-all; }
"#;

/// Renders a step list into `#transcript`; plain DOM calls, no library.
const SCRIPT: &str = r#"
document.querySelectorAll('button[data-run]').forEach(b => b.addEventListener('click', async () => {
  const id = b.dataset.run, out = document.getElementById('transcript'), head = document.getElementById('run-title');
  out.replaceChildren(); head.textContent = 'Running ' + id + '…';
  const r = await fetch('/simulator/scenarios/' + id + '/runs', {method: 'POST'});
  const t = await r.json();
  head.textContent = t.id + ' ' + t.outcome + ': ' + t.title + (t.subscription ? ' (subscription ' + t.subscription + ')' : '');
  for (const s of t.steps) {
    const li = document.createElement('li');
    const verdict = document.createElement('span');
    verdict.className = s.ran ? (s.agrees ? 'ok' : 'fail') : '';
    verdict.textContent = s.ran ? (s.agrees ? 'ok ' : 'FAIL ') : 'not run ';
    li.append(verdict, s.name + (s.status ? ' → ' + s.status : ''));
    const req = document.createElement('div'); req.className = 'req'; req.textContent = s.request; li.append(req);
    if (s.azure) { const a = document.createElement('div'); a.textContent = 'Azure: ' + s.azure + (s.rule ? ' [' + s.rule + ']' : ''); li.append(a); }
    for (const d of (s.disagreements || [])) { const e = document.createElement('div'); e.className = 'fail'; e.textContent = d; li.append(e); }
    out.append(li);
  }
  document.getElementById('reload').hidden = false;
}));
"#;

fn role_name(a: &AssignmentRow) -> String {
    let guid = a.role_definition_id.rsplit('/').next().unwrap_or_default();
    built_in(guid).map_or_else(|| guid.to_string(), |r| r.name.to_string())
}

fn identity(h: &PairHealth, assignments: &[AssignmentRow]) -> Markup {
    let class = match (h.verdict.can_get_token, h.warnings.is_empty()) {
        (false, _) => "identity broken",
        (true, false) => "identity warned",
        (true, true) => "identity healthy",
    };
    let mine: Vec<&AssignmentRow> = assignments
        .iter()
        .filter(|a| a.principal_id.eq_ignore_ascii_case(&h.principal_id))
        .collect();
    html! {
        div class=(class) data-rule=[h.verdict.rule] data-principal=(h.principal_id) {
            div {
                strong { (h.identity_kind) }
                @if h.identity_kind == "UserAssigned" && h.identity != h.resource_id { " " code { (h.identity) } }
            }
            div { "principal " code { (h.principal_id) } " · client " code { (h.client_id) } }
            div {
                "lives in tenant "
                @match &h.principal_tenant { Some(t) => code { (t) }, None => em { "(deleted)" } }
            }
            @if h.verdict.can_get_token { div { "can get tokens" } }
            @if let Some(rule) = h.verdict.rule {
                div { span class="rule" { "broken: " (rule) } " — no token" }
            }
            @if !h.verdict.can_get_token { ul { @for f in &h.verdict.facts { li { (f) } } } }
            @if let Some(r) = &h.verdict.remedy { div class="remedy" { "Remedy: " (r) } }
            @for w in &h.warnings {
                div { span class="rule" { "warning: " (w.rule) } }
                ul { @for f in &w.facts { li { (f) } } }
                div class="remedy" { "Remedy: " (w.remedy) }
            }
            @if !mine.is_empty() {
                div { "role assignments: "
                    @for a in &mine { span { (role_name(a)) " at " code { (a.scope) } "; " } }
                }
            } @else { div class="kind" { "no role assignments" } }
        }
    }
}

/// A resource of the tree and its identities' health.
type Resource<'a> = (&'a str, Vec<&'a PairHealth>);

/// The explorer page.
pub async fn page(state: web::Data<AppState>) -> Result<HttpResponse, super::error::ArmError> {
    let internal = |e: sqlx::Error| super::error::ArmError::from(crate::ops::OpError::from(e));
    let pairs = health::report(&state, None).await.map_err(internal)?;
    let crate::ops::directory::Overview {
        tenants,
        subscriptions,
        groups,
        assignments,
    } = crate::ops::directory::overview(&state, MAX_ROWS).await?;
    // Pairs by (subscription, group), each group's in resource order: one pass.
    let mut by_group: HashMap<(String, String), Vec<Resource>> = HashMap::new();
    for p in &pairs {
        let mut segs = p.resource_id.split('/').skip(2);
        let (Some(sub), Some(_), Some(group)) = (segs.next(), segs.next(), segs.next()) else {
            continue;
        };
        let resources = by_group
            .entry((sub.to_ascii_lowercase(), group.to_ascii_lowercase()))
            .or_default();
        match resources.iter_mut().find(|(id, _)| *id == p.resource_id) {
            Some((_, v)) => v.push(p),
            None => resources.push((&p.resource_id, vec![p])),
        }
    }
    let none = Vec::new();
    let in_group = |sub: &str, group: &str| {
        by_group
            .get(&(sub.to_ascii_lowercase(), group.to_ascii_lowercase()))
            .unwrap_or(&none)
    };
    let broken = pairs.iter().filter(|p| !p.verdict.can_get_token).count();
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "mi-sim explorer" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { "mi-sim explorer" }
                    span { (pairs.len()) " identities, " (broken) " broken" }
                    a href="/docs" { "API docs" }
                    a href="/simulator/identities/health" { "health (JSON)" }
                    a href="/simulator/journal" { "journal" }
                }
                main {
                    section id="tree" {
                        h2 { "State" }
                        @for t in &tenants {
                            details open class="tenant" data-tenant=(t.id) {
                                summary { strong { (t.display_name) } " " span class="kind" { "tenant " (t.id) } }
                                @for s in subscriptions.iter().filter(|s| s.tenant_id.eq_ignore_ascii_case(&t.id)) {
                                    @let sid = s.id.to_string();
                                    details open class="subscription" data-subscription=(sid) {
                                        summary { (s.display_name) " " span class="kind" { "subscription " (s.id) } }
                                        @for g in groups.iter().filter(|g| g.subscription_id == sid) {
                                            details open class="group" {
                                                summary { (g.name) " " span class="kind" { (g.location) } }
                                                @for (id, ids) in in_group(&sid, &g.name) {
                                                    div class="resource" data-resource-id=(id) {
                                                        div {
                                                            strong { (id.rsplit('/').next().unwrap_or_default()) }
                                                            " " span class="kind" { (ids[0].resource_type) }
                                                            @if let Some(p) = &ids[0].power_state { " · " (p) }
                                                        }
                                                        @for h in ids { (identity(h, &assignments)) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    section id="scenarios" {
                        h2 { "Known issues" }
                        p class="kind" { "Each run works in a tenant and subscription of its own; its resources stay until reset." }
                        table {
                            tr { th { "" } th { "scenario" } th { "rules" } }
                            @for s in scenario::shipped() {
                                tr {
                                    td { button data-run=(s.id) { "Run " (s.id) } }
                                    td { (s.title) }
                                    td { (s.rules.join(", ")) }
                                }
                            }
                        }
                        h3 id="run-title" { }
                        ol id="transcript" { }
                        p id="reload" hidden { a href="/explorer" { "Reload to explore the run's resources" } }
                    }
                }
                script { (PreEscaped(SCRIPT)) }
            }
        }
    };
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string()))
}
