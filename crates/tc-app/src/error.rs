//! Why a use case failed, by who can act on it: the user (bad input, a refused permission, a
//! state that does not allow it yet), nobody (not found), or the operator (the store).
//! Nothing of the failed unit was written.

/// A failed use case. The message is one line, for the person who asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is malformed or breaks a rule: the user can correct it.
    #[error("{0}")]
    Invalid(String),
    /// This user may not do this (role, region, maker–checker).
    #[error("{0}")]
    Forbidden(String),
    /// What was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The state does not allow it now (already done, not yet decided, closed).
    #[error("{0}")]
    State(String),
    /// Counties with payments to make have no paying account in force on the pay day (each with
    /// its name): nothing of the pay step was written. Set one (`agency_accounts::set`, `tongchou
    /// bank account set`) and run the month again.
    #[error("{}", no_paying_account(.counties, *.day))]
    NoPayingAccount {
        counties: Vec<(tongchou_core::RegionCode, String)>,
        day: tongchou_core::Date,
    },
    /// The store failed or refused; a conflict may be retried.
    #[error(transparent)]
    Store(#[from] tongchou_store::StoreError),
}

/// `140105 小店区、140106 迎泽区 没有配置付款账户 …`
fn no_paying_account(
    counties: &[(tongchou_core::RegionCode, String)],
    day: tongchou_core::Date,
) -> String {
    let names: Vec<String> = counties.iter().map(|(c, n)| format!("{c} {n}")).collect();
    tongchou_core::tr!(
        "app-no-paying-account",
        counties = names.join("、"),
        day = day
    )
}

impl AppError {
    /// Whether retrying the whole unit may succeed (a concurrent writer won).
    pub fn is_conflict(&self) -> bool {
        matches!(self, AppError::Store(e) if e.is_conflict())
    }
}

impl From<tongchou_store::access::AuthError> for AppError {
    fn from(e: tongchou_store::access::AuthError) -> AppError {
        use tongchou_store::access::AuthError as A;
        match e {
            A::Store(s) => AppError::Store(s),
            A::Denied(_) | A::BadCredentials | A::Locked { .. } => {
                AppError::Forbidden(e.to_string())
            }
            A::Invalid(m) => AppError::Invalid(m),
            A::NotFound(m) => AppError::NotFound(m),
            A::Conflict(m) => AppError::State(m),
        }
    }
}

macro_rules! invalid_from {
    ($($t:ty),*) => {$(
        impl From<$t> for AppError {
            fn from(e: $t) -> AppError {
                AppError::Invalid(e.to_string())
            }
        }
    )*};
}
invalid_from!(
    tongchou_core::rules::RuleError,
    tongchou_core::policy::PolicyError,
    tongchou_ledger::flows::FlowError,
    tongchou_core::period::DateError,
    tongchou_core::money::MoneyError
);

pub type Result<T> = std::result::Result<T, AppError>;

impl tongchou_store::audit::AsConflict for AppError {
    fn is_conflict(&self) -> bool {
        AppError::is_conflict(self)
    }
}
