//! The standard money flows of provincial pooling (统收统支, policy-reference §5.3), as batches
//! of per-book transfers. A flow between levels is a linked pair, one transfer in each book, so
//! that every book balances and the inter-level accounts move together.
//!
//! Keys: the caller gives one idempotency key per business event (`doc.key`); a pair uses
//! `{key}/{region}` for each book's transfer. Retrying a flow with the same `Doc` is a no-op.

use crate::chart::{AccountId, Chart, level_of};
use crate::transfer::{LinesSummary, Request};
use std::fmt;
use tongchou_core::region::{Level, RegionCode};
use tongchou_core::{Date, Fen};

/// The business document a flow records: its idempotency key, reference and value date.
#[derive(Clone, Copy, Debug)]
pub struct Doc<'a> {
    pub key: &'a str,
    pub reference: &'a str,
    pub date: Date,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowError(pub String);
impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::error::Error for FlowError {}

/// Which part of a contribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContributionPart {
    Employer,
    Individual,
}

fn acct(chart: &Chart, region: RegionCode, kind: &str) -> Result<AccountId, FlowError> {
    chart.account(region, kind).ok_or_else(|| {
        FlowError(format!(
            "region {region} ({}) has no account {kind}",
            level_of(region).as_str()
        ))
    })
}

/// The key of one book's transfer within a flow.
pub fn pair_key(key: &str, region: RegionCode) -> String {
    format!("{key}/{region}")
}

/// Contributions collected for `region` arriving in the provincial fiscal special account.
///
/// For a city or county: `[region: Dr 上解上级支出 / Cr 社会保险费收入 (linked),
/// province: Dr 财政专户存款 / Cr 下级上解收入]`; for the province itself one transfer
/// `Dr 财政专户存款 / Cr 社会保险费收入`. The first transfer is the one the person-level `lines`
/// aggregate (key `{key}/{region}`).
pub fn collection(
    chart: &Chart,
    doc: Doc<'_>,
    region: RegionCode,
    part: ContributionPart,
    amount: Fen,
    lines: Option<LinesSummary>,
) -> Result<Vec<Request>, FlowError> {
    let income = match part {
        ContributionPart::Employer => "contribution_employer",
        ContributionPart::Individual => "contribution_individual",
    };
    let province = region.province();
    let fiscal = acct(chart, province, "fiscal_special_account")?;
    let with_lines = |r: Request| match lines {
        Some(l) => r.lines(l),
        None => r,
    };
    if region == province {
        let r = Request::post(
            &pair_key(doc.key, region),
            fiscal,
            acct(chart, region, income)?,
            amount,
            "contribution",
            doc.reference,
            doc.date,
        );
        return Ok(vec![with_lines(r)]);
    }
    let lower = Request::post(
        &pair_key(doc.key, region),
        acct(chart, region, "remittance_to_higher")?,
        acct(chart, region, income)?,
        amount,
        "contribution",
        doc.reference,
        doc.date,
    );
    let upper = Request::post(
        &pair_key(doc.key, province),
        fiscal,
        acct(chart, province, "remittance_from_lower")?,
        amount,
        "contribution",
        doc.reference,
        doc.date,
    );
    Ok(vec![with_lines(lower).linked(), upper])
}

/// Provincial fiscal special account → provincial expenditure account, per the approved
/// fund-use plan (one book, one transfer; `pending` while the approval is open).
pub fn funding(
    chart: &Chart,
    doc: Doc<'_>,
    province: RegionCode,
    amount: Fen,
    pending: bool,
) -> Result<Request, FlowError> {
    let d = acct(chart, province, "expenditure_account")?;
    let c = acct(chart, province, "fiscal_special_account")?;
    Ok(if pending {
        Request::pending(doc.key, d, c, amount, "funding", doc.reference, doc.date)
    } else {
        Request::post(doc.key, d, c, amount, "funding", doc.reference, doc.date)
    })
}

fn check_down(from: RegionCode, to: RegionCode) -> Result<(), FlowError> {
    let (lf, lt) = (level_of(from), level_of(to));
    let inside = match lf {
        Level::Province => to.province() == from,
        Level::City => to.prefecture() == from,
        Level::County => false,
    };
    if lf >= lt || !inside {
        return Err(FlowError(format!("{to} is not below {from}")));
    }
    Ok(())
}

/// Allocation from a higher level's expenditure account to a lower one's (下拨):
/// `[from: Dr 补助下级支出 / Cr 支出户存款 (linked), to: Dr 支出户存款 / Cr 上级补助收入]`,
/// both pending when `pending` (a plan awaiting approval: post or void them with
/// [`resolve_pair`]).
pub fn allocation(
    chart: &Chart,
    doc: Doc<'_>,
    from: RegionCode,
    to: RegionCode,
    amount: Fen,
    pending: bool,
) -> Result<Vec<Request>, FlowError> {
    check_down(from, to)?;
    let make = if pending {
        Request::pending
    } else {
        Request::post
    };
    let upper = make(
        &pair_key(doc.key, from),
        acct(chart, from, "grant_to_lower")?,
        acct(chart, from, "expenditure_account")?,
        amount,
        "allocation",
        doc.reference,
        doc.date,
    );
    let lower = make(
        &pair_key(doc.key, to),
        acct(chart, to, "expenditure_account")?,
        acct(chart, to, "grant_from_higher")?,
        amount,
        "allocation",
        doc.reference,
        doc.date,
    );
    Ok(vec![upper.linked(), lower])
}

/// Remittance from a lower level to a higher one (上解):
/// `[from: Dr 上解上级支出 / Cr 支出户存款 (linked), to: Dr 财政专户存款 (province) or
/// 支出户存款 (city) / Cr 下级上解收入]`.
pub fn remittance(
    chart: &Chart,
    doc: Doc<'_>,
    from: RegionCode,
    to: RegionCode,
    amount: Fen,
) -> Result<Vec<Request>, FlowError> {
    check_down(to, from)?;
    let receiving = if level_of(to) == Level::Province {
        "fiscal_special_account"
    } else {
        "expenditure_account"
    };
    let lower = Request::post(
        &pair_key(doc.key, from),
        acct(chart, from, "remittance_to_higher")?,
        acct(chart, from, "expenditure_account")?,
        amount,
        "remittance",
        doc.reference,
        doc.date,
    );
    let upper = Request::post(
        &pair_key(doc.key, to),
        acct(chart, to, receiving)?,
        acct(chart, to, "remittance_from_lower")?,
        amount,
        "remittance",
        doc.reference,
        doc.date,
    );
    Ok(vec![lower.linked(), upper])
}

/// Post (`Some(amount)` or all with `None`) or void (`post = false`) both halves of a pending
/// pair created by [`allocation`] under `pending_key`, as one linked unit.
pub fn resolve_pair(
    doc: Doc<'_>,
    pending_key: &str,
    regions: [RegionCode; 2],
    post: bool,
    amount: Option<Fen>,
) -> Vec<Request> {
    let one = |r: RegionCode| {
        let (k, p) = (pair_key(doc.key, r), pair_key(pending_key, r));
        if post {
            Request::post_pending(&k, &p, amount, "allocation", doc.reference, doc.date)
        } else {
            Request::void(&k, &p, "allocation", doc.reference, doc.date)
        }
    };
    vec![one(regions[0]).linked(), one(regions[1])]
}

/// A benefit payment from a region's expenditure account, pending until the bank reports:
/// `Dr 社会保险待遇支出—<item> / Cr 支出户存款`. Post it (in part if some payments failed), void
/// it, or after posting reverse the returned part (category `bank_return`).
pub fn payment(
    chart: &Chart,
    doc: Doc<'_>,
    region: RegionCode,
    benefit_kind: &str,
    amount: Fen,
    lines: Option<LinesSummary>,
) -> Result<Request, FlowError> {
    let r = Request::pending(
        doc.key,
        acct(chart, region, benefit_kind)?,
        acct(chart, region, "expenditure_account")?,
        amount,
        "benefit",
        doc.reference,
        doc.date,
    );
    Ok(match lines {
        Some(l) => r.lines(l),
        None => r,
    })
}

/// The income account of a government's fiscal subsidy at `region`'s level.
fn subsidy_kind(region: RegionCode) -> &'static str {
    match level_of(region) {
        Level::Province => "subsidy_province",
        Level::City => "subsidy_city",
        Level::County => "subsidy_county",
    }
}

/// A government's share of a year's gap recognised in its own book (缺口分担, category
/// `gap_sharing`): `Dr 应收缺口分担资金 / Cr 财政补贴收入—<its level>`.
pub fn gap_recognition(
    chart: &Chart,
    doc: Doc<'_>,
    region: RegionCode,
    amount: Fen,
) -> Result<Request, FlowError> {
    Ok(Request::post(
        doc.key,
        acct(chart, region, "gap_share_receivable")?,
        acct(chart, region, subsidy_kind(region))?,
        amount,
        "gap_sharing",
        doc.reference,
        doc.date,
    ))
}

/// A government's payment of its gap share into the provincial fiscal special account, clearing
/// the receivable. The province: `Dr 财政专户存款 / Cr 应收缺口分担资金`; a city or county:
/// `[region: Dr 上解上级支出 / Cr 应收缺口分担资金 (linked), province: Dr 财政专户存款 / Cr
/// 下级上解收入]` (keys `{key}/{region}`).
pub fn gap_settlement(
    chart: &Chart,
    doc: Doc<'_>,
    region: RegionCode,
    amount: Fen,
) -> Result<Vec<Request>, FlowError> {
    let province = region.province();
    let fiscal = acct(chart, province, "fiscal_special_account")?;
    let receivable = acct(chart, region, "gap_share_receivable")?;
    let post = |key: &str, debit, credit| {
        Request::post(
            key,
            debit,
            credit,
            amount,
            "gap_sharing",
            doc.reference,
            doc.date,
        )
    };
    if region == province {
        return Ok(vec![post(&pair_key(doc.key, region), fiscal, receivable)]);
    }
    let lower = post(
        &pair_key(doc.key, region),
        acct(chart, region, "remittance_to_higher")?,
        receivable,
    );
    let upper = post(
        &pair_key(doc.key, province),
        fiscal,
        acct(chart, province, "remittance_from_lower")?,
    );
    Ok(vec![lower.linked(), upper])
}

/// A movement of the central adjustment fund (2018-2021) or national pooling (2022 on) at the
/// province (category `central_adjustment`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CentralMove {
    /// The year's remittance falls due: `Dr 中央调剂基金支出 / Cr 中央调剂资金往来`.
    RemittanceDue,
    /// The year's allocation falls due: `Dr 中央调剂资金往来 / Cr 中央调剂基金收入`.
    AllocationDue,
    /// Money paid to the centre (预缴, or a settlement owed): `Dr 中央调剂资金往来 / Cr 财政专户存款`.
    Paid,
    /// Money received from the centre (预拨, or a settlement owed to the province):
    /// `Dr 财政专户存款 / Cr 中央调剂资金往来`.
    Received,
    /// National pooling 上解: `Dr 全国统筹调剂资金支出 / Cr 财政专户存款`.
    PoolingRemitted,
    /// National pooling 下拨: `Dr 财政专户存款 / Cr 全国统筹调剂资金收入`.
    PoolingReceived,
}

/// One central movement of `amount` in the provincial book.
pub fn central(
    chart: &Chart,
    doc: Doc<'_>,
    province: RegionCode,
    movement: CentralMove,
    amount: Fen,
) -> Result<Request, FlowError> {
    let (debit, credit) = match movement {
        CentralMove::RemittanceDue => ("central_adjustment_expenditure", "central_clearing"),
        CentralMove::AllocationDue => ("central_clearing", "central_adjustment_income"),
        CentralMove::Paid => ("central_clearing", "fiscal_special_account"),
        CentralMove::Received => ("fiscal_special_account", "central_clearing"),
        CentralMove::PoolingRemitted => ("national_pooling_expenditure", "fiscal_special_account"),
        CentralMove::PoolingReceived => ("fiscal_special_account", "national_pooling_income"),
    };
    Ok(Request::post(
        doc.key,
        acct(chart, province, debit)?,
        acct(chart, province, credit)?,
        amount,
        "central_adjustment",
        doc.reference,
        doc.date,
    ))
}

fn reserve_post(
    chart: &Chart,
    key: &str,
    doc: Doc<'_>,
    province: RegionCode,
    (debit, credit): (&str, &str),
    amount: Fen,
) -> Result<Request, FlowError> {
    Ok(Request::post(
        key,
        acct(chart, province, debit)?,
        acct(chart, province, credit)?,
        amount,
        "reserve_fund",
        doc.reference,
        doc.date,
    ))
}

/// State-owned equity transferred to the reserve fund, at its book value (category
/// `reserve_fund`): `Dr 储备基金—划转国有股权 / Cr 储备基金`.
pub fn reserve_equity(
    chart: &Chart,
    doc: Doc<'_>,
    province: RegionCode,
    book_value: Fen,
) -> Result<Request, FlowError> {
    let accounts = ("reserve_equity", "reserve_fund");
    reserve_post(chart, doc.key, doc, province, accounts, book_value)
}

/// A dividend or other return collected by the finance department into the fund:
/// `Dr 储备基金专户存款 / Cr 储备基金`.
pub fn reserve_return(
    chart: &Chart,
    doc: Doc<'_>,
    province: RegionCode,
    amount: Fen,
) -> Result<Request, FlowError> {
    let accounts = ("reserve_deposit", "reserve_fund");
    reserve_post(chart, doc.key, doc, province, accounts, amount)
}

/// A holding sold after its lock-up: the proceeds into the fund's deposits and the holding's
/// book value out of the equity, `[Dr 储备基金专户存款 / Cr 储备基金 (proceeds, linked), Dr 储备基金 /
/// Cr 储备基金—划转国有股权 (book value)]` (keys `{key}/proceeds`, `{key}/disposal`).
pub fn reserve_sale(
    chart: &Chart,
    doc: Doc<'_>,
    province: RegionCode,
    proceeds: Fen,
    book_value: Fen,
) -> Result<Vec<Request>, FlowError> {
    let p = format!("{}/proceeds", doc.key);
    let d = format!("{}/disposal", doc.key);
    let into = ("reserve_deposit", "reserve_fund");
    let out = ("reserve_fund", "reserve_equity");
    Ok(vec![
        reserve_post(chart, &p, doc, province, into, proceeds)?.linked(),
        reserve_post(chart, &d, doc, province, out, book_value)?,
    ])
}

/// The reserve fund used to cover a year's gap: out of the fund and into the provincial fiscal
/// special account, `[Dr 储备基金 / Cr 储备基金专户存款 (linked), Dr 财政专户存款 / Cr
/// 储备基金弥补缺口收入]` (keys `{key}/reserve`, `{key}/fund`).
pub fn reserve_use(
    chart: &Chart,
    doc: Doc<'_>,
    province: RegionCode,
    amount: Fen,
) -> Result<Vec<Request>, FlowError> {
    let r = format!("{}/reserve", doc.key);
    let f = format!("{}/fund", doc.key);
    let out = ("reserve_fund", "reserve_deposit");
    let into = ("fiscal_special_account", "reserve_income");
    Ok(vec![
        reserve_post(chart, &r, doc, province, out, amount)?.linked(),
        reserve_post(chart, &f, doc, province, into, amount)?,
    ])
}
