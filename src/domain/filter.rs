//! The `$filter` of the generic resource list (docs/wire-contract.md, "Generic resource list"): `eq`/`ne` on `name`,
//! `resourceType`, `resourceGroup` and `location`, `substringof('x', name|resourceGroup)`,
//! combined with `and`/`or` (`and` binds tighter) and parentheses. Anything else is refused
//! rather than ignored: a listing wider than asked for breaks the client that asked.
//!
//! The input is a stranger's: `and`/`or` chains are kept flat (a list, not a left-deep tree),
//! nesting is capped at [`MAX_DEPTH`] and conditions at [`MAX_CONDITIONS`], so neither the
//! parser's recursion nor the SQL built from it (SQLite refuses expression trees deeper than
//! 1000) can be driven past a bound.

/// Parentheses nested deeper than this are refused.
pub const MAX_DEPTH: usize = 32;
/// More comparisons than this in one filter are refused.
pub const MAX_CONDITIONS: usize = 200;

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
    /// Every one holds (`and`); at least two.
    And(Vec<Filter>),
    /// At least one holds (`or`); at least two.
    Or(Vec<Filter>),
    Eq(Field, String),
    Ne(Field, String),
    Substring(Field, String),
}

/// The filter could not be read; ARM answers `InvalidFilterInQueryString`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("Invalid $filter '{0}' specified in the query string.")]
    Invalid(String),
    #[error("The $filter nests parentheses deeper than {MAX_DEPTH} levels; flatten it.")]
    TooDeep,
    #[error("The $filter has more than {MAX_CONDITIONS} conditions; split the query into several requests.")]
    TooManyConditions,
}

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
    depth: usize,
    conditions: usize,
}

/// Why a parse stopped: a malformed filter, or one past a bound.
enum Stop {
    Malformed,
    Limit(FilterError),
}

type Parsed = Result<Filter, Stop>;

impl Parser {
    fn next(&mut self) -> Result<Token, Stop> {
        let t = self.tokens.get(self.pos).cloned().ok_or(Stop::Malformed);
        self.pos += 1;
        t
    }

    fn keyword(&self, k: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(k))
    }

    /// `operand (keyword operand)*`, as one flat list.
    fn chain(
        &mut self,
        k: &str,
        operand: fn(&mut Self) -> Parsed,
        join: fn(Vec<Filter>) -> Filter,
    ) -> Parsed {
        let mut items = vec![operand(self)?];
        while self.keyword(k) {
            self.pos += 1;
            items.push(operand(self)?);
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            join(items)
        })
    }

    fn or(&mut self) -> Parsed {
        self.chain("or", Self::and, Filter::Or)
    }

    fn and(&mut self) -> Parsed {
        self.chain("and", Self::term, Filter::And)
    }

    fn condition(&mut self, f: Filter) -> Parsed {
        self.conditions += 1;
        if self.conditions > MAX_CONDITIONS {
            return Err(Stop::Limit(FilterError::TooManyConditions));
        }
        Ok(f)
    }

    fn term(&mut self) -> Parsed {
        match self.next()? {
            Token::Open => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(Stop::Limit(FilterError::TooDeep));
                }
                let inner = self.or()?;
                self.depth -= 1;
                (self.next()? == Token::Close)
                    .then_some(inner)
                    .ok_or(Stop::Malformed)
            }
            Token::Word(w) if w.eq_ignore_ascii_case("substringof") => {
                let (Token::Open, Token::Text(needle), Token::Comma, Token::Word(f), Token::Close) = (
                    self.next()?,
                    self.next()?,
                    self.next()?,
                    self.next()?,
                    self.next()?,
                ) else {
                    return Err(Stop::Malformed);
                };
                match field(&f) {
                    Some(f @ (Field::Name | Field::ResourceGroup)) => {
                        self.condition(Filter::Substring(f, needle))
                    }
                    _ => Err(Stop::Malformed),
                }
            }
            Token::Word(w) => {
                let f = field(&w).ok_or(Stop::Malformed)?;
                let (Token::Word(op), Token::Text(value)) = (self.next()?, self.next()?) else {
                    return Err(Stop::Malformed);
                };
                match op.to_ascii_lowercase().as_str() {
                    "eq" => self.condition(Filter::Eq(f, value)),
                    "ne" => self.condition(Filter::Ne(f, value)),
                    _ => Err(Stop::Malformed),
                }
            }
            _ => Err(Stop::Malformed),
        }
    }
}

impl Filter {
    /// Parses a `$filter` value.
    pub fn parse(raw: &str) -> Result<Self, FilterError> {
        let stop = |s: Stop| match s {
            Stop::Malformed => FilterError::Invalid(raw.to_string()),
            Stop::Limit(e) => e,
        };
        let tokens = tokenize(raw).ok_or_else(|| FilterError::Invalid(raw.to_string()))?;
        let mut p = Parser {
            tokens,
            pos: 0,
            depth: 0,
            conditions: 0,
        };
        let filter = p.or().map_err(stop)?;
        (p.pos == p.tokens.len())
            .then_some(filter)
            .ok_or_else(|| FilterError::Invalid(raw.to_string()))
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
            Filter::Or(vec![
                Filter::And(vec![
                    Filter::Eq(Field::ResourceGroup, "rg".into()),
                    Filter::Eq(Field::ResourceType, "Microsoft.Compute/virtualMachines".into())
                ]),
                Filter::Substring(Field::Name, "we'b".into())
            ])
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

    #[test]
    fn deep_nesting_and_long_chains_stop_at_their_bounds() {
        let deep = |n: usize| format!("{}name eq 'a'{}", "(".repeat(n), ")".repeat(n));
        assert!(Filter::parse(&deep(MAX_DEPTH)).is_ok());
        assert_eq!(
            Filter::parse(&deep(MAX_DEPTH + 1)),
            Err(FilterError::TooDeep)
        );
        // 5,000 open parentheses once overflowed the parser's stack.
        assert_eq!(Filter::parse(&"(".repeat(5000)), Err(FilterError::TooDeep));
        let chain = |n: usize| vec!["name eq 'a'"; n].join(" or ");
        match Filter::parse(&chain(MAX_CONDITIONS)).unwrap() {
            Filter::Or(items) => assert_eq!(items.len(), MAX_CONDITIONS),
            other => panic!("not flat: {other:?}"),
        }
        assert_eq!(
            Filter::parse(&chain(MAX_CONDITIONS + 1)),
            Err(FilterError::TooManyConditions)
        );
    }
}
