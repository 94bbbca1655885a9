//! The ARM template language, for template deployments (issue 16, in progress): expressions
//! (`expr`), their evaluation over JSON (`eval`), ARM's `uniqueString` and `guid` (`hash`),
//! and a template document turned into an ordered plan of resources (`document`).
//! Pure: a deployment supplies what an expression sees through `eval::Scope`.
pub mod document;
pub mod eval;
pub mod expr;
pub mod hash;
