//! The service's guards against abuse (issue 13's security findings 1, 4 and 7):
//!
//! - **Per-client rate limits** (GCRA, the `governor` crate, keyed by client address) on the
//!   login form and the public endpoints (the estimator): a client over its quota gets `429` with
//!   `Retry-After` before any password hashing or computation. The first refusal of a client in a
//!   minute is audited (`http.rate_limited`), later ones are not, so a flood cannot flood the log.
//! - **A gate on password hashing**: at most [`Config::login_concurrency`] logins verify a
//!   password at once (Argon2id costs 19 MiB and tens of milliseconds); others wait up to ten
//!   seconds, then get `503`. Logged-in users' requests never queue behind a login storm.
//! - **A keyed login CSRF token**: HMAC-SHA-256 of the pre-session cookie under a server secret
//!   (`tongchou_store::access::login_csrf_key`, one per database, so every replica agrees).
//! - **Refusals audited at the edge**: every `403` the service answers is written to the audit
//!   log (`http.forbidden`: method, route with ID numbers masked, client, the user if logged in).

use crate::{Config, St, client, current, queue_audit, with_db};
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::OnceLock;
use std::time::Duration;
use tongchou_app::clock::now_ms;
use tongchou_store::access;
use tongchou_store::audit::{self, Actor, Deferred, Entry};

/// What a client may do per minute.
pub(crate) struct Limits {
    login: DefaultKeyedRateLimiter<IpAddr>,
    public: DefaultKeyedRateLimiter<IpAddr>,
    /// One audited refusal per client and minute.
    audited: DefaultKeyedRateLimiter<IpAddr>,
    /// Password verifications running at once.
    gate: tokio::sync::Semaphore,
    login_key: OnceLock<[u8; 32]>,
}

fn per_minute(n: u32, burst: u32) -> Quota {
    let n = NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN);
    let b = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(n).allow_burst(b)
}

impl Limits {
    pub(crate) fn new(cfg: &Config) -> Limits {
        Limits {
            login: RateLimiter::keyed(per_minute(cfg.login_per_minute, cfg.login_burst)),
            public: RateLimiter::keyed(per_minute(cfg.public_per_minute, cfg.public_per_minute)),
            audited: RateLimiter::keyed(per_minute(1, 1)),
            gate: tokio::sync::Semaphore::new(cfg.login_concurrency.max(1)),
            login_key: OnceLock::new(),
        }
    }
}

/// Which quota a request draws on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bucket {
    Login,
    Public,
}

/// `Some(429 response)` when `addr` is over its quota of `bucket` (the refusal audited once a
/// minute per client).
pub(crate) async fn over_quota(st: &St, addr: &SocketAddr, bucket: Bucket) -> Option<Response> {
    let l = &st.limits;
    let ip = addr.ip();
    let limiter = match bucket {
        Bucket::Login => &l.login,
        Bucket::Public => &l.public,
    };
    let wait = match limiter.check_key(&ip) {
        Ok(()) => return None,
        Err(not_until) => not_until.wait_time_from(governor::clock::Clock::now(
            &governor::clock::DefaultClock::default(),
        )),
    };
    if l.audited.check_key(&ip).is_ok() {
        let c = client(addr);
        let what = format!("{bucket:?}").to_lowercase();
        let _ = with_db(st, move |db| {
            audit::append(
                db,
                &Entry {
                    actor: &Actor::operator(&format!("client:{c}")),
                    action: "http.rate_limited",
                    object_type: "client",
                    object_id: &c,
                    region: None,
                    result: "denied",
                    details: serde_json::json!({"bucket": what}),
                },
                now_ms(),
            )?;
            Ok(())
        })
        .await;
    }
    let secs = wait.as_secs().max(1);
    let mut res = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(serde_json::json!({
            "error": "too_many_requests",
            "message": tongchou_core::tr!("web-err-too-many", secs = secs),
        })),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(res)
}

/// A permit to verify a password, or `None` after ten seconds of waiting.
pub(crate) async fn hashing_permit(st: &St) -> Option<tokio::sync::SemaphorePermit<'_>> {
    tokio::time::timeout(Duration::from_secs(10), st.limits.gate.acquire())
        .await
        .ok()
        .and_then(Result::ok)
}

/// The server's login CSRF key (read from the database once).
pub(crate) async fn login_key(st: &St) -> Result<[u8; 32], crate::AppError> {
    if let Some(k) = st.limits.login_key.get() {
        return Ok(*k);
    }
    let k = with_db(st, |db| Ok(access::login_csrf_key(db)?)).await?;
    Ok(*st.limits.login_key.get_or_init(|| k))
}

/// The path with anything shaped like an ID number masked, for the audit log.
fn masked_path(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            let digits = seg.chars().filter(char::is_ascii_digit).count();
            if seg.len() >= 15 && digits >= 14 {
                tongchou_core::access::mask_id_number(seg)
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// What the edge keeps of a request to audit it if it is refused ([`audit_if_forbidden`]):
/// handles, not text (the method, the URI, the cookies and the address are written out only
/// for a `403`; every request copied its headers and masked its path before).
pub(crate) struct Asked {
    method: axum::http::Method,
    uri: axum::http::Uri,
    cookies: axum::http::HeaderMap,
    addr: Option<SocketAddr>,
}

impl Asked {
    pub(crate) fn of(req: &Request) -> Asked {
        let mut cookies = axum::http::HeaderMap::new();
        for v in req.headers().get_all(header::COOKIE) {
            cookies.append(header::COOKIE, v.clone());
        }
        Asked {
            method: req.method().clone(),
            uri: req.uri().clone(),
            cookies,
            addr: req
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        }
    }
}

/// Every `403` answered is audited (`http.forbidden`), with the user if the request carried a
/// live session; the answer is given once the entry is durable. Part of the service's one
/// middleware (`crate::edge`).
pub(crate) async fn audit_if_forbidden(st: &St, asked: Asked, res: Response) -> Response {
    if res.status() != StatusCode::FORBIDDEN {
        return res;
    }
    let path = masked_path(asked.uri.path());
    let addr = asked.addr.as_ref().map(client).unwrap_or_default();
    let user = current(st, &asked.cookies).await.ok().flatten();
    let actor = match &user {
        Some((u, _)) => Actor::user(u.id, &u.login),
        None => Actor::operator(&format!("client:{addr}")),
    };
    let e = Deferred::new(
        Entry {
            actor: &actor,
            action: "http.forbidden",
            object_type: "route",
            object_id: &path,
            region: user.as_ref().map(|(u, _)| u.region.get()),
            result: "denied",
            details: serde_json::json!({"method": asked.method.as_str(), "client": addr}),
        },
        now_ms(),
    );
    // through the group-commit writer, answered once written
    if let Ok(t) = queue_audit(st, e).await {
        let _ = t.durable().await;
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_in_paths_are_masked() {
        assert_eq!(
            masked_path("/api/persons/14010519491231002X"),
            "/api/persons/140105********002X"
        );
        assert_eq!(masked_path("/plans/2026-03"), "/plans/2026-03");
    }
}
