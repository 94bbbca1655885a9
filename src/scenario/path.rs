//! Where a step looks in an answer: `identity.principalId`, `value[0].name`,
//! `identity.userAssignedIdentities["{{uami}}"].principalId`, or `header:Location`.
//! Hand-written because it is a dozen lines; JSON Pointer would make users escape every `/` of
//! the resource ids that key `userAssignedIdentities`.
use serde_json::Value;

const MAX_LEN: usize = 2048;
const MAX_SEGMENTS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Path {
    Header(String),
    Body(Vec<Seg>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

pub fn parse(text: &str) -> Result<Path, String> {
    if text.len() > MAX_LEN {
        return Err(format!("a path is at most {MAX_LEN} characters"));
    }
    if let Some(name) = text.strip_prefix("header:") {
        return Ok(Path::Header(name.trim().to_ascii_lowercase()));
    }
    let bad = |why: &str| {
        format!("'{text}' is not a path ({why}); write identity.principalId, value[0].id or map[\"key\"].field")
    };
    let mut segs = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if segs.len() == MAX_SEGMENTS {
            return Err(bad("too many parts"));
        }
        if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]").ok_or_else(|| bad("[\" without \"]"))?;
            segs.push(Seg::Key(after[..end].to_string()));
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or_else(|| bad("[ without ]"))?;
            let n = after[..end]
                .parse()
                .map_err(|_| bad("an index is a number"))?;
            segs.push(Seg::Index(n));
            rest = &after[end + 1..];
        } else {
            let key = rest.strip_prefix('.').unwrap_or(rest);
            if segs.is_empty() != (key.len() == rest.len()) {
                return Err(bad("parts are joined by dots"));
            }
            let end = key.find(['.', '[']).unwrap_or(key.len());
            if end == 0 {
                return Err(bad("an empty part"));
            }
            segs.push(Seg::Key(key[..end].to_string()));
            rest = &key[end..];
        }
    }
    if segs.is_empty() {
        return Err(bad("it is empty"));
    }
    Ok(Path::Body(segs))
}

/// The value at a body path; object keys match exactly, else ignoring case (ARM's keys are
/// case-insensitive where they are resource ids).
pub fn get<'a>(segs: &[Seg], body: &'a Value) -> Option<&'a Value> {
    segs.iter().try_fold(body, |v, seg| match seg {
        Seg::Index(i) => v.as_array()?.get(*i),
        Seg::Key(k) => {
            let o = v.as_object()?;
            o.get(k).or_else(|| {
                o.iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(k))
                    .map(|(_, v)| v)
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_reach_keys_indexes_quoted_keys_and_headers() {
        let body = json!({"value": [{"id": "/a/B"}], "m": {"/x/Y": {"p": 1}}});
        let at = |p: &str| match parse(p).unwrap() {
            Path::Body(s) => get(&s, &body).cloned(),
            Path::Header(_) => None,
        };
        assert_eq!(at("value[0].id"), Some(json!("/a/B")));
        assert_eq!(at("m[\"/x/y\"].p"), Some(json!(1)));
        assert_eq!(at("value[1]"), None);
        assert_eq!(
            parse("header:Location").unwrap(),
            Path::Header("location".into())
        );
        for bad in ["", "a..b", "a[x]", "a[\"k", ".a"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
