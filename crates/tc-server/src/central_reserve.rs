//! The province's central adjustment / national pooling and its reserve fund in the browser, for
//! the provincial finance department and bureau (region-scoped: provincial staff only):
//!
//! - `/central?year=Y` (`tongchou_app::central`): the year's regime, remittance, allocation,
//!   quarterly advances and settlement, or its national pooling 上解/下拨, every movement with its
//!   source document; forms for the finance department's actions (`POST /central/{action}`).
//! - `/reserve` (`tongchou_app::reserve`): the register of transferred equity, the returns
//!   collected, the uses with their approvals and the fund's balances; forms to register equity,
//!   record a return and propose a use (a finance officer), and to decide a use (a finance
//!   approver, never its maker) (`POST /reserve/{action}`).
//!
//! Every action is a POST with the session's CSRF token, checked and audited in the use cases.

use crate::html::{csrf_field, dl, page, yuan};
use crate::{AppError, St, csrf_token, ct_eq, current, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use std::collections::HashMap;
use tongchou_app::central::{self, AdvanceInput, AllocationInput, CentralView, PoolingInput};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::reserve::{self, HoldingInput, ReserveView, ReturnInput, UseInput};
use tongchou_core::access::Role;
use tongchou_core::{Date, Divisions, Fen};
use tongchou_store::access::User;

type Fields = HashMap<String, String>;

const CENTRAL: &str = "中央调剂与全国统筹 Central adjustment";
const RESERVE: &str = "储备基金 Reserve fund";

/// Who sees the pages: the provincial finance department and bureau.
pub fn may_view(u: &User) -> bool {
    central::READERS.contains(&u.role) && u.region == Divisions::shanxi().province().code
}

/// The pages' routes.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/central", get(show_central))
        .route("/central/{action}", post(act_central))
        .route("/reserve", get(show_reserve))
        .route("/reserve/{action}", post(act_reserve))
}

/// The dashboard's links.
pub fn links(u: &User) -> Markup {
    html! {
        @if may_view(u) {
            p {
                a href="/central" id="central-link" { (crate::lang::t("nav-central")) } " "
                a href="/reserve" id="reserve-link" { (crate::lang::t("nav-reserve")) }
            }
        }
    }
}

fn error_page(title: &str, status: StatusCode, login: &str, msg: &str) -> Response {
    let back = if title == CENTRAL {
        "/central"
    } else {
        "/reserve"
    };
    let body =
        html! { p class="error" id="fund-error" { (msg) } p { a href=(back) { "返回 Back" } } };
    (status, Html(page(title, Some(login), body))).into_response()
}

/// The signed-in provincial user and the session token, or the page to answer with.
async fn viewer(st: &St, headers: &HeaderMap, title: &str) -> Result<(User, String), Response> {
    match current(st, headers).await {
        Ok(Some((u, t))) if may_view(&u) => Ok((u, t)),
        Ok(Some((u, _))) => Err(error_page(
            title,
            StatusCode::FORBIDDEN,
            &u.login,
            "无权访问：仅限省级财政厅、人社厅工作人员 Access denied",
        )),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error_page(title, e.status(), "", &e.message())),
    }
}

fn field(f: &Fields, k: &str) -> String {
    f.get(k).map(|s| s.trim().to_string()).unwrap_or_default()
}

fn parsed<T: std::str::FromStr>(f: &Fields, k: &str, label: &str) -> Result<T, AppError> {
    field(f, k)
        .parse::<T>()
        .map_err(|_| AppError::BadRequest(format!("{label}：格式不正确 (malformed)")))
}

fn optional<T: std::str::FromStr>(f: &Fields, k: &str, label: &str) -> Result<Option<T>, AppError> {
    match field(f, k).as_str() {
        "" => Ok(None),
        _ => parsed(f, k, label).map(Some),
    }
}

fn day(f: &Fields, k: &str) -> Result<Date, AppError> {
    Ok(optional(f, k, "日期 (YYYY-MM-DD)")?.unwrap_or_else(today_china))
}

fn done(to: &str, r: Result<String, AppError>, title: &str, login: &str) -> Response {
    match r {
        Ok(msg) => {
            let q: String = form_urlencoded::byte_serialize(msg.as_bytes()).collect();
            let sep = if to.contains('?') { '&' } else { '?' };
            Redirect::to(&format!("{to}{sep}done={q}")).into_response()
        }
        Err(e) => error_page(
            title,
            e.status(),
            login,
            &format!("未办理 Not done：{}", e.message()),
        ),
    }
}

/// A POST's user with its CSRF field checked, or the page to answer with.
async fn poster(st: &St, headers: &HeaderMap, f: &Fields, title: &str) -> Result<User, Response> {
    let (user, token) = viewer(st, headers, title).await?;
    if !ct_eq(&field(f, "csrf"), &csrf_token(&token)) {
        return Err(error_page(
            title,
            StatusCode::FORBIDDEN,
            &user.login,
            "csrf",
        ));
    }
    Ok(user)
}

async fn show_central(
    State(st): State<St>,
    headers: HeaderMap,
    Query(q): Query<Fields>,
) -> Response {
    let (user, token) = match viewer(&st, &headers, CENTRAL).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let year = match optional::<i32>(&q, "year", "年度") {
        Ok(y) => y.unwrap_or(today_china().year() - 1),
        Err(e) => return error_page(CENTRAL, e.status(), &user.login, &e.message()),
    };
    let who = user.principal();
    match with_db(&st, move |db| Ok(central::read(db, &who, year, now_ms())?)).await {
        Ok(v) => {
            let body = central_body(&user, &csrf_token(&token), &v, q.get("done"));
            Html(page(CENTRAL, Some(&user.login), body)).into_response()
        }
        Err(e) => error_page(CENTRAL, e.status(), &user.login, &e.message()),
    }
}

fn maybe(f: Option<Fen>) -> String {
    f.map_or_else(|| "未登记".to_string(), yuan)
}

fn central_body(user: &User, csrf: &str, v: &CentralView, msg: Option<&String>) -> Markup {
    let t = &v.terms;
    let mut rows = vec![("制度 Regime", central::regime_zh(v).to_string())];
    if t.is_central_adjustment() {
        rows.extend([
            ("上解比例 Remittance ratio", t.ratio.to_string()),
            ("上年全口径平均工资 Average wage", yuan(t.avg_wage)),
            ("上解额 Remittance", maybe(v.remitted)),
            ("拨付额 Allocation", maybe(v.allocated)),
            ("已预缴 Advances paid", yuan(v.advances_paid)),
            ("已预拨 Advances received", yuan(v.advances_received)),
            ("年终清算 Settlement（+收 −付）", maybe(v.settlement)),
            ("待清算 To settle（+收 −付）", maybe(v.to_settle)),
        ]);
    } else {
        rows.push(("说明 Note", "全国统筹的上解、下拨公式未查到（policy-reference §4：UNVERIFIED），按财政部门登记的文件记账".into()));
    }
    let may_act = [Role::FinanceOfficer, Role::ProvinceBureauOfficer].contains(&user.role);
    html! {
        @if let Some(m) = msg { p class="ok" id="fund-done" { (m) } }
        form method="get" action="/central" id="year-form" {
            label for="year" { "年度 Year" } input id="year" name="year" value=(v.year);
            button type="submit" { "查看 Show" }
        }
        (dl(&rows))
        h2 { "收付明细 Movements" }
        table id="central-movements" {
            thead { tr { th { "项目" } th { "季度" } th { "金额" } th { "计算依据" } th { "日期" } th { "依据文件" } th { "登记人" } } }
            tbody { @for m in &v.movements { tr {
                td { (central::kind_zh(&m.kind)) } td { @if m.quarter > 0 { (m.quarter) } }
                td class="num" { (yuan(m.amount)) }
                td { @if let (Some(n), Some(p)) = (m.pensioners, m.per_capita) { (n) " 人 × " (yuan(p)) } }
                td { (m.value_date.to_string()) } td { (m.source_doc) } td { (m.recorded_by) }
            } } }
        }
        @if may_act { (central_forms(csrf, v)) }
    }
}

fn central_forms(csrf: &str, v: &CentralView) -> Markup {
    let year = v.year;
    html! {
        @if v.terms.is_central_adjustment() {
            h2 { "上解 Remittance（按国发〔2018〕18号公式）" }
            form method="post" action="/central/remit" id="remit-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="remit-on" { "记账日期（默认今天）" } input id="remit-on" name="on";
                button type="submit" id="remit" { "计算并记账 Book" }
            }
            h2 { "拨付 Allocation：离退休人数 × 人均拨付额" }
            form method="post" action="/central/allocate" id="allocate-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="per_capita" { "人均拨付额（元，按中央下达文件）" } input id="per_capita" name="per_capita" required;
                label for="pensioners" { "核定离退休人数（空：按登记系统上年末人数）" } input id="pensioners" name="pensioners";
                label for="alloc-source" { "依据文件" } input id="alloc-source" name="source" required;
                label for="alloc-on" { "记账日期" } input id="alloc-on" name="on";
                button type="submit" id="allocate" { "登记 Record" }
            }
            h2 { "预缴预拨 Quarterly advances" }
            form method="post" action="/central/advance" id="advance-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="quarter" { "季度" } select id="quarter" name="quarter" { @for q in 1..=4 { option value=(q) { "第 " (q) " 季度" } } }
                label for="paid" { "预缴（元，空：上解额的四分之一）" } input id="paid" name="paid";
                label for="received" { "预拨（元，空：拨付额的四分之一）" } input id="received" name="received";
                label for="adv-source" { "依据文件" } input id="adv-source" name="source" required;
                label for="adv-on" { "日期" } input id="adv-on" name="on";
                button type="submit" id="advance" { "登记 Record" }
            }
            h2 { "年终清算 Year-end settlement" }
            form method="post" action="/central/settle" id="settle-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="settle-source" { "依据文件" } input id="settle-source" name="source" required;
                label for="settle-on" { "日期" } input id="settle-on" name="on";
                button type="submit" id="settle" { "清算 Settle" }
            }
        } @else {
            h2 { "全国统筹上解/下拨 National pooling" }
            form method="post" action="/central/pooling" id="pooling-form" {
                (csrf_field(csrf)) input type="hidden" name="year" value=(year);
                label for="direction" { "方向" } select id="direction" name="direction" { option value="remitted" { "上解 paid" } option value="received" { "下拨 received" } }
                label for="amount" { "金额（元）" } input id="amount" name="amount" required;
                label for="pool-source" { "依据文件" } input id="pool-source" name="source" required;
                label for="pool-on" { "日期" } input id="pool-on" name="on";
                button type="submit" id="pooling" { "登记 Record" }
            }
        }
    }
}

fn said(b: &central::Booked) -> String {
    let m = &b.movement;
    format!(
        "{} 年{}：{}{}",
        m.year,
        central::kind_zh(&m.kind),
        yuan(m.amount),
        if b.created {
            "，已记账"
        } else {
            "，此前已记账，未变"
        }
    )
}

async fn central_action(
    st: &St,
    user: &User,
    action: &str,
    f: &Fields,
) -> Result<String, AppError> {
    let who = user.principal();
    let year: i32 = parsed(f, "year", "年度")?;
    let (on, source) = (day(f, "on")?, field(f, "source"));
    let now = now_ms();
    match action {
        "remit" => {
            with_db(st, move |db| {
                let r = central::remit(db, &who, year, on, now)?;
                Ok(format!(
                    "{year} 年上解 {}（在职参保 {} 人）",
                    yuan(r.amount),
                    r.insured
                ))
            })
            .await
        }
        "allocate" => {
            let a = AllocationInput {
                year,
                per_capita: parsed(f, "per_capita", "人均拨付额")?,
                pensioners: optional(f, "pensioners", "离退休人数")?,
                source_doc: source,
                on,
            };
            with_db(st, move |db| {
                Ok(said(&central::allocate(db, &who, &a, now)?))
            })
            .await
        }
        "advance" => {
            let a = AdvanceInput {
                year,
                quarter: parsed(f, "quarter", "季度")?,
                paid: optional(f, "paid", "预缴")?,
                received: optional(f, "received", "预拨")?,
                source_doc: source,
                on,
            };
            with_db(st, move |db| {
                let [p, r] = central::advance(db, &who, &a, now)?;
                Ok(format!("{}；{}", said(&p), said(&r)))
            })
            .await
        }
        "settle" => {
            with_db(st, move |db| {
                Ok(said(&central::settle(db, &who, year, &source, on, now)?))
            })
            .await
        }
        "pooling" => {
            let p = PoolingInput {
                year,
                remitted: field(f, "direction") == "remitted",
                amount: parsed(f, "amount", "金额")?,
                source_doc: source,
                on,
            };
            with_db(st, move |db| {
                Ok(said(&central::pooling(db, &who, &p, now)?))
            })
            .await
        }
        _ => Err(AppError::NotFound("页面不存在 Not found".into())),
    }
}

async fn act_central(
    State(st): State<St>,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let user = match poster(&st, &headers, &f, CENTRAL).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let r = central_action(&st, &user, &action, &f).await;
    done(
        &format!("/central?year={}", field(&f, "year")),
        r,
        CENTRAL,
        &user.login,
    )
}

async fn show_reserve(
    State(st): State<St>,
    headers: HeaderMap,
    Query(q): Query<Fields>,
) -> Response {
    let (user, token) = match viewer(&st, &headers, RESERVE).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let who = user.principal();
    match with_db(&st, move |db| Ok(reserve::show(db, &who, now_ms())?)).await {
        Ok(v) => {
            let body = reserve_body(&user, &csrf_token(&token), &v, q.get("done"));
            Html(page(RESERVE, Some(&user.login), body)).into_response()
        }
        Err(e) => error_page(RESERVE, e.status(), &user.login, &e.message()),
    }
}

fn reserve_body(user: &User, csrf: &str, v: &ReserveView, msg: Option<&String>) -> Markup {
    let rows = [
        ("划转国有股权 Equity", yuan(v.equity)),
        ("储备基金专户存款 Deposits", yuan(v.deposits)),
        ("储备基金 Fund", yuan(v.fund)),
    ];
    html! {
        @if let Some(m) = msg { p class="ok" id="fund-done" { (m) } }
        (dl(&rows))
        h2 { "划转国有股权 Equity transferred" }
        table id="reserve-holdings" {
            thead { tr { th { "编号" } th { "企业" } th { "统一社会信用代码" } th { "划转比例" } th { "账面价值" } th { "划转日" } th { "禁售期满" } th { "状态" } th { "依据文件" } } }
            tbody { @for h in &v.holdings { tr {
                td { (h.id) } td { (h.enterprise) } td { (h.credit_code) } td { (h.share) } td class="num" { (yuan(h.book_value)) }
                td { (h.transfer_date.to_string()) } td { (h.lockup_end.to_string()) } td { (reserve::status_zh(&h.status)) } td { (h.source_doc) }
            } } }
        }
        h2 { "收益 Returns collected" }
        table id="reserve-returns" {
            thead { tr { th { "编号" } th { "股权" } th { "类型" } th { "金额" } th { "到账日" } th { "缴款书" } th { "登记人" } } }
            tbody { @for r in &v.returns { tr {
                td { (r.id) } td { (r.holding_id) } td { @if r.kind == "dividend" { "分红" } @else { "其他收益" } }
                td class="num" { (yuan(r.amount)) } td { (r.received_on.to_string()) } td { (r.reference) } td { (r.recorded_by) }
            } } }
        }
        h2 { "动用 Uses covering a gap" }
        table id="reserve-uses" {
            thead { tr { th { "编号" } th { "缺口年度" } th { "金额" } th { "出售股权" } th { "事由" } th { "文号" } th { "审批编号" } th { "状态" } th { "登记人" } th { "审批人" } } }
            tbody { @for u in &v.uses { tr {
                td { (u.id) } td { (u.year) } td class="num" { (yuan(u.amount)) }
                td { @if let (Some(h), Some(p)) = (u.holding_id, u.proceeds) { (h) "（" (yuan(p)) "）" } }
                td { (u.reason) } td { (u.reference) } td { (u.approval_id) } td { (reserve::status_zh(&u.status)) }
                td { (u.recorded_by) } td { (u.decided_by.clone().unwrap_or_default()) }
            } } }
        }
        @if user.role == Role::FinanceOfficer { (maker_forms(csrf)) }
        @if user.role == Role::FinanceApprover {
            h2 { "审批动用 Decide a use" }
            form method="post" action="/reserve/decide" id="decide-form" {
                (csrf_field(csrf))
                label for="approval" { "审批编号" } input id="approval" name="approval" required;
                select name="decision" id="decision" { option value="approve" { "同意动用" } option value="reject" { "不同意" } }
                label for="note" { "意见" } input id="note" name="note";
                label for="decide-on" { "记账日期（默认今天）" } input id="decide-on" name="on";
                button type="submit" id="decide" { "决定 Decide" }
            }
        }
    }
}

fn maker_forms(csrf: &str) -> Markup {
    html! {
        h2 { "登记划转国有股权 Register equity" }
        form method="post" action="/reserve/register" id="register-form" {
            (csrf_field(csrf))
            label for="enterprise" { "企业名称" } input id="enterprise" name="enterprise" required;
            label for="credit_code" { "统一社会信用代码" } input id="credit_code" name="credit_code" required;
            label for="share" { "划转比例（如 0.1）" } input id="share" name="share" required;
            label for="book_value" { "账面价值（元）" } input id="book_value" name="book_value" required;
            label for="transfer_date" { "划转日" } input id="transfer_date" name="transfer_date" required;
            label for="reg-source" { "依据文件" } input id="reg-source" name="source" required;
            button type="submit" id="register" { "登记 Register" }
        }
        h2 { "登记收益 Record a return" }
        form method="post" action="/reserve/dividend" id="dividend-form" {
            (csrf_field(csrf))
            label for="holding" { "股权编号" } input id="holding" name="holding" required;
            label for="kind" { "类型" } select id="kind" name="kind" { option value="dividend" { "分红" } option value="other" { "其他收益" } }
            label for="div-amount" { "金额（元）" } input id="div-amount" name="amount" required;
            label for="div-on" { "到账日（默认今天）" } input id="div-on" name="on";
            label for="div-reference" { "缴款书号" } input id="div-reference" name="reference" required;
            button type="submit" id="dividend" { "登记 Record" }
        }
        h2 { "提出动用 Propose a use（弥补缺口，须另一人审批）" }
        form method="post" action="/reserve/use" id="use-form" {
            (csrf_field(csrf))
            label for="use-year" { "缺口年度" } input id="use-year" name="year" required;
            label for="use-amount" { "金额（元）" } input id="use-amount" name="amount" required;
            label for="sell" { "出售股权编号（可空）" } input id="sell" name="sell";
            label for="proceeds" { "出售所得（元）" } input id="proceeds" name="proceeds";
            label for="reason" { "事由" } input id="reason" name="reason" required;
            label for="use-reference" { "文号" } input id="use-reference" name="reference" required;
            button type="submit" id="propose" { "提交审批 Submit" }
        }
    }
}

async fn register(
    st: &St,
    who: tongchou_core::access::Principal,
    f: &Fields,
    now: i64,
) -> Result<String, AppError> {
    let h = HoldingInput {
        enterprise: field(f, "enterprise"),
        credit_code: field(f, "credit_code"),
        share: field(f, "share"),
        book_value: parsed(f, "book_value", "账面价值")?,
        transfer_date: parsed(f, "transfer_date", "划转日 (YYYY-MM-DD)")?,
        source_doc: field(f, "source"),
    };
    with_db(st, move |db| {
        let (h, created) = reserve::register(db, &who, &h, now)?;
        Ok(format!(
            "股权 {}（{}）{}，禁售期满 {}",
            h.id,
            h.enterprise,
            if created {
                "已登记"
            } else {
                "此前已登记"
            },
            h.lockup_end
        ))
    })
    .await
}

async fn reserve_action(
    st: &St,
    user: &User,
    action: &str,
    f: &Fields,
) -> Result<String, AppError> {
    let who = user.principal();
    let now = now_ms();
    match action {
        "register" => register(st, who, f, now).await,
        "dividend" => {
            let r = ReturnInput {
                holding_id: parsed(f, "holding", "股权编号")?,
                kind: field(f, "kind"),
                amount: parsed(f, "amount", "金额")?,
                received_on: day(f, "on")?,
                reference: field(f, "reference"),
            };
            with_db(st, move |db| {
                let (r, created) = reserve::collect(db, &who, &r, now)?;
                Ok(format!(
                    "收益 {} {}{}",
                    r.id,
                    yuan(r.amount),
                    if created {
                        "已登记"
                    } else {
                        "此前已登记"
                    }
                ))
            })
            .await
        }
        "use" => {
            let sell = optional::<i64>(f, "sell", "出售股权编号")?;
            let proceeds = optional::<Fen>(f, "proceeds", "出售所得")?;
            if sell.is_some() != proceeds.is_some() {
                return Err(AppError::BadRequest(
                    "出售股权须同时填写股权编号和出售所得".into(),
                ));
            }
            let u = UseInput {
                year: parsed(f, "year", "缺口年度")?,
                amount: parsed(f, "amount", "金额")?,
                sell: sell.zip(proceeds),
                reason: field(f, "reason"),
                reference: field(f, "reference"),
            };
            with_db(st, move |db| {
                let u = reserve::propose_use(db, &who, &u, today_china(), now)?;
                Ok(format!(
                    "动用 {} {} 已提交审批，审批编号 {}",
                    u.id,
                    yuan(u.amount),
                    u.approval_id
                ))
            })
            .await
        }
        "decide" => {
            let approval: i64 = parsed(f, "approval", "审批编号")?;
            let (approve, note, on) = (
                field(f, "decision") == "approve",
                field(f, "note"),
                day(f, "on")?,
            );
            with_db(st, move |db| {
                let u = reserve::decide_use(db, &who, approval, approve, &note, on, now)?;
                Ok(format!(
                    "动用 {} {}：{}",
                    u.id,
                    yuan(u.amount),
                    reserve::status_zh(&u.status)
                ))
            })
            .await
        }
        _ => Err(AppError::NotFound("页面不存在 Not found".into())),
    }
}

async fn act_reserve(
    State(st): State<St>,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let user = match poster(&st, &headers, &f, RESERVE).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let r = reserve_action(&st, &user, &action, &f).await;
    done("/reserve", r, RESERVE, &user.login)
}
