//! The insured person's own pages, through the real server on a random port, on SQLite and
//! PostgreSQL: the pensioner reads their pension with how each part is computed (the rule run
//! again on the stored inputs), the payments made to them, their account's closed year with its
//! statement, and every month's contribution with what is still owed; staff cannot open these
//! pages; every read is audited.

mod support;

use support::{Client, PW, pensioner_history, seed, start};
use tongchou_store::Db;

fn count(db: &mut Db, sql: &str) -> i64 {
    db.query_i64(sql, &[]).expect("count")
}

fn scenario(url: &str) {
    seed(url);
    let mut db = Db::open(url).expect("open");
    let total = pensioner_history(&mut db);
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
    assert!(b.contains("基本养老金") && b.contains("已到账"), "{b}");
    assert!(b.contains("银行退回"), "{b}");
    assert!(b.contains("4,194.36 元"), "{b}");
    assert!(b.contains("/me/statement?year=2021"), "{b}");
    // 12 months assessed at 1,200 元, 11 paid: 1,200 元 owed
    assert!(
        b.contains("共 12 个月 · 应缴 14,400.00 元 · 已缴 13,200.00 元 · 欠缴 1,200.00 元"),
        "{b}"
    );
    assert!(b.contains("id=\"estimate-mine\""), "{b}");
    // registry values read in Chinese, amounts in yuan
    assert!(b.contains("已退休") && b.contains("<dd>男</dd>"), "{b}");
    assert!(b.contains("<dd>120,000.00 元</dd>"), "{b}");
    let st = me.get("/me/statement?year=2021");
    assert_eq!(st.status, 200, "{}", st.body);
    assert!(
        st.body.contains("<dt>本年记账</dt><dd>4,400.00 元</dd>"),
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
