//! The `$filter` of the generic resource list (arm-contract.md A.2.3): `eq`/`ne` on `name`,
//! `resourceType`, `resourceGroup` and `location`, `substringof('x', name|resourceGroup)`,
//! combined with `and`/`or` (`and` binds tighter) and parentheses. Anything else is refused
//! rather than ignored: a listing wider than asked for breaks the client that asked.

/// A field a filter can test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    ResourceType,
    ResourceGroup,
    Location,
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Eq(Field, String),
    Ne(Field, String),
    Substring(Field, String),
}

/// The filter could not be read; ARM answers `InvalidFilterInQueryString` quoting it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid $filter '{0}' specified in the query string.")]
pub struct FilterError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
}

fn tokenize(raw: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let mut chars = raw.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next()? {
                        // OData escapes a quote by doubling it.
                        '\'' if chars.peek() == Some(&'\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        '\'' => break,
                        other => text.push(other),
                    }
                }
                out.push(Token::Text(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Some(out)
}

fn field(word: &str) -> Option<Field> {
    match word.to_ascii_lowercase().as_str() {
        "name" => Some(Field::Name),
        "resourcetype" => Some(Field::ResourceType),
        "resourcegroup" => Some(Field::ResourceGroup),
        "location" => Some(Field::Location),
        _ => None,
    }
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    fn or(&mut self) -> Option<Filter> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.pos += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Some(left)
    }

    fn and(&mut self) -> Option<Filter> {
        let mut left = self.term()?;
        while self.keyword("and") {
            self.pos += 1;
            left = Filter::And(Box::new(left), Box::new(self.term()?));
        }
        Some(left)
    }

    fn term(&mut self) -> Option<Filter> {
        match self.next()? {
            Token::Open => {
                let inner = self.or()?;
                (self.next()? == Token::Close).then_some(inner)
            }
            Token::Word(w) if w.eq_ignore_ascii_case("substringof") => {
                let (Token::Open, Token::Text(needle), Token::Comma, Token::Word(f), Token::Close) = (
                    self.next()?,
                    self.next()?,
                    self.next()?,
                    self.next()?,
                    self.next()?,
                ) else {
                    return None;
                };
                match field(&f)? {
                    f @ (Field::Name | Field::ResourceGroup) => Some(Filter::Substring(f, needle)),
                    _ => None,
                }
            }
            Token::Word(w) => {
                let f = field(&w)?;
                let (Token::Word(op), Token::Text(value)) = (self.next()?, self.next()?) else {
                    return None;
                };
                match op.to_ascii_lowercase().as_str() {
                    "eq" => Some(Filter::Eq(f, value)),
                    "ne" => Some(Filter::Ne(f, value)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

impl Filter {
    /// Parses a `$filter` value.
    pub fn parse(raw: &str) -> Result<Self, FilterError> {
        let fail = || FilterError(raw.to_string());
        let tokens = tokenize(raw).ok_or_else(fail)?;
        let mut p = Parser { tokens, pos: 0 };
        let filter = p.or().ok_or_else(fail)?;
        (p.pos == p.tokens.len()).then_some(filter).ok_or_else(fail)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_az_cli_and_the_spec_send_parse() {
        assert_eq!(
            Filter::parse("name eq 'myvm'").unwrap(),
            Filter::Eq(Field::Name, "myvm".into())
        );
        assert_eq!(
            Filter::parse("resourceGroup eq 'rg' and resourceType eq 'Microsoft.Compute/virtualMachines' or substringof('we''b', name)").unwrap(),
            Filter::Or(
                Box::new(Filter::And(
                    Box::new(Filter::Eq(Field::ResourceGroup, "rg".into())),
                    Box::new(Filter::Eq(Field::ResourceType, "Microsoft.Compute/virtualMachines".into()))
                )),
                Box::new(Filter::Substring(Field::Name, "we'b".into()))
            )
        );
        assert!(Filter::parse("(location ne 'westus')").is_ok());
    }

    #[test]
    fn filters_mi_sim_cannot_honour_are_refused() {
        for bad in [
            "",
            "name eq",
            "name gt 'a'",
            "plan eq 'x'",
            "name eq 'a' and",
            "substringof('a', location)",
            "name eq 'unterminated",
            "(name eq 'a'",
        ] {
            assert!(Filter::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
