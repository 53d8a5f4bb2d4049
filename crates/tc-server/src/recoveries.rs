//! Recovery cases (追回) in the browser, through `tongchou_app::recoveries`: `/recoveries` shows,
//! within the staff member's region, the report by county and the cases (open first) with what
//! remains; a county clerk records a repayment (booked through the ledger) or proposes a
//! write-off with a reason; a provincial approver decides a proposed write-off (never the
//! proposer). Checked and audited in the use cases.

use crate::html::{csrf_field, page};
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

const TITLE: &str = "待遇追回 Recoveries";

/// Staff who handle or oversee benefits (not insured persons), as for the certification.
pub(crate) use crate::certification::may_view;

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    (
        status,
        Html(page(
            TITLE,
            Some(login),
            html! { p class="error" id="rec-error" { (msg) } },
        )),
    )
        .into_response()
}

/// The page.
pub async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match current(&st, &headers).await {
        Ok(Some(u)) => u,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(e) => return error_page(e.status(), "", &e.message()),
    };
    if !may_view(&user) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            "无权查看追回案件 You may not see recoveries",
        );
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
                TITLE,
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
        title: "待遇追回案件".into(),
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
            thead { tr { th { "地区" } th { "未结案件" } th { "待追回" } th { "已追回结案" } th { "已追回金额" } th { "核销案件" } th { "核销金额" } } }
            tbody { @for r in report { tr {
                td { (r.name) " " (r.county) } td class="num" { (r.open) } td class="num" { (r.open_remaining.grouped()) " 元" }
                td class="num" { (r.recovered) } td class="num" { (r.repaid.grouped()) " 元" }
                td class="num" { (r.written_off_cases) } td class="num" { (r.written_off.grouped()) " 元" }
            } } }
        }
        h2 { "案件 Cases" }
        (cases)
        @if user.role.has(Permission::PersonWrite) {
            h2 { "登记退回款 Record a repayment" }
            form method="post" action="/recoveries/repay" id="repay-form" {
                (csrf_field(csrf))
                label for="person" { "人员编号" } input id="person" name="person" required;
                label for="case" { "案件号" } input id="case" name="case" required;
                label for="amount" { "金额（元）" } input id="amount" name="amount" required;
                label for="on" { "到账日期（默认今天）" } input id="on" name="on";
                label for="reference" { "银行凭证号" } input id="reference" name="reference" required;
                button type="submit" id="repay" { "登记 Record" }
            }
        }
        @if user.role.has(Permission::RetirementSubmit) {
            h2 { "申请核销 Propose a write-off" }
            form method="post" action="/recoveries/write-off" id="writeoff-form" {
                (csrf_field(csrf))
                label for="wperson" { "人员编号" } input id="wperson" name="person" required;
                label for="wcase" { "案件号" } input id="wcase" name="case" required;
                label for="reason" { "核销理由" } input id="reason" name="reason" required;
                button type="submit" id="propose" { "提交审批 Submit" }
            }
        }
        @if user.role.has(Permission::RetirementApprove) {
            h2 { "审批核销 Decide a write-off" }
            form method="post" action="/recoveries/decide" id="decide-form" {
                (csrf_field(csrf))
                label for="approval" { "审批编号" } input id="approval" name="approval" required;
                select name="decision" id="decision" { option value="approve" { "同意核销" } option value="reject" { "不同意" } }
                label for="note" { "意见" } input id="note" name="note";
                button type="submit" id="decide" { "决定 Decide" }
            }
        }
    }
}

fn kind_zh(k: &str) -> &'static str {
    match k {
        "paid_after_death" => "死亡后多发",
        "duplicate_receipt" => "重复领取",
        "correction" => "重新核定多发",
        _ => "其他",
    }
}

fn status_zh(s: &str) -> &'static str {
    match s {
        "open" => "追回中",
        "recovered" => "已追回",
        "written_off" => "已核销",
        _ => "其他",
    }
}

fn num<T: std::str::FromStr>(f: &Fields, k: &str, label: &str) -> Result<T, AppError> {
    f.get(k)
        .map(|s| s.trim())
        .and_then(|s| s.parse::<T>().ok())
        .ok_or_else(|| AppError::BadRequest(format!("{label}: 格式不正确 (malformed)")))
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
        return error_page(StatusCode::FORBIDDEN, &user.login, "csrf");
    }
    let who = user.principal();
    let r: Result<String, AppError> = match action.as_str() {
        "repay" => {
            let parsed = (|| {
                let on = match field("on").as_str() {
                    "" => today_china(),
                    s => s
                        .parse::<Date>()
                        .map_err(|_| AppError::BadRequest("到账日期: YYYY-MM-DD".into()))?,
                };
                Ok::<_, AppError>((
                    num::<i64>(&f, "person", "人员编号")?,
                    num::<i64>(&f, "case", "案件号")?,
                    num::<Fen>(&f, "amount", "金额")?,
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
                        Ok(format!(
                            "已登记退回 {} 元，待追回 {} 元（{}）",
                            amount.grouped(),
                            c.remaining().grouped(),
                            status_zh(&c.status)
                        ))
                    })
                    .await
                }
            }
        }
        "write-off" => match (
            num::<i64>(&f, "person", "人员编号"),
            num::<i64>(&f, "case", "案件号"),
        ) {
            (Ok(person), Ok(case)) => {
                let reason = field("reason");
                with_db(&st, move |db| {
                    let id = rec::propose_write_off(db, &who, person, case, &reason, now_ms())?;
                    Ok(format!("核销申请已提交，审批编号 {id}"))
                })
                .await
            }
            (Err(e), _) | (_, Err(e)) => Err(e),
        },
        "decide" => match num::<i64>(&f, "approval", "审批编号") {
            Ok(approval) => {
                let approve = field("decision") == "approve";
                let note = field("note");
                with_db(&st, move |db| {
                    let c = rec::decide_write_off(db, &who, approval, approve, &note, now_ms())?;
                    Ok(format!("案件 {} 状态：{}", c.id, status_zh(&c.status)))
                })
                .await
            }
            Err(e) => Err(e),
        },
        _ => Err(AppError::NotFound("页面不存在 Not found".into())),
    };
    match r {
        Ok(msg) => {
            let q: String = form_urlencoded::byte_serialize(msg.as_bytes()).collect();
            Redirect::to(&format!("/recoveries?done={q}")).into_response()
        }
        Err(e) => error_page(
            e.status(),
            &user.login,
            &format!("未办理 Not done: {}", e.message()),
        ),
    }
}
