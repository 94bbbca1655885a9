//! A template document turned into a plan: parameters bound and checked, variables resolved on
//! demand (cycles refused), resources expanded (nested children flattened, copy loops,
//! conditions), their ids worked out, and an order that honours `dependsOn` and the implicit
//! dependency of `reference('name')`. Resource bodies stay unevaluated: they may call
//! `reference()`, which only the deployment, resource by resource, can answer.
use super::eval::{eval, Scope};
use super::expr::{template_string, Expr, TemplateString};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::collections::HashMap;

/// The largest copy count ARM accepts.
pub const MAX_COPY: i64 = 800;
/// The most resources a plan holds once loops are expanded.
pub const MAX_PLANNED: usize = 4000;
/// The deepest JSON a template value may nest.
const MAX_VALUE_DEPTH: usize = 64;

/// What is wrong with a template: where (a JSON path) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub target: String,
    pub message: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.target, self.message)
    }
}

fn error(target: impl Into<String>, message: impl Into<String>) -> TemplateError {
    TemplateError {
        target: target.into(),
        message: message.into(),
    }
}

/// Where the deployment runs, and what `resourceGroup()`, `subscription()`, `tenant()` and
/// `deployment()` answer.
#[derive(Debug, Clone)]
pub struct Context {
    pub subscription_id: String,
    /// `None` at subscription scope.
    pub resource_group: Option<String>,
    pub resource_group_value: Value,
    pub subscription_value: Value,
    pub tenant_value: Value,
    pub deployment_value: Value,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// Answers `reference()` (the deployment reads deployed resources); the plan never calls it.
pub type Resolver<'a> = &'a dyn Fn(&str, Option<&str>, bool) -> Result<Value, String>;

fn no_reference(_: &str, _: Option<&str>, _: bool) -> Result<Value, String> {
    Err("reference() can be used only in resource properties and outputs".into())
}

/// The scope of a template's expressions.
pub struct TemplateScope<'a> {
    ctx: &'a Context,
    parameters: Map<String, Value>,
    variables: &'a Map<String, Value>,
    resolved: RefCell<HashMap<String, Value>>,
    resolving: RefCell<Vec<String>>,
    copy: Vec<(String, i64)>,
    reference: Resolver<'a>,
}

impl<'a> TemplateScope<'a> {
    fn with_copy(&self, name: &str, index: i64) -> TemplateScope<'a> {
        let mut copy = self.copy.clone();
        copy.push((name.to_string(), index));
        self.with_copies(copy)
    }

    /// The same scope inside these copy loops (a planned resource's `copies`).
    pub fn with_copies(&self, copy: Vec<(String, i64)>) -> TemplateScope<'a> {
        TemplateScope {
            ctx: self.ctx,
            parameters: self.parameters.clone(),
            variables: self.variables,
            resolved: RefCell::new(self.resolved.borrow().clone()),
            resolving: RefCell::new(Vec::new()),
            copy,
            reference: self.reference,
        }
    }

    /// The parameters as bound: given values, defaults filled in.
    pub fn parameters(&self) -> &Map<String, Value> {
        &self.parameters
    }

    /// The same scope, answering `reference()` with `resolver`.
    pub fn resolving_with<'b>(&'b self, resolver: Resolver<'b>) -> TemplateScope<'b>
    where
        'a: 'b,
    {
        TemplateScope {
            reference: resolver,
            ..self.with_copies(self.copy.clone())
        }
    }
}

fn find<'v>(map: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    map.get(name).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

impl Scope for TemplateScope<'_> {
    fn parameter(&self, name: &str) -> Option<Value> {
        find(&self.parameters, name).cloned()
    }

    fn variable(&self, name: &str) -> Result<Value, String> {
        let key = name.to_ascii_lowercase();
        if let Some(v) = self.resolved.borrow().get(&key) {
            return Ok(v.clone());
        }
        let raw = find(self.variables, name)
            .ok_or_else(|| format!("the template variable '{name}' is not found"))?;
        if self.resolving.borrow().contains(&key) {
            return Err(format!(
                "the template variable '{name}' refers to itself (through {})",
                self.resolving.borrow().join(" -> ")
            ));
        }
        self.resolving.borrow_mut().push(key.clone());
        let value = evaluate(raw, self, &format!("variables.{name}"));
        self.resolving.borrow_mut().pop();
        let value = value.map_err(|e| e.message)?;
        self.resolved.borrow_mut().insert(key, value.clone());
        Ok(value)
    }

    fn resource_group(&self) -> Value {
        self.ctx.resource_group_value.clone()
    }

    fn subscription(&self) -> Value {
        self.ctx.subscription_value.clone()
    }

    fn tenant(&self) -> Value {
        self.ctx.tenant_value.clone()
    }

    fn deployment(&self) -> Value {
        self.ctx.deployment_value.clone()
    }

    fn copy_index(&self, loop_name: Option<&str>) -> Option<i64> {
        match loop_name {
            None => self.copy.last().map(|(_, i)| *i),
            Some(n) => self
                .copy
                .iter()
                .rev()
                .find(|(c, _)| c.eq_ignore_ascii_case(n))
                .map(|(_, i)| *i),
        }
    }

    fn reference(&self, id: &str, api: Option<&str>, full: bool) -> Result<Value, String> {
        (self.reference)(id, api, full)
    }

    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.ctx.now
    }
}

/// Evaluates every template string in a value (object keys stay as written).
pub fn evaluate(v: &Value, scope: &dyn Scope, target: &str) -> Result<Value, TemplateError> {
    evaluate_at(v, scope, target, 0)
}

fn evaluate_at(
    v: &Value,
    scope: &dyn Scope,
    target: &str,
    depth: usize,
) -> Result<Value, TemplateError> {
    if depth > MAX_VALUE_DEPTH {
        return Err(error(
            target,
            format!("the value nests deeper than {MAX_VALUE_DEPTH} levels"),
        ));
    }
    match v {
        Value::String(s) => match template_string(s).map_err(|e| {
            error(
                target,
                format!("the language expression '{s}' is not valid: {e}"),
            )
        })? {
            TemplateString::Literal(l) => Ok(Value::String(l)),
            TemplateString::Expression(e) => eval(&e, scope).map_err(|e| {
                error(
                    target,
                    format!("the language expression '{s}' could not be evaluated: {e}"),
                )
            }),
        },
        Value::Array(a) => a
            .iter()
            .enumerate()
            .map(|(i, v)| evaluate_at(v, scope, &format!("{target}[{i}]"), depth + 1))
            .collect::<Result<_, _>>()
            .map(Value::Array),
        // ARM evaluates property names too: `"userAssignedIdentities": {"[resourceId(...)]": {}}`
        // is how templates name the identities they assign.
        Value::Object(o) => o
            .iter()
            .map(|(k, v)| {
                let at = format!("{target}.{k}");
                let key = match evaluate_at(&Value::String(k.clone()), scope, &at, depth + 1)? {
                    Value::String(key) => key,
                    other => {
                        return Err(error(
                            &at,
                            format!(
                                "the property name evaluates to {}, not a string",
                                type_name(&other)
                            ),
                        ))
                    }
                };
                Ok((key, evaluate_at(v, scope, &at, depth + 1)?))
            })
            .collect::<Result<_, _>>()
            .map(Value::Object),
        other => Ok(other.clone()),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "String",
        Value::Number(_) => "Integer",
        Value::Bool(_) => "Boolean",
        Value::Object(_) => "Object",
        Value::Array(_) => "Array",
        Value::Null => "Null",
    }
}

/// Binds the values given (`{"name": {"value": ...}}`, as deployments send them) to the
/// template's parameters, with defaults (which may be expressions over earlier parameters),
/// and checks type, allowed values and bounds.
pub fn bind_parameters<'a>(
    template: &'a Value,
    given: &Map<String, Value>,
    ctx: &'a Context,
) -> Result<TemplateScope<'a>, TemplateError> {
    static NONE: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    let declared = template["parameters"].as_object().unwrap_or(&NONE);
    let variables = template["variables"].as_object().unwrap_or(&NONE);
    let unknown: Vec<&String> = given
        .keys()
        .filter(|k| find(declared, k).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(error("parameters", format!(
            "The template parameters '{}' in the parameters file are not valid; they are not present in the original template and can therefore not be provided at deployment time. The only supported parameters for this template are '{}'.",
            unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            declared.keys().cloned().collect::<Vec<_>>().join(", ")
        )));
    }
    let mut scope = TemplateScope {
        ctx,
        parameters: Map::new(),
        variables,
        resolved: RefCell::new(HashMap::new()),
        resolving: RefCell::new(Vec::new()),
        copy: Vec::new(),
        reference: &no_reference,
    };
    for (name, decl) in declared {
        let target = format!("parameters.{name}");
        let value = match find(given, name) {
            // A value passed in is literal, expressions and all.
            Some(g) => g.get("value").cloned().unwrap_or(Value::Null),
            None => match decl.get("defaultValue") {
                Some(d) => evaluate(d, &scope, &format!("{target}.defaultValue"))?,
                None => {
                    return Err(error(
                        &target,
                        format!("The value for the template parameter '{name}' is not provided. Please provide it in the parameters or give the parameter a defaultValue."),
                    ))
                }
            },
        };
        check_parameter(name, decl, &value, &target)?;
        scope.parameters.insert(name.clone(), value);
    }
    Ok(scope)
}

fn check_parameter(
    name: &str,
    decl: &Value,
    value: &Value,
    target: &str,
) -> Result<(), TemplateError> {
    let declared = decl["type"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let expected = match declared.as_str() {
        "string" | "securestring" => "String",
        "int" => "Integer",
        "bool" => "Boolean",
        "object" | "secureobject" => "Object",
        "array" => "Array",
        other => {
            return Err(error(
                target,
                format!("The template parameter '{name}' has the type '{other}'; the types are string, securestring, int, bool, object, secureobject and array."),
            ))
        }
    };
    if type_name(value) != expected {
        return Err(error(target, format!(
            "Template parameter '{name}' was provided an invalid value. Expected a value of type '{expected}', but received a value of type '{}'.",
            type_name(value)
        )));
    }
    if let Some(allowed) = decl["allowedValues"].as_array() {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect();
            return Err(error(target, format!(
                "The provided value '{}' for the template parameter '{name}' is not valid. The parameter value is not part of the allowed value(s): '{}'.",
                value.as_str().map_or_else(|| value.to_string(), str::to_string),
                list.join(",")
            )));
        }
    }
    let len = match value {
        Value::String(s) => Some(s.chars().count() as i64),
        Value::Array(a) => Some(a.len() as i64),
        _ => None,
    };
    let bounds = [
        (value.as_i64(), "minValue", true),
        (value.as_i64(), "maxValue", false),
        (len, "minLength", true),
        (len, "maxLength", false),
    ];
    for (actual, key, lower) in bounds {
        let (Some(actual), Some(bound)) = (actual, decl[key].as_i64()) else {
            continue;
        };
        if (lower && actual < bound) || (!lower && actual > bound) {
            let limit = match key {
                "minValue" => format!("Minimum value allowed is '{bound}'."),
                "maxValue" => format!("Maximum value allowed is '{bound}'."),
                "minLength" => format!("Length must be at least '{bound}'."),
                _ => format!("Length must be at most '{bound}'."),
            };
            let shown = if key.ends_with("Value") {
                format!(" '{actual}'")
            } else {
                String::new()
            };
            return Err(error(target, format!("The provided value{shown} for the template parameter '{name}' is not valid. {limit}")));
        }
    }
    Ok(())
}

/// One resource of the plan, as deployed.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// `Microsoft.Compute/virtualMachines/extensions`
    pub resource_type: String,
    /// `vm1/ext1`
    pub name: String,
    pub api_version: String,
    pub id: String,
    /// The copy loop and index it was made by.
    pub copy: Option<(String, i64)>,
    /// Every loop index its expressions see (a nested child sees its parent's).
    pub copies: Vec<(String, i64)>,
    pub condition: bool,
    /// Indexes (into the plan) of what it waits for.
    pub depends_on: Vec<usize>,
    /// The resource as written (flattened: full type and name), bodies unevaluated.
    pub raw: Value,
    pub target: String,
}

/// A resource declaration, children flattened under their parent.
struct Declared<'t> {
    raw: &'t Value,
    parent: Option<(String, String)>,
    target: String,
}

/// The plan's resources in deployment order.
pub fn plan(template: &Value, scope: &TemplateScope<'_>) -> Result<Vec<Planned>, TemplateError> {
    let mut planned = Vec::new();
    let empty = Vec::new();
    let resources = template["resources"].as_array().unwrap_or(&empty);
    for (i, r) in resources.iter().enumerate() {
        expand(
            Declared {
                raw: r,
                parent: None,
                target: format!("resources[{i}]"),
            },
            scope,
            &mut planned,
        )?;
    }
    let mut depends: Vec<Vec<usize>> = vec![Vec::new(); planned.len()];
    for (i, p) in planned.iter().enumerate() {
        let looped = scope.with_copies(p.copies.clone());
        let s = &looped;
        let mut deps = Vec::new();
        for (j, entry) in p.raw["dependsOn"]
            .as_array()
            .unwrap_or(&empty)
            .iter()
            .enumerate()
        {
            let target = format!("{}.dependsOn[{j}]", p.target);
            let named = evaluate(entry, s, &target)?;
            let named = named.as_str().unwrap_or_default().to_string();
            let matched = matching(&planned, &named);
            if matched.is_empty() {
                return Err(error(
                    &target,
                    format!("The resource '{named}' is not defined in the template."),
                ));
            }
            deps.extend(matched);
        }
        // reference('name') of a resource of this template orders the deployment too.
        let mut named = Vec::new();
        references(&p.raw, s, &mut named, 0);
        for n in named {
            deps.extend(matching(&planned, &n));
        }
        deps.extend(previous_batch(&planned, i, s)?);
        deps.retain(|d| *d != i && planned[*d].condition);
        deps.sort_unstable();
        deps.dedup();
        depends[i] = deps;
    }
    for (p, d) in planned.iter_mut().zip(depends) {
        p.depends_on = d;
    }
    order(planned)
}

/// A serial copy loop (`"mode": "serial"`) deploys `batchSize` instances at a time (one by
/// default): each waits for the instances of the batch before its own.
fn previous_batch(
    planned: &[Planned],
    i: usize,
    scope: &dyn Scope,
) -> Result<Vec<usize>, TemplateError> {
    let p = &planned[i];
    let (Some((name, index)), Some(copy)) = (&p.copy, p.raw.get("copy")) else {
        return Ok(Vec::new());
    };
    let serial = copy["mode"]
        .as_str()
        .is_some_and(|m| m.eq_ignore_ascii_case("serial"));
    if !serial {
        return Ok(Vec::new());
    }
    let target = format!("{}.copy.batchSize", p.target);
    let batch = match copy.get("batchSize") {
        None => 1,
        Some(b) => evaluate(b, scope, &target)?
            .as_i64()
            .filter(|b| *b >= 1)
            .ok_or_else(|| error(&target, "batchSize must be a positive integer"))?,
    };
    if *index < batch {
        return Ok(Vec::new());
    }
    let start = (index / batch - 1) * batch;
    Ok(planned
        .iter()
        .enumerate()
        .filter(|(_, q)| {
            q.copy
                .as_ref()
                .is_some_and(|(n, k)| n == name && (start..start + batch).contains(k))
        })
        .map(|(j, _)| j)
        .collect())
}

fn matching(planned: &[Planned], named: &str) -> Vec<usize> {
    let key = named.trim_end_matches('/');
    planned
        .iter()
        .enumerate()
        .filter(|(_, p)| {
            p.id.eq_ignore_ascii_case(key)
                || p.name.eq_ignore_ascii_case(key)
                || format!("{}/{}", p.resource_type, p.name).eq_ignore_ascii_case(key)
                || p.copy
                    .as_ref()
                    .is_some_and(|(c, _)| c.eq_ignore_ascii_case(key))
        })
        .map(|(i, _)| i)
        .collect()
}

/// The first arguments of `reference()` calls in a value that evaluate without a reference.
fn references(v: &Value, scope: &dyn Scope, out: &mut Vec<String>, depth: usize) {
    if depth > MAX_VALUE_DEPTH {
        return;
    }
    match v {
        Value::String(s) => {
            if let Ok(TemplateString::Expression(e)) = template_string(s) {
                calls(&e, scope, out, 0);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| references(v, scope, out, depth + 1)),
        Value::Object(o) => o
            .iter()
            .filter(|(k, _)| k.as_str() != "dependsOn")
            .for_each(|(_, v)| references(v, scope, out, depth + 1)),
        _ => {}
    }
}

fn calls(e: &Expr, scope: &dyn Scope, out: &mut Vec<String>, depth: usize) {
    if depth > super::expr::MAX_DEPTH {
        return;
    }
    match e {
        Expr::Call { name, args, .. } => {
            if name.eq_ignore_ascii_case("reference") {
                if let Some(Ok(Value::String(target))) = args.first().map(|a| eval(a, scope)) {
                    out.push(target);
                }
            }
            args.iter().for_each(|a| calls(a, scope, out, depth + 1));
        }
        Expr::Property(inner, _) => calls(inner, scope, out, depth + 1),
        Expr::Index(inner, index) => {
            calls(inner, scope, out, depth + 1);
            calls(index, scope, out, depth + 1);
        }
        _ => {}
    }
}

fn text(v: &Value, target: &str, what: &str) -> Result<String, TemplateError> {
    v.as_str()
        .map(str::to_string)
        .ok_or_else(|| error(target, format!("the resource's {what} must be a string")))
}

fn expand(
    d: Declared<'_>,
    scope: &TemplateScope<'_>,
    out: &mut Vec<Planned>,
) -> Result<(), TemplateError> {
    let raw = d.raw;
    match raw.get("copy") {
        None => expand_one(&d, scope, None, out),
        Some(copy) => {
            let target = format!("{}.copy", d.target);
            if d.parent.is_some() {
                return Err(error(
                    &target,
                    "copy cannot be used on a resource nested in its parent",
                ));
            }
            let name = text(&copy["name"], &target, "copy name")?;
            let count = evaluate(&copy["count"], scope, &format!("{target}.count"))?
                .as_i64()
                .filter(|c| (0..=MAX_COPY).contains(c))
                .ok_or_else(|| {
                    error(
                        format!("{target}.count"),
                        format!("the copy count must be an integer from 0 to {MAX_COPY}"),
                    )
                })?;
            for i in 0..count {
                let s = scope.with_copy(&name, i);
                expand_one(&d, &s, Some((name.clone(), i)), out)?;
            }
            Ok(())
        }
    }
}

fn expand_one(
    d: &Declared<'_>,
    scope: &TemplateScope<'_>,
    copy: Option<(String, i64)>,
    out: &mut Vec<Planned>,
) -> Result<(), TemplateError> {
    if out.len() >= MAX_PLANNED {
        return Err(error(
            &d.target,
            format!("a template deploys at most {MAX_PLANNED} resources"),
        ));
    }
    let raw = d.raw;
    let field = |k: &str| evaluate(&raw[k], scope, &format!("{}.{k}", d.target));
    let written_type = text(&field("type")?, &d.target, "type")?;
    let written_name = text(&field("name")?, &d.target, "name")?;
    let api_version = text(&field("apiVersion")?, &d.target, "apiVersion")?;
    let (resource_type, name) = match &d.parent {
        Some((t, n)) => (format!("{t}/{written_type}"), format!("{n}/{written_name}")),
        None => (written_type, written_name),
    };
    let condition = match raw.get("condition") {
        None => true,
        Some(c) => evaluate(c, scope, &format!("{}.condition", d.target))?
            .as_bool()
            .ok_or_else(|| {
                error(
                    format!("{}.condition", d.target),
                    "condition must be a boolean",
                )
            })?,
    };
    let scope_prefix = match raw.get("scope") {
        Some(s) => Some(text(
            &evaluate(s, scope, &format!("{}.scope", d.target))?,
            &d.target,
            "scope",
        )?),
        None => None,
    };
    let id = resource_id(scope.ctx, scope_prefix.as_deref(), &resource_type, &name)
        .map_err(|m| error(&d.target, m))?;
    let mut flat = raw.clone();
    if let Some(o) = flat.as_object_mut() {
        o.insert("type".into(), Value::String(resource_type.clone()));
        o.insert("name".into(), Value::String(name.clone()));
        o.remove("resources");
    }
    out.push(Planned {
        resource_type: resource_type.clone(),
        name: name.clone(),
        api_version,
        id,
        copy: copy.clone(),
        copies: scope.copy.clone(),
        condition,
        depends_on: Vec::new(),
        raw: flat,
        target: d.target.clone(),
    });
    // Children see the parent's loop index (the scope already holds it).
    if let Some(children) = raw["resources"].as_array() {
        for (i, child) in children.iter().enumerate() {
            expand(
                Declared {
                    raw: child,
                    parent: Some((resource_type.clone(), name.clone())),
                    target: format!("{}.resources[{i}]", d.target),
                },
                scope,
                out,
            )?;
        }
    }
    Ok(())
}

/// A planned resource's id: under the group (or the subscription), or under `scope` for an
/// extension resource such as a role assignment.
fn resource_id(
    ctx: &Context,
    scope: Option<&str>,
    resource_type: &str,
    name: &str,
) -> Result<String, String> {
    let mut segs = resource_type.split('/');
    let ns = segs.next().unwrap_or_default();
    let types: Vec<&str> = segs.collect();
    let names: Vec<&str> = name.split('/').collect();
    if ns.is_empty() || types.is_empty() || types.len() != names.len() {
        return Err(format!(
            "the resource name '{name}' has {} segments but its type '{resource_type}' needs {}",
            names.len(),
            types.len()
        ));
    }
    if resource_type.eq_ignore_ascii_case("Microsoft.Resources/resourceGroups") {
        return Ok(format!(
            "/subscriptions/{}/resourceGroups/{name}",
            ctx.subscription_id
        ));
    }
    let mut path = format!("providers/{ns}");
    for (t, n) in types.iter().zip(&names) {
        path.push_str(&format!("/{t}/{n}"));
    }
    // As the template functions do: strings joined, unchecked (eval.rs says why).
    Ok(match (scope, &ctx.resource_group) {
        (Some(s), _) => format!("{}/{path}", s.trim_end_matches('/')),
        (None, Some(g)) => format!(
            "/subscriptions/{}/resourceGroups/{g}/{path}",
            ctx.subscription_id
        ),
        (None, None) => format!("/subscriptions/{}/{path}", ctx.subscription_id),
    })
}

/// Kahn's algorithm, stable in declaration order; a cycle names a resource on it.
fn order(planned: Vec<Planned>) -> Result<Vec<Planned>, TemplateError> {
    let n = planned.len();
    let mut waiting: Vec<usize> = planned.iter().map(|p| p.depends_on.len()).collect();
    let mut done = vec![false; n];
    let mut sequence = Vec::with_capacity(n);
    while sequence.len() < n {
        let Some(next) = (0..n).find(|i| !done[*i] && waiting[*i] == 0) else {
            let stuck = (0..n).find(|i| !done[*i]).expect("one is left");
            return Err(error(
                &planned[stuck].target,
                format!(
                    "Deployment template validation failed: Circular dependency detected on resource: '{}'.",
                    planned[stuck].id
                ),
            ));
        };
        done[next] = true;
        sequence.push(next);
        for (i, p) in planned.iter().enumerate() {
            if p.depends_on.contains(&next) {
                waiting[i] -= 1;
            }
        }
    }
    // Dependencies renumbered into the new order.
    let position: Vec<usize> = {
        let mut pos = vec![0; n];
        for (new, old) in sequence.iter().enumerate() {
            pos[*old] = new;
        }
        pos
    };
    let mut slots: Vec<Option<Planned>> = planned.into_iter().map(Some).collect();
    Ok(sequence
        .iter()
        .map(|old| {
            let mut p = slots[*old].take().expect("each once");
            p.depends_on = p.depends_on.iter().map(|d| position[*d]).collect();
            p
        })
        .collect())
}

/// The outputs, evaluated (after the resources are deployed) and checked against their type.
pub fn outputs(
    template: &Value,
    scope: &TemplateScope<'_>,
) -> Result<Map<String, Value>, TemplateError> {
    let mut out = Map::new();
    let Some(declared) = template["outputs"].as_object() else {
        return Ok(out);
    };
    for (name, decl) in declared {
        let target = format!("outputs.{name}");
        if let Some(c) = decl.get("condition") {
            if evaluate(c, scope, &format!("{target}.condition"))? != Value::Bool(true) {
                continue;
            }
        }
        let value = evaluate(&decl["value"], scope, &format!("{target}.value"))?;
        let kind = decl["type"].as_str().unwrap_or("string");
        out.insert(
            name.clone(),
            serde_json::json!({"type": kind, "value": value}),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ctx() -> Context {
        Context {
            subscription_id: "s1".into(),
            resource_group: Some("rg1".into()),
            resource_group_value: json!({"id": "/subscriptions/s1/resourceGroups/rg1", "name": "rg1", "location": "westeurope"}),
            subscription_value: json!({"id": "/subscriptions/s1", "subscriptionId": "s1", "tenantId": "t1"}),
            tenant_value: json!({"tenantId": "t1"}),
            deployment_value: json!({"name": "d1"}),
            now: chrono::DateTime::parse_from_rfc3339("2026-12-02T00:00:00Z")
                .unwrap()
                .into(),
        }
    }

    const IDENTITY_TEMPLATE: &str = r#"{
      "parameters": {
        "prefix": {"type": "string", "defaultValue": "app", "maxLength": 10},
        "count": {"type": "int", "defaultValue": 2, "minValue": 0, "maxValue": 5},
        "location": {"type": "string", "defaultValue": "[resourceGroup().location]", "allowedValues": ["westeurope", "eastus"]}
      },
      "variables": {
        "idName": "[concat(parameters('prefix'), '-id')]",
        "tags": {"owner": "[variables('idName')]"}
      },
      "resources": [
        {"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
         "name": "[guid(resourceGroup().id, variables('idName'))]",
         "properties": {"principalId": "[reference(variables('idName')).principalId]"}},
        {"type": "Microsoft.ManagedIdentity/userAssignedIdentities", "apiVersion": "2023-01-31",
         "name": "[variables('idName')]", "location": "[parameters('location')]", "tags": "[variables('tags')]"},
        {"type": "Microsoft.Compute/virtualMachines", "apiVersion": "2024-07-01",
         "name": "[concat('vm', copyIndex(1))]", "copy": {"name": "vms", "count": "[parameters('count')]"},
         "dependsOn": ["[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', variables('idName'))]"],
         "resources": [
           {"type": "extensions", "apiVersion": "2024-07-01", "name": "mi", "dependsOn": ["[concat('vm', copyIndex(1))]"]}
         ]},
        {"type": "Microsoft.Resources/tags", "apiVersion": "2021-04-01", "name": "default",
         "condition": false},
        {"type": "Microsoft.Storage/storageAccounts", "apiVersion": "2023-01-01", "name": "last", "dependsOn": ["vms", "default"]}
      ],
      "outputs": {
        "principalId": {"type": "string", "value": "[reference(variables('idName')).principalId]"}
      }
    }"#;

    #[test]
    fn a_template_plans_in_dependency_order_with_loops_children_and_conditions() {
        let template: Value = serde_json::from_str(IDENTITY_TEMPLATE).unwrap();
        let ctx = ctx();
        let scope = bind_parameters(&template, &Map::new(), &ctx).unwrap();
        let plan = plan(&template, &scope).unwrap();
        let names: Vec<&str> = plan.iter().map(|p| p.name.as_str()).collect();
        // The identity first: the role assignment references it by name, the VMs depend on it.
        assert_eq!(names[0], "app-id", "{names:?}");
        assert!(
            names.iter().position(|n| *n == "vm1").unwrap()
                < names.iter().position(|n| *n == "vm1/mi").unwrap()
        );
        assert_eq!(names.last(), Some(&"last"), "{names:?}");
        assert_eq!(plan.len(), 8, "{names:?}");
        let ext = plan.iter().find(|p| p.name == "vm2/mi").unwrap();
        assert_eq!(
            ext.resource_type,
            "Microsoft.Compute/virtualMachines/extensions"
        );
        assert_eq!(ext.id, "/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/vm2/extensions/mi");
        let tags = plan.iter().find(|p| p.name == "default").unwrap();
        assert!(!tags.condition);
        let last = plan.last().unwrap();
        assert_eq!(
            last.depends_on.len(),
            2,
            "both VMs, not the condition-false resource"
        );
        let identity = &plan[0];
        assert_eq!(
            evaluate(&identity.raw["tags"], &scope, "t").unwrap(),
            json!({"owner": "app-id"})
        );
        assert_eq!(
            evaluate(&identity.raw["location"], &scope, "t").unwrap(),
            json!("westeurope")
        );
        // Property names are expressions too; one that is not a string is refused.
        assert_eq!(
            evaluate(&json!({"[concat('a', 'b')]": {}, "[[x]": 1}), &scope, "t").unwrap(),
            json!({"ab": {}, "[x]": 1})
        );
        let err = evaluate(&json!({"[length('ab')]": 1}), &scope, "t").unwrap_err();
        assert!(err.to_string().contains("not a string"), "{err}");

        let resolver =
            |id: &str, _: Option<&str>, _: bool| Ok(json!({"principalId": format!("p-{id}")}));
        let deployed = scope.resolving_with(&resolver);
        let out = outputs(&template, &deployed).unwrap();
        assert_eq!(
            out["principalId"],
            json!({"type": "string", "value": "p-app-id"})
        );
    }

    #[test]
    fn parameters_are_checked_as_arm_checks_them() {
        let template: Value = serde_json::from_str(IDENTITY_TEMPLATE).unwrap();
        let ctx = ctx();
        let bind =
            |given: Value| bind_parameters(&template, given.as_object().unwrap(), &ctx).map(|_| ());
        let cases = [
            (
                json!({"nope": {"value": 1}}),
                "'nope' in the parameters file are not valid",
            ),
            (
                json!({"count": {"value": "2"}}),
                "Expected a value of type 'Integer', but received a value of type 'String'",
            ),
            (
                json!({"count": {"value": 9}}),
                "Maximum value allowed is '5'",
            ),
            (
                json!({"location": {"value": "mars"}}),
                "not part of the allowed value(s): 'westeurope,eastus'",
            ),
            (
                json!({"prefix": {"value": "a-very-long-prefix"}}),
                "at most '10'",
            ),
        ];
        for (given, want) in cases {
            let e = bind(given.clone()).unwrap_err();
            assert!(e.message.contains(want), "{given}: {e}");
        }
        let required: Value = json!({"parameters": {"x": {"type": "string"}}});
        let e = bind_parameters(&required, &Map::new(), &ctx)
            .map(|_| ())
            .unwrap_err();
        assert!(e.message.contains("'x' is not provided"), "{e}");
        assert_eq!(e.target, "parameters.x");
    }

    #[test]
    fn cycles_unknown_dependencies_and_self_referring_variables_are_refused() {
        let ctx = ctx();
        let cyclic = json!({"resources": [
            {"type": "A.B/c", "apiVersion": "1", "name": "x", "dependsOn": ["y"]},
            {"type": "A.B/c", "apiVersion": "1", "name": "y", "dependsOn": ["x"]}]});
        let scope = bind_parameters(&cyclic, &Map::new(), &ctx).unwrap();
        assert!(plan(&cyclic, &scope)
            .unwrap_err()
            .message
            .contains("Circular dependency"));
        let unknown = json!({"resources": [{"type": "A.B/c", "apiVersion": "1", "name": "x", "dependsOn": ["ghost"]}]});
        let scope = bind_parameters(&unknown, &Map::new(), &ctx).unwrap();
        let e = plan(&unknown, &scope).unwrap_err();
        assert_eq!(e.target, "resources[0].dependsOn[0]");
        let selfish = json!({"variables": {"a": "[variables('b')]", "b": "[variables('a')]"},
                             "resources": [{"type": "A.B/c", "apiVersion": "1", "name": "[variables('a')]"}]});
        let scope = bind_parameters(&selfish, &Map::new(), &ctx).unwrap();
        assert!(plan(&selfish, &scope)
            .unwrap_err()
            .message
            .contains("refers to itself"));
        let too_many = json!({"resources": [{"type": "A.B/c", "apiVersion": "1", "name": "[string(copyIndex())]", "copy": {"name": "l", "count": 801}}]});
        let scope = bind_parameters(&too_many, &Map::new(), &ctx).unwrap();
        assert!(plan(&too_many, &scope)
            .unwrap_err()
            .message
            .contains("0 to 800"));
    }

    #[test]
    fn a_role_assignment_with_a_scope_is_an_extension_of_that_resource() {
        let ctx = ctx();
        let t = json!({"resources": [{"type": "Microsoft.Authorization/roleAssignments", "apiVersion": "2022-04-01",
            "name": "[guid('x')]", "scope": "[resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id1')]"}]});
        let scope = bind_parameters(&t, &Map::new(), &ctx).unwrap();
        let p = plan(&t, &scope).unwrap();
        assert_eq!(p[0].id, format!("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1/providers/Microsoft.Authorization/roleAssignments/{}", super::super::hash::guid(&["x"])));
    }
}
