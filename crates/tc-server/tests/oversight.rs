//! The oversight pages on SQLite and PostgreSQL: the auditor finds the finance approver's
//! fund-plan decision in the audit log with filters, pages through it, exports it (CSV defused,
//! XLSX with Chinese headers and column widths), and every read is itself audited; the ledger's
//! trial balance, an account's history and their exports, region-scoped; the administrators'
//! accounts page with the separation of the three administrators, every refusal audited.

mod support;

use std::io::Read;
use support::{Client, PW, add_staff, seed, seed_application, start};
use tongchou_core::access::Role;
use tongchou_store::Db;
use tongchou_store::audit::{self, Actor, Entry};

fn count(db: &mut Db, sql: &str) -> i64 {
    db.query_i64(sql, &[]).expect("count")
}

fn rows(body: &str) -> usize {
    body.matches("<tr class=\"result-").count()
}

/// The text of a file inside an XLSX workbook.
fn xlsx_part(book: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(book)).expect("a zip archive");
    let mut s = String::new();
    z.by_name(name)
        .expect("part")
        .read_to_string(&mut s)
        .expect("utf-8");
    s
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn decide_the_plan(addr: std::net::SocketAddr) {
    let mut fin = Client::new(addr);
    fin.login("finance", PW);
    let page = fin.get("/plans/2022-06");
    let csrf = Client::csrf_in(&page.body);
    let r = fin.post_form(
        "/plans/2022-06/decision",
        &[("decision", "full"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
}

fn audit_log(db: &mut Db, addr: std::net::SocketAddr) {
    // sixty entries to page through, one with a formula for a login
    for i in 0..60 {
        let login = if i == 0 {
            "=HYPERLINK(\"x\")"
        } else {
            "tester"
        };
        audit::append(
            db,
            &Entry {
                actor: &Actor::operator(login),
                action: "test.entry",
                object_type: "thing",
                object_id: &format!("t{i}"),
                region: Some(140000),
                result: "ok",
                details: serde_json::json!({"i": i}),
            },
            tongchou_app::clock::now_ms(),
        )
        .expect("entry");
    }
    let mut aud = Client::new(addr);
    aud.login("auditor", PW);
    let dash = aud.get("/dashboard");
    assert!(dash.body.contains("id=\"audit-link\"") && dash.body.contains("id=\"ledger-link\""));
    assert!(!dash.body.contains("id=\"admin-link\""));
    // the auditor finds the decision
    let found = aud.get("/audit?action=approval.decide&object=fund_plan&result=ok");
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(rows(&found.body), 1, "{}", found.body);
    assert!(found.body.contains("审批决定") && found.body.contains("finance"));
    assert!(found.body.contains("哈希链校验通过"), "{}", found.body);
    let none = aud.get("/audit?action=approval.decide&result=denied&login=finance");
    assert_eq!(rows(&none.body), 0);
    // a date range that ends before today finds nothing; one through today finds the decision
    let past = aud.get("/audit?action=approval.decide&to=2020-01-01");
    assert_eq!(rows(&past.body), 0);
    let today = tongchou_app::clock::today_china();
    let now = aud.get(&format!(
        "/audit?action=approval.decide&from={today}&to={today}"
    ));
    assert_eq!(rows(&now.body), 1, "{}", now.body);
    assert_eq!(aud.get("/audit?from=yesterday").status, 400);
    // pages of fifty, the filter kept
    let first = aud.get("/audit?action=test.entry");
    assert_eq!(rows(&first.body), 50);
    assert!(first.body.contains("t59") && !first.body.contains(">thing t9<"));
    assert!(!first.body.contains("audit-newer"));
    let older = first
        .body
        .split("id=\"audit-older\" href=\"")
        .nth(1)
        .expect("older link");
    let older = older[..older.find('"').expect("end")].replace("&amp;", "&");
    assert!(older.contains("action=test.entry"), "{older}");
    let second = aud.get(&older);
    assert_eq!(rows(&second.body), 10, "{}", second.body);
    assert!(!second.body.contains("audit-older"));
    let newer = second
        .body
        .split("id=\"audit-newer\" href=\"")
        .nth(1)
        .expect("newer link");
    let newer = newer[..newer.find('"').expect("end")].replace("&amp;", "&");
    let back = aud.get(&newer);
    assert_eq!(rows(&back.body), 50);
    assert!(back.body.contains("t59") && back.body.contains("t10"));
    // exports
    let (st, h, csv) = aud.get_bytes("/audit/export?action=test.entry&format=csv");
    assert_eq!(st, 200);
    assert!(header(&h, "content-type").starts_with("text/csv"));
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.starts_with("\u{feff}序号,时间（北京时间）,用户,操作"),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 61);
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "the formula is defused: {csv}"
    );
    let (st, _, book) = aud.get_bytes("/audit/export?action=approval.decide&format=xlsx");
    assert_eq!(st, 200);
    let strings = xlsx_part(&book, "xl/sharedStrings.xml");
    assert!(
        strings.contains("时间（北京时间）") && strings.contains("审批决定"),
        "{strings}"
    );
    assert!(
        xlsx_part(&book, "xl/worksheets/sheet1.xml").contains("<col "),
        "widths"
    );
    // every read and export was audited
    assert!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'audit.read' AND login = 'auditor' AND result = 'ok'"
        ) >= 7
    );
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'audit.export' AND login = 'auditor'"
        ),
        2
    );
    // a city's auditor sees their region's entries only
    let mut city = Client::new(addr);
    city.login("city.auditor", PW);
    let c = city.get("/audit?action=test.entry");
    assert_eq!((c.status, rows(&c.body)), (200, 0));
    // roles without audit_read are refused, and the refusal audited
    for login in ["sysadmin", "secadmin", "clerk"] {
        let mut u = Client::new(addr);
        u.login(login, PW);
        assert_eq!(u.get("/audit").status, 403, "{login}");
        assert_eq!(u.get("/audit/export?format=csv").status, 403, "{login}");
    }
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('audit.read', 'audit.export') AND result = 'denied'"
        ),
        6
    );
}

fn ledger(db: &mut Db, addr: std::net::SocketAddr) {
    let mut aud = Client::new(addr);
    aud.login("auditor", PW);
    let tb = aud.get("/ledger");
    assert_eq!(tb.status, 200, "{}", tb.body);
    assert!(
        tb.body.contains("账簿校验通过") && tb.body.contains("借贷平衡"),
        "{}",
        tb.body
    );
    assert!(
        tb.body.contains("财政专户") && tb.body.contains(" 元"),
        "{}",
        tb.body
    );
    // a bank-account row names the agency's bank account in force (none configured here)
    assert!(
        tb.body.contains("class=\"bank-account\">未配置<"),
        "{}",
        tb.body
    );
    let debit = tb.body.split("id=\"tb-debit\">").nth(1).expect("debit");
    let credit = tb.body.split("id=\"tb-credit\">").nth(1).expect("credit");
    assert_eq!(
        debit[..debit.find('<').expect("e")],
        credit[..credit.find('<').expect("e")]
    );
    let hist = aud.get("/ledger/account?account=140000:fiscal_special_account");
    assert_eq!(hist.status, 200, "{}", hist.body);
    assert!(
        hist.body.contains("ledger-history") && hist.body.contains("1,000,000.00 元"),
        "{}",
        hist.body
    );
    let (st, _, csv) = aud.get_bytes("/ledger/export?format=csv&book=140000");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert_eq!(st, 200);
    assert!(
        csv.contains("科目代码,科目名称,借方余额（元）") && csv.contains("合计"),
        "{csv}"
    );
    let (st, _, book) =
        aud.get_bytes("/ledger/export?format=xlsx&account=140000:fiscal_special_account");
    assert_eq!(st, 200);
    assert!(xlsx_part(&book, "xl/sharedStrings.xml").contains("业务类别"));
    assert!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.export' AND login = 'auditor'"
        ) == 2
    );
    // the account's history as a grid: filtered, sorted by amount, the selection exported
    // (audited like the whole history's export)
    let acct = "/ledger/account?account=140000:fiscal_special_account";
    assert!(
        hist.body.contains("id=\"ledger-history-filter\""),
        "{}",
        hist.body
    );
    let sorted = aud.get(&format!("{acct}&sort=5&dir=desc"));
    assert_eq!(sorted.status, 200);
    assert!(sorted.body.contains("金额（元） ▼"), "{}", sorted.body);
    let none = aud.get(&format!("{acct}&q=no-such-reference"));
    assert!(none.body.contains("共 0 行"), "{}", none.body);
    let (st, h, csv) = aud.get_bytes(&format!("{acct}&q=1%2C000%2C000.00&export=csv"));
    assert_eq!(st, 200);
    assert!(
        h.iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-disposition") && v.contains("ledger-")),
        "{h:?}"
    );
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(csv.starts_with("\u{feff}流水号,日期,业务类别"), "{csv}");
    assert!(csv.contains(",1000000.00,"), "{csv}");
    let (st, _, book) = aud.get_bytes(&format!("{acct}&export=xlsx"));
    assert_eq!(st, 200);
    assert!(xlsx_part(&book, "xl/sharedStrings.xml").contains("对方科目"));
    assert_eq!(aud.get(&format!("{acct}&export=pdf")).status, 400);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.export' AND login = 'auditor'"
        ),
        4
    );
    references_in_the_readers_language(db, &mut aud, acct);
    // a city's auditor: their books, not the province's
    let mut city = Client::new(addr);
    city.login("city.auditor", PW);
    assert_eq!(city.get("/ledger").status, 200);
    assert_eq!(city.get("/ledger?book=140105").status, 200);
    assert_eq!(city.get("/ledger?book=140000").status, 403);
    let mut clerk = Client::new(addr);
    clerk.login("clerk", PW);
    assert_eq!(clerk.get("/ledger").status, 403);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.read' AND result = 'denied'"
        ),
        2
    );
}

/// A reference of a shape a use case books (`collection batch 2022-06`) is kept as booked and
/// shown in the reader's language on the account's history.
fn references_in_the_readers_language(db: &mut Db, aud: &mut Client, acct: &str) {
    tongchou_app::income::record(
        db,
        &tongchou_store::audit::Actor::operator("test"),
        tongchou_app::clock::now_ms(),
        &tongchou_app::income::Income {
            key: "subsidy/reference-shape",
            region: tongchou_core::RegionCode::new(140000).expect("code"),
            kind: "subsidy-province",
            amount: tongchou_core::Fen::new(100),
            date: "2022-06-02".parse().expect("date"),
            reference: "collection batch 2022-06",
        },
    )
    .expect("income");
    let zh = aud.get(acct);
    assert!(
        zh.body.contains("<td>2022-06 征缴批次</td>") && !zh.body.contains("collection batch"),
        "{}",
        zh.body
    );
    aud.get("/lang?to=en&back=%2F");
    let en = aud.get(acct);
    assert!(
        en.body.contains("<td>collection batch 2022-06</td>"),
        "{}",
        en.body
    );
    aud.get("/lang?to=zh-CN&back=%2F");
}

fn post(c: &mut Client, action: &str, fields: &[(&str, &str)]) -> support::Resp {
    let page = c.get("/admin/users");
    let csrf = Client::csrf_in(&page.body);
    let mut f: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    f.extend_from_slice(fields);
    c.post_form(&format!("/admin/users/{action}"), &f)
}

fn admin(db: &mut Db, addr: std::net::SocketAddr) {
    let strong = "correct horse battery staple 7";
    let mut sys = Client::new(addr);
    sys.login("sysadmin", PW);
    let list = sys.get("/admin/users");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("县区社保经办机构") && list.body.contains("小店区"));
    // the accounts as a grid: filtered, exported
    assert!(list.body.contains("id=\"users-filter\""), "{}", list.body);
    let one = sys.get("/admin/users?q=city.auditor");
    assert!(
        one.body.contains("id=\"user-city.auditor\"") && !one.body.contains("id=\"user-clerk\"")
    );
    let (st, _, csv) = sys.get_bytes("/admin/users?export=csv&sort=0");
    assert_eq!(st, 200);
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.starts_with("\u{feff}用户名,姓名,角色,辖区,状态,动态验证码\n"),
        "{csv}"
    );
    assert!(
        csv.contains("city.auditor,") && csv.contains("县区社保经办机构"),
        "{csv}"
    );
    let add = [
        ("login", "new.clerk"),
        ("display_name", "新经办"),
        ("role", "county_agency"),
        ("region", "140105"),
    ];
    let weak = post(
        &mut sys,
        "add",
        &[add[0], add[1], add[2], add[3], ("password", "aaaaaaaaaaaa")],
    );
    assert_eq!(weak.status, 400);
    assert!(weak.body.contains("密码强度不足"), "{}", weak.body);
    let ok = post(
        &mut sys,
        "add",
        &[add[0], add[1], add[2], add[3], ("password", strong)],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    assert!(sys.get("/admin/users").body.contains("new.clerk"));
    // 三员分立: no administrator accounts from the page, none on oneself, no locking for the
    // system administrator
    let adm = post(
        &mut sys,
        "add",
        &[
            ("login", "root2"),
            ("display_name", "x"),
            ("role", "audit_admin"),
            ("region", "140000"),
            ("password", strong),
        ],
    );
    assert_eq!(adm.status, 403, "{}", adm.body);
    assert_eq!(
        post(
            &mut sys,
            "password",
            &[("login", "sysadmin"), ("password", strong)]
        )
        .status,
        403
    );
    assert_eq!(
        post(&mut sys, "lock", &[("login", "new.clerk")]).status,
        403
    );
    assert_eq!(
        post(
            &mut sys,
            "password",
            &[
                ("login", "new.clerk"),
                ("password", "another fine long passphrase 9")
            ]
        )
        .status,
        303
    );
    // the second factor: shown once, confirmed with a current code
    let enrol = post(&mut sys, "totp", &[("login", "new.clerk")]);
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    let secret = enrol
        .body
        .split("id=\"totp-secret\"><code>")
        .nth(1)
        .expect("secret");
    let secret = &secret[..secret.find('<').expect("end")];
    assert!(
        enrol
            .body
            .contains("otpauth://totp/Tongchou:new.clerk?secret=")
    );
    let wrong = post(
        &mut sys,
        "totp-confirm",
        &[("login", "new.clerk"), ("code", "000000")],
    );
    assert_eq!(wrong.status, 400, "{}", wrong.body);
    let code = tongchou_store::totp::code_at(secret, tongchou_app::clock::now_ms()).expect("code");
    let right = post(
        &mut sys,
        "totp-confirm",
        &[("login", "new.clerk"), ("code", &code)],
    );
    assert_eq!(right.status, 303, "{}", right.body);
    assert_eq!(
        tongchou_store::totp::state(db, "new.clerk").expect("state"),
        (true, false)
    );
    // the security administrator locks, unlocks and changes roles, not their own
    let mut sec = Client::new(addr);
    sec.login("secadmin", PW);
    assert_eq!(post(&mut sec, "lock", &[("login", "clerk2")]).status, 303);
    let mut clerk2 = Client::new(addr);
    assert_eq!(clerk2.login("clerk2", PW).status, 401);
    assert_eq!(post(&mut sec, "unlock", &[("login", "clerk2")]).status, 303);
    assert_eq!(clerk2.login("clerk2", PW).status, 303);
    assert_eq!(post(&mut sec, "lock", &[("login", "sysadmin")]).status, 403);
    assert_eq!(
        post(
            &mut sec,
            "role",
            &[
                ("login", "secadmin"),
                ("role", "auditor"),
                ("region", "140000")
            ]
        )
        .status,
        403
    );
    assert_eq!(
        post(
            &mut sec,
            "role",
            &[
                ("login", "clerk2"),
                ("role", "city_agency"),
                ("region", "140100")
            ]
        )
        .status,
        303
    );
    assert_eq!(
        post(
            &mut sec,
            "add",
            &[add[0], add[1], add[2], add[3], ("password", strong)]
        )
        .status,
        403
    );
    // the audit administrator manages no account, and reads the administrators' actions
    let mut aa = Client::new(addr);
    aa.login("auditadmin", PW);
    assert_eq!(aa.get("/admin/users").status, 403);
    let seen = aa.get("/audit?login=sysadmin&action=user.add");
    assert_eq!(rows(&seen.body), 2, "{}", seen.body);
    assert!(seen.body.contains("新增用户") && seen.body.contains("拒绝"));
    let denied = count(
        db,
        "SELECT COUNT(*) FROM audit_log WHERE result = 'denied' AND action LIKE 'user.%' AND details LIKE '%separation%'",
    );
    assert_eq!(denied, 4);
    assert_eq!(
        count(
            db,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'user.list' AND login = 'auditadmin' AND result = 'denied'"
        ),
        1
    );
    for a in [
        "user.add",
        "user.password",
        "user.totp_begin",
        "user.totp_enable",
        "user.deactivate",
        "user.unlock",
        "user.role",
    ] {
        assert!(
            count(
                db,
                &format!(
                    "SELECT COUNT(*) FROM audit_log WHERE action = '{a}' AND result = 'ok' AND login <> 'test'"
                )
            ) >= 1,
            "{a}"
        );
    }
}

fn scenario(url: &str) {
    seed(url);
    let out = std::env::temp_dir().join(format!("tc-oversight-{}", std::process::id()));
    let (mut db, _, _) = seed_application(url, &out);
    add_staff(&mut db, "secadmin", Role::SecurityAdmin, 140000);
    add_staff(&mut db, "auditadmin", Role::AuditAdmin, 140000);
    add_staff(&mut db, "city.auditor", Role::Auditor, 140100);
    let srv = start(url);
    decide_the_plan(srv.addr);
    audit_log(&mut db, srv.addr);
    ledger(&mut db, srv.addr);
    admin(&mut db, srv.addr);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn oversight_pages_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("oversight"));
}

#[test]
fn oversight_pages_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("oversight"));
}
