//! Policy rules as pure functions. Each returns its amount with an [`Explanation`].
//!
//! Hot paths (the monthly batch over millions of persons) resolve the parameters of a period
//! once into a "terms" value (e.g. [`contribution::ContributionTerms`]) and then apply it with
//! plain integer arithmetic; the explanation of any single result can be rebuilt on demand.

pub mod account;
pub mod arrears;
pub mod backpay;
pub mod benefit;
pub mod contribution;
pub mod governance;
pub mod late_fee;
pub mod pension;
pub mod projection;
pub mod retirement;
pub mod transfer;

use crate::policy::PolicyError;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleError {
    Policy(String),
    Input { field: &'static str, reason: String },
    Overflow(&'static str),
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::Policy(e) => write!(f, "policy: {e}"),
            RuleError::Input { field, reason } => write!(f, "{field}: {reason}"),
            RuleError::Overflow(what) => write!(f, "{what}: amount out of range"),
        }
    }
}
impl std::error::Error for RuleError {}

impl From<PolicyError> for RuleError {
    fn from(e: PolicyError) -> RuleError {
        RuleError::Policy(e.0)
    }
}

pub(crate) fn input(field: &'static str, reason: impl Into<String>) -> RuleError {
    RuleError::Input {
        field,
        reason: reason.into(),
    }
}
