//! A bank's returns and the agencies' paying accounts through the real binary, on SQLite and
//! PostgreSQL: the demo's setup registers every county's paying account; the officer runs January
//! under their login and the approver decides; the simulated bank's pain.002 answers are read
//! with `tongchou bank returns FILE --as LOGIN` — by the paying county's agency (another county's
//! refused), once (again: nothing changes), a malformed file refused naming it — and listed.

mod run;
use run::{PW, ok, tongchou, tongchou_env};
use std::process::Output;
use tongchou_core::access::Role;
use tongchou_store::{Db, testing};

fn refused(o: &Output, needle: &str) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "must fail: {o:?}");
    assert!(err.contains(needle), "{needle:?} not in: {err}");
    err
}

fn digest(db: &str) -> String {
    ok(&tongchou(db, &["month", "digest"])).trim().to_string()
}

/// The number after `label` in the report (`成功：12`, `accepted: 12`).
fn count(report: &str, label: &str) -> u64 {
    report
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{label} not in {report}"))
}

fn returns(db: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-bank-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = dir.display().to_string();
    run::demo_setup(db, 1500);
    // every county has its paying account, set by the demo's officer
    let list = ok(&tongchou(
        db,
        &["bank", "account", "list", "--on", "2020-01-15"],
    ));
    assert!(
        list.contains("140105 小店区 | 支出户 | 1 | 2020-01-01"),
        "{list}"
    );
    assert!(list.contains("共 117 条"), "{list}");
    // January: run by the officer, decided by the approver, paid; no bank answers yet
    let run = [
        "month",
        "run",
        "--period",
        "2020-01",
        "--out",
        &out,
        "--as",
        "demo.officer",
        "--simulate-plans",
    ];
    ok(&tongchou(db, &run));
    ok(&tongchou(
        db,
        &[
            "plan",
            "decide",
            "--period",
            "2020-01",
            "--full",
            "--as",
            "demo.approver",
        ],
    ));
    ok(&tongchou(db, &run));
    // the simulated bank's answers, as files a bank sends back
    let mut conn = Db::open(db).expect("open");
    let answered =
        tongchou_bank::DateTime::new("2020-01-20".parse().expect("d"), 18, 0, 0).expect("time");
    let bank = tongchou_sim::bank::SimulatedBank {
        rejects: 2_000,
        seed: 5,
    };
    let answers =
        tongchou_sim::bank::answers(&mut conn, "2020-01".parse().expect("p"), &bank, answered)
            .expect("answers");
    assert!(answers.len() > 1);
    let mut paths = Vec::new();
    for (msg, bytes) in &answers {
        let p = dir.join(format!("{msg}.pain002.xml"));
        std::fs::write(&p, bytes).expect("write");
        paths.push(p.display().to_string());
    }
    // the first file's county (TC + county + …) has a clerk; so has another county
    let county: u32 = answers[0].0[2..8].parse().expect("county");
    let other = if county == 140105 { 140106 } else { 140105 };
    testing::add_user(&mut conn, "clerk.own", Role::CountyAgency, county, PW);
    testing::add_user(&mut conn, "clerk.other", Role::CountyAgency, other, PW);
    drop(conn);
    let before = digest(db);
    // another county's agency is refused, and nothing changes
    let read = |file: &str, login: &str| {
        tongchou(
            db,
            &["bank", "returns", file, "--on", "2020-01-21", "--as", login],
        )
    };
    refused(&read(&paths[0], "clerk.other"), "超出本人辖区");
    assert_eq!(digest(db), before);
    // the paying county's agency reads it
    let report = ok(&read(&paths[0], "clerk.own"));
    assert!(count(&report, "成功：") > 0, "{report}");
    assert!(count(&report, "退回：") > 0, "{report}");
    assert_eq!(count(&report, "隔离："), 0, "{report}");
    assert!(report.starts_with("回执文件："), "{report}");
    let after = digest(db);
    assert_ne!(after, before);
    // again: nothing changes
    let again = ok(&read(&paths[0], "clerk.own"));
    assert!(again.contains("已读取过"), "{again}");
    // in English (TONGCHOU_LANG=en), the same report's words
    let again_en = ok(&tongchou_env(
        db,
        &[
            "bank",
            "returns",
            &paths[0],
            "--on",
            "2020-01-21",
            "--as",
            "clerk.own",
        ],
        &[("TONGCHOU_LANG", "en")],
    ));
    assert!(
        again_en.starts_with("returns file: ")
            && again_en.contains("already read: nothing changed"),
        "{again_en}"
    );
    assert_eq!(digest(db), after);
    // a malformed file is refused naming it, writing nothing
    let broken = dir.join("broken.pain002.xml");
    let truncated = &answers[1].1[..answers[1].1.len() / 2];
    std::fs::write(&broken, truncated).expect("write");
    let broken = broken.display().to_string();
    let err = refused(&read(&broken, "demo.officer"), &broken);
    assert!(err.lines().count() == 1, "{err}");
    assert_eq!(digest(db), after);
    // the bureau reads the rest; the list shows each within the reader's region
    for p in &paths[1..] {
        ok(&read(p, "demo.officer"));
    }
    let mine = ok(&tongchou(
        db,
        &["bank", "return-files", "--as", "clerk.own"],
    ));
    assert!(
        mine.starts_with("读取日期 | 文件 | 地区") && mine.contains("共 1 个文件"),
        "{mine}"
    );
    let mine_en = ok(&tongchou_env(
        db,
        &["bank", "return-files", "--as", "clerk.own"],
        &[("TONGCHOU_LANG", "en")],
    ));
    assert!(
        mine_en.starts_with("read on | file | region") && mine_en.contains("\n1 files"),
        "{mine_en}"
    );
    let all = ok(&tongchou(
        db,
        &[
            "bank",
            "return-files",
            "--limit",
            "1000",
            "--as",
            "demo.officer",
        ],
    ));
    assert!(
        all.contains(&format!("共 {} 个文件", answers.len())),
        "{all}"
    );
    ok(&tongchou(db, &["ledger", "check"]));
    // every reading, refusal and failure is in the audit log
    let audit = ok(&tongchou(
        db,
        &[
            "audit",
            "log",
            "--action",
            "bank_returns.read",
            "--limit",
            "1000",
        ],
    ));
    for result in ["denied", "failed", "ok"] {
        let r = format!("\"result\":\"{result}\"");
        assert!(audit.contains(&r), "{result}: {audit}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bank_returns_on_sqlite() {
    returns(&testing::sqlite_url("cli_bank"), "sqlite");
}

#[test]
fn bank_returns_on_postgres() {
    returns(&testing::pg_url("cli_bank"), "pg");
}

/// A county agency sets its own paying account from a date on (a new version); another county's
/// is refused; a month paid after that date is drawn on it.
fn account_set(db: &str, tag: &str) {
    run::demo_setup(db, 1000);
    let mut conn = Db::open(db).expect("open");
    testing::add_user(&mut conn, "clerk.xd", Role::CountyAgency, 140105, PW);
    testing::add_user(
        &mut conn,
        "acct.rev",
        Role::ProvinceBureauApprover,
        140000,
        PW,
    );
    drop(conn);
    let code =
        tongchou_sim::accounts::credit_code(tongchou_core::RegionCode::new(140105).expect("c"))
            .expect("code");
    let set = |region: &str, login: &str| {
        tongchou(
            db,
            &[
                "bank",
                "account",
                "set",
                "--region",
                region,
                "--agency",
                "太原市小店区社会保险事业管理中心",
                "--credit-code",
                code.as_str(),
                "--account",
                "0502123409000012345",
                "--bank-name",
                "中国工商银行太原小店支行",
                "--cnaps",
                "102161000011",
                "--valid-from",
                "2020-01-10",
                "--as",
                login,
            ],
        )
    };
    refused(&set("140106", "clerk.xd"), "超出本人辖区");
    let o = ok(&set("140105", "clerk.xd"));
    assert!(
        o.starts_with("已设置：140105 小店区 第 2 版，自 2020-01-10 起"),
        "{o}"
    );
    assert!(ok(&set("140105", "clerk.xd")).contains("未更改"));
    let list = ok(&tongchou(
        db,
        &["bank", "account", "list", "--region", "140105"],
    ));
    assert!(
        list.contains("| 1 | 2020-01-01") && list.contains("| 2 | 2020-01-10"),
        "{list}"
    );
    assert!(list.contains("| 待复核 |"), "{list}");
    let en = ok(&tongchou_env(
        db,
        &["bank", "account", "list", "--region", "140105"],
        &[("TONGCHOU_LANG", "en")],
    ));
    assert!(en.contains("| pending |") && !en.contains("待复核"), "{en}");
    assert!(
        en.starts_with("region | kind | version | valid from") && en.contains("\n2 versions"),
        "{en}"
    );
    // maker–checker: the clerk cannot confirm it; the bureau's reviewer does
    let review = |login: &str| {
        tongchou(
            db,
            &[
                "bank",
                "account",
                "review",
                "--region",
                "140105",
                "--account-version",
                "2",
                "--as",
                login,
            ],
        )
    };
    refused(&review("clerk.xd"), "");
    assert!(
        ok(&review("acct.rev")).starts_with("已确认：140105 小店区 第 2 版，设置人 clerk.xd"),
        "reviewed"
    );
    let dir = std::env::temp_dir().join(format!("tc-bank-set-{tag}-{}", std::process::id()));
    let out = dir.display().to_string();
    ok(&tongchou(
        db,
        &[
            "month",
            "run",
            "--period",
            "2020-01",
            "--simulate",
            "3",
            "--returns",
            "none",
            "--out",
            &out,
        ],
    ));
    // --returns none: the files are issued, nobody answers them; the lines wait for the banks
    let mut conn = Db::open(db).expect("open");
    let lines = |conn: &mut Db, status: &str| {
        conn.query_i64(
            "SELECT count(*) FROM payroll_lines WHERE status = $1",
            &[tongchou_store::Val::Str(status)],
        )
        .expect("q")
    };
    assert!(lines(&mut conn, "issued") > 0);
    assert_eq!(lines(&mut conn, "paid"), 0);
    drop(conn);
    let answers = std::fs::read_dir(dir.join("2020-01"))
        .expect("files")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().to_string_lossy().contains("pain002"))
        .count();
    assert_eq!(answers, 0, "no bank answered");
    let xml: Vec<String> = std::fs::read_dir(dir.join("2020-01"))
        .expect("files")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.to_string_lossy().contains("TC140105")
                && p.to_string_lossy().ends_with(".pain001.xml")
        })
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect();
    assert!(!xml.is_empty());
    assert!(xml.iter().all(|x| x.contains("0502123409000012345")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn account_set_on_sqlite() {
    account_set(&testing::sqlite_url("cli_account"), "sqlite");
}

#[test]
fn account_set_on_postgres() {
    account_set(&testing::pg_url("cli_account"), "pg");
}
