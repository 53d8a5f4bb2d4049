//! Access control as pure rules: roles, their permissions (least privilege, with the system,
//! security and audit administrators kept apart: 三权分立), a user's region scope, the
//! maker–checker rule, and display masking of personal data.
//!
//! Nothing here reads a database or a clock: storage (`tongchou-store::access`) loads a
//! [`Principal`] and asks [`can`] / [`check_approval`]; the web service masks what it returns with
//! [`Masking`].

use crate::region::{Divisions, Level, RegionCode};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A staff or public role. Each user has exactly one role (no shared accounts, no role mixing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Provincial social insurance bureau: handling, consolidation, submission of plans.
    ProvinceBureauOfficer,
    /// Provincial bureau: approves retirements and consolidated plans submitted by others.
    ProvinceBureauApprover,
    /// Finance department: prepares allocations from the fiscal special account.
    FinanceOfficer,
    /// Finance department: approves fund-use plans and releases allocations and bank files.
    FinanceApprover,
    /// A city's social insurance agency.
    CityAgency,
    /// A county's social insurance agency.
    CountyAgency,
    /// The tax bureau: collection results.
    TaxBureau,
    /// Fund supervision / audit office: reads business data (masked) and the audit log.
    Auditor,
    /// System administrator: accounts and configuration, no business data, no audit log.
    SystemAdmin,
    /// Security administrator: roles, unlocking, sessions; no business data, no audit log.
    SecurityAdmin,
    /// Audit administrator: reads and verifies the audit log; nothing else.
    AuditAdmin,
    /// An insured person: their own record only.
    InsuredPerson,
    /// The provincial government's approver of the fund budget (政府审批): approves the budget
    /// and its adjustments after the HRSS and finance reviews; nothing else.
    GovernmentApprover,
}

impl Role {
    pub const ALL: [Role; 13] = [
        Role::ProvinceBureauOfficer,
        Role::ProvinceBureauApprover,
        Role::FinanceOfficer,
        Role::FinanceApprover,
        Role::CityAgency,
        Role::CountyAgency,
        Role::TaxBureau,
        Role::Auditor,
        Role::SystemAdmin,
        Role::SecurityAdmin,
        Role::AuditAdmin,
        Role::InsuredPerson,
        Role::GovernmentApprover,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ProvinceBureauOfficer => "province_bureau_officer",
            Role::ProvinceBureauApprover => "province_bureau_approver",
            Role::FinanceOfficer => "finance_officer",
            Role::FinanceApprover => "finance_approver",
            Role::CityAgency => "city_agency",
            Role::CountyAgency => "county_agency",
            Role::TaxBureau => "tax_bureau",
            Role::Auditor => "auditor",
            Role::SystemAdmin => "system_admin",
            Role::SecurityAdmin => "security_admin",
            Role::AuditAdmin => "audit_admin",
            Role::InsuredPerson => "insured_person",
            Role::GovernmentApprover => "government_approver",
        }
    }

    /// The role's name in `lang`, from the message catalogue (`role-…`).
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        crate::i18n::text(lang, &format!("role-{}", self.as_str())).unwrap_or(self.as_str())
    }

    /// The role's name in Chinese, as pages show it (`省社保局经办`).
    pub fn label_zh(self) -> &'static str {
        self.label(crate::i18n::Lang::ZhCn)
    }

    /// One of the three administrators (三员: system, security, audit).
    pub fn is_administrator(self) -> bool {
        matches!(
            self,
            Role::SystemAdmin | Role::SecurityAdmin | Role::AuditAdmin
        )
    }

    /// The permissions of the role. Least privilege: a role has only what its work needs.
    pub fn permissions(self) -> &'static [Permission] {
        use Permission::*;
        match self {
            Role::ProvinceBureauOfficer => &[
                PersonRead,
                PersonReadFullId,
                PersonWrite,
                EmployerRead,
                ContributionRead,
                RetirementSubmit,
                BenefitRead,
                PlanSubmit,
                LedgerRead,
                ReportRead,
                PayingAccountWrite,
                BankReturnImport,
                PeriodClose,
                BudgetCompile,
                BudgetReview,
            ],
            Role::ProvinceBureauApprover => &[
                PersonRead,
                EmployerRead,
                ContributionRead,
                RetirementApprove,
                BenefitRead,
                PlanReview,
                LedgerRead,
                ReportRead,
                PeriodReopenApprove,
                BudgetHrssReview,
                PayingAccountConfirm,
            ],
            Role::FinanceOfficer => &[AllocationSubmit, PaymentFileSubmit, LedgerRead, ReportRead],
            Role::FinanceApprover => &[
                BudgetFinanceReview,
                PlanApprove,
                AllocationApprove,
                PaymentFileRelease,
                LedgerRead,
                ReportRead,
            ],
            Role::CityAgency => &[
                PersonRead,
                PersonReadFullId,
                PersonWrite,
                EmployerRead,
                ContributionRead,
                RetirementSubmit,
                BenefitRead,
                PlanSubmit,
                PlanReview,
                ReportRead,
                PeriodClose,
                BudgetCompile,
                BudgetReview,
            ],
            Role::CountyAgency => &[
                PersonRead,
                PersonReadFullId,
                PersonWrite,
                EmployerRead,
                EmployerWrite,
                ContributionRead,
                RetirementSubmit,
                BenefitRead,
                PlanSubmit,
                ReportRead,
                PayingAccountWrite,
                BankReturnImport,
                PeriodClose,
                BudgetCompile,
            ],
            Role::TaxBureau => &[
                PersonRead,
                PersonReadFullId,
                EmployerRead,
                ContributionImport,
                ContributionRead,
                BudgetComment,
            ],
            Role::Auditor => &[
                PersonRead,
                EmployerRead,
                ContributionRead,
                BenefitRead,
                LedgerRead,
                ReportRead,
                AuditRead,
            ],
            Role::SystemAdmin => &[UserManage, SystemConfig],
            Role::SecurityAdmin => &[RoleAssign, UserUnlock, SessionRevoke],
            Role::AuditAdmin => &[AuditRead, AuditVerify],
            Role::InsuredPerson => &[OwnRecordRead],
            Role::GovernmentApprover => &[BudgetApprove, ReportRead],
        }
    }

    pub fn has(self, p: Permission) -> bool {
        self.permissions().contains(&p)
    }

    /// The levels of region a user of this role may be scoped to.
    pub fn allowed_levels(self) -> &'static [Level] {
        match self {
            Role::ProvinceBureauOfficer
            | Role::ProvinceBureauApprover
            | Role::FinanceOfficer
            | Role::FinanceApprover
            | Role::SystemAdmin
            | Role::SecurityAdmin
            | Role::AuditAdmin
            | Role::GovernmentApprover => &[Level::Province],
            Role::CityAgency => &[Level::City],
            Role::CountyAgency | Role::InsuredPerson => &[Level::County],
            Role::TaxBureau | Role::Auditor => &[Level::Province, Level::City, Level::County],
        }
    }

    /// Whether the role sees this kind of personal data unmasked (on records within its scope).
    pub fn sees_full(self, kind: Pii) -> bool {
        match kind {
            Pii::IdNumber => self.has(Permission::PersonReadFullId),
            // Staff who handle a person's case need the name; supervisors and auditors see it
            // masked.
            Pii::Name => self.has(Permission::PersonWrite) || self == Role::TaxBureau,
            // Bank accounts: only the agencies that pay (and fix rejected payments).
            Pii::BankAccount => matches!(self, Role::CountyAgency | Role::CityAgency),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AccessError;
    fn from_str(s: &str) -> Result<Role, AccessError> {
        Role::ALL
            .iter()
            .copied()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| {
                AccessError::Invalid(crate::tr!(
                    "access-err-unknown-role",
                    text = format!("{s:?}"),
                    roles = Role::ALL.map(|r| r.as_str()).join(", ")
                ))
            })
    }
}

/// What a user may do. Checked together with the region of the object ([`can`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read insured persons' records (ID number masked unless [`Permission::PersonReadFullId`]).
    PersonRead,
    /// See full ID numbers on the records one may read.
    PersonReadFullId,
    /// Register persons, change their records.
    PersonWrite,
    EmployerRead,
    EmployerWrite,
    /// Import the tax bureau's collection results.
    ContributionImport,
    ContributionRead,
    /// Submit a retirement application (maker).
    RetirementSubmit,
    /// Approve or refuse a retirement application (checker).
    RetirementApprove,
    BenefitRead,
    /// Submit a fund-use plan (county, city, provincial bureau).
    PlanSubmit,
    /// Consolidate and review plans of lower levels before passing them up.
    PlanReview,
    /// Approve a fund-use plan in full, in part, or reject it (finance department).
    PlanApprove,
    AllocationSubmit,
    AllocationApprove,
    PaymentFileSubmit,
    PaymentFileRelease,
    /// Set a county agency's paying account (the debtor of its payment files): the provincial
    /// bureau, or the county's own agency.
    PayingAccountWrite,
    /// Confirm or refuse a paying account version someone else set (maker–checker): the
    /// provincial bureau's reviewer.
    PayingAccountConfirm,
    /// Read a bank's return file (pain.002 or CSV) into the payroll and the ledger: the
    /// provincial bureau, or the agency whose payments it answers.
    BankReturnImport,
    LedgerRead,
    ReportRead,
    /// Close a month or a year of the books in one's region (结账), and ask for a closed month
    /// to be reopened (the maker of a reopening).
    PeriodClose,
    /// Approve the reopening of a closed month (the checker).
    PeriodReopenApprove,
    /// Draft, edit and submit the fund budget of one's region (预算编制).
    BudgetCompile,
    /// Review the budgets of the level below: accept, or return with a reason (city, province).
    BudgetReview,
    /// The HRSS department's review of the province's budget (人社审核).
    BudgetHrssReview,
    /// The finance department's review (财政审核).
    BudgetFinanceReview,
    /// The government's approval (政府审批).
    BudgetApprove,
    /// Comment on the income targets (the tax bureau).
    BudgetComment,
    /// Read the audit log.
    AuditRead,
    /// Verify the audit hash chain.
    AuditVerify,
    /// Create and deactivate accounts (system administrator).
    UserManage,
    /// Change system configuration (system administrator).
    SystemConfig,
    /// Change a user's role or region (security administrator).
    RoleAssign,
    /// Unlock a locked account (security administrator).
    UserUnlock,
    /// End other users' sessions (security administrator).
    SessionRevoke,
    /// An insured person's own record.
    OwnRecordRead,
}

impl Permission {
    pub fn as_str(self) -> &'static str {
        use Permission::*;
        match self {
            PersonRead => "person_read",
            PersonReadFullId => "person_read_full_id",
            PersonWrite => "person_write",
            EmployerRead => "employer_read",
            EmployerWrite => "employer_write",
            ContributionImport => "contribution_import",
            ContributionRead => "contribution_read",
            RetirementSubmit => "retirement_submit",
            RetirementApprove => "retirement_approve",
            BenefitRead => "benefit_read",
            PlanSubmit => "plan_submit",
            PlanReview => "plan_review",
            PlanApprove => "plan_approve",
            AllocationSubmit => "allocation_submit",
            AllocationApprove => "allocation_approve",
            PaymentFileSubmit => "payment_file_submit",
            PaymentFileRelease => "payment_file_release",
            PayingAccountWrite => "paying_account_write",
            PayingAccountConfirm => "paying_account_confirm",
            BankReturnImport => "bank_return_import",
            LedgerRead => "ledger_read",
            ReportRead => "report_read",
            PeriodClose => "period_close",
            PeriodReopenApprove => "period_reopen_approve",
            BudgetCompile => "budget_compile",
            BudgetReview => "budget_review",
            BudgetHrssReview => "budget_hrss_review",
            BudgetFinanceReview => "budget_finance_review",
            BudgetApprove => "budget_approve",
            BudgetComment => "budget_comment",
            AuditRead => "audit_read",
            AuditVerify => "audit_verify",
            UserManage => "user_manage",
            SystemConfig => "system_config",
            RoleAssign => "role_assign",
            UserUnlock => "user_unlock",
            SessionRevoke => "session_revoke",
            OwnRecordRead => "own_record_read",
        }
    }
}

impl Permission {
    /// The permission's name in `lang`, from the message catalogue (`perm-…`).
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        crate::i18n::text(lang, &format!("perm-{}", self.as_str())).unwrap_or(self.as_str())
    }

    /// The permission's name in Chinese, as pages show it.
    pub fn label_zh(self) -> &'static str {
        self.label(crate::i18n::Lang::ZhCn)
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an action is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccessError {
    /// The role does not carry the permission.
    NoPermission { role: Role, permission: Permission },
    /// The object lies outside the user's region.
    OutOfScope {
        region: RegionCode,
        scope: RegionCode,
    },
    /// The approver is the submitter (maker–checker).
    SelfApproval,
    /// An inconsistent role/region assignment or bad input.
    Invalid(String),
    /// The separation of the three administrators (三员分立) or of an administrator and their
    /// own account forbids it.
    Separation(String),
}

impl AccessError {
    /// A short machine-readable code (for audit rows and API errors).
    pub fn code(&self) -> &'static str {
        match self {
            AccessError::NoPermission { .. } => "no_permission",
            AccessError::OutOfScope { .. } => "out_of_scope",
            AccessError::SelfApproval => "self_approval",
            AccessError::Invalid(_) => "invalid",
            AccessError::Separation(_) => "separation",
        }
    }
}

impl fmt::Display for AccessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessError::NoPermission { role, permission } => {
                let lang = crate::i18n::current();
                f.write_str(&crate::tr!(
                    "access-err-no-permission",
                    role = role.label(lang),
                    permission = permission.label(lang)
                ))
            }
            AccessError::OutOfScope { region, scope } => f.write_str(&crate::tr!(
                "access-err-out-of-scope",
                region = region,
                scope = scope
            )),
            AccessError::SelfApproval => f.write_str(&crate::tr!("access-err-self-approval")),
            AccessError::Invalid(s) | AccessError::Separation(s) => f.write_str(s),
        }
    }
}
impl std::error::Error for AccessError {}

/// An authenticated user as the rules see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub user_id: i64,
    pub login: String,
    pub role: Role,
    /// The user's scope: the province, a city or a county.
    pub region: RegionCode,
    /// For an insured person: their own person id.
    pub person_id: Option<i64>,
}

/// Check that a role may be scoped to a region: the region must be one of the province's
/// divisions at a level the role allows (a county agency at a county, a city agency at a city…).
pub fn validate_assignment(
    d: &Divisions,
    role: Role,
    region: RegionCode,
) -> Result<(), AccessError> {
    let r = d.get(region).ok_or_else(|| {
        AccessError::Invalid(format!(
            "region {region} is not a division of this province"
        ))
    })?;
    if r.is_functional_zone() {
        return Err(AccessError::Invalid(format!(
            "region {region} ({}) is a functional zone: assign its city",
            r.name
        )));
    }
    if !role.allowed_levels().contains(&r.level) {
        let levels: Vec<&str> = role.allowed_levels().iter().map(|l| l.as_str()).collect();
        return Err(AccessError::Invalid(format!(
            "role {role} must be scoped to a {} region, {region} ({}) is a {}",
            levels.join(" or "),
            r.name,
            r.level.as_str()
        )));
    }
    Ok(())
}

/// Whether `region` (of an object: a person's county, a plan's city…) lies within the user's
/// scope. Registration codes are mapped to their handling agency first (a functional zone to its
/// city, a retired code to its successor).
pub fn in_scope(d: &Divisions, user: &Principal, region: RegionCode) -> bool {
    let r = d.handling_agency(region).unwrap_or(region);
    d.within(r, user.region) || d.within(region, user.region)
}

/// Whether the user may exercise `p` on an object of `region`.
pub fn can(
    d: &Divisions,
    user: &Principal,
    p: Permission,
    region: RegionCode,
) -> Result<(), AccessError> {
    if !user.role.has(p) {
        return Err(AccessError::NoPermission {
            role: user.role,
            permission: p,
        });
    }
    if !in_scope(d, user, region) {
        return Err(AccessError::OutOfScope {
            region,
            scope: user.region,
        });
    }
    Ok(())
}

/// The maker–checker rule: `approver` may decide on a submission of `submitter_id` concerning
/// `region` only if they are a different user, hold `permission` and have the region in scope.
pub fn check_approval(
    d: &Divisions,
    submitter_id: i64,
    approver: &Principal,
    permission: Permission,
    region: RegionCode,
) -> Result<(), AccessError> {
    if approver.user_id == submitter_id {
        return Err(AccessError::SelfApproval);
    }
    can(d, approver, permission, region)
}

/// A flow that needs two people: one submits (maker), another decides (checker).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalKind {
    /// 退休审批: a retirement application.
    Retirement,
    /// 用款计划: a fund-use plan.
    FundPlan,
    /// An allocation (拨付) from the fiscal special account.
    Allocation,
    /// Release of a bank payment file.
    PaymentFile,
    /// 核销: writing off what a recovery case could not recover. A benefit decision: the
    /// county agency that handles the case submits it, a provincial approver of benefits decides
    /// (the permissions of a retirement application).
    RecoveryWriteOff,
    /// 结账后重新开账: reopening a closed month of a book.
    PeriodReopen,
    /// 补缴: a back-payment whose total reaches `contribution.backpay_approval_threshold`. The
    /// county agency that assessed it submits it; a provincial approver of the bureau decides
    /// (the permissions of a retirement application).
    BackPayment,
    /// 储备基金动用: using the reserve fund to cover a year's gap, money leaving the fund (the
    /// finance department: an officer records it, an approver decides; the permissions of an
    /// allocation from the fiscal special account).
    ReserveUse,
}

impl ApprovalKind {
    pub const ALL: [ApprovalKind; 8] = [
        ApprovalKind::Retirement,
        ApprovalKind::FundPlan,
        ApprovalKind::Allocation,
        ApprovalKind::PaymentFile,
        ApprovalKind::RecoveryWriteOff,
        ApprovalKind::PeriodReopen,
        ApprovalKind::BackPayment,
        ApprovalKind::ReserveUse,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalKind::Retirement => "retirement",
            ApprovalKind::FundPlan => "fund_plan",
            ApprovalKind::Allocation => "allocation",
            ApprovalKind::PaymentFile => "payment_file",
            ApprovalKind::RecoveryWriteOff => "recovery_write_off",
            ApprovalKind::PeriodReopen => "period_reopen",
            ApprovalKind::BackPayment => "back_payment",
            ApprovalKind::ReserveUse => "reserve_use",
        }
    }
    /// The permission needed to submit.
    pub fn submit_permission(self) -> Permission {
        match self {
            ApprovalKind::Retirement => Permission::RetirementSubmit,
            ApprovalKind::FundPlan => Permission::PlanSubmit,
            ApprovalKind::Allocation => Permission::AllocationSubmit,
            ApprovalKind::PaymentFile => Permission::PaymentFileSubmit,
            ApprovalKind::RecoveryWriteOff => Permission::RetirementSubmit,
            ApprovalKind::PeriodReopen => Permission::PeriodClose,
            ApprovalKind::BackPayment => Permission::RetirementSubmit,
            ApprovalKind::ReserveUse => Permission::AllocationSubmit,
        }
    }
    /// The permission needed to decide.
    pub fn approve_permission(self) -> Permission {
        match self {
            ApprovalKind::Retirement => Permission::RetirementApprove,
            ApprovalKind::FundPlan => Permission::PlanApprove,
            ApprovalKind::Allocation => Permission::AllocationApprove,
            ApprovalKind::PaymentFile => Permission::PaymentFileRelease,
            ApprovalKind::RecoveryWriteOff => Permission::RetirementApprove,
            ApprovalKind::PeriodReopen => Permission::PeriodReopenApprove,
            ApprovalKind::BackPayment => Permission::RetirementApprove,
            ApprovalKind::ReserveUse => Permission::AllocationApprove,
        }
    }
}

impl FromStr for ApprovalKind {
    type Err = AccessError;
    fn from_str(s: &str) -> Result<ApprovalKind, AccessError> {
        ApprovalKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                AccessError::Invalid(crate::tr!(
                    "access-err-unknown-approval",
                    text = format!("{s:?}")
                ))
            })
    }
}

impl fmt::Display for ApprovalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A kind of personal data subject to display masking.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pii {
    IdNumber,
    Name,
    BankAccount,
}

/// ID number for display: first 6 + last 4 (`140105********123X`). Shorter input is fully masked.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 12 {
        return "*".repeat(chars.len().max(4));
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 10))
}

/// Name for display: the surname (first character) and one `*` (`张*`).
pub fn mask_name(name: &str) -> String {
    match name.trim().chars().next() {
        Some(c) => format!("{c}*"),
        None => String::new(),
    }
}

/// Bank account for display: the last 4 digits only (`****1234`).
pub fn mask_bank_account(acct: &str) -> String {
    let digits: Vec<char> = acct.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() <= 4 {
        return "****".to_string();
    }
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("****{tail}")
}

/// Masking for one viewer. An insured person sees their own record in full.
#[derive(Clone, Copy, Debug)]
pub struct Masking {
    role: Role,
    own_record: bool,
}

impl Masking {
    pub fn for_viewer(viewer: &Principal, subject_person_id: Option<i64>) -> Masking {
        let own_record = viewer.role == Role::InsuredPerson
            && viewer.person_id.is_some()
            && viewer.person_id == subject_person_id;
        Masking {
            role: viewer.role,
            own_record,
        }
    }
    pub fn full(&self, kind: Pii) -> bool {
        self.own_record || self.role.sees_full(kind)
    }
    pub fn id_number(&self, v: &str) -> String {
        if self.full(Pii::IdNumber) {
            v.to_string()
        } else {
            mask_id_number(v)
        }
    }
    pub fn name(&self, v: &str) -> String {
        if self.full(Pii::Name) {
            v.to_string()
        } else {
            mask_name(v)
        }
    }
    /// The date of birth is digits 7–14 of the ID number: shown only to whoever sees the ID
    /// number in full, or a masked ID number would be unmasked beside it.
    pub fn birth(&self, v: &str) -> String {
        if self.full(Pii::IdNumber) {
            v.to_string()
        } else {
            v.chars()
                .map(|c| if c.is_ascii_digit() { '*' } else { c })
                .collect()
        }
    }
    pub fn bank_account(&self, v: &str) -> String {
        if self.full(Pii::BankAccount) {
            v.to_string()
        } else {
            mask_bank_account(v)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_id_number_is_not_unmasked_by_the_birth_date() {
        let auditor = Masking {
            role: Role::Auditor,
            own_record: false,
        };
        let own = Masking {
            role: Role::InsuredPerson,
            own_record: true,
        };
        assert!(!auditor.full(Pii::IdNumber));
        assert_eq!(auditor.birth("1970-03-12"), "****-**-**");
        assert_eq!(own.birth("1970-03-12"), "1970-03-12");
    }

    fn rc(v: u32) -> RegionCode {
        RegionCode::new(v).expect("code")
    }

    fn user(id: i64, role: Role, region: u32) -> Principal {
        Principal {
            user_id: id,
            login: format!("u{id}"),
            role,
            region: rc(region),
            person_id: None,
        }
    }

    #[test]
    fn every_role_and_permission_has_a_chinese_label() {
        let mut seen = std::collections::BTreeSet::new();
        for r in Role::ALL {
            assert!(!r.label_zh().is_ascii(), "{r}");
            assert!(
                seen.insert(r.label_zh()),
                "two roles named {}",
                r.label_zh()
            );
            for p in r.permissions() {
                assert!(!p.label_zh().is_ascii(), "{p}");
            }
        }
        assert!(Role::AuditAdmin.is_administrator() && !Role::Auditor.is_administrator());
    }

    #[test]
    fn roles_round_trip_and_unknown_is_refused() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        let e = "root".parse::<Role>().expect_err("unknown");
        assert!(e.to_string().contains("county_agency"));
    }

    #[test]
    fn three_administrators_are_separate() {
        let admin_perms = [
            Permission::UserManage,
            Permission::SystemConfig,
            Permission::RoleAssign,
            Permission::UserUnlock,
            Permission::SessionRevoke,
            Permission::AuditRead,
            Permission::AuditVerify,
        ];
        // No role holds permissions of two different administrators.
        let owner = |p: Permission| -> Vec<Role> {
            Role::ALL.iter().copied().filter(|r| r.has(p)).collect()
        };
        assert_eq!(owner(Permission::UserManage), vec![Role::SystemAdmin]);
        assert_eq!(owner(Permission::RoleAssign), vec![Role::SecurityAdmin]);
        assert!(!Role::SystemAdmin.has(Permission::AuditRead));
        assert!(!Role::SecurityAdmin.has(Permission::AuditRead));
        assert!(!Role::AuditAdmin.has(Permission::UserManage));
        // Administrators see no business data.
        for r in [Role::SystemAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            for p in r.permissions() {
                assert!(admin_perms.contains(p), "{r} has business permission {p}");
            }
        }
        // Makers are not checkers of the same flow.
        for r in Role::ALL {
            assert!(!(r.has(Permission::RetirementSubmit) && r.has(Permission::RetirementApprove)));
            assert!(!(r.has(Permission::PlanSubmit) && r.has(Permission::PlanApprove)));
            assert!(
                !(r.has(Permission::PaymentFileSubmit) && r.has(Permission::PaymentFileRelease))
            );
            assert!(!(r.has(Permission::AllocationSubmit) && r.has(Permission::AllocationApprove)));
            assert!(
                !(r.has(Permission::PayingAccountWrite) && r.has(Permission::PayingAccountConfirm))
            );
        }
        assert_eq!(
            Role::InsuredPerson.permissions(),
            &[Permission::OwnRecordRead]
        );
    }

    #[test]
    fn region_scope() {
        let d = Divisions::shanxi();
        let county = user(1, Role::CountyAgency, 140105); // 太原 小店区
        let city = user(2, Role::CityAgency, 140100); // 太原
        let prov = user(3, Role::ProvinceBureauOfficer, 140000);
        let p = Permission::PersonRead;
        assert!(can(d, &county, p, rc(140105)).is_ok());
        assert_eq!(
            can(d, &county, p, rc(140106)),
            Err(AccessError::OutOfScope {
                region: rc(140106),
                scope: rc(140105)
            })
        );
        assert!(can(d, &city, p, rc(140106)).is_ok());
        assert!(can(d, &city, p, rc(140100)).is_ok());
        assert!(can(d, &city, p, rc(140202)).is_err()); // 大同 (retired code): another city
        assert!(can(d, &county, p, rc(140100)).is_err()); // a county does not see its city
        assert!(can(d, &prov, p, rc(140202)).is_ok());
        assert!(can(d, &prov, p, rc(110105)).is_err()); // Beijing is outside the province
        // functional zone: handled by its city
        assert!(can(d, &city, p, rc(140171)).is_ok());
        // permission before scope
        assert_eq!(
            can(d, &county, Permission::PlanApprove, rc(140105)).map_err(|e| e.code()),
            Err("no_permission")
        );
    }

    #[test]
    fn assignments_follow_levels() {
        let d = Divisions::shanxi();
        assert!(validate_assignment(d, Role::CountyAgency, rc(140105)).is_ok());
        assert!(validate_assignment(d, Role::CountyAgency, rc(140100)).is_err());
        assert!(validate_assignment(d, Role::CityAgency, rc(140100)).is_ok());
        assert!(validate_assignment(d, Role::CityAgency, rc(140000)).is_err());
        assert!(validate_assignment(d, Role::FinanceApprover, rc(140000)).is_ok());
        assert!(validate_assignment(d, Role::FinanceApprover, rc(140100)).is_err());
        assert!(validate_assignment(d, Role::Auditor, rc(140105)).is_ok());
        assert!(validate_assignment(d, Role::CountyAgency, rc(110105)).is_err());
        assert!(validate_assignment(d, Role::CityAgency, rc(140171)).is_err());
    }

    #[test]
    fn maker_checker() {
        let d = Divisions::shanxi();
        let approver = user(7, Role::FinanceApprover, 140000);
        let p = Permission::PlanApprove;
        assert!(check_approval(d, 6, &approver, p, rc(140105)).is_ok());
        assert_eq!(
            check_approval(d, 7, &approver, p, rc(140105)),
            Err(AccessError::SelfApproval)
        );
        let officer = user(8, Role::FinanceOfficer, 140000);
        assert_eq!(
            check_approval(d, 6, &officer, p, rc(140105)).map_err(|e| e.code()),
            Err("no_permission")
        );
        let city_approver = user(9, Role::ProvinceBureauApprover, 140000);
        assert!(
            check_approval(
                d,
                6,
                &city_approver,
                Permission::RetirementApprove,
                rc(140105)
            )
            .is_ok()
        );
        let mut narrow = city_approver.clone();
        narrow.region = rc(140100);
        assert_eq!(
            check_approval(d, 6, &narrow, Permission::RetirementApprove, rc(140202))
                .map_err(|e| e.code()),
            Err("out_of_scope")
        );
    }

    #[test]
    fn masking() {
        assert_eq!(mask_id_number("14010519800101123X"), "140105********123X");
        assert_eq!(mask_id_number("123"), "****");
        assert_eq!(mask_name("张三丰"), "张*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_bank_account("6222 0212 3456 7890"), "****7890");
        assert_eq!(mask_bank_account("12"), "****");

        let county = user(1, Role::CountyAgency, 140105);
        let auditor = user(2, Role::Auditor, 140000);
        let mut me = user(3, Role::InsuredPerson, 140105);
        me.person_id = Some(42);
        let id = "14010519800101123X";
        assert_eq!(Masking::for_viewer(&county, Some(42)).id_number(id), id);
        assert_eq!(
            Masking::for_viewer(&auditor, Some(42)).id_number(id),
            "140105********123X"
        );
        assert_eq!(Masking::for_viewer(&auditor, Some(42)).name("张三"), "张*");
        assert_eq!(Masking::for_viewer(&me, Some(42)).id_number(id), id);
        assert_eq!(
            Masking::for_viewer(&me, Some(43)).id_number(id),
            "140105********123X"
        );
        assert_eq!(
            Masking::for_viewer(&me, Some(43)).bank_account("6222021234567890"),
            "****7890"
        );
    }
}
