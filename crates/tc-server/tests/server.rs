//! The real server on a random port, against SQLite and PostgreSQL: login, lockout, region scope,
//! masking, CSRF refusals, maker–checker refusals, the public estimator, and the audit trail.

mod support;

use support::{Client, PW, seed, start};
use tongchou_store::Db;
use tongchou_store::audit::{Filter, list, verify_audit_chain};

fn audit_rows(url: &str, login: &str, action: &str) -> Vec<tongchou_store::audit::Record> {
    let mut db = Db::open(url).expect("open");
    list(
        &mut db,
        &Filter {
            login: Some(login.into()),
            action: Some(action.into()),
            limit: Some(1000),
            object: None,
        },
    )
    .expect("audit list")
}

fn scenario(url: &str) {
    let s = seed(url);
    let srv = start(url);
    let (p1_id, p1_idn, p1_name) = s.p1.clone();
    let (p2_id, p2_idn, _) = s.p2.clone();

    // --- login page: security headers and the pre-session cookie
    let mut c = Client::new(srv.addr);
    let form = c.get("/login");
    assert_eq!(form.status, 200);
    let csp = form.header("content-security-policy").expect("CSP");
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));
    assert_eq!(form.header("x-frame-options"), Some("DENY"));
    assert_eq!(form.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(form.header("cache-control"), Some("no-store"));
    let pre = form.headers_named("set-cookie").join("\n");
    assert!(pre.contains("tc_pre=") && pre.contains("HttpOnly") && pre.contains("SameSite=Strict"));
    let csrf = Client::csrf_in(&form.body);
    assert_eq!(form.header("x-request-id").map(str::len), Some(16));

    // --- operations: health, readiness, metrics by route pattern (never by path)
    let mut ops = Client::new(srv.addr);
    assert_eq!(ops.get("/healthz").body, "ok");
    assert_eq!(ops.get("/readyz").body, "ready");
    let m = ops.get("/metrics");
    assert_eq!(m.status, 200);
    assert!(
        m.body.contains(
            "tongchou_http_requests_total{route=\"/login\",method=\"GET\",status=\"200\"}"
        ),
        "{}",
        m.body
    );

    // --- login CSRF: missing or wrong token is refused before any password check
    let r = c.post_form("/login", &[("login", "clerk"), ("password", PW)]);
    assert_eq!(r.status, 403);
    let r = c.post_form(
        "/login",
        &[
            ("login", "clerk"),
            ("password", PW),
            ("csrf", &"0".repeat(64)),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(c.get("/api/me").status == 401);

    // --- login through the form
    let r = c.post_form(
        "/login",
        &[("login", "clerk"), ("password", PW), ("csrf", &csrf)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), Some("/dashboard"));
    let sc = r.headers_named("set-cookie").join("\n");
    assert!(
        sc.contains("tc_session=") && sc.contains("HttpOnly") && sc.contains("SameSite=Strict"),
        "{sc}"
    );
    let dash = c.get("/dashboard");
    assert_eq!(dash.status, 200);
    assert!(
        dash.body.contains("小店区") && dash.body.contains("140105"),
        "{}",
        dash.body
    );
    let me = c.get("/api/me").json();
    assert_eq!(me["role"], "county_agency");
    assert_eq!(me["region"]["code"], "140105");
    assert_eq!(me["region"]["level"], "county");
    let clerk_csrf = me["csrf_token"].as_str().expect("csrf").to_string();
    let regions = c.get("/api/regions").json();
    assert_eq!(regions["regions"].as_array().map(Vec::len), Some(1));

    // --- scope: own county in full (a county agency needs the full ID), another county refused
    let r = c.get(&format!("/api/persons/{p1_idn}"));
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["id_number"], p1_idn.as_str());
    assert_eq!(v["name"], p1_name.as_str());
    assert_eq!(v["pension"]["bank_account"], "6222021234567890");
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = c.get(&format!("/api/persons/{p2_idn}"));
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.json()["message"], "out_of_scope");
    assert!(!r.body.contains(&p2_idn));
    let denied = audit_rows(url, "clerk", "person.read");
    assert!(
        denied.iter().any(|e| e.result == "denied"
            && e.object_id == p2_id.to_string()
            && e.region == Some(140106)),
        "no denied audit row: {denied:?}"
    );
    assert!(
        denied
            .iter()
            .any(|e| e.result == "ok" && e.object_id == p1_id.to_string())
    );
    let r = c.get("/api/persons/140105196203150000");
    assert_eq!(r.status, 400);
    let unknown = tongchou_core::IdNumber::from_parts(
        support::rc(140105),
        tongchou_core::Date::new(1970, 1, 1).expect("d"),
        999,
    );
    assert_eq!(c.get(&format!("/api/persons/{unknown}")).status, 404);
    // the page lookup needs the form's CSRF token
    let r = c.post_form("/persons/lookup", &[("id_number", &p1_idn)]);
    assert_eq!(r.status, 403);
    let page_csrf = Client::csrf_in(&dash.body);
    let r = c.post_form(
        "/persons/lookup",
        &[("id_number", &p1_idn), ("csrf", &page_csrf)],
    );
    assert_eq!(r.status, 200);
    assert!(r.body.contains(&p1_idn));

    // --- masking: the provincial auditor sees the person, masked
    let mut a = Client::new(srv.addr);
    assert_eq!(a.login("auditor", PW).status, 303);
    let r = a.get(&format!("/api/persons/{p1_idn}"));
    assert_eq!(r.status, 200);
    let v = r.json();
    let masked = format!("{}********{}", &p1_idn[..6], &p1_idn[14..]);
    assert_eq!(v["id_number"], masked.as_str());
    assert_eq!(v["name"], "张*");
    // the birth date is the masked digits: not shown beside them (finding 3)
    assert!(
        !v["birth"].as_str().unwrap_or("").contains(&p1_idn[6..10]),
        "{v}"
    );
    assert_eq!(v["pension"]["bank_account"], "****7890");
    assert!(!r.body.contains(&p1_idn) && !r.body.contains("6222021234567890"));
    let regions = a.get("/api/regions").json();
    let cities = regions["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .filter(|r| r["level"] == "city")
        .count();
    assert_eq!(cities, 11);
    // a system administrator sees no personal data at all
    let mut sa = Client::new(srv.addr);
    assert_eq!(sa.login("sysadmin", PW).status, 303);
    let r = sa.get(&format!("/api/persons/{p1_idn}"));
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["message"], "no_permission");

    // --- CSRF on state-changing APIs and forms
    let body =
        serde_json::json!({"kind": "retirement", "object_id": "ret-1001", "region": "140105"});
    assert_eq!(c.post_json("/api/approvals", &body, None).status, 403);
    assert_eq!(
        c.post_json("/api/approvals", &body, Some(&"f".repeat(64)))
            .status,
        403
    );
    let r = c.post_form("/logout", &[]);
    assert_eq!(r.status, 403);
    assert_eq!(
        c.get("/api/me").status,
        200,
        "a refused logout leaves the session"
    );

    // --- requests of a kind that has its own procedure cannot be filed here (finding 11): a
    // clerk's "retirement" request would point at nothing and stay pending for ever
    let r = c.post_json("/api/approvals", &body, Some(&clerk_csrf));
    assert_eq!(r.status, 400, "{}", r.body);
    let mut f = Client::new(srv.addr);
    assert_eq!(f.login("fin.officer", PW).status, 303);
    let f_csrf = f.get("/api/me").json()["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string();
    let garbage = serde_json::json!({"kind": "allocation", "object_id": "garbage <script>", "region": "140000"});
    let r = f.post_json("/api/approvals", &garbage, Some(&f_csrf));
    assert_eq!(r.status, 400, "bad input is 4xx, never 500: {}", r.body);

    // --- maker–checker: the submitter cannot approve; nor can a role without the permission
    let body =
        serde_json::json!({"kind": "allocation", "object_id": "alloc-2026-03", "region": "140000"});
    let r = f.post_json("/api/approvals", &body, Some(&f_csrf));
    assert_eq!(r.status, 200, "{}", r.body);
    let ap = r.json();
    assert_eq!(ap["status"], "pending");
    let id = ap["id"].as_i64().expect("id");
    let decide = serde_json::json!({"decision": "approved", "note": "ok"});
    let r = f.post_json(
        &format!("/api/approvals/{id}/decision"),
        &decide,
        Some(&f_csrf),
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["message"], "self_approval");
    let auditor_csrf = a.get("/api/me").json()["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string();
    let r = a.post_json(
        &format!("/api/approvals/{id}/decision"),
        &decide,
        Some(&auditor_csrf),
    );
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["message"], "no_permission");
    let mut ap_client = Client::new(srv.addr);
    assert_eq!(ap_client.login("fin.approver", PW).status, 303);
    let ap_csrf = ap_client.get("/api/me").json()["csrf_token"]
        .as_str()
        .expect("csrf")
        .to_string();
    let r = ap_client.post_json(
        &format!("/api/approvals/{id}/decision"),
        &decide,
        Some(&ap_csrf),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "approved");
    let r = ap_client.post_json(
        &format!("/api/approvals/{id}/decision"),
        &decide,
        Some(&ap_csrf),
    );
    assert_eq!(r.status, 409);
    assert_eq!(
        f.get(&format!("/api/approvals/{id}")).json()["status"],
        "approved"
    );
    // a clerk who may neither see nor decide it is told it does not exist, and that is audited
    assert_eq!(c.get(&format!("/api/approvals/{id}")).status, 404);
    assert!(
        audit_rows(url, "clerk", "approval.read")
            .iter()
            .any(|e| e.result == "denied" && e.object_id == id.to_string())
    );
    let refusals = audit_rows(url, "fin.officer", "approval.decide");
    assert!(
        refusals
            .iter()
            .any(|e| e.result == "denied" && e.details.contains("self_approval"))
    );

    // --- lockout: five wrong passwords lock the account; then even the right one fails
    let mut x = Client::new(srv.addr);
    for _ in 0..5 {
        let r = x.login("clerk2", "not the password!");
        assert_eq!(r.status, 401);
        assert!(r.body.contains("login-error"));
    }
    let r = x.login("clerk2", PW);
    assert_eq!(r.status, 401, "locked");
    assert_eq!(x.get("/api/me").status, 401);
    let fails = audit_rows(url, "clerk2", "auth.login");
    assert!(fails.iter().any(|e| e.details.contains("locked_until")));
    assert!(
        fails
            .iter()
            .any(|e| e.details.contains("\"reason\":\"locked\""))
    );
    // an unknown login gets the same answer
    let r = x.login("nobody", PW);
    assert_eq!(r.status, 401);

    // --- the insured person sees their own record in full, and nobody else's
    let mut me = Client::new(srv.addr);
    assert_eq!(me.login("citizen", PW).status, 303);
    let r = me.get("/me/records");
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains(&p1_idn) && r.body.contains("4,194.36 元"),
        "{}",
        r.body
    );
    let r = me.get("/api/me/records");
    assert_eq!(r.json()["person_id"], p1_id);
    assert_eq!(me.get(&format!("/api/persons/{p2_idn}")).status, 403);
    assert_eq!(
        me.get(&format!("/api/persons/{p1_idn}")).status,
        403,
        "only through my records"
    );
    assert_eq!(
        c.get("/me/records").status,
        403,
        "staff have no 'my records'"
    );
    assert!(!audit_rows(url, "citizen", "person.read_own").is_empty());

    // --- logout ends the session on the server
    let token = c
        .cookies
        .get("tc_session")
        .cloned()
        .expect("session cookie");
    let dash = c.get("/dashboard");
    let r = c.post_form(
        "/logout",
        &[(
            "csrf",
            &Client::csrf_in(&dash.body[dash.body.find("logout-form").expect("logout form")..]),
        )],
    );
    assert_eq!(r.status, 303);
    assert_eq!(c.get("/api/me").status, 401);
    c.cookies.insert("tc_session".into(), token);
    assert_eq!(c.get("/api/me").status, 401, "the old token is dead");

    // --- the public estimator needs no login and stores nothing
    let mut anon = Client::new(srv.addr);
    let input = serde_json::json!({"birth":"1965-01","category":"male","paid_months":300,"deemed_months":96,
        "avg_index":"1.15","deemed_index":"1.0","account_balance":"120000.00","benefit_base":"7253",
        "transition_coefficient":"0.013"});
    let r = anon.post_json("/api/pension/estimate", &input, None);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["total"], "4194.36");
    let r = anon.post_json(
        "/api/pension/estimate",
        &serde_json::json!({"birth": "1965-13"}),
        None,
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["message"].as_str().unwrap_or("").contains("birth"));
    let r = anon.post_form(
        "/estimate",
        &[
            ("birth", "1965-01"),
            ("category", "male"),
            ("paid_months", "300"),
            ("deemed_months", "96"),
            ("avg_index", "1.15"),
            ("deemed_index", "1.0"),
            ("account_balance", "120000.00"),
            ("benefit_base", "7253"),
            ("transition_coefficient", "0.013"),
        ],
    );
    assert_eq!(r.status, 200);
    assert!(
        r.body
            .contains("<span class=\"total\" id=\"total\">4194.36</span>"),
        "{}",
        r.body
    );
    assert!(anon.cookies.is_empty());

    metrics_hold_no_id_number(&srv, &p1_idn);

    // --- the audit chain holds every event and verifies
    let mut db = Db::open(url).expect("open");
    let v = verify_audit_chain(&mut db).expect("verify");
    assert!(v.ok(), "{v:?}");
    assert!(v.entries > 20);
    drop(srv);
}

/// After the scenario: the metrics hold route patterns, never an ID number from a path.
fn metrics_hold_no_id_number(srv: &tongchou_server::Background, idn: &str) {
    let m = Client::new(srv.addr).get("/metrics");
    assert!(m.body.contains("/api/persons/{id_number}"), "{}", m.body);
    assert!(!m.body.contains(idn), "{}", m.body);
}

#[test]
fn sqlite_server() {
    scenario(&tongchou_store::testing::sqlite_url("server"));
}

#[test]
fn postgres_server() {
    scenario(&tongchou_store::testing::pg_url("server"));
}

/// Text from the database reaches pages escaped: a person's name and a user's display name
/// holding markup and quotes are shown as text, never as elements or attribute breaks.
fn escaping(url: &str) {
    seed(url);
    let hostile = "<script>alert(\"x\")</script>' onmouseover=\"y\" &amp;";
    let escaped =
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;' onmouseover=&quot;y&quot; &amp;amp;";
    let mut db = Db::open(url).expect("open");
    let idn = support::insert_person(&mut db, 1003, 140105, hostile, 31);
    tongchou_store::access::add_user(
        &mut db,
        &tongchou_store::audit::Actor::operator("test"),
        &tongchou_store::access::NewUser {
            login: "clerk3",
            display_name: hostile,
            role: tongchou_core::access::Role::CountyAgency,
            region: support::rc(140105),
            person_id: None,
            password: PW,
        },
        &tongchou_store::access::AuthPolicy::default(),
        tongchou_app::clock::now_ms(),
    )
    .expect("add user");
    drop(db);
    let srv = start(url);
    let mut c = Client::new(srv.addr);
    assert_eq!(c.login("clerk3", PW).status, 303);
    let dash = c.get("/dashboard");
    assert_eq!(dash.status, 200);
    assert!(
        dash.body
            .contains(&format!("<p id=\"welcome\">欢迎，{escaped}</p>")),
        "{}",
        dash.body
    );
    let csrf = Client::csrf_in(&dash.body);
    let r = c.post_form("/persons/lookup", &[("id_number", &idn), ("csrf", &csrf)]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains(&format!("<dt>姓名</dt><dd>{escaped}</dd>")),
        "{}",
        r.body
    );
    for page in [&dash.body, &r.body] {
        assert!(
            !page.contains("<script") && !page.contains("\"y\""),
            "{page}"
        );
    }
    // the JSON API carries the name as it is stored
    assert_eq!(
        c.get(&format!("/api/persons/{idn}")).json()["name"],
        hostile
    );
    drop(srv);
}

#[test]
fn sqlite_escaping() {
    escaping(&tongchou_store::testing::sqlite_url("escaping"));
}

#[test]
fn postgres_escaping() {
    escaping(&tongchou_store::testing::pg_url("escaping"));
}

/// Audit rows of one action and result.
fn audit_count(db: &mut Db, action: &str, result: &str) -> i64 {
    db.query_i64(
        "SELECT count(*) FROM audit_log WHERE action = $1 AND result = $2",
        &[
            tongchou_store::Val::Str(action),
            tongchou_store::Val::Str(result),
        ],
    )
    .expect("count")
}

/// Many reads at once (issue 13 item 8): every read answered, allowed (200), refused (403) or
/// not found (404), has exactly its one audit entry, written by the group commit before the
/// answer, and the log stays one chain.
fn concurrent_reads(url: &str) {
    let s = seed(url);
    let srv = start(url);
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    let unknown = tongchou_core::IdNumber::from_parts(
        support::rc(140105),
        tongchou_core::Date::new(1970, 1, 1).expect("d"),
        999,
    )
    .to_string();
    let paths = [s.p1.1.clone(), s.p2.1.clone(), unknown].map(|i| format!("/api/persons/{i}"));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let mut c = Client::new(srv.addr);
            c.cookies = clerk.cookies.clone();
            let paths = paths.clone();
            std::thread::spawn(move || {
                let mut got = std::collections::BTreeMap::<u16, i64>::new();
                for i in 0..30 {
                    let r = c.get(&paths[(t + i) % 3]);
                    *got.entry(r.status).or_default() += 1;
                }
                got
            })
        })
        .collect();
    let mut got = std::collections::BTreeMap::<u16, i64>::new();
    for t in threads {
        for (k, v) in t.join().expect("join") {
            *got.entry(k).or_default() += v;
        }
    }
    assert_eq!(got.values().sum::<i64>(), 240, "{got:?}");
    assert_eq!((got[&200], got[&403], got[&404]), (80, 80, 80), "{got:?}");
    let mut db = Db::open(url).expect("open");
    assert_eq!(audit_count(&mut db, "person.read", "ok"), got[&200]);
    assert_eq!(audit_count(&mut db, "person.read", "denied"), got[&403]);
    assert_eq!(audit_count(&mut db, "person.read", "failed"), got[&404]);
    // each refusal is also audited at the edge, through the same writer
    assert_eq!(audit_count(&mut db, "http.forbidden", "denied"), got[&403]);
    let v = verify_audit_chain(&mut db).expect("verify");
    assert!(v.ok(), "{v:?}");
    let m = Client::new(srv.addr).get("/metrics").body;
    assert!(m.contains("tongchou_audit_queue 0"), "{m}");
    assert!(m.contains("tongchou_audit_entries_failed_total 0"), "{m}");
    let written = m
        .lines()
        .find_map(|l| l.strip_prefix("tongchou_audit_entries_written_total "))
        .and_then(|v| v.trim().parse::<i64>().ok());
    assert_eq!(written, Some(240 + got[&403]), "{m}");
    drop(srv);
}

#[test]
fn sqlite_concurrent_reads_one_audit_entry_each() {
    concurrent_reads(&tongchou_store::testing::sqlite_url("reads"));
}

#[test]
fn postgres_concurrent_reads_one_audit_entry_each() {
    concurrent_reads(&tongchou_store::testing::pg_url("reads"));
}

/// With field encryption (a master key beside the SQLite file or in the environment, the demo's
/// and production's default) the person API finds the sealed ID number by its blind index and
/// reveals the record: the service's pooled connections carry the keyring.
fn encrypted_read(url: &str) {
    let s = seed(url);
    if let Some(path) = url.strip_prefix("sqlite://") {
        tongchou_store::keys::use_key_file(std::path::Path::new(&format!("{path}.key")))
            .expect("key file");
    } else {
        return; // PostgreSQL: the key comes from the environment, shared by every test
    }
    let mut db = Db::open(url).expect("open with the key");
    assert!(db.keyring().is_some());
    let (pid, idn, _) = s.p1.clone();
    let sealed = tongchou_store::keys::seal(&db, "persons.id_number", &idn).expect("seal");
    let blind = tongchou_store::keys::lookup_forms(&db, &idn)[0].clone();
    assert_ne!(blind, idn);
    db.exec(
        "UPDATE persons SET id_number = $1 WHERE id = $2",
        &[
            tongchou_store::Val::Str(&sealed),
            tongchou_store::Val::I64(pid),
        ],
    )
    .expect("seal person");
    db.exec(
        "UPDATE person_ids SET id_number = $1 WHERE person_id = $2",
        &[
            tongchou_store::Val::Str(&blind),
            tongchou_store::Val::I64(pid),
        ],
    )
    .expect("index person");
    let srv = start(url);
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    let r = clerk.get(&format!("/api/persons/{idn}"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains(&format!("\"person_id\":{pid}")),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("sm4") && !r.body.contains(&sealed),
        "{}",
        r.body
    );
    assert_eq!(audit_count(&mut db, "person.read", "ok"), 1);
    // a row not converted yet (plain number in `person_ids`) is still found, by its plain
    // number after the blind index found nothing: outside the clerk's county, so refused
    let r = clerk.get(&format!("/api/persons/{}", s.p2.1));
    assert_eq!(r.status, 403, "{}", r.body);
    // a new data key made after the server loaded its keyring (a rotation begun by another
    // process) and the fields resealed under it: the server reloads its keys when a field names
    // one it lacks, and only then (no query of the keys on every read)
    let master = tongchou_store::keys::master_for(url)
        .expect("key")
        .expect("a key");
    let master = std::sync::Arc::new(master);
    tongchou_store::keys::add_key(&mut db, master.as_ref(), "field").expect("new key");
    tongchou_store::keys::load_shared(&mut db, master).expect("reload");
    let resealed = tongchou_store::keys::seal(&db, "persons.id_number", &idn).expect("seal");
    let account = tongchou_store::keys::seal(&db, "pensioners.bank_account", "6222021234567890")
        .expect("seal");
    assert_ne!(
        tongchou_store::keys::Keyring::key_of(&resealed),
        tongchou_store::keys::Keyring::key_of(&sealed)
    );
    for (sql, v) in [
        ("UPDATE persons SET id_number = $1 WHERE id = $2", &resealed),
        (
            "UPDATE pensioners SET bank_account = $1 WHERE person_id = $2",
            &account,
        ),
    ] {
        db.exec(
            sql,
            &[tongchou_store::Val::Str(v), tongchou_store::Val::I64(pid)],
        )
        .expect("reseal");
    }
    let r = clerk.get(&format!("/api/persons/{idn}"));
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("\"bank_account\"") && !r.body.contains(&account),
        "{}",
        r.body
    );
    assert_eq!(audit_count(&mut db, "person.read", "ok"), 2);
    drop(srv);
}

#[test]
fn sqlite_encrypted_register_is_read_through_the_api() {
    encrypted_read(&tongchou_store::testing::sqlite_url("enc_read"));
}

/// The server keeps a session's user in memory between requests; a deactivation (lock) or a
/// role change refuses the session's very next request, on the person API and on `/api/me`
/// alike, however long the cache would otherwise keep it.
fn session_changes_refuse_at_once(url: &str) {
    let s = seed(url);
    let srv = support::start_with(url, |cfg| cfg.session_cache_ms = 600_000);
    let mut db = Db::open(url).expect("open");
    let op = tongchou_store::audit::Actor::operator("test");
    let now = tongchou_app::clock::now_ms;
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    let read = format!("/api/persons/{}", s.p1.1);
    for _ in 0..3 {
        assert_eq!(clerk.get(&read).status, 200);
    }
    assert_eq!(clerk.get("/api/me").status, 200);
    tongchou_store::access::set_active(&mut db, &op, "clerk", false, now()).expect("lock");
    assert_eq!(clerk.get(&read).status, 401, "locked: refused at once");
    assert_eq!(clerk.get("/api/me").status, 401);

    let mut clerk2 = Client::new(srv.addr);
    assert_eq!(clerk2.login("clerk2", PW).status, 303);
    let read2 = format!("/api/persons/{}", s.p2.1);
    assert_eq!(clerk2.get(&read2).status, 200);
    assert_eq!(clerk2.get("/api/me").status, 200);
    let city = support::rc(140100);
    let role = tongchou_core::access::Role::CityAgency;
    tongchou_store::access::set_role(&mut db, &op, "clerk2", role, city, now()).expect("role");
    assert_eq!(clerk2.get("/api/me").status, 401, "moved: refused at once");
    assert_eq!(clerk2.get(&read2).status, 401);
    // every read answered was audited, no refusal read anything
    assert_eq!(audit_count(&mut db, "person.read", "ok"), 4);
    drop(srv);
}

#[test]
fn sqlite_session_changes_refuse_at_once() {
    session_changes_refuse_at_once(&tongchou_store::testing::sqlite_url("sess_cache"));
}

#[test]
fn postgres_session_changes_refuse_at_once() {
    session_changes_refuse_at_once(&tongchou_store::testing::pg_url("sess_cache"));
}
