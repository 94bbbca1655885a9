//! The scenario file format (`scenarios/*.toml`), and its checks before anything runs.
//!
//! TOML, because its well-kept parser gives every value a span, so each error names its line;
//! it has comments, and its multi-line strings and inline tables carry request bodies the way
//! the Azure docs print them. (YAML's Rust parsers are unmaintained; JSON has no comments.)
//! `docs/scenarios.md` describes the format for users.
use super::path;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use toml::Spanned;

/// Variables every run defines before its first step.
pub const BUILT_INS: &[(&str, &str)] = &[
    (
        "tenant",
        "the run's own tenant, which its subscription trusts",
    ),
    ("otherTenant", "a second tenant (transfers, R12)"),
    ("subscription", "the run's own subscription"),
    ("location", "the region resources go to (eastus)"),
    ("run", "a short id unique to the run"),
];

/// The most steps a scenario may have: a bound, not a style rule.
const MAX_STEPS: usize = 200;
/// The largest scenario file read.
pub const MAX_FILE_BYTES: usize = 256 * 1024;

/// Whether ARM checks callers during the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    Open,
    Enforce,
}

/// A scenario, checked: every step well formed, every variable defined before it is used.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub rules: Vec<String>,
    pub source: Option<String>,
    pub story: String,
    /// `enforce`: the scenario needs ARM to check callers (it is skipped against an open server).
    pub auth: Auth,
    pub steps: Vec<Step>,
    /// Where it came from: a path, or `scenarios/<file>` for a shipped one.
    pub file: String,
}

/// One request and what Azure documents of its answer.
#[derive(Debug, Clone)]
pub struct Step {
    pub line: usize,
    pub name: String,
    pub method: String,
    /// The path and query, with `{{variables}}`.
    pub path: String,
    /// Sent to this instance's endpoints (`/instances/{id}` + path, with `Metadata: true`).
    pub instance: Option<String>,
    /// The bearer token to call with (default: the run's own, Owner of its subscription).
    pub token: Option<String>,
    pub body: Option<serde_json::Value>,
    pub headers: Vec<(String, String)>,
    /// Follow an asynchronous answer (202/201 with `Location` or `Azure-AsyncOperation`) to its end.
    pub wait: bool,
    pub capture: Vec<(String, String)>,
    pub show: Option<String>,
    pub azure: Option<String>,
    pub rule: Option<String>,
    pub source: Option<String>,
    pub expect: Expect,
}

/// The checks of a step. With no `status`, any 2xx agrees.
#[derive(Debug, Clone, Default)]
pub struct Expect {
    pub status: Option<u16>,
    /// The error code: ARM's `error.code`, or the `error` of IMDS and Entra.
    pub code: Option<String>,
    /// The refusal names this rule (mi-sim's refusals end with "rule Rn").
    pub rule: Option<String>,
    pub equals: Vec<(String, serde_json::Value)>,
    pub differs: Vec<(String, serde_json::Value)>,
    pub present: Vec<String>,
    pub absent: Vec<String>,
}

/// Why a file was refused: where, and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for FormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for FormatError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: Spanned<String>,
    title: String,
    rules: Option<Spanned<Vec<String>>>,
    source: Option<String>,
    #[serde(default)]
    story: String,
    auth: Option<Spanned<String>>,
    #[serde(rename = "step", default)]
    steps: Vec<Spanned<RawStep>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: String,
    request: Spanned<String>,
    instance: Option<String>,
    token: Option<String>,
    body: Option<Spanned<toml::Value>>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    wait: bool,
    #[serde(default)]
    capture: BTreeMap<String, String>,
    show: Option<String>,
    azure: Option<String>,
    rule: Option<Spanned<String>>,
    source: Option<String>,
    expect: Option<Spanned<RawExpect>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExpect {
    status: Option<u16>,
    code: Option<String>,
    rule: Option<Spanned<String>>,
    #[serde(default)]
    equals: BTreeMap<String, toml::Value>,
    #[serde(default)]
    differs: BTreeMap<String, toml::Value>,
    #[serde(default)]
    present: Vec<String>,
    #[serde(default)]
    absent: Vec<String>,
}

const METHODS: &[&str] = &["GET", "PUT", "PATCH", "POST", "DELETE", "HEAD"];

/// The line of a byte offset (1-based).
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn is_rule(id: &str) -> bool {
    id.strip_prefix('R')
        .and_then(|n| n.parse::<u8>().ok())
        .is_some_and(|n| (1..=20).contains(&n))
}

/// Parses and checks a scenario file; nothing runs unless this succeeds.
pub fn parse(file: &str, text: &str) -> Result<Scenario, FormatError> {
    let at = |offset: usize, message: String| FormatError {
        file: file.to_string(),
        line: line_of(text, offset),
        message,
    };
    if text.len() > MAX_FILE_BYTES {
        return Err(at(
            0,
            format!("the file is over {MAX_FILE_BYTES} bytes; split it"),
        ));
    }
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        at(offset, e.message().trim().to_string())
    })?;
    let id = raw.id.get_ref().trim().to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(at(
            raw.id.span().start,
            "`id` is letters, digits and dashes (S1, my-incident)".into(),
        ));
    }
    let rules_at = raw.rules.as_ref().map_or(0, |r| r.span().start);
    let rules = raw.rules.map(Spanned::into_inner).unwrap_or_default();
    for r in &rules {
        if !is_rule(r) {
            return Err(at(
                rules_at,
                format!("`rules`: '{r}' is not a rule; rules are R1..R20 (docs/rules.md)"),
            ));
        }
    }
    let auth = match raw.auth.as_ref().map(|a| (a.get_ref().as_str(), a.span())) {
        None | Some(("open", _)) => Auth::Open,
        Some(("enforce", _)) => Auth::Enforce,
        Some((other, span)) => {
            return Err(at(
                span.start,
                format!("`auth` is \"open\" or \"enforce\", not \"{other}\""),
            ))
        }
    };
    if raw.steps.is_empty() {
        return Err(at(
            0,
            "a scenario needs at least one [[step]] with a `request`".into(),
        ));
    }
    if raw.steps.len() > MAX_STEPS {
        return Err(at(
            raw.steps[MAX_STEPS].span().start,
            format!("a scenario has at most {MAX_STEPS} steps"),
        ));
    }
    let mut defined: BTreeSet<String> = BUILT_INS.iter().map(|(n, _)| n.to_string()).collect();
    let mut steps = Vec::with_capacity(raw.steps.len());
    for spanned in raw.steps {
        let offset = spanned.span().start;
        let s = spanned.into_inner();
        let step = check_step(s, offset, line_of(text, offset), &at)?;
        let uses = step_variables(&step);
        if let Some(unknown) = uses.iter().find(|v| !defined.contains(*v)) {
            return Err(at(
                offset,
                format!(
                    "step \"{}\" uses {{{{{unknown}}}}} before any step captures it; capture it in an earlier step, or use a built-in ({})",
                    step.name,
                    BUILT_INS.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        defined.extend(step.capture.iter().map(|(n, _)| n.clone()));
        steps.push(step);
    }
    Ok(Scenario {
        id,
        title: raw.title,
        rules,
        source: raw.source,
        story: raw.story.trim().to_string(),
        auth,
        steps,
        file: file.to_string(),
    })
}

fn check_step(
    s: RawStep,
    offset: usize,
    line: usize,
    at: &impl Fn(usize, String) -> FormatError,
) -> Result<Step, FormatError> {
    let request_at = s.request.span().start;
    let (method, target) = s
        .request
        .get_ref()
        .trim()
        .split_once(' ')
        .map(|(m, p)| (m.to_ascii_uppercase(), p.trim().to_string()))
        .unwrap_or_default();
    if !METHODS.contains(&method.as_str()) || !(target.starts_with('/') || target.starts_with("{{"))
    {
        return Err(at(
            request_at,
            format!(
                "`request` is a method and a path, like \"GET /subscriptions/{{{{subscription}}}}/resourcegroups?api-version=2021-04-01\"; got \"{}\"",
                s.request.get_ref()
            ),
        ));
    }
    let expect_rule = s.expect.as_ref().and_then(|e| e.get_ref().rule.as_ref());
    for r in [s.rule.as_ref(), expect_rule].into_iter().flatten() {
        if !is_rule(r.get_ref()) {
            return Err(at(
                r.span().start,
                format!("'{}' is not a rule; rules are R1..R20", r.get_ref()),
            ));
        }
    }
    let body = match s.body {
        None => None,
        // A string body is JSON text, as the Azure docs print request bodies.
        Some(b) => Some(match b.get_ref() {
            toml::Value::String(text) => serde_json::from_str(text).map_err(|e| {
                at(
                    b.span().start,
                    format!("`body` is not JSON: {e} (line {} of the body)", e.line()),
                )
            })?,
            other => serde_json::to_value(other)
                .map_err(|e| at(b.span().start, format!("`body`: {e}")))?,
        }),
    };
    let expect_at = s.expect.as_ref().map_or(offset, |e| e.span().start);
    let raw = s.expect.map(Spanned::into_inner).unwrap_or_default();
    let json = |v: toml::Value| {
        serde_json::to_value(v).map_err(|e| at(expect_at, format!("`expect`: {e}")))
    };
    let mut equals = Vec::new();
    for (k, v) in raw.equals {
        equals.push((k, json(v)?));
    }
    let mut differs = Vec::new();
    for (k, v) in raw.differs {
        differs.push((k, json(v)?));
    }
    let expect = Expect {
        status: raw.status,
        code: raw.code,
        rule: raw.rule.map(Spanned::into_inner),
        equals,
        differs,
        present: raw.present,
        absent: raw.absent,
    };
    for name in s.capture.keys() {
        let ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ok || BUILT_INS.iter().any(|(b, _)| b == name) {
            return Err(at(
                offset,
                format!("capture name '{name}' must be letters, digits and _, and not a built-in"),
            ));
        }
    }
    let step = Step {
        line,
        name: s.name,
        method,
        path: target,
        instance: s.instance,
        token: s.token,
        body,
        headers: s.headers.into_iter().collect(),
        wait: s.wait,
        capture: s.capture.into_iter().collect(),
        show: s.show,
        azure: s.azure,
        rule: s.rule.map(Spanned::into_inner),
        source: s.source,
        expect,
    };
    // Every path must parse now (with its variables in place), not halfway through a run.
    let paths = step
        .capture
        .iter()
        .map(|(_, p)| p)
        .chain(step.show.iter())
        .chain(step.expect.equals.iter().map(|(p, _)| p))
        .chain(step.expect.differs.iter().map(|(p, _)| p))
        .chain(&step.expect.present)
        .chain(&step.expect.absent);
    for p in paths {
        path::parse(p).map_err(|e| at(offset, format!("step \"{}\": {e}", step.name)))?;
    }
    Ok(step)
}

/// Every `{{name}}` a step uses (`{{guid:label}}` is always defined).
fn step_variables(step: &Step) -> BTreeSet<String> {
    let mut texts: Vec<&str> = vec![&step.path];
    texts.extend(step.instance.as_deref());
    texts.extend(step.token.as_deref());
    texts.extend(step.headers.iter().map(|(_, v)| v.as_str()));
    texts.extend(step.capture.iter().map(|(_, p)| p.as_str()));
    texts.extend(step.expect.equals.iter().map(|(p, _)| p.as_str()));
    texts.extend(step.expect.differs.iter().map(|(p, _)| p.as_str()));
    texts.extend(step.expect.present.iter().map(String::as_str));
    texts.extend(step.expect.absent.iter().map(String::as_str));
    texts.extend(step.expect.code.as_deref());
    let mut values: Vec<&serde_json::Value> = step.body.iter().collect();
    values.extend(step.expect.equals.iter().map(|(_, v)| v));
    values.extend(step.expect.differs.iter().map(|(_, v)| v));
    let mut strings = Vec::new();
    for v in values {
        json_strings(v, &mut strings, 0);
    }
    texts.extend(strings);
    texts
        .into_iter()
        .flat_map(super::vars::names)
        .filter(|n| !n.starts_with("guid:"))
        .collect()
}

/// The string leaves (and object keys) of a JSON value, to a bounded depth.
fn json_strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(a) => a.iter().for_each(|v| json_strings(v, out, depth + 1)),
        serde_json::Value::Object(o) => o.iter().for_each(|(k, v)| {
            out.push(k);
            json_strings(v, out, depth + 1)
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "mine"
title = "t"
rules = ["R14"]

[[step]]
name = "make a group"
request = "PUT /subscriptions/{{subscription}}/resourcegroups/g?api-version=2021-04-01"
body = { location = "{{location}}" }
capture = { group = "id" }

[[step]]
name = "read it"
request = "GET {{group}}?api-version=2021-04-01"
body = '''{"a": 1}'''
[step.expect]
status = 200
equals = { "name" = "g" }
"#;

    #[test]
    fn a_good_file_parses_with_the_line_of_each_step() {
        let s = parse("mine.toml", GOOD).unwrap();
        assert_eq!(s.steps.len(), 2);
        assert_eq!(s.steps[0].line, 6);
        assert_eq!(s.steps[1].method, "GET");
        assert_eq!(s.steps[1].body, Some(serde_json::json!({"a": 1})));
        assert_eq!(s.steps[1].expect.status, Some(200));
    }

    #[test]
    fn a_variable_used_before_it_is_captured_is_refused_with_its_line() {
        let bad = GOOD.replace("capture = { group = \"id\" }", "");
        let e = parse("mine.toml", &bad).unwrap_err();
        assert_eq!(e.line, 12, "{e}");
        assert!(e.message.contains("{{group}}"), "{e}");
    }

    #[test]
    fn an_unknown_key_or_step_kind_is_refused_with_its_line() {
        let bad = GOOD.replace("name = \"read it\"", "name = \"read it\"\nsleep = 5");
        let e = parse("mine.toml", &bad).unwrap_err();
        assert_eq!(e.line, 14, "{e}");
        assert!(e.message.contains("unknown field `sleep`"), "{e}");
    }

    #[test]
    fn bad_syntax_a_bad_request_line_and_bad_json_are_refused() {
        let e = parse("f.toml", "id = \"x\"\ntitle = \n").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        let e = parse("f.toml", &GOOD.replace("GET {{group}}", "FETCH {{group}}")).unwrap_err();
        assert!(e.message.contains("method and a path"), "{e}");
        let e = parse("f.toml", &GOOD.replace(r#"{"a": 1}"#, r#"{"a": }"#)).unwrap_err();
        assert!(e.message.contains("not JSON"), "{e}");
        let e = parse("f.toml", &GOOD.replace("R14", "R99")).unwrap_err();
        assert!(e.message.contains("R1..R20"), "{e}");
    }
}
