//! Template expressions (`"[concat('a', parameters('b'))]"`): a tokenizer and a
//! recursive-descent parser with a depth limit, giving an AST or an error naming the position.
//! Written by hand: the language is ARM's own and small (calls, literals, property access and
//! indexing), and no crate parses it.

/// The longest expression ARM accepts.
pub const MAX_EXPRESSION_LEN: usize = 24_576;
/// The deepest nesting of calls and indexes accepted (ARM's own is not published; real
/// templates nest a handful deep).
pub const MAX_DEPTH: usize = 64;

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    String(String),
    Int(i64),
    /// A function call; names compare ignoring case.
    Call {
        name: String,
        args: Vec<Expr>,
        at: usize,
    },
    /// `x.name`
    Property(Box<Expr>, String),
    /// `x[i]` or `x['name']`
    Index(Box<Expr>, Box<Expr>),
}

/// A template string, once its brackets are read.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateString {
    Literal(String),
    Expression(Expr),
}

/// Why an expression does not parse: what, and where (0-based, in the expression's text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub position: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at position {})", self.message, self.position)
    }
}

/// Reads a JSON string of a template: `[...]` is an expression, `[[...` a literal with one
/// bracket removed, anything else a literal.
pub fn template_string(text: &str) -> Result<TemplateString, ParseError> {
    let trimmed = text.trim();
    if let Some(rest) = trimmed.strip_prefix("[[") {
        return Ok(TemplateString::Literal(format!("[{rest}")));
    }
    match trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        Some(inner) => parse(inner).map(TemplateString::Expression),
        None => Ok(TemplateString::Literal(text.to_string())),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    String(String),
    Int(i64),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    End,
}

fn describe(t: &Token) -> String {
    match t {
        Token::Ident(i) => format!("identifier '{i}'"),
        Token::String(s) => format!("string '{s}'"),
        Token::Int(n) => format!("number {n}"),
        Token::LParen => "'('".into(),
        Token::RParen => "')'".into(),
        Token::LBracket => "'['".into(),
        Token::RBracket => "']'".into(),
        Token::Comma => "','".into(),
        Token::Dot => "'.'".into(),
        Token::End => "the end of the expression".into(),
    }
}

fn tokens(text: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let bad = |position: usize, message: String| ParseError { position, message };
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' | ')' | '[' | ']' | ',' | '.' => {
                out.push((
                    match c {
                        '(' => Token::LParen,
                        ')' => Token::RParen,
                        '[' => Token::LBracket,
                        ']' => Token::RBracket,
                        ',' => Token::Comma,
                        _ => Token::Dot,
                    },
                    at,
                ));
                i += 1;
            }
            '\'' => {
                // Single quotes; '' is one quote.
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(bad(at, "a string is not closed with '".into())),
                        Some((_, '\'')) if chars.get(i + 1).map(|c| c.1) == Some('\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some((_, '\'')) => {
                            i += 1;
                            break;
                        }
                        Some((_, c)) => {
                            s.push(*c);
                            i += 1;
                        }
                    }
                }
                out.push((Token::String(s), at));
            }
            c if c.is_ascii_digit() || c == '-' => {
                let start = i;
                i += 1;
                while chars.get(i).is_some_and(|c| c.1.is_ascii_digit()) {
                    i += 1;
                }
                let end = chars.get(i).map_or(text.len(), |c| c.0);
                let n = text[at..end].parse().map_err(|_| {
                    bad(
                        chars[start].0,
                        format!("'{}' is not a number", &text[at..end]),
                    )
                })?;
                out.push((Token::Int(n), at));
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut end = i;
                while chars
                    .get(end)
                    .is_some_and(|c| c.1.is_alphanumeric() || c.1 == '_')
                {
                    end += 1;
                }
                let stop = chars.get(end).map_or(text.len(), |c| c.0);
                out.push((Token::Ident(text[at..stop].to_string()), at));
                i = end;
            }
            other => return Err(bad(at, format!("the character '{other}' is not expected"))),
        }
    }
    out.push((Token::End, text.len()));
    Ok(out)
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> &(Token, usize) {
        &self.tokens[self.at.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> (Token, usize) {
        let t = self.peek().clone();
        self.at += 1;
        t
    }

    fn expect(&mut self, want: Token) -> Result<(), ParseError> {
        let (t, at) = self.next();
        if t == want {
            Ok(())
        } else {
            Err(ParseError {
                position: at,
                message: format!("expected {} but found {}", describe(&want), describe(&t)),
            })
        }
    }

    fn expr(&mut self, depth: usize) -> Result<Expr, ParseError> {
        let (t, at) = self.next();
        if depth > MAX_DEPTH {
            return Err(ParseError {
                position: at,
                message: format!("the expression nests deeper than {MAX_DEPTH} levels"),
            });
        }
        let mut e = match t {
            Token::String(s) => Expr::String(s),
            Token::Int(n) => Expr::Int(n),
            // `true`, `false` and `null` also stand alone, as they do in ARM's templates.
            Token::Ident(name)
                if self.peek().0 != Token::LParen
                    && ["true", "false", "null"].contains(&name.to_ascii_lowercase().as_str()) =>
            {
                Expr::Call {
                    name,
                    args: Vec::new(),
                    at,
                }
            }
            Token::Ident(name) => {
                self.expect(Token::LParen)?;
                let mut args = Vec::new();
                if self.peek().0 != Token::RParen {
                    loop {
                        args.push(self.expr(depth + 1)?);
                        if self.peek().0 == Token::Comma {
                            self.next();
                        } else {
                            break;
                        }
                    }
                }
                self.expect(Token::RParen)?;
                Expr::Call { name, args, at }
            }
            other => {
                return Err(ParseError {
                    position: at,
                    message: format!(
                        "expected a function call, a string or a number but found {}",
                        describe(&other)
                    ),
                })
            }
        };
        loop {
            match self.peek().0 {
                Token::Dot => {
                    self.next();
                    match self.next() {
                        (Token::Ident(p), _) => e = Expr::Property(Box::new(e), p),
                        (other, at) => {
                            return Err(ParseError {
                                position: at,
                                message: format!(
                                    "expected a property name after '.' but found {}",
                                    describe(&other)
                                ),
                            })
                        }
                    }
                }
                Token::LBracket => {
                    self.next();
                    let index = self.expr(depth + 1)?;
                    self.expect(Token::RBracket)?;
                    e = Expr::Index(Box::new(e), Box::new(index));
                }
                _ => return Ok(e),
            }
        }
    }
}

/// Parses the text between a template string's brackets.
pub fn parse(text: &str) -> Result<Expr, ParseError> {
    if text.len() > MAX_EXPRESSION_LEN {
        return Err(ParseError {
            position: MAX_EXPRESSION_LEN,
            message: format!("an expression is at most {MAX_EXPRESSION_LEN} characters"),
        });
    }
    let mut p = Parser {
        tokens: tokens(text)?,
        at: 0,
    };
    let e = p.expr(0)?;
    match p.next() {
        (Token::End, _) => Ok(e),
        (t, at) => Err(ParseError {
            position: at,
            message: format!(
                "expected the end of the expression but found {}",
                describe(&t)
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, args: Vec<Expr>, at: usize) -> Expr {
        Expr::Call {
            name: name.into(),
            args,
            at,
        }
    }

    #[test]
    fn calls_literals_properties_and_indexes_parse() {
        let e = parse("reference(resourceId('Microsoft.ManagedIdentity/userAssignedIdentities', 'id'), '2023-01-31', 'Full').identity['principalId']").unwrap();
        let Expr::Index(inner, key) = e else {
            panic!("{e:?}")
        };
        assert_eq!(*key, Expr::String("principalId".into()));
        assert!(matches!(*inner, Expr::Property(_, ref p) if p == "identity"));
        assert_eq!(
            parse("concat('it''s', -1)").unwrap(),
            call(
                "concat",
                vec![Expr::String("it's".into()), Expr::Int(-1)],
                0
            )
        );
        assert_eq!(
            parse(" createArray( ) [0]").unwrap(),
            Expr::Index(
                Box::new(call("createArray", vec![], 1)),
                Box::new(Expr::Int(0))
            )
        );
    }

    #[test]
    fn template_strings_are_expressions_escaped_literals_or_literals() {
        assert_eq!(
            template_string("[[not an expression]").unwrap(),
            TemplateString::Literal("[not an expression]".into())
        );
        assert_eq!(
            template_string("[test] value").unwrap(),
            TemplateString::Literal("[test] value".into())
        );
        assert!(matches!(
            template_string("[parameters('a')]").unwrap(),
            TemplateString::Expression(_)
        ));
    }

    #[test]
    fn bad_expressions_name_their_position() {
        let e = parse("concat('a',").unwrap_err();
        assert_eq!(e.position, 11, "{e}");
        let e = parse("concat('a'").unwrap_err();
        assert!(e.message.contains("expected ')'"), "{e}");
        let e = parse("concat('a) ").unwrap_err();
        assert!(e.message.contains("not closed"), "{e}");
        let e = parse("concat('a') extra").unwrap_err();
        assert_eq!(e.position, 12, "{e}");
        assert_eq!(parse("a # b").unwrap_err().position, 2);
        let deep = format!("{}1{}", "f(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).unwrap_err().message.contains("deeper"));
        assert!(parse(&"x".repeat(MAX_EXPRESSION_LEN + 1)).is_err());
    }
}
