//! Operations: health and readiness, Prometheus metrics, request ids and structured request logs.
//!
//! - `GET /healthz`: the process answers (`200 ok`).
//! - `GET /readyz`: the database answers a query (`200 ready`, else `503`).
//! - `GET /metrics`: Prometheus text exposition (the `prometheus-client` crate): requests by
//!   route pattern, method and status (refused logins and rate-limited requests among them, as
//!   403/401/429); request latency by route pattern; the audit queue (`tongchou_audit_queue`:
//!   entries waiting for their group commit, with the batches, entries written and failed, and
//!   the largest batch). Only route *patterns* (`/api/persons/{id_number}`) are labels, never
//!   the path itself, so no ID number reaches a metric or a log. Served to loopback clients only
//!   unless [`crate::Config::metrics_from_anywhere`].
//! - Every response carries an `X-Request-Id` (the client's, if it sent a sane one, else a new
//!   random one), and every request is logged as one structured `tracing` event with that id,
//!   the method, the route pattern, the status and the duration: no query string, no body, no
//!   cookie, no personal data. The lines reach standard error in batches ([`LogSink`]: when
//!   64 KiB wait, every 100 ms, and when the service stops), not one system call each.

use crate::{St, with_db};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;
use tongchou_store::audit::group::Stats;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: Route,
    method: MethodLabel,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    route: Route,
}

/// A route pattern as a label: the router's own shared text (no copy per request).
#[derive(Clone, Debug)]
pub(crate) enum Route {
    Matched(MatchedPath),
    Named(&'static str),
}

impl Route {
    fn of(req: &Request) -> Route {
        match req.extensions().get::<MatchedPath>() {
            Some(m) => Route::Matched(m.clone()),
            None => Route::Named("(unmatched)"),
        }
    }
    fn as_str(&self) -> &str {
        match self {
            Route::Matched(m) => m.as_str(),
            Route::Named(s) => s,
        }
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Route) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Route {}

impl std::hash::Hash for Route {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().hash(h);
    }
}

impl EncodeLabelValue for Route {
    fn encode(&self, e: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        std::fmt::Write::write_str(e, self.as_str())
    }
}

/// A request's method as a label (no copy per request).
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct MethodLabel(Method);

impl EncodeLabelValue for MethodLabel {
    fn encode(&self, e: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        std::fmt::Write::write_str(e, self.0.as_str())
    }
}

/// The group-commit writer's counters, read at each scrape.
#[derive(Debug)]
struct AuditQueue(Arc<Stats>);

impl Collector for AuditQueue {
    fn encode(&self, mut enc: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = &self.0;
        for (name, help, v) in [
            (
                "audit_queue",
                "Audit entries waiting for their group commit",
                s.queued(),
            ),
            (
                "audit_largest_batch",
                "The largest group commit of audit entries so far",
                s.largest(),
            ),
        ] {
            let g = ConstGauge::new(v as i64);
            g.encode(enc.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        for (name, help, v) in [
            (
                "audit_batches",
                "Group commits of audit entries",
                s.batches(),
            ),
            (
                "audit_entries_written",
                "Audit entries written by group commit",
                s.written(),
            ),
            (
                "audit_entries_failed",
                "Audit entries whose group commit failed (their requests refused)",
                s.failed(),
            ),
        ] {
            let c = ConstCounter::new(v);
            c.encode(enc.encode_descriptor(name, help, None, c.metric_type())?)?;
        }
        Ok(())
    }
}

/// The service's metrics.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabel, Histogram>,
}

fn latency_histogram() -> Histogram {
    // 1 ms … ~16 s
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

impl Metrics {
    pub(crate) fn new(audit: Arc<Stats>) -> Metrics {
        let mut registry = Registry::with_prefix("tongchou");
        registry.register_collector(Box::new(AuditQueue(audit)));
        let requests = Family::<RequestLabels, Counter>::default();
        let latency =
            Family::<RouteLabel, Histogram>::new_with_constructor(latency_histogram as fn() -> _);
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route pattern",
            latency.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
        }
    }

    fn observe(&self, route: &Route, method: &Method, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method: MethodLabel(method.clone()),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabel {
                route: route.clone(),
            })
            .observe(seconds);
    }
}

/// A request id the client sent, if it is one we can log (1–64 of `[A-Za-z0-9-_.]`).
fn sane_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    ((1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')))
    .then(|| s.to_string())
}

/// A fresh request id: 8 hex digits drawn once per process, then a counter (16 hex digits in
/// all). Unique within a process and across restarts with high probability; not secret, so no
/// system call per request (`getrandom` was one on every request).
fn new_id() -> String {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU32, Ordering};
    static PREFIX: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let prefix = PREFIX.get_or_init(|| {
        tongchou_store::access::random_bytes::<4>()
            .map(|b| tongchou_store::audit::hex(&b))
            .unwrap_or_else(|_| format!("{:08x}", std::process::id()))
    });
    format!("{prefix}{:08x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// What the edge notes of a request as it comes in, for [`observed`] when it is answered.
pub(crate) struct Seen {
    started: Instant,
    id: String,
    method: Method,
    route: Route,
}

impl Seen {
    pub(crate) fn of(req: &Request) -> Seen {
        Seen {
            started: Instant::now(),
            id: req
                .headers()
                .get("x-request-id")
                .and_then(sane_id)
                .unwrap_or_else(new_id),
            method: req.method().clone(),
            route: Route::of(req),
        }
    }
}

/// The request id, the metrics and the log line of every request (part of the service's one
/// middleware, `crate::edge`).
pub(crate) fn observed(st: &St, seen: Seen, mut res: Response) -> Response {
    let status = res.status().as_u16();
    let took = seen.started.elapsed();
    st.metrics
        .observe(&seen.route, &seen.method, status, took.as_secs_f64());
    tracing::info!(
        request_id = %seen.id,
        method = %seen.method,
        route = %seen.route.as_str(),
        status,
        ms = took.as_millis() as u64,
        "request"
    );
    if let Ok(v) = HeaderValue::from_str(&seen.id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Request logs as JSON lines on standard error (once per process; a second call does nothing),
/// written in batches through [`LogSink`].
pub fn init_logging() {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_writer(LogSink::global())
        .with_target(false)
        .try_init();
}

/// The request log's lines gathered in memory and written to standard error in batches: when
/// [`LogSink::FULL`] bytes wait, by a flusher thread every [`LogSink::EVERY`], and by
/// [`flush_logs`] when the service stops. A line written straight to standard error was one
/// system call per request (tens of thousands a second under the person API's load); a line
/// now waits at most a tenth of a second. Lines are whole: each is appended under one lock.
pub struct LogSink {
    waiting: std::sync::Mutex<Vec<u8>>,
}

impl LogSink {
    /// Write out once this much waits.
    pub const FULL: usize = 64 * 1024;
    /// The flusher's period.
    pub const EVERY: std::time::Duration = std::time::Duration::from_millis(100);

    /// The process's sink, its flusher thread started on first use.
    pub fn global() -> &'static LogSink {
        static SINK: std::sync::OnceLock<LogSink> = std::sync::OnceLock::new();
        SINK.get_or_init(|| {
            let _ = std::thread::Builder::new()
                .name("log-flush".into())
                .spawn(|| {
                    loop {
                        std::thread::sleep(LogSink::EVERY);
                        LogSink::global().flush_to(&mut std::io::stderr());
                    }
                });
            LogSink {
                waiting: std::sync::Mutex::new(Vec::with_capacity(Self::FULL)),
            }
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Append a line; write everything out when the batch is full.
    fn append(&self, line: &[u8], out: &mut impl std::io::Write) {
        let mut w = self.lock();
        w.extend_from_slice(line);
        if w.len() >= Self::FULL {
            // a log that cannot be written is not a reason to fail the request
            let _ = out.write_all(&w);
            w.clear();
        }
    }

    /// Write out whatever waits (under the lock, so batches keep their order).
    fn flush_to(&self, out: &mut impl std::io::Write) {
        let mut w = self.lock();
        if !w.is_empty() {
            let _ = out.write_all(&w);
            let _ = out.flush();
            w.clear();
        }
    }
}

/// The writer `tracing` formats one event into, then hands over whole.
pub struct SinkWriter(&'static LogSink);

impl std::io::Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.append(buf, &mut std::io::stderr());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for &'static LogSink {
    type Writer = SinkWriter;
    fn make_writer(&'a self) -> SinkWriter {
        SinkWriter(self)
    }
}

/// Write out the request log's waiting lines (when the service stops).
pub fn flush_logs() {
    LogSink::global().flush_to(&mut std::io::stderr());
}

/// `GET /healthz`.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: ready when the database answers.
pub async fn readyz(State(st): State<St>) -> Response {
    match with_db(&st, |db| Ok(db.query_i64("SELECT 1", &[])?)).await {
        Ok(1) => "ready".into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

/// `GET /metrics`: the Prometheus text exposition, to loopback clients unless configured.
pub async fn metrics(State(st): State<St>, ConnectInfo(addr): ConnectInfo<SocketAddr>) -> Response {
    if !addr.ip().is_loopback() && !st.cfg.metrics_from_anywhere {
        return (StatusCode::FORBIDDEN, "metrics: loopback only").into_response();
    }
    let mut out = String::new();
    if prometheus_client::encoding::text::encode(&mut out, &st.metrics.registry).is_err() {
        return (StatusCode::INTERNAL_SERVER_ERROR, "metrics: encoding").into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::LogSink;

    #[test]
    fn the_log_sink_writes_whole_lines_in_batches_and_in_order() {
        let sink = LogSink {
            waiting: std::sync::Mutex::new(Vec::new()),
        };
        let mut out: Vec<u8> = Vec::new();
        sink.append(b"{\"n\":1}\n", &mut out);
        sink.append(b"{\"n\":2}\n", &mut out);
        assert!(out.is_empty(), "nothing written before the batch is full");
        sink.flush_to(&mut out);
        assert_eq!(out, b"{\"n\":1}\n{\"n\":2}\n");
        sink.flush_to(&mut out);
        assert_eq!(out.len(), 16, "an empty flush writes nothing");
        let big = vec![b'x'; LogSink::FULL];
        sink.append(b"a\n", &mut out);
        sink.append(&big, &mut out);
        assert_eq!(
            out.len(),
            16 + 2 + LogSink::FULL,
            "a full batch is written at once"
        );
        assert_eq!(&out[16..18], b"a\n");
    }

    use super::*;

    #[test]
    fn only_sane_request_ids_are_kept() {
        assert_eq!(
            sane_id(&HeaderValue::from_static("abc-123")),
            Some("abc-123".to_string())
        );
        assert_eq!(sane_id(&HeaderValue::from_static("a b")), None);
        assert_eq!(sane_id(&HeaderValue::from_static("")), None);
    }

    #[test]
    fn fresh_request_ids_are_distinct_and_loggable() {
        let (a, b) = (new_id(), new_id());
        assert_ne!(a, b);
        assert_eq!(a[..8], b[..8], "one prefix per process");
        for id in [&a, &b] {
            assert_eq!(id.len(), 16);
            let v = HeaderValue::from_str(id).expect("a header value");
            assert_eq!(sane_id(&v).as_deref(), Some(id.as_str()));
        }
    }

    #[test]
    fn metrics_are_labelled_by_route_pattern() {
        let m = Metrics::new(Arc::new(Stats::default()));
        m.observe(
            &Route::Named("/api/persons/{id_number}"),
            &Method::GET,
            200,
            0.002,
        );
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &m.registry).expect("encode");
        assert!(
            out.contains(
                "tongchou_http_requests_total{route=\"/api/persons/{id_number}\",method=\"GET\",status=\"200\"} 1"
            ),
            "{out}"
        );
        assert!(out.contains("tongchou_http_request_duration_seconds_bucket"));
        assert!(out.contains("tongchou_audit_queue 0"), "{out}");
        assert!(
            out.contains("tongchou_audit_entries_written_total 0"),
            "{out}"
        );
    }
}
