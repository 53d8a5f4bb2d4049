//! Final accounts (决算) and period close on both backends, over two months of a small synthetic
//! province run end to end (December 2020 and January 2021, so two years): every figure of every
//! book ties to the ledger's balances (an independent path: the ledger's own balance fold at each
//! year end), the closing of 2020 is the opening of 2021, the province's consolidated accounts are
//! the sum of all books with the transfers between levels eliminated; then the months close county
//! → city → province, posting into a closed month is refused, and a reopening needs another
//! user's approval and is audited.

mod common;

use std::collections::BTreeMap;
use tongchou_app::AppError;
use tongchou_app::close::{self, CloseRequest};
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_app::final_accounts::{self, FinalAccounts};
use tongchou_core::access::Role;
use tongchou_core::items::{Items, Side};
use tongchou_core::region::Level;
use tongchou_core::{Date, Fen, Period, Policy, RegionCode};
use tongchou_ledger::chart::{AccountId, Class};
use tongchou_ledger::{Balances, Chart};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, StoreError, testing};

fn code(c: u32) -> RegionCode {
    RegionCode::new(c).expect("code")
}

fn date(s: &str) -> Date {
    s.parse().expect("date")
}

fn run_months(db: &mut Db, tag: &str) {
    common::province(db, 2000, "2020-12");
    let actors = common::actors(db);
    tongchou_sim::historical::seed(db, 3, date("2020-11-30")).expect("historical");
    let policy = Policy::builtin().expect("policy");
    let out = std::env::temp_dir().join(format!("tc-final-{}-{tag}", std::process::id()));
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 1,
        behaviour: Behaviour::default(),
    });
    for m in ["2020-12", "2021-01"] {
        let month: Period = m.parse().expect("p");
        collect::run_month(db, &policy, month, src).expect("collection");
        let mut opts = MonthOptions::new(&out.join(m));
        opts.bank = Some(tongchou_sim::bank::counterpart(300, 1));
        disburse::run_month(db, &policy, month, &actors, &opts).expect("disbursement");
    }
    // a county's own subsidy and the province's, in January
    for (region, kind, key) in [
        (code(140105), "subsidy-county", "sub/140105"),
        (code(140000), "subsidy-province", "sub/140000"),
    ] {
        record(db, key, region, kind, date("2021-01-20")).expect("income");
    }
}

fn record(
    db: &mut Db,
    key: &str,
    region: RegionCode,
    kind: &str,
    on: Date,
) -> tongchou_app::Result<bool> {
    tongchou_app::income::record(
        db,
        &tongchou_store::audit::Actor::operator("test"),
        tongchou_app::clock::now_ms(),
        &tongchou_app::income::Income {
            key,
            region,
            kind,
            amount: Fen::new(1_234_567),
            date: on,
            reference: "test",
        },
    )
}

/// Per book: the fund's balance (assets − liabilities) and each item's amount at the end of a
/// day, from the ledger's own balances at that date.
fn ledger_side(
    db: &mut Db,
    at: Date,
) -> (
    BTreeMap<RegionCode, i64>,
    BTreeMap<(RegionCode, usize), i64>,
) {
    let chart = Chart::standard();
    let items = Items::standard();
    let b: BTreeMap<AccountId, Balances> = Ledger::new(db).balances_at(at).expect("balances");
    let mut na = BTreeMap::new();
    let mut by_item = BTreeMap::new();
    for (id, v) in b {
        let kind = chart.kind_of(id).expect("kind");
        let region = id.region().expect("region");
        let dc = v.debits_posted.fen() - v.credits_posted.fen();
        match kind.class {
            Class::Asset => *na.entry(region).or_insert(0) += dc,
            Class::Liability => *na.entry(region).or_insert(0) += dc,
            _ => {}
        }
        if let Some(i) = items.index_of_kind(&kind.key) {
            let amount = match items.items[i].side {
                Side::Income => -dc,
                Side::Expenditure => dc,
            };
            *by_item.entry((region, i)).or_insert(0) += amount;
        }
    }
    (na, by_item)
}

fn ties_to_ledger(db: &mut Db, fa: &FinalAccounts) {
    let year = fa.year;
    let (na_open, items_open) = ledger_side(db, date(&format!("{}-12-31", year - 1)));
    let (na_close, items_close) = ledger_side(db, date(&format!("{year}-12-31")));
    let items = Items::standard();
    for b in &fa.books {
        let s = &b.own;
        let sum = s.opening.fen() + items.income_total(s).expect("i").fen()
            - items.expenditure_total(s).expect("e").fen();
        assert_eq!(
            sum,
            s.closing.fen(),
            "{year} {}: opening + income − expenditure",
            b.region
        );
        // the opening: the balance at the end of the year before, plus what was registered
        // directly during the year (the historical balances, booked 2020-11-30 here)
        assert_eq!(
            s.opening.fen() - s.adjustment.fen(),
            *na_open.get(&b.region).unwrap_or(&0),
            "{year} {} opening",
            b.region
        );
        if year > 2020 {
            assert_eq!(s.adjustment, Fen::ZERO, "{}", b.region);
        }
        assert_eq!(
            s.closing.fen(),
            *na_close.get(&b.region).unwrap_or(&0),
            "{year} {} closing",
            b.region
        );
        for (i, it) in items.items.iter().enumerate() {
            let ledger = items_close.get(&(b.region, i)).unwrap_or(&0)
                - items_open.get(&(b.region, i)).unwrap_or(&0);
            assert_eq!(
                s.amounts[i].fen(),
                ledger,
                "{year} {} {}",
                b.region,
                it.name
            );
        }
    }
    // the province consolidated: the sum of every book, nothing left between levels
    let p = &fa.books[0];
    assert_eq!(p.level, Level::Province);
    let c = p.consolidated.as_ref().expect("province group");
    let total = |f: &dyn Fn(&tongchou_core::items::Statement) -> i64| -> i64 {
        fa.books.iter().map(|b| f(&b.own)).sum()
    };
    assert_eq!(c.closing.fen(), total(&|s| s.closing.fen()));
    assert_eq!(c.opening.fen(), total(&|s| s.opening.fen()));
    for (i, it) in items.items.iter().enumerate() {
        if it.role.is_some() {
            assert_eq!(c.amounts[i], Fen::ZERO, "{year} {}", it.name);
        } else {
            assert_eq!(
                c.amounts[i].fen(),
                total(&|s| s.amounts[i].fen()),
                "{year} {}",
                it.name
            );
        }
    }
    // every city's group adds its book and its counties'
    for city in fa.books.iter().filter(|b| b.level == Level::City) {
        let g = city.consolidated.as_ref().expect("city group");
        let members: i64 = fa.within(city.region).map(|b| b.own.closing.fen()).sum();
        assert_eq!(g.closing.fen(), members, "{}", city.region);
        let gi = items.index("grant_to_lower").expect("item");
        assert_eq!(g.amounts[gi], Fen::ZERO);
    }
}

fn final_accounts_tie(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    run_months(&mut db, tag);
    let y2020 = final_accounts::compute(&mut db, 2020).expect("2020");
    let y2021 = final_accounts::compute(&mut db, 2021).expect("2021");
    assert!(!y2020.closed);
    ties_to_ledger(&mut db, &y2020);
    ties_to_ledger(&mut db, &y2021);
    assert_eq!(y2020.books.len(), 129);
    for (a, b) in y2020.books.iter().zip(&y2021.books) {
        assert_eq!(a.region, b.region);
        assert_eq!(
            a.own.closing, b.own.opening,
            "{}: closing 2020 = opening 2021",
            a.region
        );
        if let (Some(x), Some(y)) = (&a.consolidated, &b.consolidated) {
            assert_eq!(x.closing, y.opening, "{} group", a.region);
        }
    }
    let items = Items::standard();
    let p = y2020.books[0].consolidated.as_ref().expect("province");
    let q = y2021.books[0].consolidated.as_ref().expect("province");
    // there was something to account for: a positive historical opening, pensions paid in
    // December, and December's and January's contributions (each booked on the close date,
    // day 5 of the month after, so in 2021)
    assert!(p.opening.is_positive(), "{p:?}");
    assert!(p.adjustment.is_positive(), "registered 2020-11-30");
    assert!(p.amounts[items.index("basic_pension").expect("i")].is_positive());
    assert!(q.amounts[items.index("contribution").expect("i")].is_positive());
    assert!(q.amounts[items.index("basic_pension").expect("i")].is_positive());
    let sub = items.index("subsidy").expect("i");
    let xiaodian = y2021
        .books
        .iter()
        .find(|b| b.region == code(140105))
        .expect("book");
    assert_eq!(xiaodian.own.amounts[sub], Fen::new(1_234_567));
    // the JSON carries the figures as yuan strings keyed by the Chinese item names
    let j = y2021.json(code(140000)).expect("json");
    let regions = j["regions"].as_array().expect("regions");
    assert_eq!(regions.len(), 129);
    let x = regions
        .iter()
        .find(|r| r["region"] == "140105")
        .expect("county");
    assert_eq!(x["income"]["财政补贴收入"], "12345.67");
    assert_eq!(x["opening"], xiaodian.own.opening.to_string());
    assert_eq!(x["closing"], xiaodian.own.closing.to_string());
    assert!(regions[0]["consolidated"]["expenditure"]["基本养老金支出"].is_string());
    // the table and the workbook
    let t =
        final_accounts::text_table(&y2021.title(), &y2021.columns(code(140000), false)).expect("t");
    assert!(
        t.contains("年末滚存结余") && t.contains("山西省汇总"),
        "{t}"
    );
    let book = final_accounts::workbook("t", "s", &y2021.columns(code(140100), true)).expect("x");
    assert!(book.starts_with(b"PK"));
}

#[test]
fn final_accounts_tie_to_the_ledger_on_sqlite() {
    final_accounts_tie(&testing::sqlite_url("final"), "sqlite");
}

#[test]
fn final_accounts_tie_to_the_ledger_on_postgres() {
    final_accounts_tie(&testing::pg_url("final"), "pg");
}

fn req(level: Level, period: &str, region: Option<u32>) -> CloseRequest {
    CloseRequest {
        level,
        period: period.parse().expect("p"),
        year: false,
        region: region.map(code),
        today: date("2026-01-01"),
    }
}

fn closing_chain(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    run_months(&mut db, tag);
    let officer = tongchou_store::access::get_user(&mut db, "officer")
        .expect("q")
        .expect("officer")
        .principal();
    let checker = testing::add_user(
        &mut db,
        "checker",
        Role::ProvinceBureauApprover,
        140000,
        "correct horse battery staple",
    );
    let clerk = testing::add_user(
        &mut db,
        "clerk",
        Role::CountyAgency,
        140105,
        "correct horse battery staple",
    );
    let now = tongchou_app::clock::now_ms();
    // the city cannot close before its counties; a county clerk closes only their own county
    let e = close::close(
        &mut db,
        &officer,
        &req(Level::City, "2020-12", Some(140100)),
        now,
    )
    .expect_err("refused");
    assert!(
        matches!(e, AppError::State(ref m) if m.contains("140105")),
        "{e}"
    );
    let e = close::close(
        &mut db,
        &clerk,
        &req(Level::County, "2020-12", Some(140106)),
        now,
    )
    .expect_err("refused");
    assert!(matches!(e, AppError::Forbidden(_)), "{e}");
    // a month closes only once it has ended
    let e = close::close(&mut db, &officer, &req(Level::County, "2026-01", None), now)
        .expect_err("refused");
    assert!(matches!(e, AppError::State(_)), "{e}");
    let mine = close::close(&mut db, &clerk, &req(Level::County, "2020-12", None), now)
        .expect("own county");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].region, code(140105));
    // a new transfer into the closed month of the county's book is refused, typed
    let e = record(
        &mut db,
        "late/140105",
        code(140105),
        "subsidy-county",
        date("2020-12-20"),
    )
    .expect_err("refused");
    assert!(
        matches!(e, AppError::Store(StoreError::PeriodClosed { region: 140105, ref period, .. }) if period == "2020-12"),
        "{e}"
    );
    // the open month is fine; so is the province's book, still open for December
    assert!(
        record(
            &mut db,
            "jan/140105",
            code(140105),
            "subsidy-county",
            date("2021-01-21")
        )
        .expect("open")
    );
    assert!(
        record(
            &mut db,
            "dec/140000",
            code(140000),
            "subsidy-province",
            date("2020-12-21")
        )
        .expect("open")
    );
    let all = close::close(&mut db, &officer, &req(Level::County, "2020-12", None), now)
        .expect("counties");
    assert_eq!(all.len(), 117);
    assert_eq!(all.iter().filter(|c| c.already).count(), 1);
    let e = close::close(
        &mut db,
        &officer,
        &req(Level::Province, "2020-12", None),
        now,
    )
    .expect_err("refused");
    assert!(matches!(e, AppError::State(_)), "{e}");
    assert_eq!(
        close::close(&mut db, &officer, &req(Level::City, "2020-12", None), now)
            .expect("cities")
            .len(),
        11
    );
    let mut year = req(Level::Province, "2020-12", None);
    year.year = true;
    close::close(&mut db, &officer, &year, now).expect("province");
    assert!(final_accounts::compute(&mut db, 2020).expect("fa").closed);
    let e = record(
        &mut db,
        "dec2/140000",
        code(140000),
        "subsidy-province",
        date("2020-12-22"),
    )
    .expect_err("refused");
    assert!(
        matches!(
            e,
            AppError::Store(StoreError::PeriodClosed { region: 140000, .. })
        ),
        "{e}"
    );
    // reopening: from the top down, asked by one user, approved by another, audited
    let e = close::request_reopen(
        &mut db,
        &officer,
        code(140105),
        "2020-12".parse().expect("p"),
        "late return",
        now,
    )
    .expect_err("refused");
    assert!(
        matches!(e, AppError::State(ref m) if m.contains("140000")),
        "{e}"
    );
    let a = close::request_reopen(
        &mut db,
        &officer,
        code(140000),
        "2020-12".parse().expect("p"),
        "a late subsidy voucher",
        now,
    )
    .expect("request");
    let e = close::decide_reopen(&mut db, &officer, a.id, true, "", now).expect_err("refused");
    assert!(
        matches!(e, AppError::Forbidden(_)),
        "the maker cannot approve: {e}"
    );
    let r = close::decide_reopen(&mut db, &checker, a.id, true, "ok", now).expect("approve");
    assert_eq!(r.closed_through.as_deref(), Some("2020-11"));
    let e = close::decide_reopen(&mut db, &checker, a.id, true, "again", now).expect_err("refused");
    assert!(matches!(e, AppError::State(_)), "{e}");
    assert!(
        record(
            &mut db,
            "dec2/140000",
            code(140000),
            "subsidy-province",
            date("2020-12-22")
        )
        .expect("reopened")
    );
    // the county stays closed
    assert!(
        record(
            &mut db,
            "late/140105",
            code(140105),
            "subsidy-county",
            date("2020-12-20")
        )
        .is_err()
    );
    let events = close::events(&mut db, Some(code(140000))).expect("events");
    assert_eq!(
        events.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["close", "reopen"]
    );
    assert_eq!(events[1].reason, "a late subsidy voucher");
    for action in ["period.close", "period.reopen_request", "period.reopen"] {
        let n = tongchou_store::audit::list(
            &mut db,
            &tongchou_store::audit::Filter {
                action: Some(action.into()),
                ..Default::default()
            },
        )
        .expect("audit")
        .len();
        assert!(n > 0, "{action} audited");
    }
    // the ledger still proves itself
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
}

#[test]
fn period_close_locks_the_ledger_on_sqlite() {
    closing_chain(&testing::sqlite_url("close"), "sqlite");
}

#[test]
fn period_close_locks_the_ledger_on_postgres() {
    closing_chain(&testing::pg_url("close"), "pg");
}

fn budget_chain(url: &str, tag: &str) {
    use tongchou_app::budget::{self, Change, Verdict};
    use tongchou_app::execution;
    let mut db = Db::open(url).expect("open");
    run_months(&mut db, tag);
    let policy = Policy::builtin().expect("policy");
    let pw = "correct horse battery staple";
    let officer = tongchou_store::access::get_user(&mut db, "officer")
        .expect("q")
        .expect("officer")
        .principal();
    let county = testing::add_user(&mut db, "xd.clerk", Role::CountyAgency, 140105, pw);
    let city = testing::add_user(&mut db, "ty.clerk", Role::CityAgency, 140100, pw);
    let hrss = testing::add_user(&mut db, "hrss", Role::ProvinceBureauApprover, 140000, pw);
    let fin = testing::add_user(&mut db, "fin.approver", Role::FinanceApprover, 140000, pw);
    let gov = testing::add_user(
        &mut db,
        "gov.approver",
        Role::GovernmentApprover,
        140000,
        pw,
    );
    let now = tongchou_app::clock::now_ms();
    // the county drafts its own book only; the province officer drafts the rest
    let mine = budget::draft(&mut db, &policy, &county, 2021, None, now).expect("county draft");
    assert_eq!(mine, [code(140105)]);
    let rest = budget::draft(&mut db, &policy, &officer, 2021, None, now).expect("all");
    assert_eq!(rest.len(), 128);
    let v = budget::show(&mut db, 2021, None).expect("show");
    let line = &v.lines[&code(140105)]["contribution"];
    assert!(
        line.source.contains("budget.forecast.coverage_growth"),
        "{}",
        line.source
    );
    assert!(v.lines[&code(140105)]["basic_pension"].amount.is_positive());
    // an edit is a new version with its note; the old version stays
    let change = Change {
        region: code(140105),
        item: "contribution",
        amount: Fen::new(123_456_789),
        note: "扩面计划 2021",
        source: Some("县扩面计划"),
    };
    assert_eq!(
        budget::edit(&mut db, &county, 2021, None, &change, now).expect("edit"),
        2
    );
    // the city cannot submit before its counties are accepted; a county submits
    budget::submit(&mut db, &county, 2021, None, code(140105), now).expect("county submits");
    let e =
        budget::submit(&mut db, &city, 2021, None, code(140100), now).expect_err("counties open");
    assert!(matches!(e, AppError::State(_)), "{e}");
    // the city returns it with a reason; the county fixes and resubmits; the city accepts
    budget::review(
        &mut db,
        &city,
        2021,
        None,
        code(140105),
        Verdict::Return("征缴任务偏低"),
        now,
    )
    .expect("return");
    let change = Change {
        amount: Fen::new(133_456_789),
        note: "按市意见调高",
        ..change
    };
    assert_eq!(
        budget::edit(&mut db, &county, 2021, None, &change, now).expect("edit"),
        3
    );
    budget::submit(&mut db, &county, 2021, None, code(140105), now).expect("again");
    budget::review(
        &mut db,
        &city,
        2021,
        None,
        code(140105),
        Verdict::Accept,
        now,
    )
    .expect("accept");
    // the officer stands in for every other county and city (submits; the reviewer is another)
    let books = final_accounts::ordered_books();
    for level in [Level::County, Level::City] {
        for &r in books
            .iter()
            .filter(|&&r| tongchou_ledger::chart::level_of(r) == level)
        {
            if r == code(140105) {
                continue;
            }
            budget::submit(&mut db, &officer, 2021, None, r, now).expect("submit");
            let reviewer = if level == Level::County && r.prefecture() == code(140100) {
                &city
            } else {
                &hrss_stand_in(&mut db)
            };
            budget::review(&mut db, reviewer, 2021, None, r, Verdict::Accept, now).expect("review");
        }
    }
    budget::submit(&mut db, &officer, 2021, None, code(140000), now).expect("province");
    // the chain: the submitter cannot review; each step its own user and order
    let e = budget::decide(&mut db, &officer, 2021, None, "hrss", Verdict::Accept, now)
        .expect_err("maker");
    assert!(matches!(e, AppError::Forbidden(_)), "{e}");
    let e = budget::decide(&mut db, &fin, 2021, None, "finance", Verdict::Accept, now)
        .expect_err("order");
    assert!(matches!(e, AppError::State(_)), "{e}");
    budget::decide(&mut db, &hrss, 2021, None, "hrss", Verdict::Accept, now).expect("hrss");
    budget::decide(&mut db, &fin, 2021, None, "finance", Verdict::Accept, now).expect("finance");
    let e = budget::decide(
        &mut db,
        &fin,
        2021,
        None,
        "government",
        Verdict::Accept,
        now,
    )
    .expect_err("role");
    assert!(matches!(e, AppError::Forbidden(_)), "{e}");
    assert_eq!(
        budget::decide(
            &mut db,
            &gov,
            2021,
            None,
            "government",
            Verdict::Accept,
            now
        )
        .expect("gov"),
        "approved"
    );
    // the approved contribution income is the collection task
    let tasks = budget::collection_tasks(&mut db, 2021)
        .expect("tasks")
        .expect("approved");
    assert_eq!(tasks[&code(140105)], Fen::new(133_456_789));
    let ty: i64 = books
        .iter()
        .filter(|r| r.prefecture() == code(140100))
        .map(|r| {
            budget::show(&mut db, 2021, Some(0))
                .expect("s")
                .lines
                .get(r)
                .map_or(0, |l| l["contribution"].amount.fen())
        })
        .sum();
    assert_eq!(tasks[&code(140100)].fen(), ty);
    // the early warning's and the gap's collection task is the budget's, pro rata to the month:
    // 133,456,789 fen × 3 / 12 = 33,364,197.25, rounded half up
    let to_march = tongchou_app::warn::collection_task(&mut db, "2021-03".parse().expect("m"))
        .expect("task to date");
    assert_eq!(to_march[&140105], Fen::new(33_364_197));
    assert!(!to_march.contains_key(&140100), "counties only");
    // an adjustment: the same chain, beside the original, must still balance
    let e = budget::edit(
        &mut db,
        &officer,
        2021,
        Some(0),
        &Change {
            region: code(140000),
            item: "interest",
            amount: Fen::new(1),
            note: "x",
            source: None,
        },
        now,
    )
    .expect_err("approved");
    assert!(matches!(e, AppError::State(_)), "{e}");
    assert_eq!(
        budget::adjust(&mut db, &officer, 2021, "中央调剂资金增加", now).expect("adjust"),
        1
    );
    let huge = Change {
        region: code(140000),
        item: "other_expenditure",
        amount: Fen::new(900_000_000_000_000),
        note: "试算",
        source: None,
    };
    budget::edit(&mut db, &officer, 2021, Some(1), &huge, now).expect("edit adj");
    let e = budget::submit(&mut db, &officer, 2021, Some(1), code(140000), now)
        .expect_err("unbalanced");
    assert!(
        matches!(e, AppError::State(ref m) if m.contains("不平衡")),
        "{e}"
    );
    let fine = Change {
        amount: Fen::new(100_000),
        note: "核定",
        ..huge
    };
    budget::edit(&mut db, &officer, 2021, Some(1), &fine, now).expect("edit adj");
    budget::submit(&mut db, &officer, 2021, Some(1), code(140000), now).expect("submit adj");
    budget::decide(
        &mut db,
        &hrss,
        2021,
        Some(1),
        "hrss",
        Verdict::Return("说明理由"),
        now,
    )
    .expect("returned");
    budget::submit(&mut db, &officer, 2021, Some(1), code(140000), now).expect("again");
    budget::decide(&mut db, &hrss, 2021, Some(1), "hrss", Verdict::Accept, now).expect("hrss");
    budget::decide(
        &mut db,
        &fin,
        2021,
        Some(1),
        "finance",
        Verdict::Accept,
        now,
    )
    .expect("fin");
    budget::decide(
        &mut db,
        &gov,
        2021,
        Some(1),
        "government",
        Verdict::Accept,
        now,
    )
    .expect("gov");
    let v = budget::show(&mut db, 2021, None).expect("show");
    assert_eq!(v.budget.number, 1);
    let j = v.json(code(140000)).expect("json");
    let p = &j["regions"][0]["lines"];
    let other = p
        .as_array()
        .expect("lines")
        .iter()
        .find(|l| l["item"] == "other_expenditure")
        .expect("line");
    assert_eq!(other["amount"], "1000.00");
    assert!(
        other["before"].is_string(),
        "the original beside the adjustment: {other}"
    );
    // execution against the adjusted budget, straight from the ledger
    let ex =
        execution::execution(&mut db, 2021, Some("2021-01".parse().expect("p"))).expect("exec");
    assert_eq!(ex.budget_number, Some(1));
    let fa =
        final_accounts::compute_through(&mut db, 2021, "2021-01".parse().expect("p")).expect("fa");
    let j = ex.json(code(140000)).expect("json");
    let items = Items::standard();
    let ci = items.index("contribution").expect("i");
    let actual = fa.books[0].consolidated.as_ref().expect("p").amounts[ci];
    assert_eq!(
        j["regions"][0]["income"]["基本养老保险费收入"]["actual"],
        actual.to_string()
    );
    // every step audited
    let n = tongchou_store::audit::list(
        &mut db,
        &tongchou_store::audit::Filter {
            action: Some("budget.government".into()),
            ..Default::default()
        },
    )
    .expect("audit")
    .len();
    assert_eq!(n, 2);
    over_budget(&mut db, &policy, tag);
    deviation_warning(&mut db);
    performance(&mut db);
    quarterly_analysis(&mut db);
}

/// The first quarter of 2021's execution analysis of 西城区's county book: drafted by its agency
/// from the ledger, not submitted before every deviation is explained, returned by its city with
/// a reason, submitted again after the due date (recorded late), accepted; every version kept.
fn quarterly_analysis(db: &mut Db) {
    use tongchou_app::analysis::{self, Quarter, Verdict};
    let ms = |d: &str| date(d).days_since_epoch() * 86_400_000 + 3_600_000;
    let county = tongchou_store::access::get_user(db, "xd.clerk")
        .expect("q")
        .expect("county")
        .principal();
    let city = tongchou_store::access::get_user(db, "ty.clerk")
        .expect("q")
        .expect("city")
        .principal();
    let qt = Quarter::new(2021, 1).expect("q1");
    assert!(Quarter::new(2021, 5).is_err());
    assert_eq!(qt.due_on().expect("due"), date("2021-04-25"));
    let r = code(140105);
    let e = analysis::draft(db, &city, qt, r, ms("2021-04-02")).expect_err("not the city's");
    assert!(matches!(e, AppError::Forbidden(_)), "{e}");
    let s = analysis::draft(db, &county, qt, r, ms("2021-04-02")).expect("draft");
    assert_eq!((s.status.as_str(), s.version), ("draft", 1));
    let a = analysis::show(db, qt, r).expect("show");
    let pension = a
        .lines
        .iter()
        .find(|l| l.item == "basic_pension")
        .expect("pensions");
    // budget × 3 ÷ 12, and the deviation from it
    assert_eq!(
        pension.expected,
        Fen::div_half_up(i128::from(pension.budget.fen()) * 3, 12).expect("e")
    );
    assert!(pension.beyond, "{pension:?}");
    let e = analysis::submit(db, &county, qt, r, ms("2021-04-03")).expect_err("unexplained");
    assert!(
        matches!(e, AppError::State(ref m) if m.contains("基本养老金支出")),
        "{e}"
    );
    let beyond: Vec<String> = a
        .lines
        .iter()
        .filter(|l| l.beyond)
        .map(|l| l.item.clone())
        .collect();
    for item in &beyond {
        analysis::explain(
            db,
            &county,
            qt,
            r,
            item,
            "一季度待遇调整尚未发放",
            ms("2021-04-03"),
        )
        .expect("explain");
    }
    let s = analysis::submit(db, &county, qt, r, ms("2021-04-20")).expect("on time");
    assert_eq!(s.version, 1 + beyond.len() as i64);
    assert!(analysis::show(db, qt, r).expect("show").lates.is_empty());
    let e = analysis::review(db, &county, qt, r, Verdict::Accept, ms("2021-04-21"))
        .expect_err("not the county's own");
    assert!(matches!(e, AppError::Forbidden(_)), "{e}");
    let e = analysis::review(db, &city, qt, r, Verdict::Return(" "), ms("2021-04-21"))
        .expect_err("a reason");
    assert!(matches!(e, AppError::Invalid(_)), "{e}");
    let s = analysis::review(
        db,
        &city,
        qt,
        r,
        Verdict::Return("说明不充分"),
        ms("2021-04-21"),
    )
    .expect("returned");
    assert_eq!(s.status, "returned");
    analysis::explain(
        db,
        &county,
        qt,
        r,
        "basic_pension",
        "调待资金 4 月补发",
        ms("2021-04-27"),
    )
    .expect("explain again");
    let s = analysis::submit(db, &county, qt, r, ms("2021-04-28")).expect("late");
    let a = analysis::show(db, qt, r).expect("show");
    assert_eq!(a.lates.len(), 1);
    assert_eq!(
        (
            a.lates[0].version,
            a.lates[0].days_late,
            a.lates[0].due_on.as_str()
        ),
        (s.version, 3, "2021-04-25")
    );
    analysis::review(db, &city, qt, r, Verdict::Accept, ms("2021-04-29")).expect("accepted");
    // the city's own analysis waits for its other counties
    analysis::draft(db, &city, qt, code(140100), ms("2021-04-29")).expect("city draft");
    let lines = analysis::show(db, qt, code(140100)).expect("city").lines;
    for l in lines.iter().filter(|l| l.beyond) {
        analysis::explain(
            db,
            &city,
            qt,
            code(140100),
            &l.item,
            "见各县说明",
            ms("2021-04-29"),
        )
        .expect("city explains");
    }
    let e = analysis::submit(db, &city, qt, code(140100), ms("2021-04-29")).expect_err("counties");
    assert!(
        matches!(e, AppError::State(ref m) if m.contains("下级的执行分析尚未全部审核通过")),
        "{e}"
    );
    let e = analysis::explain(db, &county, qt, r, "basic_pension", "x", ms("2021-04-30"))
        .expect_err("accepted");
    assert!(matches!(e, AppError::State(_)), "{e}");
    // every version kept: the first has no explanation, the last the second one
    let first = tongchou_store::analysis::lines(db, 20211, r, 1).expect("v1");
    assert!(first.iter().all(|l| l.explanation.is_empty()));
    let a = analysis::show(db, qt, r).expect("show");
    assert_eq!(
        a.state.as_ref().map(|s| s.status.as_str()),
        Some("accepted")
    );
    let p = a
        .lines
        .iter()
        .find(|l| l.item == "basic_pension")
        .expect("p");
    assert_eq!(p.explanation, "调待资金 4 月补发");
    let kinds: Vec<&str> = a.actions.iter().map(|x| x.action.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"draft"));
    assert_eq!(kinds.last(), Some(&"accept"));
    assert!(kinds.contains(&"return"));
    let late = tongchou_store::audit::list(
        db,
        &tongchou_store::audit::Filter {
            action: Some("analysis.late".into()),
            ..Default::default()
        },
    )
    .expect("audit")
    .len();
    assert_eq!(late, 1);
    let j = a.json(qt);
    assert_eq!(j["late"][0]["days_late"], 3);
    assert_eq!(j["status"], "accepted");
}

/// The performance evaluation of 2021 (January's execution against the adjusted budget): each
/// indicator is the kernel's over the execution's figures; the timeliness counts the months
/// allocated to every city; every parameter is reported.
fn performance(db: &mut Db) {
    use tongchou_app::{evaluation, execution};
    use tongchou_engine::evaluation as kernel;
    let e = evaluation::evaluate(db, 2021, None).expect("evaluate");
    assert_eq!(e.budget_number, Some(1));
    assert_eq!(e.regions[0].region, code(140000));
    assert_eq!(e.regions.len(), 1 + 11 + 117);
    let ex = execution::execution(db, 2021, None).expect("execution");
    let items: Vec<_> = ex
        .items()
        .into_iter()
        .filter(|i| i.region == code(140105))
        .collect();
    let sum = |side: Side, executed: bool| -> Fen {
        Fen::new(
            items
                .iter()
                .filter(|i| i.side == side)
                .map(|i| {
                    if executed {
                        i.executed.fen()
                    } else {
                        i.budget.fen()
                    }
                })
                .sum(),
        )
    };
    let county = e
        .regions
        .iter()
        .find(|r| r.region == code(140105))
        .expect("county");
    let f = &county.figures;
    assert_eq!(f.task, Fen::new(133_456_789));
    assert_eq!(f.expenditure_budget, sum(Side::Expenditure, false));
    assert_eq!(f.expenditure_final, sum(Side::Expenditure, true));
    assert_eq!(f.income_final, sum(Side::Income, true));
    let policy = Policy::builtin().expect("policy");
    let terms = tongchou_core::rules::governance::EvaluationTerms::at(&policy, date("2021-12-31"))
        .expect("terms");
    assert_eq!(county.indicators, kernel::evaluate(f, &terms));
    let rate = tongchou_engine::warning::ratio_of(
        i128::from(f.contributions.fen()),
        i128::from(f.task.fen()),
        4,
    );
    assert!(rate.is_some());
    assert_eq!(county.indicators[1].value, rate);
    // January's allocation to every city; the county's timeliness is its city's
    let months: std::collections::BTreeSet<Period> =
        tongchou_store::plans::city_allocations_of_year(db, 2021)
            .expect("allocations")
            .into_iter()
            .map(|(m, _, _)| m)
            .collect();
    assert!(!months.is_empty());
    let province = &e.regions[0].figures;
    assert_eq!(province.months_allocated, 11 * months.len() as i64);
    let city = e
        .regions
        .iter()
        .find(|r| r.region == code(140100))
        .expect("city");
    assert_eq!(
        (f.months_allocated, f.months_on_time),
        (city.figures.months_allocated, city.figures.months_on_time)
    );
    assert!(county.indicators[4].score.is_some());
    let j = e.json();
    assert!(
        j["regions"][0]["indicators"]["execution"]["parameters"]
            .as_array()
            .expect("params")
            .iter()
            .any(|p| p == "budget.evaluation.execution.weight"),
        "{j}"
    );
    assert!(
        j["parameters"]
            .as_array()
            .expect("parameters")
            .iter()
            .any(|p| p["name"] == "calendar.allocation_day")
    );
    let scoped = evaluation::evaluate(db, 2021, Some(code(140105))).expect("county");
    assert_eq!(scoped.regions.len(), 1);
    assert_eq!(scoped.sheet().rows.len(), 6);
}

/// February 2021's early warning measures each budget item against its time-progress
/// expectation (budget × 2 ÷ 12): 西城区's pensions budgeted at six times what it paid to date
/// are on schedule; budgeted at twelve times, they are 50 % behind, a warning for the county
/// agency with its evidence, in the JSON and the table.
fn deviation_warning(db: &mut Db) {
    use tongchou_app::warn;
    let feb: Period = "2021-02".parse().expect("p");
    let pension = |db: &mut Db| {
        warn::budget_items(db, feb)
            .expect("items")
            .into_iter()
            .find(|i| i.region == code(140105) && i.item == "基本养老金支出")
            .expect("pensions")
    };
    let executed = pension(db).executed;
    assert!(executed.is_positive(), "{executed}");
    let set = |db: &mut Db, fen: i64| {
        db.exec(
            "UPDATE budget_lines SET amount_fen = $1 WHERE item = 'basic_pension' AND region = 140105",
            &[tongchou_store::Val::I64(fen)],
        )
        .expect("set budget");
    };
    let deviations = |db: &mut Db| -> Vec<tongchou_engine::warning::Warning> {
        let report = warn::compute(db, feb).expect("warn");
        let county = report
            .regions
            .iter()
            .find(|r| r.region == code(140105))
            .expect("county");
        county
            .warnings
            .iter()
            .filter(|w| w.indicator == "budget_deviation" && w.message.contains("基本养老金"))
            .cloned()
            .collect()
    };
    set(db, executed.fen() * 6);
    assert_eq!(pension(db).budget.fen(), executed.fen() * 6);
    assert!(deviations(db).is_empty(), "on schedule");
    set(db, executed.fen() * 12);
    let w = deviations(db);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].message.contains("-50%"), "{}", w[0].message);
    let expected = Fen::new(executed.fen() * 2);
    assert!(
        w[0].evidence
            .contains(&format!("序时进度 {} 元", expected.grouped()))
            && w[0]
                .evidence
                .contains(&format!("实际执行 {} 元", executed.grouped())),
        "{}",
        w[0].evidence
    );
    assert!(w[0].act.starts_with("县社保经办机构"), "{}", w[0].act);
    let report = warn::compute(db, feb).expect("warn");
    let j = warn::json(&report, Some(code(140105))).expect("json");
    let listed = j["regions"][0]["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .any(|w| w["indicator"] == "budget_deviation");
    assert!(listed, "{j}");
    let sheet = warn::sheet(&report, Some(code(140105))).expect("sheet");
    let in_sheet = sheet.rows.iter().flatten().any(
        |c| matches!(c, tongchou_app::reports::sheet::Cell::Text(t) if t.contains("序时进度")),
    );
    assert!(in_sheet);
}

/// February 2021's fund-use application against what is left of the approved expenditure
/// budget: within it, nothing to confirm; with the budget's pensions cut below what January
/// already paid, the finance approver's full approval is refused until they confirm it, and the
/// confirmation is in the approval's note.
fn over_budget(db: &mut Db, policy: &Policy, tag: &str) {
    use tongchou_app::disburse::PlanDecision;
    use tongchou_app::execution;
    use tongchou_engine::disbursement::Decision;
    let feb: Period = "2021-02".parse().expect("p");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 1,
        behaviour: Behaviour::default(),
    });
    collect::run_month(db, policy, feb, src).expect("collection");
    let out = std::env::temp_dir().join(format!("tc-final-over-{}-{tag}", std::process::id()));
    let mut opts = MonthOptions::new(&out);
    opts.bank = Some(tongchou_sim::bank::counterpart(300, 1));
    opts.decision = PlanDecision::Recorded;
    let actors = disburse::Actors {
        officer: tongchou_store::access::get_user(db, "officer")
            .expect("q")
            .expect("officer")
            .principal(),
        approver: None,
    };
    disburse::run_month(db, policy, feb, &actors, &opts).expect("up to the plans");
    let p = code(140000);
    let h = execution::headroom(db, feb, p)
        .expect("headroom")
        .expect("approved");
    let fa = final_accounts::compute_through(db, 2021, "2021-01".parse().expect("p")).expect("fa");
    let items = Items::standard();
    let paid_jan: i64 = items
        .side(Side::Expenditure)
        .filter(|(_, it)| it.role.is_none())
        .map(|(i, _)| fa.books[0].consolidated.as_ref().expect("p").amounts[i].fen())
        .sum();
    assert_eq!(h.executed.fen(), paid_jan);
    assert_eq!(
        h.remaining.fen(),
        h.budget.fen() - h.executed.fen() - h.committed.fen()
    );
    assert!(h.remaining.is_positive(), "{h:?}");
    // the budget's pensions cut to nothing: February's application is over it
    db.exec(
        "UPDATE budget_lines SET amount_fen = 0 WHERE item = 'basic_pension'",
        &[],
    )
    .expect("cut");
    let fin = tongchou_store::access::get_user(db, "fin.approver")
        .expect("q")
        .expect("fin")
        .principal();
    let e = disburse::decide_fund_plan(db, &fin, feb, &Decision::Full, 1).expect_err("over");
    assert!(e.to_string().contains("超出批准的支出预算"), "{e}");
    use tongchou_core::i18n::{Lang, scope};
    let e = scope(Lang::En, || {
        disburse::decide_fund_plan(db, &fin, feb, &Decision::Full, 1).expect_err("over")
    });
    assert!(
        e.to_string()
            .contains("over the approved expenditure budget: this month's allocation"),
        "{e}"
    );
    // confirmed by a reader of English: the approval's note is kept in Chinese
    let a = scope(Lang::En, || {
        disburse::decide_fund_plan_checked(db, &fin, feb, &Decision::Full, true, 2)
    })
    .expect("confirmed");
    assert!(
        a["note"]
            .as_str()
            .expect("note")
            .contains("超预算拨付已确认"),
        "{a}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

/// A reviewer at the province for the cities, and for counties outside 太原 (a city agency of
/// the county's own city would do the same).
fn hrss_stand_in(db: &mut Db) -> tongchou_core::access::Principal {
    match tongchou_store::access::get_user(db, "reviewer2").expect("q") {
        Some(u) => u.principal(),
        None => testing::add_user(
            db,
            "reviewer2",
            Role::ProvinceBureauOfficer,
            140000,
            "correct horse battery staple",
        ),
    }
}

#[test]
fn budget_chain_on_sqlite() {
    budget_chain(&testing::sqlite_url("budget"), "sqlite");
}

#[test]
fn budget_chain_on_postgres() {
    budget_chain(&testing::pg_url("budget"), "pg");
}
