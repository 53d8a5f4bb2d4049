use std::fmt;

/// A failed job: what went wrong, in one line. Nothing of the failed unit was written.
#[derive(Debug)]
pub struct EngineError(pub String);

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for EngineError {}

macro_rules! from_err {
    ($($t:ty),*) => {$(
        impl From<$t> for EngineError {
            fn from(e: $t) -> EngineError {
                EngineError(e.to_string())
            }
        }
    )*};
}
from_err!(
    tongchou_store::StoreError,
    tongchou_core::rules::RuleError,
    tongchou_core::policy::PolicyError,
    tongchou_ledger::flows::FlowError,
    tongchou_core::period::DateError
);

pub type Result<T> = std::result::Result<T, EngineError>;
