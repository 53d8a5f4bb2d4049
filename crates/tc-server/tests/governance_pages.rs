//! The gap sharing page (`/gap`) and the fund projection page (`/projection`) through the real
//! server on SQLite and PostgreSQL: the provincial bureau officer computes a year's gap in the
//! page (audited), a county clerk cannot (403, audited) and sees only their county; the finance
//! officer records a county's payment (the ledger and the audit log hold it; a missing CSRF
//! field is refused); the projection page shows the use case's figures, its chart and
//! assumptions, and its XLSX; a county clerk is refused it.

mod support;

use support::{Client, PW, seed_governance};
use tongchou_store::Db;
use tongchou_store::audit::{Filter, list};

fn audited(db: &mut Db, action: &str, result: &str) -> usize {
    list(
        db,
        &Filter {
            action: Some(action.into()),
            ..Default::default()
        },
    )
    .expect("audit")
    .iter()
    .filter(|e| e.result == result)
    .count()
}

fn gap_page(db: &mut Db, srv: &tongchou_server::Background) {
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    let page = clerk.get("/gap?year=2020");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("尚未计算") && !page.body.contains("gap-compute-form"));
    let csrf = Client::csrf_in(&clerk.get("/dashboard").body);
    let refused = clerk.post_form("/gap/compute", &[("year", "2020"), ("csrf", &csrf)]);
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(
        tongchou_store::governance::gap_year(db, 2020)
            .expect("q")
            .is_none()
    );
    assert_eq!(
        audited(db, "http.forbidden", "denied"),
        1,
        "the refusal is audited"
    );

    let mut officer = Client::new(srv.addr);
    assert_eq!(officer.login("officer", PW).status, 303);
    assert!(officer.get("/dashboard").body.contains("id=\"gap-link\""));
    let page = officer.get("/gap?year=2020");
    assert!(page.body.contains("gap-compute-form"), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let no_csrf = officer.post_form("/gap/compute", &[("year", "2020")]);
    assert_eq!(no_csrf.status, 403);
    let done = officer.post_form(
        "/gap/compute",
        &[("year", "2020"), ("on", "2021-01-10"), ("csrf", &csrf)],
    );
    assert_eq!(done.status, 303, "{}", done.body);
    assert!(
        done.header("location")
            .expect("loc")
            .starts_with("/gap?year=2020&done=")
    );
    let v = tongchou_app::gap::show(db, 2020, "2021-07-01".parse().expect("d")).expect("gap");
    assert!(v.year.gap.is_positive(), "{:?}", v.year);
    assert_eq!(audited(db, "gap.compute", "ok"), 1);
    let page = officer.get("/gap?year=2020");
    assert!(
        page.body.contains(&format!("{} 元", v.year.gap.grouped())),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"gap-counties\"") && !page.body.contains("gap-settle-form"));
    // the gap's causes and its shares by level as charts, their figures in tables
    for id in ["gap-causes-chart", "gap-shares-chart"] {
        assert!(page.body.contains(&format!("<svg id=\"{id}\"")), "{id}");
        assert!(
            page.body.contains(&format!("<table id=\"{id}-data\"")),
            "{id}"
        );
    }
    assert!(
        page.body
            .contains("<title id=\"gap-causes-chart-title\">缺口成因</title>")
    );
    assert!(page.body.contains("<th>省级承担</th>"), "{}", page.body);

    // the clerk sees their county's causes only
    let own = clerk.get("/gap?year=2020").body;
    let table = own
        .split("id=\"gap-counties\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the clerk's table");
    assert!(!table.contains("140106 "), "{own}");
    // the officer sorts the counties by gap and downloads what is selected
    let sorted = officer.get("/gap?year=2020&sort=1&dir=desc");
    assert!(sorted.body.contains("缺口（元） ▼"), "{}", sorted.body);
    assert!(
        sorted
            .body
            .contains("href=\"/gap?year=2020&amp;sort=1&amp;dir=asc\"")
    );
    let (st, headers, _) = officer.get_bytes("/gap?year=2020&export=xlsx&sort=1&dir=desc");
    assert_eq!(st, 200);
    assert!(
        headers
            .iter()
            .any(|(k, v)| k == "content-disposition" && v.contains("gap-2020.xlsx"))
    );
    // the exported columns in the reader's language, as on the page
    let (_, _, csv) = officer.get_bytes("/gap?year=2020&export=csv");
    let csv = String::from_utf8_lossy(&csv).into_owned();
    assert!(csv.contains("区县,缺口（元）,征缴不力（元）"), "{csv}");
    officer.get("/lang?to=en&back=%2Fgap");
    let (_, _, csv) = officer.get_bytes("/gap?year=2020&export=csv");
    let csv = String::from_utf8_lossy(&csv).into_owned();
    assert!(
        csv.contains("County,Gap (yuan),Collection shortfall (yuan)"),
        "{csv}"
    );
    officer.get("/lang?to=zh-CN&back=%2Fgap");

    // the finance officer records a county's payment of 1 yuan, then the rest
    let json = tongchou_app::gap::json(&v, None).expect("json");
    let county = json["governments"]
        .as_array()
        .expect("g")
        .iter()
        .map(|g| g["region"].as_i64().expect("r"))
        .find(|r| r % 100 != 0)
        .expect("a county bears a share");
    let mut fin = Client::new(srv.addr);
    assert_eq!(fin.login("finance", PW).status, 303);
    let page = fin.get("/gap?year=2020");
    assert!(page.body.contains("gap-settle-form"), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let county_s = county.to_string();
    let one = fin.post_form(
        "/gap/settle",
        &[
            ("year", "2020"),
            ("region", &county_s),
            ("amount", "1.00"),
            ("on", "2021-03-01"),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(one.status, 303, "{}", one.body);
    let rest = fin.post_form(
        "/gap/settle",
        &[
            ("year", "2020"),
            ("region", &county_s),
            ("amount", ""),
            ("csrf", &csrf),
        ],
    );
    assert_eq!(rest.status, 303, "{}", rest.body);
    let again = fin.post_form(
        "/gap/settle",
        &[("year", "2020"), ("region", &county_s), ("csrf", &csrf)],
    );
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(audited(db, "gap.settle", "ok"), 2);
    let july = "2021-07-01".parse().expect("d");
    assert_eq!(support::gap_outstanding(db, 2020, july, county), "0.00");
    let page = fin.get("/gap?year=2020").body;
    assert!(page.contains("id=\"gap-settlements\""), "{page}");
    support::in_english(&mut fin, &["/gap?year=2020"], &[]);
    let check = tongchou_store::ledger::Ledger::new(db)
        .check()
        .expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    // the officer may not settle
    let csrf = Client::csrf_in(&officer.get("/dashboard").body);
    let r = officer.post_form(
        "/gap/settle",
        &[("year", "2020"), ("region", "140000"), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 403, "{}", r.body);
}

fn projection_page(db: &mut Db, srv: &tongchou_server::Background) {
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert_eq!(clerk.get("/projection").status, 403);
    assert!(!clerk.get("/dashboard").body.contains("projection-link"));
    let mut officer = Client::new(srv.addr);
    assert_eq!(officer.login("officer", PW).status, 303);
    assert!(
        officer
            .get("/dashboard")
            .body
            .contains("id=\"projection-link\"")
    );
    let page = officer.get("/projection?from_year=2020&years=10");
    assert_eq!(page.status, 200, "{}", page.body);
    let p = tongchou_app::projection::project(db, 2020, 10, &[]).expect("projection");
    assert!(
        page.body.contains("<svg id=\"projection-chart\""),
        "{}",
        page.body
    );
    assert_eq!(page.body.matches("<polyline").count(), p.runs.len());
    for r in &p.runs {
        let last = r.years.last().expect("year");
        assert!(
            page.body
                .contains(&format!("{} 元", last.closing.grouped())),
            "{}",
            r.terms.scenario
        );
        assert!(
            page.body
                .contains(&format!("id=\"projection-{}\"", r.terms.scenario))
        );
    }
    assert!(page.body.contains("projection.wage_growth") && page.body.contains("设计假定"));
    // the assumptions by their Chinese names (the id in the title) with Chinese sources
    assert!(
        page.body
            .contains("title=\"projection.wage_growth\">工资增长率<")
            && page.body.contains("统筹系统假定：基准减两个百分点")
            && !page.body.contains("Tongchou assumption"),
        "{}",
        page.body
    );
    // the default start is the last year with contributions
    let default = officer.get("/projection");
    assert_eq!(default.status, 200);
    assert!(default.body.contains("value=\"2020\""));
    let bad = officer.get("/projection?years=500");
    assert_eq!(bad.status, 400);
    let (status, h, book) = officer.get_bytes("/projection/download?from_year=2020&years=10");
    assert_eq!(status, 200);
    assert!(
        h.iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-disposition")
                && v == "attachment; filename=\"projection-2020.xlsx\"")
    );
    assert!(book.starts_with(b"PK\x03\x04"));
}

fn run(url: &str, tag: &str) {
    let out = std::env::temp_dir().join(format!("tc-gov-pages-{}-{tag}", std::process::id()));
    let mut db = seed_governance(url, &out);
    let srv = support::start(url);
    gap_page(&mut db, &srv);
    projection_page(&mut db, &srv);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn governance_pages_on_sqlite() {
    run(&tongchou_store::testing::sqlite_url("gov-pages"), "sqlite");
}

#[test]
fn governance_pages_on_postgres() {
    run(&tongchou_store::testing::pg_url("gov_pages"), "pg");
}
