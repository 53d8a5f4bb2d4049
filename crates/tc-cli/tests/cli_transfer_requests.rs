//! `tongchou transfer requests` through the real binary, on SQLite and PostgreSQL: a migrated
//! city's persons asked for by another province in a request file; a file with one bad row
//! transfers nobody and names the row and field; without `--seal-key-file` or `--plain` nothing
//! is done; the good file transfers every line, its certificates sealed into the output
//! directory (opened by `tongchou unseal`); the same file again transfers nothing twice.

mod run;

use run::transfer::{exchange_key, province};
use run::{PW, text, tongchou};

use std::path::Path;
use tongchou_core::Divisions;
use tongchou_core::access::Role;
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, testing};

fn story(db: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-migrate3-req-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let people = province(db, &dir.join("city"));
    assert_eq!(people.len(), 2);
    let out = dir.join("out");
    std::fs::create_dir_all(&out).expect("out");
    let file = |second_name: &str| {
        format!(
            "联系函编号,身份证号,姓名,转入省份代码,转入地经办机构\nBJ-1,{},{},110000,北京市社保中心\nBJ-2,{},{second_name},110000,北京市社保中心\n",
            people[0].0, people[0].1, people[1].0
        )
    };
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, file("不是他")).expect("bad");
    let good = dir.join("good.csv");
    std::fs::write(&good, file(&people[1].1)).expect("good");
    let o_dir = out.display().to_string();
    let run = |f: &Path, extra: &[&str]| {
        let fs = f.display().to_string();
        let mut a = vec!["transfer", "requests", &fs, "--output-dir", &o_dir];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--on", "2020-03-15", "--as", "officer"]);
        tongchou(db, &a)
    };
    let o = run(&bad, &["--plain"]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("第 3 行 姓名"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(run::count(db, "transfers"), 0);
    let o = run(&good, &[]);
    assert!(
        text(&o.stderr).contains("--seal-key-file"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(run::count(db, "transfers"), 0);
    let k = exchange_key(&dir);
    let o = run(&good, &["--seal-key-file", &k]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(run::count(db, "transfers"), 2);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let sealed = v["transfers"][0]["certificate"]
        .as_str()
        .expect("file")
        .to_string();
    let bytes = std::fs::read(&sealed).expect("sealed");
    assert!(bytes.starts_with(b"TONGCHOU-SEALED 1\nkind: transfer-certificate\n"));
    assert!(!bytes.windows(18).any(|w| w == people[0].0.as_bytes()));
    let opened = dir.join("opened.json").display().to_string();
    let o = tongchou(
        db,
        &[
            "unseal",
            "--key-file",
            &k,
            "--from",
            &sealed,
            "--out",
            &opened,
        ],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let cert = std::fs::read_to_string(&opened).expect("opened");
    assert!(cert.contains("tongchou-transfer-certificate/1") && cert.contains(&people[0].0));
    let o = run(&good, &["--seal-key-file", &k]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("\"already\": true"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        run::count(db, "transfers"),
        2,
        "the same file twice transfers once"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn transfer_requests_sqlite() {
    story(&testing::sqlite_url("cli_transfer_requests"), "sqlite");
}

#[test]
fn transfer_requests_postgres() {
    story(&testing::pg_url("cli_transfer_requests"), "pg");
}

/// One person out of province A with `transfer out`: refused without `--seal-key-file` or
/// `--plain`; sealed, the file holds no ID number; province B cannot read it without the key
/// and reads it with `transfer in --key-file`.
fn sealed_certificate(a: &str, b: &str, tag: &str) {
    let dir = std::env::temp_dir().join(format!("tc-transfer-out-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let people = province(a, &dir.join("city"));
    let cert = dir.join("cert.sealed").display().to_string();
    let id = people[0].0.as_str();
    let out = |extra: &[&str]| {
        let mut args = vec![
            "transfer",
            "out",
            "--id-number",
            id,
            "--to",
            "110000",
            "--on",
            "2020-03-15",
            "--output",
            &cert,
            "--as",
            "officer",
        ];
        args.extend_from_slice(extra);
        tongchou(a, &args)
    };
    let o = out(&[]);
    assert!(
        !o.status.success() && text(&o.stderr).contains("--seal-key-file"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(
        run::count(a, "transfers"),
        0,
        "refused before anything was transferred"
    );
    let k = exchange_key(&dir);
    let o = out(&["--seal-key-file", &k]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let total = v["total"].as_str().expect("total").to_string();
    let bytes = std::fs::read(&cert).expect("sealed");
    assert!(bytes.starts_with(b"TONGCHOU-SEALED 1\nkind: transfer-certificate\n"));
    assert!(!bytes.windows(id.len()).any(|w| w == id.as_bytes()));

    {
        let mut conn = Db::open(b).expect("open");
        Ledger::new(&mut conn)
            .open_standard(Divisions::shanxi())
            .expect("accounts");
        testing::add_user(
            &mut conn,
            "officer",
            Role::ProvinceBureauOfficer,
            140000,
            PW,
        );
    }
    let into = |extra: &[&str]| {
        let mut args = vec![
            "transfer",
            "in",
            "--certificate",
            &cert,
            "--received",
            &total,
            "--county",
            "140105",
            "--on",
            "2020-04-01",
            "--as",
            "officer",
        ];
        args.extend_from_slice(extra);
        tongchou(b, &args)
    };
    // both synthetic provinces are Shanxi: B reads the certificate (for 110000, Beijing) and
    // refuses it as not for itself, which it can only say once the key has opened it
    let o = into(&[]);
    assert!(!o.status.success(), "a sealed certificate read as plain");
    assert!(!text(&o.stderr).contains("110000"), "{}", text(&o.stderr));
    let o = into(&["--key-file", &k]);
    assert!(!o.status.success());
    assert!(text(&o.stderr).contains("110000"), "{}", text(&o.stderr));
    let o = into(&["--key-file", &dir.join("no-such.key").display().to_string()]);
    assert!(!o.status.success());
    assert_eq!(run::count(b, "transfers"), 0);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sealed_certificate_sqlite() {
    sealed_certificate(
        &testing::sqlite_url("cli_transfer_out_a"),
        &testing::sqlite_url("cli_transfer_out_b"),
        "sqlite",
    );
}

#[test]
fn sealed_certificate_postgres() {
    sealed_certificate(
        &testing::pg_url("cli_transfer_out_a"),
        &testing::pg_url("cli_transfer_out_b"),
        "pg",
    );
}
