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
use crate::html::{csrf_field, page, page_refreshing, yuan};
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

const TITLE: &str = "月度运行 The month's run";

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
    html! {
        @if may_view(u) {
            p { a href="/month" id="month-link" { (crate::lang::t("nav-month")) } }
        }
    }
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    let body = html! {
        p class="error" id="month-error" { (msg) }
        p { a href="/month" { "返回 Back" } }
    };
    (status, Html(page(TITLE, Some(login), body))).into_response()
}

/// The Chinese name of a step's recorded figure (its key otherwise).
fn label(key: &str) -> &str {
    match key {
        "lines" => "笔数",
        "persons" => "人数",
        "counties" => "县区数",
        "files" => "支付文件数",
        "total_fen" => "合计",
        "planned_fen" | "planned" => "计划",
        "approved_fen" | "approved" => "批复",
        "allocated_fen" => "拨付到市",
        "passed_down_fen" => "下拨到县",
        "issued_fen" => "支付",
        "deferred_fen" => "暂缓金额",
        "deferred_lines" => "暂缓笔数",
        "deferred_persons" => "暂缓人数",
        "late_days" => "迟拨天数",
        "carried_in" => "上月结转笔数",
        "recovery_deductions" => "追回扣减笔数",
        "approval_id" => "审批编号",
        "decision" => "决定",
        "status" => "状态",
        "on" => "日期",
        "month" => "月份",
        "note" => "说明",
        "accepted" => "已接受",
        "rejected" => "已退回",
        other => other,
    }
}

/// A recorded value as staff read it: amounts (`…_fen`) in 元, decisions and statuses in Chinese.
fn value(key: &str, v: &serde_json::Value) -> String {
    if let (true, Some(f)) = (key.ends_with("_fen"), v.as_i64()) {
        return yuan(Fen::new(f));
    }
    match v.as_str() {
        Some("full" | "approved") => "全额批复".into(),
        Some("partial" | "partly_approved") => "部分批复".into(),
        Some("rejected") => "不予批复".into(),
        Some("pending") => "待批复".into(),
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
            .map(|(k, v)| format!("{}：{}", label(k), value(k, v)))
            .collect::<Vec<_>>()
            .join(" · "),
        None => String::new(),
    }
}

/// Where the run stands as a word: done, the step it waits at, or not yet.
fn state_cell(done: bool, waits_here: bool) -> Markup {
    html! {
        @if done { "已完成 done" }
        @else if waits_here { strong class="warning" { "等待中 waiting" } }
        @else { "未完成 not yet" }
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
                p { "运行 " (s.month) " 的征缴结账与拨付各步骤，至需等待他人处为止；完成所等待的事项后再次运行。"
                    " Run the month as far as it can go now; run it again once what it waits for is done." }
                button type="submit" id="month-run" { "运行本月 Run the month" }
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
            "正在运行：" (r.by) " 于 " (at) " 开始，本页每 " (REFRESH_SECS) " 秒自动刷新，各步骤完成即显示。"
            " Running in the background; this page reloads itself until the run ends."
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
            label for="period" { "月份 Month (YYYY-MM)" }
            input id="period" name="period" value=(s.month) autocomplete="off";
            button type="submit" { "查看 Show" }
        }
        @if let Some(w) = &s.waiting {
            p class="warning" id="month-waiting" { (w) }
            p { a href="/chain" { "用款计划报送 Plans" } " " a href={ "/plans/" (s.month) } { "用款申请 Applications" } }
        }
        @if running.is_none() { (run_form(user, token, s)) }
        table id="month-steps" {
            tr { th { "步骤 Step" } th { "状态 State" } th { "记录 Recorded" } }
            tr data-step="collection" {
                td { "征缴结账 collection close" }
                td { (state_cell(s.collection_closed, collection_waits)) }
                td {}
            }
            @for (step, d) in &s.steps {
                tr data-step=(step.as_str()) {
                    td { (step.chinese()) }
                    @if *step == Step::Returns && d.is_none() && at == Some(Step::Returns) {
                        // a month run from the page has no simulated bank: the banks' answers
                        // are read from their return files
                        td { strong class="warning" id="month-awaits-returns" { "待读入银行回盘 awaiting the banks' files" } }
                        td { a href="/bank/returns" { "读入银行回盘文件 Read return files" } }
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
            .map_err(|_| AppError::BadRequest("月份格式 YYYY-MM (period)".into())),
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
                    return Err(AppError::NotFound(
                        "尚无运行过的月份，请输入月份 no month has run yet: give one".into(),
                    ));
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
                &format!("{TITLE} · {}", s.month),
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
                    label for="period" { "月份 Month (YYYY-MM)" }
                    input id="period" name="period" autocomplete="off";
                    button type="submit" { "查看 Show" }
                }
            };
            Html(page(TITLE, Some(&user.login), form)).into_response()
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

/// What a run did, in one line.
fn outcome(month: Period, r: &tongchou_app::month::Run) -> String {
    let mut did: Vec<&str> = Vec::new();
    if r.collection.is_some() {
        did.push("征缴结账");
    }
    did.extend(r.steps_done().iter().map(|s| {
        s.chinese()
            .split_once(' ')
            .map_or(s.chinese(), |(zh, _)| zh)
    }));
    let head = if did.is_empty() {
        format!("{month} 本次运行未完成新的步骤")
    } else {
        format!("{month} 已运行：{}", did.join("、"))
    };
    match r.waiting() {
        Some(_) => format!("{head}；仍在等待，见下"),
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
        return error_page(StatusCode::FORBIDDEN, &user.login, "csrf");
    }
    let month = match period_of(f.get("period")) {
        Ok(Some(p)) => p,
        Ok(None) => {
            return error_page(
                StatusCode::BAD_REQUEST,
                &user.login,
                "月份 period: 必填 required",
            );
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
        let e = AppError::Conflict(format!("{month} 正在运行，请等待其结束 already running"));
        return not_run(&st, (&user, &token), month, e).await;
    }
    let bg = st.clone();
    // the run goes on after the answer: the page follows it
    drop(tokio::task::spawn_blocking(move || {
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
            Ok(Err(e)) => Err(format!("未运行完 Not run: {}", e.message())),
            Err(_) => Err("未运行完：内部错误 Not run: internal error".to_string()),
        };
        bg.runs.end(month, line);
    }));
    Redirect::to(&format!("/month?period={month}&run={started}")).into_response()
}

/// The page with why a run did not start.
async fn not_run(st: &St, who: (&User, &str), month: Period, e: AppError) -> Response {
    let m = format!("未运行 Not run: {}", e.message());
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
