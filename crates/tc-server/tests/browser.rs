//! Browser test: real headless Chromium driven over WebDriver (chromedriver) with `fantoccini`.
//! Logs in through the form, sees the dashboard with the user's region, uses the pension
//! estimator form, and — as the finance approver — decides a month's fund-use application in
//! part through its form, then opens the month's disbursement report from the dashboard; and the
//! plan chain clicked through (county submits, city returns, county resubmits, city forwards and
//! submits), the budget (a county edits and submits, its city returns it with a reason), the finance officer's registration of equity transferred to the reserve fund, a county's bank account entered by its clerk and confirmed by the bureau's reviewer; each on SQLite and on PostgreSQL, with a screenshot of each page under `target/tmp/screenshots/` (named with the engine). Fails (never skips) when Chromium or chromedriver is missing:
//! `apt-get install -y chromium chromium-driver` (`.ci/run` does it).

mod support;

#[path = "support/driver.rs"]
mod driver;

use driver::{Driver, ENGINE};
use serde_json::json;
use support::{PW, pensioner_history, seed, seed_application, seed_chain, start};

fn browser_login_dashboard_and_estimator(url: String) {
    seed(&url);
    let out = std::env::temp_dir().join(format!("tc-browser-{}", std::process::id()));
    drop(seed_application(&url, &out));
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();

    // a wrong password shows the error and stays on the login page
    d.goto(&format!("{base}/login"));
    d.type_into("#login", "clerk");
    d.type_into("#password", "not the password");
    d.click("#login-submit");
    assert!(d.text("#login-error").contains("用户名或密码错误"));

    // log in through the form and see the dashboard with the user's region
    d.type_into("#login", "clerk");
    d.type_into("#password", PW);
    d.click("#login-submit");
    d.wait_url("/dashboard");
    assert!(d.text("#welcome").contains("clerk"));
    assert_eq!(d.text("#region"), "小店区");
    let body = d.text("main");
    assert!(
        body.contains("140105") && body.contains("县区社保经办机构"),
        "{body}"
    );

    // the header's link shows the pages in English for the session, and in Chinese again
    d.click("#lang-switch");
    wait_contains(&d, "#welcome", "Welcome");
    assert_eq!(
        d.script("return document.documentElement.lang", vec![]),
        json!("en")
    );
    assert!(d.text("main").contains("County handling agency"));
    d.click("#lang-switch");
    wait_contains(&d, "#welcome", "欢迎");
    assert_eq!(
        d.script("return document.documentElement.lang", vec![]),
        json!("zh-CN")
    );

    // the HttpOnly session cookie is invisible to scripts
    let cookie = d.script("return document.cookie", vec![]);
    assert_eq!(cookie, json!(""), "no cookie readable from JavaScript");

    // the pension estimator form
    d.goto(&format!("{base}/estimate"));
    for (id, v) in [
        ("#birth", "1965-01"),
        ("#paid_months", "300"),
        ("#deemed_months", "96"),
        ("#avg_index", "1.15"),
        ("#deemed_index", "1.0"),
        ("#account_balance", "120000.00"),
        ("#benefit_base", "7253"),
        ("#transition_coefficient", "0.013"),
    ] {
        d.type_into(id, v);
    }
    d.click("#estimate-submit");
    assert_eq!(d.text("#total"), "4194.36");

    // log out through the form: the dashboard sends us back to the login page
    d.goto(&format!("{base}/dashboard"));
    d.click("#logout-form button");
    d.wait_url("/login");
    d.goto(&format!("{base}/dashboard"));
    d.wait_url("/login");

    // the finance approver decides the month's application in part through its form
    d.type_into("#login", "finance");
    d.type_into("#password", PW);
    d.click("#login-submit");
    d.wait_url("/dashboard");
    d.click("#plans-link");
    d.wait_url("/plans");
    d.click("#applications a");
    d.wait_url("/plans/2022-06");
    assert_eq!(d.text("#planned"), "4,194.36 元");
    d.click("#decision option[value=partial]");
    d.type_into("#amount", "3,000.00");
    d.click("#decide");
    d.wait_text("#approved", "3,000.00 元");
    assert!(d.text("#status").contains("部分批复"));

    // the reports: from the dashboard to the month's disbursement, queried through the form
    d.goto(&format!("{base}/dashboard"));
    d.click("#reports-link");
    d.wait_url("/reports");
    d.click("#report-disbursement");
    d.wait_url("/reports/disbursement");
    d.goto(&format!("{base}/reports/disbursement?period=2022-06"));
    d.click("#report-submit");
    d.wait_url("region=140000");
    let total = d.text("#report tfoot");
    assert!(
        total.contains("合计") && total.contains("4,194.36"),
        "{total}"
    );
    assert!(d.text("#report thead").contains("计划（元）"));
    let csv = d.find("#download-csv");
    let href =
        d.rt.block_on(csv.attr("href"))
            .expect("href")
            .unwrap_or_default();
    assert!(href.contains("format=csv"), "{href}");
    let _ = std::fs::remove_dir_all(&out);
    drop(d);
    drop(srv);
}

/// A county clerk imports a file with errors, reads them in the page, imports the corrected
/// file; the pensioner reads their pension, payments and statement on a 390-pixel phone screen
/// without anything cut off. Screenshots of each page are kept.
fn browser_clerk_import_and_pensioner_on_a_phone(url: String) {
    seed(&url);
    let mut db = tongchou_store::Db::open(&url).expect("open");
    pensioner_history(&mut db);
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();
    d.clerk_imports_with_errors_then_fixed(&base, "clerk");

    // the pensioner, on a phone
    let payments = d.pensioner_on_a_phone(&base, "pensioner");
    assert!(payments.contains("已到账"), "{payments}");
    drop(d);
    drop(srv);
}

/// The auditor finds the finance approver's fund-plan decision in the audit log through the
/// filter form and opens the ledger's trial balance; the system administrator adds a county
/// clerk through the accounts page. Screenshots in `target/tmp/screenshots`.
fn browser_auditor_finds_the_decision_and_admin_adds_a_user(url: String) {
    seed(&url);
    let out = std::env::temp_dir().join(format!("tc-browser-ov-{}", std::process::id()));
    drop(seed_application(&url, &out));
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    // the finance approver decides the month's application (as in the first test)
    let mut fin = support::Client::new(srv.addr);
    fin.login("finance", PW);
    let plan = fin.get("/plans/2022-06");
    let csrf = support::Client::csrf_in(&plan.body);
    let decided = fin.post_form(
        "/plans/2022-06/decision",
        &[("decision", "full"), ("csrf", &csrf)],
    );
    assert_eq!(decided.status, 303, "{}", decided.body);

    let d = Driver::start();
    d.auditor_finds_the_fund_plan_decision(&base, "audit-log-fund-plan-decision");
    // the ledger's trial balance of the province's book, from the dashboard
    d.goto(&format!("{base}/dashboard"));
    d.click("#ledger-link");
    d.wait_url("/ledger");
    assert!(d.text("#tb-balanced").contains("借贷平衡"));
    assert!(d.text("#ledger-check").contains("账簿校验通过"));
    d.screenshot("ledger-trial-balance");
    d.log_out(&base);

    d.log_in(&base, "sysadmin");
    d.click("#admin-link");
    d.wait_url("/admin/users");
    d.type_into("#new-login", "new.clerk");
    d.type_into("#new-name", "新经办");
    d.click("#new-role option[value=county_agency]");
    d.click("#new-region option[value='140105']");
    d.type_into("#new-password", "correct horse battery staple 7");
    d.click("#add-user");
    d.wait_url_part("/admin/users?done=");
    assert!(d.text("#admin-done").contains("new.clerk"));
    assert!(d.text("#user-new\\.clerk").contains("县区社保经办机构"));
    d.screenshot("admin-users-added");
    let _ = std::fs::remove_dir_all(&out);
    drop(d);
    drop(srv);
}

fn browser_plan_chain_county_city(url: String) {
    seed(&url);
    let out = std::env::temp_dir().join(format!("tc-browser-chain-{}", std::process::id()));
    let (mut db, policy, actors, opts) = seed_chain(&url, &out);
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();

    d.plan_chain_return_then_forward(&base, "chain");
    drop(d);
    drop(srv);

    // the month applies with the submitted figure
    let next = tongchou_app::disburse::run_month(
        &mut db,
        &policy,
        "2022-06".parse().expect("m"),
        &actors,
        &opts,
    )
    .expect("month");
    assert_eq!(next["plans"]["planned_fen"], 419_436, "{next}");
    let _ = std::fs::remove_dir_all(&out);
}

fn browser_budget_county_edits_city_returns(url: String) {
    seed(&url);
    let mut db = tongchou_store::Db::open(&url).expect("open");
    tongchou_store::ledger::Ledger::new(&mut db)
        .open_standard(tongchou_core::Divisions::shanxi())
        .expect("accounts");
    let officer = support::add_staff(
        &mut db,
        "officer",
        tongchou_core::access::Role::ProvinceBureauOfficer,
        140000,
    );
    support::add_staff(
        &mut db,
        "city.ty",
        tongchou_core::access::Role::CityAgency,
        140100,
    );
    let policy = tongchou_core::Policy::builtin().expect("policy");
    tongchou_app::budget::draft(&mut db, &policy, &officer, 2021, None, 0).expect("draft");
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();

    // the county clerk opens the budget from the dashboard and changes its contribution income
    d.log_in(&base, "clerk");
    d.click("#budget-link");
    d.goto(&format!("{base}/budget?year=2021"));
    d.screenshot("budget-1-county");
    d.click("#edit-item option[value=contribution]");
    d.type_into("#edit-amount", "1,234,567.89");
    d.type_into("#edit-note", "扩面计划");
    d.click("#edit");
    d.wait_text(
        "#budget-done",
        "小店区 基本养老保险费收入 改为 1,234,567.89 元，第 2 版",
    );
    d.click("#submit");
    d.wait_text("#budget-done", "小店区 的预算已报送");
    d.log_out(&base);

    // the city returns it with a reason; the county sees it in the actions
    d.log_in(&base, "city.ty");
    d.goto(&format!("{base}/budget?year=2021"));
    d.click("#review-verdict option[value=return]");
    d.type_into("#review-reason", "征缴任务偏低");
    d.screenshot("budget-2-city-review");
    d.click("#review");
    d.wait_text("#budget-done", "小店区 的预算：已退回");
    d.log_out(&base);
    d.log_in(&base, "clerk");
    d.goto(&format!("{base}/budget?year=2021&book=140105"));
    assert!(d.text("#budget-actions").contains("征缴任务偏低"));
    assert!(d.text("#budget-lines").contains("1,234,567.89 元"));
    d.screenshot("budget-3-county-returned");
}

fn browser_gap_compute_settle_and_projection(url: String) {
    let out = std::env::temp_dir().join(format!("tc-browser-gap-{}", std::process::id()));
    let mut db = support::seed_governance(&url, &out);
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();

    // the provincial bureau officer computes 2020's gap from the dashboard
    d.log_in(&base, "officer");
    d.click("#gap-link");
    d.wait_url_part("/gap");
    d.type_into("#year", "2020");
    d.click("#gap-year-form button");
    d.wait_url_part("year=2020");
    assert!(d.text("#gap-none").contains("尚未计算"));
    d.click("#gap-compute");
    d.wait_url_part("done=");
    let v = tongchou_app::gap::show(&mut db, 2020, tongchou_app::clock::today_china())
        .expect("recorded");
    assert!(v.year.gap.is_positive());
    assert_eq!(d.text("#gap-total"), format!("{} 元", v.year.gap.grouped()));
    assert!(d.text("#gap-done").contains("已记录"));
    // the gap's shares by level as a chart the browser draws: bars of some size, the figures in
    // a table too
    d.wait_for("#gap-shares-chart");
    let bars = d.script(
        "return Array.from(document.querySelectorAll('#gap-shares-chart rect[fill]')).filter(r => r.getBoundingClientRect().height > 0 && r.querySelector('title')).length",
        vec![],
    );
    assert!(bars.as_i64().unwrap_or(0) > 0, "{bars}");
    let title = d.script(
        "return document.querySelector('#gap-causes-chart-title').textContent",
        vec![],
    );
    assert_eq!(title, json!("缺口成因"));
    d.screenshot("gap-1-computed");
    // the early warning's charts from the dashboard's link
    d.goto(&format!("{base}/dashboard"));
    d.wait_for("#balance-chart");
    d.screenshot("dashboard-balance-chart");
    d.click("#warn-link");
    d.wait_for("#months-chart");
    let width = d.script(
        "return document.querySelector('#months-chart').getBoundingClientRect().width",
        vec![],
    );
    assert!(width.as_f64().unwrap_or(0.0) > 300.0, "{width}");
    d.screenshot("warn-charts");
    // the projection, with its chart
    d.goto(&format!("{base}/dashboard"));
    d.click("#projection-link");
    d.wait_for("#projection-chart");
    assert!(d.text("#projection-base").contains("2021"));
    d.screenshot("projection");
    d.log_out(&base);

    // the finance officer records the first listed government's payment in full
    d.log_in(&base, "finance");
    d.goto(&format!("{base}/gap?year=2020"));
    let region = d.script("return document.querySelector('#region').value", vec![]);
    let region = region.as_str().expect("a government owes").to_string();
    d.click("#gap-settle");
    d.wait_url_part("done=");
    assert!(d.text("#gap-done").contains("已登记"), "{}", d.text("main"));
    assert!(d.text(&format!("#gov-{region}")).contains("0.00 元"));
    d.screenshot("gap-2-settled");
    drop(d);
    drop(srv);
    let region: i64 = region.parse().expect("code");
    let today = tongchou_app::clock::today_china();
    assert_eq!(
        support::gap_outstanding(&mut db, 2020, today, region),
        "0.00"
    );
    let _ = std::fs::remove_dir_all(&out);
}

fn browser_finance_registers_reserve_equity(url: String) {
    seed(&url);
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();

    // the provincial finance officer opens the reserve fund from the dashboard and registers the
    // equity transferred through the form
    d.log_in(&base, "fin.officer");
    d.click("#reserve-link");
    d.wait_url("/reserve");
    for (id, v) in [
        ("#enterprise", "山西某能源集团有限公司"),
        ("#credit_code", "91110000600037341L"),
        ("#share", "0.1"),
        ("#book_value", "50000000"),
        ("#transfer_date", "2020-12-14"),
        ("#reg-source", "晋政发〔2020〕24号"),
    ] {
        d.type_into(id, v);
    }
    d.click("#register");
    d.wait_url_part("/reserve?done=");
    assert_eq!(
        d.text("#fund-done"),
        "股权 1（山西某能源集团有限公司）已登记，禁售期满 2023-12-14"
    );
    let holdings = d.text("#reserve-holdings");
    assert!(
        holdings.contains("山西某能源集团有限公司")
            && holdings.contains("50,000,000.00 元")
            && holdings.contains("2023-12-14"),
        "{holdings}"
    );
    assert!(d.text("main").contains("储备基金专户存款"));
    d.screenshot("reserve-1-registered");
    d.log_out(&base);
    drop(d);
    drop(srv);
}

/// A county clerk enters the county's expenditure account from the dashboard's link; it is
/// pending; the bureau's reviewer confirms it in the page (maker–checker).
fn browser_bank_account_set_and_confirmed(url: String) {
    seed(&url);
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();
    d.log_in(&base, "clerk");
    d.click("#paying-accounts-link");
    d.wait_for("#set-account");
    let code =
        tongchou_sim::accounts::credit_code(tongchou_core::RegionCode::new(140105).expect("rc"))
            .expect("code");
    for (id, v) in [
        ("#region", "140105"),
        ("#agency", "太原市小店区社会保险事业管理中心"),
        ("#credit_code", code.as_str()),
        ("#account", "0502123409000012345"),
        ("#bank_name", "中国工商银行太原小店支行"),
        ("#cnaps", "102161000011"),
        ("#valid_from", "2022-01-01"),
    ] {
        d.type_into(id, v);
    }
    d.click("#set-submit");
    d.wait_url_part("/paying-accounts?done=");
    assert_eq!(
        d.text("#paying-accounts-done"),
        "已提交 140105 小店区 第 1 版，待复核"
    );
    assert!(d.text("#paying-accounts").contains("待复核"));
    d.screenshot("bank-account-1-pending");
    d.log_out(&base);
    d.log_in(&base, "approver");
    d.goto(&format!("{base}/paying-accounts"));
    d.wait_for("#review-140105-1");
    d.click("#review-140105-1 button[value=confirm]");
    d.wait_url_part("/paying-accounts?done=");
    assert_eq!(
        d.text("#paying-accounts-done"),
        "140105 小店区 第 1 版：已确认"
    );
    d.screenshot("bank-account-2-confirmed");
    d.log_out(&base);
    drop(d);
    drop(srv);
}

/// A county clerk opens 转移接续 from the dashboard, records a transfer out and sees the
/// certificate (参保缴费凭证) with its years and money; the list shows it, ID masked.
fn browser_transfer_out_with_certificate(url: String) {
    seed(&url);
    let id_number = support::transfer_ready(&url);
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();
    d.log_in(&base, "clerk");
    d.click("#transfers-link");
    d.wait_for("#out-form");
    d.type_into("#id_number", &id_number);
    d.type_into("#to", "110000");
    d.type_into("#on", "2025-03-10");
    d.click("#transfer-out");
    d.wait_for("#certificate");
    let cert = d.text("#certificate");
    assert!(
        cert.contains("周退休") && cert.contains("8,640.00 元"),
        "{cert}"
    );
    d.screenshot("transfer-1-certificate");
    d.goto(&format!("{base}/transfers"));
    d.wait_for("#transfers-list");
    let list = d.text("#transfers-list");
    assert!(
        list.contains("转出") && !list.contains(&id_number),
        "{list}"
    );
    d.screenshot("transfer-2-list");
    d.log_out(&base);
    drop(d);
    drop(srv);
}

#[test]
fn browser_transfer_out_with_certificate_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    browser_transfer_out_with_certificate(tongchou_store::testing::sqlite_url("browser_transfer"));
}

#[test]
fn browser_transfer_out_with_certificate_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    browser_transfer_out_with_certificate(tongchou_store::testing::pg_url("browser_transfer"));
}

#[test]
fn browser_login_dashboard_and_estimator_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    browser_login_dashboard_and_estimator(tongchou_store::testing::sqlite_url("browser"));
}

#[test]
fn browser_login_dashboard_and_estimator_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    browser_login_dashboard_and_estimator(tongchou_store::testing::pg_url("browser"));
}

#[test]
fn browser_clerk_import_and_pensioner_on_a_phone_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    browser_clerk_import_and_pensioner_on_a_phone(tongchou_store::testing::sqlite_url(
        "browser_workplace",
    ));
}

#[test]
fn browser_clerk_import_and_pensioner_on_a_phone_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    browser_clerk_import_and_pensioner_on_a_phone(tongchou_store::testing::pg_url(
        "browser_workplace",
    ));
}

#[test]
fn browser_auditor_finds_the_decision_and_admin_adds_a_user_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    browser_auditor_finds_the_decision_and_admin_adds_a_user(tongchou_store::testing::sqlite_url(
        "browser_oversight",
    ));
}

#[test]
fn browser_auditor_finds_the_decision_and_admin_adds_a_user_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    browser_auditor_finds_the_decision_and_admin_adds_a_user(tongchou_store::testing::pg_url(
        "browser_oversight",
    ));
}

#[test]
fn browser_plan_chain_county_city_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    browser_plan_chain_county_city(tongchou_store::testing::sqlite_url("browser-chain"));
}

#[test]
fn browser_plan_chain_county_city_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    browser_plan_chain_county_city(tongchou_store::testing::pg_url("browser_chain"));
}

#[test]
fn browser_budget_county_edits_city_returns_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    browser_budget_county_edits_city_returns(tongchou_store::testing::sqlite_url("browser-budget"));
}

#[test]
fn browser_budget_county_edits_city_returns_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    browser_budget_county_edits_city_returns(tongchou_store::testing::pg_url("browser_budget"));
}

#[test]
fn browser_gap_compute_settle_and_projection_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    browser_gap_compute_settle_and_projection(tongchou_store::testing::sqlite_url("browser-gap"));
}

#[test]
fn browser_gap_compute_settle_and_projection_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    browser_gap_compute_settle_and_projection(tongchou_store::testing::pg_url("browser_gap"));
}

#[test]
fn browser_finance_registers_reserve_equity_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    browser_finance_registers_reserve_equity(tongchou_store::testing::sqlite_url(
        "browser-reserve",
    ));
}

#[test]
fn browser_finance_registers_reserve_equity_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    browser_finance_registers_reserve_equity(tongchou_store::testing::pg_url("browser_reserve"));
}

#[test]
fn browser_bank_account_set_and_confirmed_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    browser_bank_account_set_and_confirmed(tongchou_store::testing::sqlite_url("browser-bank"));
}

#[test]
fn browser_bank_account_set_and_confirmed_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    browser_bank_account_set_and_confirmed(tongchou_store::testing::pg_url("browser_bank"));
}

/// Wait until the element's text holds `want` (after a navigation started by a click).
fn wait_contains(d: &Driver, css: &str, want: &str) {
    let t0 = std::time::Instant::now();
    while !d.text(css).contains(want) {
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(15),
            "{css} never held {want:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
