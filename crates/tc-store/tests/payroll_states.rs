//! A payment line's state (migrations 0063, 0064 and 0073): a line is written once. The lines of a
//! county that went out whole take `issued` from their message's range of end-to-end ids and
//! `paid` from the message accepted whole, without their rows being rewritten (on PostgreSQL: no
//! row version written); only what happens to a line alone (returned, deferred, carried, issued
//! or paid one by one) changes its row. The lines waiting for a later payroll (deferred,
//! returned) are found through `held`, on both backends; no index names `status`.

use tongchou_core::{Fen, Period, RegionCode};
use tongchou_engine::disbursement::Item;
use tongchou_store::payroll::{self, NewLine};
use tongchou_store::{Backend, Db, testing};

const COUNTY: u32 = 140105;

fn lines(month: Period, n: i64, tag: &str) -> Vec<NewLine> {
    (1..=n)
        .map(|p| NewLine {
            person: p,
            item: Item::BasicPension,
            attempt: 1,
            county: COUNTY,
            amount: Fen::new(100 * p),
            end_to_end: format!("{tag}{}P{p:05}", month.yyyymm()),
            reissue_of: None,
        })
        .collect()
}

/// Lines updated in this transaction without and with new index entries, on PostgreSQL.
fn updates(db: &mut Db, partition: &str) -> (i64, i64) {
    let r = db
        .query(
            &format!(
                "SELECT pg_stat_get_xact_tuples_updated(CAST('{partition}' AS regclass)), \
                 pg_stat_get_xact_tuples_hot_updated(CAST('{partition}' AS regclass))"
            ),
            &[],
        )
        .expect("counters");
    (r[0][0].i64().expect("n"), r[0][1].i64().expect("hot"))
}

fn file(db: &mut Db, month: Period, county: RegionCode, msg: &str, n: i64) {
    payroll::record_payment_file(
        db,
        &payroll::PaymentFile {
            msg_id: msg,
            month,
            county,
            payments: n,
            ctrl_sum: Fen::new(0),
            xml_sha256: "x",
            xml_path: "x.xml",
            csv_path: "x.csv",
            created_on: "2020-01-14",
        },
    )
    .expect("file");
}

/// (status as the view says, stored status, msg_id as the view says, count), in order.
fn seen(db: &mut Db, month: i64) -> Vec<String> {
    db.query(
        "SELECT v.status, r.status, COALESCE(v.msg_id, '-'), CAST(COUNT(*) AS BIGINT) FROM payroll_lines v \
         JOIN payroll_line_rows r ON r.month = v.month AND r.end_to_end = v.end_to_end \
         WHERE v.month = $1 GROUP BY v.status, r.status, v.msg_id ORDER BY 1, 2, 3",
        &[tongchou_store::Val::I64(month)],
    )
    .expect("seen")
    .iter()
    .map(|r| {
        format!(
            "{}/{}/{}/{}",
            r[0].text().expect("v"),
            r[1].text().expect("r"),
            r[2].text().expect("m"),
            r[3].i64().expect("n")
        )
    })
    .collect()
}

fn states(url: &str) {
    let mut db = Db::open(url).expect("open");
    let pg = db.backend() == Backend::Postgres;
    let jan: Period = "2020-01".parse().expect("p");
    let feb: Period = "2020-02".parse().expect("p");
    let county = RegionCode::new(COUNTY).expect("county");
    db.transaction(|db| payroll::write_planned(db, jan, &lines(jan, 300, "E")))
        .expect("planned");
    // issued in two files of the whole county: the messages hold the ranges, no line is rewritten
    db.begin().expect("begin");
    // the counters of this transaction still hold earlier ones not yet flushed: deltas
    let base = if pg {
        updates(&mut db, "payroll_lines_y2020")
    } else {
        (0, 0)
    };
    file(&mut db, jan, county, "M1", 200);
    file(&mut db, jan, county, "M2", 100);
    for (m, a, b) in [
        ("M1", "E202001P00001", "E202001P00200"),
        ("M2", "E202001P00201", "E202001P00300"),
    ] {
        let n = payroll::mark_range_issued(&mut db, jan, county, m, a, b).expect("issued");
        assert_eq!(n, 1);
    }
    if pg {
        let (all, _) = updates(&mut db, "payroll_lines_y2020");
        assert_eq!(all - base.0, 0, "no line rewritten by the pay step");
    }
    db.commit().expect("commit");
    assert_eq!(
        seen(&mut db, 202001),
        ["issued/planned/M1/200", "issued/planned/M2/100"]
    );
    assert_eq!(
        payroll::issued_in_message(&mut db, 202001, COUNTY as i64, "M1").expect("n"),
        200
    );
    assert_eq!(
        payroll::payments_of_file(&mut db, jan, county, "M2")
            .expect("pay")
            .len(),
        100
    );
    // the planned lines are none now, and no line is planned into a month whose payments went out
    assert!(
        payroll::planned_by_county_item(&mut db, jan)
            .expect("planned")
            .is_empty()
    );
    let late = db.transaction(|db| payroll::write_planned(db, jan, &lines(jan, 1, "L")));
    assert!(late.is_err(), "a line planned after the pay step");
    // M1: one returned, the rest paid by the message; M2: one paid alone, one returned, the
    // rest still issued
    db.begin().expect("begin");
    let base = if pg {
        updates(&mut db, "payroll_lines_y2020")
    } else {
        (0, 0)
    };
    assert_eq!(
        payroll::mark_returned(
            &mut db,
            202001,
            "M1",
            "E202001P00007",
            "AC04 closed account"
        )
        .expect("ret"),
        1
    );
    // a line of another message, or one not issued, is not returned in M1
    assert_eq!(
        payroll::mark_returned(&mut db, 202001, "M1", "E202001P00250", "AC04").expect("ret"),
        0
    );
    assert_eq!(
        payroll::mark_message_paid(&mut db, 202001, COUNTY as i64, "M1").expect("paid"),
        199
    );
    // paid once: again, nothing
    assert_eq!(
        payroll::mark_message_paid(&mut db, 202001, COUNTY as i64, "M1").expect("paid"),
        0
    );
    // a paid line is returned no more
    assert_eq!(
        payroll::mark_returned(&mut db, 202001, "M1", "E202001P00008", "AC04").expect("ret"),
        0
    );
    assert_eq!(
        payroll::mark_line_paid(&mut db, 202001, "M2", "E202001P00250").expect("paid"),
        1
    );
    assert_eq!(
        payroll::mark_line_paid(&mut db, 202001, "M2", "E202001P00250").expect("paid"),
        0
    );
    assert_eq!(
        payroll::mark_returned(&mut db, 202001, "M2", "E202001P00251", "AC01").expect("ret"),
        1
    );
    if pg {
        let (all, _) = updates(&mut db, "payroll_lines_y2020");
        assert_eq!(
            all - base.0,
            3,
            "only the lines changed alone are rewritten"
        );
    }
    db.commit().expect("commit");
    assert_eq!(
        seen(&mut db, 202001),
        [
            "issued/planned/M2/98",
            "paid/paid/M2/1",
            "paid/planned/M1/199",
            "returned/returned/M1/1",
            "returned/returned/M2/1",
        ]
    );
    assert_eq!(
        payroll::issued_in_message(&mut db, 202001, COUNTY as i64, "M2").expect("n"),
        98
    );
    // the paid totals agree with the lines
    assert!(
        payroll::payroll_totals_disagree(&mut db)
            .expect("totals")
            .is_empty()
    );
    let returned = payroll::returned_not_reissued(&mut db).expect("returned");
    assert_eq!(
        returned
            .iter()
            .map(|r| r.end_to_end.as_str())
            .collect::<Vec<_>>(),
        ["E202001P00007", "E202001P00251"]
    );
    assert_eq!(
        payroll::groups_of_returned_not_reissued(&mut db).expect("groups"),
        [(202001, COUNTY as i64, "basic_pension".to_string())]
    );
    // February's lines of the county could not be paid: deferred, then carried by March
    db.transaction(|db| payroll::write_planned(db, feb, &lines(feb, 5, "F")))
        .expect("planned");
    assert_eq!(
        db.transaction(|db| payroll::mark_county_deferred(db, feb, county))
            .expect("deferred"),
        5
    );
    let mar: Period = "2020-03".parse().expect("p");
    assert!(
        payroll::deferred_before(&mut db, feb)
            .expect("d")
            .is_empty()
    );
    assert_eq!(payroll::deferred_before(&mut db, mar).expect("d").len(), 5);
    assert_eq!(
        db.transaction(|db| payroll::mark_carried_before(db, mar))
            .expect("carried"),
        5
    );
    assert!(
        payroll::deferred_before(&mut db, mar)
            .expect("d")
            .is_empty()
    );
    // what is held is what the status says, and nothing else is
    let held = db
        .query(
            "SELECT status, COALESCE(held, '-'), CAST(COUNT(*) AS BIGINT) FROM payroll_lines GROUP BY status, held ORDER BY 1, 2",
            &[],
        )
        .expect("held");
    let held: Vec<String> = held
        .iter()
        .map(|r| {
            format!(
                "{}/{}/{}",
                r[0].text().expect("status"),
                r[1].text().expect("held"),
                r[2].i64().expect("count")
            )
        })
        .collect();
    assert_eq!(
        held,
        [
            "carried/-/5",
            "issued/-/98",
            "paid/-/200",
            "returned/returned/2"
        ]
    );
    if pg {
        // no index of the payment lines names the status
        let named = db
            .query_i64(
                "SELECT count(*) FROM pg_index x WHERE x.indrelid = CAST('payroll_line_rows' AS regclass) \
                 AND pg_get_indexdef(x.indexrelid) LIKE '%status%'",
                &[],
            )
            .expect("indexes");
        assert_eq!(named, 0);
    }
}

#[test]
fn payment_line_states_on_sqlite() {
    states(&testing::sqlite_url("paystates"));
}

#[test]
fn payment_line_states_on_postgres() {
    states(&testing::pg_url("paystates"));
}

/// SQLite's plans of the reads of one county's lines (the pay step's lines with their payees,
/// the returns' lines out) go through the (month, county) index, also once the statistics say a
/// month holds many counties: not the key's month range, every county's lines read for each
/// county (an `ORDER BY` of the key made SQLite choose that: the pay step took 13 s at 1 M
/// insured instead of 2 s).
#[test]
fn a_countys_lines_are_read_through_the_county_index_on_sqlite() {
    let mut db = Db::open("sqlite::memory:").expect("open");
    db.migrate().expect("migrate");
    let jan: Period = "2020-01".parse().expect("p");
    let many: Vec<NewLine> = (1..=4000)
        .map(|p| NewLine {
            person: p,
            item: Item::BasicPension,
            attempt: 1,
            county: 140105 + (p % 40) as u32,
            amount: Fen::new(100),
            end_to_end: format!("E{p:05}"),
            reissue_of: None,
        })
        .collect();
    db.transaction(|db| payroll::write_planned(db, jan, &many))
        .expect("lines");
    county_reads_use_the_county_index(&mut db);
    db.batch("ANALYZE").expect("analyze");
    county_reads_use_the_county_index(&mut db);
}

/// Each of the county reads' plans reads `l` through `payroll_lines_county` by month and county.
fn county_reads_use_the_county_index(db: &mut Db) {
    for sql in payroll::county_reads_sql() {
        let plan: Vec<String> = db
            .query(
                &format!("EXPLAIN QUERY PLAN {sql}"),
                &[
                    tongchou_store::Val::I64(202001),
                    tongchou_store::Val::I64(140105),
                ],
            )
            .expect("plan")
            .iter()
            .map(|r| r[3].text().map(str::to_string).unwrap_or_default())
            .collect();
        let first = plan
            .iter()
            .find(|s| s.contains(" l ") || s.ends_with(" l"))
            .expect("l");
        assert!(
            first.contains("payroll_lines_county") && first.contains("county=?"),
            "{sql}:\n{plan:?}"
        );
    }
}

/// SQLite's plan of the pay step's one read of every payee (`payroll::Payees`): the pensioners
/// in person order, each person's row found by its key — every page of `persons` read once, in
/// file order — not the persons scanned and each pensioner looked up (which a count of the same
/// join chose, through the names' index).
#[test]
fn the_payees_are_read_in_person_order_on_sqlite() {
    let mut db = Db::open("sqlite::memory:").expect("open");
    db.migrate().expect("migrate");
    // rows for the statistics to describe (an ANALYZE of empty tables describes nothing)
    payee_rows(&mut db);
    for analyzed in [false, true] {
        if analyzed {
            db.batch("ANALYZE").expect("analyze");
        }
        let plan: Vec<String> = db
            .query(&format!("EXPLAIN QUERY PLAN {}", payroll::PAYEES_SQL), &[])
            .expect("plan")
            .iter()
            .map(|r| r[3].text().map(str::to_string).unwrap_or_default())
            .collect();
        assert_eq!(
            plan,
            ["SCAN s", "SEARCH p USING INTEGER PRIMARY KEY (rowid=?)"],
            "analyzed: {analyzed}"
        );
    }
}

/// Five persons written in reverse order, three of them pensioners (5, 3, 2), a survivor's claim
/// on 3.
fn payee_rows(db: &mut Db) {
    use tongchou_store::Val;
    for (id, name) in [
        (5, "周五"),
        (4, "李四"),
        (3, "张三"),
        (2, "王二"),
        (1, "赵一"),
    ] {
        db.exec(
            "INSERT INTO persons (id, id_number, name, sex, birth, category, county, payer_kind, \
             status, status_since, enrolled_on, declared_fen, as_of, paid_months, deemed_months, \
             avg_index, balance_fen) VALUES ($1, $2, $3, 'male', '1960-01-01', 'male', 140105, \
             'flexible', 'retired', '2020-01-01', '1990-01-01', 0, 202001, 360, 0, 10000, 0)",
            &[Val::I64(id), Val::Str(&format!("ID{id}")), Val::Str(name)],
        )
        .expect("person");
    }
    for id in [5, 3, 2] {
        db.exec(
            "INSERT INTO pensioners (person_id, county, retire_period, status, status_since, \
             contribution_months, monthly_fen, bank_code, bank_name, bank_account) \
             VALUES ($1, 140105, 201912, 'active', '2020-01-01', 360, 300000, '102', 'bank', $2)",
            &[Val::I64(id), Val::Str(&format!("62220000{id}"))],
        )
        .expect("pensioner");
    }
    db.exec(
        "INSERT INTO survivor_claims (person_id, county, claimant_name, claimant_id_number, \
         relation, bank_code, bank_name, bank_account, filed_on, filed_by, due_month, created_at) \
         VALUES (3, 140105, '张小三', 'ID9', 'child', '102', 'bank', '6222999', '2020-01-05', \
         'clerk', 202002, '2020-01-05T00:00:00Z')",
        &[],
    )
    .expect("claim");
}

/// `payroll::Payees`: every pensioner's name and account, a survivor's claim where one was filed,
/// nothing for a person who is no pensioner — whatever order the rows were written in.
fn payees(url: &str) {
    let mut db = Db::open(url).expect("open");
    db.migrate().expect("migrate");
    payee_rows(&mut db);
    let book = payroll::Payees::read(&mut db).expect("payees");
    assert_eq!(book.len(), 3);
    let payee = |name, account, claimant| payroll::Payee {
        name,
        account,
        claimant,
    };
    assert_eq!(book.get(1), None);
    assert_eq!(book.get(4), None);
    assert_eq!(book.get(2), Some(payee("王二", "622200002", None)));
    assert_eq!(
        book.get(3),
        Some(payee("张三", "622200003", Some(("张小三", "6222999"))))
    );
    assert_eq!(book.get(5), Some(payee("周五", "622200005", None)));
}

#[test]
fn payees_on_sqlite() {
    payees(&testing::sqlite_url("payees"));
}

#[test]
fn payees_on_postgres() {
    payees(&testing::pg_url("payees"));
}
