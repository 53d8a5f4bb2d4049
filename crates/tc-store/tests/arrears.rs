//! A collection close writes only what it changed in the open arrears
//! (`collection::write_arrears_changes`): the items settled are deleted, the items paid in part
//! get their new `paid`, the new items are inserted; every other row stays as it was, its
//! employer with it, and nothing outside the slice is touched — on both engines. A change to a
//! row that is not there fails and writes nothing.

use std::collections::HashMap;
use tongchou_core::{Date, Fen, Period};
use tongchou_engine::collection::OpenItem;
use tongchou_store::collection::{self as store, ArrearsChanges};
use tongchou_store::{Db, Val, testing};

fn p(s: &str) -> Period {
    s.parse().expect("period")
}

fn item(person: i64, period: &str, paid: i64) -> OpenItem {
    OpenItem {
        person,
        period: p(period),
        county: 140105,
        due: Date::new(2026, 1, 15).expect("date"),
        total: Fen::new(10_000),
        account_total: Fen::new(3_333),
        paid: Fen::new(paid),
    }
}

/// Every open arrears row as (person, period, employer, paid), in key order.
fn rows(db: &mut Db) -> Vec<(i64, i64, i64, i64)> {
    db.query(
        "SELECT person_id, period, employer_id, paid_fen FROM arrears ORDER BY person_id, period",
        &[],
    )
    .expect("arrears")
    .iter()
    .map(|r| {
        (
            r[0].i64().expect("person"),
            r[1].i64().expect("period"),
            r[2].i64().expect("employer"),
            r[3].i64().expect("paid"),
        )
    })
    .collect()
}

#[test]
fn a_close_writes_only_the_arrears_it_changed_on_both_engines() {
    for url in testing::both("arrears_changes") {
        let mut db = Db::open(&url).expect("open");
        db.migrate().expect("migrate");
        // persons 1..=4 owe two months each, to the employers 71..=74
        let open: Vec<OpenItem> = (1..=4)
            .flat_map(|n| [item(n, "2026-01", 0), item(n, "2026-02", 100 * n)])
            .collect();
        let employers: HashMap<i64, i64> = (1..=4).map(|n| (n, 70 + n)).collect();
        db.begin().expect("begin");
        store::write_arrears_changes(
            &mut db,
            (0, 4),
            &ArrearsChanges {
                opened: open,
                ..Default::default()
            },
            &employers,
        )
        .expect("first close");
        db.commit().expect("commit");

        // the slice (1, 3]: person 2's January settled, person 3's February paid further, person
        // 2 opens March under a new employer; person 3 no longer contributes (no employer given)
        let changes = ArrearsChanges {
            settled: vec![(2, p("2026-01"))],
            part_paid: vec![(3, p("2026-02"), Fen::new(9_000))],
            opened: vec![item(2, "2026-03", 0)],
        };
        let employers = HashMap::from([(2, 92)]);
        db.begin().expect("begin");
        let opened =
            store::write_arrears_changes(&mut db, (1, 3), &changes, &employers).expect("close");
        db.commit().expect("commit");
        assert_eq!(opened, 1, "{url}");
        assert_eq!(
            rows(&mut db),
            vec![
                (1, 202601, 71, 0),
                (1, 202602, 71, 100),
                (2, 202602, 72, 200),
                (2, 202603, 92, 0),
                (3, 202601, 73, 0),
                (3, 202602, 73, 9_000),
                (4, 202601, 74, 0),
                (4, 202602, 74, 400),
            ],
            "{url}"
        );

        // a change to a row outside the slice, or not open, fails and writes nothing
        for (range, changes) in [
            (
                (1, 3),
                ArrearsChanges {
                    settled: vec![(3, p("2026-01")), (4, p("2026-01"))],
                    ..Default::default()
                },
            ),
            (
                (0, 4),
                ArrearsChanges {
                    part_paid: vec![(1, p("2026-03"), Fen::new(5))],
                    opened: vec![item(4, "2026-03", 0)],
                    ..Default::default()
                },
            ),
        ] {
            let before = rows(&mut db);
            let r = db.transaction(|db| {
                store::write_arrears_changes(db, range, &changes, &HashMap::new())
            });
            let e = r.expect_err("a change to a row not open in the slice");
            let slice = format!("({}, {}]", range.0, range.1);
            assert!(e.to_string().contains(&slice), "{url}: {e}");
            assert_eq!(rows(&mut db), before, "{url}");
        }
    }
}

/// SQLite's plans of the two statements find the changed rows by the key (person, period) of
/// `arrears`, within the slice: no scan of the open arrears.
#[test]
fn the_changes_are_found_by_key_on_sqlite() {
    let mut db = Db::open("sqlite::memory:").expect("open");
    db.migrate().expect("migrate");
    db.batch(store::ARREARS_PAID).expect("scratch table");
    for sql in store::ARREARS_CHANGE_SQL {
        let plan: Vec<String> = db
            .query(
                &format!("EXPLAIN QUERY PLAN {sql}"),
                &[Val::I64(0), Val::I64(1)],
            )
            .expect("plan")
            .iter()
            .map(|r| r[3].text().map(str::to_string).unwrap_or_default())
            .collect();
        let arrears: Vec<&String> = plan
            .iter()
            .filter(|s| s.contains(" arrears ") || s.ends_with(" arrears"))
            .collect();
        assert!(!arrears.is_empty(), "{sql}:\n{plan:?}");
        for step in arrears {
            assert!(
                step.starts_with("SEARCH") && step.contains("person_id="),
                "{sql}: {step}\n{plan:?}"
            );
        }
    }
}
