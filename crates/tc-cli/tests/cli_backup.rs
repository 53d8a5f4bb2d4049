//! The restore drill through the real binary (issue 14 item 4, issue 16 item 5): months of a
//! small synthetic province, a sealed backup in the middle, more months, a restore that ends in
//! exactly the state at the backup (month digest), whose ledger and audit chains verify and
//! whose next month ends as the uninterrupted run's; tampered or foreign-key backups refused.
//! On SQLite and PostgreSQL; on PostgreSQL also the point-in-time recovery of a temporary
//! cluster with WAL archiving to a named restore point between two months.

mod run;
use run::ok;
mod cluster;
use cluster::{Cluster, as_postgres, chown_postgres, pg_bin, run_ok};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const KEY: &str = "8f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const OTHER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn tongchou_with(db: &str, args: &[&str], key: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tongchou"));
    c.arg("--db").arg(db).args(args);
    c.env_remove("TONGCHOU_MASTER_KEY_FILE");
    match key {
        Some(k) => c.env("TONGCHOU_MASTER_KEY", k),
        None => c.env_remove("TONGCHOU_MASTER_KEY"),
    };
    c.output().expect("run tongchou")
}

fn tongchou(db: &str, args: &[&str]) -> Output {
    tongchou_with(db, args, Some(KEY))
}

fn err(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "must fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn month(db: &str, period: &str, out: &Path) {
    let out = out.join(period).display().to_string();
    ok(&tongchou(
        db,
        &[
            "month",
            "run",
            "--period",
            period,
            "--simulate",
            "5",
            "--out",
            &out,
        ],
    ));
}

fn digest(db: &str) -> String {
    ok(&tongchou(db, &["month", "digest"])).trim().to_string()
}

fn chains_verify(db: &str) {
    ok(&tongchou(db, &["ledger", "check"]));
    let v: serde_json::Value =
        serde_json::from_str(&ok(&tongchou(db, &["audit", "verify"]))).expect("json");
    assert_eq!(v["ok"], true, "{v}");
}

fn setup(db: &str) {
    ok(&tongchou(
        db,
        &[
            "demo",
            "--persons",
            "1000",
            "--from",
            "2020-01",
            "--setup-only",
            // the registry straight in: the cities' legacy files would be written under the
            // working directory, shared by tests running at once
            "--direct",
        ],
    ));
}

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("tc-backup-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("dir");
    d
}

/// Back up after January, run February, restore: January's state exactly; then February again
/// on the restored database ends as the uninterrupted run.
fn drill(db: &str, target: &str, bad_target: &str, tag: &str) {
    let dir = scratch(tag);
    setup(db);
    month(db, "2020-01", &dir.join("a"));
    let january = digest(db);
    let file = dir.join("after-january.sealed");
    let f = file.display().to_string();
    let w: serde_json::Value =
        serde_json::from_str(&ok(&tongchou(db, &["backup", "--out", &f]))).expect("json");
    assert_eq!(w["cipher"], "sm4-gcm", "{w}");
    // never overwritten, never without the key
    err(&tongchou(db, &["backup", "--out", &f]));
    let e = err(&tongchou_with(
        db,
        &["backup", "--out", &format!("{f}.2")],
        None,
    ));
    assert!(e.contains("TONGCHOU_MASTER_KEY"), "{e}");
    // sealed: the header names the cipher and key; no plain database inside
    let bytes = std::fs::read(&file).expect("read");
    let head = String::from_utf8_lossy(&bytes[..300]).to_string();
    assert!(
        head.starts_with("TONGCHOU-SEALED 1\n") && head.contains("cipher: sm4-gcm"),
        "{head}"
    );
    assert!(
        head.contains("file key wrapped by TONGCHOU_MASTER_KEY"),
        "{head}"
    );
    for plain in [
        &b"SQLite format 3"[..],
        b"PGDMP",
        b"audit_log",
        b"demo.officer",
    ] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain),
            "{}",
            String::from_utf8_lossy(plain)
        );
    }
    // nor any ID number of the register
    let mut conn = tongchou_store::Db::connect(db).expect("connect");
    let ids = conn
        .query("SELECT id_number FROM persons ORDER BY id LIMIT 20", &[])
        .expect("ids");
    drop(conn);
    assert_eq!(ids.len(), 20);
    for r in ids {
        let id = r[0].text().expect("id").to_string();
        assert!(
            !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
            "{id} in clear"
        );
    }
    month(db, "2020-02", &dir.join("a"));
    let february = digest(db);
    assert_ne!(january, february);

    // tampered, or under another master key: refused, nothing restored
    let mut t = bytes.clone();
    let at = bytes.len() - 100;
    t[at] ^= 0x20;
    let tampered = dir.join("tampered.sealed");
    std::fs::write(&tampered, &t).expect("write");
    let e = err(&tongchou(
        bad_target,
        &["restore", "--from", &tampered.display().to_string()],
    ));
    assert!(e.contains("未通过认证"), "{e}");
    let e = err(&tongchou_with(
        bad_target,
        &["restore", "--from", &f],
        Some(OTHER_KEY),
    ));
    assert!(
        e.contains("文件密钥无法解开") || e.contains("无法用来自"),
        "{e}"
    );
    ok(&tongchou(db, &["restore", "--from", &f, "--check"]));

    ok(&tongchou(target, &["restore", "--from", &f]));
    assert_eq!(digest(target), january, "the restored state is January's");
    chains_verify(target);
    // a second restore into the same target is refused
    err(&tongchou(target, &["restore", "--from", &f]));
    month(target, "2020-02", &dir.join("b"));
    assert_eq!(
        digest(target),
        february,
        "February on the restored database"
    );
    chains_verify(target);
    chains_verify(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn restore_drill_on_sqlite() {
    let db = tongchou_store::testing::sqlite_url("bk");
    let target = tongchou_store::testing::sqlite_url("bkr");
    let bad = tongchou_store::testing::sqlite_url("bkx");
    drill(&db, &target, &bad, "sqlite");
    let bad_path = bad.trim_start_matches("sqlite://");
    assert!(
        !Path::new(bad_path).exists(),
        "a refused restore writes nothing"
    );
}

/// A fresh database on the test server (the dump's schema is restored under its own name).
fn fresh_database(tag: &str) -> (String, String) {
    let name = format!("tc_{tag}_{}", std::process::id());
    let base = tongchou_store::testing::pg_base();
    let mut admin = tongchou_store::Db::connect(&base).expect("connect");
    admin
        .batch(&format!("DROP DATABASE IF EXISTS {name}"))
        .expect("drop");
    admin
        .batch(&format!("CREATE DATABASE {name}"))
        .expect("create");
    let root = base
        .rsplit_once('/')
        .map(|(r, _)| r.to_string())
        .expect("url");
    (format!("{root}/{name}"), name)
}

fn drop_database(name: &str) {
    if let Ok(mut admin) = tongchou_store::Db::connect(&tongchou_store::testing::pg_base()) {
        let _ = admin.batch(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

#[test]
fn restore_drill_on_postgres() {
    let db = tongchou_store::testing::pg_url("bk");
    let schema = db
        .rsplit_once("schema=")
        .map(|(_, s)| s.to_string())
        .expect("schema");
    let (root, name) = fresh_database("restore");
    let (bad_root, bad_name) = fresh_database("refused");
    let target = format!("{root}?schema={schema}");
    let bad = format!("{bad_root}?schema={schema}");
    drill(&db, &target, &bad, "pg");
    // the refused restores left nothing in their database
    let mut b = tongchou_store::Db::connect(&bad_root).expect("connect");
    let n = b
        .query_i64(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
            &[tongchou_store::Val::Str(&schema)],
        )
        .expect("count");
    assert_eq!(n, 0);
    drop(b);
    drop_database(&name);
    drop_database(&bad_name);
}

fn in_recovery(url: &str) -> bool {
    // without the schema: a standby refuses the CREATE SCHEMA of a connection with one
    let base = url.split_once('?').map(|(b, _)| b).unwrap_or(url);
    let Ok(mut db) = tongchou_store::Db::connect(base) else {
        return true;
    };
    db.query_opt("SELECT CAST(pg_is_in_recovery() AS TEXT)", &[])
        .expect("query")
        .map(|r| r[0].text().map(|t| t == "true").unwrap_or(true))
        .unwrap_or(true)
}

fn set_private(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// A scratch directory owned by `postgres` with its WAL archive inside.
fn cluster_scratch(tag: &str) -> (PathBuf, PathBuf) {
    let dir = scratch(tag);
    let archive = dir.join("wal-archive");
    std::fs::create_dir_all(&archive).expect("dir");
    chown_postgres(&dir);
    (dir, archive)
}

/// Wait (up to a minute) until `done` holds.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed().as_secs() < 60, "{what}");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

/// Base backup, January, a restore point, February; recovered to the point: January exactly.
#[test]
fn point_in_time_recovery_to_a_restore_point_between_two_months() {
    pitr(false);
}

/// The same with the WAL archive sealed by `tongchou wal push` (the server's archive_command)
/// and opened by `wal fetch` (the restore_command `restore` writes): every archived segment is
/// a sealed file, and the recovery reaches January exactly through them.
#[test]
fn point_in_time_recovery_from_a_sealed_wal_archive() {
    pitr(true);
}

fn pitr(sealed: bool) {
    let (dir, archive) = cluster_scratch(if sealed { "pitrs" } else { "pitr" });
    let key_file = dir.join("master.key");
    let primary = if sealed {
        std::fs::write(&key_file, KEY).expect("key file");
        set_private(&key_file);
        chown_postgres(&dir);
        let conf = format!(
            "wal_level = replica\narchive_mode = on\narchive_command = 'TONGCHOU_MASTER_KEY_FILE=\"{}\" \"{}\" wal push \"%p\" \"{}/%f\"'\nmax_wal_senders = 4\n",
            key_file.display(),
            env!("CARGO_BIN_EXE_tongchou"),
            archive.display()
        );
        Cluster::init_with(&dir.join("primary"), &conf)
    } else {
        Cluster::init(&dir.join("primary"), &archive)
    };
    let db = primary.url();
    setup(&db);
    let base = dir.join("base.sealed");
    let b = base.display().to_string();
    let w: serde_json::Value =
        serde_json::from_str(&ok(&tongchou(&db, &["backup", "--base", "--out", &b])))
            .expect("json");
    assert_eq!(w["kind"], "backup-pg-base", "{w}");
    month(&db, "2020-01", &dir.join("a"));
    let january = digest(&db);
    ok(&tongchou(
        &db,
        &["backup", "--restore-point", "after-2020-01"],
    ));
    month(&db, "2020-02", &dir.join("a"));
    assert_ne!(digest(&db), january);
    // the WAL after February reaches the archive too (not needed, but the target lies before it)
    ok(&tongchou(
        &db,
        &["backup", "--restore-point", "after-2020-02"],
    ));

    let restored = dir.join("restored");
    let r = restored.display().to_string();
    let a = archive.display().to_string();
    let args = [
        "restore",
        "--from",
        &b,
        "--data-dir",
        &r,
        "--wal-archive",
        &a,
        "--target-name",
        "after-2020-01",
    ];
    if sealed {
        // the server still archives: a segment being sealed is `NAME.part` until it is whole
        // and renamed (`wal push`), and the restore never asks for such a name
        let segments: Vec<PathBuf> = std::fs::read_dir(&archive)
            .expect("archive")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_none_or(|x| x != "part"))
            .collect();
        assert!(!segments.is_empty(), "nothing archived");
        for s in &segments {
            assert!(
                tongchou_store::backup::is_sealed(s),
                "{} is not sealed",
                s.display()
            );
        }
        // the server opens the archive with the key file the restore names in its settings
        let mut c = Command::new(env!("CARGO_BIN_EXE_tongchou"));
        c.arg("--db").arg(&db).args(args);
        c.env_remove("TONGCHOU_MASTER_KEY");
        c.env("TONGCHOU_MASTER_KEY_FILE", &key_file);
        ok(&c.output().expect("restore"));
    } else {
        ok(&tongchou(&db, &args));
    }
    // the restored cluster must not archive into the primary's archive
    let auto = restored.join("postgresql.auto.conf");
    let mut text = std::fs::read_to_string(&auto).expect("auto.conf");
    text.push_str("archive_mode = off\n");
    std::fs::write(&auto, text).expect("auto.conf");
    chown_postgres(&restored);
    let second = Cluster::start(&restored);
    let url = second.url();
    wait_until("recovery did not finish", || !in_recovery(&url));
    assert_eq!(
        digest(&url),
        january,
        "recovered to the state after January exactly"
    );
    chains_verify(&url);
    month(&url, "2020-02", &dir.join("b"));
    chains_verify(&url);
    drop(second);
    drop(primary);
    let _ = std::fs::remove_dir_all(&dir);
}

fn steps_done(url: &str, period: i64) -> i64 {
    tongchou_store::Db::connect(url)
        .and_then(|mut db| {
            db.query_i64(
                "SELECT count(*) FROM job_steps WHERE period = $1",
                &[tongchou_store::Val::I64(period)],
            )
        })
        .unwrap_or(0)
}

fn sql(url: &str, statement: &str) {
    let base = url.split_once('?').map(|(b, _)| b).unwrap_or(url);
    let mut db = tongchou_store::Db::connect(base).expect("connect");
    db.batch(statement).expect(statement);
}

fn sync_standby_attached(url: &str) -> bool {
    let base = url.split_once('?').map(|(b, _)| b).unwrap_or(url);
    tongchou_store::Db::connect(base)
        .and_then(|mut db| {
            db.query_i64(
                "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'",
                &[],
            )
        })
        .map(|n| n > 0)
        .unwrap_or(false)
}

/// A streaming-replication standby with synchronous commit (issue 14 item 3): the primary is
/// killed in the middle of February, the standby promoted, February resumed against it: the
/// digest equals the uninterrupted run's, the same payment files and no more, both chains verify.
#[test]
fn a_synchronous_standby_takes_over_mid_month() {
    let (dir, archive) = cluster_scratch("standby");
    let mut primary = Some(Cluster::init(&dir.join("primary"), &archive));
    let db = primary.as_ref().map(Cluster::url).expect("primary");
    setup(&db);
    month(&db, "2020-01", &dir.join("run"));
    // the standby: a base backup of the primary with -R, streaming, named for the sync list
    let standby_dir = dir.join("standby");
    let port = primary.as_ref().map(|p| p.port).expect("port");
    run_ok(
        as_postgres(&pg_bin("pg_basebackup"))
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-R",
                "-X",
                "stream",
                "--checkpoint=fast",
                "-D",
            ])
            .arg(&standby_dir),
        "pg_basebackup -R",
    );
    let auto = standby_dir.join("postgresql.auto.conf");
    let mut text = std::fs::read_to_string(&auto).expect("auto.conf");
    text.push_str("cluster_name = 'standby1'\narchive_mode = off\n");
    std::fs::write(&auto, text).expect("auto.conf");
    let standby = Cluster::start(&standby_dir);
    sql(
        &db,
        "ALTER SYSTEM SET synchronous_standby_names = 'standby1'",
    );
    sql(&db, "SELECT pg_reload_conf()");
    wait_until("the standby did not become synchronous", || {
        sync_standby_attached(&db)
    });
    // February starts on the primary; the primary dies once some steps are done
    let out = dir.join("run").join("2020-02").display().to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tongchou"))
        .arg("--db")
        .arg(&db)
        .args([
            "month",
            "run",
            "--period",
            "2020-02",
            "--simulate",
            "5",
            "--out",
            &out,
        ])
        .env("TONGCHOU_MASTER_KEY", KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    while steps_done(&db, 202002) < 2 {
        assert!(
            child.try_wait().expect("wait").is_none(),
            "February ended before the kill"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        child.try_wait().expect("wait").is_none(),
        "February ended before the kill"
    );
    drop(primary.take()); // pg_ctl stop -m immediate: the primary dies
    let status = child.wait().expect("wait");
    let steps_then = steps_done(&standby.url(), 202002);
    run_ok(
        as_postgres(&pg_bin("pg_ctl"))
            .arg("-D")
            .arg(&standby_dir)
            .args(["-w", "promote"]),
        "promote",
    );
    let url = standby.url();
    wait_until("promotion did not finish", || !in_recovery(&url));
    month(&url, "2020-02", &dir.join("run"));
    // the uninterrupted run on the shared server
    let reference = tongchou_store::testing::pg_url("sbref");
    setup(&reference);
    month(&reference, "2020-01", &dir.join("ref"));
    month(&reference, "2020-02", &dir.join("ref"));
    assert_eq!(
        digest(&url),
        digest(&reference),
        "killed at {status} after {steps_then} steps"
    );
    chains_verify(&url);
    let files = |d: PathBuf| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .map(|r| {
                r.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    let paid = files(dir.join("run").join("2020-02"));
    assert!(
        !paid.is_empty() && !paid.iter().any(|n| n.ends_with(".part")),
        "{paid:?}"
    );
    assert_eq!(
        paid,
        files(dir.join("ref").join("2020-02")),
        "the same payment files, none twice"
    );
    drop(standby);
    let _ = std::fs::remove_dir_all(&dir);
}
