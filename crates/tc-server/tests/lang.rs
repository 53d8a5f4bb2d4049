//! The pages' language through the real server on SQLite and PostgreSQL: zh-CN by default,
//! English chosen with the header's link (a session cookie) or asked by `Accept-Language`
//! without one, `<html lang>` following. The main pages rendered in English hold no Chinese
//! character apart from what the data holds (names of persons, users and places, and the
//! values typed in an import file's columns); rendered in Chinese they hold their Chinese
//! labels.

mod support;

use support::{Client, PW, seed, start};
use tongchou_core::Divisions;

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
/// Other roles' pages: the provincial bureau's reviewer, the finance approver, the auditor,
/// the system administrator.
const OTHERS: [(&str, &str); 10] = [
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
        _ => "申报的缴费工资基数",
    }
}

fn pages(c: &mut Client, paths: &[&str], lang: &str) {
    for p in paths {
        let r = c.get(p);
        assert!(
            r.status == 200 || *p == "/no-such-page",
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

fn scenario(url: &str) {
    seed(url);
    let srv = start(url);

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
