//! The reports in the browser, through the real server on a random port, on SQLite and
//! PostgreSQL, over a small synthetic province whose January 2020 was collected and disbursed:
//! the pages show the same totals as the sheets `tongchou report` prints (the same
//! `tongchou_app::reports` functions), the CSV download is the CLI's CSV byte for byte, the XLSX
//! download is a workbook, a county clerk sees only their county and is refused (and audited)
//! for another city, and an anonymous visitor is sent to the login page.

mod support;

use support::{Client, PW, add_staff, in_english, rc};
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_app::reports::{self, By, Cell, Sheet};
use tongchou_core::access::Role;
use tongchou_core::{Divisions, Fen, Period, Policy};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

fn month() -> Period {
    "2020-01".parse().expect("month")
}

/// A province of 1,000 persons, January 2020 collected (some paid late, some not at all) and
/// disbursed; staff: clerk (county 140105), auditor (province), officer and approver.
fn seed(url: &str, out: &std::path::Path) -> Db {
    let mut db = Db::open(url).expect("open");
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 42,
        persons: 1000,
        employers: None,
        start: month(),
    })
    .expect("generate");
    tongchou_sim::load::write_province(&mut db, &p).expect("load");
    Ledger::new(&mut db)
        .open_standard(Divisions::shanxi())
        .expect("accounts");
    let mut add = |login: &str, role: Role, region: u32| add_staff(&mut db, login, role, region);
    add("clerk", Role::CountyAgency, 140105);
    add("auditor", Role::Auditor, 140000);
    let officer = add("officer", Role::ProvinceBureauOfficer, 140000);
    let approver = add("approver", Role::FinanceApprover, 140000);
    support::paying_accounts(&mut db, &officer, "2000-01-01", 0);
    let policy = Policy::builtin().expect("policy");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 7,
        behaviour: Behaviour {
            late: 1500,
            partial: 1000,
            none: 500,
        },
    });
    collect::run_month(&mut db, &policy, month(), src).expect("collection");
    tongchou_app::income::record(
        &mut db,
        &tongchou_store::audit::Actor::operator("test"),
        tongchou_app::clock::now_ms(),
        &tongchou_app::income::Income {
            key: "subsidy/202001",
            region: rc(140000),
            kind: "subsidy-province",
            amount: Fen::new(100_000_000),
            date: month().day(2),
            reference: "test",
        },
    )
    .expect("income");
    let actors = disburse::Actors {
        officer,
        approver: Some(approver),
    };
    // the banks answer, so the month's payments are posted (the months payable count them)
    let mut opts = MonthOptions::new(out);
    opts.bank = Some(tongchou_sim::bank::counterpart(300, 1));
    disburse::run_month(&mut db, &policy, month(), &actors, &opts).expect("disbursement");
    db
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
    h.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The total row of the page's table.
fn tfoot(page: &str) -> &str {
    let start = page
        .find("<tfoot>")
        .unwrap_or_else(|| panic!("no total: {page}"));
    let end = page[start..].find("</tfoot>").expect("tfoot end") + start;
    &page[start..end]
}

/// Every amount and count of the sheet's total (as the CLI's JSON has it) is on the page's total
/// row, amounts grouped (`1,234,567.89`).
fn same_totals(page: &str, sheet: &Sheet) {
    let json = sheet.json();
    let total = tfoot(page);
    let cells = sheet.total.as_ref().expect("total");
    for (c, cell) in sheet.cols.iter().zip(cells) {
        let want = match cell {
            Cell::Money(_) => {
                let f: Fen = json["total"][c.key]
                    .as_str()
                    .expect("an amount")
                    .parse()
                    .expect("yuan");
                f.grouped()
            }
            Cell::Int(_) => json["total"][c.key].as_i64().expect("int").to_string(),
            _ => continue,
        };
        let td = format!("<td class=\"num\">{want}</td>");
        assert!(total.contains(&td), "{} {td} not in {total}", c.key);
    }
}

/// The charts of the dashboard and the reports, each with its title, description and a table of
/// its figures; the early warning and the ranking as grids that filter, sort and export.
fn charts(db: &mut Db, aud: &mut Client, disbursement: &Sheet) {
    let has_chart = |page: &str, id: &str| {
        assert!(page.contains(&format!("<svg id=\"{id}\"")), "{id}: {page}");
        assert!(page.contains(&format!("<desc id=\"{id}-desc\">")), "{id}");
        assert!(page.contains(&format!("<table id=\"{id}-data\"")), "{id}");
    };
    let report = tongchou_app::warn::compute(db, month()).expect("warn");
    let taiyuan = report
        .regions
        .iter()
        .find(|r| r.region == rc(140100))
        .expect("太原市");
    let dashboard = aud.get("/dashboard").body;
    has_chart(&dashboard, "balance-chart");
    assert!(
        dashboard.contains(&format!(
            "太原市 · 累计结余：{} 元",
            taiyuan.figures.balance.grouped()
        )),
        "{dashboard}"
    );
    let warn = aud.get("/reports/warn?period=2020-01").body;
    for id in ["months-chart", "collection-chart", "dependency-chart"] {
        has_chart(&warn, id);
    }
    assert!(
        warn.contains(&format!(
            "太原市 · 实际征缴：{} 元",
            taiyuan.figures.collected.grouped()
        )),
        "{warn}"
    );
    assert!(warn.matches("<rect").count() > 11);
    let json = disbursement.json();
    let row = json["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["city"] == "140100")
        .expect("太原市");
    let paid = row["paid"].clone();
    let page = aud.get("/reports/disbursement?period=2020-01").body;
    has_chart(&page, "payments-chart");
    let paid: Fen = paid.as_str().expect("paid").parse().expect("yuan");
    assert!(
        page.contains(&format!("太原市 · 已发放：{} 元", paid.grouped())),
        "{page}"
    );
    let page = aud.get("/reports/assess?year=2020").body;
    has_chart(&page, "rank-cities-chart");
    has_chart(&page, "rank-counties-chart");
    // the grid: filtered to a city, sorted by rank, the selection exported
    let only = aud.get("/reports/warn?period=2020-01&q=140100").body;
    assert!(
        only.contains("<td>140100</td>") && !only.contains("<td>140200</td>"),
        "{only}"
    );
    let (st, _, csv) = aud.get_bytes("/reports/warn?period=2020-01&q=140100&export=csv");
    assert_eq!(st, 200);
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(csv.starts_with("\u{feff}区划,名称,可支付月数"), "{csv}");
    assert!(
        csv.contains("140100,太原市") && !csv.contains("140200"),
        "{csv}"
    );
    let (st, _, book) = aud.get_bytes("/reports/assess?year=2020&export=xlsx");
    assert_eq!(st, 200);
    assert!(book.starts_with(b"PK\x03\x04"));
    let a = tongchou_app::assess::assess(db, 2020).expect("assess");
    let last = a.counties.iter().map(|s| s.rank).max().expect("ranked");
    let sorted = aud.get("/reports/assess?year=2020&sort=1&dir=desc").body;
    let grid = sorted.split("<table id=\"report\"").nth(1).expect("grid");
    let first = grid.split("<tbody>").nth(1).expect("rows");
    let first = &first[..first.find("</tr>").expect("row")];
    assert!(
        first.contains(&format!("<td class=\"num\">{last}</td>")),
        "{first}"
    );
}

fn scenario(url: &str, tag: &str) {
    let out = std::env::temp_dir().join(format!("tc-reports-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut db = seed(url, &out);
    let collection = reports::collection(&mut db, month(), None).expect("collection");
    let disbursement = reports::disbursement(&mut db, month(), None).expect("disbursement");
    let as_of = "2020-03-31".parse().expect("date");
    let arrears = reports::arrears(&mut db, None, By::County, as_of).expect("arrears");
    let srv = support::start(url);

    // anonymous: to the login page
    let mut anon = Client::new(srv.addr);
    for path in ["/reports", "/reports/collection?period=2020-01&format=csv"] {
        let r = anon.get(path);
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.header("location"), Some("/login"), "{path}");
    }

    // the auditor: every report of the province, in Chinese, the CLI's totals
    let mut aud = Client::new(srv.addr);
    assert_eq!(aud.login("auditor", PW).status, 303);
    assert!(aud.get("/dashboard").body.contains("id=\"reports-link\""));
    let list = aud.get("/reports");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("征缴报表") && list.body.contains("/reports/arrears"));
    let page = aud.get("/reports/collection?period=2020-01");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("征缴报表 2020年1月 山西省"),
        "{}",
        page.body
    );
    assert!(page.body.contains("实缴（元）") && page.body.contains("<td>合计</td>"));
    assert!(page.body.contains("<td>太原市</td>"), "{}", page.body);
    same_totals(&page.body, &collection);
    let total_assessed = collection.json()["total"]["assessed"].clone();
    assert_ne!(total_assessed, "0.00", "a month with contributions");
    let page = aud.get("/reports/disbursement?period=2020-01");
    assert_eq!(page.status, 200, "{}", page.body);
    same_totals(&page.body, &disbursement);
    assert!(page.body.contains("省级基金余额"), "{}", page.body);
    let page = aud.get("/reports/arrears?as_of=2020-03-31&by=county");
    assert_eq!(page.status, 200, "{}", page.body);
    same_totals(&page.body, &arrears);

    // downloads: the CLI's CSV, a workbook, the JSON
    let (status, h, csv) = aud.get_bytes("/reports/collection?period=2020-01&format=csv");
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "content-disposition"),
        "attachment; filename=\"collection-2020-01-140000.csv\""
    );
    assert_eq!(String::from_utf8(csv).expect("utf-8"), collection.csv());
    let (status, h, book) = aud.get_bytes("/reports/collection?period=2020-01&format=xlsx");
    assert_eq!(status, 200);
    assert!(header(&h, "content-disposition").starts_with("attachment; filename="));
    assert!(book.starts_with(b"PK\x03\x04"));
    let (_, _, json) = aud.get_bytes("/reports/collection?period=2020-01&format=json");
    let json: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(json, collection.json());
    // fund governance: the month's early warning (the disbursement report's months payable), the
    // year's assessment ranking, and the gap sharing once computed
    let page = aud.get("/reports/warn?period=2020-01");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("基金预警 2020年1月 山西省"),
        "{}",
        page.body
    );
    let months = tongchou_app::warn::months_payable(&mut db, month())
        .expect("months payable")
        .expect("a fund that paid");
    let shown = tongchou_engine::warning::tenths_text(months);
    assert!(
        page.body.contains(&format!("<td>{shown}</td>")),
        "{shown}: {}",
        page.body
    );
    let dd = format!("<dd data-key=\"months_payable\">{shown}</dd>");
    assert!(
        aud.get("/reports/disbursement?period=2020-01")
            .body
            .contains(&dd)
    );
    let dashboard = aud.get("/dashboard").body;
    assert!(dashboard.contains(&format!("{shown} 个月")), "{dashboard}");
    charts(&mut db, &mut aud, &disbursement);
    assert!(page.body.contains("可支付月数") && page.body.contains("责任主体"));
    let page = aud.get("/reports/assess?year=2020");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("目标考核 2020年 山西省") && page.body.contains("<td>太原市</td>"));
    assert!(
        page.body.contains("基金征缴") && page.body.contains("得分"),
        "{}",
        page.body
    );
    // in English: the warnings' levels, texts and who acts, the indicators' names and the lists
    // read in English, as do the downloads' headers
    support::in_english(
        &mut aud,
        &["/reports/warn?period=2020-01", "/reports/assess?year=2020"],
        &[],
    );
    aud.get("/lang?to=en&back=%2F");
    let (_, _, csv) = aud.get_bytes("/reports/warn?period=2020-01&export=csv");
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.starts_with("\u{feff}region,name,months payable"),
        "{csv}"
    );
    assert!(csv.contains("140100,太原市"), "{csv}");
    aud.get("/lang?to=zh-CN&back=%2F");
    let r = aud.get("/reports/gap?year=2020");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("2020年 尚无数据"), "{}", r.body);
    let officer = add_staff(&mut db, "gapper", Role::ProvinceBureauOfficer, 140000);
    tongchou_app::gap::compute(
        &mut db,
        &officer,
        2020,
        "2021-01-10".parse().expect("d"),
        "t",
        1,
    )
    .expect("gap");
    let page = aud.get("/reports/gap?year=2020");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("缺口分担 2020年 山西省"),
        "{}",
        page.body
    );
    let (status, h, _) = aud.get_bytes("/reports/gap?year=2020&format=xlsx");
    assert_eq!(status, 200);
    assert_eq!(
        header(&h, "content-disposition"),
        "attachment; filename=\"gap-2020-140000.xlsx\""
    );
    in_english(
        &mut aud,
        &[
            "/reports",
            "/reports/collection?period=2020-01",
            "/reports/disbursement?period=2020-01",
            "/reports/arrears?as_of=2020-03-31&by=county",
            "/reports/gap?year=2020",
            "/dashboard",
        ],
        &[],
    );
    // a month not run
    let r = aud.get("/reports/collection?period=2019-06");
    assert_eq!(r.status, 404);
    assert!(r.body.contains("2019年6月 尚无数据"), "{}", r.body);

    // a county clerk: their county only
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    let page = clerk.get("/reports/collection?period=2020-01");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<td>140105</td>"), "{}", page.body);
    assert!(!page.body.contains("<td>140106</td>"), "{}", page.body);
    assert!(!page.body.contains("<td>140200</td>"), "{}", page.body);
    assert!(
        !page.body.contains("value=\"140200\""),
        "no other city to choose"
    );
    let own = reports::collection(&mut db, month(), Some(rc(140105))).expect("own");
    same_totals(&page.body, &own);
    let (_, _, csv) = clerk.get_bytes("/reports/collection?period=2020-01&format=csv");
    assert_eq!(String::from_utf8(csv).expect("utf-8"), own.csv());
    for path in [
        "/reports/collection?period=2020-01&region=140200",
        "/reports/collection?period=2020-01&region=140200&format=csv",
        "/reports/arrears?region=140000",
        "/reports/disbursement?period=2020-01&region=140106",
    ] {
        let r = clerk.get(path);
        assert_eq!(r.status, 403, "{path}");
        assert!(r.body.contains("无权访问"), "{path}: {}", r.body);
    }
    let denied = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'report.read' AND result = 'denied'",
            &[],
        )
        .expect("audit");
    assert_eq!(denied, 4);
    let page = clerk.get("/reports/disbursement?period=2020-01");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<td>140100</td>"), "{}", page.body);
    // the clerk's early warning and ranking: their county (and its city above it) only
    let page = clerk.get("/reports/warn?period=2020-01");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<td>140105</td>"), "{}", page.body);
    assert!(!page.body.contains("<td>140106</td>"), "{}", page.body);
    let page = clerk.get("/reports/assess?year=2020");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("<td>140105</td>") && !page.body.contains("<td>140106</td>"));
    assert_eq!(
        clerk
            .get("/reports/warn?period=2020-01&region=140200")
            .status,
        403
    );
    let page = clerk.get("/reports/assess?year=2020&region=140105&drill=collection");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("征缴任务") && page.body.contains("<td>2020-01</td>"),
        "{}",
        page.body
    );
    assert_eq!(
        clerk.get("/reports/assess?year=2020&drill=nope").status,
        400
    );
    assert_eq!(
        clerk
            .get("/reports/assess?year=2020&region=140106&drill=payment")
            .status,
        403
    );
    assert!(!page.body.contains("<td>140200</td>"), "{}", page.body);
    drop(srv);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn reports_in_the_browser_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("reports"), "sqlite");
}

#[test]
fn reports_in_the_browser_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("reports"), "pg");
}
