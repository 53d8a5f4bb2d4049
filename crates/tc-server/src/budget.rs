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

use crate::html::{csrf_field, error_response, nav_link, page, yuan};
use crate::lang::{t, tf, zh};
use crate::{AppError, St, csrf_token, ct_eq, signed_in_for, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use std::collections::{BTreeMap, HashMap};
use tongchou_app::budget::{self, CHAIN, Change, Verdict, View, stage_name};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::{execution, final_accounts, reports};
use tongchou_core::access::Permission;
use tongchou_core::items::{Items, Statement};
use tongchou_core::{Divisions, Fen, Policy, RegionCode};
use tongchou_store::access::User;

type Fields = HashMap<String, String>;

const TITLE: &str = crate::lang::msg("budget-title");

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
    let shown = may_view(u) && !u.role.has(Permission::ReportRead);
    nav_link(
        shown,
        "/budget",
        "budget-link",
        crate::lang::t("nav-budget"),
    )
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(
        status,
        login,
        t(TITLE),
        "budget-error",
        Some(("/budget", t("record-back"))),
        msg,
    )
}

fn region_name(r: RegionCode) -> String {
    Divisions::shanxi()
        .get(r)
        .map(|x| x.name.clone())
        .unwrap_or_default()
}

fn action_zh(a: &str) -> &'static str {
    match a {
        "draft" => t("budget-a-draft"),
        "edit" => t("budget-a-edit"),
        "submit" => t("budget-a-submit"),
        "accept" => t("budget-st-accepted"),
        "return" => t("budget-a-return"),
        "hrss" => t("budget-a-hrss"),
        "finance" => t("budget-a-finance"),
        "government" => t("budget-a-government"),
        "hrss_return" => t("budget-a-hrss-return"),
        "finance_return" => t("budget-a-finance-return"),
        "government_return" => t("budget-a-government-return"),
        "adjust" => t("budget-a-adjust"),
        "comment" => t("budget-a-comment"),
        _ => t("budget-other"),
    }
}

fn step_zh(step: &str) -> &'static str {
    match step {
        "hrss" => t("budget-step-hrss"),
        "finance" => t("budget-step-finance"),
        _ => t("budget-a-government"),
    }
}

/// A line key's name in the reader's language (the opening balance and the items of the
/// standard table).
fn item_name(key: &str) -> String {
    let items = Items::standard();
    if key == tongchou_core::budget::OPENING {
        return zh(&items.labels.opening);
    }
    items
        .items
        .iter()
        .find(|i| i.key == key)
        .map(|i| row_label(&i.name))
        .unwrap_or_else(|| key.to_string())
}

/// A row of the budget and final-accounts tables (an item's or a total's Chinese name) in the
/// reader's language (`tongchou_app::final_accounts::row_label`).
pub(crate) fn row_label(name: &str) -> String {
    final_accounts::row_label(name)
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
            .ok_or_else(|| AppError::BadRequest(t("budget-bad-year").into())),
    }
}

fn region_of(q: &Fields, key: &str) -> Result<Option<RegionCode>, AppError> {
    q.get(key)
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<RegionCode>())
        .transpose()
        .map_err(|_| AppError::BadRequest(t("budget-bad-region").into()))
}

fn number_of(q: &Fields) -> Result<Option<i32>, AppError> {
    q.get("number")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<i32>())
        .transpose()
        .map_err(|_| AppError::BadRequest(t("budget-bad-number").into()))
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
        Some(v) => tf(
            "budget-heading",
            &[
                ("year", &v.budget.year.to_string()),
                ("number", &v.budget.number.to_string()),
                ("stage", stage_name(&v.budget.stage)),
            ],
        ),
        None => tf("budget-heading-none", &[("year", &year.to_string())]),
    };
    let body = html! {
        @if let Some(msg) = q.get("done") { p class="ok" id="budget-done" { (msg) } }
        form method="get" action="/budget" id="budget-pick" {
            label for="year" { (t("budget-year")) } input id="year" name="year" value=(year) size="4";
            label for="region" { (t("budget-region")) } input id="region" name="region" value=(shown.region) size="6";
            button type="submit" { (t("budget-show")) }
        }
        p id="budget-subpages" { a href={ "/budget/analysis?year=" (year) } { (t("budget-quarterly")) } " · " a href={ "/budget/evaluation?year=" (year) } { (t("budget-performance")) } }
        @match &shown.view {
            None => p id="budget-none" { (tf("budget-none", &[("year", &year.to_string())])) },
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
        @if !v.budget.reason.is_empty() { p id="budget-reason" { (tf("budget-adjust-reason-shown", &[("reason", &v.budget.reason)])) } }
        @if let Some((before, _)) = &v.before {
            p id="budget-before" { (tf("budget-before", &[("number", &before.number.to_string()), ("stage", stage_name(&before.stage))])) }
        }
        (crate::accounts::matrix_table("budget-table", &names(&s.cols), &as_refs(&s.cols)))
        h2 { (s.ex_title) }
        (crate::accounts::matrix_table("execution-table", &names(&s.ex_cols), &as_refs(&s.ex_cols)))
        h2 { (t("budget-sections-title")) }
        (sections_table(v, s.region))
        h2 { (tf("budget-lines-of", &[("region", &region_name(book))])) }
        (lines_table(v, book))
        h2 { (t("budget-actions-title")) }
        ol id="budget-actions" {
            @for a in &v.actions {
                li {
                    (a.at) " " (a.login) " " (action_zh(&a.action)) " "
                    (RegionCode::new(a.region as u32).map(region_name).unwrap_or_default())
                    @if !a.reason.is_empty() { (tf("budget-colon", &[("reason", &a.reason)])) }
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
            thead { tr { th { (t("budget-book")) } th { (t("budget-status")) } th { (t("budget-version")) } th { (t("budget-updated")) } th { (t("budget-lines-col")) } } }
            tbody {
                @for r in books_within(region) {
                    @let s = v.sections.get(&r);
                    tr {
                        td { (region_name(r)) " " (r) }
                        td { (tongchou_app::budget::section_status_name(s.map(|s| s.status.as_str()).unwrap_or("missing"))) }
                        td class="num" { (s.map(|s| s.version).unwrap_or(0)) }
                        td { (s.map(|s| s.updated_at.as_str()).unwrap_or("")) }
                        td { a href={ "/budget?year=" (v.budget.year) "&number=" (v.budget.number) "&region=" (region) "&book=" (r) } { (t("budget-view")) } }
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
            thead { tr { th { (t("budget-item")) } th { (t("budget-amount")) } th { (t("budget-basis")) } th { (t("budget-note")) } } }
            tbody {
                @for key in budget::line_keys() {
                    @if let Some(l) = lines.get(&key) {
                        tr { td { (item_name(&key)) } td class="num" { (yuan(l.amount)) } td { (tongchou_core::i18n::shown(&l.source)) } td { (l.note) } }
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
        label for={ (prefix) "-verdict" } { (t("budget-verdict")) }
        select name="verdict" id={ (prefix) "-verdict" } {
            option value="accept" { (t("budget-accept")) }
            option value="return" { (t("budget-return")) }
        }
        label for={ (prefix) "-reason" } { (t("budget-reason-required")) }
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
            h2 { (t("budget-draft-title")) }
            form method="post" action="/budget/act/draft" id="draft-form" {
                (hidden)
                p { (t("budget-draft-help")) }
                button type="submit" id="draft" { (t("budget-draft")) }
            }
        }
        @if has(Permission::BudgetCompile) && compiling && !editable.is_empty() {
            h2 { (t("budget-edit-title")) }
            form method="post" action="/budget/act/edit" id="edit-form" {
                (hidden)
                label for="edit-region" { (t("budget-book")) } select name="region" id="edit-region" { (region_options(&editable)) }
                label for="edit-item" { (t("budget-item")) }
                select name="item" id="edit-item" { @for k in budget::line_keys() { option value=(k) { (item_name(&k)) } } }
                label for="edit-amount" { (t("budget-amount-yuan")) } input id="edit-amount" name="amount" required;
                label for="edit-note" { (t("budget-edit-note")) } input id="edit-note" name="note" required;
                label for="edit-source" { (t("budget-data-source")) } input id="edit-source" name="source";
                button type="submit" id="edit" { (t("budget-save")) }
            }
            form method="post" action="/budget/act/submit" id="submit-form" {
                (hidden)
                label for="submit-region" { (t("budget-book")) } select name="region" id="submit-region" { (region_options(&editable)) }
                button type="submit" id="submit" { (t("budget-submit")) }
            }
        }
        @if has(Permission::BudgetReview) && !to_review.is_empty() {
            h2 { (t("budget-review-title")) }
            form method="post" action="/budget/act/review" id="review-form" {
                (hidden)
                label for="review-region" { (t("budget-book")) } select name="region" id="review-region" { (region_options(&to_review)) }
                (verdict_fields("review"))
                button type="submit" id="review" { (t("budget-review")) }
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
            h2 { (t("budget-adjust-title")) }
            form method="post" action="/budget/act/adjust" id="adjust-form" {
                (hidden)
                label for="adjust-reason" { (t("budget-adjust-reason")) } input id="adjust-reason" name="reason" required;
                button type="submit" id="adjust" { (t("budget-adjust")) }
            }
        }
        @if has(Permission::BudgetComment) && v.is_some() {
            h2 { (t("budget-comment-title")) }
            form method="post" action="/budget/act/comment" id="comment-form" {
                (hidden)
                label for="comment-region" { (t("budget-region")) } select name="region" id="comment-region" { (region_options(&books_within(own))) }
                label for="comment-note" { (t("budget-opinion")) } input id="comment-note" name="note" required;
                button type="submit" id="comment" { (t("budget-comment")) }
            }
        }
    }
}

fn amount_of(f: &Fields) -> Result<Fen, AppError> {
    let raw = f.get("amount").map(String::as_str).unwrap_or("");
    Fen::parse_grouped(raw)
        .map_err(|_| AppError::BadRequest(tf("budget-bad-amount", &[("raw", raw)])))
}

fn verdict_of(f: &Fields) -> Result<(bool, String), AppError> {
    let reason = f
        .get("reason")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    match f.get("verdict").map(String::as_str) {
        Some("accept") => Ok((true, reason)),
        Some("return") if !reason.is_empty() => Ok((false, reason)),
        Some("return") => Err(AppError::BadRequest(t("budget-give-reason").into())),
        _ => Err(AppError::BadRequest(t("budget-pick-verdict").into())),
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
        region_of(f, "region")?.ok_or_else(|| AppError::BadRequest(t("budget-pick-book").into()))
    };
    match action {
        "draft" => {
            let policy = Policy::builtin().map_err(|e| AppError::Internal(e.to_string()))?;
            let books = budget::draft(db, &policy, &who, year, None, now)?;
            Ok(tf("budget-drafted", &[("n", &books.len().to_string())]))
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
            Ok(tf(
                "budget-edited",
                &[
                    ("region", &region_name(r)),
                    ("item", &item_name(&item)),
                    ("amount", &yuan(amount)),
                    ("version", &version.to_string()),
                ],
            ))
        }
        "submit" => {
            let r = region()?;
            budget::submit(db, &who, year, number, r, now)?;
            Ok(tf("budget-submitted", &[("region", &region_name(r))]))
        }
        "review" => {
            let (r, (accept, reason)) = (region()?, verdict_of(f)?);
            let v = if accept {
                Verdict::Accept
            } else {
                Verdict::Return(&reason)
            };
            let s = budget::review(db, &who, year, number, r, v, now)?;
            Ok(tf(
                "budget-reviewed",
                &[
                    ("region", &region_name(r)),
                    (
                        "status",
                        tongchou_app::budget::section_status_name(&s.status),
                    ),
                ],
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
            Ok(tf("budget-now", &[("stage", stage_name(&stage))]))
        }
        "adjust" => {
            let n = budget::adjust(db, &who, year, &text("reason"), now)?;
            Ok(tf("budget-adjusting", &[("n", &n.to_string())]))
        }
        "comment" => {
            let r = region()?;
            budget::comment(db, &who, year, number, r, &text("note"), now)?;
            Ok(tf("budget-commented", &[("region", &region_name(r))]))
        }
        _ => Err(AppError::NotFound(t("budget-not-found").into())),
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
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
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
            &tf("budget-not-done", &[("reason", &e.message())]),
        ),
    }
}

fn text_of(f: &Fields, k: &str) -> String {
    f.get(k).map(|s| s.trim().to_string()).unwrap_or_default()
}
