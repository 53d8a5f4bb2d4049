//! Survivors' claims of death settlements in the browser (丧葬抚恤申领): the county agency sees the
//! death settlements of its region that nobody has claimed yet (the deceased, the date of death,
//! the first payroll month that may pay it, the funeral grant, survivor grant and account refund
//! together), opens one and records the survivor's claim — name, ID number, relation, bank and
//! account — through `tongchou_app::benefits::deaths::file_claim_by`, which checks the role and
//! the deceased's region (a refusal audited, naming no region), checks every field, files it
//! once and audits it. The claim's ID number and account are shown masked afterwards.

use crate::forms::{self, Fields};
use crate::html::{Module, csrf_field, page, yuan};
use crate::lang::{t, tf};
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

const TITLE: &str = crate::lang::msg("claims-survivors-claims");

/// The module as the dashboard and its error page name it.
const MODULE: Module = Module {
    href: "/claims",
    id: "claims",
    title: TITLE,
    nav: "nav-claims",
};

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
    MODULE.link(may_view(u))
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    MODULE.error(status, login, msg)
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
        title: t("claims-awaiting").into(),
        cols: vec![
            (t("claims-person"), 12.0),
            (t("retire-county"), 16.0),
            (t("claims-died"), 12.0),
            (t("claims-first-payroll"), 14.0),
            (t("claims-total-yuan"), 16.0),
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
        p { (t("claims-intro")) }
        @if rows.is_empty() {
            p id="no-claims" { (t("claims-nothing-awaits-a-claim-in")) }
        } @else {
            (grid.render("/claims", &View::of(&q)))
        }
    };
    Html(page(t(TITLE), Some(&user.login), body)).into_response()
}

fn claim_form(token: &str, a: &AwaitingClaim, f: &Fields) -> Markup {
    let v = |k: &str| forms::text(f, k);
    let relation = v("relation");
    html! {
        form method="post" action={ "/claims/" (a.person) } id="claim-form" {
            (csrf_field(&csrf_token(token)))
            label for="name" { (t("claims-claimant-s-name")) }
            input id="name" name="name" value=(v("name")) maxlength="64" required autocomplete="off";
            label for="id_number" { (t("claims-claimant-s-id-number")) }
            input id="id_number" name="id_number" value=(v("id_number")) maxlength="18" required autocomplete="off";
            label for="relation" { (t("claims-relation")) }
            select id="relation" name="relation" {
                @for (value, label) in [("spouse", t("claims-spouse")), ("child", t("claims-child")), ("parent", t("claims-parent")), ("other", t("claims-other"))] {
                    option value=(value) selected[relation == value] { (label) }
                }
            }
            label for="bank_code" { (t("retire-bank-code")) }
            input id="bank_code" name="bank_code" value=(v("bank_code")) required autocomplete="off";
            label for="bank_name" { (t("retire-bank-name")) }
            input id="bank_name" name="bank_name" value=(v("bank_name")) required autocomplete="off";
            label for="bank_account" { (t("retire-bank-account")) }
            input id="bank_account" name="bank_account" value=(v("bank_account")) required autocomplete="off";
            br;
            button type="submit" id="claim-submit" { (t("claims-file-the-claim")) }
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
                t("claims-nothing-of-this-person-awaits"),
            );
        }
        Err(e) => return error_page(e.status(), &user.login, &e.message()),
    };
    let body = html! {
        @if let Some(m) = &error { p class="error" id="claims-error" { (m) } }
        table id="claim-settlement" {
            tr { th { (t("claims-person")) } td { (a.person) } }
            tr { th { (t("retire-county")) } td { (county_label(a.county)) } }
            tr { th { (t("claims-died")) } td { (a.died) } }
            tr { th { (t("claims-first-payroll")) } td { (a.due_month) } }
            tr { th { (t("claims-total")) } td { (yuan(a.total)) } }
        }
        @if user.role.has(Permission::RetirementSubmit) {
            h2 { (t("claims-record-the-survivor-s-claim")) }
            (claim_form(token, &a, &f))
        }
        p { a href="/claims" { (t("chain-back-to-the-list")) } }
    };
    let title = format!("{} · {}", t(TITLE), a.person);
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
        return error_page(
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
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
            &tf(
                "claims-filed",
                &[
                    ("person", &s.person.to_string()),
                    ("claimant", &s.claimant),
                    ("id", &s.claimant_id_number),
                    ("account", &s.bank_account),
                    ("total", &yuan(s.total)),
                    ("month", &s.due_month.to_string()),
                ],
            ),
        ),
        Err(e) => {
            let msg = tf("claims-not-filed", &[("reason", &e.message())]);
            render(&st, (&user, &token), person, f, (e.status(), Some(msg))).await
        }
    }
}
