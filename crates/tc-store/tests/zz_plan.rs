use tongchou_store::{Db, testing};
#[test]
fn plan() {
    let mut db = Db::open(&testing::sqlite_url("zzplan")).unwrap();
    for sql in [
        "EXPLAIN QUERY PLAN SELECT f.msg_id, l.end_to_end, l.amount_fen, l.item FROM payroll_line_rows l JOIN payment_files f ON f.month = l.month AND f.county = l.county AND (f.msg_id = l.msg_id OR (l.msg_id IS NULL AND l.status = 'planned' AND f.first_e2e <= l.end_to_end AND f.last_e2e >= l.end_to_end)) WHERE l.month = $1 AND l.county = $2",
    ] {
        for r in db
            .query(
                sql,
                &[tongchou_store::Val::I64(1), tongchou_store::Val::I64(2)],
            )
            .unwrap()
        {
            eprintln!("{:?}", r);
        }
    }
}
