//! The declarative partitioning of PostgreSQL (migration 0059, docs/SCALE.md): the five large
//! tables are partitioned, rows land in the partition of their period (or of their key's hash),
//! a month's query reads one partition, and the keys hold as before. On SQLite the migration is
//! recorded and changes nothing. The whole suite runs on this partitioned schema: it is the
//! PostgreSQL schema.

use tongchou_store::{Db, Val, testing};

fn texts(db: &mut Db, sql: &str) -> Vec<String> {
    db.query(sql, &[])
        .expect("query")
        .iter()
        .map(|r| r[0].text().expect("text").to_string())
        .collect()
}

fn insert_line(db: &mut Db, month: i64, person: i64, e2e: &str) -> tongchou_store::Result<u64> {
    db.exec(
        "INSERT INTO payroll_line_rows (month, person_id, item, attempt, county, amount_fen, end_to_end, status) \
         VALUES ($1, $2, 'pension', 1, 140105, 100, $3, 'planned')",
        &[Val::I64(month), Val::I64(person), Val::Str(e2e)],
    )
}

#[test]
fn the_large_tables_are_partitioned_on_postgres() {
    let mut db = Db::open(&testing::pg_url("parts")).expect("open");
    let parts = texts(
        &mut db,
        "SELECT p.relname::text || ':' || count(c.oid)::text FROM pg_class p \
         JOIN pg_inherits i ON i.inhparent = p.oid JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE p.relnamespace = current_schema()::regnamespace AND p.relkind = 'p' \
         GROUP BY p.relname ORDER BY 1",
    );
    assert_eq!(
        parts,
        [
            "applications_explicit:6",
            "assessments:6",
            "ledger_line:4",
            "payroll_line_rows:6",
            "receipts:4"
        ]
    );
    // rows land in the partition of their month; one outside the blocks in the default
    for (month, person) in [(202003, 1), (202512, 2), (201001, 3), (202003, 4)] {
        insert_line(&mut db, month, person, &format!("E{month}P{person}")).expect("line");
    }
    let placed = texts(
        &mut db,
        "SELECT CAST(tableoid::regclass AS TEXT) || ':' || CAST(month AS TEXT) FROM payroll_line_rows ORDER BY person_id",
    );
    assert_eq!(
        placed,
        [
            "payroll_lines_y2020:202003",
            "payroll_lines_y2025:202512",
            "payroll_lines_other:201001",
            "payroll_lines_y2020:202003"
        ]
    );
    // a month's query reads one partition, through the view of the lines' states too
    let plan = texts(
        &mut db,
        "EXPLAIN SELECT count(*) FROM payroll_lines WHERE month = 202003",
    )
    .join("\n");
    assert!(plan.contains("payroll_lines_y2020"), "{plan}");
    for other in [
        "payroll_lines_y2025",
        "payroll_lines_other",
        "payroll_lines_y2015",
    ] {
        assert!(!plan.contains(other), "{other} read: {plan}");
    }
    // the end-to-end id stays unique within its month; the primary key holds
    assert!(insert_line(&mut db, 202003, 9, "E202003P1").is_err());
    assert!(insert_line(&mut db, 202003, 1, "another").is_err());
    // receipts and ledger lines spread by their key's hash
    for i in 0..64 {
        db.exec(
            "INSERT INTO receipts (receipt, person_id, period, paid_fen, paid_on, import_id) VALUES ($1, $2, 202003, 1, '2020-03-15', 1)",
            &[Val::Str(&format!("R{i}")), Val::I64(i)],
        )
        .expect("receipt");
    }
    let spread = db
        .query_i64("SELECT count(DISTINCT tableoid) FROM receipts", &[])
        .expect("spread");
    assert_eq!(spread, 4, "64 receipts over the four hash partitions");
}

#[test]
fn on_sqlite_the_partitioning_is_recorded_and_changes_nothing() {
    let mut db = Db::open(&testing::sqlite_url("parts")).expect("open");
    let n = db
        .query_i64(
            "SELECT count(*) FROM schema_migrations WHERE name = 'partitions'",
            &[],
        )
        .expect("migrations");
    assert_eq!(n, 1);
    insert_line(&mut db, 202003, 1, "E1").expect("line");
    assert!(
        insert_line(&mut db, 202004, 2, "E1").is_err(),
        "end-to-end unique on SQLite"
    );
}
