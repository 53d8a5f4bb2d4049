//! The final accounts and the period close in the browser, through the real server on SQLite
//! and PostgreSQL, over a small synthetic province whose January 2020 was collected and
//! disbursed: the page shows the figures of `tongchou_app::final_accounts` (the CLI's), with
//! XLSX and JSON downloads; a county clerk sees their county and is refused (and audited) for
//! another; the close page lists the books with their last closed month.

mod support;

use support::{Client, PW, add_staff, in_english, rc};
use tongchou_app::close::{self, CloseRequest};
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_app::final_accounts;
use tongchou_core::access::Role;
use tongchou_core::region::Level;
use tongchou_core::{Divisions, Period, Policy};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::Db;
use tongchou_store::ledger::Ledger;

fn seed(url: &str, out: &std::path::Path) -> Db {
    let month: Period = "2020-01".parse().expect("month");
    let mut db = Db::open(url).expect("open");
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 42,
        persons: 1000,
        employers: None,
        start: month,
    })
    .expect("generate");
    tongchou_sim::load::write_province(&mut db, &p).expect("load");
    Ledger::new(&mut db)
        .open_standard(Divisions::shanxi())
        .expect("accounts");
    tongchou_sim::historical::seed(&mut db, 3, "2019-12-31".parse().expect("d")).expect("hist");
    add_staff(&mut db, "clerk", Role::CountyAgency, 140105);
    add_staff(&mut db, "auditor", Role::Auditor, 140000);
    let officer = add_staff(&mut db, "officer", Role::ProvinceBureauOfficer, 140000);
    let approver = add_staff(&mut db, "approver", Role::FinanceApprover, 140000);
    support::paying_accounts(&mut db, &officer, "2000-01-01", 0);
    let policy = Policy::builtin().expect("policy");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 7,
        behaviour: Behaviour::default(),
    });
    collect::run_month(&mut db, &policy, month, src).expect("collection");
    let actors = disburse::Actors {
        officer: officer.clone(),
        approver: Some(approver),
    };
    disburse::run_month(&mut db, &policy, month, &actors, &MonthOptions::new(out))
        .expect("disbursement");
    let req = CloseRequest {
        level: Level::County,
        period: month,
        year: false,
        region: Some(rc(140105)),
        today: "2026-01-01".parse().expect("d"),
    };
    close::close(&mut db, &officer, &req, tongchou_app::clock::now_ms()).expect("close");
    // the 2020 budget drafted by the officer for the whole province (from 2019: the historical
    // balances only)
    tongchou_app::budget::draft(&mut db, &policy, &officer, 2020, None, 0).expect("draft");
    db
}

fn scenario(url: &str, tag: &str) {
    let out = std::env::temp_dir().join(format!("tc-accounts-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let mut db = seed(url, &out);
    let fa = final_accounts::compute(&mut db, 2020).expect("final accounts");
    let srv = support::start(url);
    let mut anon = Client::new(srv.addr);
    assert_eq!(anon.get("/accounts/final?year=2020").status, 303);

    let mut aud = Client::new(srv.addr);
    assert_eq!(aud.login("auditor", PW).status, 303);
    assert!(aud.get("/dashboard").body.contains("id=\"accounts-link\""));
    let page = aud.get("/accounts/final?year=2020");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("2020 年企业职工基本养老保险基金决算表"),
        "{}",
        page.body
    );
    assert!(page.body.contains("山西省汇总") && page.body.contains("年末滚存结余"));
    let p = fa.books[0].consolidated.as_ref().expect("province");
    let closing = format!("{} 元", p.closing.grouped());
    assert!(p.closing.is_positive());
    assert!(page.body.contains(&closing), "{closing} not in the page");
    // the JSON download is the CLI's JSON
    let (status, _, json) = aud.get_bytes("/accounts/final?year=2020&format=json");
    assert_eq!(status, 200);
    let j: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(j, fa.json(rc(140000)).expect("json"));
    let (status, _, book) = aud.get_bytes("/accounts/final?year=2020&region=140100&format=xlsx");
    assert_eq!(status, 200);
    assert!(book.starts_with(b"PK\x03\x04"));

    // a county clerk: their county, not another
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    let own = clerk.get("/accounts/final?year=2020&region=140105");
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(own.body.contains("小店区") && !own.body.contains("迎泽区"));
    let other = clerk.get("/accounts/final?year=2020&region=140106");
    assert_eq!(other.status, 403, "{}", other.body);
    let denied = tongchou_store::audit::list(
        &mut db,
        &tongchou_store::audit::Filter {
            action: Some("report.read".into()),
            ..Default::default()
        },
    )
    .expect("audit");
    assert!(
        denied
            .iter()
            .any(|r| r.result == "denied" && r.object_id == "final_accounts")
    );

    // the budget page: the drafted budget, its execution and its actions, in Chinese
    let page = aud.get("/budget?year=2020");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("2020 年基金预算（第 0 号，编制中）"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("id=\"budget-table\"") && page.body.contains("id=\"execution-table\"")
    );
    assert!(
        page.body.contains("年初滚存结余") && page.body.contains("officer 生成草案"),
        "{}",
        page.body
    );
    assert_eq!(clerk.get("/budget?year=2020&region=140100").status, 403);
    let none = aud.get("/budget?year=2031");
    assert_eq!(none.status, 200, "{}", none.body);
    assert!(none.body.contains("id=\"budget-none\"") && !none.body.contains("draft-form"));
    assert_eq!(aud.get("/budget?year=2020&number=5").status, 404);
    budget_chain(&mut db, srv.addr);
    evaluation_page(&mut db, &mut aud, &mut clerk);
    analysis_chain(&mut db, srv.addr, &mut clerk);

    // the close page: 小店区 closed through January, its neighbours not yet
    let page = aud.get("/close?region=140100");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("<td>小店区</td><td>县级</td><td>2020-01</td>"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<td>迎泽区</td><td>县级</td><td>未结账</td>"),
        "{}",
        page.body
    );
}

/// The performance evaluation of 2020 against the approved budget: the page shows each region's
/// indicators as percentages with their formulas and the parameters (assumptions); the JSON is
/// the CLI's; a county clerk sees their county only, and is refused another.
fn evaluation_page(db: &mut Db, aud: &mut Client, clerk: &mut Client) {
    let e = tongchou_app::evaluation::evaluate(db, 2020, Some(rc(140100))).expect("evaluate");
    assert!(
        aud.get("/dashboard")
            .body
            .contains("id=\"evaluation-link\"")
    );
    let page = aud.get("/budget/evaluation?year=2020&region=140100");
    assert_eq!(page.status, 200, "{}", page.body);
    let body = &page.body;
    assert!(
        body.contains("2020 年基金预算绩效评价（对照批准的预算"),
        "{body}"
    );
    assert!(
        body.contains("征缴任务完成率")
            && body.contains("完成率 = 基本养老保险费收入 ÷ 征缴任务")
            && body.contains("id=\"evaluation-140105\"")
            && body.contains("title=\"budget.evaluation.timeliness.weight\"")
            && body.contains("绩效指标分值：拨付及时率")
            && body.contains("假定：未查到山西本省规定")
            && !body.contains("Shanxi's own rules not found")
            && body.contains("calendar.allocation_day"),
        "{body}"
    );
    let county = e
        .regions
        .iter()
        .find(|r| r.region == rc(140105))
        .expect("county");
    let collection = county.indicators[1]
        .value
        .expect("a task")
        .as_percent_string();
    assert!(body.contains(&collection), "{collection} not in the page");
    let (status, _, json) = aud.get_bytes("/budget/evaluation?year=2020&region=140100&format=json");
    assert_eq!(status, 200);
    let j: serde_json::Value = serde_json::from_slice(&json).expect("json");
    assert_eq!(j, e.json());
    let (status, _, book) = aud.get_bytes("/budget/evaluation?year=2020&format=xlsx");
    assert_eq!(status, 200);
    assert!(book.starts_with(b"PK\x03\x04"));
    let own = clerk.get("/budget/evaluation?year=2020");
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(own.body.contains("小店区") && !own.body.contains("迎泽区"));
    assert_eq!(
        clerk
            .get("/budget/evaluation?year=2020&region=140106")
            .status,
        403
    );
    assert_eq!(aud.get("/budget/evaluation?year=20x").status, 400);
    // in English: the indicators' names, formulas and figures, the titles, the rows of the
    // final accounts and their columns (consolidated, own book) from the catalogue
    // (the parameters' sources are citations, data)
    let sources: Vec<&str> = e.uses.iter().map(|u| u.source.as_str()).collect();
    in_english(
        aud,
        &[
            "/budget/evaluation?year=2020&region=140100",
            "/accounts/final?year=2020",
            "/accounts/final?year=2020&region=140105",
        ],
        &sources,
    );
    aud.get("/lang?to=en&back=%2F");
    let en = aud.get("/accounts/final?year=2020").body;
    aud.get("/lang?to=zh-CN&back=%2F");
    assert!(
        en.contains("Final accounts of the enterprise employees&#39; basic pension fund 2020")
            || en.contains("Final accounts of the enterprise employees' basic pension fund 2020"),
        "{en}"
    );
    assert!(
        en.contains("山西省 (consolidated)") && en.contains("contribution income"),
        "{en}"
    );
    let ev = {
        aud.get("/lang?to=en&back=%2F");
        let b = aud.get("/budget/evaluation?year=2020&region=140100").body;
        aud.get("/lang?to=zh-CN&back=%2F");
        b
    };
    assert!(
        ev.contains("collection task completion rate")
            && ev.contains("completion rate = contribution income ÷ collection task")
            && ev.contains("Points: timeliness of allocations")
            && ev.contains("Shanxi's own rules not found"),
        "{ev}"
    );
}

/// Post an analysis form from the page `from` (its CSRF token) and follow the redirect.
fn act_analysis(
    c: &mut Client,
    from: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> support::Resp {
    let page = c.get(from);
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let mut all = vec![
        ("csrf", csrf.as_str()),
        ("year", "2020"),
        ("quarter", "1"),
        ("region", "140105"),
    ];
    all.extend_from_slice(fields);
    let r = c.post_form(&format!("/budget/analysis/act/{action}"), &all);
    if r.status != 303 {
        return r;
    }
    let to = r.header("location").expect("location").to_string();
    c.get(&to)
}

/// The first quarter of 2020's execution analysis of 小店区 in the browser: the county clerk
/// drafts it from the ledger, cannot submit before explaining every deviation, explains and
/// submits (long after the due date: recorded late); the city returns it with a reason, the
/// county resubmits, the city accepts. The clerk cannot review; a post without the token is
/// refused.
fn analysis_chain(db: &mut Db, addr: std::net::SocketAddr, clerk: &mut Client) {
    let page = "/budget/analysis?year=2020&quarter=1&region=140105";
    let p = clerk.get(page);
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"analysis-none\"") && p.body.contains("id=\"draft-form\""));
    let p = act_analysis(clerk, page, "draft", &[]);
    assert!(
        p.body.contains("id=\"analysis-table\"") && p.body.contains("序时进度"),
        "{}",
        p.body
    );
    assert!(p.body.contains("草稿（第 1 版）"), "{}", p.body);
    let qt = tongchou_app::analysis::Quarter::new(2020, 1).expect("q");
    let a = tongchou_app::analysis::show(db, qt, rc(140105)).expect("show");
    let beyond: Vec<String> = a
        .lines
        .iter()
        .filter(|l| l.beyond)
        .map(|l| l.item.clone())
        .collect();
    assert!(!beyond.is_empty(), "{:?}", a.lines);
    let refused = act_analysis(clerk, page, "submit", &[]);
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("须先说明原因"), "{}", refused.body);
    for item in &beyond {
        assert!(
            clerk
                .get(page)
                .body
                .contains(&format!("id=\"explain-{item}\""))
        );
        act_analysis(
            clerk,
            page,
            "explain",
            &[
                ("item", item),
                ("text", "一季度执行偏差：预算按历史结余编制"),
            ],
        );
    }
    let csrf = Client::csrf_in(&clerk.get(page).body);
    let p = act_analysis(clerk, page, "submit", &[]);
    assert!(p.body.contains("已报送待审核"), "{}", p.body);
    assert!(
        p.body.contains("id=\"analysis-late\"") && p.body.contains("逾期"),
        "{}",
        p.body
    );
    assert!(!p.body.contains("id=\"review-form\""));
    let r = clerk.post_form(
        "/budget/analysis/act/review",
        &[
            ("csrf", &csrf),
            ("year", "2020"),
            ("quarter", "1"),
            ("region", "140105"),
            ("verdict", "accept"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.body);
    let mut city = Client::new(addr);
    assert_eq!(city.login("city", PW).status, 303);
    assert!(city.get("/dashboard").body.contains("id=\"analysis-link\""));
    assert!(city.get(page).body.contains("id=\"review-form\""));
    let no_reason = act_analysis(&mut city, page, "review", &[("verdict", "return")]);
    assert_eq!(no_reason.status, 400, "{}", no_reason.body);
    let p = act_analysis(
        &mut city,
        page,
        "review",
        &[("verdict", "return"), ("reason", "偏差原因不具体")],
    );
    assert!(
        p.body.contains("已退回") && p.body.contains("偏差原因不具体"),
        "{}",
        p.body
    );
    let p = act_analysis(clerk, page, "submit", &[]);
    assert!(p.body.contains("已报送待审核"), "{}", p.body);
    let p = act_analysis(&mut city, page, "review", &[("verdict", "accept")]);
    assert!(p.body.contains("已审核通过"), "{}", p.body);
    let a = tongchou_app::analysis::show(db, qt, rc(140105)).expect("show");
    assert_eq!(a.lates.len(), 2, "both submissions late");
    assert!(a.lates[0].days_late > 365);
    let r = city.post_form(
        "/budget/analysis/act/review",
        &[
            ("year", "2020"),
            ("quarter", "1"),
            ("region", "140105"),
            ("verdict", "accept"),
        ],
    );
    assert_eq!(r.status, 403);
    let audited = tongchou_store::audit::list(
        db,
        &tongchou_store::audit::Filter {
            action: Some("analysis.submit".into()),
            ..Default::default()
        },
    )
    .expect("audit")
    .len();
    assert_eq!(audited, 2);
    in_english(
        clerk,
        &[page],
        &["一季度执行偏差：预算按历史结余编制", "偏差原因不具体"],
    );
}

/// Post a budget form from the page `from` (its CSRF token) and follow the redirect; the page
/// after, with the message shown.
fn act(c: &mut Client, from: &str, action: &str, fields: &[(&str, &str)]) -> support::Resp {
    let page = c.get(from);
    assert_eq!(page.status, 200, "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let mut all = vec![("csrf", csrf.as_str()), ("year", "2020")];
    all.extend_from_slice(fields);
    let r = c.post_form(&format!("/budget/act/{action}"), &all);
    if r.status != 303 {
        return r;
    }
    let to = r.header("location").expect("location").to_string();
    c.get(&to)
}

/// The 2020 budget through its whole chain in the browser: the county edits with a note and
/// submits, its city returns it with a reason and accepts it resubmitted, the province submits,
/// the HRSS department, the finance department and the government decide in turn, the province
/// opens an adjustment, the tax bureau comments; refusals are pages that say why.
fn budget_chain(db: &mut Db, addr: std::net::SocketAddr) {
    use tongchou_app::budget::{self, Verdict};
    add_staff(db, "city", Role::CityAgency, 140100);
    add_staff(db, "hrss", Role::ProvinceBureauApprover, 140000);
    add_staff(db, "gov", Role::GovernmentApprover, 140000);
    add_staff(db, "tax", Role::TaxBureau, 140000);
    let stand_in = add_staff(db, "officer2", Role::ProvinceBureauOfficer, 140000);
    let officer = tongchou_store::access::get_user(db, "officer")
        .expect("q")
        .expect("officer")
        .principal();
    let login = |who: &str| {
        let mut c = Client::new(addr);
        assert_eq!(c.login(who, PW).status, 303);
        c
    };
    let (mut clerk, mut city) = (login("clerk"), login("city"));
    let page = "/budget?year=2020";
    let p = clerk.get(page);
    assert!(p.body.contains("id=\"edit-form\"") && !p.body.contains("id=\"decide-form\""));
    let edit = [
        ("region", "140105"),
        ("item", "contribution"),
        ("amount", "1,234,567.89"),
        ("note", "扩面计划 2020"),
        ("source", "县扩面计划"),
    ];
    let p = act(&mut clerk, page, "edit", &edit);
    assert!(
        p.body.contains("改为 1,234,567.89 元，第 2 版"),
        "{}",
        p.body
    );
    let bad = act(
        &mut clerk,
        page,
        "edit",
        &[
            ("region", "140105"),
            ("item", "contribution"),
            ("amount", "12.345"),
            ("note", "x"),
        ],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("12.345"), "{}", bad.body);
    let p = act(&mut clerk, page, "submit", &[("region", "140105")]);
    assert!(p.body.contains("小店区 的预算已报送"), "{}", p.body);
    // the city: a return needs a reason; returned, edited, resubmitted, accepted
    let no_reason = act(
        &mut city,
        page,
        "review",
        &[("region", "140105"), ("verdict", "return")],
    );
    assert_eq!(no_reason.status, 400, "{}", no_reason.body);
    let p = act(
        &mut city,
        page,
        "review",
        &[
            ("region", "140105"),
            ("verdict", "return"),
            ("reason", "征缴任务偏低"),
        ],
    );
    assert!(p.body.contains("小店区 的预算：已退回"), "{}", p.body);
    act(
        &mut clerk,
        page,
        "edit",
        &[
            ("region", "140105"),
            ("item", "contribution"),
            ("amount", "1334567.89"),
            ("note", "按市意见调高"),
        ],
    );
    act(&mut clerk, page, "submit", &[("region", "140105")]);
    let p = act(
        &mut city,
        page,
        "review",
        &[("region", "140105"), ("verdict", "accept")],
    );
    assert!(p.body.contains("小店区 的预算：审核通过"), "{}", p.body);
    // the other books through the use case (the officer submits, another reviews)
    let now = tongchou_app::clock::now_ms();
    let city_p = tongchou_store::access::get_user(db, "city")
        .expect("q")
        .expect("city")
        .principal();
    for level in [Level::County, Level::City] {
        for r in final_accounts::ordered_books() {
            if Divisions::shanxi().get(r).map(|x| x.level) != Some(level) || r == rc(140105) {
                continue;
            }
            budget::submit(db, &officer, 2020, None, r, now).expect("submit");
            let reviewer = if level == Level::County && r.prefecture() == rc(140100) {
                &city_p
            } else {
                &stand_in
            };
            budget::review(db, reviewer, 2020, None, r, Verdict::Accept, now).expect("review");
        }
    }
    let mut off = login("officer");
    let csrf = Client::csrf_in(&off.get(page).body);
    let p = act(&mut off, page, "submit", &[("region", "140000")]);
    assert!(
        p.body.contains("（第 0 号，已报送，待人社部门审核）"),
        "{}",
        p.body
    );
    // the officer may not take the HRSS step; the steps go in order, each its own role
    assert!(!p.body.contains("id=\"decide-form\""));
    let refused = off.post_form(
        "/budget/act/decide",
        &[
            ("csrf", &csrf),
            ("year", "2020"),
            ("number", "0"),
            ("step", "hrss"),
            ("verdict", "accept"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    let mut fin = login("approver");
    assert!(!fin.get(page).body.contains("id=\"decide-form\""));
    let p = act(
        &mut login("hrss"),
        page,
        "decide",
        &[("step", "hrss"), ("verdict", "accept")],
    );
    assert!(
        p.body.contains("预算现为：人社部门已审核，待财政部门审核"),
        "{}",
        p.body
    );
    let p = act(
        &mut fin,
        page,
        "decide",
        &[("step", "finance"), ("verdict", "accept")],
    );
    assert!(p.body.contains("待政府批准"), "{}", p.body);
    let p = act(
        &mut login("gov"),
        page,
        "decide",
        &[("step", "government"), ("verdict", "accept")],
    );
    assert!(p.body.contains("预算现为：已批准"), "{}", p.body);
    assert!(
        p.body.contains("政府批准") && p.body.contains("征缴任务偏低"),
        "{}",
        p.body
    );
    let tasks = budget::collection_tasks(db, 2020)
        .expect("tasks")
        .expect("approved");
    assert_eq!(tasks[&rc(140105)], tongchou_core::Fen::new(133_456_789));
    // an adjustment, opened by the province with its reason, shown beside the original
    let p = act(&mut off, page, "adjust", &[("reason", "中央调剂资金增加")]);
    assert!(p.body.contains("已发起第 1 号调整预算"), "{}", p.body);
    assert!(
        p.body.contains("调整原因：中央调剂资金增加") && p.body.contains("调整前：第 0 号"),
        "{}",
        p.body
    );
    // the tax bureau: the page from its workplace, a comment on a county's income target
    let mut tax = login("tax");
    assert!(tax.get("/dashboard").body.contains("id=\"budget-link\""));
    let p = act(
        &mut tax,
        page,
        "comment",
        &[("region", "140105"), ("note", "征缴任务可行")],
    );
    assert!(p.body.contains("对 小店区 的意见已记录"), "{}", p.body);
    // a post without the page's token is refused
    let r = tax.post_form(
        "/budget/act/comment",
        &[("year", "2020"), ("region", "140105"), ("note", "x")],
    );
    assert_eq!(r.status, 403);
    // the whole chain in English: every label, state and action; the notes and reasons as typed
    in_english(
        &mut off,
        &[page, "/budget?year=2020&number=0", "/budget?year=2031"],
        &[
            "扩面计划 2020",
            "按市意见调高",
            "征缴任务偏低",
            "县扩面计划",
            "中央调剂资金增加",
            "征缴任务可行",
            // (the drafted lines' sources are kept as messages and shown in English)
        ],
    );
    off.get("/lang?to=en&back=%2F");
    let en = off.get("/budget?year=2020&number=0").body;
    off.get("/lang?to=zh-CN&back=%2F");
    assert!(en.contains("closing balance of the execution year"), "{en}");
    let zh = off.get("/budget?year=2020&number=0").body;
    assert!(zh.contains("上年决算年末滚存结余"), "{zh}");
}

#[test]
fn final_accounts_and_close_pages_on_sqlite() {
    scenario(
        &tongchou_store::testing::sqlite_url("accounts_web"),
        "sqlite",
    );
}

#[test]
fn final_accounts_and_close_pages_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("accounts_web"), "pg");
}
