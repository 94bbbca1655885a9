//! Resource tags with ARM's limits: at most 50 per resource, names up to 512 characters
//! without `<>%&\?/` or control characters, values up to 256 characters.
use std::collections::BTreeMap;

/// Why a set of tags was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum TagError {
    #[error("The number of tags on the resource ({0}) exceeds the limit of 50 tags per resource.")]
    TooMany(usize),
    #[error(
        "The tag names '{0}' have reserved characters '<,>,%,&,\\,?,/' or control characters."
    )]
    NameCharacters(String),
    #[error("The tag name '{0}' is empty or longer than 512 characters.")]
    NameLength(String),
    #[error("The value of tag '{0}' is longer than 256 characters.")]
    ValueLength(String),
}

/// A validated tag set, kept as a sorted map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags(BTreeMap<String, String>);

impl Tags {
    pub fn parse(raw: BTreeMap<String, String>) -> Result<Self, TagError> {
        if raw.len() > 50 {
            return Err(TagError::TooMany(raw.len()));
        }
        for (name, value) in &raw {
            if name.is_empty() || name.chars().count() > 512 {
                return Err(TagError::NameLength(name.clone()));
            }
            if name
                .chars()
                .any(|c| "<>%&\\?/".contains(c) || c.is_control())
            {
                return Err(TagError::NameCharacters(name.clone()));
            }
            if value.chars().count() > 256 {
                return Err(TagError::ValueLength(name.clone()));
            }
        }
        Ok(Self(raw))
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn tags_within_limits_are_accepted() {
        assert!(Tags::parse(tags(&[("env", "test"), ("owner", "")])).is_ok());
    }

    #[test]
    fn tags_outside_limits_are_refused() {
        assert!(matches!(
            Tags::parse(tags(&[("a/b", "x")])),
            Err(TagError::NameCharacters(_))
        ));
        assert!(matches!(
            Tags::parse(tags(&[("", "x")])),
            Err(TagError::NameLength(_))
        ));
        let long = "v".repeat(257);
        assert!(matches!(
            Tags::parse(tags(&[("k", &long)])),
            Err(TagError::ValueLength(_))
        ));
        let many: BTreeMap<String, String> =
            (0..51).map(|i| (format!("t{i}"), String::new())).collect();
        assert!(matches!(Tags::parse(many), Err(TagError::TooMany(51))));
    }
}
