//! The fund ledger for its readers (the `/ledger` page): a book's trial balance (试算平衡表)
//! with the chart's account names (Chinese, or the chart's English in English), the journal's verification (hash chain, balances,
//! books, limits, lines), an account's transfers newest first in pages keyed on the journal
//! sequence, and both as CSV or XLSX. Only a role with `ledger_read` reads it (the auditor, the
//! provincial bureau, the finance department), and only the books of their region: a city or
//! county reader sees their own book and the books below it. Reads, exports and refusals are
//! audited (`ledger.read`, `ledger.export`).

use crate::agency_accounts;
use crate::export::{Download, Format, Table};
use crate::reports::Cell;
use crate::{AppError, Result};
use tongchou_core::access::{Permission, Principal};
use tongchou_core::i18n::word;
use tongchou_core::{Divisions, Fen, RegionCode, tr};
use tongchou_ledger::report::TrialBook;
use tongchou_ledger::{AccountId, Chart, Transfer};
use tongchou_store::Db;
use tongchou_store::access::{self, Target};
use tongchou_store::audit::{self, Cursor};
use tongchou_store::ledger::Ledger;

/// Transfers on a page of an account's history.
pub const PAGE: usize = 50;
/// At most this many transfers in one export.
pub const EXPORT_MAX: usize = 100_000;

/// The journal's verification, in short.
#[derive(Clone, Debug)]
pub struct Check {
    pub ok: bool,
    pub transfers: i64,
    pub head_seq: i64,
    pub head_hash: String,
    /// The first broken item.
    pub problem: Option<String>,
}

/// The books a reader may open: their own region's and those below it, province first.
pub fn books_in_scope(who: &Principal) -> Vec<(RegionCode, String)> {
    let d = Divisions::shanxi();
    let mut out: Vec<(RegionCode, String)> = d
        .get(who.region)
        .map(|r| (r.code, r.name.clone()))
        .into_iter()
        .collect();
    for r in d.cities().chain(d.counties()) {
        if r.code != who.region && !r.is_functional_zone() && d.within(r.code, who.region) {
            out.push((r.code, r.name.clone()));
        }
    }
    out
}

/// `region`'s name, `140105 小店区`.
pub fn book_name(region: RegionCode) -> String {
    tongchou_ledger::chart::book_name(region)
}

fn authorize(
    db: &mut Db,
    who: &Principal,
    action: &str,
    region: RegionCode,
    now: i64,
) -> Result<()> {
    let id = region.to_string();
    let t = Target {
        action,
        object_type: "ledger_book",
        object_id: &id,
        region,
    };
    access::authorize(db, who, Permission::LedgerRead, &t, now).map_err(|e| match e {
        access::AuthError::Denied(a) => AppError::Forbidden(tr!(
            "app-lv-denied",
            book = book_name(region),
            why = if a.code() == "out_of_scope" {
                word("app-lv-out-of-scope")
            } else {
                word("app-lv-no-permission")
            },
            code = a.code()
        )),
        other => other.into(),
    })
}

fn record(
    db: &mut Db,
    who: &Principal,
    action: &str,
    region: RegionCode,
    details: serde_json::Value,
    now: i64,
) -> Result<()> {
    let id = region.to_string();
    audit::record_ok(
        db,
        who,
        action,
        ("ledger_book", &id),
        region.get(),
        details,
        now,
    )?;
    Ok(())
}

/// One account of a book's trial balance.
#[derive(Clone, Debug)]
pub struct BookRow {
    pub code: String,
    /// The chart's name in the current language.
    pub name: String,
    /// The account's id (for its history), if the chart names it in this book.
    pub account: Option<i64>,
    pub debit: Fen,
    pub credit: Fen,
    pub pending_debit: Fen,
    pub pending_credit: Fen,
    /// For a bank-account kind: the agency's bank account in force (`agency_accounts`), as
    /// `开户行 ****1234`, or `未配置` when none is confirmed.
    pub bank: Option<String>,
}

/// A book's trial balance as the page shows it.
#[derive(Clone, Debug)]
pub struct Book {
    pub region: RegionCode,
    pub rows: Vec<BookRow>,
    pub total_debit: Fen,
    pub total_credit: Fen,
    /// Σ debit = Σ credit (pending amounts too).
    pub balanced: bool,
}

impl Book {
    fn of(region: RegionCode, tb: &TrialBook) -> Book {
        let chart = Chart::standard();
        Book {
            region,
            rows: tb
                .rows
                .iter()
                .map(|r| BookRow {
                    code: r.code.clone(),
                    name: kind_name(&r.kind, &r.name),
                    account: chart.account(region, &r.kind).map(|a| a.0),
                    debit: r.debit,
                    credit: r.credit,
                    pending_debit: r.pending_debit,
                    pending_credit: r.pending_credit,
                    bank: None,
                })
                .collect(),
            total_debit: tb.total_debit,
            total_credit: tb.total_credit,
            balanced: tb.balanced,
        }
    }
}

/// The current trial balance of `region`'s book (empty when it has no balances).
fn book(db: &mut Db, region: RegionCode) -> Result<TrialBook> {
    let tb = Ledger::new(db).trial_balance(None, Some(region))?;
    Ok(tb.books.into_iter().next().unwrap_or(TrialBook {
        level: tongchou_ledger::chart::level_of(region),
        region: Some(region),
        regions: 0,
        rows: Vec::new(),
        total_debit: Fen::ZERO,
        total_credit: Fen::ZERO,
        balanced: true,
    }))
}

/// The trial balance of `region`'s book and the journal's verification; audited.
pub fn trial_balance(
    db: &mut Db,
    who: &Principal,
    region: RegionCode,
    now: i64,
) -> Result<(Book, Check)> {
    authorize(db, who, "ledger.read", region, now)?;
    let tb = book(db, region)?;
    let r = Ledger::new(db).check()?;
    let check = Check {
        ok: r.problem.is_none(),
        transfers: r.transfers,
        head_seq: r.head.seq,
        head_hash: r.head.hash.to_tagged(r.head.alg),
        problem: r.problem.map(|p| p.to_string()),
    };
    record(
        db,
        who,
        "ledger.read",
        region,
        serde_json::json!({"view": "trial_balance"}),
        now,
    )?;
    let mut book = Book::of(region, &tb);
    let today = crate::clock::china_date(now);
    for (row, t) in book.rows.iter_mut().zip(&tb.rows) {
        if agency_accounts::KINDS.contains(&t.kind.as_str()) {
            row.bank = Some(
                match agency_accounts::in_force_of(db, region, &t.kind, today)? {
                    Some(a) => format!(
                        "{} {}",
                        a.bank_name,
                        agency_accounts::masked(&a.account_number)
                    ),
                    None => tongchou_core::tr!("app-not-configured"),
                },
            );
        }
    }
    Ok((book, check))
}

/// The columns of a trial balance (label in the current language, width).
pub fn trial_columns() -> Vec<(&'static str, f64)> {
    vec![
        (word("ledger-code"), 10.0),
        (word("ledger-name"), 30.0),
        (word("app-lv-col-debit"), 18.0),
        (word("app-lv-col-credit"), 18.0),
        (word("app-lv-col-pending-debit"), 16.0),
        (word("app-lv-col-pending-credit"), 16.0),
    ]
}

fn trial_table(region: RegionCode, tb: &TrialBook) -> Table {
    let mut rows: Vec<Vec<Cell>> = tb
        .rows
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.code.clone()),
                Cell::Text(kind_name(&r.kind, &r.name)),
                Cell::Money(r.debit),
                Cell::Money(r.credit),
                Cell::Money(r.pending_debit),
                Cell::Money(r.pending_credit),
            ]
        })
        .collect();
    rows.push(vec![
        Cell::Empty,
        Cell::Text(tr!("app-rep-total")),
        Cell::Money(tb.total_debit),
        Cell::Money(tb.total_credit),
        Cell::Empty,
        Cell::Empty,
    ]);
    Table {
        title: tr!("app-lv-trial-title", book = book_name(region)),
        sheet: tr!("app-lv-trial-sheet", region = region),
        cols: trial_columns(),
        rows,
    }
}

/// One page of an account's history.
#[derive(Clone, Debug)]
pub struct History {
    /// The account's id.
    pub account: i64,
    /// Its book.
    pub region: RegionCode,
    /// `140000 山西省 · 1004 财政专户`
    pub label: String,
    /// The transfers as the cells of [`history_columns`].
    pub rows: Vec<Vec<Cell>>,
    pub newer: Option<i64>,
    pub older: Option<i64>,
}

/// The label of an account: its book and its chart name in the current language
/// (`Chart::shown`).
pub fn account_label(chart: &Chart, id: AccountId) -> String {
    chart.shown(id)
}

/// An account kind's name in the current language (the chart's `name` or `name_en`; `zh`, the
/// name as stored, for a kind the chart does not know).
pub fn kind_name(kind: &str, zh: &str) -> String {
    Chart::standard()
        .kind(kind)
        .map_or(zh, |k| k.shown_name())
        .to_string()
}

/// A transfer's category's name in the current language (the chart's `name` or `name_en`), or
/// its key.
pub fn category_name(chart: &Chart, key: &str) -> String {
    chart
        .category(key)
        .map_or(key, |c| c.shown_name())
        .to_string()
}

/// `account` as the CLI writes it (`140000:fiscal_special_account`, `140000:1004` or the id),
/// checked against the chart.
pub fn parse_account(text: &str) -> Result<AccountId> {
    let chart = Chart::standard();
    let id = chart
        .parse_account(text.trim())
        .map_err(|e| AppError::Invalid(tr!("app-lv-bad-account", error = e)))?;
    if chart.kind_of(id).is_none() || id.region().is_none() {
        return Err(AppError::Invalid(tr!("app-lv-no-account", account = text)));
    }
    Ok(id)
}

/// A page of `account`'s transfers, newest first; audited.
pub fn history(
    db: &mut Db,
    who: &Principal,
    account: AccountId,
    cursor: Cursor,
    now: i64,
) -> Result<History> {
    let (region, mut transfers) = read_history(db, who, account, cursor, PAGE + 1, now)?;
    let (newer, older) = cursor.trim(&mut transfers, PAGE, |t| t.id);
    Ok(history_of(account, region, &transfers, newer, older))
}

/// `account`'s transfers newest first, at most [`EXPORT_MAX`], for a page that filters, sorts
/// and pages them itself (`newer`, `older` empty); audited as a read.
pub fn history_all(db: &mut Db, who: &Principal, account: AccountId, now: i64) -> Result<History> {
    let (region, transfers) = read_history(db, who, account, Cursor::Newest, EXPORT_MAX, now)?;
    Ok(history_of(account, region, &transfers, None, None))
}

/// Up to `limit` of `account`'s transfers from `cursor`, the read authorized and audited.
fn read_history(
    db: &mut Db,
    who: &Principal,
    account: AccountId,
    cursor: Cursor,
    limit: usize,
    now: i64,
) -> Result<(RegionCode, Vec<Transfer>)> {
    let region = account
        .region()
        .ok_or_else(|| AppError::Invalid(tr!("app-lv-no-account", account = account.0)))?;
    authorize(db, who, "ledger.read", region, now)?;
    let transfers = Ledger::new(db).history_page(account, cursor, limit)?;
    record(
        db,
        who,
        "ledger.read",
        region,
        serde_json::json!({"view": "history", "account": account.0}),
        now,
    )?;
    Ok((region, transfers))
}

fn history_of(
    account: AccountId,
    region: RegionCode,
    transfers: &[Transfer],
    newer: Option<i64>,
    older: Option<i64>,
) -> History {
    let chart = Chart::standard();
    History {
        account: account.0,
        region,
        label: account_label(chart, account),
        rows: transfers
            .iter()
            .map(|t| history_cells(chart, account, t))
            .collect(),
        newer,
        older,
    }
}

/// The rows of `account`'s history a page selected (filtered, sorted) as CSV or XLSX; audited
/// as `ledger.export`, with the page's filter.
pub fn export_selected(
    db: &mut Db,
    who: &Principal,
    account: AccountId,
    table: &Table,
    format: Format,
    filter: &str,
    now: i64,
) -> Result<Download> {
    let region = account
        .region()
        .ok_or_else(|| AppError::Invalid(tr!("app-lv-no-account", account = account.0)))?;
    authorize(db, who, "ledger.export", region, now)?;
    let d = table.download(format, &format!("ledger-{}", account.0))?;
    record(
        db,
        who,
        "ledger.export",
        region,
        serde_json::json!({"file": d.file_name, "rows": table.rows.len(), "filter": filter}),
        now,
    )?;
    Ok(d)
}

/// The columns of an account's history (label in the current language, width).
pub fn history_columns() -> Vec<(&'static str, f64)> {
    vec![
        (word("col-journal-no"), 9.0),
        (word("col-date"), 12.0),
        (word("col-category"), 16.0),
        (word("col-direction"), 6.0),
        (word("col-counter-account"), 40.0),
        (word("col-amount-yuan"), 18.0),
        (word("web-status"), 8.0),
        (word("col-voucher"), 30.0),
    ]
}

/// One transfer of `account`'s history as the cells of [`history_columns`].
pub fn history_cells(chart: &Chart, account: AccountId, t: &Transfer) -> Vec<Cell> {
    let (side, other) = if t.debit == account {
        (word("app-lv-debit"), t.credit)
    } else {
        (word("app-lv-credit"), t.debit)
    };
    vec![
        Cell::Int(t.id),
        Cell::Text(t.date.to_string()),
        Cell::Text(category_name(chart, &t.category)),
        Cell::Text(side.into()),
        Cell::Text(account_label(chart, other)),
        Cell::Money(t.amount),
        Cell::Text(op_name(&t.op).into()),
        Cell::Text(crate::ledger_refs::shown(&t.reference)),
    ]
}

/// A transfer's operation in the current language.
pub fn op_name(op: &tongchou_ledger::Op) -> &'static str {
    use tongchou_ledger::Op;
    match op {
        Op::Post => word("app-lv-op-post"),
        Op::Pending => word("app-lv-op-pending"),
        Op::PostPending => word("app-lv-op-post-pending"),
        Op::VoidPending => word("app-lv-op-void-pending"),
        Op::Reverse => word("app-lv-op-reverse"),
    }
}

/// What to export.
#[derive(Clone, Copy, Debug)]
pub enum Export {
    TrialBalance(RegionCode),
    History(AccountId),
}

/// A trial balance or an account's whole history (newest first) as CSV or XLSX; audited as
/// `ledger.export`.
pub fn export(
    db: &mut Db,
    who: &Principal,
    what: Export,
    format: Format,
    now: i64,
) -> Result<Download> {
    let chart = Chart::standard();
    let (region, table, stem) = match what {
        Export::TrialBalance(region) => {
            authorize(db, who, "ledger.export", region, now)?;
            let tb = book(db, region)?;
            (
                region,
                trial_table(region, &tb),
                format!("trial-balance-{region}"),
            )
        }
        Export::History(account) => {
            let region = account
                .region()
                .ok_or_else(|| AppError::Invalid(tr!("app-lv-no-account", account = account.0)))?;
            authorize(db, who, "ledger.export", region, now)?;
            let ts = Ledger::new(db).history_page(account, Cursor::Newest, EXPORT_MAX)?;
            let table = Table {
                title: tr!(
                    "app-lv-history-title",
                    account = account_label(chart, account)
                ),
                sheet: tr!("app-lv-history-sheet", account = account.0),
                cols: history_columns(),
                rows: ts
                    .iter()
                    .map(|t| history_cells(chart, account, t))
                    .collect(),
            };
            (region, table, format!("ledger-{}", account.0))
        }
    };
    let d = table.download(format, &stem)?;
    record(
        db,
        who,
        "ledger.export",
        region,
        serde_json::json!({"file": d.file_name, "rows": table.rows.len()}),
        now,
    )?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::i18n::{Lang, scope};

    #[test]
    fn columns_categories_and_operations_in_the_readers_language() {
        let chart = Chart::standard();
        let words = |lang| {
            scope(lang, || {
                (
                    trial_columns()[2].0,
                    history_columns()[3].0,
                    category_name(chart, "subsidy"),
                    op_name(&tongchou_ledger::Op::Pending),
                )
            })
        };
        let zh = words(Lang::ZhCn);
        assert_eq!(
            zh,
            ("借方余额（元）", "方向", "财政补贴".to_string(), "在途")
        );
        let en = words(Lang::En);
        assert_eq!(
            en,
            (
                "Debit balance (yuan)",
                en.1,
                "fiscal subsidy".to_string(),
                "pending"
            )
        );
        assert!(en.1.is_ascii(), "{}", en.1);
        assert_eq!(category_name(chart, "no_such"), "no_such");
        let zh = scope(Lang::ZhCn, || kind_name("fiscal_special_account", "?"));
        let en = scope(Lang::En, || kind_name("fiscal_special_account", "?"));
        assert!(
            zh.contains("财政专户") && en.starts_with("fiscal special"),
            "{zh} / {en}"
        );
        assert_eq!(kind_name("no_such", "存"), "存");
    }
}
