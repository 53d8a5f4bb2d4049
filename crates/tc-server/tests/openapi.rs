//! The API contract: `GET /openapi.json` is snapshotted (a change to the contract shows in
//! review), every `/api` route of the router is in it, and schemathesis runs against the real
//! server with it on SQLite and PostgreSQL: no server error, and every answer as the contract
//! says (status, content type, schema). schemathesis is installed by `scripts/prerequisites`; the
//! test fails when it is missing.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use support::{Client, PW, seed, start};

fn document(c: &mut Client) -> serde_json::Value {
    let r = c.get("/openapi.json");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.header("content-type"), Some("application/json"));
    r.json()
}

/// The `/api` paths the router serves, read from the sources (`"/api/…"` literals), in
/// OpenAPI's form.
fn routed_api_paths() -> BTreeSet<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeSet::new();
    for e in std::fs::read_dir(&dir).expect("src") {
        let path = e.expect("entry").path();
        if path.extension().is_none_or(|x| x != "rs") || path.ends_with("contract.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read source");
        for (i, _) in text.match_indices(".route(") {
            let rest = &text[i..];
            let Some(start) = rest.find('"') else {
                continue;
            };
            let lit = &rest[start + 1..];
            let Some(end) = lit.find('"') else { continue };
            let p = &lit[..end];
            if p.starts_with("/api/") || p == "/api" {
                out.insert(p.to_string());
            }
        }
    }
    out
}

#[test]
fn the_contract_is_served_and_covers_every_api_route() {
    let url = tongchou_store::testing::sqlite_url("openapi_doc");
    seed(&url);
    let srv = start(&url);
    let mut c = Client::new(srv.addr);
    // public: no login needed
    let doc = document(&mut c);
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let documented: BTreeSet<String> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .cloned()
        .collect();
    let routed = routed_api_paths();
    assert!(routed.len() >= 8, "{routed:?}");
    let missing: Vec<_> = routed.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes not in /openapi.json: {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&routed).collect();
    assert!(stale.is_empty(), "documented but not routed: {stale:?}");
    // the session cookie and the CSRF header as security schemes
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["session"]["in"], "cookie");
    assert_eq!(schemes["session"]["name"], "tc_session");
    assert_eq!(schemes["csrf"]["name"], "X-CSRF-Token");
    let text = serde_json::to_string_pretty(&doc).expect("json");
    insta::assert_snapshot!("openapi", text);
}

/// schemathesis: `TONGCHOU_SCHEMATHESIS`, or the venv of `scripts/prerequisites`, or on PATH.
fn schemathesis() -> PathBuf {
    if let Some(p) = std::env::var_os("TONGCHOU_SCHEMATHESIS") {
        return PathBuf::from(p);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let p = PathBuf::from(home).join(".local/share/tongchou/schemathesis/bin/schemathesis");
        if p.exists() {
            return p;
        }
    }
    let on_path = Command::new("schemathesis").arg("--version").output();
    assert!(
        on_path.is_ok_and(|o| o.status.success()),
        "schemathesis is not installed: run ./scripts/prerequisites \
         (or set TONGCHOU_SCHEMATHESIS to its path)"
    );
    PathBuf::from("schemathesis")
}

/// A session of `login`: (cookie value, CSRF token).
fn session(c: &mut Client, login: &str) -> (String, String) {
    assert_eq!(c.login(login, PW).status, 303);
    let me = c.get("/api/me").json();
    let csrf = me["csrf_token"].as_str().expect("csrf").to_string();
    let cookie = c.cookies.get("tc_session").expect("session").clone();
    (cookie, csrf)
}

/// Run schemathesis on the served contract as this session (only the paths matching `only`).
fn run(
    st: &std::path::Path,
    addr: std::net::SocketAddr,
    who: &(String, String),
    only: &str,
    report: &str,
) {
    let report = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(report);
    std::fs::create_dir_all(&report).expect("report dir");
    let out = Command::new(st)
        // its cache (`.schemathesis/`) goes beside the report, not into the sources
        .current_dir(&report)
        .arg("run")
        .arg(format!("http://{addr}/openapi.json"))
        .args(["-H", &format!("Cookie: tc_session={}", who.0)])
        .args(["-H", &format!("X-CSRF-Token: {}", who.1)])
        .args(["--include-path-regex", only])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            "25",
            "--seed",
            "20261203",
            // one worker: hypothesis' lambda descriptions are not thread-safe on Python 3.11
            "--workers",
            "1",
            "--request-timeout",
            "10",
            "--suppress-health-check",
            "all",
        ])
        .arg("--report-dir")
        .arg(&report)
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .output()
        .expect("run schemathesis");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{text}");
    assert!(out.status.success(), "schemathesis found problems:\n{text}");
    assert!(text.contains("Tested:"), "{text}");
}

fn fuzz(url: &str, name: &str) {
    let st = schemathesis();
    let s = seed(url);
    let srv = start(url);
    // a staff member who may read persons and decide approvals: every operation
    let mut c = Client::new(srv.addr);
    let approver = session(&mut c, "approver");
    assert_eq!(c.get(&format!("/api/persons/{}", s.p1.1)).status, 200);
    run(
        &st,
        srv.addr,
        &approver,
        "^/",
        &format!("schemathesis-{name}-approver"),
    );
    // one who may file allocation requests (approval 1 is theirs): the approvals
    let mut f = Client::new(srv.addr);
    let officer = session(&mut f, "fin.officer");
    let r = f.post_json(
        "/api/approvals",
        &serde_json::json!({"kind": "allocation", "object_id": "allocation/2026-12", "region": "140000"}),
        Some(&officer.1),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    run(
        &st,
        srv.addr,
        &officer,
        "^/api/approvals",
        &format!("schemathesis-{name}-officer"),
    );
    // nothing logged the sessions out
    assert_eq!(c.get("/api/me").status, 200);
    assert_eq!(f.get("/api/me").status, 200);
}

#[test]
fn schemathesis_passes_on_the_contract_sqlite() {
    fuzz(&tongchou_store::testing::sqlite_url("openapi_st"), "sqlite");
}

#[test]
fn schemathesis_passes_on_the_contract_postgres() {
    fuzz(&tongchou_store::testing::pg_url("openapi_st"), "postgres");
}
