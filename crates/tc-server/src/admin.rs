//! The administrators' page (`/admin/users`), through `tongchou_app::users`: the accounts of the
//! administrator's region with role, region and state in Chinese; the system administrator adds
//! a staff account (role and region chosen from lists, the initial password checked by the
//! policy), resets a password and enrols a second factor (the secret and `otpauth://` URI shown
//! once, confirmed with a current code); the security administrator changes a role, locks and
//! unlocks an account. The separation of the three administrators and every refusal are in the
//! use case (audited).

use crate::html::{csrf_field, page};
use crate::lang::{t, tf};
use crate::table::{Extra, Grid, View};
use crate::workplace::{Fields, error_page, staff};
use crate::{St, csrf_token, ct_eq, with_db};
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::{Markup, html};
use tongchou_app::clock::now_ms;
use tongchou_app::reports::Cell;
use tongchou_app::users::{self, Account, NewStaff};
use tongchou_core::access::{Permission, Principal, Role};
use tongchou_core::{Divisions, RegionCode};
use tongchou_store::access::User;

const TITLE: &str = crate::lang::msg("web-user-accounts");

pub fn routes() -> Router<St> {
    Router::new()
        .route("/admin/users", get(show))
        .route("/admin/users/{action}", post(act))
}

/// The roles an administrator may give: staff roles, not the administrators' nor an insured
/// person's.
fn staff_roles() -> impl Iterator<Item = Role> {
    Role::ALL
        .into_iter()
        .filter(|r| !r.is_administrator() && *r != Role::InsuredPerson)
}

/// The regions within the administrator's (functional zones left out).
fn regions(who: &User) -> Vec<(RegionCode, String)> {
    let d = Divisions::shanxi();
    d.all()
        .iter()
        .filter(|r| d.within(r.code, who.region) && !r.is_functional_zone())
        .map(|r| {
            (
                r.code,
                tf(
                    "admin-region-option",
                    &[
                        ("code", &r.code.to_string()),
                        ("name", &r.name),
                        ("level", &crate::lang::zh(r.level.label_zh())),
                    ],
                ),
            )
        })
        .collect()
}

pub(crate) fn region_name(code: RegionCode) -> String {
    Divisions::shanxi()
        .get(code)
        .map(|r| r.name.clone())
        .unwrap_or_default()
}

fn state_zh(u: &User) -> String {
    match (&u.locked_until, u.active) {
        (_, false) => t("admin-locked").into(),
        (Some(until), true) => tf("admin-locked-until", &[("until", &until.to_string())]),
        (None, true) => t("admin-active").into(),
    }
}

pub async fn show(State(st): State<St>, headers: HeaderMap, Query(q): Query<Fields>) -> Response {
    let (user, token) = match staff(&st, &headers, t(TITLE)).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let who = user.principal();
    match with_db(&st, move |db| Ok(users::list(db, &who, now_ms())?)).await {
        Ok(list) => {
            if let Some(file) = grid(&list).export(&q, "users") {
                return file;
            }
            let csrf = csrf_token(&token);
            let done = q.get("done").map(String::as_str);
            Html(page(
                t(TITLE),
                Some(&user.login),
                body(&user, &list, &csrf, done, &View::of(&q)),
            ))
            .into_response()
        }
        Err(e) => error_page(t(TITLE), e.status(), &user.login, &e.message()),
    }
}

fn row_forms(me: &Principal, a: &Account, csrf: &str) -> Markup {
    let login = &a.user.login;
    html! {
        @if me.role.has(Permission::SessionRevoke) && a.user.active {
            form method="post" action="/admin/users/lock" class="inline" {
                (csrf_field(csrf)) input type="hidden" name="login" value=(login);
                button type="submit" id={ "lock-" (login) } { (t("admin-lock")) }
            }
        }
        @if me.role.has(Permission::UserUnlock) && (!a.user.active || a.user.locked_until.is_some()) {
            form method="post" action="/admin/users/unlock" class="inline" {
                (csrf_field(csrf)) input type="hidden" name="login" value=(login);
                button type="submit" id={ "unlock-" (login) } { (t("admin-unlock")) }
            }
        }
        @if me.role.has(Permission::UserManage) {
            form method="post" action="/admin/users/totp" class="inline" {
                (csrf_field(csrf)) input type="hidden" name="login" value=(login);
                button type="submit" id={ "totp-" (login) } { (t("admin-enrol-totp")) }
            }
        }
    }
}

/// The accounts as a grid (filter, sort, pages, export); the row's forms in the last column.
fn grid(list: &[Account]) -> Grid {
    Grid {
        id: "users",
        title: t("admin-accounts").into(),
        cols: vec![
            (t("page-login"), 16.0),
            (t("page-name"), 12.0),
            (t("page-role"), 20.0),
            (t("page-region"), 20.0),
            (t("web-status"), 24.0),
            (t("page-one-time-code"), 12.0),
        ],
        rows: list
            .iter()
            .map(|a| {
                let totp = if a.totp {
                    t("admin-totp-on")
                } else if a.totp_pending {
                    t("admin-totp-pending")
                } else {
                    t("admin-totp-off")
                };
                vec![
                    Cell::Text(a.user.login.clone()),
                    Cell::Text(a.user.display_name.clone()),
                    Cell::Text(a.user.role.label(crate::lang::lang()).into()),
                    Cell::Text(format!("{} {}", a.user.region, region_name(a.user.region))),
                    Cell::Text(state_zh(&a.user)),
                    Cell::Text(totp.into()),
                ]
            })
            .collect(),
        link: None,
    }
}

fn body(me: &User, list: &[Account], csrf: &str, done: Option<&str>, view: &View) -> Markup {
    let who = me.principal();
    let login_of = |r: &[Cell]| r.first().map(Cell::text).unwrap_or_default();
    let row_id = |r: &[Cell]| format!("user-{}", login_of(r));
    let actions = |r: &[Cell]| {
        let login = login_of(r);
        html! {
            @if let Some(a) = list.iter().find(|a| a.user.login == login) {
                @if a.user.login != me.login && !a.user.role.is_administrator() && a.user.role != Role::InsuredPerson { (row_forms(&who, a, csrf)) }
            }
        }
    };
    let extra = Extra {
        row_id: Some(&row_id),
        actions: Some((t("chain-action"), &actions)),
        total: None,
    };
    html! {
        @if let Some(m) = done { p class="ok" id="admin-done" { (m) } }
        p id="admin-duty" { (t("admin-your-duty")) (tf("admin-duty", &[("role", me.role.label(crate::lang::lang())), ("duties", duties(me.role))])) }
        div class="scroll" { (grid(list).render_with("/admin/users", view, &extra)) }
        @if me.role.has(Permission::UserManage) { (add_form(me, csrf)) (password_form(csrf)) }
        @if me.role.has(Permission::RoleAssign) { (role_form(me, csrf)) }
    }
}

fn duties(role: Role) -> &'static str {
    match role {
        Role::SystemAdmin => t("admin-duties-system"),
        Role::SecurityAdmin => t("admin-duties-security"),
        _ => t("admin-duties-other"),
    }
}

fn role_select(id: &str) -> Markup {
    html! {
        select id=(id) name="role" {
            @for r in staff_roles() { option value=(r.as_str()) { (r.label(crate::lang::lang())) } }
        }
    }
}

fn region_select(me: &User, id: &str) -> Markup {
    html! {
        select id=(id) name="region" {
            @for (code, label) in regions(me) { option value=(code) selected[code == me.region] { (label) } }
        }
    }
}

/// A form of the page: a heading, the CSRF field, `fields`, a submit button.
fn form(
    title: &str,
    action: &str,
    id: &str,
    button: (&str, &str),
    csrf: &str,
    fields: Markup,
) -> Markup {
    html! {
        h2 { (title) }
        form method="post" action={ "/admin/users/" (action) } id=(id) {
            (csrf_field(csrf))
            (fields)
            br;
            button type="submit" id=(button.0) { (button.1) }
        }
    }
}

fn add_form(me: &User, csrf: &str) -> Markup {
    let fields = html! {
        label for="new-login" { (t("admin-login-label")) } input id="new-login" name="login" required;
        label for="new-name" { (t("page-name")) } input id="new-name" name="display_name" required;
        label for="new-role" { (t("page-role")) } (role_select("new-role"))
        label for="new-region" { (t("page-region")) } (region_select(me, "new-region"))
        label for="new-password" { (t("admin-password-label")) }
        input id="new-password" name="password" type="password" autocomplete="new-password" required;
    };
    form(
        t("admin-add-a-user"),
        "add",
        "add-user-form",
        ("add-user", t("admin-add")),
        csrf,
        fields,
    )
}

fn password_form(csrf: &str) -> Markup {
    let fields = html! {
        label for="pw-login" { (t("page-login")) } input id="pw-login" name="login" required;
        label for="pw-password" { (t("admin-new-password")) }
        input id="pw-password" name="password" type="password" autocomplete="new-password" required;
    };
    form(
        t("admin-reset-a-password"),
        "password",
        "password-form",
        ("reset-password", t("admin-reset")),
        csrf,
        fields,
    )
}

fn role_form(me: &User, csrf: &str) -> Markup {
    let fields = html! {
        label for="role-login" { (t("page-login")) } input id="role-login" name="login" required;
        label for="role-role" { (t("admin-role")) } (role_select("role-role"))
        label for="role-region" { (t("admin-region")) } (region_select(me, "role-region"))
    };
    form(
        t("admin-change-a-role"),
        "role",
        "role-form",
        ("change-role", t("admin-change")),
        csrf,
        fields,
    )
}

fn totp_page(login: &str, secret: &str, uri: &str, csrf: &str) -> Markup {
    html! {
        p { (tf("admin-totp-hint", &[("login", login)])) }
        dl { dt { (t("admin-secret")) } dd id="totp-secret" { code { (secret) } } dt { "otpauth URI" } dd id="totp-uri" { code { (uri) } } }
        form method="post" action="/admin/users/totp-confirm" id="totp-form" {
            (csrf_field(csrf)) input type="hidden" name="login" value=(login);
            label for="totp-code" { (t("admin-code")) }
            input id="totp-code" name="code" inputmode="numeric" autocomplete="one-time-code" required;
            br;
            button type="submit" id="totp-confirm" { (t("admin-confirm")) }
        }
    }
}

fn parse_new(f: &Fields) -> Result<NewStaff, String> {
    let get = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let role: Role = get("role")
        .parse()
        .map_err(|_| tf("admin-bad-role", &[("value", &get("role"))]))?;
    let region: RegionCode = get("region")
        .parse()
        .map_err(|_| tf("admin-bad-region", &[("value", &get("region"))]))?;
    Ok(NewStaff {
        login: get("login"),
        display_name: get("display_name"),
        role,
        region,
        password: f.get("password").cloned().unwrap_or_default(),
    })
}

/// What a form asks, done by the use case: a message for the list, or the enrolment page.
enum Done {
    Message(String),
    Page(Markup),
}

/// What adding a user or changing a role did: `id` with the user's login, role and region.
fn role_done(id: &'static str, u: &User) -> Done {
    Done::Message(tf(
        id,
        &[
            ("login", &u.login),
            ("role", u.role.label(crate::lang::lang())),
            ("region", &u.region.to_string()),
        ],
    ))
}

pub async fn act(
    State(st): State<St>,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let (user, token) = match staff(&st, &headers, t(TITLE)).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let csrf = csrf_token(&token);
    if !ct_eq(f.get("csrf").map(String::as_str).unwrap_or(""), &csrf) {
        return error_page(
            t(TITLE),
            StatusCode::FORBIDDEN,
            &user.login,
            crate::lang::t("web-err-csrf"),
        );
    }
    let new = if action == "add" || action == "role" {
        match parse_new(&f) {
            Ok(n) => Some(n),
            Err(m) => return error_page(t(TITLE), StatusCode::BAD_REQUEST, &user.login, &m),
        }
    } else {
        None
    };
    let who = user.principal();
    let policy = st.cfg.policy.clone();
    let login = f
        .get("login")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    let secret_input = f
        .get("password")
        .or(f.get("code"))
        .cloned()
        .unwrap_or_default();
    let form_csrf = csrf.clone();
    let r = with_db(&st, move |db| {
        let now = now_ms();
        let done = match (action.as_str(), new) {
            ("add", Some(n)) => role_done("admin-added", &users::add(db, &who, &n, &policy, now)?),
            ("role", Some(n)) => role_done(
                "admin-role-changed",
                &users::set_role(db, &who, &login, n.role, n.region, now)?,
            ),
            ("lock", _) => {
                users::lock(db, &who, &login, now)?;
                Done::Message(tf("admin-locked-done", &[("login", &login)]))
            }
            ("unlock", _) => {
                users::unlock(db, &who, &login, now)?;
                Done::Message(tf("admin-unlocked-done", &[("login", &login)]))
            }
            ("password", _) => {
                users::reset_password(db, &who, &login, &secret_input, &policy, now)?;
                Done::Message(tf("admin-reset-done", &[("login", &login)]))
            }
            ("totp", _) => {
                let e = users::totp_begin(db, &who, &login, now)?;
                Done::Page(totp_page(&login, &e.secret, &e.uri, &form_csrf))
            }
            ("totp-confirm", _) => {
                users::totp_confirm(db, &who, &login, &secret_input, now)?;
                Done::Message(tf("admin-totp-done", &[("login", &login)]))
            }
            _ => return Err(crate::AppError::NotFound(t("page-not-found").into())),
        };
        Ok(done)
    })
    .await;
    match r {
        Ok(Done::Message(m)) => {
            let q: String = form_urlencoded::byte_serialize(m.as_bytes()).collect();
            Redirect::to(&format!("/admin/users?done={q}")).into_response()
        }
        Ok(Done::Page(body)) => Html(page(
            t("admin-enrol-a-second-factor"),
            Some(&user.login),
            body,
        ))
        .into_response(),
        Err(e) => error_page(
            t(TITLE),
            e.status(),
            &user.login,
            &tf("chain-not-done", &[("reason", &e.message())]),
        ),
    }
}
