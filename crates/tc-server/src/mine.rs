//! The insured person's own pages (我的参保记录), usable on a phone: their record, the pension
//! with how each part is computed, the payments made to them, the individual account's years with
//! a statement (对账单) per year, and every month's contribution with what was paid. Reads are
//! `tongchou_app::own` (their own account only, every read audited). The estimator is linked,
//! filled from their own record.

use crate::html::{dl, explanation, page, yuan};
use crate::pages::person_html;
use crate::person;
use crate::{AppError, St, client, with_db, with_db_audited};
use axum::Router;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use std::collections::HashMap;
use std::net::SocketAddr;
use tongchou_app::clock::now_ms;
use tongchou_app::own::{self, OwnRecords};
use tongchou_core::Policy;
use tongchou_engine::disbursement::Item;
use tongchou_store::access::User;

const TITLE: &str = "我的参保记录 My records";

/// Contribution months shown unless all are asked for.
const RECENT_MONTHS: usize = 36;

/// The pages' routes.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/me/records", get(records))
        .route("/me/statement", get(statement))
}

fn policy() -> Result<Policy, AppError> {
    Policy::builtin().map_err(|e| AppError::Internal(e.to_string()))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    let body = html! { p class="error" id="mine-error" { (msg) } };
    (status, Html(page(TITLE, Some(login), body))).into_response()
}

async fn signed_in(st: &St, headers: &HeaderMap) -> Result<User, Response> {
    // the use cases refuse anyone but the person (audited), so every signed-in user gets through
    let (u, _) = crate::signed_in_for(st, headers, |_| true, error_page).await?;
    Ok(u)
}

fn payment_status(s: &str) -> &str {
    match s {
        "planned" => "待发 planned",
        "issued" => "已发往银行 sent to the bank",
        "paid" => "已到账 paid",
        "returned" => "银行退回 returned by the bank",
        "deferred" => "延后发放 deferred",
        "carried" => "已转下月发放 carried to a later month",
        other => other,
    }
}

fn item_label(code: &str) -> String {
    Item::parse(code).map_or_else(|| code.to_string(), |i| i.chinese().to_string())
}

fn pension_html(r: &OwnRecords) -> Markup {
    let Some(now) = r.pensions.first() else {
        return html! {};
    };
    html! {
        section id="my-pension" {
            h2 { "养老金 My pension" }
            p { "现月基本养老金 Monthly pension: " strong id="pension-total" { (yuan(now.total)) } }
            div class="scroll" {
                table id="pension-history" {
                    tr { th { "起始 From" } th { "原因 Why" } th { "基础 Basic" } th { "个人账户 Account" } th { "过渡性 Transitional" } th { "调整 Increases" } th { "合计 Total" } }
                    @for p in &r.pensions {
                        tr {
                            td { (p.effective_from) } td { (p.reason) } td { (yuan(p.basic)) } td { (yuan(p.account)) }
                            td { (yuan(p.transitional)) } td { (yuan(p.adjustment)) } td { (yuan(p.total)) }
                        }
                    }
                }
            }
            @if let Some(e) = &r.explained {
                h3 { "如何计算 How it is computed (国发〔2005〕38号)" }
                @if !e.reproduced {
                    p class="warning" { "按现行规则重算与核定金额不一致，以核定为准 The rule's recomputation differs from the award; the award stands." }
                }
                (explanation("基础养老金 Basic", &e.basic))
                (explanation("个人账户养老金 Account", &e.account))
                (explanation("过渡性养老金 Transitional", &e.transitional))
            }
        }
    }
}

fn payments_html(r: &OwnRecords) -> Markup {
    if r.payments.is_empty() {
        return html! {};
    }
    html! {
        section id="my-payments" {
            h2 { "待遇发放 Payments to me" }
            div class="scroll" {
                table id="payments" {
                    tr { th { "月份 Month" } th { "项目 Item" } th { "金额 Amount" } th { "状态 Status" } }
                    @for p in &r.payments {
                        tr {
                            td { (p.month) } td { (item_label(&p.item)) } td class="num" { (yuan(p.amount)) }
                            td { (payment_status(&p.status)) @if let Some(why) = &p.reason { " · " (why) } }
                        }
                    }
                }
            }
        }
    }
}

fn account_html(r: &OwnRecords) -> Markup {
    html! {
        section id="my-account" {
            h2 { "个人账户 My individual account" }
            @if r.years.is_empty() {
                p { "尚无已结算年度 No closed year yet." }
            } @else {
                div class="scroll" {
                    table id="account-years" {
                        tr { th { "年度 Year" } th { "年初 Opening" } th { "记账 Credited" } th { "利息 Interest" } th { "年末 Closing" } th { "记账利率 Rate" } th {} }
                        @for y in &r.years {
                            tr {
                                td { (y.year) } td class="num" { (yuan(y.opening)) } td class="num" { (yuan(y.contributions)) }
                                td class="num" { (yuan(y.interest)) } td class="num" { (yuan(y.closing)) } td { (y.rate) }
                                td { a href={ "/me/statement?year=" (y.year) } { "对账单 Statement" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn contributions_html(r: &OwnRecords, all: bool) -> Markup {
    let (assessed, paid, open) = own::contribution_totals(&r.contributions);
    let shown = if all {
        r.contributions.len()
    } else {
        RECENT_MONTHS.min(r.contributions.len())
    };
    html! {
        section id="my-contributions" {
            h2 { "缴费记录 My contributions" }
            p id="contribution-totals" {
                "共 " (r.contributions.len()) " 个月 months · 应缴 assessed " (yuan(assessed))
                " · 已缴 paid " (yuan(paid)) " · 欠缴 owed " (yuan(open))
            }
            div class="scroll" {
                table id="contributions" {
                    tr { th { "月份 Month" } th { "缴费基数 Base" } th { "应缴 Assessed" } th { "其中记入个人账户 To my account" } th { "已缴 Paid" } th { "欠缴 Owed" } }
                    @for m in &r.contributions[..shown] {
                        tr {
                            td { (m.period) } td class="num" { (yuan(m.base)) } td class="num" { (yuan(m.assessed())) }
                            td class="num" { (yuan(m.account)) } td class="num" { (yuan(m.paid)) }
                            td class="num" { @if m.open().is_zero() { "—" } @else { strong { (yuan(m.open())) } } }
                        }
                    }
                }
            }
            @if shown < r.contributions.len() {
                p { a href="/me/records?all=1#my-contributions" id="all-months" { "显示全部 " (r.contributions.len()) " 个月 Show all months" } }
            }
        }
    }
}

/// The estimator's link, filled from the person's record.
fn estimator_link(v: &serde_json::Value) -> Markup {
    let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let birth: String = s("birth").chars().take(7).collect();
    let category = match s("category").as_str() {
        "female_cadre" | "female-cadre" => "female-cadre",
        "female_worker" | "female-worker" => "female-worker",
        _ => "male",
    };
    let paid = v["paid_months"].as_i64().unwrap_or(0);
    let deemed = v["deemed_months"].as_i64().unwrap_or(0);
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("birth", &birth)
        .append_pair("category", category)
        .append_pair("paid_months", &paid.to_string())
        .append_pair("deemed_months", &deemed.to_string())
        .append_pair("account_balance", &s("account_balance"))
        .finish();
    html! {
        p { a href={ "/estimate?" (query) } id="estimate-mine" { "用我的记录测算养老金 Estimate my pension from my record" } }
    }
}

/// `GET /me/records[?all=1]`.
async fn records(
    State(st): State<St>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let user = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let all = q.get("all").is_some_and(|v| v == "1");
    let c = client(&addr);
    let u = user.clone();
    let r = with_db_audited(&st, move |db| {
        let (answer, e) = person::read_own(db, &u, "page", &c, now_ms())?;
        let both = || -> Result<_, AppError> {
            let v = answer?.to_value()?;
            Ok((v, own::records(db, &policy()?, &u.principal(), now_ms())?))
        };
        Ok((both(), e))
    })
    .await;
    match r {
        Ok((v, r)) => {
            let body = html! {
                nav class="tabs" {
                    a href="#my-pension" { "养老金" } " " a href="#my-payments" { "发放" } " "
                    a href="#my-account" { "个人账户" } " " a href="#my-contributions" { "缴费" }
                }
                (person_html(&v))
                (estimator_link(&v))
                (pension_html(&r))
                (payments_html(&r))
                (account_html(&r))
                (contributions_html(&r, all))
            };
            Html(page(TITLE, Some(&user.login), body)).into_response()
        }
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}

/// `GET /me/statement?year=Y`: the person's statement of a closed year.
async fn statement(
    State(st): State<St>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let user = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(year) = q.get("year").and_then(|y| y.trim().parse::<i32>().ok()) else {
        return error_page(
            StatusCode::BAD_REQUEST,
            &user.login,
            "year: 请给出年度 give a year, e.g. 2023",
        );
    };
    let who = user.principal();
    let r = with_db(&st, move |db| {
        let year = own::check_year(year)?;
        Ok(own::statement(db, &policy()?, &who, year, now_ms())?)
    })
    .await;
    match r {
        Ok(s) => {
            let ye = &s.year_end;
            let body = html! {
                div id="statement" {
                    (dl(&[
                        ("姓名 Name", s.name.clone()),
                        ("身份证号 ID number", s.id_number_masked.clone()),
                        ("年度 Year", s.year.to_string()),
                        ("年初余额 Opening", yuan(ye.opening)),
                        ("本年记账 Credited", yuan(ye.contributions)),
                        ("年初余额利息 Interest on the opening", yuan(ye.interest_on_opening)),
                        ("当年记账利息 Interest on the year's credits", yuan(ye.interest_on_contributions)),
                        ("年末余额 Closing", yuan(ye.closing)),
                    ]))
                }
                h2 { "逐月记账 Credited month by month" }
                div class="scroll" {
                    table id="statement-months" {
                        tr { th { "月份 Month" } th { "记账金额 Credited" } }
                        @for (m, a) in &s.monthly { tr { td { (m) } td class="num" { (yuan(*a)) } } }
                    }
                }
                (explanation("利息计算 How the interest is computed", &s.explain))
                p { a href="/me/records#my-account" { "返回 Back" } }
            };
            Html(page(
                &format!("个人账户对账单 Statement {year}"),
                Some(&user.login),
                body,
            ))
            .into_response()
        }
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}
