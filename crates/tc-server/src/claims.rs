//! Survivors' claims of death settlements in the browser (丧葬抚恤申领): the county agency sees the
//! death settlements of its region that nobody has claimed yet (the deceased, the date of death,
//! the first payroll month that may pay it, the funeral grant, survivor grant and account refund
//! together), opens one and records the survivor's claim — name, ID number, relation, bank and
//! account — through `tongchou_app::benefits::deaths::file_claim_by`, which checks the role and
//! the deceased's region (a refusal audited, naming no region), checks every field, files it
//! once and audits it. The claim's ID number and account are shown masked afterwards.

use crate::forms::{self, Fields};
use crate::html::{csrf_field, page, yuan};
use crate::table::{Grid, View};
use crate::{AppError, St, csrf_token, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{Markup, html};
use tongchou_app::benefits::deaths::{self, AwaitingClaim, Claim};
use tongchou_app::clock::{now_ms, today_china};
use tongchou_app::reports::Cell;
use tongchou_core::access::{Permission, Principal, in_scope};
use tongchou_core::{Divisions, RegionCode};
use tongchou_store::access::User;

const TITLE: &str = "丧葬抚恤申领 Survivors' claims";

/// Who sees the pages: who handles benefit cases (submits them) or reads benefits.
pub fn may_view(u: &User) -> bool {
    u.role.has(Permission::RetirementSubmit) || u.role.has(Permission::BenefitRead)
}

/// The pages' routes.
pub fn routes() -> Router<St> {
    Router::new()
        .route("/claims", get(list))
        .route("/claims/{person}", get(show).post(file))
}

/// The dashboard's link.
pub fn links(u: &User) -> Markup {
    html! {
        @if may_view(u) {
            p { a href="/claims" id="claims-link" { (crate::lang::t("nav-claims")) } }
        }
    }
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    let body = html! {
        p class="error" id="claims-error" { (msg) }
        p { a href="/claims" { "返回 Back" } }
    };
    (status, Html(page(TITLE, Some(login), body))).into_response()
}

fn county_label(code: u32) -> String {
    match RegionCode::new(code) {
        Ok(c) => format!("{code} {}", crate::admin::region_name(c)),
        Err(_) => code.to_string(),
    }
}

/// The unclaimed settlements within the user's region.
fn awaiting_within(
    db: &mut tongchou_store::Db,
    who: &Principal,
) -> Result<Vec<AwaitingClaim>, AppError> {
    let d = Divisions::shanxi();
    let mut all = deaths::awaiting_claims(db, None)?;
    all.retain(|a| RegionCode::new(a.county).is_ok_and(|c| in_scope(d, who, c)));
    Ok(all)
}

fn awaiting_grid(rows: &[AwaitingClaim]) -> Grid {
    Grid {
        id: "claims",
        title: "待申领的丧葬抚恤".into(),
        cols: vec![
            ("人员编号", 12.0),
            ("区县", 16.0),
            ("死亡日期", 12.0),
            ("最早发放月份", 14.0),
            ("应发合计（元）", 16.0),
        ],
        rows: rows
            .iter()
            .map(|a| {
                vec![
                    Cell::Int(a.person),
                    Cell::Text(county_label(a.county)),
                    Cell::Text(a.died.to_string()),
                    Cell::Text(a.due_month.to_string()),
                    Cell::Money(a.total),
                ]
            })
            .collect(),
        link: Some(|r| format!("/claims/{}", r[0].text())),
    }
}

/// `GET /claims`: the settlements awaiting a claim in the user's region.
async fn list(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, _) = match crate::signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let who = user.principal();
    let rows = match with_db(&st, move |db| awaiting_within(db, &who)).await {
        Ok(r) => r,
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let grid = awaiting_grid(&rows);
    if let Some(file) = grid.export(&q, "survivor-claims") {
        return file;
    }
    let done = forms::opt_text(&q, "done");
    let body = html! {
        @if let Some(m) = &done { p class="ok" id="claims-done" { (m) } }
        p { "去世的离退休人员经数据比对结算后，丧葬补助金、抚恤金和个人账户余额待其遗属申领后随下一期发放名册发放。"
            " A death settlement is paid to the survivor who claims it, with the next payroll." }
        @if rows.is_empty() {
            p id="no-claims" { "本地区没有待申领的丧葬抚恤 Nothing awaits a claim in your region." }
        } @else {
            (grid.render("/claims", &View::of(&q)))
        }
    };
    Html(page(TITLE, Some(&user.login), body)).into_response()
}

fn claim_form(token: &str, a: &AwaitingClaim, f: &Fields) -> Markup {
    let v = |k: &str| forms::text(f, k);
    let relation = v("relation");
    html! {
        form method="post" action={ "/claims/" (a.person) } id="claim-form" {
            (csrf_field(&csrf_token(token)))
            label for="name" { "申领人姓名 Claimant's name" }
            input id="name" name="name" value=(v("name")) maxlength="64" required autocomplete="off";
            label for="id_number" { "申领人身份证号 Claimant's ID number" }
            input id="id_number" name="id_number" value=(v("id_number")) maxlength="18" required autocomplete="off";
            label for="relation" { "与逝者关系 Relation" }
            select id="relation" name="relation" {
                @for (value, label) in [("spouse", "配偶 spouse"), ("child", "子女 child"), ("parent", "父母 parent"), ("other", "其他 other")] {
                    option value=(value) selected[relation == value] { (label) }
                }
            }
            label for="bank_code" { "开户行行号 Bank code" }
            input id="bank_code" name="bank_code" value=(v("bank_code")) required autocomplete="off";
            label for="bank_name" { "开户行 Bank name" }
            input id="bank_name" name="bank_name" value=(v("bank_name")) required autocomplete="off";
            label for="bank_account" { "银行账号 Bank account" }
            input id="bank_account" name="bank_account" value=(v("bank_account")) required autocomplete="off";
            br;
            button type="submit" id="claim-submit" { "受理申领 File the claim" }
        }
    }
}

/// The claim page of `person`, with what was typed and an error if a filing was refused.
async fn render(
    st: &St,
    (user, token): (&User, &str),
    person: i64,
    f: Fields,
    (status, error): (StatusCode, Option<String>),
) -> Response {
    let who = user.principal();
    let found = with_db(st, move |db| {
        Ok(awaiting_within(db, &who)?
            .into_iter()
            .find(|a| a.person == person))
    })
    .await;
    let a = match found {
        Ok(Some(a)) => a,
        // claimed already, never settled, or of another region: one answer
        Ok(None) => {
            return error_page(
                StatusCode::NOT_FOUND,
                &user.login,
                "本地区没有该人员待申领的丧葬抚恤 nothing of this person awaits a claim in your region",
            );
        }
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let body = html! {
        @if let Some(m) = &error { p class="error" id="claims-error" { (m) } }
        table id="claim-settlement" {
            tr { th { "人员编号 Person" } td { (a.person) } }
            tr { th { "区县 County" } td { (county_label(a.county)) } }
            tr { th { "死亡日期 Died" } td { (a.died) } }
            tr { th { "最早发放月份 First payroll" } td { (a.due_month) } }
            tr { th { "应发合计 Total" } td { (yuan(a.total)) } }
        }
        @if user.role.has(Permission::RetirementSubmit) {
            h2 { "受理遗属申领 Record the survivor's claim" }
            (claim_form(token, &a, &f))
        }
        p { a href="/claims" { "返回列表 Back to the list" } }
    };
    let title = format!("{TITLE} · {}", a.person);
    (status, Html(page(&title, Some(&user.login), body))).into_response()
}

/// `GET /claims/{person}`: a settlement awaiting a claim, with the claim form.
async fn show(State(st): State<St>, headers: HeaderMap, Path(person): Path<i64>) -> Response {
    let (user, token) = match crate::signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    render(
        &st,
        (&user, &token),
        person,
        Fields::new(),
        (StatusCode::OK, None),
    )
    .await
}

/// `POST /claims/{person}`: file the survivor's claim; refused, the form again with what was
/// typed and why.
async fn file(
    State(st): State<St>,
    headers: HeaderMap,
    Path(person): Path<i64>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match crate::signed_in_for(&st, &headers, may_view, error_page).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    if !forms::csrf_ok(&token, &f) {
        return error_page(StatusCode::FORBIDDEN, &user.login, "csrf");
    }
    let who = user.principal();
    let posted = f.clone();
    let r = with_db(&st, move |db| {
        let text = |k: &str| forms::text(&posted, k);
        let (name, id_number, relation) = (text("name"), text("id_number"), text("relation"));
        let (bank_code, bank_name, bank_account) =
            (text("bank_code"), text("bank_name"), text("bank_account"));
        let claim = Claim {
            person,
            name: &name,
            id_number: &id_number,
            relation: &relation,
            bank_code: &bank_code,
            bank_name: &bank_name,
            bank_account: &bank_account,
        };
        Ok(deaths::file_claim_by(
            db,
            &who,
            &claim,
            today_china(),
            now_ms(),
        )?)
    })
    .await;
    match r {
        Ok(s) => forms::done(
            "/claims",
            &format!(
                "已受理 {} 的遗属申领：{}（{}），账号尾号 {}，合计 {}，随 {} 发放名册发放",
                s.person,
                s.claimant,
                s.claimant_id_number,
                s.bank_account,
                yuan(s.total),
                s.due_month
            ),
        ),
        Err(e) => {
            let msg = format!("未受理 Not filed: {}", e.message());
            render(&st, (&user, &token), person, f, (e.status(), Some(msg))).await
        }
    }
}
