//! The month's run as the provincial bureau runs and follows it (月度运行): the collection close
//! and each disbursement step of a month, done or not with what it recorded (in Chinese, amounts
//! in 元), and what the run waits for (counties' and cities' plans, the finance department's
//! decision), with links to the pages where those happen. The provincial bureau officer runs the
//! month from the page (`POST /month/run`, CSRF-protected): as far as it can go now, through
//! `tongchou_app::month::run`, which checks the role, takes the month's run lock and audits the
//! run and any refusal (`month.run`); run it again once what it waits for is done. The run goes on
//! in the background (at 10 million insured it takes minutes): the answer is at once, and the page
//! follows the steps as they are recorded, reloading itself until the run ends and then saying
//! what it did ([`Runs`]).

use crate::forms::{self, Fields};
use crate::html::{Module, csrf_field, page, page_refreshing, yuan};
use crate::lang::{t, tf};
use crate::{AppError, St, csrf_token, with_db};
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use tongchou_app::clock::now_ms;
use tongchou_app::disburse::{self, MonthState, Step};
use tongchou_core::access::Permission;
use tongchou_core::{Fen, Period, Policy};
use tongchou_store::access::User;

const TITLE: &str = crate::lang::msg("month-the-month-s-run");

/// The module as the dashboard and its error page name it.
const MODULE: Module = Module {
    href: "/month",
    id: "month",
    title: TITLE,
    nav: "nav-month",
};

/// How often a page following a running month reloads itself, in seconds.
const REFRESH_SECS: u32 = 2;

/// A month's run started from the page: who started it, when, and once it ended, what it did
/// (`Ok`) or why it stopped (`Err`), both as the line the page shows.
#[derive(Clone, Debug)]
pub(crate) struct RunProgress {
    pub by: String,
    pub started_ms: i64,
    pub ended: Option<Result<String, String>>,
}

/// The months' runs of this service process (the last one of each month). The database's run
/// lock (`tongchou_app::jobs::lock_run`) still keeps a month to one runner across processes;
/// this only lets the page say that a run is going on and, afterwards, what it did.
#[derive(Default)]
pub(crate) struct Runs(std::sync::Mutex<std::collections::HashMap<Period, RunProgress>>);

impl Runs {
    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<Period, RunProgress>> {
        match self.0.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }
    /// The run of `month`, if one was started here.
    pub fn get(&self, month: Period) -> Option<RunProgress> {
        self.lock().get(&month).cloned()
    }
    /// Record a new run of `month` unless one is going on; false if one is.
    fn start(&self, month: Period, by: &str, now_ms: i64) -> bool {
        let mut m = self.lock();
        if m.get(&month).is_some_and(|r| r.ended.is_none()) {
            return false;
        }
        m.insert(
            month,
            RunProgress {
                by: by.to_string(),
                started_ms: now_ms,
                ended: None,
            },
        );
        true
    }
    fn end(&self, month: Period, outcome: Result<String, String>) {
        if let Some(r) = self.lock().get_mut(&month) {
            r.ended = Some(outcome);
        }
    }
}

/// Who sees the page: provincial staff who read reports (the bureau, finance, auditors); the
/// run is the province's, its steps' figures province-wide.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::ReportRead)
        && tongchou_core::Divisions::shanxi()
            .get(u.region)
            .is_some_and(|r| r.level.as_str() == "province")
}

/// The page's routes.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/month", get(show))
        .route("/month/run", post(run))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    MODULE.link(may_view(u))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    MODULE.error(status, login, msg)
}

/// The Chinese name of a step's recorded figure (its key otherwise).
fn label(key: &str) -> &str {
    match key {
        "lines" => t("month-fig-lines"),
        "persons" => t("month-fig-persons"),
        "counties" => t("month-fig-counties"),
        "files" => t("month-fig-files"),
        "total_fen" => t("month-fig-total"),
        "planned_fen" | "planned" => t("month-fig-planned"),
        "approved_fen" | "approved" => t("month-fig-approved"),
        "allocated_fen" => t("month-fig-allocated"),
        "passed_down_fen" => t("month-fig-passed-down"),
        "issued_fen" => t("month-fig-issued"),
        "deferred_fen" => t("month-fig-deferred"),
        "deferred_lines" => t("month-fig-deferred-lines"),
        "deferred_persons" => t("month-fig-deferred-persons"),
        "late_days" => t("month-fig-late-days"),
        "carried_in" => t("month-fig-carried-in"),
        "recovery_deductions" => t("month-fig-recovery-deductions"),
        "approval_id" => t("month-fig-approval-id"),
        "decision" => t("month-fig-decision"),
        "status" => t("month-fig-status"),
        "on" => t("month-fig-on"),
        "month" => t("month-fig-month"),
        "note" => t("month-fig-note"),
        "accepted" => t("month-fig-accepted"),
        "rejected" => t("month-fig-rejected"),
        other => other,
    }
}

/// A recorded value as staff read it: amounts (`…_fen`) in 元, decisions and statuses in Chinese.
fn value(key: &str, v: &serde_json::Value) -> String {
    if let (true, Some(f)) = (key.ends_with("_fen"), v.as_i64()) {
        return yuan(Fen::new(f));
    }
    match v.as_str() {
        Some("full" | "approved") => t("plans-approved").into(),
        Some("partial" | "partly_approved") => t("plans-partly-approved").into(),
        Some("rejected") => t("plans-rejected").into(),
        Some("pending") => t("plans-pending").into(),
        Some(s) => s.to_string(),
        None => v.to_string(),
    }
}

/// A step's recorded details in one line (the JSON's top-level numbers and texts).
fn summary(d: &serde_json::Value) -> String {
    match d.as_object() {
        Some(o) => o
            .iter()
            .filter(|(_, v)| v.is_number() || v.is_string())
            .take(6)
            .map(|(k, v)| {
                tf(
                    "month-figure",
                    &[("label", label(k)), ("value", &value(k, v))],
                )
            })
            .collect::<Vec<_>>()
            .join(" · "),
        None => String::new(),
    }
}

/// Where the run stands as a word: done, the step it waits at, or not yet.
fn state_cell(done: bool, waits_here: bool) -> Markup {
    html! {
        @if done { (t("month-done")) }
        @else if waits_here { strong class="warning" { (t("month-waiting")) } }
        @else { (t("month-not-yet")) }
    }
}

/// The first step not done (the one the run is at).
fn next_step(s: &MonthState) -> Option<Step> {
    s.steps.iter().find(|(_, d)| d.is_none()).map(|(s, _)| *s)
}

fn run_form(user: &User, token: &str, s: &MonthState) -> Markup {
    let complete = s.collection_closed && next_step(s).is_none_or(|n| n == Step::Returns);
    html! {
        @if tongchou_app::month::may_run(&user.principal()) && !complete {
            form method="post" action="/month/run" id="month-run-form" {
                (csrf_field(&csrf_token(token)))
                input type="hidden" name="period" value=(s.month);
                p { (tf("month-run-hint", &[("month", &s.month.to_string())])) }
                button type="submit" id="month-run" { (t("month-run-the-month")) }
            }
        }
    }
}

/// The line of a run going on in the background.
fn running_line(r: &RunProgress) -> Markup {
    let at = tongchou_core::Timestamp::from_millis(r.started_ms)
        .map(|t| t.time_china())
        .unwrap_or_default();
    html! {
        p class="warning" id="month-running" {
            (tf("month-running", &[("by", &r.by), ("at", &at.to_string()), ("secs", &REFRESH_SECS.to_string())]))
        }
    }
}

fn body(
    user: &User,
    token: &str,
    s: &MonthState,
    (done, error): (Option<&str>, Option<&str>),
    running: Option<&RunProgress>,
) -> Markup {
    let at = next_step(s);
    // what the run waits for stops it at the collection close (before the payroll) or at the
    // first step not done
    let collection_waits = s.waiting.is_some() && !s.collection_closed && at == Some(Step::Payroll);
    let waits_at = if s.waiting.is_some() && !collection_waits {
        at
    } else {
        None
    };
    html! {
        @if let Some(m) = done { p class="ok" id="month-done" { (m) } }
        @if let Some(m) = error { p class="error" id="month-error" { (m) } }
        @if let Some(r) = running { (running_line(r)) }
        form method="get" action="/month" id="month-form" {
            label for="period" { (t("month-month-yyyy-mm")) }
            input id="period" name="period" value=(s.month) autocomplete="off";
            button type="submit" { (t("month-show")) }
        }
        @if let Some(w) = &s.waiting {
            p class="warning" id="month-waiting" { (w) }
            p { a href="/chain" { (t("month-plans")) } " " a href={ "/plans/" (s.month) } { (t("month-applications")) } }
        }
        @if running.is_none() { (run_form(user, token, s)) }
        table id="month-steps" {
            tr { th { (t("web-step")) } th { (t("chain-state")) } th { (t("month-recorded")) } }
            tr data-step="collection" {
                td { (t("month-collection-close")) }
                td { (state_cell(s.collection_closed, collection_waits)) }
                td {}
            }
            @for (step, d) in &s.steps {
                tr data-step=(step.as_str()) {
                    td { (step_name(*step)) }
                    @if *step == Step::Returns && d.is_none() && at == Some(Step::Returns) {
                        // a month run from the page has no simulated bank: the banks' answers
                        // are read from their return files
                        td { strong class="warning" id="month-awaits-returns" { (t("month-awaiting-the-banks-files")) } }
                        td { a href="/bank/returns" { (t("month-read-return-files")) } }
                    } @else {
                        td { (state_cell(d.is_some(), waits_at == Some(*step))) }
                        td { (d.as_ref().map(summary).unwrap_or_default()) }
                    }
                }
            }
        }
    }
}

fn period_of(p: Option<&String>) -> Result<Option<Period>, AppError> {
    match p.map(|p| p.trim()).filter(|p| !p.is_empty()) {
        Some(p) => p
            .parse::<Period>()
            .map(Some)
            .map_err(|_| AppError::BadRequest(t("month-yyyy-mm-period").into())),
        None => Ok(None),
    }
}

/// What the page says besides the steps: the outcome of a form (`done`, `error`), or of the run
/// it follows (`run`: the start of a run from this page, in ms).
#[derive(Default)]
struct Notice<'a> {
    done: Option<&'a str>,
    error: Option<&'a str>,
    run: Option<i64>,
}

/// The page of `asked` (the latest month whose payroll ran, if none), with its notice and the
/// run going on in the background, if any (the page then reloads itself).
async fn render(
    st: &St,
    (user, token): (&User, &str),
    asked: Option<Period>,
    status: StatusCode,
    notice: Notice<'_>,
) -> Response {
    let r = with_db(st, move |db| {
        let month = match asked {
            Some(m) => m,
            None => match disburse::latest_month(db)? {
                Some(m) => m,
                None => {
                    return Err(AppError::NotFound(t("month-no-month-has-run-yet").into()));
                }
            },
        };
        Ok(disburse::month_state(db, month)?)
    })
    .await;
    match r {
        Ok(s) => {
            let run = st.runs.get(s.month);
            let running = run.as_ref().filter(|r| r.ended.is_none());
            // the outcome of the run this page follows, once it ended
            let ended = run
                .as_ref()
                .filter(|r| notice.run == Some(r.started_ms))
                .and_then(|r| r.ended.clone());
            let (done, error) = match &ended {
                Some(Ok(line)) => (Some(line.as_str()), notice.error),
                Some(Err(e)) => (notice.done, Some(e.as_str())),
                None => (notice.done, notice.error),
            };
            let html = page_refreshing(
                &format!("{} · {}", t(TITLE), s.month),
                Some(&user.login),
                body(user, token, &s, (done, error), running),
                running.map(|_| REFRESH_SECS),
            );
            (status, Html(html)).into_response()
        }
        Err(e) if asked.is_none() && e.status() == StatusCode::NOT_FOUND => {
            let form = html! {
                p id="month-none" { (e.message()) }
                form method="get" action="/month" id="month-form" {
                    label for="period" { (t("month-month-yyyy-mm")) }
                    input id="period" name="period" autocomplete="off";
                    button type="submit" { (t("month-show")) }
                }
            };
            Html(page(t(TITLE), Some(&user.login), form)).into_response()
        }
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}

/// `GET /month[?period=YYYY-MM][&done=…][&run=MS]`: the latest month whose payroll ran, unless
/// one is given; `run` follows a run started from the page until it ends.
async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match crate::signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let asked = match period_of(q.get("period")) {
        Ok(p) => p,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let done = forms::opt_text(&q, "done");
    let notice = Notice {
        done: done.as_deref(),
        run: q.get("run").and_then(|r| r.parse().ok()),
        ..Notice::default()
    };
    render(&st, (&user, &token), asked, StatusCode::OK, notice).await
}

/// A disbursement step as the reader names it (`step-<step>` of the catalogue).
fn step_name(s: Step) -> &'static str {
    tongchou_core::i18n::scope(crate::lang::lang(), || s.name())
}

/// What a run did, in one line.
fn outcome(month: Period, r: &tongchou_app::month::Run) -> String {
    let mut did: Vec<&str> = Vec::new();
    if r.collection.is_some() {
        did.push(t("month-collection-close"));
    }
    did.extend(r.steps_done().iter().map(|s| step_name(*s)));
    let m = month.to_string();
    let head = if did.is_empty() {
        tf("month-ran-nothing", &[("month", &m)])
    } else {
        let steps = did.join(t("web-list-sep"));
        tf("month-ran", &[("month", &m), ("steps", &steps)])
    };
    match r.waiting() {
        Some(_) => tf("month-still-waiting", &[("head", &head)]),
        None => head,
    }
}

/// `POST /month/run`: the provincial bureau officer runs the month as far as it goes.
async fn run(State(st): State<St>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let (user, token) = match crate::signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if !forms::csrf_ok(&token, &f) {
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let month = match period_of(f.get("period")) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return error_page(StatusCode::BAD_REQUEST, &user.login, t("month-required"));
        }
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let who = user.principal();
    if !tongchou_app::month::may_run(&who) {
        // refused at once; the use case audits the refusal
        let r = with_db(&st, move |db| {
            Ok(tongchou_app::month::refuse(db, &who, month, now_ms())?)
        })
        .await;
        let e = r.map_or_else(|e| e, AppError::from);
        return not_run(&st, (&user, &token), month, e).await;
    }
    let started = now_ms();
    if !st.runs.start(month, &user.login, started) {
        let e = AppError::Conflict(tf(
            "month-already-running",
            &[("month", &month.to_string())],
        ));
        return not_run(&st, (&user, &token), month, e).await;
    }
    let bg = st.clone();
    // the run goes on after the answer: the page follows it
    let ctx = crate::lang::ctx();
    drop(tokio::task::spawn_blocking(move || {
        // the line the page shows later, in the language of who started the run
        crate::lang::within(ctx, || {
            let out = bg.cfg.bank_files.join(month.to_string());
            let run = || {
                let mut db = bg.pool.get()?;
                let policy = Policy::builtin().map_err(|e| AppError::Internal(e.to_string()))?;
                let r = tongchou_app::month::run(&mut db, &policy, &who, month, &out, now_ms());
                bg.pool.put(db);
                Ok::<_, AppError>(r?)
            };
            // a panic must not leave the page saying "running" for ever
            let line = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)) {
                Ok(Ok(done)) => Ok(outcome(month, &done)),
                Ok(Err(e)) => Err(tf("month-not-run-done", &[("reason", &e.message())])),
                Err(_) => Err(t("month-not-run-internal-error").to_string()),
            };
            bg.runs.end(month, line);
        })
    }));
    Redirect::to(&format!("/month?period={month}&run={started}")).into_response()
}

/// The page with why a run did not start.
async fn not_run(st: &St, who: (&User, &str), month: Period, e: AppError) -> Response {
    let m = tf("month-not-run", &[("reason", &e.message())]);
    let notice = Notice {
        error: Some(&m),
        ..Notice::default()
    };
    render(st, who, Some(month), e.status(), notice).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recorded_figures_read_in_chinese_and_yuan() {
        let d = serde_json::json!({"planned_fen": 123_456_789, "decision": "partial", "lines": 3, "odd_key": "x"});
        let s = summary(&d);
        assert!(s.contains("计划：1,234,567.89 元"), "{s}");
        assert!(s.contains("决定：部分批复"), "{s}");
        assert!(s.contains("笔数：3"), "{s}");
        assert!(s.contains("odd_key：x"), "{s}");
    }
}
