//! The Tongchou web service (`tongchou serve`).
//!
//! - Staff log in with a form (`/login`); the session is an HttpOnly, SameSite=Strict cookie
//!   holding a 256-bit random token (only its hash is stored). Idle and absolute timeouts and
//!   lockout come from [`AuthPolicy`].
//! - Every POST form carries a CSRF token (derived from the session, or for the login form from a
//!   pre-session cookie); JSON APIs that change state need the `X-CSRF-Token` header.
//! - Every response has a CSP, `X-Frame-Options: DENY`, `nosniff`, `no-referrer` and
//!   `Cache-Control: no-store`.
//! - Data access is region-scoped and masked by role ([`tongchou_core::access`]); every read of a
//!   person and every refusal goes to the hash-chained audit log.
//! - A bank's return files are uploaded and read at `/bank/returns` (multipart, at most
//!   64 MiB) by the provincial bureau or the paying county's agency.
//! - The reports (`/reports`): collection, arrears and disbursement as Chinese HTML tables with
//!   CSV, XLSX and JSON downloads, limited to the staff member's region.
//! - The pension estimator (`/estimate`, `POST /api/pension/estimate`) is public and stores
//!   nothing.
//!
//! - HTTPS is served by the service itself ([`tls`]: rustls, certificate and key from PEM
//!   files, HSTS on every answer); plain HTTP only when the operator asks for it explicitly
//!   (`tongchou serve --plain-http`, local development or a TLS-terminating proxy in front).
//!
//! The database is synchronous: handlers run it in `spawn_blocking` on connections from a small
//! pool ([`Pool`]).

mod accounts;
mod admin;
mod analysis_pages;
mod api;
mod audit_pages;
mod backpay;
mod budget;
mod central_reserve;
mod certification;
mod chain;
mod charts;
mod claims;
mod contract;
mod dues;
mod evaluation_pages;
mod forms;
mod gap_pages;
mod guard;
mod html;
mod idle;
mod imports;
mod lang;
mod ledger_pages;
mod migration_pages;
mod mine;
mod month;
mod ops;
mod pages;
mod paying_accounts;
mod person;
mod plans;
mod projection_pages;
mod record_form;
mod recoveries;
mod report_charts;
mod reports;
mod retirement;
mod returns;
mod search;
mod table;
pub mod tls;
mod transfers;
mod workplace;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tongchou_app::clock::now_ms;
use tongchou_store::access::{self, AuthError, AuthPolicy, User};
use tongchou_store::audit::{self, Deferred, Record};
use tongchou_store::{Db, StoreError};

pub use tongchou_store::access::csrf_token;

/// How the service runs.
#[derive(Clone, Debug)]
pub struct Config {
    pub db_url: String,
    pub policy: AuthPolicy,
    /// Mark cookies `Secure` and send HSTS (on whenever the service is reached over TLS, i.e.
    /// not bound to a loopback address for local use).
    pub secure_cookies: bool,
    /// Idle connections kept.
    pub pool_size: usize,
    /// Bytes of an SQLite file its pooled connections read through a memory map
    /// ([`Db::map_for_reads`]); 0: none, every page read with a read call. Measured both ways
    /// on the person API in `docs/PERFORMANCE.md`.
    pub sqlite_mmap: i64,
    /// Milliseconds a session's user is kept in memory between reads of the session
    /// (`tongchou_store::access::SessionCache`; a change made in this process empties it at
    /// once, one made by another process is seen within this time); 0: every request reads it.
    pub session_cache_ms: i64,
    /// Microseconds the audit writer waits after a batch's first entry for more when reads are
    /// arriving together (`tongchou_store::audit::group::Options::gather`, PostgreSQL's
    /// `commit_delay`); a lone read never waits. Fewer, larger commits: measured in
    /// docs/PERFORMANCE.md (2026-12-06 night).
    pub audit_gather_us: u64,
    /// Login attempts a client may make per minute, after a burst of `login_burst`.
    pub login_per_minute: u32,
    pub login_burst: u32,
    /// Requests a client may make per minute to the public endpoints (the estimator).
    pub public_per_minute: u32,
    /// Logins verifying a password at once (each Argon2id verification costs 19 MiB).
    pub login_concurrency: usize,
    /// Serve `/metrics` to any client (default: loopback only).
    pub metrics_from_anywhere: bool,
    /// A connection on which no byte moves this long is closed (header and keep-alive timeout).
    pub idle_timeout: std::time::Duration,
    /// Serve HTTPS with this configuration ([`tls::server_config`]); `None`: plain HTTP.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Where a month run from the page `/month` writes its payment files (one directory per
    /// month, as `tongchou month run --out`).
    pub bank_files: std::path::PathBuf,
    /// How `/dues` hands out the tax bureau's dues file, which carries full ID numbers: sealed
    /// for the bureau's exchange key, plain only when chosen explicitly; `None` (the default):
    /// the page refuses the download and says what to configure (`tongchou serve
    /// --dues-seal-key-file K | --dues-plain`).
    pub dues_exchange: Option<Exchange>,
    /// How `/transfers/{id}?download=1` hands out a transfer certificate (full ID number) for
    /// the receiving province, the same way: sealed for the national platform's exchange key,
    /// plain only when chosen, refused when `None` (`tongchou serve --transfer-seal-key-file K |
    /// --transfer-plain`).
    pub transfer_exchange: Option<Exchange>,
}

/// [`Config::dues_exchange`], [`Config::transfer_exchange`].
#[derive(Clone, Debug)]
pub enum Exchange {
    /// Sealed for the receiver's exchange key (`tongchou unseal --key-file K` opens it).
    Sealed(Arc<tongchou_store::backup::MasterKey>),
    /// Plain: the operator said the file's way is protected otherwise.
    Plain,
}

impl Exchange {
    /// The use cases' view of it.
    pub fn as_app(&self) -> tongchou_app::exchange::Exchange<'_> {
        match self {
            Exchange::Sealed(k) => tongchou_app::exchange::Exchange::Sealed(k),
            Exchange::Plain => tongchou_app::exchange::Exchange::Plain,
        }
    }
}

impl Config {
    pub fn new(db_url: &str) -> Config {
        Config {
            db_url: db_url.to_string(),
            policy: AuthPolicy::default(),
            secure_cookies: true,
            // as many as the blocking threads that may hold one ([`runtime`])
            pool_size: 16,
            sqlite_mmap: 0,
            session_cache_ms: 1_000,
            audit_gather_us: 1_000,
            login_per_minute: 30,
            login_burst: 30,
            public_per_minute: 120,
            login_concurrency: 2,
            metrics_from_anywhere: false,
            idle_timeout: std::time::Duration::from_secs(20),
            tls: None,
            bank_files: std::path::PathBuf::from("bank-files"),
            dues_exchange: None,
            transfer_exchange: None,
        }
    }
}

/// A small pool of database connections (one per blocking request at a time).
pub struct Pool {
    url: String,
    /// An SQLite database (in this process), not a server's.
    in_process: bool,
    /// [`Config::sqlite_mmap`].
    mmap: i64,
    idle: Mutex<Vec<Db>>,
    max_idle: usize,
}

impl Pool {
    fn get(&self) -> Result<Db, StoreError> {
        let pooled = match self.idle.lock() {
            Ok(mut v) => v.pop(),
            Err(p) => p.into_inner().pop(),
        };
        match pooled {
            Some(db) => Ok(db),
            None => {
                let mut db = Db::connect(&self.url)?;
                if self.mmap > 0 {
                    db.map_for_reads(self.mmap)?;
                }
                // the keyring of field encryption, as `Db::open` loads it: without it an encrypted
                // register finds no ID number and reveals no field
                if let Some(master) = tongchou_store::keys::master_for(&self.url)? {
                    tongchou_store::keys::load_shared(&mut db, Arc::new(master))?;
                }
                Ok(db)
            }
        }
    }
    fn put(&self, db: Db) {
        if db.in_transaction() {
            return; // a connection left mid-transaction is dropped, never reused
        }
        let mut v = match self.idle.lock() {
            Ok(v) => v,
            Err(p) => p.into_inner(),
        };
        if v.len() < self.max_idle {
            v.push(db);
        }
    }
}

pub(crate) struct AppState {
    pub pool: Pool,
    /// The group-commit writer of the reads' audit entries (`tongchou_store::audit::group`).
    pub audit: audit::group::Writer,
    pub cfg: Config,
    pub limits: guard::Limits,
    pub metrics: ops::Metrics,
    /// The months' runs started from `/month`, running in the background or finished.
    pub runs: month::Runs,
    /// The sessions' users kept briefly ([`Config::session_cache_ms`]).
    pub sessions: access::SessionCache,
}

pub(crate) type St = Arc<AppState>;

/// An error answered to a client: a status and a short code, never internals.
#[derive(Debug)]
pub(crate) enum AppError {
    Unauthorized,
    Forbidden(String),
    NotFound(String),
    BadRequest(String),
    Conflict(String),
    /// The service is busy (a gate is full): try again shortly.
    Unavailable(String),
    Internal(String),
}

impl AppError {
    fn parts(&self) -> (StatusCode, &str, String) {
        match self {
            AppError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                lang::t("api-log-in-first").into(),
            ),
            AppError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.clone()),
            AppError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m.clone()),
            AppError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m.clone()),
            AppError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.clone()),
            AppError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable", m.clone()),
            AppError::Internal(m) => {
                eprintln!("tongchou-server: internal error: {m}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    lang::t("api-internal").into(),
                )
            }
        }
    }
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }
    pub fn message(&self) -> String {
        self.parts().2
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        AppError::Internal(e.to_string())
    }
}

/// A use case's refusal, answered by who can act on it.
impl From<tongchou_app::AppError> for AppError {
    fn from(e: tongchou_app::AppError) -> AppError {
        use tongchou_app::AppError as U;
        match e {
            U::Invalid(m) => AppError::BadRequest(m),
            U::Forbidden(m) => AppError::Forbidden(m),
            U::NotFound(m) => AppError::NotFound(m),
            U::State(m) => AppError::Conflict(m),
            e @ U::NoPayingAccount { .. } => AppError::Conflict(e.to_string()),
            U::Store(s) if s.is_conflict() => AppError::Conflict(s.to_string()),
            U::Store(s) => AppError::Internal(s.to_string()),
        }
    }
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> AppError {
        match e {
            AuthError::BadCredentials | AuthError::Locked { .. } => AppError::Unauthorized,
            AuthError::Denied(a) => AppError::Forbidden(a.code().to_string()),
            AuthError::Invalid(m) => AppError::BadRequest(m),
            AuthError::NotFound(m) => AppError::NotFound(m),
            AuthError::Conflict(m) => AppError::Conflict(m),
            AuthError::Store(s) => AppError::Internal(s.to_string()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        (
            status,
            axum::Json(serde_json::json!({"error": code, "message": message})),
        )
            .into_response()
    }
}

/// Run `f` with a pooled connection on the blocking thread pool.
pub(crate) async fn with_db<T: Send + 'static>(
    st: &St,
    f: impl FnOnce(&mut Db) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let st = st.clone();
    let ctx = lang::ctx();
    tokio::task::spawn_blocking(move || {
        lang::within(ctx, || {
            let mut db = st.pool.get()?;
            let r = f(&mut db);
            st.pool.put(db);
            r
        })
    })
    .await
    .map_err(|e| AppError::Internal(format!("blocking task: {e}")))?
}

/// An answer (the data read, or the refusal) and the audit entry that must be durable before it
/// is given.
pub(crate) type Audited<T> = (Result<T, AppError>, Deferred);

/// An audit entry handed to the group-commit writer; [`AuditTicket::durable`] waits for it.
pub(crate) struct AuditTicket(tokio::sync::oneshot::Receiver<Result<Record, StoreError>>);

impl AuditTicket {
    /// Wait until the entry is written and committed; a failed or lost entry is an error, so the
    /// read it records is not answered.
    pub(crate) async fn durable(self) -> Result<(), AppError> {
        match self.0.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(AppError::Internal(format!("audit: {e}"))),
            Err(_) => Err(AppError::Internal("audit: the writer stopped".into())),
        }
    }
}

/// Queue `e` from an async task: at once if the queue has room, else from a blocking thread.
pub(crate) async fn queue_audit(st: &St, e: Deferred) -> Result<AuditTicket, AppError> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let done: audit::group::Done = Box::new(move |r| {
        let _ = tx.send(r);
    });
    if let Err(back) = st.audit.try_submit(e, done) {
        let (e, done) = *back;
        let s = st.clone();
        tokio::task::spawn_blocking(move || s.audit.submit(e, done))
            .await
            .map_err(|e| AppError::Internal(format!("blocking task: {e}")))?;
    }
    Ok(AuditTicket(rx))
}

/// [`with_db`] for a read that returns its audit entry: the entry goes to the group-commit writer
/// and the answer, data or refusal, is given only once the entry is durable. The connection is
/// free again while the entry waits for its batch.
///
/// On SQLite the read runs on the async worker itself: a few indexed rows of an in-process
/// database take microseconds, less than the two thread switches of a hop to the blocking pool
/// (which PostgreSQL's network round trips still take).
pub(crate) async fn with_db_audited<T: Send + 'static>(
    st: &St,
    f: impl FnOnce(&mut Db) -> Result<Audited<T>, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let (answer, entry) = if st.pool.in_process {
        let mut db = st.pool.get()?;
        let r = f(&mut db);
        st.pool.put(db);
        r?
    } else {
        with_db(st, f).await?
    };
    queue_audit(st, entry).await?.durable().await?;
    answer
}

pub(crate) const SESSION_COOKIE: &str = "tc_session";
pub(crate) const PRE_COOKIE: &str = "tc_pre";

/// A cookie's value from the request headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/ (and Secure when configured).
pub(crate) fn set_cookie(cfg: &Config, name: &str, value: &str, max_age: Option<i64>) -> String {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(a) = max_age {
        s.push_str(&format!("; Max-Age={a}"));
    }
    if cfg.secure_cookies {
        s.push_str("; Secure");
    }
    s
}

/// Equal strings compared in time independent of where they differ.
pub(crate) fn ct_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The logged-in user and their session token, if the session cookie names a live session.
pub(crate) async fn current(
    st: &St,
    headers: &HeaderMap,
) -> Result<Option<(User, String)>, AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    if let Some(u) = st.sessions.peek(&token, &st.cfg.policy, now_ms()) {
        return Ok(Some((u, token)));
    }
    let st2 = st.clone();
    let t = token.clone();
    let user = with_db(st, move |db| {
        Ok(st2.sessions.user(db, &t, &st2.cfg.policy, now_ms())?)
    })
    .await?;
    Ok(user.map(|u| (u, token)))
}

/// The client address for audit rows.
/// The signed-in user whom `may` lets see a page, with their session token; otherwise the
/// answer to give: the login page without a session, else `refuse(status, login, message)`.
pub(crate) async fn signed_in_for(
    st: &St,
    headers: &HeaderMap,
    may: fn(&User) -> bool,
    refuse: fn(StatusCode, &str, &str) -> Response,
) -> Result<(User, String), Response> {
    match current(st, headers).await {
        Ok(Some((u, t))) if may(&u) => Ok((u, t)),
        Ok(Some((u, _))) => Err(refuse(
            StatusCode::FORBIDDEN,
            &u.login,
            crate::lang::t("web-no-access"),
        )),
        Ok(None) => Err(axum::response::Redirect::to("/login").into_response()),
        Err(e) => Err(refuse(e.status(), "", &e.message())),
    }
}

pub(crate) fn client(addr: &SocketAddr) -> String {
    addr.ip().to_string()
}

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

/// The headers every answer carries (HSTS when `secure`).
fn security_headers(mut res: Response, secure: bool) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if secure {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// The service's middleware, one layer around every route (it was four `from_fn` layers: a
/// boxed service, a boxed future and their calls each, on every request). From the outside
/// in: the security headers; the request's language held for its task (`lang`); its id,
/// metrics and log line (`ops`); a `403` audited at the edge (`guard`); the handler.
async fn edge(
    axum::extract::State(st): axum::extract::State<St>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let ctx = lang::ctx_of(&req);
    let seen = ops::Seen::of(&req);
    let asked = guard::Asked::of(&req);
    let res = lang::scoped(ctx, async {
        let res = next.run(req).await;
        let res = guard::audit_if_forbidden(&st, asked, res).await;
        ops::observed(&st, seen, res)
    })
    .await;
    security_headers(res, st.cfg.secure_cookies)
}

/// The router. The database must be migrated already ([`Db::open`] once, as [`serve`] does).
pub fn app(cfg: Config) -> std::io::Result<Router> {
    Ok(build(cfg)?.0)
}

/// The shared state: the connection pool, limits, metrics, runs and the audit writer.
fn state(cfg: Config, writer: audit::group::Writer) -> St {
    Arc::new(AppState {
        pool: Pool {
            url: cfg.db_url.clone(),
            in_process: cfg.db_url.starts_with("sqlite"),
            mmap: cfg.sqlite_mmap,
            idle: Mutex::new(Vec::new()),
            max_idle: cfg.pool_size,
        },
        limits: guard::Limits::new(&cfg),
        metrics: ops::Metrics::new(writer.stats().clone()),
        runs: month::Runs::default(),
        sessions: access::SessionCache::new(cfg.session_cache_ms),
        audit: writer,
        cfg,
    })
}

fn build(mut cfg: Config) -> std::io::Result<(Router, St)> {
    // over TLS, cookies are always Secure and HSTS always sent
    cfg.secure_cookies |= cfg.tls.is_some();
    let opts = audit::group::Options {
        gather: std::time::Duration::from_micros(cfg.audit_gather_us),
        ..Default::default()
    };
    let writer = audit::group::Writer::start(&cfg.db_url, opts)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let st = state(cfg, writer);
    let router = Router::new()
        .route("/", get(pages::home))
        .route("/static/app.css", get(pages::css))
        .route("/lang", get(lang::switch))
        .route("/login", get(pages::login_form).post(pages::login_submit))
        .route("/logout", post(pages::logout))
        .route("/dashboard", get(pages::dashboard))
        .route("/persons/lookup", post(pages::person_lookup))
        .route("/plans", get(plans::list))
        .route("/plans/{month}", get(plans::show))
        .route("/plans/{month}/decision", post(plans::decide))
        .route(
            "/bank/returns",
            get(returns::show)
                .post(returns::upload)
                .layer(axum::extract::DefaultBodyLimit::max(returns::MAX_UPLOAD)),
        )
        .route("/dues", get(dues::show))
        .route("/dues/download", get(dues::download))
        .route("/reports", get(reports::list))
        .route("/reports/{kind}", get(reports::show))
        .route("/accounts/final", get(accounts::final_accounts))
        .route("/close", get(accounts::close_status))
        .route(
            "/me/certification",
            get(certification::mine).post(certification::certify_mine),
        )
        .route("/certification", get(certification::show))
        .route("/certification/record", post(certification::record))
        .route("/recoveries", get(recoveries::show))
        .route("/recoveries/{action}", post(recoveries::act))
        .route(
            "/estimate",
            get(pages::estimate_form).post(pages::estimate_submit),
        )
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(contract::openapi_json))
        .route("/api/me", get(api::me))
        .route("/api/me/records", get(api::my_records))
        .route("/api/regions", get(api::regions))
        .route("/api/persons/{id_number}", get(api::person))
        .route("/api/pension/estimate", post(api::estimate))
        .route("/api/approvals", post(api::submit_approval))
        .route("/api/approvals/{id}", get(api::get_approval))
        .route("/api/approvals/{id}/decision", post(api::decide_approval))
        .merge(imports::routes())
        .merge(transfers::routes())
        .merge(retirement::routes())
        .merge(mine::routes())
        .merge(month::routes())
        .merge(audit_pages::routes())
        .merge(ledger_pages::routes())
        .merge(admin::routes())
        .merge(chain::routes())
        .merge(budget::routes())
        .merge(evaluation_pages::routes())
        .merge(analysis_pages::routes())
        .merge(backpay::routes())
        .merge(gap_pages::routes())
        .merge(projection_pages::routes())
        .merge(central_reserve::routes())
        .merge(paying_accounts::routes())
        .merge(search::routes())
        .merge(claims::routes())
        .merge(record_form::routes())
        .merge(migration_pages::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(st.clone(), edge))
        .with_state(st.clone());
    Ok((router, st))
}

/// Serve on a bound listener until the future `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    cfg: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // migrations once, up front, off the async threads (the database client blocks)
    let url = cfg.db_url.clone();
    tokio::task::spawn_blocking(move || Db::open(&url).map(drop))
        .await
        .map_err(std::io::Error::other)?
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let tls = cfg.tls.clone();
    let timeout = cfg.idle_timeout;
    let (router, st) = build(cfg)?;
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let r = match tls {
        Some(tls) => {
            // tap_io: the peer address reaches the handlers as ConnectInfo<SocketAddr>
            use axum::serve::ListenerExt;
            let listener = idle::IdleListener {
                inner: tls::TlsListener::new(listener, tls)?,
                timeout,
            }
            .tap_io(|_| {});
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await
        }
        None => {
            use axum::serve::ListenerExt;
            let listener = idle::IdleListener {
                inner: listener,
                timeout,
            }
            .tap_io(|_| {});
            axum::serve(listener, service)
                .with_graceful_shutdown(shutdown)
                .await
        }
    };
    // close pooled connections on a blocking thread too
    let idle: Vec<Db> = match st.pool.idle.lock() {
        Ok(mut v) => v.drain(..).collect(),
        Err(p) => p.into_inner().drain(..).collect(),
    };
    let _ = tokio::task::spawn_blocking(move || drop(idle)).await;
    r
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(16)
        .enable_all()
        .build()
}

/// `tongchou serve`: bind, print the address, serve until Ctrl-C.
pub fn run(bind: &str, cfg: Config) -> Result<(), String> {
    ops::init_logging();
    let rt = runtime().map_err(|e| format!("runtime: {e}"))?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .map_err(|e| format!("--bind {bind}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("--bind {bind}: {e}"))?;
        let scheme = if cfg.tls.is_some() { "https" } else { "http" };
        println!(
            "tongchou: serving on {scheme}://{addr}/ (database {})",
            redact(&cfg.db_url)
        );
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let r = serve(listener, cfg, shutdown)
            .await
            .map_err(|e| format!("serve: {e}"));
        ops::flush_logs();
        r
    })
}

/// A running server on a background thread (for tests and embedding). Dropping it stops it.
pub struct Background {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Start a server on `bind` (e.g. `127.0.0.1:0` for a random port) in a background thread.
pub fn spawn(bind: &str, cfg: Config) -> Result<Background, String> {
    let std_listener =
        std::net::TcpListener::bind(bind).map_err(|e| format!("bind {bind}: {e}"))?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| e.to_string())?;
    let addr = std_listener.local_addr().map_err(|e| e.to_string())?;
    // migrate before returning, so the first request never races the schema
    Db::open(&cfg.db_url).map_err(|e| e.to_string())?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = match runtime() {
            Ok(rt) => rt,
            Err(e) => {
                eprintln!("tongchou-server: runtime: {e}");
                return;
            }
        };
        rt.block_on(async move {
            let listener = match tokio::net::TcpListener::from_std(std_listener) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("tongchou-server: listener: {e}");
                    return;
                }
            };
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = serve(listener, cfg, shutdown).await {
                eprintln!("tongchou-server: {e}");
            }
        });
    });
    Ok(Background {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    })
}

/// A database URL without a password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_helpers() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; tc_session=abc; b=2"),
        );
        assert_eq!(cookie(&h, "tc_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "tc_pre"), None);
        let mut cfg = Config::new("sqlite::memory:");
        assert!(set_cookie(&cfg, "x", "y", None).ends_with("Secure"));
        cfg.secure_cookies = false;
        assert_eq!(
            set_cookie(&cfg, "x", "y", Some(0)),
            "x=y; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
        );
        assert!(ct_eq("abc", "abc"));
        assert!(!ct_eq("abc", "abd"));
        assert!(!ct_eq("abc", "ab"));
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
