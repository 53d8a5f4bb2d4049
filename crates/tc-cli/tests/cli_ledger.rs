//! Runs the real `tongchou` binary for the ledger commands, on SQLite and PostgreSQL: `check`
//! names tampering done directly in the database, and a process killed with SIGKILL in the middle
//! of a large linked group with person-level lines leaves the ledger as if it had not started.

mod run;
use run::{ok, tongchou};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tongchou_store::{Db, Val, testing};

/// `ledger check` of a tampered ledger: exit 1 and the finding on standard error, in Chinese by
/// default (`账簿损坏：…`); returned as the English reader reads it (`TONGCHOU_LANG=en`).
fn broken(db: &str) -> String {
    let zh = tongchou(db, &["ledger", "check"]);
    assert_eq!(
        zh.status.code(),
        Some(1),
        "check should fail: {}",
        String::from_utf8_lossy(&zh.stdout)
    );
    let zh = String::from_utf8_lossy(&zh.stderr).trim().to_string();
    assert!(zh.starts_with("账簿损坏："), "{zh}");
    assert!(!zh.contains("BROKEN"), "{zh}");
    let o = run::tongchou_env(db, &["ledger", "check"], &[("TONGCHOU_LANG", "en")]);
    assert_eq!(o.status.code(), Some(1));
    String::from_utf8_lossy(&o.stderr).trim().to_string()
}

fn exec(db: &str, sql: &str) {
    Db::connect(db).expect("connect").exec(sql, &[]).expect(sql);
}

fn check_catches_tampering(db: &str) {
    ok(&tongchou(db, &["ledger", "init"]));
    ok(&tongchou(
        db,
        &["ledger", "load-test", "--lines", "3000", "--key", "t1"],
    ));
    let out = ok(&tongchou(db, &["ledger", "check"]));
    assert!(out.starts_with("账簿核验通过："), "{out}");
    assert!(out.contains("234 笔转账"), "{out}");
    let en = ok(&run::tongchou_env(
        db,
        &["ledger", "check"],
        &[("TONGCHOU_LANG", "en")],
    ));
    assert!(
        en.starts_with("ok: ") && en.contains("234 transfers"),
        "{en}"
    );

    // a stored transfer
    exec(
        db,
        "UPDATE ledger_transfer SET amount = amount + 1 WHERE id = 5",
    );
    let e = broken(db);
    assert!(e.starts_with("BROKEN: transfer 5 (t1/"), "{e}");
    assert!(e.contains("does not match its hash"), "{e}");
    exec(
        db,
        "UPDATE ledger_transfer SET amount = amount - 1 WHERE id = 5",
    );
    ok(&tongchou(db, &["ledger", "check"]));

    // a stored balance
    exec(
        db,
        "UPDATE ledger_account SET credits_posted = credits_posted + 1 WHERE id = 140000051",
    );
    let e = broken(db);
    assert!(
        e.starts_with(
            "BROKEN: account 140000051 (140000 山西省 · 4601 remittances from the lower level)"
        ),
        "{e}"
    );
    exec(
        db,
        "UPDATE ledger_account SET credits_posted = credits_posted - 1 WHERE id = 140000051",
    );
    ok(&tongchou(db, &["ledger", "check"]));

    // the chain
    let mut c = Db::connect(db).expect("connect");
    let prev = c
        .query("SELECT prev_hash FROM ledger_transfer WHERE id = 7", &[])
        .expect("q")[0][0]
        .text()
        .expect("t")
        .to_string();
    c.exec(
        "UPDATE ledger_transfer SET prev_hash = $1 WHERE id = 7",
        &[Val::Str(&"0".repeat(64))],
    )
    .expect("tamper");
    let e = broken(db);
    assert!(e.starts_with("BROKEN: transfer 7 (t1/"), "{e}");
    assert!(e.contains("chain broken"), "{e}");
    c.exec(
        "UPDATE ledger_transfer SET prev_hash = $1 WHERE id = 7",
        &[Val::Str(&prev)],
    )
    .expect("undo");

    // a person-level line
    exec(
        db,
        "UPDATE ledger_line SET amount = amount + 5 WHERE transfer_id = 3 AND line_no = 2",
    );
    let e = broken(db);
    assert!(e.starts_with("BROKEN: lines of transfer 3"), "{e}");
    exec(
        db,
        "UPDATE ledger_line SET amount = amount - 5 WHERE transfer_id = 3 AND line_no = 2",
    );
    ok(&tongchou(db, &["ledger", "check"]));

    // the other commands
    let tb: serde_json::Value =
        serde_json::from_str(&ok(&tongchou(db, &["ledger", "balances", "--json"]))).expect("json");
    let books = tb["books"].as_array().expect("books");
    assert_eq!(books.len(), 2);
    assert!(books.iter().all(|b| b["balanced"] == true));
    let h: serde_json::Value = serde_json::from_str(&ok(&tongchou(
        db,
        &[
            "ledger",
            "history",
            "--account",
            "140000:fiscal_special_account",
            "--after",
            "2",
            "--limit",
            "2",
            "--json",
        ],
    )))
    .expect("json");
    let ids: Vec<i64> = h
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["id"].as_i64().expect("id"))
        .collect();
    assert_eq!(ids, vec![4, 6]);
    // the trial balance and the history as text: Chinese by default, English on request
    let tb = ok(&tongchou(db, &["ledger", "balances"]));
    assert!(tb.starts_with("试算平衡表（当前）"), "{tb}");
    assert!(tb.contains("科目代码") && tb.contains("借贷平衡"), "{tb}");
    assert!(tb.contains("财政专户"), "{tb}");
    let en = ["TONGCHOU_LANG", "en"];
    let tb = ok(&run::tongchou_env(
        db,
        &["ledger", "balances"],
        &[(en[0], en[1])],
    ));
    assert!(tb.starts_with("trial balance (current)"), "{tb}");
    assert!(tb.contains("Balanced") || tb.contains("balanced"), "{tb}");
    let args = [
        "ledger",
        "history",
        "--account",
        "140000:fiscal_special_account",
        "--limit",
        "2",
    ];
    let h = ok(&tongchou(db, &args));
    assert!(h.contains("明细账") && h.contains("流水号"), "{h}");
    // the accounts by their names, the code beside them, in the reader's language
    assert!(h.starts_with("140000 山西省 · 1004 财政专户存款"), "{h}");
    assert!(!h.contains("fiscal_special_account"), "{h}");
    assert!(h.contains("更多：--after"), "{h}");
    let h = ok(&run::tongchou_env(db, &args, &[(en[0], en[1])]));
    assert!(
        h.starts_with("history of 140000 山西省 · 1004 fiscal special-account deposits"),
        "{h}"
    );
    assert!(h.contains("more: --after"), "{h}");
    let bad = tongchou(
        db,
        &[
            "ledger",
            "history",
            "--account",
            "140100:fiscal_special_account",
        ],
    );
    assert_eq!(bad.status.code(), Some(2));
    ok(&tongchou(
        db,
        &["ledger", "month-end", "--period", "2024-01"],
    ));
}

#[test]
fn check_catches_tampering_sqlite() {
    check_catches_tampering(&testing::sqlite_url("cli_ledger"));
}

#[test]
fn check_catches_tampering_postgres() {
    check_catches_tampering(&testing::pg_url("cli_ledger"));
}

/// Counts that must not change across a killed write.
fn state(db: &str) -> Vec<i64> {
    let mut c = Db::connect(db).expect("connect");
    [
        "SELECT seq FROM ledger_head",
        "SELECT count(*) FROM ledger_transfer",
        "SELECT count(*) FROM ledger_line",
        "SELECT CAST(SUM(debits_posted + credits_posted) AS BIGINT) FROM ledger_account",
        "SELECT count(*) FROM ledger_transfer WHERE idem_key LIKE 'crash/%'",
    ]
    .iter()
    .map(|q| c.query_i64(q, &[]).expect(q))
    .collect()
}

fn spawn(db: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .args(args)
        .env("TONGCHOU_DB", db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tongchou")
}

/// Start a large linked group (234 transfers, `lines` person-level lines), wait until `writing`
/// says the transaction is in the middle of writing, SIGKILL the process, and check the ledger
/// is exactly as before; then the same group goes through.
fn killed_mid_write(db: &str, lines: &str, writing: &mut dyn FnMut() -> bool) {
    ok(&tongchou(db, &["ledger", "init"]));
    ok(&tongchou(
        db,
        &["ledger", "load-test", "--lines", "2000", "--key", "before"],
    ));
    let before = state(db);
    let mut child = spawn(
        db,
        &["ledger", "load-test", "--lines", lines, "--key", "crash"],
    );
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the write finished ({status}) before it could be killed: raise --lines");
        }
        if writing() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the write never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    assert_eq!(status.signal(), Some(9), "{status}");
    let out = child
        .stdout
        .take()
        .map(std::io::read_to_string)
        .transpose()
        .expect("stdout")
        .unwrap_or_default();
    assert!(!out.contains("完成"), "{out}");
    assert_eq!(state(db), before, "the killed group left traces");
    let out = ok(&tongchou(db, &["ledger", "check"]));
    assert!(out.starts_with("账簿核验通过："), "{out}");
    // nothing of the group was recorded, so it can simply be run again
    ok(&tongchou(
        db,
        &["ledger", "load-test", "--lines", "5000", "--key", "crash"],
    ));
    let after = state(db);
    assert_eq!(after[1], before[1] + 234);
    assert_eq!(after[4], 234);
    ok(&tongchou(db, &["ledger", "check"]));
}

#[test]
fn killed_mid_write_sqlite() {
    let db = testing::sqlite_url("cli_kill");
    let wal = format!("{}-wal", db.trim_start_matches("sqlite://"));
    // uncommitted pages spill into the WAL once the page cache is full: 32 MiB of them means
    // the group's transfers and balances are written and its lines are being inserted
    let mut writing = move || {
        std::fs::metadata(&wal)
            .map(|m| m.len() > 32 << 20)
            .unwrap_or(false)
    };
    killed_mid_write(&db, "3000000", &mut writing);
}

#[test]
fn killed_mid_write_postgres() {
    let app = format!("tongchou_kill_{}", std::process::id());
    let db = format!("{}&application_name={app}", testing::pg_url("cli_kill"));
    let mut watch = Db::connect(&testing::pg_base()).expect("connect");
    // the child's session is streaming the lines with COPY (after the transfers and balances)
    let mut writing = move || {
        let n = watch
            .query_i64(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active' AND query LIKE 'COPY ledger_line%'",
                &[Val::Str(&app)],
            )
            .expect("pg_stat_activity");
        n > 0
    };
    killed_mid_write(&db, "3000000", &mut writing);
}
