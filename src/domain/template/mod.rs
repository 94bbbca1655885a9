//! The ARM template language, for template deployments (issue 16, in progress): expressions
//! (`expr`), their evaluation over JSON (`eval`), and ARM's `uniqueString` and `guid` (`hash`).
//! Pure: a deployment supplies what an expression sees through `eval::Scope`.
pub mod eval;
pub mod expr;
pub mod hash;
