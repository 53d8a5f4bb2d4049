//! A bank's return file uploaded in the browser, through the real server on a random port, on
//! SQLite and PostgreSQL: the paying county's agency uploads the simulated bank's pain.002 answer
//! to its payment file and sees the report; a clerk of another county is refused and nothing
//! changes; the same file again changes nothing; a malformed file is refused naming it; without
//! the CSRF field nothing is read; the list shows each user the files of their region.

mod support;

use support::{Client, PW, recorded, seed, seed_application, start};
use tongchou_app::disburse;
use tongchou_core::Period;
use tongchou_engine::disbursement::Decision;
use tongchou_store::ledger::Ledger;

fn month() -> Period {
    "2022-06".parse().expect("month")
}

fn scenario(url: &str, tag: &str) {
    seed(url);
    let out = std::env::temp_dir().join(format!("tc-returns-{tag}-{}", std::process::id()));
    let (mut db, policy, actors) = seed_application(url, &out);
    // the finance approver decides, the month pays 140105's pensioner
    let finance = tongchou_store::access::get_user(&mut db, "finance")
        .expect("q")
        .expect("finance")
        .principal();
    disburse::decide_fund_plan(&mut db, &finance, month(), &Decision::Full, 0).expect("decide");
    disburse::run_month(&mut db, &policy, month(), &actors, &recorded(&out)).expect("pay");
    let answered = tongchou_bank::DateTime::new(month().day(17), 18, 0, 0).expect("t");
    let bank = tongchou_sim::bank::SimulatedBank {
        rejects: 0,
        seed: 1,
    };
    let answers = tongchou_sim::bank::answers(&mut db, month(), &bank, answered).expect("answers");
    assert_eq!(answers.len(), 1);
    let (msg, bytes) = &answers[0];
    assert!(msg.starts_with("TC140105"), "{msg}");
    let file_name = format!("{msg}.pain002.xml");
    let before = disburse::state_digest(&mut db).expect("digest");
    let srv = start(url);

    // a clerk of another county sees the page but may not read 140105's file
    let mut clerk2 = Client::new(srv.addr);
    assert_eq!(clerk2.login("clerk2", PW).status, 303);
    let page = clerk2.get("/bank/returns");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("returns-form"), "{}", page.body);
    let csrf2 = Client::csrf_in(&page.body);
    let r = clerk2.post_multipart(
        "/bank/returns",
        &[("csrf", &csrf2)],
        ("file", &file_name, bytes),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(disburse::state_digest(&mut db).expect("digest"), before);

    // the county's own clerk: the dashboard links the page; without CSRF nothing is read
    let mut clerk = Client::new(srv.addr);
    assert_eq!(clerk.login("clerk", PW).status, 303);
    assert!(clerk.get("/dashboard").body.contains("returns-link"));
    let page = clerk.get("/bank/returns");
    let csrf = Client::csrf_in(&page.body);
    let r = clerk.post_multipart("/bank/returns", &[], ("file", &file_name, bytes));
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(disburse::state_digest(&mut db).expect("digest"), before);
    let r = clerk.post_multipart(
        "/bank/returns",
        &[("csrf", &csrf), ("on", "2022-06-18")],
        ("file", &file_name, bytes),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("id=\"report\""), "{}", r.body);
    assert!(r.body.contains("<dt>成功</dt><dd>1</dd>"), "{}", r.body);
    assert!(r.body.contains("<dt>退回</dt><dd>0</dd>"), "{}", r.body);
    assert!(
        r.body.contains(&file_name) && r.body.contains("140105 小店区"),
        "{}",
        r.body
    );
    let after = disburse::state_digest(&mut db).expect("digest");
    assert_ne!(after, before);
    // the same file again: nothing changes
    let r = clerk.post_multipart(
        "/bank/returns",
        &[("csrf", &csrf)],
        ("file", &file_name, bytes),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("already-read"), "{}", r.body);
    assert_eq!(disburse::state_digest(&mut db).expect("digest"), after);
    // a malformed file is refused, naming it
    let r = clerk.post_multipart(
        "/bank/returns",
        &[("csrf", &csrf)],
        ("file", "broken.xml", b"<Document><CstmrPmtStsRpt>"),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("broken.xml"), "{}", r.body);
    assert_eq!(disburse::state_digest(&mut db).expect("digest"), after);
    // the list: the clerk's county file for them, nothing for the other county
    let mine = clerk.get("/bank/returns");
    assert!(mine.body.contains(&file_name), "{}", mine.body);
    let theirs = clerk2.get("/bank/returns");
    assert!(!theirs.body.contains(&file_name), "{}", theirs.body);
    // the list exports what it shows (the clerk's files only)
    let (st, _, csv) = clerk.get_bytes("/bank/returns?export=csv");
    assert_eq!(st, 200);
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(
        csv.contains("读取日期,文件,地区") && csv.contains(&file_name),
        "{csv}"
    );
    let (_, _, other) = clerk2.get_bytes("/bank/returns?export=csv");
    assert!(!String::from_utf8_lossy(&other).contains(&file_name));
    // an insured person may not see the page
    let mut citizen = Client::new(srv.addr);
    assert_eq!(citizen.login("citizen", PW).status, 303);
    assert_eq!(citizen.get("/bank/returns").status, 403);
    drop(srv);
    let check = Ledger::new(&mut db).check().expect("check");
    assert!(check.problem.is_none(), "{:?}", check.problem);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn returns_upload_on_sqlite() {
    scenario(
        &tongchou_store::testing::sqlite_url("srv_returns"),
        "sqlite",
    );
}

#[test]
fn returns_upload_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("srv_returns"), "pg");
}
