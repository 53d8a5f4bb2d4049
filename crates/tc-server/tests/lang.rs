//! The pages' language through the real server on SQLite and PostgreSQL: zh-CN by default,
//! English chosen with the header's link (a session cookie) or asked by `Accept-Language`
//! without one, `<html lang>` following. The main pages rendered in English hold no Chinese
//! character apart from what the data holds (names of persons, users and places, and the
//! values typed in an import file's columns); rendered in Chinese they hold their Chinese
//! labels.

mod support;

use support::{Client, PW, add_staff, seed, start};
use tongchou_core::Divisions;
use tongchou_core::access::Role;

/// Anonymous pages, then a county clerk's.
const PUBLIC: [&str; 4] = ["/", "/login", "/estimate", "/no-such-page"];
const CLERK: [&str; 8] = [
    "/dashboard",
    "/imports",
    "/imports/record?kind=persons",
    "/imports/record?kind=declarations",
    "/chain",
    "/retirement",
    "/claims",
    "/persons/search",
];
/// Other roles' pages: the provincial bureau's reviewer and officer (`bureau`, added here), the
/// finance officer and approver, the auditor, the system administrator, a county clerk, an
/// insured pensioner.
const OTHERS: [(&str, &str); 24] = [
    ("approver", "/month"),
    ("approver", "/dashboard"),
    ("approver", "/backpay"),
    ("fin.approver", "/plans"),
    ("fin.approver", "/dashboard"),
    ("auditor", "/audit"),
    ("auditor", "/close"),
    ("auditor", "/paying-accounts"),
    ("sysadmin", "/admin/users"),
    ("sysadmin", "/dashboard"),
    ("fin.officer", "/central"),
    ("fin.officer", "/reserve"),
    ("fin.officer", "/budget"),
    ("bureau", "/budget/analysis"),
    ("bureau", "/migration"),
    ("clerk", "/transfers"),
    ("clerk", "/recoveries"),
    ("clerk", "/certification"),
    ("citizen", "/me/certification"),
    ("auditor", "/reports"),
    ("auditor", "/reports/collection"),
    ("auditor", "/reports/gap"),
    ("auditor", "/gap"),
    ("auditor", "/reports/no-such"),
];

fn cjk(c: char) -> bool {
    matches!(c, '\u{3000}'..='\u{303f}' | '\u{3400}'..='\u{9fff}' | '\u{ff00}'..='\u{ffef}')
}

/// The page without what comes from data: the names of places, the users' display names, the
/// language switch's own name (中文) and the values an import column takes as written.
fn without_data(body: &str) -> String {
    let mut s = body.to_string();
    let d = Divisions::shanxi();
    let mut names: Vec<String> = d.all().iter().map(|r| r.name.clone()).collect();
    // longest first, so that a county's name goes before a shorter one it contains
    names.sort_by_key(|n| std::cmp::Reverse(n.chars().count()));
    for n in names {
        s = s.replace(&n, "");
    }
    for v in [
        "用户",
        ">中文<",
        "女干部",
        "女工人",
        "灵活就业",
        "职工",
        "男",
        "女",
        "正常",
        "暂停",
        "注销",
    ] {
        s = s.replace(v, "");
    }
    s
}

fn english(path: &str, body: &str) {
    assert!(body.contains("<html lang=\"en\">"), "{path}: {body}");
    let rest = without_data(body);
    let found: String = rest.chars().filter(|c| cjk(*c)).collect();
    assert!(
        found.is_empty(),
        "{path} in English holds {found:?}: {body}"
    );
}

fn chinese(path: &str, body: &str, label: &str) {
    assert!(body.contains("<html lang=\"zh-CN\">"), "{path}: {body}");
    assert!(body.contains(label), "{path} lacks {label}: {body}");
    assert!(body.contains("id=\"lang-switch\""), "{path}: {body}");
}

fn zh_label(path: &str) -> &'static str {
    match path {
        "/" => "工作人员登录",
        "/login" => "密码",
        "/estimate" => "平均缴费指数",
        "/no-such-page" => "页面不存在",
        "/dashboard" => "退出",
        "/imports" => "上传并导入",
        "/chain" => "用款计划报送",
        "/retirement" => "提交退休申请",
        "/claims" => "丧葬抚恤申领",
        "/persons/search" => "姓名（全名）",
        "/month" => "月度运行",
        "/plans" => "用款计划",
        "/backpay" => "补缴记录",
        "/audit" => "审计日志",
        "/close" => "已结账至",
        "/paying-accounts" => "全部版本",
        "/admin/users" => "本人职责",
        "/imports/record?kind=persons" => "18 位居民身份证号码",
        "/central" => "收付明细",
        "/reserve" => "登记划转国有股权",
        "/budget" => "季度执行分析",
        "/budget/analysis" => "序时进度",
        "/migration" => "已迁移的市",
        "/transfers" => "转出申请",
        "/recoveries" => "未结案件",
        "/certification" => "逾期未认证",
        "/me/certification" => "认证记录",
        "/reports" => "征缴报表",
        "/reports/collection" => "请选择月份后查询",
        "/reports/gap" => "请选择年度后查询",
        "/gap" => "年的缺口尚未计算",
        "/reports/no-such" => "没有这张报表",
        _ => "申报的缴费工资基数",
    }
}

fn pages(c: &mut Client, paths: &[&str], lang: &str) {
    for p in paths {
        let r = c.get(p);
        assert!(
            r.status == 200 || *p == "/no-such-page" || *p == "/reports/no-such",
            "{p}: {}",
            r.status
        );
        if lang == "en" {
            english(p, &r.body);
        } else {
            chinese(p, &r.body, zh_label(p));
        }
    }
}

/// `GET path` of the JSON API without a session, in the language `accept` asks for (none: the
/// default): the status and the JSON answer.
fn api_anonymous(
    addr: std::net::SocketAddr,
    path: &str,
    accept: Option<&str>,
) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut req = agent.get(format!("http://{addr}{path}"));
    if let Some(a) = accept {
        req = req.header("Accept-Language", a);
    }
    let mut r = req.call().expect("call");
    let status = r.status().as_u16();
    let body = r.body_mut().read_to_string().expect("body");
    (status, serde_json::from_str(&body).expect("JSON"))
}

/// The JSON API's errors in the request's language: zh-CN by default, English when the browser
/// asks for it or the language cookie says so.
fn api_errors(addr: std::net::SocketAddr) {
    let (status, zh) = api_anonymous(addr, "/api/me", None);
    assert_eq!(status, 401);
    assert_eq!(zh["message"], "请先登录", "{zh}");
    let (status, en) = api_anonymous(addr, "/api/me", Some("en-US,en;q=0.9"));
    assert_eq!(status, 401);
    assert_eq!(en["message"], "Log in first", "{en}");
    let mut c = Client::new(addr);
    assert_eq!(c.login("fin.approver", PW).status, 303);
    let r = c.get("/api/approvals/abc");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("id：应为整数"), "{}", r.body);
    let r = c.get("/api/approvals/999999");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("审批事项 999999 不存在"), "{}", r.body);
    c.get("/lang?to=en&back=%2F");
    let r = c.get("/api/approvals/abc");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("id: an integer"), "{}", r.body);
    let r = c.get("/api/approvals/999999");
    assert!(r.body.contains("approval 999999 not found"), "{}", r.body);
    assert!(!r.body.chars().any(cjk), "{}", r.body);
}

fn scenario(url: &str) {
    seed(url);
    // the provincial bureau's officer: the migration, the gap's computation, the analysis
    let mut db = tongchou_store::Db::open(url).expect("open");
    add_staff(&mut db, "bureau", Role::ProvinceBureauOfficer, 140000);
    drop(db);
    let srv = start(url);
    api_errors(srv.addr);

    // Chinese by default, English by the link, kept by its cookie, Chinese again by the link
    let mut anon = Client::new(srv.addr);
    pages(&mut anon, &PUBLIC, "zh");
    let home = anon.get("/estimate");
    assert!(
        home.body
            .contains("href=\"/lang?to=en&amp;back=%2Festimate\""),
        "{}",
        home.body
    );
    let r = anon.get("/lang?to=en&back=%2Festimate");
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/estimate"));
    assert_eq!(anon.cookies.get("tc_lang").map(String::as_str), Some("en"));
    pages(&mut anon, &PUBLIC, "en");
    // never sent away from the site
    let r = anon.get("/lang?to=en&back=%2F%2Fevil.example");
    assert_eq!(r.header("location"), Some("/"));

    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    pages(&mut clerk, &CLERK, "zh");
    clerk.get("/lang?to=en&back=%2Fdashboard");
    pages(&mut clerk, &CLERK, "en");
    let dash = clerk.get("/dashboard");
    assert!(
        dash.body.contains("County handling agency"),
        "{}",
        dash.body
    );
    clerk.get("/lang?to=zh-CN&back=%2F");
    pages(&mut clerk, &CLERK, "zh");

    for (login, path) in OTHERS {
        let mut c = Client::new(srv.addr);
        assert_eq!(c.login(login, PW).status, 303);
        pages(&mut c, &[path], "zh");
        c.get("/lang?to=en&back=%2F");
        pages(&mut c, &[path], "en");
    }

    // without the cookie, the browser's language
    let en = ureq::get(&format!("http://{}/login", srv.addr))
        .header("Accept-Language", "en-GB,en;q=0.9,zh-CN;q=0.5")
        .call()
        .expect("get")
        .into_body()
        .read_to_string()
        .expect("body");
    english("/login (Accept-Language)", &en);
    let zh = ureq::get(&format!("http://{}/login", srv.addr))
        .header("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.8")
        .call()
        .expect("get")
        .into_body()
        .read_to_string()
        .expect("body");
    chinese("/login (Accept-Language)", &zh, "密码");
}

#[test]
fn pages_in_both_languages_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("srv_lang"));
}

#[test]
fn pages_in_both_languages_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_lang"));
}
