//! One month of the province clicked through by every role in real headless Chromium, in one
//! database, on SQLite and on PostgreSQL (issue 13's "done when"):
//!
//! 1. the county clerk imports a persons file with an error, reads it, imports the corrected one;
//! 2. submits a retirement application for an insured person of the county, which the bureau's
//!    reviewer approves;
//! 3. the provincial bureau officer runs the month from `/month`: the collection closes, the
//!    payroll runs, and the page says the run waits for the county's and the city's plans;
//! 4. the clerk submits the county's plan, the city returns it with a reason, the clerk
//!    resubmits, the city forwards it and submits the city's plan;
//! 5. the officer runs the month again: it applies and waits for the finance department;
//! 6. the finance approver decides in full on `/plans/2022-06`, with the planned amount, the
//!    fund's balance and months payable beside the form, above the table of regions;
//! 7. the officer runs the month to its payment files: every step done, nothing waits;
//! 8. the auditor finds the finance decision and the month's runs in the audit log;
//! 9. the pensioner, on a 390-pixel phone, reads the month's payment and the yearly statement.
//!
//! A screenshot of each page is kept under `target/tmp/screenshots/flow-NN-…-ENGINE.png`.

mod support;

#[path = "support/driver.rs"]
mod driver;

use driver::{Driver, ENGINE};
use serde_json::json;
use support::{pensioner_record, seed, start};
use tongchou_core::access::Role;

/// The bureau officer runs the month from its page; returns the page's outcome line.
fn run_month(d: &Driver, base: &str, shot: &str) -> String {
    d.log_in(base, "officer");
    d.click("#month-link");
    d.wait_url_part("/month");
    d.goto(&format!("{base}/month?period=2022-06"));
    d.wait_for("#month-run");
    d.click("#month-run");
    d.wait_for("#month-done, #month-error");
    let failed = d.script(
        "const e = document.querySelector('#month-error'); return e ? e.textContent : null",
        vec![],
    );
    assert_eq!(failed, json!(null), "the run failed");
    let done = d.text("#month-done");
    d.screenshot(shot);
    d.log_out(base);
    done
}

/// The element's top edge in the page's coordinates.
fn top(d: &Driver, css: &str) -> f64 {
    d.script(
        "return document.querySelector(arguments[0]).getBoundingClientRect().top + window.scrollY",
        vec![json!(css)],
    )
    .as_f64()
    .unwrap_or_else(|| panic!("no {css}"))
}

fn clerk_submits_retirement(d: &Driver, base: &str, id_number: &str) {
    d.log_in(base, "clerk");
    d.click("#retirement-link");
    d.wait_url("/retirement");
    for (id, v) in [
        ("#id_number", id_number),
        ("#bank_code", "102161000011"),
        ("#bank_name", "中国工商银行太原小店支行"),
        ("#bank_account", "6222020200112233445"),
    ] {
        d.type_into(id, v);
    }
    d.click("#retire-submit");
    d.wait_for("#award-total");
    let app = d.text("#application");
    assert!(app.contains("待审批") && app.contains("周退休"), "{app}");
    assert!(d.text("#award-total").contains(" 元"));
    d.screenshot("flow-02-clerk-retirement-submitted");
    d.log_out(base);
}

fn finance_decides(d: &Driver, base: &str) {
    d.log_in(base, "finance");
    d.click("#plans-link");
    d.wait_url("/plans");
    d.click("#applications a");
    d.wait_url("/plans/2022-06");
    assert_eq!(d.text("#planned"), "4,194.36 元");
    let balance = d.text("#plan-balance");
    assert!(
        balance.contains(" 元") && balance.contains("2022-06 末"),
        "{balance}"
    );
    assert!(!d.text("#plan-months-payable").is_empty());
    assert!(
        d.text("#budget-room")
            .contains("2022 年尚无批准的基金支出预算")
    );
    // the form beside the figures, above the regions' table, on the first screen
    let form = top(d, "#decision-form");
    assert!(
        form < top(d, "#plan-rows"),
        "the form comes before the table"
    );
    assert!(form < 900.0, "the form starts on the first screen: {form}");
    assert!(d.text("#plan-rows").contains("县"));
    d.screenshot("flow-09-finance-decision-form");
    d.click("#decision option[value=full]");
    d.click("#decide");
    d.wait_for("#status[data-status=approved]");
    let error = d.script(
        "const e = document.querySelector('#plan-error'); return e ? e.textContent : null",
        vec![],
    );
    assert_eq!(error, json!(null), "the decision was refused");
    d.wait_text("#approved", "4,194.36 元");
    assert!(d.text("#status").contains("全额批复"));
    d.screenshot("flow-10-finance-decided");
    d.log_out(base);
}

fn reviewer_approves_retirement(d: &Driver, base: &str) {
    d.log_in(base, "approver");
    d.click("#retirement-link");
    d.wait_url("/retirement");
    d.click("#applications tbody a");
    d.wait_for("#retire-decision");
    d.click("#retire-decision input[value=approve]");
    d.click("#decide");
    d.wait_for("#decided, #retirement-error");
    let error = d.script(
        "const e = document.querySelector('#retirement-error'); return e ? e.textContent : null",
        vec![],
    );
    assert_eq!(error, json!(null), "the decision was refused");
    assert!(d.text("#decided").contains("已批准"));
    d.screenshot("flow-03-reviewer-retirement-approved");
    d.log_out(base);
}

fn auditor_finds_the_decision(d: &Driver, base: &str) {
    d.auditor_finds_the_fund_plan_decision(base, "flow-12-auditor-finds-the-decision");
    d.goto(&format!("{base}/audit?action=month.run"));
    let runs = d.text("#audit-log tbody");
    assert_eq!(runs.matches("月度运行").count(), 3, "{runs}");
    assert!(runs.contains("officer"), "{runs}");
    d.screenshot("flow-13-auditor-finds-the-runs");
    d.log_out(base);
}

fn month_of_every_role(url: String) {
    seed(&url);
    let mut db = tongchou_store::Db::open(&url).expect("open");
    pensioner_record(&mut db);
    let retiring = support::insured(&mut db);
    support::ready_for_month(&mut db);
    support::add_staff(&mut db, "city.ty", Role::CityAgency, 140100);
    let srv = start(&url);
    let base = format!("http://{}", srv.addr);
    let d = Driver::start();

    // 1–2: the county clerk's import and retirement application
    d.clerk_imports_with_errors_then_fixed(&base, "flow-01-clerk");
    clerk_submits_retirement(&d, &base, &retiring);
    // the bureau's reviewer approves it (before the month's collection, which finds its
    // month unpaid)
    reviewer_approves_retirement(&d, &base);

    // 3: the bureau starts the month: no month has run yet, the page asks for one
    d.log_in(&base, "officer");
    d.click("#month-link");
    d.wait_for("#month-none");
    d.type_into("#period", "2022-06");
    d.click("#month-form button");
    d.wait_for("#month-run");
    assert!(d.text("#month-waiting").contains("等待征缴结账"));
    d.screenshot("flow-04-bureau-month-not-started");
    d.log_out(&base);
    let done = run_month(&d, &base, "flow-05-bureau-month-waits-for-plans");
    assert!(
        done.contains("征缴结账") && done.contains("生成发放名册"),
        "{done}"
    );
    // (read again by the next officer's visit below)

    // 4: the plan chain: county submits, city returns, county resubmits, city forwards
    d.plan_chain_return_then_forward(&base, "flow-06-chain");
    d.goto(&format!("{base}/chain/2022-06/140105"));
    let history = d.text("#chain-history");
    assert!(
        history.contains("时间（北京时间）") && !history.contains('Z'),
        "times as Beijing time, not ISO instants: {history}"
    );
    d.log_out(&base);

    // 5: the month applies and waits for the finance department
    let done = run_month(&d, &base, "flow-07-bureau-month-waits-for-finance");
    assert!(done.contains("用款计划汇总"), "{done}");
    d.log_in(&base, "officer");
    d.goto(&format!("{base}/month?period=2022-06"));
    assert!(d.text("#month-waiting").contains("等待财政厅审批"));
    d.screenshot("flow-08-bureau-month-waiting");
    d.log_out(&base);

    // 6: finance decides with the figures beside the form
    finance_decides(&d, &base);

    // 7: the month runs to its payment files
    let done = run_month(&d, &base, "flow-11-bureau-month-paid");
    assert!(
        done.contains("财政审批") && done.contains("银行支付文件"),
        "{done}"
    );
    d.log_in(&base, "officer");
    d.goto(&format!("{base}/month?period=2022-06"));
    let steps = d.text("#month-steps");
    assert_eq!(steps.matches("已完成").count(), 7, "{steps}");
    assert!(steps.contains("4,194.36 元"), "{steps}");
    assert!(
        d.script("return document.querySelector('#month-waiting')", vec![]) == json!(null),
        "nothing waits"
    );
    assert!(
        d.script("return document.querySelector('#month-run')", vec![]) == json!(null),
        "nothing left to run"
    );
    assert!(d.text("#month-awaits-returns").contains("待读入银行回盘"));
    d.log_out(&base);

    // 8–9: the auditor, the pensioner
    auditor_finds_the_decision(&d, &base);
    let payments = d.pensioner_on_a_phone(&base, "flow-14-pensioner");
    assert!(
        payments.contains("2022-06")
            && payments.contains("4,194.36 元")
            && payments.contains("已发往银行"),
        "{payments}"
    );
    drop(d);
    drop(srv);
}

#[test]
fn month_of_every_role_in_the_browser_on_sqlite() {
    ENGINE.set("sqlite").expect("engine");
    month_of_every_role(tongchou_store::testing::sqlite_url("browser-month-flow"));
}

#[test]
fn month_of_every_role_in_the_browser_on_postgres() {
    ENGINE.set("postgres").expect("engine");
    month_of_every_role(tongchou_store::testing::pg_url("browser_month_flow"));
}
