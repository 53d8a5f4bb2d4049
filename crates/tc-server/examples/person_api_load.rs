//! Load test (not a test): the audited person API (`GET /api/persons/{id_number}`) over loopback,
//! many keep-alive connections at once, with the audit rows counted afterwards (issue 13 item 8).
//!
//! ```text
//! # 1. a province of N insured in a database, and a provincial staff member to read it
//! cargo run --release -p tongchou-server --example person_api_load -- setup --db sqlite:///tmp/p10m.db --persons 10000000
//! # 2. the service on it (what `tongchou serve --plain-http` runs), in its own process
//! cargo run --release -p tongchou-server --example person_api_load -- serve --db sqlite:///tmp/p10m.db --bind 127.0.0.1:8931 2>/dev/null
//! #    (--mmap BYTES: the pooled SQLite connections read through a memory map, `Config::sqlite_mmap`)
//! # 3. the load: log in, read random persons of a sample for --warmup then --seconds seconds
//! cargo run --release -p tongchou-server --example person_api_load -- load --db sqlite:///tmp/p10m.db --addr 127.0.0.1:8931 --connections 64 --seconds 30
//! ```
//!
//! `load` prints requests/s and the latency percentiles of the measured window, every status
//! answered, the audit rows written during the whole run (warm-up included) against the reads
//! answered 200 (they must be equal: one `person.read` entry per read) and the group commit's
//! counters from `/metrics`. `--verify` also verifies the whole audit chain afterwards.
//! `--server-pid PID` (the `serve` process) adds the server's CPU time (utime + stime from
//! `/proc/PID/stat`) over the run divided by the answers, and the load generator's own.
//! The connections speak HTTP/1.1 by hand (`httparse` for the answers' heads): 10–13 µs of the
//! shared cores per request, against 15–17 µs with hyper's client (2026-12-06, load 4–9).
//!
//! An encrypted register: a master key for setup, serve and load alike (`TONGCHOU_MASTER_KEY`,
//! `TONGCHOU_MASTER_KEY_FILE`, or the key file `PATH.key` beside the SQLite file); `load` reveals
//! the sample's ID numbers with it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tongchou_core::RegionCode;
use tongchou_core::access::Role;
use tongchou_store::access::{AuthPolicy, NewUser, add_user};
use tongchou_store::audit::Actor;
use tongchou_store::{Db, Val};

/// The allocator of the `tongchou` binary, so that `serve` here is what `tongchou serve` runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LOGIN: &str = "bench.officer";
const PASSWORD: &str = "bench load: correct horse battery staple 7913";

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let db: String = arg("--db", String::new());
    if db.is_empty() {
        eprintln!("usage: person_api_load setup|serve|load --db URL …");
        std::process::exit(2);
    }
    let r = match mode.as_str() {
        "setup" => setup(&db, arg("--persons", 1_000_000), arg("--seed", 1)),
        "serve" => serve(&db, &arg("--bind", "127.0.0.1:8931".to_string())),
        "load" => load(&db),
        _ => Err(format!("unknown mode {mode:?}: setup, serve or load")),
    };
    if let Err(e) = r {
        eprintln!("person_api_load: {e}");
        std::process::exit(1);
    }
}

/// Generate and load the province, and add the provincial staff member of the load.
fn setup(url: &str, persons: usize, seed: u64) -> Result<(), String> {
    let t = Instant::now();
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed,
        persons,
        ..Default::default()
    })
    .map_err(|e| e.to_string())?;
    println!(
        "generated {persons} persons in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut db = Db::open(url).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let st = tongchou_sim::load::write_province(&mut db, &p).map_err(|e| e.to_string())?;
    println!(
        "loaded {} rows in {:.1} s",
        st.rows(),
        t.elapsed().as_secs_f64()
    );
    add_user(
        &mut db,
        &Actor::operator("bench"),
        &NewUser {
            login: LOGIN,
            display_name: "压测 Load test",
            role: Role::ProvinceBureauOfficer,
            region: RegionCode::new(140000).map_err(|e| e.to_string())?,
            person_id: None,
            password: PASSWORD,
        },
        &AuthPolicy::default(),
        tongchou_app::clock::now_ms(),
    )
    .map_err(|e| e.to_string())?;
    println!("user {LOGIN} added");
    Ok(())
}

/// The service as `tongchou serve --plain-http --bind ADDR` runs it.
fn serve(url: &str, bind: &str) -> Result<(), String> {
    let mut cfg = tongchou_server::Config::new(url);
    cfg.secure_cookies = false;
    cfg.sqlite_mmap = arg("--mmap", 0);
    cfg.audit_gather_us = arg("--audit-gather-us", cfg.audit_gather_us);
    tongchou_server::run(bind, cfg)
}

/// `n` ID numbers of random persons (ids 1..=max, as the synthetic province numbers them).
fn sample(db: &mut Db, n: usize) -> Result<Vec<String>, String> {
    let max = db
        .query_i64("SELECT COALESCE(MAX(id), 0) FROM persons", &[])
        .map_err(|e| e.to_string())?;
    if max == 0 {
        return Err("no persons: run setup first".into());
    }
    if let Some(m) = tongchou_store::keys::master_for(db.url()).map_err(|e| e.to_string())? {
        tongchou_store::keys::load_shared(db, std::sync::Arc::new(m)).map_err(|e| e.to_string())?;
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let id = 1 + (rng.next() % max as u64) as i64;
        let r = db
            .query_opt(
                "SELECT id_number FROM persons WHERE id = $1",
                &[Val::I64(id)],
            )
            .map_err(|e| e.to_string())?;
        if let Some(r) = r {
            let stored = r[0].text().map_err(|e| e.to_string())?;
            let plain = tongchou_store::keys::reveal(db, "persons.id_number", stored)
                .map_err(|e| e.to_string())?;
            out.push(plain);
        }
    }
    Ok(out)
}

/// xorshift64*: the requests' choice of person.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Log in through the form; the session cookie.
fn login(addr: SocketAddr) -> Result<String, String> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into();
    let mut form = agent
        .get(format!("http://{addr}/login"))
        .call()
        .map_err(|e| e.to_string())?;
    let pre = cookie_of(&form, "tc_pre")?;
    let page = form
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let marker = "name=\"csrf\" value=\"";
    let at = page.find(marker).ok_or("no csrf field")? + marker.len();
    let csrf = &page[at..at + 64];
    let r = agent
        .post(format!("http://{addr}/login"))
        .header("Cookie", format!("tc_pre={pre}"))
        .send_form([("login", LOGIN), ("password", PASSWORD), ("csrf", csrf)])
        .map_err(|e| e.to_string())?;
    cookie_of(&r, "tc_session")
}

fn cookie_of(r: &ureq::http::Response<ureq::Body>, name: &str) -> Result<String, String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .ok_or_else(|| format!("no {name} cookie (status {})", r.status()))
}

/// What one connection saw.
#[derive(Default)]
struct Tally {
    /// Latencies of the measured window, microseconds.
    micros: Vec<u32>,
    /// Answers by status, the whole run.
    statuses: std::collections::BTreeMap<u16, u64>,
    /// Answers in the measured window.
    measured: u64,
    errors: u64,
}

impl Tally {
    /// An answer with `status` to a request sent at `started`; its latency if in the window.
    fn count(&mut self, status: u16, started: Instant, from: Instant) {
        *self.statuses.entry(status).or_default() += 1;
        if started >= from {
            self.micros
                .push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
            self.measured += 1;
        }
    }
}

/// One keep-alive connection speaking HTTP/1.1 by hand: the request
/// written from one reused buffer, the answer's head parsed with `httparse` and its body read by
/// its `Content-Length`. The load generator shares the two cores with the server, so its own CPU
/// per request counts against the server's.
async fn raw_connection(
    addr: SocketAddr,
    cookie: String,
    ids: std::sync::Arc<Vec<String>>,
    seed: u64,
    (from, end): (Instant, Instant),
) -> Tally {
    use tokio::io::AsyncWriteExt;
    let mut t = Tally::default();
    let mut rng = Rng(seed | 1);
    let Ok(mut stream) = tokio::net::TcpStream::connect(addr).await else {
        t.errors += 1;
        return t;
    };
    let _ = stream.set_nodelay(true);
    let tail = format!(" HTTP/1.1\r\nhost: {addr}\r\ncookie: tc_session={cookie}\r\n\r\n");
    let mut req: Vec<u8> = Vec::with_capacity(256);
    let mut buf = vec![0u8; 8192];
    while Instant::now() < end {
        let id = &ids[(rng.next() % ids.len() as u64) as usize];
        req.clear();
        req.extend_from_slice(b"GET /api/persons/");
        req.extend_from_slice(id.as_bytes());
        req.extend_from_slice(tail.as_bytes());
        let started = Instant::now();
        let status = match stream.write_all(&req).await {
            Ok(()) => read_answer(&mut stream, &mut buf).await,
            Err(_) => None,
        };
        let Some(status) = status else {
            t.errors += 1;
            break;
        };
        t.count(status, started, from);
    }
    t
}

/// Read one answer whole from `stream`; its status. `None` when the connection fails or the
/// answer has no `Content-Length` (the service always sends one for these reads).
async fn read_answer(stream: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<u16> {
    use tokio::io::AsyncReadExt;
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = stream.read(&mut buf[filled..]).await.ok()?;
        if n == 0 {
            return None;
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut res = httparse::Response::new(&mut headers);
        let head = match res.parse(&buf[..filled]).ok()? {
            httparse::Status::Complete(head) => head,
            httparse::Status::Partial => continue,
        };
        let status = res.code?;
        let len: usize = res
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case("content-length"))
            .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok())?;
        let total = head + len;
        if buf.len() < total {
            buf.resize(total, 0);
        }
        while filled < total {
            let n = stream.read(&mut buf[filled..total]).await.ok()?;
            if n == 0 {
                return None;
            }
            filled += n;
        }
        return Some(status);
    }
}

/// CPU seconds (user + system) of process `pid` so far, from `/proc/PID/stat` (clock ticks of
/// 1/100 s, Linux's `USER_HZ`).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the fields after the command name in parentheses: state is field 3, utime 14, stime 15
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// CPU seconds of the server (`--server-pid`, if given) and of this process.
fn cpu_now() -> (Option<f64>, Option<f64>) {
    let server = arg("--server-pid", String::new());
    let server = (!server.is_empty()).then(|| cpu_seconds(&server)).flatten();
    (server, cpu_seconds("self"))
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

fn head_seq(db: &mut Db) -> Result<i64, String> {
    db.query_i64("SELECT COALESCE(MAX(seq), 0) FROM audit_log", &[])
        .map_err(|e| e.to_string())
}

/// The audit rows after `seq`: (`person.read` ok of the load's login, all rows).
fn rows_after(db: &mut Db, seq: i64) -> Result<(i64, i64), String> {
    let reads = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE seq > $1 AND login = $2 AND action = 'person.read' AND result = 'ok'",
            &[Val::I64(seq), Val::Str(LOGIN)],
        )
        .map_err(|e| e.to_string())?;
    let all = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE seq > $1",
            &[Val::I64(seq)],
        )
        .map_err(|e| e.to_string())?;
    Ok((reads, all))
}

/// The group commit's lines of `/metrics`.
fn audit_metrics(addr: SocketAddr) -> String {
    let body = ureq::get(format!("http://{addr}/metrics"))
        .call()
        .ok()
        .and_then(|mut r| r.body_mut().read_to_string().ok())
        .unwrap_or_default();
    body.lines()
        .filter(|l| l.starts_with("tongchou_audit_"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn load(url: &str) -> Result<(), String> {
    let addr: SocketAddr = arg("--addr", "127.0.0.1:8931".to_string())
        .parse()
        .map_err(|e| format!("--addr: {e}"))?;
    let conns: usize = arg("--connections", 64);
    let secs: u64 = arg("--seconds", 30);
    let warmup: u64 = arg("--warmup", 5);
    let threads: usize = arg("--threads", 1);
    let mut db = Db::connect(url).map_err(|e| e.to_string())?;
    let t = Instant::now();
    let ids = std::sync::Arc::new(sample(&mut db, arg("--sample", 100_000))?);
    println!(
        "sample of {} ID numbers in {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    let cookie = login(addr)?;
    let before = head_seq(&mut db)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let cpu_before = cpu_now();
    let start = Instant::now();
    let from = start + Duration::from_secs(warmup);
    let end = from + Duration::from_secs(secs);
    let tallies: Vec<Tally> = rt.block_on(async {
        let tasks: Vec<_> = (0..conns)
            .map(|i| {
                let seed = 0x1234_5678_9ABC_DEF1u64.wrapping_mul(i as u64 + 1);
                let (cookie, ids) = (cookie.clone(), ids.clone());
                tokio::spawn(raw_connection(addr, cookie, ids, seed, (from, end)))
            })
            .collect();
        let mut out = Vec::with_capacity(conns);
        for t in tasks {
            out.push(t.await.unwrap_or_default());
        }
        out
    });
    let cpu_after = cpu_now();
    let answers: u64 = tallies.iter().flat_map(|t| t.statuses.values()).sum();
    let per_read = |a: Option<f64>, b: Option<f64>| {
        a.zip(b)
            .map(|(a, b)| format!("{:.1} µs", (b - a) * 1e6 / answers.max(1) as f64))
            .unwrap_or_else(|| "-".into())
    };
    println!(
        "CPU per answer, whole run ({answers} answers, {:.1} s): server {}, load generator {}",
        start.elapsed().as_secs_f64(),
        per_read(cpu_before.0, cpu_after.0),
        per_read(cpu_before.1, cpu_after.1)
    );
    report(&mut db, addr, before, &tallies, secs)
}

fn report(
    db: &mut Db,
    addr: SocketAddr,
    before: i64,
    tallies: &[Tally],
    secs: u64,
) -> Result<(), String> {
    let mut micros: Vec<u32> = tallies
        .iter()
        .flat_map(|t| t.micros.iter().copied())
        .collect();
    micros.sort_unstable();
    let measured: u64 = tallies.iter().map(|t| t.measured).sum();
    let mut statuses = std::collections::BTreeMap::<u16, u64>::new();
    for t in tallies {
        for (k, v) in &t.statuses {
            *statuses.entry(*k).or_default() += v;
        }
    }
    let errors: u64 = tallies.iter().map(|t| t.errors).sum();
    println!(
        "measured {secs} s over {} connections: {measured} answers, {:.0} requests/s",
        tallies.len(),
        measured as f64 / secs as f64
    );
    println!(
        "latency ms: p50 {:.2}, p95 {:.2}, p99 {:.2}, p99.9 {:.2}, max {:.2}",
        percentile(&micros, 0.50),
        percentile(&micros, 0.95),
        percentile(&micros, 0.99),
        percentile(&micros, 0.999),
        percentile(&micros, 1.0)
    );
    println!(
        "answers by status, whole run (warm-up included): {statuses:?}; connection errors {errors}"
    );
    let (reads, all) = rows_after(db, before)?;
    let ok = statuses.get(&200).copied().unwrap_or(0) as i64;
    println!(
        "audit rows written during the run: {all} ({reads} person.read ok of {LOGIN}); reads answered 200: {ok}: {}",
        if reads == ok {
            "one entry per read"
        } else {
            "MISMATCH"
        }
    );
    println!("{}", audit_metrics(addr));
    if std::env::args().any(|a| a == "--verify") {
        let t = Instant::now();
        let v = tongchou_store::audit::verify_audit_chain(db).map_err(|e| e.to_string())?;
        println!(
            "audit chain: {} entries, {} ({:.1} s)",
            v.entries,
            if v.ok() { "verified" } else { "BROKEN" },
            t.elapsed().as_secs_f64()
        );
    }
    if reads != ok {
        return Err("audit rows do not match the reads".into());
    }
    Ok(())
}
