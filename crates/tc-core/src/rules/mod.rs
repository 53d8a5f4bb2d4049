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

/// In the reader's language (`i18n::current`): the field by its name in the catalogue
/// (`rule-field-*`; the estimator's JSON fields name their key too), then the reason.
impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleError::Policy(e) => f.write_str(&crate::tr!("rule-err-policy", error = e)),
            RuleError::Input { field, reason } => f.write_str(&crate::tr!(
                "rule-err-input",
                field = field_name(field),
                reason = reason
            )),
            RuleError::Overflow(what) => {
                f.write_str(&crate::tr!("rule-err-overflow", what = field_name(what)))
            }
        }
    }
}

/// A rule's field or amount by its name in the reader's language (`rule-field-<name>`, spaces
/// and underscores as hyphens), else as the rule names it.
pub fn field_name(field: &str) -> String {
    let id = format!("rule-field-{}", field.replace([' ', '_'], "-"));
    crate::i18n::format(crate::i18n::current(), &id, &[])
        .or_else(|| crate::i18n::format(crate::i18n::Lang::ZhCn, &id, &[]))
        .unwrap_or_else(|| field.to_string())
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
