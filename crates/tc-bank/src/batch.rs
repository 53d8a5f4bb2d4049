//! The payment batch: one county's payments of one run, written as one bank file.

use crate::ids::{AccountNumber, Bic, Cnaps, EndToEndId, MessageId};
use crate::text::check_text;
use crate::{BankError, DateTime};
use std::collections::HashSet;
use tongchou_core::{CreditCode, Date, Fen, Period, RegionCode};

/// Largest control sum a file may carry: ISO 20022 `DecimalNumber` has 18 digits in all, so
/// with two decimals at most 9 999 999 999 999 999.99 yuan.
pub const MAX_CONTROL_SUM: Fen = Fen::new(999_999_999_999_999_999);

/// Most payments one file may carry. Banks' own limits are far lower; split with
/// [`plan_batches`].
pub const MAX_PAYMENTS_PER_BATCH: usize = 999_999;

/// A bank as named in a file: a BIC, a CNAPS code, or both, and optionally its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankId {
    bic: Option<Bic>,
    cnaps: Option<Cnaps>,
    name: Option<String>,
}

impl BankId {
    pub fn new(
        bic: Option<Bic>,
        cnaps: Option<Cnaps>,
        name: Option<&str>,
    ) -> Result<BankId, BankError> {
        if bic.is_none() && cnaps.is_none() {
            return Err(BankError::NoBankIdentification);
        }
        let name = name.map(|n| check_text("bank name", n, 140)).transpose()?;
        Ok(BankId { bic, cnaps, name })
    }
    pub fn bic(&self) -> Option<&Bic> {
        self.bic.as_ref()
    }
    pub fn cnaps(&self) -> Option<&Cnaps> {
        self.cnaps.as_ref()
    }
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
}

/// The name of the paying agency as its bank knows it: trimmed, not empty, no control
/// characters, at most 140 characters (ISO 20022 `Max140Text`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyName(String);

impl AgencyName {
    pub fn parse(s: &str) -> Result<AgencyName, BankError> {
        check_text("debtor name", s, 140).map(AgencyName)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The title of an account as the bank keeps it (e.g. "…基本养老保险基金支出户"): trimmed, not
/// empty, no control characters, at most 70 characters (ISO 20022 `Max70Text`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountTitle(String);

impl AccountTitle {
    pub fn parse(s: &str) -> Result<AccountTitle, BankError> {
        check_text("debtor account name", s, 70).map(AccountTitle)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who pays: a county agency's benefit expenditure account (支出户).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Debtor {
    name: String,
    credit_code: Option<CreditCode>,
    account: AccountNumber,
    account_name: Option<String>,
    agent: BankId,
}

impl Debtor {
    /// The agency's real account, from configuration, every part already parsed (so this
    /// cannot fail): the agency's name and its unified social credit code (统一社会信用代码),
    /// the account number and, if the bank keeps one, the account's title, and the bank that
    /// holds the account (its BIC and/or CNAPS code).
    pub fn new(
        agency: AgencyName,
        agency_id: CreditCode,
        account: AccountNumber,
        account_name: Option<AccountTitle>,
        bank: BankId,
    ) -> Debtor {
        Debtor {
            name: agency.0,
            credit_code: Some(agency_id),
            account,
            account_name: account_name.map(|t| t.0),
            agent: bank,
        }
    }

    /// **Simulation only** (feature `sim`; the crate's own tests and examples turn it on): a
    /// fictional but well-formed expenditure account for `county`, for demos and tests, never
    /// for a file sent to a bank. The fictional bank `TCHOCNBJ` (branch `SXI`), CNAPS `999` +
    /// county + `001`, account `9` + county + `0000000201` (17 digits), no credit code.
    /// Deterministic from the county.
    #[cfg(any(test, feature = "sim"))]
    pub fn synthetic(county: RegionCode, agency_name: &str) -> Result<Debtor, BankError> {
        let agent = BankId::new(
            Some(Bic::parse("TCHOCNBJSXI")?),
            Some(Cnaps::parse(&format!("999{county}001"))?),
            Some("统筹模拟银行山西省分行"),
        )?;
        let name = AgencyName::parse(agency_name)?;
        let title = AccountTitle::parse(&format!("{}基本养老保险基金支出户", name.as_str()))?;
        Ok(Debtor {
            name: name.0,
            credit_code: None,
            account: AccountNumber::parse(&format!("9{county}0000000201"))?,
            account_name: Some(title.0),
            agent,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn credit_code(&self) -> Option<&CreditCode> {
        self.credit_code.as_ref()
    }
    pub fn account(&self) -> &AccountNumber {
        &self.account
    }
    pub fn account_name(&self) -> Option<&str> {
        self.account_name.as_deref()
    }
    pub fn agent(&self) -> &BankId {
        &self.agent
    }
}

/// One credit transfer to one payee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    end_to_end_id: EndToEndId,
    creditor_name: String,
    creditor_account: AccountNumber,
    creditor_agent: Option<BankId>,
    amount: Fen,
    remittance: String,
}

impl Payment {
    /// `creditor_name` at most 140 characters, `remittance` (e.g. "2020-01 基本养老金") at most
    /// 140; `amount` strictly positive.
    pub fn new(
        end_to_end_id: EndToEndId,
        creditor_name: &str,
        creditor_account: AccountNumber,
        creditor_agent: Option<BankId>,
        amount: Fen,
        remittance: &str,
    ) -> Result<Payment, BankError> {
        if !amount.is_positive() {
            return Err(BankError::Amount(tongchou_core::tr!(
                "bank-d-payment-not-positive",
                id = end_to_end_id,
                amount = amount
            )));
        }
        if amount > MAX_CONTROL_SUM {
            return Err(BankError::Amount(tongchou_core::tr!(
                "bank-d-payment-too-large",
                id = end_to_end_id,
                amount = amount
            )));
        }
        Ok(Payment {
            creditor_name: check_text("creditor name", creditor_name, 140)?,
            remittance: check_text("remittance information", remittance, 140)?,
            end_to_end_id,
            creditor_account,
            creditor_agent,
            amount,
        })
    }
    pub fn end_to_end_id(&self) -> &EndToEndId {
        &self.end_to_end_id
    }
    pub fn creditor_name(&self) -> &str {
        &self.creditor_name
    }
    pub fn creditor_account(&self) -> &AccountNumber {
        &self.creditor_account
    }
    pub fn creditor_agent(&self) -> Option<&BankId> {
        self.creditor_agent.as_ref()
    }
    pub fn amount(&self) -> Fen {
        self.amount
    }
    pub fn remittance(&self) -> &str {
        &self.remittance
    }
}

/// One bank file: a county's payments for a period, under one message id, from one debtor
/// account, to be executed on one date. Checked when built, so the writers cannot fail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentBatch {
    message_id: MessageId,
    county: RegionCode,
    period: Period,
    sequence: u16,
    created: DateTime,
    execution_date: Date,
    debtor: Debtor,
    payments: Vec<Payment>,
    control_sum: Fen,
}

impl PaymentBatch {
    /// Build batch number `sequence` (1..=9999) of `county` for `period`. Payments keep the
    /// order given. Refuses an empty batch, a repeated end-to-end id and a control sum beyond
    /// [`MAX_CONTROL_SUM`].
    pub fn new(
        county: RegionCode,
        period: Period,
        sequence: u16,
        created: DateTime,
        execution_date: Date,
        debtor: Debtor,
        payments: Vec<Payment>,
    ) -> Result<PaymentBatch, BankError> {
        let message_id = MessageId::new(county, period, sequence)?;
        if payments.is_empty() {
            return Err(BankError::BatchSize(tongchou_core::tr!(
                "bank-d-no-payments",
                id = message_id
            )));
        }
        if payments.len() > MAX_PAYMENTS_PER_BATCH {
            return Err(BankError::BatchSize(tongchou_core::tr!(
                "bank-d-too-many",
                id = message_id,
                n = payments.len(),
                max = MAX_PAYMENTS_PER_BATCH
            )));
        }
        let mut seen = HashSet::with_capacity(payments.len());
        for p in &payments {
            if !seen.insert(p.end_to_end_id.as_str()) {
                return Err(BankError::DuplicateEndToEndId(p.end_to_end_id.to_string()));
            }
        }
        let control_sum = Fen::checked_sum(payments.iter().map(|p| p.amount))
            .filter(|s| *s <= MAX_CONTROL_SUM)
            .ok_or_else(|| {
                BankError::Amount(tongchou_core::tr!("bank-d-control-sum", id = message_id))
            })?;
        Ok(PaymentBatch {
            message_id,
            county,
            period,
            sequence,
            created,
            execution_date,
            debtor,
            payments,
            control_sum,
        })
    }

    pub fn message_id(&self) -> &MessageId {
        &self.message_id
    }
    pub fn payment_info_id(&self) -> String {
        self.message_id.payment_info_id()
    }
    pub fn county(&self) -> RegionCode {
        self.county
    }
    pub fn period(&self) -> Period {
        self.period
    }
    pub fn sequence(&self) -> u16 {
        self.sequence
    }
    pub fn created(&self) -> DateTime {
        self.created
    }
    pub fn execution_date(&self) -> Date {
        self.execution_date
    }
    pub fn debtor(&self) -> &Debtor {
        &self.debtor
    }
    pub fn payments(&self) -> &[Payment] {
        &self.payments
    }
    /// Number of payments (`NbOfTxs`).
    pub fn len(&self) -> usize {
        self.payments.len()
    }
    /// Always false: a batch has at least one payment.
    pub fn is_empty(&self) -> bool {
        self.payments.is_empty()
    }
    /// Sum of the amounts (`CtrlSum`).
    pub fn control_sum(&self) -> Fen {
        self.control_sum
    }
}

/// Split a county's payments for a period into batches of at most `max_per_batch`, numbered
/// from `first_sequence` on. Payments are sorted by end-to-end id first, so the files depend
/// only on the set of payments, not on the order rows came from storage: a resumed run writes
/// the same bytes. An empty list gives no batch.
#[allow(clippy::too_many_arguments)]
pub fn plan_batches(
    county: RegionCode,
    period: Period,
    first_sequence: u16,
    created: DateTime,
    execution_date: Date,
    debtor: &Debtor,
    mut payments: Vec<Payment>,
    max_per_batch: usize,
) -> Result<Vec<PaymentBatch>, BankError> {
    if max_per_batch == 0 || max_per_batch > MAX_PAYMENTS_PER_BATCH {
        return Err(BankError::BatchSize(tongchou_core::tr!(
            "bank-d-max-per-batch",
            n = max_per_batch,
            max = MAX_PAYMENTS_PER_BATCH
        )));
    }
    payments.sort_by(|a, b| a.end_to_end_id.cmp(&b.end_to_end_id));
    let mut out = Vec::with_capacity(payments.len().div_ceil(max_per_batch));
    let mut sequence = first_sequence;
    let mut rest = payments.into_iter().peekable();
    while rest.peek().is_some() {
        let chunk: Vec<Payment> = rest.by_ref().take(max_per_batch).collect();
        out.push(PaymentBatch::new(
            county,
            period,
            sequence,
            created,
            execution_date,
            debtor.clone(),
            chunk,
        )?);
        if rest.peek().is_some() {
            sequence = sequence
                .checked_add(1)
                .filter(|s| *s <= 9999)
                .ok_or_else(|| BankError::Sequence("more than 9999 batches".into()))?;
        }
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ids::PaymentKey;

    pub(crate) fn county() -> RegionCode {
        RegionCode::new(140105).unwrap()
    }
    pub(crate) fn period() -> Period {
        Period::new(2020, 1).unwrap()
    }
    pub(crate) fn created() -> DateTime {
        DateTime::new(Date::new(2020, 1, 12).unwrap(), 9, 30, 0).unwrap()
    }
    pub(crate) fn payment(payee: &str, name: &str, fen: i64) -> Payment {
        let id = EndToEndId::derive(&PaymentKey {
            county: county(),
            period: period(),
            item: "BP",
            payee,
            attempt: 0,
        })
        .unwrap();
        Payment::new(
            id,
            name,
            AccountNumber::parse("6222020200001234567").unwrap(),
            None,
            Fen::new(fen),
            "2020-01 基本养老金",
        )
        .unwrap()
    }
    pub(crate) fn debtor() -> Debtor {
        Debtor::synthetic(county(), "太原市小店区社会保险事业管理中心").unwrap()
    }

    #[test]
    fn batch_checks() {
        let exec = Date::new(2020, 1, 15).unwrap();
        let b = PaymentBatch::new(
            county(),
            period(),
            1,
            created(),
            exec,
            debtor(),
            vec![payment("A", "张三", 312_050), payment("B", "李四", 1)],
        )
        .unwrap();
        assert_eq!(b.control_sum(), Fen::new(312_051));
        assert_eq!(b.len(), 2);
        assert_eq!(b.message_id().as_str(), "TC1401052020010001");
        let dup = PaymentBatch::new(
            county(),
            period(),
            1,
            created(),
            exec,
            debtor(),
            vec![payment("A", "张三", 1), payment("A", "张三", 2)],
        );
        assert!(matches!(dup, Err(BankError::DuplicateEndToEndId(_))));
        let empty = PaymentBatch::new(county(), period(), 1, created(), exec, debtor(), vec![]);
        assert!(matches!(empty, Err(BankError::BatchSize(_))));
        let big = PaymentBatch::new(
            county(),
            period(),
            1,
            created(),
            exec,
            debtor(),
            vec![
                payment("A", "张三", MAX_CONTROL_SUM.fen()),
                payment("B", "李四", 1),
            ],
        );
        assert!(matches!(big, Err(BankError::Amount(_))));
    }

    #[test]
    fn payment_checks() {
        let id = payment("A", "x", 1).end_to_end_id().clone();
        let acct = AccountNumber::parse("6222020200001234567").unwrap();
        let mk = |name: &str, fen: i64, rmt: &str| {
            Payment::new(id.clone(), name, acct.clone(), None, Fen::new(fen), rmt)
        };
        assert!(mk("张三", 0, "r").is_err());
        assert!(mk("张三", -5, "r").is_err());
        assert!(mk("", 5, "r").is_err());
        assert!(mk("张\n三", 5, "r").is_err());
        assert!(mk("张三", 5, "").is_err());
        assert!(mk(&"名".repeat(141), 5, "r").is_err());
        assert!(mk("O'Brien & <Sons> \"Ltd\"", 5, "r").is_ok());
        assert!(BankId::new(None, None, Some("x")).is_err());
    }

    #[test]
    fn synthetic_debtor_is_well_formed() {
        let d = debtor();
        assert_eq!(d.account().as_str(), "91401050000000201");
        assert_eq!(d.agent().cnaps().map(|c| c.as_str()), Some("999140105001"));
        assert_eq!(
            d.account_name(),
            Some("太原市小店区社会保险事业管理中心基本养老保险基金支出户")
        );
    }

    #[test]
    fn planning_is_order_independent_and_numbered() {
        let exec = Date::new(2020, 1, 15).unwrap();
        let ps: Vec<Payment> = (0..7)
            .map(|i| payment(&format!("P{i}"), "王五", 100 + i))
            .collect();
        let mut rev = ps.clone();
        rev.reverse();
        let a = plan_batches(county(), period(), 3, created(), exec, &debtor(), ps, 3).unwrap();
        let b = plan_batches(county(), period(), 3, created(), exec, &debtor(), rev, 3).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.iter().map(|b| b.len()).collect::<Vec<_>>(), vec![3, 3, 1]);
        assert_eq!(
            a.iter().map(|b| b.sequence()).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        let total: i64 = a.iter().map(|b| b.control_sum().fen()).sum();
        assert_eq!(total, (0..7).map(|i| 100 + i).sum::<i64>());
        assert!(
            plan_batches(county(), period(), 1, created(), exec, &debtor(), vec![], 3)
                .unwrap()
                .is_empty()
        );
        assert!(
            plan_batches(county(), period(), 1, created(), exec, &debtor(), vec![], 0).is_err()
        );
        let two = vec![payment("X", "a", 1), payment("Y", "b", 1)];
        assert!(matches!(
            plan_batches(county(), period(), 9999, created(), exec, &debtor(), two, 1),
            Err(BankError::Sequence(_))
        ));
    }
}
