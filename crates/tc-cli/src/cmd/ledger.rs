//! `tongchou ledger …`: the fund ledger (tongchou_store::ledger) from the command line.

use crate::output::{Align, CliError, CliResult, columns, print_json};
use std::process::ExitCode;
use tongchou_core::region::{Divisions, RegionCode};
use tongchou_core::{Date, Fen, Period, tr};
use tongchou_ledger::flows::{self, ContributionPart, Doc};
use tongchou_ledger::report::TrialBalance;
use tongchou_ledger::{Chart, Line, Problem, Request};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

#[derive(clap::Subcommand)]
pub enum LedgerCmd {
    /// Open the standard accounts of every region of Shanxi (idempotent).
    Init,
    /// Verify everything: the hash chain, each stored balance against its postings, the books of
    /// every region, the limits, the lines of every transfer. Exits 1 naming the first broken item.
    Check(CheckArgs),
    /// Trial balance (试算平衡表) by level, or of one region's book.
    Balances(BalancesArgs),
    /// Transfers touching one account, oldest first (keyset pagination with --after).
    History(HistoryArgs),
    /// Accounts that must be empty at month end (收入户) and are not. Exits 1 if any.
    MonthEnd(MonthEndArgs),
    /// (Testing) write one large linked group with person-level lines, for crash tests.
    #[command(hide = true)]
    LoadTest(LoadTestArgs),
}

#[derive(clap::Args)]
pub struct CheckArgs {
    #[arg(long)]
    pub json: bool,
    /// A journal head published earlier (SEQ:HASH, as `month run` prints it): the journal must
    /// still carry it (a truncated or rebuilt journal does not).
    #[arg(long)]
    pub anchor: Option<tongchou_core::anchor::Anchor>,
}

#[derive(clap::Args)]
pub struct BalancesArgs {
    /// Balances at the end of this date (default: now, from the stored balances).
    #[arg(long)]
    pub at: Option<Date>,
    /// Only the book of this region (six-digit code).
    #[arg(long)]
    pub region: Option<RegionCode>,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct HistoryArgs {
    /// REGION:KIND (140000:fiscal_special_account), REGION:CODE (140000:1004) or the account id.
    #[arg(long)]
    pub account: String,
    /// Only transfers after this id (the last id of the previous page).
    #[arg(long, default_value_t = 0)]
    pub after: i64,
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct MonthEndArgs {
    /// The month, YYYY-MM.
    #[arg(long)]
    pub period: Period,
    #[arg(long)]
    pub json: bool,
}

#[derive(clap::Args)]
pub struct LoadTestArgs {
    /// Total person-level lines, spread over the counties.
    #[arg(long, default_value_t = 1_000_000)]
    pub lines: usize,
    /// Idempotency-key prefix of the group.
    #[arg(long, default_value = "loadtest")]
    pub key: String,
}

pub fn run(c: LedgerCmd, url: &str) -> CliResult {
    let mut db = Db::open(url)?;
    let mut ledger = Ledger::new(&mut db);
    match c {
        LedgerCmd::Init => {
            let n = ledger.open_standard(Divisions::shanxi())?;
            let total = ledger.accounts()?.len();
            outln!("{}", tr!("cli-ledger-opened", n = n, total = total));
            Ok(ExitCode::SUCCESS)
        }
        LedgerCmd::Check(a) => check(&mut db, a),
        LedgerCmd::Balances(a) => {
            let tb = ledger.trial_balance(a.at, a.region)?;
            if a.json {
                print_json(&tb)?;
            } else {
                print_trial_balance(&tb);
            }
            Ok(ExitCode::SUCCESS)
        }
        LedgerCmd::History(a) => history(&mut ledger, a),
        LedgerCmd::MonthEnd(a) => {
            let v = ledger.month_end_check(a.period)?;
            if a.json {
                print_json(&v)?;
            } else if v.is_empty() {
                outln!("{}", tr!("cli-ledger-month-end-ok", period = a.period));
            } else {
                for x in &v {
                    let b = x.balances;
                    outln!(
                        "{}",
                        tr!(
                            "cli-ledger-not-empty",
                            period = a.period,
                            account = x.account,
                            label = Chart::standard().shown(x.account),
                            debits = b.debits_posted,
                            credits = b.credits_posted,
                            debits_pending = b.debits_pending,
                            credits_pending = b.credits_pending
                        )
                    );
                }
            }
            Ok(if v.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        LedgerCmd::LoadTest(a) => load_test(&mut ledger, a),
    }
}

/// The journal (chain, rules, balances, books), the anchor if one is given, and the payments
/// against the ledger (`disburse::check_payments`).
fn check(db: &mut Db, a: CheckArgs) -> CliResult {
    let mut ledger = Ledger::new(db);
    let mut r = ledger.check()?;
    let anchor = match &a.anchor {
        Some(an) => an
            .check(r.head.seq, ledger.hash_at(an.seq)?.as_deref())
            .err(),
        None => None,
    };
    let payments =
        tongchou_app::disburse::check_payments(db).map_err(|e| CliError(e.to_string()))?;
    if r.problem.is_none() {
        r.problem = match (anchor, payments.is_empty()) {
            (Some(why), _) => Some(Problem::new(tr!("cli-ledger-anchor"), why)),
            (None, false) => Some(Problem::new(
                tr!("cli-ledger-payments"),
                payments.join(&tr!("cli-arg-list-sep")),
            )),
            (None, true) => None,
        };
    }
    if a.json {
        print_json(&serde_json::json!({
            "ok": r.problem.is_none(),
            "accounts": r.accounts,
            "transfers": r.transfers,
            "lines": r.lines,
            "head": {"seq": r.head.seq, "hash": r.head.hash.to_tagged(r.head.alg), "alg": r.head.alg.name()},
            "problem": r.problem,
        }))?;
    }
    match r.problem {
        None => {
            if !a.json {
                outln!(
                    "{}",
                    tr!(
                        "cli-ledger-check-ok",
                        accounts = r.accounts,
                        transfers = r.transfers,
                        lines = r.lines,
                        seq = r.head.seq,
                        hash = r.head.hash.to_tagged(r.head.alg)
                    )
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(p) => {
            eprintln!("{}", tr!("cli-ledger-broken", problem = p));
            Ok(ExitCode::from(1))
        }
    }
}

fn print_trial_balance(tb: &TrialBalance) {
    match tb.at {
        Some(d) => outln!("{}", tr!("cli-ledger-tb-at", date = d)),
        None => outln!("{}", tr!("cli-ledger-tb-current")),
    }
    if tb.books.is_empty() {
        outln!("{}", tr!("cli-ledger-tb-empty"));
    }
    for b in &tb.books {
        let whose = match b.region {
            Some(r) => tr!(
                "cli-ledger-tb-book-of",
                region = tongchou_ledger::chart::book_name(r)
            ),
            None => tr!("cli-ledger-tb-regions", n = b.regions),
        };
        outln!();
        outln!(
            "{}",
            tr!(
                "cli-ledger-tb-book",
                level = tongchou_app::close::level_name(b.level),
                whose = whose
            )
        );
        let head = [
            tr!("ledger-code"),
            tr!("ledger-name"),
            tr!("ledger-debit"),
            tr!("ledger-credit"),
            tr!("ledger-pending-debit"),
            tr!("ledger-pending-credit"),
        ];
        outln!("{}", columns(&head, &TB_COLUMNS));
        for r in &b.rows {
            let cells = [
                r.code.clone(),
                tongchou_app::ledger_view::kind_name(&r.kind, &r.name),
                r.debit.to_string(),
                r.credit.to_string(),
                r.pending_debit.to_string(),
                r.pending_credit.to_string(),
            ];
            outln!("{}", columns(&cells, &TB_COLUMNS));
        }
        let balanced = if b.balanced {
            tr!("ledger-balanced")
        } else {
            tr!("ledger-not-balanced")
        };
        let total = [
            String::new(),
            tr!("cli-ledger-tb-total"),
            b.total_debit.to_string(),
            b.total_credit.to_string(),
        ];
        outln!("{}   {balanced}", columns(&total, &TB_COLUMNS));
    }
}

/// The trial balance's columns: code, account, debit, credit, pending debit and credit.
const TB_COLUMNS: [(usize, Align); 6] = [
    (10, Align::Left),
    (36, Align::Left),
    (18, Align::Right),
    (18, Align::Right),
    (16, Align::Right),
    (16, Align::Right),
];

/// An account's history's columns: journal number, date, operation, debit, credit, the other
/// account, category, key and reference.
const HISTORY_COLUMNS: [(usize, Align); 8] = [
    (8, Align::Right),
    (10, Align::Left),
    (12, Align::Left),
    (16, Align::Right),
    (17, Align::Right),
    (40, Align::Left),
    (12, Align::Left),
    (0, Align::Left),
];

fn history(ledger: &mut Ledger<'_>, a: HistoryArgs) -> CliResult {
    let chart = ledger.chart();
    let account = chart
        .parse_account(&a.account)
        .map_err(|e| CliError(format!("--account: {e}")))?;
    let items = ledger.history(account, a.after, a.limit)?;
    if a.json {
        print_json(&items)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "{}",
        tr!(
            "cli-ledger-history-of",
            account = chart.shown(account),
            id = account
        )
    );
    let head = [
        tr!("col-journal-no"),
        tr!("col-date"),
        tr!("cli-ledger-col-op"),
        tr!("app-lv-debit"),
        tr!("app-lv-credit"),
        tr!("col-counter-account"),
        tr!("col-category"),
        tr!("cli-ledger-col-key"),
    ];
    outln!("{}", columns(&head, &HISTORY_COLUMNS));
    for t in &items {
        let (dr, cr, other) = if t.debit == account {
            (t.amount.to_string(), String::new(), t.credit)
        } else {
            (String::new(), t.amount.to_string(), t.debit)
        };
        let cells = [
            t.id.to_string(),
            t.date.to_string(),
            tongchou_app::ledger_view::op_name(&t.op).to_string(),
            dr,
            cr,
            chart.shown(other),
            tongchou_app::ledger_view::category_name(chart, &t.category),
            format!(
                "{} / {}",
                t.key,
                tongchou_app::ledger_refs::shown(&t.reference)
            ),
        ];
        outln!("{}", columns(&cells, &HISTORY_COLUMNS));
    }
    if let Some(last) = items.last().filter(|_| items.len() == a.limit) {
        outln!("{}", tr!("cli-ledger-more", after = last.id));
    }
    Ok(ExitCode::SUCCESS)
}

/// One linked group: an opening balance, then for every county a collection pair whose county
/// half carries its share of `lines` person-level lines. All or nothing.
fn load_test(ledger: &mut Ledger<'_>, a: LoadTestArgs) -> CliResult {
    let chart = Chart::standard();
    let d = Divisions::shanxi();
    ledger.open_standard(d)?;
    let date = Date::new(2024, 1, 5)?;
    let counties: Vec<RegionCode> = d.counties().map(|c| c.code).collect();
    let per = a.lines.div_ceil(counties.len()).max(1);
    let mut person = 0i64;
    let mut groups: Vec<(Request, Vec<Line>)> = Vec::new();
    for (i, county) in counties.iter().enumerate() {
        let ls: Vec<Line> = (0..per)
            .map(|_| {
                person += 1;
                Line {
                    person,
                    amount: Fen::new(30_000 + person % 1000),
                }
            })
            .collect();
        let total = Fen::try_sum(ls.iter().map(|l| l.amount))?;
        let key = format!("{}/{county}", a.key);
        let doc = Doc {
            key: &key,
            reference: &a.key,
            date,
        };
        let mut pair =
            flows::collection(chart, doc, *county, ContributionPart::Employer, total, None)?;
        let last = i + 1 == counties.len();
        let upper = pair
            .pop()
            .ok_or_else(|| CliError(tongchou_core::tr!("cli-err-flow-pair")))?;
        let lower = pair
            .pop()
            .ok_or_else(|| CliError(tongchou_core::tr!("cli-err-flow-pair")))?;
        groups.push((lower.linked(), ls));
        groups.push((if last { upper } else { upper.linked() }, Vec::new()));
    }
    let batch: Vec<(Request, &[Line])> = groups
        .iter()
        .map(|(r, l)| (r.clone(), l.as_slice()))
        .collect();
    eprintln!(
        "{}",
        tr!(
            "cli-ledger-load-writing",
            transfers = batch.len(),
            lines = per * counties.len()
        )
    );
    let results = ledger.submit_with_lines(&batch)?;
    let failed = results.iter().filter(|r| r.is_err()).count();
    outln!(
        "{}",
        tr!(
            "cli-ledger-load-done",
            transfers = results.len(),
            failed = failed
        )
    );
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
