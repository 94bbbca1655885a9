//! The deployment bodies az CLI sends are not JSON: for a template file it appends
//! `, template:` and the file's text verbatim, so the body has one unquoted key and the
//! template's `//` and `/* */` comments (docs/wire-contract.md, "Template functions").
//! This reads exactly those two liberties and nothing more: a general JSON5 parser would also
//! accept trailing commas and single quotes, which ARM refuses, and so hide a user's mistake.
//! It rewrites the text (comments dropped, bare keys quoted) and hands it to serde_json.
use serde_json::Value;

/// The largest body read.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// Parses a body that may hold comments and bare (identifier) object keys.
pub fn parse(text: &str) -> Result<Value, String> {
    if text.len() > MAX_BODY {
        return Err(format!("the body is over {MAX_BODY} bytes"));
    }
    let mut out = String::with_capacity(text.len() + 16);
    let bytes = text.as_bytes();
    let mut i = 0;
    // Whether the next token may be an object key: after `{`, or `,` inside an object.
    let mut key_next = false;
    let mut in_object: Vec<bool> = Vec::new();
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                out.push_str(&text[start..i]);
                key_next = false;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..]
                    .find("*/")
                    .ok_or("a /* comment is not closed")?;
                i += end + 4;
                out.push(' ');
            }
            b'{' | b'[' => {
                in_object.push(c == b'{');
                out.push(c as char);
                key_next = c == b'{';
                i += 1;
            }
            b'}' | b']' => {
                in_object.pop();
                out.push(c as char);
                key_next = false;
                i += 1;
            }
            b',' => {
                out.push(',');
                key_next = in_object.last() == Some(&true);
                i += 1;
            }
            c if key_next && (c.is_ascii_alphabetic() || c == b'_' || c == b'$') => {
                let start = i;
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'$')
                {
                    i += 1;
                }
                out.push('"');
                out.push_str(&text[start..i]);
                out.push('"');
                key_next = false;
            }
            c => {
                if !c.is_ascii_whitespace() {
                    key_next = false;
                }
                let len = text[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&text[i..i + len]);
                i += len;
            }
        }
    }
    serde_json::from_str(&out).map_err(|e| format!("the body is not valid JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_body_az_sends_for_a_template_file() {
        let body = "{\"properties\": {\"mode\": \"Incremental\", template:{\n  // a comment\n  \"resources\": [] /* and \"another\" */, \"x\": \"a // not a comment\"\n}}}";
        assert_eq!(
            parse(body).unwrap(),
            json!({"properties": {"mode": "Incremental", "template": {"resources": [], "x": "a // not a comment"}}})
        );
    }

    #[test]
    fn plain_json_is_unchanged_and_other_liberties_are_refused() {
        let v = json!({"a": [1, {"b": "é\"}"}, true, null], "c": true});
        assert_eq!(parse(&v.to_string()).unwrap(), v);
        assert!(parse("{\"a\": 1,}").is_err(), "a trailing comma");
        assert!(parse("{'a': 1}").is_err(), "single quotes");
        assert!(parse("{\"a\": 1 /* open")
            .unwrap_err()
            .contains("not closed"));
        assert!(parse("{\"a\": true}").unwrap()["a"].as_bool().unwrap());
    }
}
