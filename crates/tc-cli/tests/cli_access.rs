//! Runs the real `tongchou` binary for `user` and `audit`, on SQLite and PostgreSQL.

mod run;
use run::ok;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use tongchou_store::{Db, testing};

fn run(db: &str, args: &[&str], stdin: &str) -> Output {
    run_env(db, args, stdin, &[])
}

fn run_env(db: &str, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .args(args)
        .envs(env.iter().copied())
        .env("TONGCHOU_DB", db)
        .env_remove("TONGCHOU_PASSWORD")
        .env("USER", "tester")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tongchou");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn users_and_audit(db: &str) {
    let pw = "a long enough passphrase\n";
    let out = ok(&run(
        db,
        &[
            "user",
            "add",
            "--login",
            "clerk.xd",
            "--role",
            "county_agency",
            "--region",
            "140105",
            "--name",
            "小店区经办",
        ],
        pw,
    ));
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["role"], "county_agency");
    assert_eq!(v["region"], "140105");
    assert!(!out.contains("argon2"), "no hash in output");

    // wrong level, unknown role, short password, password on the command line
    let o = run(
        db,
        &[
            "user",
            "add",
            "--login",
            "xx1",
            "--role",
            "county_agency",
            "--region",
            "140100",
        ],
        pw,
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("region"));
    let o = run(
        db,
        &[
            "user", "add", "--login", "xx2", "--role", "root", "--region", "140000",
        ],
        pw,
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("--role"));
    let o = run(
        db,
        &[
            "user", "add", "--login", "xx3", "--role", "auditor", "--region", "140000",
        ],
        "short\n",
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("密码至少"));
    let o = run(
        db,
        &[
            "user",
            "add",
            "--login",
            "xx4",
            "--role",
            "auditor",
            "--region",
            "140000",
            "--password",
            "secretsecret1",
        ],
        "",
    );
    assert!(!o.status.success(), "no --password argument exists");

    // the password can come from the environment too
    let o = Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .args([
            "user",
            "add",
            "--login",
            "auditor1",
            "--role",
            "audit_admin",
            "--region",
            "140000",
        ])
        .env("TONGCHOU_DB", db)
        .env("TONGCHOU_PASSWORD", "another long passphrase")
        .env("USER", "tester")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    ok(&o);

    let list: serde_json::Value =
        serde_json::from_str(&ok(&run(db, &["user", "list"], ""))).expect("json");
    let logins: Vec<&str> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|u| u["login"].as_str().expect("login"))
        .collect();
    assert_eq!(logins, vec!["auditor1", "clerk.xd"]);
    // the roles named from the message catalogue: Chinese unless English is asked for
    assert_eq!(list[1]["role_label"], "县区社保经办机构", "{list}");
    let en: serde_json::Value = serde_json::from_str(&ok(&run_env(
        db,
        &["user", "list"],
        "",
        &[("TONGCHOU_LANG", "en")],
    )))
    .expect("json");
    assert_eq!(en[1]["role_label"], "County handling agency", "{en}");

    let log = ok(&run(
        db,
        &["audit", "log", "--user", "cli:console", "--limit", "10"],
        "",
    ));
    let lines: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    assert_eq!(lines[0]["action"], "user.add");
    assert_eq!(lines[0]["object_id"], "auditor1");
    assert_eq!(lines[0]["result_label"], "成功");
    let label = lines[0]["action_label"].as_str().expect("label");
    assert!(!label.is_empty() && label != "user.add", "{label}");

    let v: serde_json::Value =
        serde_json::from_str(&ok(&run(db, &["audit", "verify"], ""))).expect("json");
    assert_eq!(v["ok"], true);
    let head_seq = v["head"]["seq"].as_i64().expect("seq");
    let head_hash = v["head"]["hash"].as_str().expect("hash").to_string();
    assert_eq!(head_seq, 3, "two user.add and one audit.read");

    // tamper with the first entry in the database: verification fails and names it
    let mut conn = Db::open(db).expect("open");
    conn.exec("UPDATE audit_log SET result = 'denied' WHERE seq = 1", &[])
        .expect("tamper");
    let o = run(db, &["audit", "verify"], "");
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["broken"]["seq"], 1);
    let said = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        said.contains("第 1 条") && said.contains("被篡改"),
        "{said}"
    );
    // in Chinese only: the finding was English inside a Chinese sentence once
    assert_eq!(
        tongchou_core::i18n::other_language(&said, tongchou_core::i18n::Lang::ZhCn),
        None,
        "{said}"
    );

    // put it back, then cut the tail: only the published anchor reveals it
    conn.exec("UPDATE audit_log SET result = 'ok' WHERE seq = 1", &[])
        .expect("restore");
    conn.exec(
        "DELETE FROM audit_log WHERE seq >= $1",
        &[tongchou_store::Val::I64(head_seq)],
    )
    .expect("truncate");
    ok(&run(db, &["audit", "verify"], ""));
    let anchor = format!("{head_seq}:{head_hash}");
    conn.exec(
        "DELETE FROM audit_log WHERE seq > $1",
        &[tongchou_store::Val::I64(head_seq - 1)],
    )
    .expect("remove the verify entry");
    let o = run(db, &["audit", "verify", "--anchor", &anchor], "");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = run(db, &["audit", "verify", "--anchor", "3:xyz"], "");
    assert_eq!(o.status.code(), Some(2));
}

/// A deployment created with `TONGCHOU_CHAIN_HASH=sm3` chains its audit log with SM3: the head
/// names it, an anchor of it verifies, and the setting cannot go back to SHA-256.
fn sm3_deployment(db: &str) {
    let sm3 = [("TONGCHOU_CHAIN_HASH", "sm3")];
    let v: serde_json::Value =
        serde_json::from_str(&ok(&run_env(db, &["audit", "chain-hash"], "", &sm3))).expect("json");
    assert_eq!(v["chain_hash"], "sm3");
    // later runs without the variable keep the database's choice
    let v: serde_json::Value =
        serde_json::from_str(&ok(&run(db, &["audit", "verify"], ""))).expect("json");
    assert_eq!(v["ok"], true);
    let v: serde_json::Value =
        serde_json::from_str(&ok(&run(db, &["audit", "verify"], ""))).expect("json");
    let hash = v["head"]["hash"].as_str().expect("hash").to_string();
    assert!(hash.starts_with("sm3:") && hash.len() == 68, "{hash}");
    let anchor = format!("{}:{hash}", v["head"]["seq"]);
    ok(&run(db, &["audit", "verify", "--anchor", &anchor], ""));
    let o = run(db, &["audit", "chain-hash", "--set", "sha256"], "");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("不允许改回 SHA-256"));
    assert_eq!(
        Db::open(db)
            .expect("open")
            .chain_hash()
            .expect("alg")
            .name(),
        "sm3"
    );
}

#[test]
fn sqlite_sm3_deployment() {
    sm3_deployment(&testing::sqlite_url("cli_sm3"));
}

#[test]
fn postgres_sm3_deployment() {
    sm3_deployment(&testing::pg_url("cli_sm3"));
}

#[test]
fn sqlite_users_and_audit() {
    users_and_audit(&testing::sqlite_url("cli_access"));
}

#[test]
fn postgres_users_and_audit() {
    users_and_audit(&testing::pg_url("cli_access"));
}
