//! Evaluating template expressions over JSON values. The deployment supplies what an
//! expression can see (`Scope`: parameters, variables, the group, the subscription,
//! `reference()`); the functions themselves are pure and follow ARM's documented behaviour.
use super::expr::Expr;
use super::hash;
use serde_json::{json, Map, Value};

/// Why an expression could not be evaluated: what, and where in its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub position: usize,
    pub message: String,
}

impl std::fmt::Display for EvalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at position {})", self.message, self.position)
    }
}

/// What an expression can see of its deployment.
pub trait Scope {
    fn parameter(&self, name: &str) -> Option<Value>;
    fn variable(&self, name: &str) -> Result<Value, String>;
    fn resource_group(&self) -> Value;
    fn subscription(&self) -> Value;
    fn tenant(&self) -> Value;
    fn deployment(&self) -> Value;
    /// The index of the current copy loop (named, or the innermost).
    fn copy_index(&self, loop_name: Option<&str>) -> Option<i64>;
    /// The resource's `properties`, or with `full` the whole document.
    fn reference(
        &self,
        id_or_name: &str,
        api_version: Option<&str>,
        full: bool,
    ) -> Result<Value, String>;
    /// The simulator's clock, for `utcNow`.
    fn now(&self) -> chrono::DateTime<chrono::Utc>;
}

/// Evaluates an expression.
pub fn eval(e: &Expr, scope: &dyn Scope) -> Result<Value, EvalError> {
    match e {
        Expr::String(s) => Ok(Value::String(s.clone())),
        Expr::Int(n) => Ok(json!(n)),
        Expr::Property(inner, name) => {
            let v = eval(inner, scope)?;
            member(&v, name).ok_or_else(|| EvalError {
                position: position(inner),
                message: format!("the language expression property '{name}' doesn't exist, available properties are '{}'", keys(&v)),
            })
        }
        Expr::Index(inner, index) => {
            let v = eval(inner, scope)?;
            let i = eval(index, scope)?;
            let at = position(index);
            match (&v, &i) {
                (Value::Array(a), Value::Number(n)) => n
                    .as_u64()
                    .and_then(|n| a.get(n as usize))
                    .cloned()
                    .ok_or_else(|| err(at, format!("the index {n} is out of range: the array has {} elements", a.len()))),
                (Value::Object(_), Value::String(k)) => member(&v, k).ok_or_else(|| {
                    err(at, format!("the language expression property '{k}' doesn't exist, available properties are '{}'", keys(&v)))
                }),
                _ => Err(err(at, format!("cannot index {} with {}", kind(&v), kind(&i)))),
            }
        }
        Expr::Call { name, args, at } => call(name, args, *at, scope),
    }
}

fn err(position: usize, message: String) -> EvalError {
    EvalError { position, message }
}

fn position(e: &Expr) -> usize {
    match e {
        Expr::Call { at, .. } => *at,
        Expr::Property(inner, _) | Expr::Index(inner, _) => position(inner),
        _ => 0,
    }
}

/// Object members match ignoring case, as ARM's property access does.
fn member(v: &Value, name: &str) -> Option<Value> {
    let o = v.as_object()?;
    o.get(name)
        .or_else(|| {
            o.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
        .cloned()
}

fn keys(v: &Value) -> String {
    v.as_object()
        .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// ARM's `string()` of a value: booleans as `True`/`False`, objects and arrays as compact JSON.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// `union` of objects: later values win, nested objects merge.
fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        match (into.get_mut(k), v) {
            (Some(Value::Object(a)), Value::Object(b)) => merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// `format()`: .NET composite formatting, `{0}`, `{1:N0}` and `{{`/`}}`.
fn dotnet_format(pattern: &str, args: &[Value], at: usize) -> Result<String, EvalError> {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let spec: String = chars.by_ref().take_while(|c| *c != '}').collect();
                let (index, fmt) = spec.split_once(':').unwrap_or((&spec, ""));
                let value = index
                    .trim()
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| args.get(i))
                    .ok_or_else(|| err(at, format!("format: '{{{spec}}}' names no argument")))?;
                match (fmt.strip_prefix(['N', 'n']), value.as_i64()) {
                    (Some(_), Some(n)) => out.push_str(&thousands(n)),
                    (None, _) if fmt.is_empty() => out.push_str(&text(value)),
                    _ => {
                        return Err(err(
                            at,
                            format!(
                            "format: the format '{fmt}' is not supported; use {{n}} or {{n:N0}}"
                        ),
                        ))
                    }
                }
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

/// `utcNow(format)`: .NET custom date format, `yyyyMMddTHHmmssZ` by default.
fn utc_now(now: chrono::DateTime<chrono::Utc>, format: &str) -> String {
    let mut out = String::new();
    let mut rest = format;
    let tokens = [
        ("yyyy", "%Y"),
        ("MM", "%m"),
        ("dd", "%d"),
        ("HH", "%H"),
        ("mm", "%M"),
        ("ss", "%S"),
        ("u", "%Y-%m-%d %H:%M:%SZ"),
        ("d", "%-m/%-d/%Y"),
    ];
    'outer: while let Some(c) = rest.chars().next() {
        for (t, f) in tokens {
            if rest.starts_with(t) && (t.len() > 1 || format.len() == 1) {
                out.push_str(&now.format(f).to_string());
                rest = &rest[t.len()..];
                continue 'outer;
            }
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// The `ns/type` and names of resourceId-style functions into `providers/ns/t1/n1/t2/n2`.
fn provider_path(resource_type: &str, names: &[String], at: usize) -> Result<String, EvalError> {
    let mut segs = resource_type.split('/');
    let ns = segs.next().unwrap_or_default();
    let types: Vec<&str> = segs.collect();
    if ns.is_empty() || types.is_empty() || types.len() != names.len() {
        return Err(err(
            at,
            format!(
                "the resource type '{resource_type}' has {} type segments but {} names were given",
                types.len(),
                names.len()
            ),
        ));
    }
    let mut path = format!("providers/{ns}");
    for (t, n) in types.iter().zip(names) {
        path.push_str(&format!("/{t}/{n}"));
    }
    Ok(path)
}

fn call(name: &str, args: &[Expr], at: usize, scope: &dyn Scope) -> Result<Value, EvalError> {
    let lower = name.to_ascii_lowercase();
    // `if` evaluates only the branch it takes.
    if lower == "if" {
        if args.len() != 3 {
            return Err(err(
                at,
                "if takes 3 arguments: a condition, the value if true, the value if false".into(),
            ));
        }
        return match eval(&args[0], scope)? {
            Value::Bool(true) => eval(&args[1], scope),
            Value::Bool(false) => eval(&args[2], scope),
            other => Err(err(
                at,
                format!("if: the condition is {}, not a boolean", kind(&other)),
            )),
        };
    }
    let values: Vec<Value> = args
        .iter()
        .map(|a| eval(a, scope))
        .collect::<Result<_, _>>()?;
    let count = |min: usize, max: usize| {
        if values.len() < min || values.len() > max {
            let want = if min == max {
                min.to_string()
            } else if max == usize::MAX {
                format!("at least {min}")
            } else {
                format!("{min} to {max}")
            };
            Err(err(
                at,
                format!(
                    "the template function '{name}' takes {want} arguments; it was given {}",
                    values.len()
                ),
            ))
        } else {
            Ok(())
        }
    };
    let string = |i: usize| -> Result<String, EvalError> {
        values[i].as_str().map(str::to_string).ok_or_else(|| {
            err(
                at,
                format!(
                    "{name}: argument {} is {}, not a string",
                    i + 1,
                    kind(&values[i])
                ),
            )
        })
    };
    let int = |i: usize| -> Result<i64, EvalError> {
        values[i].as_i64().ok_or_else(|| {
            err(
                at,
                format!(
                    "{name}: argument {} is {}, not an integer",
                    i + 1,
                    kind(&values[i])
                ),
            )
        })
    };
    let boolean = |i: usize| -> Result<bool, EvalError> {
        values[i].as_bool().ok_or_else(|| {
            err(
                at,
                format!(
                    "{name}: argument {} is {}, not a boolean",
                    i + 1,
                    kind(&values[i])
                ),
            )
        })
    };
    let strings = |from: usize| -> Result<Vec<String>, EvalError> {
        (from..values.len()).map(string).collect()
    };
    match lower.as_str() {
        "parameters" => {
            count(1, 1)?;
            let n = string(0)?;
            scope
                .parameter(&n)
                .ok_or_else(|| err(at, format!("the template parameter '{n}' is not found")))
        }
        "variables" => {
            count(1, 1)?;
            let n = string(0)?;
            scope.variable(&n).map_err(|m| err(at, m))
        }
        "concat" => {
            count(1, usize::MAX)?;
            if values.iter().all(Value::is_array) {
                Ok(Value::Array(
                    values
                        .into_iter()
                        .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                        .collect(),
                ))
            } else {
                Ok(Value::String(values.iter().map(text).collect()))
            }
        }
        "format" => {
            count(1, usize::MAX)?;
            dotnet_format(&string(0)?, &values[1..], at).map(Value::String)
        }
        "string" => {
            count(1, 1)?;
            Ok(Value::String(text(&values[0])))
        }
        "int" => {
            count(1, 1)?;
            match &values[0] {
                Value::Number(n) if n.is_i64() => Ok(values[0].clone()),
                Value::String(s) => s
                    .trim()
                    .parse::<i64>()
                    .map(|n| json!(n))
                    .map_err(|_| err(at, format!("int: '{s}' is not an integer"))),
                other => Err(err(at, format!("int: {} cannot be converted", kind(other)))),
            }
        }
        "bool" => {
            count(1, 1)?;
            match &values[0] {
                Value::Bool(b) => Ok(json!(b)),
                Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(json!(true)),
                Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(json!(false)),
                Value::Number(n) => Ok(json!(n.as_i64() != Some(0))),
                other => Err(err(
                    at,
                    format!("bool: {} cannot be converted", kind(other)),
                )),
            }
        }
        "true" | "false" | "null" => {
            count(0, 0)?;
            Ok(match lower.as_str() {
                "true" => json!(true),
                "false" => json!(false),
                _ => Value::Null,
            })
        }
        "equals" => {
            count(2, 2)?;
            Ok(json!(values[0] == values[1]))
        }
        "not" => {
            count(1, 1)?;
            Ok(json!(!boolean(0)?))
        }
        "and" | "or" => {
            count(2, usize::MAX)?;
            let all: Vec<bool> = (0..values.len()).map(boolean).collect::<Result<_, _>>()?;
            Ok(json!(if lower == "and" {
                all.iter().all(|b| *b)
            } else {
                all.iter().any(|b| *b)
            }))
        }
        "empty" => {
            count(1, 1)?;
            Ok(json!(empty(&values[0])))
        }
        "length" => {
            count(1, 1)?;
            match &values[0] {
                Value::String(s) => Ok(json!(s.chars().count())),
                Value::Array(a) => Ok(json!(a.len())),
                Value::Object(o) => Ok(json!(o.len())),
                other => Err(err(at, format!("length: {} has no length", kind(other)))),
            }
        }
        "contains" => {
            count(2, 2)?;
            match (&values[0], &values[1]) {
                (Value::String(s), v) => Ok(json!(s.contains(&text(v)))),
                (Value::Array(a), v) => Ok(json!(a.contains(v))),
                (Value::Object(_), Value::String(k)) => Ok(json!(member(&values[0], k).is_some())),
                (c, _) => Err(err(
                    at,
                    format!("contains: {} cannot contain anything", kind(c)),
                )),
            }
        }
        "union" => {
            count(1, usize::MAX)?;
            if values.iter().all(Value::is_object) {
                let mut out = Map::new();
                for v in &values {
                    merge(&mut out, v.as_object().expect("an object"));
                }
                Ok(Value::Object(out))
            } else if values.iter().all(Value::is_array) {
                let mut out: Vec<Value> = Vec::new();
                for v in values
                    .iter()
                    .flat_map(|v| v.as_array().cloned().unwrap_or_default())
                {
                    if !out.contains(&v) {
                        out.push(v);
                    }
                }
                Ok(Value::Array(out))
            } else {
                Err(err(
                    at,
                    "union: the arguments must be all objects or all arrays".into(),
                ))
            }
        }
        "createobject" => {
            if !values.len().is_multiple_of(2) {
                return Err(err(
                    at,
                    "createObject takes pairs of a key and a value".into(),
                ));
            }
            let mut o = Map::new();
            for pair in values.chunks(2) {
                let k = pair[0]
                    .as_str()
                    .ok_or_else(|| err(at, "createObject: a key is not a string".into()))?;
                o.insert(k.to_string(), pair[1].clone());
            }
            Ok(Value::Object(o))
        }
        "createarray" => Ok(Value::Array(values)),
        "tolower" | "toupper" => {
            count(1, 1)?;
            let s = string(0)?;
            Ok(json!(if lower == "tolower" {
                s.to_lowercase()
            } else {
                s.to_uppercase()
            }))
        }
        "trim" => {
            count(1, 1)?;
            Ok(json!(string(0)?.trim()))
        }
        "split" => {
            count(2, 2)?;
            let s = string(0)?;
            let delimiters: Vec<String> = match &values[1] {
                Value::String(d) => vec![d.clone()],
                Value::Array(a) => a.iter().map(text).collect(),
                other => return Err(err(at, format!("split: the delimiter is {}", kind(other)))),
            };
            let mut parts = vec![s];
            for d in delimiters.iter().filter(|d| !d.is_empty()) {
                parts = parts
                    .iter()
                    .flat_map(|p| p.split(d.as_str()).map(str::to_string).collect::<Vec<_>>())
                    .collect();
            }
            Ok(json!(parts))
        }
        "replace" => {
            count(3, 3)?;
            Ok(json!(string(0)?.replace(&string(1)?, &string(2)?)))
        }
        "substring" => {
            count(2, 3)?;
            let s: Vec<char> = string(0)?.chars().collect();
            let start = int(1)?;
            let len = if values.len() == 3 {
                int(2)?
            } else {
                s.len() as i64 - start
            };
            if start < 0 || len < 0 || start + len > s.len() as i64 {
                return Err(err(at, format!("substring: the start index {start} and length {len} do not fit in a string of {} characters", s.len())));
            }
            Ok(json!(s[start as usize..(start + len) as usize]
                .iter()
                .collect::<String>()))
        }
        "uniquestring" => {
            count(1, usize::MAX)?;
            let parts = strings(0)?;
            Ok(json!(hash::unique_string(
                &parts.iter().map(String::as_str).collect::<Vec<_>>()
            )))
        }
        "guid" => {
            count(1, usize::MAX)?;
            let parts = strings(0)?;
            Ok(json!(hash::guid(
                &parts.iter().map(String::as_str).collect::<Vec<_>>()
            )))
        }
        "resourcegroup" => {
            count(0, 0)?;
            Ok(scope.resource_group())
        }
        "subscription" => {
            count(0, 0)?;
            Ok(scope.subscription())
        }
        "tenant" => {
            count(0, 0)?;
            Ok(scope.tenant())
        }
        "deployment" => {
            count(0, 0)?;
            Ok(scope.deployment())
        }
        "copyindex" => {
            count(0, 2)?;
            let (loop_name, offset) = match values.as_slice() {
                [] => (None, 0),
                [Value::String(n)] => (Some(n.clone()), 0),
                [Value::Number(_)] => (None, int(0)?),
                [Value::String(n), Value::Number(_)] => (Some(n.clone()), int(1)?),
                _ => {
                    return Err(err(
                        at,
                        "copyIndex takes an optional loop name and an optional offset".into(),
                    ))
                }
            };
            scope
                .copy_index(loop_name.as_deref())
                .map(|i| json!(i + offset))
                .ok_or_else(|| err(at, "copyIndex is used outside a copy loop".into()))
        }
        "resourceid" | "subscriptionresourceid" => {
            count(2, usize::MAX)?;
            let all = strings(0)?;
            let type_at = all.iter().position(|a| a.contains('/')).ok_or_else(|| {
                err(
                    at,
                    format!("{name}: no argument is a resource type (namespace/type)"),
                )
            })?;
            let (before, after) = all.split_at(type_at);
            let sub = scope.subscription();
            let here = sub["subscriptionId"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let path = provider_path(&after[0], &after[1..], at)?;
            if lower == "subscriptionresourceid" {
                let s = match before {
                    [] => here,
                    [s] => s.clone(),
                    _ => return Err(err(
                        at,
                        "subscriptionResourceId takes at most a subscription id before the type"
                            .into(),
                    )),
                };
                // Template functions format their arguments as ARM's do, unchecked (any
                // string may name a subscription), so this is not a `ResourceId`.
                return Ok(json!(format!("/subscriptions/{s}/{path}")));
            }
            let group = scope.resource_group();
            let rg = group["name"].as_str().unwrap_or_default().to_string();
            let (s, g) =
                match before {
                    [] => (here, rg),
                    [g] => (here, g.clone()),
                    [s, g] => (s.clone(), g.clone()),
                    _ => return Err(err(
                        at,
                        "resourceId takes at most a subscription id and a group before the type"
                            .into(),
                    )),
                };
            Ok(json!(format!(
                "/subscriptions/{s}/resourceGroups/{g}/{path}"
            )))
        }
        "extensionresourceid" => {
            count(3, usize::MAX)?;
            let all = strings(0)?;
            let path = provider_path(&all[1], &all[2..], at)?;
            Ok(json!(format!("{}/{path}", all[0].trim_end_matches('/'))))
        }
        "reference" => {
            count(1, 3)?;
            let target = string(0)?;
            let api = if values.len() > 1 {
                Some(string(1)?)
            } else {
                None
            };
            let full = values.len() == 3 && string(2)?.eq_ignore_ascii_case("full");
            scope
                .reference(&target, api.as_deref(), full)
                .map_err(|m| err(at, m))
        }
        "utcnow" => {
            count(0, 1)?;
            let f = if values.is_empty() {
                "yyyyMMddTHHmmssZ".to_string()
            } else {
                string(0)?
            };
            Ok(json!(utc_now(scope.now(), &f)))
        }
        _ => Err(err(
            at,
            format!("the template function '{name}' is not valid"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::expr::parse;
    use super::*;

    struct Fixed;

    impl Scope for Fixed {
        fn parameter(&self, name: &str) -> Option<Value> {
            name.eq_ignore_ascii_case("prefix").then(|| json!("app"))
        }
        fn variable(&self, name: &str) -> Result<Value, String> {
            match name {
                "sizes" => Ok(json!({"small": 1, "Big": {"a": 2}})),
                _ => Err(format!("the template variable '{name}' is not found")),
            }
        }
        fn resource_group(&self) -> Value {
            json!({"id": "/subscriptions/s1/resourceGroups/rg1", "name": "rg1", "location": "westeurope"})
        }
        fn subscription(&self) -> Value {
            json!({"id": "/subscriptions/s1", "subscriptionId": "s1", "tenantId": "t1"})
        }
        fn tenant(&self) -> Value {
            json!({"tenantId": "t1"})
        }
        fn deployment(&self) -> Value {
            json!({"name": "d1"})
        }
        fn copy_index(&self, _: Option<&str>) -> Option<i64> {
            Some(2)
        }
        fn reference(&self, id: &str, _: Option<&str>, full: bool) -> Result<Value, String> {
            let props = json!({"principalId": format!("p-of-{id}")});
            Ok(if full {
                json!({"properties": props, "identity": {"principalId": "sys"}})
            } else {
                props
            })
        }
        fn now(&self) -> chrono::DateTime<chrono::Utc> {
            chrono::DateTime::parse_from_rfc3339("2026-12-02T05:06:07Z")
                .unwrap()
                .into()
        }
    }

    fn run(text: &str) -> Result<Value, EvalError> {
        eval(
            &parse(text).map_err(|e| err(e.position, e.message))?,
            &Fixed,
        )
    }

    #[test]
    fn every_function_identity_templates_use_gives_arms_answer() {
        let cases = [
            ("concat(parameters('PREFIX'), '-', string(copyIndex(1)))", json!("app-3")),
            ("concat(createArray(1), createArray(2, 3))", json!([1, 2, 3])),
            ("format('{0}-{1:N0}', 'a', 8175133)", json!("a-8,175,133")),
            ("resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id1')", json!("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1")),
            ("resourceId('other', 'Microsoft.Compute/virtualMachines/extensions', 'vm', 'ext')", json!("/subscriptions/s1/resourceGroups/other/providers/Microsoft.Compute/virtualMachines/vm/extensions/ext")),
            ("subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'r1')", json!("/subscriptions/s1/providers/Microsoft.Authorization/roleDefinitions/r1")),
            ("extensionResourceId(resourceGroup().id, 'Microsoft.Authorization/roleAssignments', 'a1')", json!("/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.Authorization/roleAssignments/a1")),
            ("reference('id1').principalId", json!("p-of-id1")),
            ("reference('vm1', '2024-07-01', 'Full').identity.principalId", json!("sys")),
            ("guid('test')", json!("d6a5baf1-8b9b-542a-8525-2982f1f98a0c")),
            ("uniqueString(resourceGroup().id)", json!(hash::unique_string(&["/subscriptions/s1/resourceGroups/rg1"]))),
            ("toLower('AbC')", json!("abc")),
            ("toUpper('AbC')", json!("ABC")),
            ("string(true)", json!("True")),
            ("string(createObject('a', 1))", json!("{\"a\":1}")),
            ("int('42')", json!(42)),
            ("bool('TRUE')", json!(true)),
            ("if(equals(1, 2), 'yes', 'no')", json!("no")),
            ("not(and(true(), or(false(), true())))", json!(false)),
            ("empty('')", json!(true)),
            ("empty(createArray())", json!(true)),
            ("length('déjà')", json!(4)),
            ("union(createObject('a', 1, 'n', createObject('x', 1)), createObject('b', 2, 'n', createObject('y', 2)))", json!({"a": 1, "n": {"x": 1, "y": 2}, "b": 2})),
            ("union(createArray(1, 2), createArray(2, 3))", json!([1, 2, 3])),
            ("contains('abc', 'b')", json!(true)),
            ("contains('abc', 'B')", json!(false)),
            ("contains(variables('sizes'), 'BIG')", json!(true)),
            ("split('a,b;c', createArray(',', ';'))", json!(["a", "b", "c"])),
            ("replace('a-b-c', '-', '')", json!("abc")),
            ("substring('hello', 1, 3)", json!("ell")),
            ("trim('  x ')", json!("x")),
            ("variables('sizes').big.a", json!(2)),
            ("variables('sizes')['small']", json!(1)),
            ("createArray('a', 'b')[1]", json!("b")),
            ("utcNow()", json!("20261202T050607Z")),
            ("utcNow('yyyy-MM-dd')", json!("2026-12-02")),
            ("deployment().name", json!("d1")),
            ("tenant().tenantId", json!("t1")),
            ("if(true(), 'ok', parameters('missing'))", json!("ok")),
        ];
        for (text, want) in cases {
            assert_eq!(run(text), Ok(want), "{text}");
        }
    }

    #[test]
    fn errors_name_the_function_and_what_is_wrong() {
        let cases = [
            ("nope()", "'nope' is not valid"),
            ("parameters('missing')", "parameter 'missing' is not found"),
            ("substring('abc', 2, 5)", "do not fit"),
            ("toLower(1)", "not a string"),
            ("createArray(1)[3]", "out of range"),
            ("createObject('a', 1).b", "property 'b' doesn't exist"),
            (
                "resourceId('Microsoft.Compute/virtualMachines/extensions', 'vm')",
                "type segments",
            ),
            ("equals(1)", "takes 2 arguments"),
            ("if(1, 2, 3)", "not a boolean"),
            ("format('{3}', 1)", "names no argument"),
        ];
        for (text, want) in cases {
            let e = run(text).unwrap_err();
            assert!(e.message.contains(want), "{text}: {e}");
        }
        assert_eq!(run("concat('a', nope())").unwrap_err().position, 12);
    }
}
