//! The insured person's own pages (我的参保记录), usable on a phone: their record, the pension
//! with how each part is computed, the payments made to them, the individual account's years with
//! a statement (对账单) per year, and every month's contribution with what was paid. Reads are
//! `tongchou_app::own` (their own account only, every read audited). The estimator is linked,
//! filled from their own record.

use crate::html::{dl, error_response, explanation, page, yuan};
use crate::lang::{t, tf};
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

const TITLE: &str = crate::lang::msg("page-my-records");

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
    error_response(status, login, t(TITLE), "mine-error", None, msg)
}

async fn signed_in(st: &St, headers: &HeaderMap) -> Result<User, Response> {
    // the use cases refuse anyone but the person (audited), so every signed-in user gets through
    let (u, _) = crate::signed_in_for(st, headers, |_| true, error_page).await?;
    Ok(u)
}

fn payment_status(s: &str) -> &str {
    match s {
        "planned" => t("mine-planned"),
        "issued" => t("mine-sent-to-the-bank"),
        "paid" => t("mine-paid"),
        "returned" => t("mine-returned-by-the-bank"),
        "deferred" => t("mine-deferred"),
        "carried" => t("mine-carried-to-a-later-month"),
        other => other,
    }
}

fn item_label(code: &str) -> String {
    Item::parse(code).map_or_else(|| code.to_string(), |i| crate::lang::item(i).to_string())
}

fn pension_html(r: &OwnRecords) -> Markup {
    let Some(now) = r.pensions.first() else {
        return html! {};
    };
    html! {
        section id="my-pension" {
            h2 { (t("mine-my-pension")) }
            p { (t("mine-monthly-pension")) strong id="pension-total" { (yuan(now.total)) } }
            div class="scroll" {
                table id="pension-history" {
                    tr { th { (t("mine-from")) } th { (t("mine-why")) } th { (t("mine-basic")) } th { (t("mine-account")) } th { (t("mine-transitional")) } th { (t("mine-increases")) } th { (t("mine-total")) } }
                    @for p in &r.pensions {
                        tr {
                            td { (p.effective_from) } td { (p.reason) } td { (yuan(p.basic)) } td { (yuan(p.account)) }
                            td { (yuan(p.transitional)) } td { (yuan(p.adjustment)) } td { (yuan(p.total)) }
                        }
                    }
                }
            }
            @if let Some(e) = &r.explained {
                h3 { (t("mine-how-computed")) }
                @if !e.reproduced {
                    p class="warning" { (t("mine-the-rule-s-recomputation-differs")) }
                }
                (explanation(t("page-basic"), &e.basic))
                (explanation(t("page-account-2"), &e.account))
                (explanation(t("page-transitional"), &e.transitional))
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
            h2 { (t("mine-payments-to-me")) }
            div class="scroll" {
                table id="payments" {
                    tr { th { (t("plans-month")) } th { (t("mine-item")) } th { (t("mine-amount")) } th { (t("web-status")) } }
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
            h2 { (t("mine-my-individual-account")) }
            @if r.years.is_empty() {
                p { (t("mine-no-closed-year-yet")) }
            } @else {
                div class="scroll" {
                    table id="account-years" {
                        tr { th { (t("mine-year")) } th { (t("mine-opening")) } th { (t("mine-credited")) } th { (t("mine-interest")) } th { (t("mine-closing")) } th { (t("mine-rate")) } th {} }
                        @for y in &r.years {
                            tr {
                                td { (y.year) } td class="num" { (yuan(y.opening)) } td class="num" { (yuan(y.contributions)) }
                                td class="num" { (yuan(y.interest)) } td class="num" { (yuan(y.closing)) } td { (y.rate) }
                                td { a href={ "/me/statement?year=" (y.year) } { (t("mine-statement")) } }
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
            h2 { (t("mine-my-contributions")) }
            p id="contribution-totals" {
                (tf("mine-contributions-summary", &[("n", &r.contributions.len().to_string()), ("assessed", &yuan(assessed)), ("paid", &yuan(paid)), ("owed", &yuan(open))]))
            }
            div class="scroll" {
                table id="contributions" {
                    tr { th { (t("plans-month")) } th { (t("mine-base")) } th { (t("mine-assessed-2")) } th { (t("mine-to-my-account")) } th { (t("mine-paid-3")) } th { (t("mine-owed-2")) } }
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
                p { a href="/me/records?all=1#my-contributions" id="all-months" { (tf("mine-show-all-months", &[("n", &r.contributions.len().to_string())])) } }
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
        p { a href={ "/estimate?" (query) } id="estimate-mine" { (t("mine-estimate-my-pension-from-my")) } }
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
                    a href="#my-pension" { (t("mine-tab-pension")) } " " a href="#my-payments" { (t("mine-tab-payments")) } " "
                    a href="#my-account" { (t("mine-tab-account")) } " " a href="#my-contributions" { (t("mine-tab-contributions")) }
                }
                (person_html(&v))
                (estimator_link(&v))
                (pension_html(&r))
                (payments_html(&r))
                (account_html(&r))
                (contributions_html(&r, all))
            };
            Html(page(t(TITLE), Some(&user.login), body)).into_response()
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
            t("mine-give-a-year-e-g"),
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
                        (t("page-name"), s.name.clone()),
                        (t("page-id-number"), s.id_number_masked.clone()),
                        (t("mine-year"), s.year.to_string()),
                        (t("mine-opening-2"), yuan(ye.opening)),
                        (t("mine-credited-2"), yuan(ye.contributions)),
                        (t("mine-interest-on-the-opening"), yuan(ye.interest_on_opening)),
                        (t("mine-interest-on-the-year-s"), yuan(ye.interest_on_contributions)),
                        (t("mine-closing-2"), yuan(ye.closing)),
                    ]))
                }
                h2 { (t("mine-credited-month-by-month")) }
                div class="scroll" {
                    table id="statement-months" {
                        tr { th { (t("plans-month")) } th { (t("mine-credited-3")) } }
                        @for (m, a) in &s.monthly { tr { td { (m) } td class="num" { (yuan(*a)) } } }
                    }
                }
                (explanation(t("mine-how-the-interest-is-computed"), &s.explain))
                p { a href="/me/records#my-account" { (t("record-back")) } }
            };
            Html(page(
                &tf("mine-statement-title", &[("year", &year.to_string())]),
                Some(&user.login),
                body,
            ))
            .into_response()
        }
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}
