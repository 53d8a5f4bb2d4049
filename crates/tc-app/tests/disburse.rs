//! The disbursement month on both backends: payroll, plans, maker–checker approval, allocation by
//! the 10th (and a late one), payment files, bank returns with rejects and re-issues.

mod common;

use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_core::{Fen, Period, Policy};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, Val, testing};

/// Other income recorded by the operator "test" (true when it was new).
fn record_income(
    db: &mut Db,
    key: &str,
    region: tongchou_core::RegionCode,
    kind: &str,
    amount: Fen,
    date: tongchou_core::Date,
) -> bool {
    let income = tongchou_app::income::Income {
        key,
        region,
        kind,
        amount,
        date,
        reference: "test",
    };
    let who = tongchou_store::audit::Actor::operator("test");
    tongchou_app::income::record(db, &who, tongchou_app::clock::now_ms(), &income).expect("record")
}

fn run(url: &str) {
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 3000, "2020-01");
    let actors = common::actors(&mut db);
    let seeded =
        tongchou_sim::historical::seed(&mut db, 3, "2019-12-31".parse().expect("d")).expect("seed");
    assert!(seeded > 100);
    let policy = Policy::builtin().expect("policy");
    let backend = if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "pg"
    };
    let out = std::env::temp_dir().join(format!("tc-disburse-{}-{backend}", std::process::id()));
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 1,
        behaviour: Behaviour::default(),
    });
    for (i, m) in ["2020-01", "2020-02", "2020-03"].iter().enumerate() {
        let month: Period = m.parse().expect("p");
        let c = collect::run_month(&mut db, &policy, month, src).expect("collection");
        if i == 0 {
            // every demand balance is remitted in January; fixed deposits wait for maturity
            assert!(c.historical_remitted.is_positive());
            let open = db.query_i64("SELECT count(*) FROM historical_balances WHERE remitted_on IS NULL AND deposit_kind = 'demand'", &[]).expect("q");
            assert_eq!(open, 0);
            let fixed = db.query_i64("SELECT count(*) FROM historical_balances WHERE remitted_on IS NULL AND deposit_kind = 'fixed'", &[]).expect("q");
            assert!(fixed > 0);
            // other income lands in the provincial fiscal special account; recording it twice is a no-op
            let d: tongchou_core::Date = "2020-01-20".parse().expect("d");
            let pr = tongchou_core::RegionCode::new(140000).expect("c");
            assert!(record_income(
                &mut db,
                "subsidy/202001",
                pr,
                "subsidy-province",
                Fen::new(100_000_000),
                d
            ));
            assert!(!record_income(
                &mut db,
                "subsidy/202001",
                pr,
                "subsidy-province",
                Fen::new(100_000_000),
                d
            ));
            let city = tongchou_core::RegionCode::new(140100).expect("c");
            assert!(record_income(
                &mut db,
                "subsidy/202001/city",
                city,
                "subsidy-city",
                Fen::new(500_000),
                d
            ));
            // each recorded income is audited once (the repeat changed nothing and audits nothing)
            let audited = tongchou_store::audit::list(
                &mut db,
                &tongchou_store::audit::Filter {
                    action: Some("income.record".into()),
                    ..Default::default()
                },
            )
            .expect("audit");
            let keys: Vec<(&str, Option<i64>)> = audited
                .iter()
                .map(|r| (r.object_id.as_str(), r.region))
                .collect();
            assert_eq!(
                keys,
                [
                    ("subsidy/202001/city", Some(140100)),
                    ("subsidy/202001", Some(140000))
                ]
            );
            assert!(
                audited[1].details.contains("100000000"),
                "{}",
                audited[1].details
            );
        }
        let mut opts = MonthOptions::new(&out.join(m));
        opts.bank = Some(tongchou_sim::bank::counterpart(300, 1));
        if i == 1 {
            opts.allocation_day = Some(12); // two days late
            opts.approve_share = 9_000; // 90% approved
        }
        let r = disburse::run_month(&mut db, &policy, month, &actors, &opts).expect("disbursement");
        assert!(r["returns"]["rejected"].as_u64().unwrap_or(0) > 0, "{r}");
        if i == 0 {
            // every county went out whole and every payment was answered: the accepted ones are
            // paid by their message (migration 0073), not one row at a time
            let (stored, seen) = (
                "SELECT count(*) FROM payroll_line_rows WHERE month = 202001 AND status = 'paid'",
                "SELECT count(*) FROM payroll_lines WHERE month = 202001 AND status = 'paid'",
            );
            assert_eq!(db.query_i64(stored, &[]).expect("q"), 0);
            assert!(db.query_i64(seen, &[]).expect("q") > 0);
        }
        let check = Ledger::new(&mut db).check().expect("check");
        assert!(check.problem.is_none(), "{:?}", check.problem);
        let figs = disburse::figures(&mut db, month).expect("figures");
        let province = figs.iter().find(|f| f.region == 140000).expect("province");
        let cities: Vec<_> = figs.iter().filter(|f| f.region != 140000).collect();
        assert!(province.planned >= province.approved);
        let allocated: i64 = cities.iter().map(|c| c.allocated.fen()).sum();
        assert_eq!(allocated, province.approved.fen(), "approved = allocated");
        let issued: i64 = cities.iter().map(|c| c.issued.fen()).sum();
        let settled: i64 = cities
            .iter()
            .map(|c| c.paid.fen() + c.returned.fen() + c.pending.fen())
            .sum();
        assert_eq!(issued, settled, "issued = paid + returned + pending");
        // how each city's month adds up (RegionFigures), and the province adds up its cities
        for c in figs.iter() {
            assert_eq!(
                c.need.fen(),
                c.planned.fen() + c.from_balance.fen(),
                "{}: need",
                c.region
            );
            assert!(
                c.from_balance.fen() >= 0,
                "{}: a plan never asks more than the payroll",
                c.region
            );
            assert_eq!(
                c.need.fen(),
                c.issued.fen() + c.deferred.fen(),
                "{}: issued + deferred",
                c.region
            );
            assert_eq!(
                c.issued.fen(),
                c.paid.fen() + c.returned.fen() + c.pending.fen(),
                "{}: issued",
                c.region
            );
            if i != 1 {
                // a full approval pays the whole payroll: allocated + from balance is all paid,
                // returned or pending
                assert_eq!(c.deferred.fen(), 0, "{}", c.region);
                assert_eq!(
                    c.allocated.fen() + c.from_balance.fen(),
                    c.paid.fen() + c.returned.fen() + c.pending.fen(),
                    "{}: allocated + from balance",
                    c.region
                );
            }
        }
        let sum = |f: fn(&disburse::RegionFigures) -> i64| cities.iter().map(|c| f(c)).sum::<i64>();
        assert_eq!(province.need.fen(), sum(|c| c.need.fen()));
        assert_eq!(province.paid.fen(), sum(|c| c.paid.fen()));
        assert_eq!(province.allocated.fen(), allocated);
        if i == 0 {
            assert_eq!(
                province.from_balance.fen(),
                0,
                "nothing on hand in the first month"
            );
        } else if i == 1 {
            // January's returned payments sat in the county accounts and pay February's re-issues
            assert!(province.from_balance.is_positive(), "{province:?}");
            // 90 % approved: some lines wait for money, deferred, and the run says how many
            assert!(province.deferred.is_positive(), "{province:?}");
            let deferred = db
                .query_i64(
                    "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM payroll_lines WHERE month = 202002 AND status = 'deferred'",
                    &[],
                )
                .expect("q");
            assert_eq!(deferred, province.deferred.fen());
            assert_eq!(r["pay"]["deferred_fen"].as_i64(), Some(deferred), "{r}");
            assert!(
                r["pay"]["deferred_persons"].as_u64().unwrap_or(0) > 0,
                "{r}"
            );
        } else {
            // March carries every deferred February line forward: one successor each, the same
            // person, item and amount, in March's payroll; nothing of February is left unpaid
            let carried = db
                .query_i64("SELECT count(*) FROM payroll_lines WHERE month = 202002 AND status = 'carried'", &[])
                .expect("q");
            assert!(carried > 0);
            assert_eq!(r["payroll"]["carried_in"].as_i64(), Some(carried), "{r}");
            let followed = db
                .query_i64("SELECT count(*) FROM payroll_lines l JOIN payroll_lines o ON o.end_to_end = l.reissue_of WHERE o.status = 'carried' AND l.month = 202003 AND l.person_id = o.person_id AND l.item = o.item AND l.amount_fen = o.amount_fen AND l.attempt > o.attempt", &[])
                .expect("q");
            assert_eq!(followed, carried);
            let stranded = db
                .query_i64("SELECT count(*) FROM payroll_lines WHERE month < 202003 AND status IN ('planned', 'deferred')", &[])
                .expect("q");
            assert_eq!(stranded, 0, "no line of an earlier month is left unpaid");
            assert_eq!(province.deferred.fen(), 0, "{province:?}");
            // the month report shows what was carried in: February's deferred amount
            let feb = disburse::figures(&mut db, "2020-02".parse().expect("p")).expect("figures");
            let feb_deferred = feb
                .iter()
                .find(|f| f.region == 140000)
                .expect("province")
                .deferred;
            assert_eq!(province.carried_in, feb_deferred, "{province:?}");
            let by_city: i64 = cities.iter().map(|c| c.carried_in.fen()).sum();
            assert_eq!(by_city, province.carried_in.fen());
        }
        assert!(
            issued <= allocated + if i == 0 { 0 } else { province.planned.fen() },
            "never pays more than it holds"
        );
        if i == 1 {
            assert!(cities.iter().all(|c| c.late_days == 2));
            let breaches = db
                .query_i64("SELECT count(*) FROM breaches WHERE month = 202002", &[])
                .expect("q");
            assert_eq!(breaches as usize, cities.len());
            // February re-issues January's returned payments, linked to them
            let reissued = db
                .query_i64("SELECT count(*) FROM payroll_lines l JOIN payroll_lines o ON o.end_to_end = l.reissue_of WHERE l.month = 202002 AND o.month = 202001 AND l.item = o.item AND l.attempt = o.attempt + 1 AND l.person_id = o.person_id", &[])
                .expect("q");
            assert!(reissued > 0);
        }
        // every file the month recorded is there under its final name, none is left staged
        let files = db
            .query(
                "SELECT xml_path, csv_path, xml_sha256 FROM payment_files WHERE month = $1 ORDER BY msg_id",
                &[Val::I64(month.yyyymm() as i64)],
            )
            .expect("q");
        assert!(!files.is_empty());
        for f in &files {
            let xml = std::fs::read(f[0].text().expect("t")).expect("xml file");
            assert_eq!(tongchou_bank::file_digest(&xml), f[2].text().expect("t"));
            assert!(std::path::Path::new(f[1].text().expect("t")).exists());
        }
        let dir = out.join(m);
        let staged = |dir: &std::path::Path| {
            std::fs::read_dir(dir)
                .expect("dir")
                .filter_map(|e| e.ok())
                .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
                .count()
        };
        assert_eq!(staged(&dir), 0);
        // a run killed after the pay step committed and before its files took their final names
        // left them staged; one killed before a commit left a file the database does not know:
        // the next run of the month renames the first and discards the second
        let first = std::path::PathBuf::from(files[0][0].text().expect("t"));
        let mut part = first.clone().into_os_string();
        part.push(".part");
        std::fs::rename(&first, &part).expect("rename");
        let stray = dir.join(format!("TC140105{}9999.csv.part", month.yyyymm()));
        std::fs::write(&stray, "uncommitted").expect("stray");
        // a complete month is refused
        assert!(disburse::run_month(&mut db, &policy, month, &actors, &opts).is_err());
        let xml = std::fs::read(&first).expect("renamed back");
        assert_eq!(
            tongchou_bank::file_digest(&xml),
            files[0][2].text().expect("t")
        );
        assert!(!stray.exists());
        assert_eq!(staged(&dir), 0);
    }
    // each person is paid at most once per month and item (first attempt)
    let dup = db
        .query_i64(
            "SELECT count(*) FROM (SELECT month, person_id, item FROM payroll_lines WHERE attempt = 0 GROUP BY month, person_id, item HAVING count(*) > 1) d",
            &[],
        )
        .expect("q");
    assert_eq!(dup, 0);
    // re-reading a return file changes nothing
    let path = db
        .query("SELECT file_name FROM bank_returns ORDER BY file_name", &[])
        .expect("q")[0][0]
        .text()
        .expect("t")
        .to_string();
    let bytes = std::fs::read(&path).expect("read");
    let before = disburse::state_digest(&mut db).expect("digest");
    let r = disburse::read_returns(&mut db, &path, &bytes, "2020-03-01".parse().expect("d"))
        .expect("reread");
    assert!(r.already_read);
    assert_eq!(disburse::state_digest(&mut db).expect("digest"), before);
    // the approval was made by someone other than the submitter
    let self_approved = db
        .query_i64(
            "SELECT count(*) FROM approvals WHERE decided_by = submitted_by",
            &[],
        )
        .expect("q");
    let decided = db
        .query_i64(
            "SELECT count(*) FROM approvals WHERE kind = $1 AND decided_by IS NOT NULL",
            &[Val::Str("fund_plan")],
        )
        .expect("q");
    assert_eq!(decided, 3);
    assert_eq!(self_approved, 0);
    let paid: i64 = db
        .query_i64(
            "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM payroll_lines WHERE status = 'paid'",
            &[],
        )
        .expect("q");
    assert!(Fen::new(paid).is_positive());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn disbursement_months_on_sqlite() {
    run(&testing::sqlite_url("disburse"));
}

#[test]
fn disbursement_months_on_postgres() {
    run(&testing::pg_url("disburse"));
}

/// Three months with bank returns read from files (issue 10's "done when"): January's status
/// reports arrive only after February's payroll ran (late), every payment rejected; February is
/// approved at 85 % (lines deferred); a malformed file is refused and a return that disagrees with
/// what was sent is quarantined, neither changing a payment. March re-issues January's and
/// February's returned pensions of the same person together — with distinct attempts and
/// end-to-end ids — and carries February's deferred lines: nothing is left planned or deferred,
/// each returned payment is re-issued exactly once, and the ledger checks.
fn late_returns(url: &str, tag: &str) {
    use tongchou_bank::{DateTime, StatusReport, payment_info_id_of, write_pain002};
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 1500, "2020-01");
    let actors = common::actors(&mut db);
    let policy = Policy::builtin().expect("policy");
    let out = std::env::temp_dir().join(format!("tc-late-returns-{}-{tag}", std::process::id()));
    let pr = tongchou_core::RegionCode::new(140000).expect("c");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 3,
        behaviour: Behaviour::default(),
    });
    let month = |db: &mut Db, m: &str, rejects: Option<u32>, share: u32| {
        let period: Period = m.parse().expect("p");
        collect::run_month(db, &policy, period, src).expect("collection");
        record_income(
            db,
            &format!("subsidy/{m}"),
            pr,
            "subsidy-province",
            Fen::new(100_000_000),
            period.day(2),
        );
        let mut opts = MonthOptions::new(&out.join(m));
        opts.bank = rejects.map(|r| tongchou_sim::bank::counterpart(r, 1));
        opts.approve_share = share;
        disburse::run_month(db, &policy, period, &actors, &opts).expect("disbursement");
    };
    // January: files sent, no answer yet; February: 85 % approved (the rest deferred), every
    // payment rejected at once
    month(&mut db, "2020-01", None, 10_000);
    month(&mut db, "2020-02", Some(10_000), 8_500);
    let deferred = db
        .query_i64(
            "SELECT count(*) FROM payroll_lines WHERE month = 202002 AND status = 'deferred'",
            &[],
        )
        .expect("q");
    assert!(deferred > 0, "a partial approval defers lines");
    // January's answers arrive now: everything rejected
    let files = db
        .query(
            "SELECT msg_id, county FROM payment_files WHERE month = 202001 ORDER BY msg_id",
            &[],
        )
        .expect("files");
    let on: tongchou_core::Date = "2020-02-20".parse().expect("d");
    for f in &files {
        let (msg, county) = (f[0].text().expect("msg"), f[1].i64().expect("county"));
        let lines = db
            .query(
                "SELECT end_to_end, amount_fen FROM payroll_lines WHERE month = 202001 AND county = $1 AND msg_id = $2 ORDER BY end_to_end",
                &[Val::I64(county), Val::Str(msg)],
            )
            .expect("lines");
        let payments: Vec<(&str, Fen)> = lines
            .iter()
            .map(|r| {
                (
                    r[0].text().expect("e2e"),
                    Fen::new(r[1].i64().expect("amount")),
                )
            })
            .collect();
        let rejects: Vec<(&str, &str)> = payments.iter().map(|p| (p.0, "AC04")).collect();
        let report = StatusReport::for_payments(
            msg,
            &payment_info_id_of(msg),
            &payments,
            &format!("LATE{msg}"),
            DateTime::new(on, 10, 0, 0).expect("t"),
            &rejects,
        );
        let xml = write_pain002(&report, 10);
        let r = disburse::read_returns(&mut db, &format!("late-{msg}.xml"), xml.as_bytes(), on)
            .expect("late returns");
        assert_eq!(r.rejected as usize, payments.len());
    }
    let states = |db: &mut Db| {
        db.query(
            "SELECT status, count(*) FROM payroll_lines GROUP BY status ORDER BY status",
            &[],
        )
        .expect("q")
        .iter()
        .map(|r| (r[0].text().expect("s").to_string(), r[1].i64().expect("n")))
        .collect::<Vec<_>>()
    };
    let before = states(&mut db);
    // a malformed file is refused, changing nothing
    let bad = disburse::read_returns(&mut db, "garbage.xml", b"<Document><oops", on);
    assert!(bad.is_err(), "{bad:?}");
    // a return that disagrees with what was sent (another amount for a known payment) is
    // quarantined, changing nothing
    let f = &files[0];
    let msg = f[0].text().expect("msg");
    let known = db
        .query(
            "SELECT end_to_end, amount_fen FROM payroll_lines WHERE msg_id = $1 ORDER BY end_to_end LIMIT 1",
            &[Val::Str(msg)],
        )
        .expect("line");
    let e2e = known[0][0].text().expect("e2e").to_string();
    let wrong = Fen::new(known[0][1].i64().expect("amount") + 1);
    let report = StatusReport::for_payments(
        msg,
        &payment_info_id_of(msg),
        &[(e2e.as_str(), wrong)],
        &format!("ODD{msg}"),
        DateTime::new(on, 11, 0, 0).expect("t"),
        &[],
    );
    let xml = write_pain002(&report, 10);
    let odd = disburse::read_returns(&mut db, "odd.xml", xml.as_bytes(), on).expect("odd");
    assert!(odd.quarantined + odd.conflicts >= 1, "{odd:?}");
    assert_eq!(
        states(&mut db),
        before,
        "a quarantined return changes no payment"
    );
    // March re-issues both months' returned pensions and pays February's deferred lines
    month(&mut db, "2020-03", Some(0), 10_000);
    let stranded = db
        .query_i64(
            "SELECT count(*) FROM payroll_lines WHERE month < 202003 AND status IN ('planned', 'deferred')",
            &[],
        )
        .expect("q");
    assert_eq!(stranded, 0, "nothing deferred is left behind");
    // every carried line has its successor in March
    let orphans = db
        .query_i64(
            "SELECT count(*) FROM payroll_lines c WHERE c.status = 'carried' \
             AND NOT EXISTS (SELECT 1 FROM payroll_lines x WHERE x.reissue_of = c.end_to_end AND x.month = 202003)",
            &[],
        )
        .expect("q");
    assert_eq!(orphans, 0);
    let pairs = db
        .query_i64(
            "SELECT count(*) FROM (SELECT person_id FROM payroll_lines WHERE month = 202003 AND reissue_of IS NOT NULL \
             GROUP BY person_id HAVING count(*) = 2 AND count(DISTINCT attempt) = 2) t",
            &[],
        )
        .expect("q");
    assert!(pairs > 100, "{pairs} persons with two re-issues in March");
    // each returned payment is re-issued exactly once, and all March payments were accepted
    let open = db
        .query_i64(
            "SELECT count(*) FROM payroll_lines r WHERE r.status = 'returned' \
             AND NOT EXISTS (SELECT 1 FROM payroll_lines x WHERE x.reissue_of = r.end_to_end)",
            &[],
        )
        .expect("q");
    assert_eq!(open, 0);
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    // the payroll's stored totals (migration 0048) moved with every line paid, re-issued and
    // carried, late answers included; one that no longer adds up its lines is caught
    let totals = |db: &mut Db| -> Vec<String> {
        collect::reconcile(db)
            .expect("reconcile")
            .into_iter()
            .filter(|p| p.contains("发放合计与明细不符"))
            .collect()
    };
    assert_eq!(totals(&mut db), Vec::<String>::new());
    db.exec(
        "UPDATE payroll_totals SET paid_fen = paid_fen + 1 WHERE month = 202001 AND county = \
         (SELECT MIN(county) FROM payroll_totals WHERE month = 202001)",
        &[],
    )
    .expect("tamper");
    assert_eq!(totals(&mut db).len(), 1, "{:?}", totals(&mut db));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn late_returns_on_sqlite() {
    late_returns(&testing::sqlite_url("late"), "sqlite");
}

#[test]
fn late_returns_on_postgres() {
    late_returns(&testing::pg_url("late"), "pg");
}

/// October's payroll pays the winter heating subsidy once to every pensioner whose pension is
/// paid that month, with its own lines in the payment files and the ledger.
fn heating(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    common::province(&mut db, 1500, "2020-10");
    let actors = common::actors(&mut db);
    let policy = Policy::builtin().expect("policy");
    let out = std::env::temp_dir().join(format!("tc-heating-{}-{tag}", std::process::id()));
    let period: Period = "2020-10".parse().expect("p");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 3,
        behaviour: Behaviour::default(),
    });
    collect::run_month(&mut db, &policy, period, src).expect("collection");
    record_income(
        &mut db,
        "subsidy/2020-10",
        tongchou_core::RegionCode::new(140000).expect("c"),
        "subsidy-province",
        Fen::new(2_000_000_000),
        period.day(2),
    );
    let mut opts = MonthOptions::new(&out);
    opts.bank = Some(tongchou_sim::bank::counterpart(0, 1));
    disburse::run_month(&mut db, &policy, period, &actors, &opts).expect("disbursement");
    let count = |db: &mut Db, item: &str| {
        db.query_i64(
            "SELECT count(*) FROM payroll_lines WHERE month = 202010 AND item = $1 AND attempt = 0",
            &[Val::Str(item)],
        )
        .expect("q")
    };
    let pensions = count(&mut db, "basic_pension");
    assert!(pensions > 100);
    assert_eq!(count(&mut db, "heating_subsidy"), pensions);
    let amounts = db
        .query_i64(
            "SELECT count(*) FROM payroll_lines WHERE month = 202010 AND item = 'heating_subsidy' AND (amount_fen <> 336000 OR status <> 'paid')",
            &[],
        )
        .expect("q");
    assert_eq!(amounts, 0, "3,360 yuan each, all paid");
    let posted = Ledger::new(&mut db)
        .transfer("pay/202010/140105/heating_subsidy/final")
        .expect("ledger");
    assert!(posted.is_some(), "posted in the ledger per county");
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    assert!(disburse::check_payments(&mut db).expect("guard").is_empty());
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn heating_subsidy_on_sqlite() {
    heating(&testing::sqlite_url("heating"), "sqlite");
}

#[test]
fn heating_subsidy_on_postgres() {
    heating(&testing::pg_url("heating"), "pg");
}

/// How [`FailingBank`] fails.
#[derive(Clone, Copy, Debug)]
enum Failure {
    Error,
    Panic,
    /// An answer that is not UTF-8.
    Garbage,
}

/// A bank counterpart that answers like the simulated bank until its `fail_at`-th file, then
/// fails.
struct FailingBank {
    inner: disburse::Counterpart,
    fail_at: usize,
    failure: Failure,
    seen: std::sync::atomic::AtomicUsize,
}

impl disburse::BankCounterpart for FailingBank {
    fn answer(&self, sent: &disburse::SentFile<'_>) -> tongchou_app::Result<Vec<u8>> {
        let n = self.seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        if n == self.fail_at {
            match self.failure {
                Failure::Error => return Err(tongchou_app::AppError::Invalid("bank down".into())),
                Failure::Panic => panic!("the bank counterpart breaks down"),
                Failure::Garbage => return Ok(vec![0xff, 0xfe]),
            }
        }
        self.inner.0.answer(sent)
    }
}

/// The bank files are prepared on a worker thread beside the database work: an error of the
/// counterpart answering a file surfaces as itself, a panicking one as an error (not a hang), a
/// file refused by the worker in the caller's language; either way the returns step writes
/// nothing and leaves no answer under its final name, and the next run answers every file.
#[test]
fn a_failing_bank_counterpart_stops_the_returns_step() {
    use tongchou_core::i18n::{Lang, scope};
    let mut db = Db::open(&testing::sqlite_url("failing-bank")).expect("open");
    common::province(&mut db, 1500, "2020-01");
    let actors = common::actors(&mut db);
    let policy = Policy::builtin().expect("policy");
    let out = std::env::temp_dir().join(format!("tc-failing-bank-{}", std::process::id()));
    let period: Period = "2020-01".parse().expect("p");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 3,
        behaviour: Behaviour::default(),
    });
    collect::run_month(&mut db, &policy, period, src).expect("collection");
    let answers = |out: &std::path::Path| {
        std::fs::read_dir(out)
            .expect("dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".pain002.xml"))
            .count()
    };
    let mut opts = MonthOptions::new(&out);
    for failure in [Failure::Error, Failure::Panic, Failure::Garbage] {
        opts.bank = Some(disburse::Counterpart(std::sync::Arc::new(FailingBank {
            inner: tongchou_sim::bank::counterpart(0, 1),
            fail_at: 1,
            failure,
            seen: Default::default(),
        })));
        let e = scope(Lang::En, || {
            disburse::run_month(&mut db, &policy, period, &actors, &opts)
        })
        .expect_err("fails");
        assert!(matches!(e, tongchou_app::AppError::Invalid(_)), "{e:?}");
        let msg = e.to_string();
        match failure {
            Failure::Error => assert_eq!(msg, "bank down"),
            Failure::Panic => assert_eq!(
                msg,
                scope(Lang::En, || tongchou_core::tr!("app-dis-bank-worker"))
            ),
            Failure::Garbage => assert!(msg.ends_with(".pain002.xml: not UTF-8"), "{msg}"),
        }
        assert_eq!(answers(&out), 0, "no answer published");
        assert!(
            !tongchou_app::jobs::is_done(&mut db, disburse::JOB, period, "returns").expect("q")
        );
    }
    opts.bank = Some(tongchou_sim::bank::counterpart(0, 1));
    let r = disburse::run_month(&mut db, &policy, period, &actors, &opts).expect("disbursement");
    let files = db
        .query_i64(
            "SELECT count(*) FROM payment_files WHERE month = 202001",
            &[],
        )
        .expect("q");
    assert!(files > 1, "{r}");
    // the answers staged by the failed runs were discarded, each file is answered once
    assert_eq!(answers(&out), files as usize);
    let _ = std::fs::remove_dir_all(&out);
}
