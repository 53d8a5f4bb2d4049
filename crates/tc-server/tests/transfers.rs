//! Transfers (转移接续) in the browser, on SQLite and PostgreSQL: a county clerk records a
//! transfer out and sees the certificate; a clerk of another county may not transfer that person;
//! the certificate downloaded sealed for the transfer platform's exchange key (nothing of it
//! readable without that key; refused while the service has no exchange key), opened, turned
//! into one received from another province and uploaded by
//! the provincial officer with less money than it says, is held; the officer who recorded it may
//! not release it (maker–checker), the provincial approver does, with a reason; without the CSRF
//! token nothing is done; an insured person may not see the page.

mod support;

use std::sync::Arc;
use support::{Client, PW, in_english, seed, start, start_with, transfer_ready};
use tongchou_core::Fen;
use tongchou_server::Exchange;
use tongchou_store::Db;
use tongchou_store::backup::MasterKey;

/// The ids of the transfers linked on a page, in order, each once.
fn linked(body: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, _) in body.match_indices("/transfers/") {
        let n: String = body[i + "/transfers/".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if !n.is_empty() && !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

fn scenario(url: &str) {
    seed(url);
    let id_number = transfer_ready(url);
    let db_url = url.to_string();
    let (key, _) = MasterKey::generate("the transfer platform's exchange key").expect("key");
    let key = Arc::new(key);
    let k = key.clone();
    let srv = start_with(url, move |c| {
        c.transfer_exchange = Some(Exchange::Sealed(k))
    });

    let mut citizen = Client::new(srv.addr);
    citizen.login("citizen", PW);
    assert_eq!(citizen.get("/transfers").status, 403);

    // another county's clerk may not transfer the person (nothing of them shown)
    let mut clerk2 = Client::new(srv.addr);
    clerk2.login("clerk2", PW);
    let p2 = clerk2.get("/transfers");
    let c2 = Client::csrf_in(&p2.body);
    let other = clerk2.post_form(
        "/transfers/out",
        &[
            ("csrf", &c2),
            ("id_number", &id_number),
            ("to", "110000"),
            ("on", "2025-03-10"),
        ],
    );
    assert_eq!(other.status, 404, "{}", other.body);
    assert!(!other.body.contains("周退休"), "{}", other.body);

    // the person's county clerk: the certificate at once
    let mut clerk = Client::new(srv.addr);
    clerk.login("clerk", PW);
    let page = clerk.get("/transfers");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("转出申请"), "{}", page.body);
    let csrf = Client::csrf_in(&page.body);
    let no_csrf = clerk.post_form(
        "/transfers/out",
        &[
            ("id_number", &id_number),
            ("to", "110000"),
            ("on", "2025-03-10"),
        ],
    );
    assert_eq!(no_csrf.status, 403, "{}", no_csrf.body);
    let bad = clerk.post_form(
        "/transfers/out",
        &[
            ("csrf", &csrf),
            ("id_number", &id_number),
            ("to", "北京"),
            ("on", "2025-03-10"),
        ],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    let out = clerk.post_form(
        "/transfers/out",
        &[
            ("csrf", &csrf),
            ("id_number", &id_number),
            ("to", "110000"),
            ("on", "2025-03-10"),
        ],
    );
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(
        out.body.contains("certificate-years")
            && out.body.contains("周退休")
            && out.body.contains("2024"),
        "{}",
        out.body
    );
    // 12 % of 12 × 6,000.00 元 of 2024
    assert!(out.body.contains("8,640.00 元"), "{}", out.body);
    let list = clerk.get("/transfers");
    assert!(
        list.body.contains("转出") && list.body.contains("已完成"),
        "{}",
        list.body
    );
    assert!(
        !list.body.contains(&id_number),
        "full ID number in the list"
    );
    let id = linked(&list.body)
        .first()
        .cloned()
        .expect("the transfer linked");
    let (status, headers, sealed) = clerk.get_bytes(&format!("/transfers/{id}?download=1"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&sealed));
    assert!(
        headers.iter().any(|(k, v)| k == "content-disposition"
            && v.contains(&format!("transfer-{id}.json.sealed"))),
        "{headers:?}"
    );
    let raw = String::from_utf8_lossy(&sealed);
    assert!(raw.starts_with("TONGCHOU-SEALED 1\nkind: transfer-certificate\n"));
    assert!(!raw.contains(&id_number) && !raw.contains("周退休"));
    let cert = support::opened(&key, &sealed);
    assert!(clerk2.get(&format!("/transfers/{id}")).status == 404);

    // the same certificate as if another province sent it, with 1 yuan less: held
    let mut c: serde_json::Value = serde_json::from_slice(&cert).expect("json");
    c["from_province"] = 110000.into();
    c["to_province"] = 140000.into();
    let total: Fen = c["total"].as_str().map_or_else(
        || Fen::new(c["total"].as_i64().expect("total")),
        |s| s.parse().expect("total"),
    );
    let received = Fen::new(total.fen() - 100).to_string();
    let bytes = serde_json::to_vec(&c).expect("bytes");
    let mut prov = Client::new(srv.addr);
    prov.login("prov", PW);
    let pp = prov.get("/transfers");
    let pc = Client::csrf_in(&pp.body);
    let held = prov.post_multipart(
        "/transfers/in",
        &[
            ("csrf", &pc),
            ("received", &received),
            ("county", "140105"),
            ("on", "2025-04-01"),
        ],
        ("file", "cert.json", &bytes),
    );
    assert_eq!(held.status, 303, "{}", held.body);
    let after = prov.get(held.header("location").expect("location"));
    assert!(after.body.contains("待复核"), "{}", after.body);
    let held_id = linked(&after.body)
        .into_iter()
        .find(|n| *n != id)
        .expect("the held transfer linked");
    // the maker may not release it
    let own = prov.get(&format!("/transfers/{held_id}"));
    assert!(own.body.contains("decide-form"), "{}", own.body);
    let oc = Client::csrf_in(&own.body);
    let refused = prov.post_form(
        &format!("/transfers/{held_id}/decide"),
        &[
            ("csrf", &oc),
            ("decision", "release"),
            ("reason", "自己放行"),
        ],
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
    // the approver does, with a reason
    let mut approver = Client::new(srv.addr);
    approver.login("approver", PW);
    let ap = approver.get(&format!("/transfers/{held_id}"));
    assert_eq!(ap.status, 200, "{}", ap.body);
    let ac = Client::csrf_in(&ap.body);
    let blank = approver.post_form(
        &format!("/transfers/{held_id}/decide"),
        &[("csrf", &ac), ("decision", "release"), ("reason", " ")],
    );
    assert_eq!(blank.status, 400, "{}", blank.body);
    let ok = approver.post_form(
        &format!("/transfers/{held_id}/decide"),
        &[
            ("csrf", &ac),
            ("decision", "release"),
            ("reason", "差额为银行手续费"),
        ],
    );
    assert_eq!(ok.status, 303, "{}", ok.body);
    let shown = approver.get(ok.header("location").expect("location"));
    assert!(shown.body.contains("复核放行"), "{}", shown.body);
    in_english(
        &mut approver,
        &[&format!("/transfers/{held_id}"), "/transfers"],
        &["周退休", "差额为银行手续费"],
    );
    let mut db = Db::open(&db_url).expect("open");
    let audited = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action IN ('transfer.out', 'transfer.in', 'transfer.release', 'transfer.read') AND result = 'ok'",
            &[],
        )
        .expect("audit");
    assert!(audited >= 5, "{audited}");
    let denied = db
        .query_i64(
            "SELECT count(*) FROM audit_log WHERE action = 'transfer.denied' AND result = 'denied'",
            &[],
        )
        .expect("audit");
    assert!(denied >= 2, "{denied}");
    drop(srv);

    // a service without an exchange key hands no certificate out, and says why
    let srv = start(&db_url);
    let mut clerk = Client::new(srv.addr);
    clerk.login("clerk", PW);
    let shown = clerk.get(&format!("/transfers/{id}"));
    assert!(
        shown.body.contains("transfer-no-exchange") && !shown.body.contains("id=\"download\""),
        "{}",
        shown.body
    );
    let refused = clerk.get(&format!("/transfers/{id}?download=1"));
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(!refused.body.contains(&id_number), "{}", refused.body);
}

#[test]
fn transfers_page_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("transfers_web"));
}

#[test]
fn transfers_page_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("transfers_web"));
}
