//! The month's dues file for the tax bureau in the browser (应缴明细): a signed-in user who may
//! export it (the tax bureau, the provincial bureau: contribution read with full ID numbers)
//! chooses the month and a region within theirs and downloads the CSV of
//! `tongchou_app::dues::export` (checked and audited there; the format is in docs/FORMATS.md).

use crate::html::{error_response, page};
use crate::lang::t;
use crate::{Exchange, St, current, with_db};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use std::collections::HashMap;
use tongchou_app::clock::now_ms;
use tongchou_app::export::Download;
use tongchou_core::access::Permission;
use tongchou_core::{Period, RegionCode};
use tongchou_store::access::User;

/// The catalogue id of the page title.
const TITLE: &str = "page-dues-for-the-tax-bureau";

fn may_export(u: &User) -> bool {
    u.role.has(Permission::ContributionRead) && u.role.has(Permission::PersonReadFullId)
}

fn error_page(status: StatusCode, login: &str, msg: &str) -> Response {
    error_response(status, login, t(TITLE), "dues-error", None, msg)
}

async fn signed_in(st: &St, headers: &HeaderMap) -> Result<User, Response> {
    match current(st, headers).await {
        Ok(Some((u, _))) if may_export(&u) => Ok(u),
        Ok(Some((u, _))) => Err(error_page(
            StatusCode::FORBIDDEN,
            &u.login,
            t("dues-denied"),
        )),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(e) => Err(error_page(e.status(), "", &e.message())),
    }
}

/// The form: month and region (default: the user's own).
pub async fn show(State(st): State<St>, headers: HeaderMap) -> Response {
    let user = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    Html(page(
        t(TITLE),
        Some(&user.login),
        html! {
            p { (t("dues-intro")) }
            p id="dues-exchange" {
                (match &st.cfg.dues_exchange {
                    Some(Exchange::Sealed(_)) => t("dues-sealed"),
                    Some(Exchange::Plain) => t("dues-plain"),
                    None => t("dues-no-exchange"),
                })
            }
            form method="get" action="/dues/download" id="dues-form" {
                label for="period" { (t("dues-month")) }
                input id="period" name="period" required placeholder="2020-01";
                label for="region" { (t("dues-region")) }
                input id="region" name="region" value=(user.region.get());
                br;
                @if st.cfg.dues_exchange.is_some() {
                    button type="submit" id="download" { (t("dues-download")) }
                }
            }
        },
    ))
    .into_response()
}

/// The file itself, as an attachment.
pub async fn download(
    State(st): State<St>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let user = match signed_in(&st, &headers).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let period = match q.get("period").map(|p| p.trim().parse::<Period>()) {
        Some(Ok(p)) => p,
        _ => {
            return error_page(StatusCode::BAD_REQUEST, &user.login, t("dues-bad-month"));
        }
    };
    let region = match q.get("region").map(|r| r.trim()).filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => match r.parse::<u32>().ok().and_then(|c| RegionCode::new(c).ok()) {
            Some(c) => Some(c),
            None => {
                return error_page(StatusCode::BAD_REQUEST, &user.login, t("dues-bad-region"));
            }
        },
    };
    let Some(how) = st.cfg.dues_exchange.clone() else {
        return error_page(StatusCode::CONFLICT, &user.login, t("dues-no-exchange"));
    };
    let who = user.principal();
    let made = with_db(&st, move |db| {
        let mut bytes = Vec::new();
        let exchange = how.as_app();
        let done = tongchou_app::dues::export_for(
            db,
            &who,
            period,
            region,
            exchange,
            &mut bytes,
            now_ms(),
        )?;
        Ok(Download {
            file_name: tongchou_app::dues::file_name(exchange, &done),
            content_type: exchange.content_type("text/csv; charset=utf-8"),
            bytes,
        })
    })
    .await;
    match made {
        Ok(d) => crate::workplace::download(d),
        Err(e) => error_page(e.status(), &user.login, &e.message()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongchou_core::access::Role;

    #[test]
    fn only_roles_with_contributions_and_full_ids_may_export() {
        let may =
            |r: Role| r.has(Permission::ContributionRead) && r.has(Permission::PersonReadFullId);
        assert!(may(Role::TaxBureau));
        assert!(!may(Role::FinanceApprover));
        assert!(!may(Role::Auditor));
    }
}
