//! The collection month on both backends: assessments, receipts, arrears, ledger and
//! reconciliation, refusal of a second run, and atomicity.

use tongchou_app::collect::{self, ReceiptSource};
use tongchou_core::{Divisions, IdNumber, Period, Policy, RegionCode};
use tongchou_engine::collection::Receipt;
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::ledger::Ledger;
use tongchou_store::registry::{self, EmployerRow, PersonRow};
use tongchou_store::{Db, Val, Value, testing};

const COUNTIES: [u32; 3] = [140105, 140212, 141102];

fn seed(db: &mut Db, persons: i64) {
    Ledger::new(db)
        .open_standard(Divisions::shanxi())
        .expect("open accounts");
    registry::write_employers(db, &mut |push| {
        for (i, c) in COUNTIES.iter().enumerate() {
            let code = tongchou_core::CreditCode::from_parts(
                b'9',
                b'1',
                RegionCode::new(*c).expect("c"),
                b"MA0K7Q2L",
            )
            .map(|c| c.to_string())
            .unwrap_or_else(|| format!("91{c}MA0K7Q2{i}X"));
            push(&EmployerRow {
                id: i as i64 + 1,
                credit_code: &code,
                name: "测试有限公司",
                county: *c as i64,
                industry: "C",
                status: "active",
                status_since: "2015-01-01",
                registered_on: "2015-01-01",
            })?;
        }
        Ok(())
    })
    .expect("employers");
    registry::write_persons(db, &mut |push| {
        for id in 1..=persons {
            let county = COUNTIES[(id % 3) as usize];
            let birth = tongchou_core::Date::new(
                1970 + (id % 20) as i32,
                1 + (id % 12) as u8,
                1 + (id % 28) as u8,
            )
            .expect("d");
            let idn = IdNumber::from_parts(
                RegionCode::new(county).expect("c"),
                birth,
                (id % 999 + 1) as u16,
            );
            let flexible = id % 10 == 0;
            let b = birth.to_string();
            push(&PersonRow {
                id,
                id_number: idn.as_str(),
                name: "张三",
                sex: if idn.sex() == tongchou_core::Sex::Male {
                    "male"
                } else {
                    "female"
                },
                birth: &b,
                category: if idn.sex() == tongchou_core::Sex::Male {
                    "male"
                } else {
                    "female-worker"
                },
                county: county as i64,
                employer_id: if flexible { None } else { Some((id % 3) + 1) },
                payer_kind: if flexible { "flexible" } else { "employee" },
                status: "active",
                status_since: "2015-01-01",
                enrolled_on: "2015-01-01",
                declared_fen: 200_000 + id * 1_000,
                as_of: 202001,
                paid_months: 60,
                deemed_months: 0,
                avg_index: 100_000_000,
                balance_fen: 1_000_000,
            })?;
        }
        Ok(())
    })
    .expect("persons");
    db.exec(
        "INSERT INTO county_settings (county, has_income_account) VALUES ($1, 1)",
        &[Val::I64(141102)],
    )
    .expect("settings");
}

fn run(url: &str) {
    let mut db = Db::open(url).expect("open");
    seed(&mut db, 600);
    let policy = Policy::builtin().expect("policy");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 7,
        behaviour: Behaviour {
            late: 1500,
            partial: 1000,
            none: 500,
        },
    });
    let mut last = None;
    for m in ["2020-01", "2020-02", "2020-03"] {
        let p: Period = m.parse().expect("p");
        let r = collect::run_month(&mut db, &policy, p, src).expect("month");
        assert_eq!(r.contributors, 600);
        assert!(r.collected.fen() > 0, "{r:?}");
        eprintln!(
            "{m}: assessed {} collected {} arrears {} fees {}",
            r.assessed, r.collected, r.arrears, r.late_fees
        );
        assert!(r.arrears_items > 0, "some arrears with 5% not paying");
        last = Some(r);
        // ledger invariants and the reconciliation hold at every month end
        let check = Ledger::new(&mut db).check().expect("check");
        assert!(check.problem.is_none(), "{:?}", check.problem);
        assert_eq!(
            collect::reconcile(&mut db).expect("reconcile"),
            Vec::<String>::new()
        );
        let v = Ledger::new(&mut db).month_end_check(p).expect("month end");
        assert!(
            v.is_empty(),
            "income accounts not empty at month end: {v:?}"
        );
    }
    let r = last.expect("report");
    assert!(r.late_fees.fen() > 0, "late payers pay fees");
    // a second close of the same month is refused and changes nothing
    let before = db
        .query_i64("SELECT count(*) FROM assessments", &[])
        .expect("count");
    let Err(e) = collect::run_month(&mut db, &policy, "2020-03".parse().expect("p"), src) else {
        panic!("a closed month ran again");
    };
    assert!(e.to_string().contains("征缴已结账"), "{e}");
    assert_eq!(
        db.query_i64("SELECT count(*) FROM assessments", &[])
            .expect("count"),
        before
    );
    // the provincial fiscal special account holds everything collected and the late fees
    let province = RegionCode::new(140000).expect("c");
    let fiscal = Ledger::new(&mut db)
        .chart()
        .account(province, "fiscal_special_account")
        .expect("acct");
    let acct = Ledger::new(&mut db)
        .account(fiscal)
        .expect("q")
        .expect("exists");
    let collected = db
        .query_i64(
            "SELECT CAST(SUM(amount_fen) + SUM(late_fee_fen) AS BIGINT) FROM applications",
            &[],
        )
        .expect("sum");
    assert_eq!(
        acct.balances.debits_posted.fen() - acct.balances.credits_posted.fen(),
        collected
    );
    // tampering with a person-level amount is caught by the reconciliation (an application
    // stored as a row of its own; one implied by its assessment below)
    db.exec("UPDATE applications_explicit SET pooling_fen = pooling_fen + 1, amount_fen = amount_fen + 1 WHERE receipt = (SELECT MIN(receipt) FROM applications_explicit)", &[])
        .expect("tamper");
    let problems = collect::reconcile(&mut db).expect("reconcile");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("记账")), "{problems:?}");
    // the transfer's lines are those applications (no copy in ledger_line): its lines no longer
    // add up, and the ledger's check recomputes them and finds them changed
    assert!(
        problems.iter().any(|p| p.contains("条个人明细合计")),
        "{problems:?}"
    );
    let p = Ledger::new(&mut db).check().expect("check").problem;
    assert!(
        p.as_ref().is_some_and(|p| p.item.starts_with("转账")
            && p.item.ends_with("的明细")
            && p.detail.contains("缴费申报")),
        "{p:?}"
    );
    db.exec("UPDATE applications_explicit SET pooling_fen = pooling_fen - 1, amount_fen = amount_fen - 1 WHERE receipt = (SELECT MIN(receipt) FROM applications_explicit)", &[])
        .expect("undo");
    assert_eq!(Ledger::new(&mut db).check().expect("check").problem, None);
    view_read_by_its_sides(&mut db);
    implied_application_tampered(&mut db);
    assert_eq!(
        db.query_i64("SELECT count(*) FROM ledger_line", &[])
            .expect("count"),
        0,
        "the close copies no person-level line into the ledger"
    );
    // a posting the table lost is found in the ledger, one the ledger lacks in the table
    db.exec(
        "DELETE FROM collection_postings WHERE transfer_key = (SELECT MIN(p.transfer_key) FROM collection_postings p JOIN ledger_transfer t ON t.idem_key = p.transfer_key WHERE t.line_count > 0)",
        &[],
    )
    .expect("lose a posting");
    db.exec(
        "INSERT INTO collection_postings (transfer_key, period, county, kind, amount_fen) VALUES ('collect/202003/140105/other_income/x', 202003, 140105, 'other_income', 1)",
        &[],
    )
    .expect("invent a posting");
    let problems = collect::reconcile(&mut db).expect("reconcile");
    assert_eq!(problems.len(), 3, "{problems:?}");
    assert!(
        problems.iter().any(|p| p.contains("但没有征缴入账记录")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("但账本中没有该笔转账")),
        "{problems:?}"
    );
    // a stored total (migration 0048) that no longer adds up its assessments is caught
    let before = collect::reconcile(&mut db).expect("reconcile").len();
    db.exec(
        "UPDATE assessment_totals SET base_fen = base_fen + 1 WHERE period = 202003 AND county = \
         (SELECT MIN(county) FROM assessment_totals WHERE period = 202003)",
        &[],
    )
    .expect("tamper");
    let problems = collect::reconcile(&mut db).expect("reconcile");
    assert_eq!(problems.len(), before + 1, "{problems:?}");
    assert!(
        problems.iter().any(|p| p.contains("核定合计与明细不符")),
        "{problems:?}"
    );
    // the step records say when they finished, in the one timestamp format
    for r in db
        .query("SELECT finished_at FROM job_steps", &[])
        .expect("steps")
    {
        let t = r[0].text().expect("text");
        assert_eq!(
            t.parse::<tongchou_core::Timestamp>()
                .expect("a timestamp")
                .to_string(),
            t
        );
    }
}

/// The view `applications` (migration 0067) and the query of its two sides that the readers by
/// index use (`collection::applications_by_sides`) give the same rows, explicit and implied.
fn view_read_by_its_sides(db: &mut Db) {
    let cols = tongchou_store::collection::APPLICATION_COLUMNS;
    let order = " ORDER BY receipt, period";
    let view = db
        .query(
            &format!("SELECT {} FROM applications{order}", cols.join(", ")),
            &[],
        )
        .expect("view");
    let sides = tongchou_store::collection::applications_by_sides(&cols, "1 = 1", "1 = 1");
    let read = db.query(&format!("{sides}{order}"), &[]).expect("sides");
    let implied = db
        .query(
            "SELECT COUNT(*) FROM assessments WHERE paid_by IS NOT NULL",
            &[],
        )
        .expect("implied")[0][0]
        .i64()
        .expect("count");
    assert!(implied > 0 && (implied as usize) < view.len(), "{implied}");
    assert_eq!(format!("{view:?}"), format!("{read:?}"));
    // the totals per close and county, summed side by side without sorting the view, are the
    // view's own — also with an implied row moved to another close (only a changed row can be)
    totals_are_the_views(db);
    let row = db
        .query(
            "SELECT person_id, period, batch_id FROM assessments WHERE paid_by IS NOT NULL ORDER BY person_id, period LIMIT 1",
            &[],
        )
        .expect("an implied row");
    let key = [
        Val::I64(row[0][0].i64().expect("p")),
        Val::I64(row[0][1].i64().expect("m")),
    ];
    let moved =
        "UPDATE assessments SET batch_id = batch_id + 1 WHERE person_id = $1 AND period = $2";
    db.exec(moved, &key).expect("move");
    totals_are_the_views(db);
    let back =
        "UPDATE assessments SET batch_id = batch_id - 1 WHERE person_id = $1 AND period = $2";
    db.exec(back, &key).expect("back");
}

fn totals_are_the_views(db: &mut Db) {
    let view: Vec<String> = db
        .query(
            "SELECT batch_id, county, CAST(SUM(pooling_fen) AS BIGINT), CAST(SUM(account_fen) AS BIGINT), \
             CAST(SUM(late_fee_fen) AS BIGINT) FROM applications GROUP BY batch_id, county ORDER BY batch_id, county",
            &[],
        )
        .expect("view")
        .iter()
        .map(|r| format!("{r:?}"))
        .collect();
    let summed: Vec<String> = tongchou_store::collection::applied_totals(db)
        .expect("totals")
        .iter()
        .map(|t| {
            format!(
                "{:?}",
                [
                    Value::I64(t.batch.yyyymm() as i64),
                    Value::I64(t.county as i64),
                    Value::I64(t.pooling.fen()),
                    Value::I64(t.account.fen()),
                    Value::I64(t.late_fees.fen()),
                ]
            )
        })
        .collect();
    assert!(!view.is_empty());
    assert_eq!(view, summed);
}

/// An application implied by its assessment (migration 0067: the receipt that paid it in full
/// at once, on the assessment) is a person-level line like the others: losing it is caught by
/// the reconciliation and by the ledger's check, and restoring it clears both.
fn implied_application_tampered(db: &mut Db) {
    let row = db
        .query(
            "SELECT person_id, period, paid_by FROM assessments WHERE paid_by IS NOT NULL ORDER BY paid_by LIMIT 1",
            &[],
        )
        .expect("query");
    let (person, period) = (row[0][0].i64().expect("p"), row[0][1].i64().expect("m"));
    let receipt = row[0][2].text().expect("receipt").to_string();
    let key = [Val::I64(person), Val::I64(period)];
    db.exec(
        "UPDATE assessments SET paid_by = NULL WHERE person_id = $1 AND period = $2",
        &key,
    )
    .expect("tamper");
    let problems = collect::reconcile(db).expect("reconcile");
    assert!(problems.iter().any(|p| p.contains("记账")), "{problems:?}");
    assert!(
        problems.iter().any(|p| p.contains("条个人明细合计")),
        "{problems:?}"
    );
    let p = Ledger::new(db).check().expect("check").problem;
    assert!(
        p.as_ref().is_some_and(|p| p.item.ends_with("的明细")),
        "{p:?}"
    );
    db.exec(
        "UPDATE assessments SET paid_by = $3 WHERE person_id = $1 AND period = $2",
        &[Val::I64(person), Val::I64(period), Val::Str(&receipt)],
    )
    .expect("undo");
    assert_eq!(Ledger::new(db).check().expect("check").problem, None);
    assert_eq!(
        collect::reconcile(db).expect("reconcile"),
        Vec::<String>::new()
    );
}

#[test]
fn collection_months_on_sqlite() {
    run(&testing::sqlite_url("collect"));
}

#[test]
fn collection_months_on_postgres() {
    run(&testing::pg_url("collect"));
}

/// Every row of the collection's tables and of the journal, in key order, as text.
fn collected_rows(db: &mut Db) -> Vec<String> {
    let mut out = Vec::new();
    // the journal without the time each entry was recorded (and the hashes chaining it)
    let journal = "id, idem_key, op, debit_account, credit_account, amount, category, doc_ref, \
                   value_date, linked, line_count, lines_digest";
    for (table, cols, order) in [
        ("assessments", "*", "person_id, period"),
        ("receipts", "*", "receipt"),
        ("applications", "*", "receipt, period"),
        ("arrears", "*", "person_id, period"),
        ("unapplied", "*", "receipt"),
        ("collection_postings", "*", "transfer_key"),
        ("assessment_totals", "*", "period, county"),
        ("ledger_transfer", journal, "id"),
        ("ledger_line_source", "*", "transfer_id"),
    ] {
        let rows = db
            .query(&format!("SELECT {cols} FROM {table} ORDER BY {order}"), &[])
            .expect("rows");
        assert!(!rows.is_empty() || table == "ledger_line_source", "{table}");
        out.extend(rows.iter().map(|r| format!("{table} {r:?}")));
    }
    out
}

/// The close in slices of a few contributors writes and reports exactly what one slice does:
/// three months (arrears carried, some persons no longer contributing but owing and paying),
/// stored receipts of contributors, of persons owing only arrears and of persons with nothing
/// open, around the slices' edges.
fn slices(url_one: &str, url_many: &str) {
    let policy = Policy::builtin().expect("policy");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 11,
        behaviour: Behaviour {
            late: 1500,
            partial: 2000,
            none: 1000,
        },
    });
    let mut dbs = [
        (Db::open(url_one).expect("open"), 1_000_000usize),
        (Db::open(url_many).expect("open"), 7),
    ];
    let mut reports = [Vec::new(), Vec::new()];
    for (k, (db, slice)) in dbs.iter_mut().enumerate() {
        seed(db, 200);
        for (i, m) in ["2020-01", "2020-02", "2020-03"].into_iter().enumerate() {
            let p: Period = m.parse().expect("p");
            if i == 1 {
                // persons leave with arrears; stored receipts for some of everyone, and for
                // persons the registry does not know
                db.exec(
                    "UPDATE persons SET status = 'suspended' WHERE id % 9 = 0",
                    &[],
                )
                .expect("suspend");
                let receipts: Vec<Receipt> = (1..=260)
                    .filter(|id| id % 4 == 0)
                    .map(|id| Receipt {
                        receipt: format!("S{id}"),
                        person: id,
                        period: p,
                        paid: tongchou_core::Fen::new(40_000 + id * 10),
                        paid_on: "2020-03-01".parse().expect("d"),
                    })
                    .collect();
                collect::write_receipts(db, 1, &receipts).expect("receipts");
            }
            let r = collect::run_month_sliced(db, &policy, p, src, *slice).expect("month");
            reports[k].push(format!("{r:?}"));
        }
        let check = Ledger::new(db).check().expect("check");
        assert!(check.problem.is_none(), "{:?}", check.problem);
        assert_eq!(
            collect::reconcile(db).expect("reconcile"),
            Vec::<String>::new()
        );
    }
    assert!(
        reports[0]
            .iter()
            .any(|r| !r.contains("unknown_receipts: 0"))
    );
    assert_eq!(reports[0], reports[1]);
    let [(one, _), (many, _)] = &mut dbs;
    assert_eq!(collected_rows(one), collected_rows(many));
}

#[test]
fn close_in_slices_on_sqlite() {
    slices(
        &testing::sqlite_url("slices_one"),
        &testing::sqlite_url("slices_many"),
    );
}

#[test]
fn close_in_slices_on_postgres() {
    slices(
        &testing::pg_url("slices_one"),
        &testing::pg_url("slices_many"),
    );
}

fn year(url: &str) {
    let mut db = Db::open(url).expect("open");
    seed(&mut db, 90);
    let policy = Policy::builtin().expect("policy");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 3,
        behaviour: Behaviour::default(),
    });
    for m in "2020-01"
        .parse::<Period>()
        .expect("p")
        .through("2020-11".parse().expect("p"))
    {
        collect::run_month(&mut db, &policy, m, src).expect("month");
    }
    let e = tongchou_app::accounts::close_year(&mut db, &policy, 2020);
    assert!(e.is_err(), "December is not collected yet");
    collect::run_month(&mut db, &policy, "2020-12".parse().expect("p"), src).expect("december");
    let (n, interest) = tongchou_app::accounts::close_year(&mut db, &policy, 2020).expect("close");
    assert_eq!(n, 90);
    assert!(interest.is_positive());
    assert!(
        tongchou_app::accounts::close_year(&mut db, &policy, 2020).is_err(),
        "closed twice"
    );
    // every row: closing = opening + contributions + interest, contributions = account parts paid
    let bad = db
        .query_i64(
            "SELECT count(*) FROM account_years y WHERE y.contributions_fen <> (SELECT COALESCE(CAST(SUM(a.account_fen) AS BIGINT), 0) FROM applications a WHERE a.person_id = y.person_id AND a.batch_id BETWEEN 202001 AND 202012)",
            &[],
        )
        .expect("q");
    assert_eq!(bad, 0);
    let s = tongchou_app::accounts::statement(
        &mut db,
        &tongchou_store::audit::Actor::operator("test"),
        0,
        &policy,
        5,
        2020,
    )
    .expect("statement");
    // reading a person's statement is a read of personal data: audited, naming the reader
    let read = tongchou_store::audit::list(
        &mut db,
        &tongchou_store::audit::Filter {
            action: Some("account.statement".into()),
            ..Default::default()
        },
    )
    .expect("audit");
    assert_eq!(read.len(), 1);
    assert_eq!(
        (
            read[0].login.as_str(),
            read[0].object_type.as_str(),
            read[0].object_id.as_str()
        ),
        ("test", "person", "5")
    );
    assert!(read[0].details.contains("2020"), "{}", read[0].details);
    // 2020's crediting rate is 6.04%: the opening balance of 10,000.00 earns 604.00
    assert_eq!(s.year_end.opening, tongchou_core::Fen::new(1_000_000));
    assert_eq!(
        s.year_end.interest_on_opening,
        tongchou_core::Fen::new(60_400)
    );
    assert!(
        s.explain
            .params
            .iter()
            .any(|p| p.name == "account.crediting_rate" && p.value == "0.0604")
    );
    assert!(!s.monthly.is_empty());
}

#[test]
fn account_year_on_sqlite() {
    year(&testing::sqlite_url("accyear"));
}

#[test]
fn account_year_on_postgres() {
    year(&testing::pg_url("accyear"));
}

/// Back-payments (补缴) of months before the first collected one: each month under its own
/// period's rules, a small one released at once, a large one only once a provincial approver
/// (never the clerk) approves; then the tax bureau's receipt is applied oldest first with the
/// late fee to the day, in the open month's close, and the books still balance.
fn back_payments(url: &str) {
    use tongchou_app::backpay::{self, Request};
    use tongchou_core::access::Role;
    use tongchou_engine::collection::Receipt;
    let mut db = Db::open(url).expect("open");
    seed(&mut db, 60);
    let policy = Policy::builtin().expect("policy");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 7,
        behaviour: Behaviour {
            late: 0,
            partial: 0,
            none: 0,
        },
    });
    collect::run_month(&mut db, &policy, "2020-01".parse().expect("p"), src).expect("january");
    let pw = "correct horse battery staple";
    let clerk = testing::add_user(&mut db, "clerk", Role::CountyAgency, 140212, pw);
    let other = testing::add_user(&mut db, "other", Role::CountyAgency, 140105, pw);
    let approver = testing::add_user(
        &mut db,
        "approver",
        Role::ProvinceBureauApprover,
        140000,
        pw,
    );
    let today: tongchou_core::Date = "2020-02-10".parse().expect("d");
    let months = backpay::parse_months("2019-10..2019-12:5000").expect("months");
    let ask = Request {
        person: 1,
        months: &months,
        reason: "单位漏报 2019 年第四季度",
    };
    // a clerk of another county may not
    let e = backpay::assess(&mut db, &policy, &other, &ask, today, 1).expect_err("region");
    assert!(matches!(e, tongchou_app::AppError::Forbidden(_)), "{e}");
    let (small, m) = backpay::assess(&mut db, &policy, &clerk, &ask, today, 1).expect("small");
    assert_eq!(small.status, "released");
    assert_eq!(m.len(), 3);
    let terms = tongchou_core::rules::contribution::ContributionTerms::at(
        &policy,
        "2019-10".parse().expect("p"),
    )
    .expect("terms");
    assert_eq!(m[0].base, terms.clamp(tongchou_core::Fen::new(500_000)));
    let open = |db: &mut Db, lo: i64, hi: i64| {
        db.query_i64(
            &format!(
                "SELECT count(*) FROM arrears WHERE person_id = 1 AND period BETWEEN {lo} AND {hi}"
            ),
            &[],
        )
        .expect("q")
    };
    assert_eq!(open(&mut db, 201910, 201912), 3);
    // a year back needs the approval of another person
    let year = backpay::parse_months("2018-01..2018-12:8000").expect("months");
    let big_ask = Request {
        months: &year,
        ..ask.clone()
    };
    let (big, _) = backpay::assess(&mut db, &policy, &clerk, &big_ask, today, 2).expect("big");
    assert_eq!(big.status, "pending");
    assert_eq!(open(&mut db, 201801, 201812), 0);
    let approval = big.approval.expect("approval");
    let e = backpay::decide(&mut db, &clerk, approval, true, "", today, 3).expect_err("maker");
    assert!(matches!(e, tongchou_app::AppError::Forbidden(_)), "{e}");
    let b = backpay::decide(&mut db, &approver, approval, true, "核实工资台账", today, 4)
        .expect("approve");
    assert_eq!(b.status, "released");
    assert_eq!(open(&mut db, 201801, 201812), 12);
    // a month already assessed, and this month, are refused
    for (text, want) in [
        ("2019-12:5000", "已核定"),
        ("2020-01:5000", "已核定"),
        ("2020-02:5000", "不是以前月份"),
    ] {
        let ms = backpay::parse_months(text).expect("m");
        let e = backpay::assess(
            &mut db,
            &policy,
            &clerk,
            &Request {
                months: &ms,
                ..ask.clone()
            },
            today,
            5,
        )
        .expect_err(text);
        assert!(e.to_string().contains(want), "{text}: {e}");
    }
    // the tax bureau collects both in February; the close applies the money oldest first with
    // the late fee of each month from its own due date, in the February batch
    let paid = small.total.try_add(big.total).expect("sum");
    let receipt = Receipt {
        receipt: "BP-1".into(),
        person: 1,
        period: "2019-10".parse().expect("p"),
        paid,
        paid_on: "2020-02-20".parse().expect("d"),
    };
    tongchou_store::collection::write_receipts(&mut db, 0, &[receipt], None).expect("receipt");
    collect::run_month(&mut db, &policy, "2020-02".parse().expect("p"), src).expect("february");
    assert_eq!(open(&mut db, 201801, 201912), 0, "all settled");
    let applied = db
        .query_i64(
            "SELECT CAST(SUM(amount_fen) AS BIGINT) FROM applications WHERE receipt = 'BP-1' AND batch_id = 202002",
            &[],
        )
        .expect("q");
    assert_eq!(applied, paid.fen());
    let jan_2018_days = db
        .query_i64(
            "SELECT days_late FROM applications WHERE receipt = 'BP-1' AND period = 201801",
            &[],
        )
        .expect("q");
    // due 2018-01-31 (contribution.due_day 31), paid 2020-02-20
    assert_eq!(jan_2018_days, 750);
    let fees = db
        .query_i64(
            "SELECT CAST(SUM(late_fee_fen) AS BIGINT) FROM applications WHERE receipt = 'BP-1'",
            &[],
        )
        .expect("q");
    assert!(fees > 0);
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    assert_eq!(
        collect::reconcile(&mut db).expect("reconcile"),
        Vec::<String>::new()
    );
    // every step audited
    for action in ["backpay.assess", "backpay.release"] {
        let n = db
            .query_i64(
                &format!("SELECT count(*) FROM audit_log WHERE action = '{action}'"),
                &[],
            )
            .expect("q");
        assert!(n >= 1, "{action}");
    }
}

#[test]
fn back_payments_on_sqlite() {
    back_payments(&testing::sqlite_url("backpay"));
}

#[test]
fn back_payments_on_postgres() {
    back_payments(&testing::pg_url("backpay"));
}
