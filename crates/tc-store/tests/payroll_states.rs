//! A payment line's state changes (migrations 0063 and 0064): the lines waiting for a later
//! payroll (deferred, returned) are found through `held`, on both backends; on PostgreSQL a
//! line's status change is a heap-only update (no index entry written), because no index names
//! `status` and the pages keep room for the new version.

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

fn states(url: &str) {
    let mut db = Db::open(url).expect("open");
    let pg = db.backend() == Backend::Postgres;
    let jan: Period = "2020-01".parse().expect("p");
    let feb: Period = "2020-02".parse().expect("p");
    let county = RegionCode::new(COUNTY).expect("county");
    db.transaction(|db| payroll::write_planned(db, jan, &lines(jan, 300, "E")))
        .expect("planned");
    // issued in one file: every line rewritten once, and on PostgreSQL in place
    db.begin().expect("begin");
    // the counters of this transaction still hold earlier ones not yet flushed: deltas
    let base = if pg {
        updates(&mut db, "payroll_lines_y2020")
    } else {
        (0, 0)
    };
    let n =
        payroll::mark_range_issued(&mut db, jan, county, "M1", "E202001P00001", "E202001P00300")
            .expect("issued");
    assert_eq!(n, 300);
    if pg {
        let (all, hot) = updates(&mut db, "payroll_lines_y2020");
        assert_eq!((all - base.0, hot - base.1), (300, 300));
    }
    db.commit().expect("commit");
    // one returned, the rest paid: the returned one waits for a re-issue
    db.begin().expect("begin");
    let base = if pg {
        updates(&mut db, "payroll_lines_y2020")
    } else {
        (0, 0)
    };
    assert_eq!(
        payroll::mark_returned(&mut db, 202001, "E202001P00007", "AC04 closed account")
            .expect("ret"),
        1
    );
    assert_eq!(
        payroll::mark_message_paid(&mut db, 202001, COUNTY as i64, "M1").expect("paid"),
        299
    );
    if pg {
        // (whether these are heap-only too depends on the planned versions being pruned by
        // then, i.e. on no older snapshot in the database: not asserted on a shared server)
        let (all, _) = updates(&mut db, "payroll_lines_y2020");
        assert_eq!(all - base.0, 300);
    }
    db.commit().expect("commit");
    let returned = payroll::returned_not_reissued(&mut db).expect("returned");
    assert_eq!(
        returned
            .iter()
            .map(|r| r.end_to_end.as_str())
            .collect::<Vec<_>>(),
        ["E202001P00007"]
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
    assert_eq!(held, ["carried/-/5", "paid/-/299", "returned/returned/1"]);
    if pg {
        // no index of the payment lines names the status
        let named = db
            .query_i64(
                "SELECT count(*) FROM pg_index x WHERE x.indrelid = CAST('payroll_lines' AS regclass) \
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
