//! `{{name}}` in a step: the run's built-ins, what earlier steps captured, and `{{guid:label}}`,
//! a GUID fixed for the run and the label (role assignment names must be GUIDs).
use std::collections::BTreeMap;

/// The names a text uses, in order.
pub fn names(text: &str) -> impl Iterator<Item = String> + '_ {
    let mut rest = text;
    std::iter::from_fn(move || {
        let start = rest.find("{{")?;
        let end = rest[start..].find("}}")? + start;
        let name = rest[start + 2..end].trim().to_string();
        rest = &rest[end + 2..];
        Some(name)
    })
}

/// The variables of a run.
#[derive(Debug, Clone)]
pub struct Vars {
    run: uuid::Uuid,
    values: BTreeMap<String, String>,
}

impl Vars {
    pub fn new(run: uuid::Uuid) -> Self {
        Self {
            run,
            values: BTreeMap::new(),
        }
    }

    pub fn set(&mut self, name: &str, value: String) {
        self.values.insert(name.to_string(), value);
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The text with every variable filled in (the format checks made sure each is defined).
    pub fn fill(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let Some(end) = rest[start..].find("}}").map(|e| e + start) else {
                break;
            };
            out.push_str(&rest[..start]);
            let name = rest[start + 2..end].trim();
            match name.strip_prefix("guid:") {
                Some(label) => out
                    .push_str(&uuid::Uuid::new_v5(&self.run, label.trim().as_bytes()).to_string()),
                None => out.push_str(self.get(name).unwrap_or_default()),
            }
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// A JSON value with every string (and key) filled in.
    pub fn fill_json(&self, v: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) => Value::String(self.fill(s)),
            Value::Array(a) => Value::Array(a.iter().map(|v| self.fill_json(v)).collect()),
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, v)| (self.fill(k), self.fill_json(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_names_and_stable_guids() {
        let mut v = Vars::new(uuid::Uuid::nil());
        v.set("sub", "S".into());
        assert_eq!(
            v.fill("/subscriptions/{{sub}}/x{{ sub }}"),
            "/subscriptions/S/xS"
        );
        assert_eq!(v.fill("{{guid:a}}"), v.fill("{{guid:a}}"));
        assert_ne!(v.fill("{{guid:a}}"), v.fill("{{guid:b}}"));
        assert_eq!(
            names("a{{x}}b{{guid:y}}").collect::<Vec<_>>(),
            ["x", "guid:y"]
        );
    }
}
