//! Recovery cases (追回) in the browser, through `tongchou_app::recoveries`: `/recoveries` shows,
//! within the staff member's region, the report by county and the cases (open first) with what
//! remains; a county clerk records a repayment (booked through the ledger) or proposes a
//! write-off with a reason; a provincial approver decides a proposed write-off (never the
//! proposer). Checked and audited in the use cases.

use crate::html::{csrf_field, error_response, page, yuan};
use crate::lang::{t, tf};
use crate::table::{Grid, View};
use crate::{AppError, St, csrf_token, ct_eq, current, with_db};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use std::collections::HashMap;
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::recoveries::{self as rec, CountyRecoveries};
use tongchou_app::reports::Cell;
use tongchou_core::access::Permission;
use tongchou_core::{Date, Divisions, Fen, RegionCode};
use tongchou_store::access::User;
use tongchou_store::recoveries::Case;

type Fields = HashMap<String, String>;

const TITLE: &str = crate::lang::msg("rec-title");

/// Staff who handle or oversee benefits (not insured persons), as for the certification.
pub(crate) use crate::certification::may_view;

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(status, login, t(TITLE), "rec-error", None, msg)
}

/// The page.
pub async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match current(&st, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.status(), "", &e.message()),
    };
    if !may_view(&user) {
        return error_page(StatusCode::FORBIDDEN, &user.login, t("rec-denied"));
    }
    let region = user.region;
    let r = with_db(&st, move |db| {
        let report = rec::report(db, region)?;
        let d = Divisions::shanxi();
        let cases: Vec<Case> = tongchou_store::recoveries::cases(db, None)?
            .into_iter()
            .filter(|c| RegionCode::new(c.county).is_ok_and(|c| d.within(c, region)))
            .take(5_000)
            .collect();
        Ok((report, cases))
    })
    .await;
    match r {
        Ok((report, cases)) => {
            let grid = cases_grid(&cases);
            if let Some(file) = grid.export(&q, "recovery-cases") {
                return file;
            }
            let csrf = csrf_token(&token);
            let cases = grid.render("/recoveries", &View::of(&q));
            Html(page(
                t(TITLE),
                Some(&user.login),
                body(
                    &user,
                    &report,
                    &cases,
                    &csrf,
                    q.get("done").map(String::as_str),
                ),
            ))
            .into_response()
        }
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}

/// The cases as a grid (filter, sort, pages, export).
fn cases_grid(cases: &[Case]) -> Grid {
    Grid {
        id: "rec-cases",
        title: t("rec-cases-title").into(),
        cols: vec![
            ("人员编号", 12.0),
            ("案件号", 10.0),
            ("类型", 16.0),
            ("区县", 10.0),
            ("所属月份", 10.0),
            ("金额（元）", 16.0),
            ("待追回（元）", 16.0),
            ("状态", 12.0),
        ],
        rows: cases
            .iter()
            .map(|c| {
                vec![
                    Cell::Int(c.person),
                    Cell::Int(c.id),
                    Cell::Text(kind_zh(&c.kind).to_string()),
                    Cell::Int(i64::from(c.county)),
                    Cell::Text(c.month.to_string()),
                    Cell::Money(c.amount),
                    Cell::Money(c.remaining()),
                    Cell::Text(status_zh(&c.status).to_string()),
                ]
            })
            .collect(),
        link: None,
    }
}

fn body(
    user: &User,
    report: &[CountyRecoveries],
    cases: &Markup,
    csrf: &str,
    done: Option<&str>,
) -> Markup {
    html! {
        @if let Some(msg) = done { p class="ok" id="rec-done" { (msg) } }
        table id="rec-report" {
            thead { tr { th { (t("rec-region")) } th { (t("rec-open")) } th { (t("rec-remaining")) } th { (t("rec-recovered-cases")) } th { (t("rec-repaid")) } th { (t("rec-written-off-cases")) } th { (t("rec-written-off")) } } }
            tbody { @for r in report { tr {
                td { (r.name) " " (r.county) } td class="num" { (r.open) } td class="num" { (yuan(r.open_remaining)) }
                td class="num" { (r.recovered) } td class="num" { (yuan(r.repaid)) }
                td class="num" { (r.written_off_cases) } td class="num" { (yuan(r.written_off)) }
            } } }
        }
        h2 { (t("rec-cases")) }
        (cases)
        @if user.role.has(Permission::PersonWrite) {
            h2 { (t("rec-repay-title")) }
            form method="post" action="/recoveries/repay" id="repay-form" {
                (csrf_field(csrf))
                label for="person" { (t("rec-person")) } input id="person" name="person" required;
                label for="case" { (t("rec-case")) } input id="case" name="case" required;
                label for="amount" { (t("rec-amount-yuan")) } input id="amount" name="amount" required;
                label for="on" { (t("rec-on")) } input id="on" name="on";
                label for="reference" { (t("rec-reference")) } input id="reference" name="reference" required;
                button type="submit" id="repay" { (t("rec-record")) }
            }
        }
        @if user.role.has(Permission::RetirementSubmit) {
            h2 { (t("rec-writeoff-title")) }
            form method="post" action="/recoveries/write-off" id="writeoff-form" {
                (csrf_field(csrf))
                label for="wperson" { (t("rec-person")) } input id="wperson" name="person" required;
                label for="wcase" { (t("rec-case")) } input id="wcase" name="case" required;
                label for="reason" { (t("rec-writeoff-reason")) } input id="reason" name="reason" required;
                button type="submit" id="propose" { (t("rec-submit")) }
            }
        }
        @if user.role.has(Permission::RetirementApprove) {
            h2 { (t("rec-decide-title")) }
            form method="post" action="/recoveries/decide" id="decide-form" {
                (csrf_field(csrf))
                label for="approval" { (t("rec-approval")) } input id="approval" name="approval" required;
                select name="decision" id="decision" { option value="approve" { (t("rec-approve")) } option value="reject" { (t("rec-reject")) } }
                label for="note" { (t("rec-note")) } input id="note" name="note";
                button type="submit" id="decide" { (t("rec-decide")) }
            }
        }
    }
}

fn kind_zh(k: &str) -> &'static str {
    match k {
        "paid_after_death" => t("rec-k-after-death"),
        "duplicate_receipt" => t("rec-k-duplicate"),
        "correction" => t("rec-k-correction"),
        _ => t("rec-other"),
    }
}

fn status_zh(s: &str) -> &'static str {
    match s {
        "open" => t("rec-s-open"),
        "recovered" => t("rec-s-recovered"),
        "written_off" => t("rec-s-written-off"),
        _ => t("rec-other"),
    }
}

fn num<T: std::str::FromStr>(f: &Fields, k: &str, label: &str) -> Result<T, AppError> {
    f.get(k)
        .map(|s| s.trim())
        .and_then(|s| s.parse::<T>().ok())
        .ok_or_else(|| AppError::BadRequest(tf("rec-malformed", &[("label", label)])))
}

/// The three forms' posts: `repay`, `write-off`, `decide`.
pub async fn act(
    State(st): State<St>,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match current(&st, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.status(), "", &e.message()),
    };
    let field = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    if !ct_eq(&field("csrf"), &csrf_token(&token)) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let who = user.principal();
    let r: Result<String, AppError> = match action.as_str() {
        "repay" => {
            let parsed = (|| {
                let on = match field("on").as_str() {
                    "" => today_china(),
                    s => s
                        .parse::<Date>()
                        .map_err(|_| AppError::BadRequest(t("rec-bad-on").into()))?,
                };
                Ok::<_, AppError>((
                    num::<i64>(&f, "person", t("rec-person"))?,
                    num::<i64>(&f, "case", t("rec-case"))?,
                    num::<Fen>(&f, "amount", t("rec-amount"))?,
                    on,
                ))
            })();
            match parsed {
                Err(e) => Err(e),
                Ok((person, case, amount, on)) => {
                    let reference = field("reference");
                    with_db(&st, move |db| {
                        let c =
                            rec::repay(db, &who, person, case, amount, on, &reference, now_ms())?;
                        Ok(tf(
                            "rec-repaid-done",
                            &[
                                ("amount", &yuan(amount)),
                                ("remaining", &yuan(c.remaining())),
                                ("status", status_zh(&c.status)),
                            ],
                        ))
                    })
                    .await
                }
            }
        }
        "write-off" => match (
            num::<i64>(&f, "person", t("rec-person")),
            num::<i64>(&f, "case", t("rec-case")),
        ) {
            (Ok(person), Ok(case)) => {
                let reason = field("reason");
                with_db(&st, move |db| {
                    let id = rec::propose_write_off(db, &who, person, case, &reason, now_ms())?;
                    Ok(tf("rec-writeoff-done", &[("id", &id.to_string())]))
                })
                .await
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        "decide" => match num::<i64>(&f, "approval", t("rec-approval")) {
            Ok(approval) => {
                let approve = field("decision") == "approve";
                let note = field("note");
                with_db(&st, move |db| {
                    let c = rec::decide_write_off(db, &who, approval, approve, &note, now_ms())?;
                    Ok(tf(
                        "rec-case-state",
                        &[("id", &c.id.to_string()), ("status", status_zh(&c.status))],
                    ))
                })
                .await
            }
            Err(e) => Err(e),
        },
        _ => Err(AppError::NotFound(t("rec-not-found").into())),
    };
    match r {
        Ok(msg) => {
            let q: String = form_urlencoded::byte_serialize(msg.as_bytes()).collect();
            Redirect::to(&format!("/recoveries?done={q}")).into_response()
        }
        Err(e) => error_page(
            e.status(),
            &user.login,
            &tf("rec-not-done", &[("reason", &e.message())]),
        ),
    }
}
