//! The ARM template language, for template deployments (issue 16, in progress): expressions
//! (`expr`), their evaluation over JSON (`eval`), ARM's `uniqueString` and `guid` (`hash`),
//! a template document turned into an ordered plan of resources (`document`), and the
//! not-quite-JSON bodies az CLI sends (`lenient`).
//! Pure: a deployment supplies what an expression sees through `eval::Scope`.
pub mod document;
pub mod eval;
pub mod expr;
pub mod hash;
pub mod lenient;
