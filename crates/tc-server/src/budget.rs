//! The fund budget (基金预算) in the browser, the whole chain of `tongchou_app::budget`: `/budget`
//! shows a year's budget (rows of items, columns of the books within the user's region), its
//! execution from the ledger, every book's section with its status and version, the lines of
//! one book with their sources and notes, and the chain's actions; beside them, the forms of the
//! actions the user's role may take at the budget's stage: a county, city or the province drafts
//! its books from the ledger and the registry, edits a figure with a note and its source, submits;
//! the level above accepts or returns with a reason; the HRSS department, the finance department
//! and the government decide in that order (maker–checker in the use case); the province opens an
//! adjustment of the approved budget with its reason; the tax bureau comments on income targets.
//! Every action is checked, kept and audited by the use case.

use crate::html::{csrf_field, page, yuan};
use crate::{AppError, St, csrf_token, ct_eq, signed_in_for, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use std::collections::{BTreeMap, HashMap};
use tongchou_app::budget::{self, CHAIN, Change, Verdict, View, stage_zh};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::{execution, final_accounts, reports};
use tongchou_core::access::Permission;
use tongchou_core::items::{Items, Statement};
use tongchou_core::{Divisions, Fen, Policy, RegionCode};
use tongchou_store::access::User;

type Fields = HashMap<String, String>;

const TITLE: &str = "基金预算 Budget";

/// Who sees the page: staff who read reports, and the tax bureau, which comments on the income
/// targets.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::ReportRead) || u.role.has(Permission::BudgetComment)
}

/// The page and its forms' posts.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/budget", get(show))
        .route("/budget/act/{action}", post(act))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    html! {
        @if may_view(u) && !u.role.has(Permission::ReportRead) {
            p { a href="/budget" id="budget-link" { (crate::lang::t("nav-budget")) } }
        }
    }
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    let body = html! { p class="error" id="budget-error" { (msg) } p { a href="/budget" { "返回 Back" } } };
    (status, Html(page(TITLE, Some(login), body))).into_response()
}

fn region_name(r: RegionCode) -> String {
    Divisions::shanxi()
        .get(r)
        .map(|x| x.name.clone())
        .unwrap_or_default()
}

fn status_zh(s: &str) -> &'static str {
    match s {
        "draft" => "草稿",
        "submitted" => "已报送待审核",
        "accepted" => "审核通过",
        "returned" => "已退回",
        "missing" => "未编制",
        _ => "其他",
    }
}

fn action_zh(a: &str) -> &'static str {
    match a {
        "draft" => "生成草案",
        "edit" => "修改",
        "submit" => "报送",
        "accept" => "审核通过",
        "return" => "退回",
        "hrss" => "人社部门审核通过",
        "finance" => "财政部门审核通过",
        "government" => "政府批准",
        "hrss_return" => "人社部门退回",
        "finance_return" => "财政部门退回",
        "government_return" => "政府退回",
        "adjust" => "发起预算调整",
        "comment" => "税务部门意见",
        _ => "其他",
    }
}

fn step_zh(step: &str) -> &'static str {
    match step {
        "hrss" => "人社部门审核",
        "finance" => "财政部门审核",
        _ => "政府批准",
    }
}

/// A line key's Chinese name (the opening balance and the items of the standard table).
fn item_name(key: &str) -> String {
    let items = Items::standard();
    if key == tongchou_core::budget::OPENING {
        return items.labels.opening.clone();
    }
    items
        .items
        .iter()
        .find(|i| i.key == key)
        .map(|i| i.name.clone())
        .unwrap_or_else(|| key.to_string())
}

/// What the page shows: the budget (None before anything is drafted) with its tables.
struct Shown {
    region: RegionCode,
    view: Option<View>,
    cols: Vec<(String, Statement)>,
    ex_cols: Vec<(String, Statement)>,
    ex_title: String,
}

fn load(
    db: &mut tongchou_store::Db,
    user: &User,
    year: i32,
    number: Option<i32>,
    asked: Option<RegionCode>,
) -> Result<Shown, AppError> {
    let who = user.principal();
    let region = if user.role.has(Permission::ReportRead) {
        reports::for_staff(db, &who, "budget", asked, now_ms())?
    } else {
        user.region
    };
    let view = match budget::show(db, year, number) {
        Ok(v) => v,
        Err(tongchou_app::AppError::NotFound(_)) if number.is_none() => {
            return Ok(Shown {
                region,
                view: None,
                cols: Vec::new(),
                ex_cols: Vec::new(),
                ex_title: String::new(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let statements = budget::statements(&view.amounts())?;
    let d = Divisions::shanxi();
    let cols = final_accounts::ordered_books()
        .into_iter()
        .filter(|&r| r == region || d.get(r).is_some_and(|x| x.parent == Some(region)))
        .filter_map(|r| {
            let (own, group) = statements.get(&r)?;
            Some((region_name(r), group.clone().unwrap_or_else(|| own.clone())))
        })
        .collect();
    let ex = execution::execution(db, year, None)?;
    let ex_cols = ex.columns(region, false);
    Ok(Shown {
        region,
        view: Some(view),
        cols,
        ex_cols,
        ex_title: ex.title(),
    })
}

fn year_of(q: &Fields) -> Result<i32, AppError> {
    match q.get("year").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(today_china().year()),
        Some(s) => s
            .parse::<i32>()
            .ok()
            .filter(|y| (1900..=9999).contains(y))
            .ok_or_else(|| AppError::BadRequest("年度应为四位数字 (year: four digits)".into())),
    }
}

fn region_of(q: &Fields, key: &str) -> Result<Option<RegionCode>, AppError> {
    q.get(key)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<RegionCode>())
        .transpose()
        .map_err(|_| AppError::BadRequest("地区应为六位行政区划代码 (region: six digits)".into()))
}

fn number_of(q: &Fields) -> Result<Option<i32>, AppError> {
    q.get("number")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i32>())
        .transpose()
        .map_err(|_| AppError::BadRequest("预算编号应为数字 (number)".into()))
}

/// `GET /budget?year=Y[&number=N][&region=R][&book=B]`.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let parsed = (|| Ok::<_, AppError>((year_of(&q)?, number_of(&q)?, region_of(&q, "region")?)))();
    let (year, number, asked) = match parsed {
        Ok(x) => x,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let u = user.clone();
    let shown = match with_db(&st, move |db| load(db, &u, year, number, asked)).await {
        Ok(s) => s,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let book = region_of(&q, "book").ok().flatten();
    let csrf = csrf_token(&token);
    let heading = match &shown.view {
        Some(v) => format!(
            "{} 年基金预算（第 {} 号，{}）",
            v.budget.year,
            v.budget.number,
            stage_zh(&v.budget.stage)
        ),
        None => format!("{year} 年基金预算（尚未编制）"),
    };
    let body = html! {
        @if let Some(msg) = q.get("done") { p class="ok" id="budget-done" { (msg) } }
        form method="get" action="/budget" id="budget-pick" {
            label for="year" { "年度" } input id="year" name="year" value=(year) size="4";
            label for="region" { "地区" } input id="region" name="region" value=(shown.region) size="6";
            button type="submit" { "查看 Show" }
        }
        p id="budget-subpages" { a href={ "/budget/analysis?year=" (year) } { "季度执行分析 Quarterly analysis" } " · " a href={ "/budget/evaluation?year=" (year) } { "绩效评价 Performance" } }
        @match &shown.view {
            None => p id="budget-none" { (year) " 年的基金预算尚未编制。" },
            Some(v) => (budget_body(v, &shown, book)),
        }
        (forms(&user, shown.view.as_ref(), year, &csrf))
    };
    Html(page(&heading, Some(&user.login), body)).into_response()
}

fn budget_body(v: &View, s: &Shown, book: Option<RegionCode>) -> Markup {
    let as_refs = |cols: &[(String, Statement)]| {
        let r: Vec<(String, &Statement)> = cols.iter().map(|(l, s)| (l.clone(), s)).collect();
        final_accounts::matrix(&r).unwrap_or_default()
    };
    let names =
        |cols: &[(String, Statement)]| cols.iter().map(|(c, _)| c.clone()).collect::<Vec<_>>();
    let d = Divisions::shanxi();
    let book = book.filter(|&b| d.within(b, s.region)).unwrap_or(s.region);
    html! {
        @if !v.budget.reason.is_empty() { p id="budget-reason" { "调整原因：" (v.budget.reason) } }
        @if let Some((before, _)) = &v.before {
            p id="budget-before" { "调整前：第 " (before.number) " 号（" (stage_zh(&before.stage)) "）" }
        }
        (crate::accounts::matrix_table("budget-table", &names(&s.cols), &as_refs(&s.cols)))
        h2 { (s.ex_title) }
        (crate::accounts::matrix_table("execution-table", &names(&s.ex_cols), &as_refs(&s.ex_cols)))
        h2 { "各账簿编报情况 Sections" }
        (sections_table(v, s.region))
        h2 { (region_name(book)) " 预算明细 Lines" }
        (lines_table(v, book))
        h2 { "审核流程 Actions" }
        ol id="budget-actions" {
            @for a in &v.actions {
                li {
                    (a.at) " " (a.login) " " (action_zh(&a.action)) " "
                    (RegionCode::new(a.region as u32).map(region_name).unwrap_or_default())
                    @if !a.reason.is_empty() { "：" (a.reason) }
                }
            }
        }
    }
}

fn level_of(r: RegionCode) -> Option<tongchou_core::region::Level> {
    Divisions::shanxi().get(r).map(|x| x.level)
}

fn books_within(region: RegionCode) -> Vec<RegionCode> {
    let d = Divisions::shanxi();
    final_accounts::ordered_books()
        .into_iter()
        .filter(|&r| d.within(r, region))
        .collect()
}

fn sections_table(v: &View, region: RegionCode) -> Markup {
    html! {
        table id="budget-sections" {
            thead { tr { th { "账簿" } th { "状态" } th { "版本" } th { "更新时间" } th { "明细" } } }
            tbody {
                @for r in books_within(region) {
                    @let s = v.sections.get(&r);
                    tr {
                        td { (region_name(r)) " " (r) }
                        td { (status_zh(s.map(|s| s.status.as_str()).unwrap_or("missing"))) }
                        td class="num" { (s.map(|s| s.version).unwrap_or(0)) }
                        td { (s.map(|s| s.updated_at.as_str()).unwrap_or("")) }
                        td { a href={ "/budget?year=" (v.budget.year) "&number=" (v.budget.number) "&region=" (region) "&book=" (r) } { "查看" } }
                    }
                }
            }
        }
    }
}

fn lines_table(v: &View, book: RegionCode) -> Markup {
    let empty = BTreeMap::new();
    let lines = v.lines.get(&book).unwrap_or(&empty);
    html! {
        table id="budget-lines" {
            thead { tr { th { "项目" } th { "金额" } th { "依据" } th { "说明" } } }
            tbody {
                @for key in budget::line_keys() {
                    @if let Some(l) = lines.get(&key) {
                        tr { td { (item_name(&key)) } td class="num" { (yuan(l.amount)) } td { (l.source) } td { (l.note) } }
                    }
                }
            }
        }
    }
}

fn region_options(rs: &[RegionCode]) -> Markup {
    html! { @for r in rs { option value=(r) { (region_name(*r)) " " (r) } } }
}

fn verdict_fields(prefix: &str) -> Markup {
    html! {
        label for={ (prefix) "-verdict" } { "审核结论" }
        select name="verdict" id={ (prefix) "-verdict" } {
            option value="accept" { "同意 Accept" }
            option value="return" { "退回 Return" }
        }
        label for={ (prefix) "-reason" } { "意见（退回时必填）" }
        input id={ (prefix) "-reason" } name="reason";
    }
}

/// The sections within `region` in one of `statuses`.
fn sections_in(v: Option<&View>, region: RegionCode, statuses: &[&str]) -> Vec<RegionCode> {
    let Some(v) = v else { return Vec::new() };
    books_within(region)
        .into_iter()
        .filter(|r| {
            v.sections
                .get(r)
                .is_some_and(|s| statuses.contains(&s.status.as_str()))
        })
        .collect()
}

/// The forms of the actions the user's role may take at the budget's stage.
fn forms(user: &User, v: Option<&View>, year: i32, csrf: &str) -> Markup {
    let has = |p| user.role.has(p);
    let stage = v.map(|v| v.budget.stage.as_str());
    let number = v.map(|v| v.budget.number).unwrap_or(0);
    let compiling = stage.is_none_or(|s| s == "compiling");
    let own = user.region;
    let editable = sections_in(v, own, &["draft", "returned"]);
    let level = level_of(own);
    let to_review: Vec<RegionCode> = sections_in(v, own, &["submitted"])
        .into_iter()
        .filter(|&r| level_of(r) > level)
        .collect();
    let step = CHAIN
        .iter()
        .enumerate()
        .find(|(i, _)| stage == Some(if *i == 0 { "submitted" } else { CHAIN[i - 1].1 }))
        .map(|(_, c)| c)
        .filter(|(_, _, p)| has(*p));
    let hidden = html! {
        (csrf_field(csrf))
        input type="hidden" name="year" value=(year);
        input type="hidden" name="number" value=(number);
    };
    html! {
        @if has(Permission::BudgetCompile) && compiling {
            h2 { "编制 Draft" }
            form method="post" action="/budget/act/draft" id="draft-form" {
                (hidden)
                p { "按上年执行、在册待遇和预测参数，为本辖区内尚未编制的账簿生成预算草案。" }
                button type="submit" id="draft" { "生成草案 Draft" }
            }
        }
        @if has(Permission::BudgetCompile) && compiling && !editable.is_empty() {
            h2 { "修改与报送 Edit and submit" }
            form method="post" action="/budget/act/edit" id="edit-form" {
                (hidden)
                label for="edit-region" { "账簿" } select name="region" id="edit-region" { (region_options(&editable)) }
                label for="edit-item" { "项目" }
                select name="item" id="edit-item" { @for k in budget::line_keys() { option value=(k) { (item_name(&k)) } } }
                label for="edit-amount" { "金额（元）" } input id="edit-amount" name="amount" required;
                label for="edit-note" { "修改说明" } input id="edit-note" name="note" required;
                label for="edit-source" { "数据来源" } input id="edit-source" name="source";
                button type="submit" id="edit" { "保存为新版本 Save" }
            }
            form method="post" action="/budget/act/submit" id="submit-form" {
                (hidden)
                label for="submit-region" { "账簿" } select name="region" id="submit-region" { (region_options(&editable)) }
                button type="submit" id="submit" { "报送上级 Submit" }
            }
        }
        @if has(Permission::BudgetReview) && !to_review.is_empty() {
            h2 { "审核下级预算 Review" }
            form method="post" action="/budget/act/review" id="review-form" {
                (hidden)
                label for="review-region" { "账簿" } select name="region" id="review-region" { (region_options(&to_review)) }
                (verdict_fields("review"))
                button type="submit" id="review" { "提交审核意见 Decide" }
            }
        }
        @if let Some((s, _, _)) = step {
            h2 { (step_zh(s)) }
            form method="post" action="/budget/act/decide" id="decide-form" {
                (hidden)
                input type="hidden" name="step" value=(s);
                (verdict_fields("decide"))
                button type="submit" id="decide" { (step_zh(s)) }
            }
        }
        @if has(Permission::BudgetCompile) && stage == Some("approved") && level == Some(tongchou_core::region::Level::Province) {
            h2 { "预算调整 Adjust" }
            form method="post" action="/budget/act/adjust" id="adjust-form" {
                (hidden)
                label for="adjust-reason" { "调整原因" } input id="adjust-reason" name="reason" required;
                button type="submit" id="adjust" { "发起调整 Open an adjustment" }
            }
        }
        @if has(Permission::BudgetComment) && v.is_some() {
            h2 { "收入目标意见 Comment" }
            form method="post" action="/budget/act/comment" id="comment-form" {
                (hidden)
                label for="comment-region" { "地区" } select name="region" id="comment-region" { (region_options(&books_within(own))) }
                label for="comment-note" { "意见" } input id="comment-note" name="note" required;
                button type="submit" id="comment" { "提交意见 Comment" }
            }
        }
    }
}

fn amount_of(f: &Fields) -> Result<Fen, AppError> {
    let raw = f.get("amount").map(String::as_str).unwrap_or("");
    Fen::parse_grouped(raw).map_err(|_| {
        AppError::BadRequest(format!(
            "金额：「{raw}」不是以元为单位、至多两位小数的金额 (amount in yuan)"
        ))
    })
}

fn verdict_of(f: &Fields) -> Result<(bool, String), AppError> {
    let reason = f
        .get("reason")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    match f.get("verdict").map(String::as_str) {
        Some("accept") => Ok((true, reason)),
        Some("return") if !reason.is_empty() => Ok((false, reason)),
        Some("return") => Err(AppError::BadRequest(
            "退回须写明理由 (give the reason)".into(),
        )),
        _ => Err(AppError::BadRequest(
            "请选择同意或退回 (accept or return)".into(),
        )),
    }
}

/// Run one action for `user`; the message to show on success.
fn run(
    db: &mut tongchou_store::Db,
    user: &User,
    action: &str,
    f: &Fields,
) -> Result<String, AppError> {
    let who = user.principal();
    let now = now_ms();
    let year = year_of(f)?;
    let number = number_of(f)?;
    let text = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let region = || {
        region_of(f, "region")?.ok_or_else(|| AppError::BadRequest("请选择账簿 (region)".into()))
    };
    match action {
        "draft" => {
            let policy = Policy::builtin().map_err(|e| AppError::Internal(e.to_string()))?;
            let books = budget::draft(db, &policy, &who, year, None, now)?;
            Ok(format!("已生成 {} 个账簿的预算草案", books.len()))
        }
        "edit" => {
            let (r, item, amount) = (region()?, text("item"), amount_of(f)?);
            let (note, source) = (text("note"), text("source"));
            let c = Change {
                region: r,
                item: &item,
                amount,
                note: &note,
                source: Some(source.as_str()).filter(|s| !s.is_empty()),
            };
            let version = budget::edit(db, &who, year, number, &c, now)?;
            Ok(format!(
                "{} {} 改为 {}，第 {version} 版",
                region_name(r),
                item_name(&item),
                yuan(amount)
            ))
        }
        "submit" => {
            let r = region()?;
            budget::submit(db, &who, year, number, r, now)?;
            Ok(format!("{} 的预算已报送", region_name(r)))
        }
        "review" => {
            let (r, (accept, reason)) = (region()?, verdict_of(f)?);
            let v = if accept {
                Verdict::Accept
            } else {
                Verdict::Return(&reason)
            };
            let s = budget::review(db, &who, year, number, r, v, now)?;
            Ok(format!(
                "{} 的预算：{}",
                region_name(r),
                status_zh(&s.status)
            ))
        }
        "decide" => {
            let (accept, reason) = verdict_of(f)?;
            let v = if accept {
                Verdict::Accept
            } else {
                Verdict::Return(&reason)
            };
            let stage = budget::decide(db, &who, year, number, &text("step"), v, now)?;
            Ok(format!("预算现为：{}", stage_zh(&stage)))
        }
        "adjust" => {
            let n = budget::adjust(db, &who, year, &text("reason"), now)?;
            Ok(format!("已发起第 {n} 号调整预算"))
        }
        "comment" => {
            let r = region()?;
            budget::comment(db, &who, year, number, r, &text("note"), now)?;
            Ok(format!("对 {} 的意见已记录", region_name(r)))
        }
        _ => Err(AppError::NotFound("页面不存在 Not found".into())),
    }
}

/// `POST /budget/act/{draft|edit|submit|review|decide|adjust|comment}`.
async fn act(
    State(st): State<St>,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let csrf = f.get("csrf").map(String::as_str).unwrap_or("");
    if !ct_eq(csrf, &csrf_token(&token)) {
        return error_page(StatusCode::FORBIDDEN, &user.login, "csrf");
    }
    let u = user.clone();
    let (year, number) = (text_of(&f, "year"), text_of(&f, "number"));
    let action_name = action.clone();
    let r = with_db(&st, move |db| run(db, &u, &action_name, &f)).await;
    match r {
        Ok(msg) => {
            let number = if action == "adjust" {
                String::new()
            } else {
                number
            };
            let q: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("year", &year)
                .append_pair("number", &number)
                .append_pair("done", &msg)
                .finish();
            Redirect::to(&format!("/budget?{q}")).into_response()
        }
        Err(e) => error_page(
            e.status(),
            &user.login,
            &format!("未办理 Not done: {}", e.message()),
        ),
    }
}

fn text_of(f: &Fields, k: &str) -> String {
    f.get(k).map(|s| s.trim().to_string()).unwrap_or_default()
}
