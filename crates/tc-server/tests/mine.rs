//! The insured person's own pages, through the real server on a random port, on SQLite and
//! PostgreSQL: the pensioner reads their pension with how each part is computed (the rule run
//! again on the stored inputs), the payments made to them, their account's closed year with its
//! statement, and every month's contribution with what is still owed; staff cannot open these
//! pages; every read is audited.

mod support;

use support::{Client, PW, seed, start};
use tongchou_core::rules::account::InterestTerms;
use tongchou_core::rules::pension::{PensionInput, pension};
use tongchou_core::rules::retirement::Category;
use tongchou_core::{Fen, Period, Policy, Ratio};
use tongchou_store::registry::{self, PensionRow};
use tongchou_store::{Db, Val};

fn p(s: &str) -> Period {
    s.parse().expect("period")
}

fn count(db: &mut Db, sql: &str) -> i64 {
    db.query_i64(sql, &[]).expect("count")
}

/// The seeded pensioner 1001 (male, born 1962-03, retired 2022-03): the award as the rule
/// computes it, two payments of 2022-04 (one paid, one returned), 2021's contributions (the
/// last month unpaid) and 2021's closed account year.
fn history(db: &mut Db) -> Fen {
    let policy = Policy::builtin().expect("policy");
    let input = PensionInput {
        birth: p("1962-03"),
        category: Category::Male,
        retire: Some(p("2022-03")),
        paid_months: 300,
        deemed_months: 96,
        avg_index: Ratio(115_000_000),
        deemed_index: Ratio(115_000_000),
        account_balance: Fen::new(12_000_000),
        benefit_base: Some(Fen::new(650_000)),
        transition_coefficient: None,
    };
    let got = pension(&policy, &input).expect("pension");
    registry::write_pensions(db, &mut |push| {
        push(&PensionRow {
            person_id: 1001,
            effective_from: 202204,
            reason: "award",
            benefit_base_fen: 650_000,
            avg_index: 115_000_000,
            deemed_index: 115_000_000,
            paid_months: 300,
            deemed_months: 96,
            account_at_retirement_fen: 12_000_000,
            divisor_tenths: got.divisor_tenths,
            basic_fen: got.basic.fen(),
            account_fen: got.account.fen(),
            transitional_fen: got.transitional.fen(),
            adjustment_fen: 0,
        })
    })
    .expect("pension");
    for (item, attempt, status, e2e) in [
        ("basic_pension", 1, "returned", "E2E-1"),
        ("basic_pension", 2, "paid", "E2E-2"),
    ] {
        db.exec(
            "INSERT INTO payroll_lines (month, person_id, item, attempt, county, amount_fen, end_to_end, msg_id, status, reissue_of, reason) \
             VALUES (202204, 1001, $1, $2, 140105, 419436, $3, 'M1', $4, NULL, NULL)",
            &[Val::Str(item), Val::I64(attempt), Val::Str(e2e), Val::Str(status)],
        )
        .expect("line");
    }
    let mut monthly = [Fen::ZERO; 12];
    for m in 1..=12i64 {
        let period = 202100 + m;
        db.exec(
            "INSERT INTO assessments (person_id, period, county, employer_id, payer_kind, declared_fen, base_fen, \
             pooling_fen, account_fen, due_date, batch_id) VALUES (1001, $1, 140105, 0, 'flexible', 500000, 500000, \
             80000, 40000, '2021-01-15', $1)",
            &[Val::I64(period)],
        )
        .expect("assessment");
        if m < 12 {
            db.exec(
                "INSERT INTO applications (receipt, period, person_id, county, amount_fen, pooling_fen, account_fen, \
                 days_late, late_fee_fen, batch_id) VALUES ($1, $2, 1001, 140105, 120000, 80000, 40000, 0, 0, $2)",
                &[Val::Str(&format!("R1001-{period}")), Val::I64(period)],
            )
            .expect("application");
            monthly[m as usize - 1] = Fen::new(40_000);
        }
    }
    let (ye, _) = InterestTerms::at(&policy, 2021)
        .expect("terms")
        .explain(Fen::new(11_000_000), &monthly);
    db.exec(
        "INSERT INTO account_years (person_id, year, opening_fen, contributions_fen, interest_opening_fen, \
         interest_contrib_fen, closing_fen, rate) VALUES (1001, 2021, $1, $2, $3, $4, $5, 'policy')",
        &[
            Val::I64(ye.opening.fen()),
            Val::I64(ye.contributions.fen()),
            Val::I64(ye.interest_on_opening.fen()),
            Val::I64(ye.interest_on_contributions.fen()),
            Val::I64(ye.closing.fen()),
        ],
    )
    .expect("year");
    got.total
}

fn scenario(url: &str) {
    seed(url);
    let mut db = Db::open(url).expect("open");
    let total = history(&mut db);
    let srv = start(url);
    let mut me = Client::new(srv.addr);
    assert_eq!(me.login("citizen", PW).status, 303);
    let r = me.get("/me/records");
    assert_eq!(r.status, 200, "{}", r.body);
    let b = &r.body;
    assert!(
        b.contains(&format!("id=\"pension-total\">{} 元", total.grouped())),
        "{b}"
    );
    assert!(
        !b.contains("按现行规则重算与核定金额不一致"),
        "reproduced: {b}"
    );
    for rule in ["pension.basic", "pension.account", "pension.transitional"] {
        assert!(b.contains(&format!("data-rule=\"{rule}\"")), "{rule}: {b}");
    }
    assert!(b.contains("基本养老金") && b.contains("已到账 paid"), "{b}");
    assert!(b.contains("银行退回 returned by the bank"), "{b}");
    assert!(b.contains("4,194.36 元"), "{b}");
    assert!(b.contains("/me/statement?year=2021"), "{b}");
    // 12 months assessed at 1,200 元, 11 paid: 1,200 元 owed
    assert!(
        b.contains("共 12 个月 months · 应缴 assessed 14,400.00 元 · 已缴 paid 13,200.00 元 · 欠缴 owed 1,200.00 元"),
        "{b}"
    );
    assert!(b.contains("id=\"estimate-mine\""), "{b}");
    let st = me.get("/me/statement?year=2021");
    assert_eq!(st.status, 200, "{}", st.body);
    assert!(
        st.body
            .contains("<dt>本年记账 Credited</dt><dd>4,400.00 元</dd>"),
        "{}",
        st.body
    );
    assert_eq!(me.get("/me/statement?year=2020").status, 409);
    assert_eq!(me.get("/me/statement?year=abc").status, 400);
    let reads = count(
        &mut db,
        "SELECT count(*) FROM audit_log WHERE action = 'person.read_own' AND result = 'ok' AND login = 'citizen'",
    );
    assert!(reads >= 2, "{reads}");
    assert_eq!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'account.statement' AND object_id = '1001'"
        ),
        1
    );
    // staff are refused, and the refusal is audited
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert_eq!(clerk.get("/me/records").status, 403);
    assert_eq!(clerk.get("/me/statement?year=2021").status, 403);
    assert!(
        count(
            &mut db,
            "SELECT count(*) FROM audit_log WHERE action = 'person.read_own' AND result = 'denied' AND login = 'clerk'"
        ) >= 2
    );
}

#[test]
fn own_pages_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_mine"));
}

#[test]
fn own_pages_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_mine"));
}
