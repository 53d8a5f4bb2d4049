//! The monthly cycle through the real binary: a run killed at random points (SIGKILL) and at
//! every step boundary resumes and ends in exactly the state of an uninterrupted run; a finished
//! month is refused. On SQLite and PostgreSQL.

mod run;
use run::{ok, tongchou_env as tongchou};
mod common;

use common::matches_snapshot;
use std::process::Command;
use std::time::Duration;

fn setup(db: &str) {
    run::demo_setup(db, 1500);
}

fn run_args(out: &str) -> Vec<String> {
    [
        "month",
        "run",
        "--period",
        "2020-01",
        "--simulate",
        "5",
        "--out",
        out,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn digest(db: &str) -> String {
    ok(&tongchou(db, &["month", "digest"], &[]))
        .trim()
        .to_string()
}

fn scenario(a: &str, b: &str, c: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-month-{tag}-{}", std::process::id()));
    let out = dir.display().to_string();
    let args = run_args(&out);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // A: uninterrupted
    setup(a);
    ok(&tongchou(a, &args, &[]));
    let want = digest(a);
    let again = tongchou(a, &args, &[]);
    assert!(!again.status.success(), "a finished month must be refused");
    assert!(String::from_utf8_lossy(&again.stderr).contains("统支已全部完成"));
    assert_eq!(digest(a), want, "the refused run changed nothing");
    // the month's report: the same figures on every backend
    let report = ok(&tongchou(
        a,
        &["report", "disbursement", "--period", "2020-01"],
        &[],
    ));
    matches_snapshot("disbursement_2020-01.txt", &report);

    // B: aborted right after each step in turn, then resumed
    setup(b);
    for step in ["payroll", "plans", "approve", "allocate", "passdown", "pay"] {
        let o = tongchou(b, &args, &[("TONGCHOU_CRASH_AFTER_STEP", step)]);
        assert!(
            !o.status.success(),
            "the crash hook after {step} must kill the run"
        );
    }
    ok(&tongchou(b, &args, &[]));
    assert_eq!(digest(b), want, "resumed after step crashes");

    // C: SIGKILL at pseudo-random moments until a run completes
    setup(c);
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15 ^ std::process::id() as u64;
    let mut kills = 0;
    for _ in 0..40 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = 30 + seed % 900;
        let mut child = Command::new(env!("CARGO_BIN_EXE_tongchou"))
            .arg("--db")
            .arg(c)
            .args(&args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay));
        match child.try_wait().expect("wait") {
            Some(_) => {}
            None => {
                child.kill().expect("kill");
                let _ = child.wait();
                kills += 1;
            }
        }
    }
    let last = tongchou(c, &args, &[]);
    // either it finishes now, or the month was already complete after the kills
    if !last.status.success() {
        assert!(
            String::from_utf8_lossy(&last.stderr).contains("统支已全部完成"),
            "{}",
            String::from_utf8_lossy(&last.stderr)
        );
    }
    assert_eq!(digest(c), want, "resumed after {kills} SIGKILLs");
    let check = tongchou(c, &["ledger", "check"], &[]);
    ok(&check);
    // the bank files are there under their final names and nothing is left staged, however the
    // runs were killed
    // (the month's files may sit in a folder of the month under --out)
    let mut names = Vec::new();
    let mut dirs = vec![dir.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d)
            .expect("out dir")
            .filter_map(|e| e.ok())
        {
            if e.path().is_dir() {
                dirs.push(e.path());
            } else {
                names.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    assert!(
        names.iter().any(|n| n.ends_with(".pain001.xml")),
        "{names:?}"
    );
    assert!(!names.iter().any(|n| n.ends_with(".part")), "{names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

fn sqlite(tag: &str) -> String {
    tongchou_store::testing::sqlite_url(tag)
}

#[test]
fn killed_month_resumes_to_the_same_state_on_sqlite() {
    scenario(&sqlite("ma"), &sqlite("mb"), &sqlite("mc"), "sqlite");
}

#[test]
fn killed_month_resumes_to_the_same_state_on_postgres() {
    let (a, b, c) = (
        tongchou_store::testing::pg_url("ma"),
        tongchou_store::testing::pg_url("mb"),
        tongchou_store::testing::pg_url("mc"),
    );
    scenario(&a, &b, &c, "pg");
}

/// Without `--simulate`, the officer runs the month under their own login, the month stops
/// before the plans step until the counties and cities have submitted their plans (here their
/// synthetic agencies, `--simulate-plans`), then after the plans step until the finance approver (never the officer) decides the application with
/// `tongchou plan decide`, and a second run applies the decision.
fn decided_by_the_approver(db: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-plan-{tag}-{}", std::process::id()));
    let out = dir.display().to_string();
    setup(db);
    let pw = [("TONGCHOU_PASSWORD", "demo-only-password-2020")];
    let run = ["month", "run", "--period", "2020-01", "--out", &out];
    let o = tongchou(db, &run, &[]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--as"), "{o:?}");
    // a county's agency does not run the province's month
    let mut by_clerk = run.to_vec();
    by_clerk.extend(["--as", "demo.clerk"]);
    let o = tongchou(db, &by_clerk, &pw);
    assert!(!o.status.success(), "{o:?}");
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("无权运行月度业务"), "{said}");
    let mut run_as = run.to_vec();
    run_as.extend(["--as", "demo.officer"]);
    // the counties and cities have not submitted their plans: the month waits, naming them
    let plans: serde_json::Value =
        serde_json::from_str(&ok(&tongchou(db, &run_as, &pw))).expect("json");
    let why = plans["disbursement"]["waiting"]["for"]
        .as_str()
        .unwrap_or("");
    assert!(
        why.contains("等待报送用款计划") && why.contains("未报送"),
        "{plans}"
    );
    assert!(plans["disbursement"].get("plans").is_none(), "{plans}");
    let status = ok(&tongchou(
        db,
        &[
            "plan",
            "status",
            "--month",
            "2020-01",
            "--as",
            "demo.officer",
        ],
        &pw,
    ));
    assert!(
        status.contains("\"waiting\"") && status.contains("\"cities\""),
        "{status}"
    );
    // one county's agency submits, its city returns it (not without a reason), the county
    // resubmits and the city forwards it, all through `tongchou plan`
    let county = plans["disbursement"]["waiting"]["regions"][0]["region"]
        .as_u64()
        .expect("a county") as u32;
    let city = county / 100 * 100;
    let mut conn = tongchou_store::Db::open(db).expect("open");
    let pwd = "demo-only-password-2020";
    use tongchou_core::access::Role;
    tongchou_store::testing::add_user(&mut conn, "county.clerk", Role::CountyAgency, county, pwd);
    tongchou_store::testing::add_user(&mut conn, "city.clerk", Role::CityAgency, city, pwd);
    let c = county.to_string();
    let plan = |args: &[&str], login: &str| {
        let mut a = vec!["plan"];
        a.extend_from_slice(args);
        a.extend(["--month", "2020-01", "--as", login]);
        tongchou(db, &a, &pw)
    };
    ok(&plan(
        &["submit", "--region", &c, "--note", "一月"],
        "county.clerk",
    ));
    let o = plan(&["return", "--region", &c, "--reason", " "], "city.clerk");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("退回须说明理由"),
        "{o:?}"
    );
    let o = plan(&["forward", "--region", &c], "county.clerk");
    assert!(!o.status.success(), "a county may not review its own plan");
    ok(&plan(
        &["return", "--region", &c, "--reason", "人数不符"],
        "city.clerk",
    ));
    ok(&plan(
        &["submit", "--region", &c, "--note", "已核对"],
        "county.clerk",
    ));
    ok(&plan(&["forward", "--region", &c], "city.clerk"));
    let shown: serde_json::Value =
        serde_json::from_str(&ok(&plan(&["status", "--region", &c], "county.clerk")))
            .expect("json");
    assert_eq!(
        shown["plan"]["versions"].as_array().map(Vec::len),
        Some(2),
        "{shown}"
    );
    assert_eq!(shown["plan"]["actions"][1]["reason"], "人数不符", "{shown}");
    assert_eq!(shown["plan"]["row"]["state"], "forwarded", "{shown}");
    // the other agencies are synthetic ones (demo and tests)
    run_as.push("--simulate-plans");
    let first: serde_json::Value =
        serde_json::from_str(&ok(&tongchou(db, &run_as, &pw))).expect("json");
    let waiting = &first["disbursement"]["waiting"];
    assert_eq!(waiting["application"]["status"], "pending", "{first}");
    assert!(first["disbursement"].get("approve").is_none(), "{first}");
    let show: serde_json::Value = serde_json::from_str(&ok(&tongchou(
        db,
        &["plan", "show", "--period", "2020-01"],
        &[],
    )))
    .expect("json");
    let planned: tongchou_core::Fen = show["application"]["planned"]
        .as_str()
        .expect("planned")
        .parse()
        .expect("fen");
    assert!(planned.is_positive(), "{show}");
    let half = tongchou_core::Fen::new(planned.fen() / 2).to_string();
    let decide = |amount: &str, login: &str| {
        tongchou(
            db,
            &[
                "plan",
                "decide",
                "--period",
                "2020-01",
                "--approve-yuan",
                amount,
                "--as",
                login,
            ],
            &pw,
        )
    };
    // the officer who submitted it may not decide it
    let o = decide(&half, "demo.officer");
    assert!(!o.status.success());
    // more than planned is refused, naming the amount
    let too_much = tongchou_core::Fen::new(planned.fen() + 1).to_string();
    let o = decide(&too_much, "demo.approver");
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("批准金额 1,006,438.49 元"),
        "{o:?}"
    );
    // a run before the decision still waits and changes nothing
    let before = digest(db);
    let again: serde_json::Value =
        serde_json::from_str(&ok(&tongchou(db, &run_as, &pw))).expect("json");
    assert!(again["disbursement"].get("waiting").is_some(), "{again}");
    assert_eq!(digest(db), before);
    // the approver decides half; deciding again is refused
    ok(&decide(&half, "demo.approver"));
    assert!(!decide(&half, "demo.approver").status.success());
    let done: serde_json::Value =
        serde_json::from_str(&ok(&tongchou(db, &run_as, &pw))).expect("json");
    assert_eq!(
        done["disbursement"]["approve"]["decision"], "partly_approved",
        "{done}"
    );
    assert_eq!(
        done["disbursement"]["approve"]["approved_fen"].as_i64(),
        Some(planned.fen() / 2),
        "{done}"
    );
    let report: serde_json::Value = serde_json::from_str(&ok(&tongchou(
        db,
        &["month", "report", "--period", "2020-01"],
        &[],
    )))
    .expect("json");
    let province = report["regions"]
        .as_array()
        .expect("regions")
        .iter()
        .find(|r| r["region"] == 140000)
        .expect("province")
        .clone();
    assert_eq!(
        province["approved"].as_str(),
        Some(half.as_str()),
        "{province}"
    );
    assert_eq!(
        province["allocated"].as_str(),
        Some(half.as_str()),
        "{province}"
    );
    assert_ne!(province["deferred"].as_str(), Some("0.00"), "{province}");
    let o = tongchou(db, &run_as, &pw);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("统支已全部完成"),
        "{o:?}"
    );
    ok(&tongchou(db, &["ledger", "check"], &[]));
    // the references booked, in the reader's language (the ledger keeps them as booked)
    let args = [
        "ledger",
        "history",
        "--account",
        "140000:fiscal_special_account",
    ];
    let h = ok(&tongchou(db, &args, &[]));
    assert!(
        h.contains("/ 历史结余 ")
            && h.contains("（活期存款）")
            && !h.contains("historical balance"),
        "{h}"
    );
    let h = ok(&tongchou(db, &args, &[("TONGCHOU_LANG", "en")]));
    assert!(
        h.contains("/ historical balance ") && h.contains(" (demand deposit)"),
        "{h}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_approver_decides_the_application_on_sqlite() {
    decided_by_the_approver(&sqlite("plan"), "sqlite");
}

#[test]
fn the_approver_decides_the_application_on_postgres() {
    decided_by_the_approver(&tongchou_store::testing::pg_url("plan"), "pg");
}

/// Run `tongchou ledger check` with extra arguments: (success, stderr).
fn ledger_check(db: &str, extra: &[&str]) -> (bool, String) {
    let mut args = vec!["ledger", "check"];
    args.extend_from_slice(extra);
    let o = tongchou(db, &args, &[]);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Payments under the ledger's guard: every change made behind the system's back to a paid line
/// or a payment file is caught by `ledger check`, the next payroll refuses to re-issue a line
/// turned `returned`, and a truncated journal fails the published anchor.
fn tampering(db: &str, tag: &str) {
    use tongchou_store::{Db, Val};
    let dir = std::env::temp_dir().join(format!("tc-tamper-{tag}-{}", std::process::id()));
    let out = dir.display().to_string();
    setup(db);
    let args = run_args(&out);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let month: serde_json::Value =
        serde_json::from_str(&ok(&tongchou(db, &args, &[]))).expect("json");
    let anchor = month["disbursement"]["ledger_anchor"]
        .as_str()
        .expect("the month publishes its journal head")
        .to_string();
    let (good, err) = ledger_check(db, &["--anchor", &anchor]);
    assert!(good, "{err}");
    let mut conn = Db::open(db).expect("open");
    let line = conn
        .query(
            "SELECT end_to_end FROM payroll_lines WHERE status = 'paid' ORDER BY end_to_end LIMIT 1",
            &[],
        )
        .expect("q");
    let e2e = line[0][0].text().expect("t").to_string();
    let mut tamper = |sql: &str, undo: &str, what: &str| {
        conn.exec(sql, &[Val::Str(&e2e)]).expect("tamper");
        let (good, err) = ledger_check(db, &[]);
        assert!(!good, "{what} must be caught");
        // a broken ledger (账簿损坏) named by the month's payments (发放) or payment files (支付)
        assert!(
            err.contains("账簿损坏") && (err.contains("发放") || err.contains("支付")),
            "{what}: {err}"
        );
        conn.exec(undo, &[Val::Str(&e2e)]).expect("undo");
    };
    tamper(
        "UPDATE payroll_line_rows SET amount_fen = amount_fen + 100000 WHERE end_to_end = $1",
        "UPDATE payroll_line_rows SET amount_fen = amount_fen - 100000 WHERE end_to_end = $1",
        "a paid line's amount raised",
    );
    tamper(
        "UPDATE payment_files SET ctrl_sum_fen = ctrl_sum_fen + 1 WHERE msg_id = (SELECT msg_id FROM payroll_lines WHERE end_to_end = $1)",
        "UPDATE payment_files SET ctrl_sum_fen = ctrl_sum_fen - 1 WHERE msg_id = (SELECT msg_id FROM payroll_lines WHERE end_to_end = $1)",
        "a file's control sum",
    );
    tamper(
        "UPDATE payment_files SET xml_sha256 = 'x' || xml_sha256 WHERE msg_id = (SELECT msg_id FROM payroll_lines WHERE end_to_end = $1)",
        "UPDATE payment_files SET xml_sha256 = substr(xml_sha256, 2) WHERE msg_id = (SELECT msg_id FROM payroll_lines WHERE end_to_end = $1)",
        "a file's digest",
    );
    // a paid line turned returned (as the returns mark one: the status, why it is held and its
    // message on its row, migrations 0063 and 0073): caught, and the next payroll refuses to pay
    // it again
    let stored = conn
        .query(
            "SELECT status, msg_id FROM payroll_line_rows WHERE end_to_end = $1",
            &[Val::Str(&e2e)],
        )
        .expect("q");
    let stored_status = stored[0][0].text().expect("t").to_string();
    let stored_msg = stored[0][1].opt_text().expect("t").map(str::to_string);
    conn.exec(
        "UPDATE payroll_line_rows SET status = 'returned', held = 'returned', \
         msg_id = (SELECT msg_id FROM payroll_lines WHERE end_to_end = $1) WHERE end_to_end = $1",
        &[Val::Str(&e2e)],
    )
    .expect("tamper");
    assert!(!ledger_check(db, &[]).0, "a paid line turned returned");
    let mut next = args.clone();
    next[3] = "2020-02";
    let o = tongchou(db, &next, &[]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("发放明细与账本不符"), "{err}");
    conn.exec(
        "UPDATE payroll_line_rows SET status = $2, held = NULL, msg_id = $3 WHERE end_to_end = $1",
        &[
            Val::Str(&e2e),
            Val::Str(&stored_status),
            stored_msg.as_deref().map(Val::Str).unwrap_or(Val::Null),
        ],
    )
    .expect("undo");
    let (good, err) = ledger_check(db, &["--anchor", &anchor]);
    assert!(good, "restored: {err}");
    // one more entry, published; then removed with the head and balances put back as they were:
    // the chain and the balances agree again, only the anchor proves the truncation
    ok(&tongchou(
        db,
        &[
            "income",
            "record",
            "--key",
            "tamper/1",
            "--region",
            "140000",
            "--kind",
            "subsidy-province",
            "--amount",
            "1000.00",
            "--date",
            "2020-01-28",
            "--as",
            "demo.officer",
        ],
        &[("TONGCHOU_PASSWORD", "demo-only-password-2020")],
    ));
    let head = conn
        .query("SELECT seq, hash FROM ledger_head", &[])
        .expect("q");
    let later = format!(
        "{}:{}",
        head[0][0].i64().expect("i"),
        head[0][1].text().expect("t")
    );
    assert!(ledger_check(db, &["--anchor", &later]).0);
    let last = conn
        .query(
            "SELECT id, debit_account, credit_account, amount, prev_hash FROM ledger_transfer ORDER BY id DESC LIMIT 1",
            &[],
        )
        .expect("q");
    let (id, dr, cr, amt, prev) = (
        last[0][0].i64().expect("i"),
        last[0][1].i64().expect("i"),
        last[0][2].i64().expect("i"),
        last[0][3].i64().expect("i"),
        last[0][4].text().expect("t").to_string(),
    );
    conn.exec("DELETE FROM ledger_transfer WHERE id = $1", &[Val::I64(id)])
        .expect("d");
    conn.exec(
        "UPDATE ledger_account SET debits_posted = debits_posted - $1 WHERE id = $2",
        &[Val::I64(amt), Val::I64(dr)],
    )
    .expect("u");
    conn.exec(
        "UPDATE ledger_account SET credits_posted = credits_posted - $1 WHERE id = $2",
        &[Val::I64(amt), Val::I64(cr)],
    )
    .expect("u");
    conn.exec(
        "UPDATE ledger_head SET seq = $1, hash = $2",
        &[Val::I64(id - 1), Val::Str(&prev)],
    )
    .expect("u");
    assert!(
        ledger_check(db, &[]).0,
        "without the anchor the truncation passes"
    );
    let (good, err) = ledger_check(db, &["--anchor", &later]);
    assert!(!good);
    assert!(err.contains("末尾的记录被删除"), "{err}");
    // a paid line deleted
    conn.exec(
        "DELETE FROM payroll_line_rows WHERE end_to_end = $1",
        &[Val::Str(&e2e)],
    )
    .expect("d");
    let (good, err) = ledger_check(db, &["--anchor", &anchor]);
    assert!(
        !good && err.contains("发放") && err.contains("payroll_lines"),
        "a paid line deleted: {err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tampering_is_caught_on_sqlite() {
    tampering(&sqlite("tamper"), "sqlite");
}

#[test]
fn tampering_is_caught_on_postgres() {
    tampering(&tongchou_store::testing::pg_url("cli_tamper"), "pg");
}

/// A month in progress refuses a second runner, naming who runs it and since when, and the
/// refused run writes nothing; once the first runner is gone (finished, or killed) a run proceeds.
fn one_runner_at_a_time(db: &str, tag: &str) {
    use tongchou_store::run_lock::{self, Attempt, Holder};
    let dir = std::env::temp_dir().join(format!("tc-lock-{tag}-{}", std::process::id()));
    let out = dir.display().to_string();
    let args = run_args(&out);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let period: tongchou_core::Period = "2020-01".parse().expect("period");
    setup(db);
    let before = digest(db);
    // another runner (here the test itself) holds the month
    let mut holder_db = tongchou_store::Db::open(db).expect("open");
    let other = Holder {
        who: "demo.officer".into(),
        host: "h".into(),
        pid: 123,
        started_at: "2026-12-02T09:30:12.000Z".parse().expect("t"),
    };
    let Attempt::Taken(lock) =
        run_lock::try_take(&mut holder_db, "month", period, &other, Duration::ZERO).expect("lock")
    else {
        panic!("the month's lock is free");
    };
    let refused = tongchou(db, &args, &[]);
    assert!(!refused.status.success());
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(
        err.contains(
            "2020-01 的统收统支正在运行：demo.officer 自 2026-12-02T09:30:12.000Z 起（主机 h，进程 123）"
        ),
        "{err}"
    );
    assert_eq!(digest(db), before, "the refused run wrote nothing");
    drop(lock);
    // a real run, held in progress after its payroll step: a second run is refused naming it
    let mut first = Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .arg("--db")
        .arg(db)
        .args(&args)
        .env("TONGCHOU_PAUSE_AFTER_STEP", "payroll")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let named = format!("进程 {}", first.id());
    let mut seen = None;
    for _ in 0..600 {
        let h = run_lock::holder(&mut holder_db, "month", period).expect("holder");
        if h.as_ref().is_some_and(|h| h.pid == first.id()) {
            seen = h;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(seen.is_some(), "the first run takes the month");
    let second = tongchou(db, &args, &[]);
    assert!(!second.status.success());
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains(&named) && err.contains("demo.officer"),
        "{err}"
    );
    // killed, its lock dies with it: the month resumes and completes
    first.kill().expect("kill");
    let _ = first.wait();
    ok(&tongchou(db, &args, &[]));
    ok(&tongchou(db, &["ledger", "check"], &[]));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_month_in_progress_refuses_a_second_runner_on_sqlite() {
    one_runner_at_a_time(&sqlite("lock"), "sqlite");
}

#[test]
fn a_month_in_progress_refuses_a_second_runner_on_postgres() {
    one_runner_at_a_time(&tongchou_store::testing::pg_url("lock"), "pg");
}
