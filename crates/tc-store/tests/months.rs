//! A person's rows of the tables keyed month first (migrations 0069 and 0070, `tc-store::months`):
//! every reader by person finds exactly the person's rows — across a year's end, over gaps,
//! between other persons' rows of the same months, within its bounds — on both engines.

use tongchou_core::{Fen, Period, Ratio};
use tongchou_store::benefits::retirement;
use tongchou_store::{Db, Val, accounts, backpay, governance, own, testing, transfers};

fn p(s: &str) -> Period {
    s.parse().expect("period")
}

/// An assessment of `person` for `period` in `county`, closed in its own month; `paid_by` the
/// receipt that paid it in full there (the implied application, migration 0067), if one did.
fn assess(db: &mut Db, person: i64, period: i64, county: i64, base: i64, paid_by: Option<&str>) {
    let (pooling, account) = (base * 16 / 100, base * 8 / 100);
    db.exec(
        "INSERT INTO assessments (person_id, period, county, employer_id, payer_kind, declared_fen, \
         base_fen, pooling_fen, account_fen, due_date, batch_id, paid_by) \
         VALUES ($1, $2, $3, 1, 'employee', $4, $4, $5, $6, '2020-01-15', $2, $7)",
        &[
            Val::I64(person),
            Val::I64(period),
            Val::I64(county),
            Val::I64(base),
            Val::I64(pooling),
            Val::I64(account),
            paid_by.map_or(Val::Null, Val::Str),
        ],
    )
    .expect("assessment");
}

/// An application stored as a row (a part paid late, with a fee) of `receipt` to
/// `person`'s `period`, in the close `batch`.
fn applied(
    db: &mut Db,
    receipt: &str,
    person: i64,
    period: i64,
    amount: i64,
    fee: i64,
    batch: i64,
) {
    db.exec(
        "INSERT INTO applications_explicit (receipt, period, person_id, county, amount_fen, \
         pooling_fen, account_fen, days_late, late_fee_fen, batch_id) \
         VALUES ($1, $2, $3, 140105, $4, $5, $6, 10, $7, $8)",
        &[
            Val::Str(receipt),
            Val::I64(period),
            Val::I64(person),
            Val::I64(amount),
            Val::I64(amount - amount / 3),
            Val::I64(amount / 3),
            Val::I64(fee),
            Val::I64(batch),
        ],
    )
    .expect("application");
}

fn pensioner(db: &mut Db, person: i64, county: i64, retire: i64) {
    db.exec(
        "INSERT INTO pensioners (person_id, county, retire_period, status, status_since, \
         contribution_months, monthly_fen, bank_code, bank_name, bank_account) \
         VALUES ($1, $2, $3, 'active', '2020-01-01', 180, 300000, '102', 'bank', '6222')",
        &[Val::I64(person), Val::I64(county), Val::I64(retire)],
    )
    .expect("pensioner");
}

fn line(db: &mut Db, month: i64, person: i64, status: &str) {
    db.exec(
        "INSERT INTO payroll_line_rows (month, person_id, item, attempt, county, amount_fen, end_to_end, status) \
         VALUES ($1, $2, 'pension', 1, 140105, 300000, $3, $4)",
        &[
            Val::I64(month),
            Val::I64(person),
            Val::Str(&format!("E{month}P{person}")),
            Val::Str(status),
        ],
    )
    .expect("line");
}

#[test]
fn a_persons_rows_are_found_month_by_month_on_both_engines() {
    for url in testing::both("months") {
        let mut db = Db::open(&url).expect("open");
        let db = &mut db;
        // person 7: three months over a year's end with a gap; persons 6 and 8 in the same months
        // and beyond (rows on both sides of 7's in every month's key)
        for (period, paid_by) in [(201911, Some("R1")), (202001, None), (202102, Some("R3"))] {
            assess(db, 7, period, 140105, 500_000, paid_by);
        }
        for period in [201910, 201911, 202001, 202006, 202102, 202103] {
            assess(db, 6, period, 140105, 400_000, None);
            assess(db, 8, period, 140106, 600_000, Some("R9"));
        }
        // January 2020 paid late in two parts, one of them in the close of March
        applied(db, "L1", 7, 202001, 60_000, 500, 202002);
        applied(db, "L2", 7, 202001, 30_000, 200, 202003);
        applied(db, "L9", 6, 202001, 96_000, 800, 202002);
        db.exec(
            "INSERT INTO arrears (person_id, period, county, employer_id, due_date, total_fen, \
             account_total_fen, paid_fen) VALUES (7, 202001, 140105, 1, '2020-01-15', 120000, 40000, 90000)",
            &[],
        )
        .expect("arrears");

        let months = own::contributions(db, 7).expect("contributions");
        let got: Vec<(String, i64, i64)> = months
            .iter()
            .map(|m| (m.period.to_string(), m.paid.fen(), m.late_fees.fen()))
            .collect();
        assert_eq!(
            got,
            [
                ("2021-02".to_string(), 120_000, 0),
                ("2020-01".to_string(), 90_000, 700),
                ("2019-11".to_string(), 120_000, 0),
            ],
            "{url}"
        );

        let within =
            retirement::months_assessed(db, 7, p("2019-12"), p("2021-02")).expect("months");
        let got: Vec<(String, i64)> = within
            .iter()
            .map(|m| (m.period.to_string(), m.paid.fen()))
            .collect();
        assert_eq!(
            got,
            [
                ("2020-01".to_string(), 90_000),
                ("2021-02".to_string(), 120_000)
            ],
            "{url}"
        );
        assert!(
            retirement::months_assessed(db, 7, p("2021-03"), p("2021-02"))
                .expect("none")
                .is_empty()
        );
        // the account parts: 1/3 of each late part, 8 % of the base of each implied one
        assert_eq!(
            retirement::account_credited_since(db, 7, p("2020-01")).expect("credited"),
            Fen::new(20_000 + 10_000 + 40_000),
            "{url}"
        );
        assert_eq!(
            accounts::credits_of_person(db, 7, 2020).expect("credits"),
            [
                (p("2020-02"), Fen::new(20_000)),
                (p("2020-03"), Fen::new(10_000))
            ],
            "{url}"
        );
        assert_eq!(
            accounts::credits_of_person(db, 7, 2019).expect("credits"),
            [(p("2019-11"), Fen::new(40_000))],
            "{url}"
        );
        // the months paid for a transfer leave out the open arrears
        assert_eq!(
            transfers::paid_periods(db, 7).expect("paid"),
            [(201911, 500_000), (202102, 500_000)],
            "{url}"
        );
        assert_eq!(
            backpay::assessed(db, 7, &[p("2019-11"), p("2019-12"), p("2020-01")]).expect("backpay"),
            [p("2019-11"), p("2020-01")],
            "{url}"
        );

        // payments: the newest first, other persons' lines of the same months left out
        for (month, status) in [(201912, "paid"), (202001, "returned"), (202003, "paid")] {
            line(db, month, 7, status);
            line(db, month, 6, "paid");
            line(db, month, 8, "paid");
        }
        let paid: Vec<(String, String)> = own::payments(db, 7, 2)
            .expect("payments")
            .iter()
            .map(|x| (x.month.to_string(), x.status.clone()))
            .collect();
        assert_eq!(
            paid,
            [
                ("2020-03".to_string(), "paid".to_string()),
                ("2020-01".to_string(), "returned".to_string())
            ],
            "{url}"
        );
    }
}

/// The base-jump warning finds each retiree's last contribution by searching back from the
/// retirement, past months not assessed, and never after it.
#[test]
fn base_jumps_search_back_from_the_retirement_on_both_engines() {
    for url in testing::both("months_jumps") {
        let mut db = Db::open(&url).expect("open");
        let db = &mut db;
        // retiring in June 2020, county 140105
        pensioner(db, 1, 140105, 202006); // paid until retiring, +60 %: a jump
        assess(db, 1, 201906, 140105, 500_000, None);
        assess(db, 1, 202006, 140105, 800_000, None);
        pensioner(db, 2, 140105, 202006); // last paid in March, +80 %: a jump; July is after
        assess(db, 2, 201903, 140105, 500_000, None);
        assess(db, 2, 202003, 140105, 900_000, None);
        assess(db, 2, 202007, 140105, 100, None);
        pensioner(db, 3, 140105, 202006); // +2 %: none
        assess(db, 3, 201906, 140105, 500_000, None);
        assess(db, 3, 202006, 140105, 510_000, None);
        pensioner(db, 4, 140105, 202006); // never assessed
        pensioner(db, 5, 140105, 202006); // nothing 12 months before the last
        assess(db, 5, 202006, 140105, 900_000, None);
        // county 140106: last paid over a year's end before retiring, +100 %
        pensioner(db, 6, 140106, 202006);
        assess(db, 6, 201812, 140106, 400_000, None);
        assess(db, 6, 201912, 140106, 800_000, None);
        // retiring in May: another month's
        pensioner(db, 7, 140105, 202005);
        assess(db, 7, 201905, 140105, 500_000, None);
        assess(db, 7, 202005, 140105, 900_000, None);
        let jump: Ratio = "0.2".parse().expect("ratio");
        let mut got = governance::base_jumps(db, p("2020-06"), jump).expect("jumps");
        got.sort();
        assert_eq!(got, [(140105, 2), (140106, 1)], "{url}");
        assert_eq!(
            governance::base_jumps(db, p("2020-05"), jump).expect("jumps"),
            [(140105, 1)],
            "{url}"
        );
        assert!(
            governance::base_jumps(db, p("2020-07"), jump)
                .expect("jumps")
                .is_empty()
        );
    }
}
