//! Retention and the audit archive (issue 16 item 6), on SQLite and PostgreSQL: a date inside
//! the retention period is refused (and the refusal audited); older entries go to a sealed
//! archive that verifies against the chain; the live log verifies from the archived head; a
//! second archive continues the first; a tampered archive, a forged archive record, or a
//! deletion hidden behind one are caught.

use tongchou_app::backup::{archive_audit, retention_limit, verify_archive};
use tongchou_core::Date;
use tongchou_store::Db;
use tongchou_store::audit::{self, Actor, Entry};
use tongchou_store::backup::MasterKey;

fn ms(date: &str) -> i64 {
    let d: Date = date.parse().expect("date");
    d.days_since_epoch() * 86_400_000 + 3_600_000
}

fn entry(db: &mut Db, op: &Actor, n: i64, at_ms: i64) {
    audit::append(
        db,
        &Entry {
            actor: op,
            action: "person.read",
            object_type: "person",
            object_id: &n.to_string(),
            region: Some(140105),
            result: "ok",
            details: serde_json::json!({"n": n}),
        },
        at_ms,
    )
    .expect("append");
}

fn date(s: &str) -> Date {
    s.parse().expect("date")
}

fn verified(db: &mut Db) -> bool {
    audit::verify_audit_chain(db).expect("verify").ok()
}

fn scenario(url: &str, tag: &str) {
    let mut db = Db::open(url).expect("open");
    let (key, _) = MasterKey::generate("test key").expect("key");
    let op = Actor::operator("cli:test");
    let dir = std::env::temp_dir().join(format!("tc-archive-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    for n in 0..30 {
        entry(&mut db, &op, n, ms("2025-01-10") + n);
    }
    for n in 30..40 {
        entry(&mut db, &op, n, ms("2025-08-10") + n);
    }
    let today = date("2025-12-04");
    assert_eq!(retention_limit(today).expect("limit"), date("2025-06-04"));
    // inside the retention period: refused, audited, nothing written or removed
    let out = dir.join("a1.sealed");
    let e = archive_audit(
        &mut db,
        &key,
        &op,
        date("2025-07-01"),
        today,
        &out,
        ms("2025-12-04"),
    )
    .expect_err("inside the retention");
    assert!(e.to_string().contains("保留期"), "{e}");
    assert!(!out.exists());
    let head = audit::head(&mut db).expect("head");
    assert_eq!(head.0, 41, "40 entries and the refusal");
    // outside: the 30 January entries
    let c = archive_audit(
        &mut db,
        &key,
        &op,
        date("2025-02-01"),
        today,
        &out,
        ms("2025-12-04"),
    )
    .expect("archive")
    .expect("some archived");
    assert_eq!((c.first_seq, c.last_seq, c.entries), (1, 30, 30));
    assert!(
        verified(&mut db),
        "the live log verifies from the archived head"
    );
    let n = db
        .query_i64("SELECT count(*) FROM audit_log", &[])
        .expect("count");
    assert_eq!(n, 12, "10 August entries, the refusal, the archive entry");
    let (v, recorded) =
        verify_archive(&key, &out, Some((&mut db, &op)), ms("2025-12-04")).expect("verify");
    assert!(v.broken.is_none() && recorded == Some(true), "{v:?}");
    // nothing more that old: no second file
    let none = archive_audit(
        &mut db,
        &key,
        &op,
        date("2025-02-01"),
        today,
        &dir.join("a0.sealed"),
        0,
    )
    .expect("ok");
    assert!(none.is_none());
    // a later archive continues the chain from the first
    let out2 = dir.join("a2.sealed");
    let c2 = archive_audit(
        &mut db,
        &key,
        &op,
        date("2025-09-01"),
        date("2026-06-01"),
        &out2,
        ms("2026-06-01"),
    )
    .expect("archive")
    .expect("some");
    assert_eq!(
        (c2.first_seq, c2.prev_hash.clone()),
        (31, c.last_hash.clone())
    );
    assert!(verified(&mut db));
    // a tampered archive file does not open; another key does not open it
    let mut bytes = std::fs::read(&out).expect("read");
    let at = bytes.len() - 40;
    bytes[at] ^= 1;
    let bad = dir.join("bad.sealed");
    std::fs::write(&bad, &bytes).expect("write");
    assert!(verify_archive(&key, &bad, None, 0).is_err());
    let (other, _) = MasterKey::generate("other").expect("key");
    assert!(verify_archive(&other, &out, None, 0).is_err());
    // deleting live entries behind a forged archive record (contiguous, with the true hash of
    // the last deleted entry) is caught: no audit.archive entry names it
    let last = audit::head(&mut db).expect("head").0;
    let hidden = audit::hash_at(&mut db, last - 1)
        .expect("hash")
        .expect("some");
    let (_, prev) = tongchou_store::audit::archive::archived_head(&mut db)
        .expect("head")
        .expect("some");
    db.exec(
        "DELETE FROM audit_log WHERE seq <= $1",
        &[tongchou_store::Val::I64(last - 1)],
    )
    .expect("delete");
    db.exec(
        "INSERT INTO audit_archives (id, first_seq, last_seq, prev_hash, last_hash, entries, before_day, file_name, file_sha256, archived_at, archived_by) VALUES (99, $1, $2, $3, $4, 1, 'x', 'x', 'x', 'x', 'x')",
        &[
            tongchou_store::Val::I64(c2.last_seq + 1),
            tongchou_store::Val::I64(last - 1),
            tongchou_store::Val::Str(&prev),
            tongchou_store::Val::Str(&hidden),
        ],
    )
    .expect("forge");
    let v = audit::verify_audit_chain(&mut db).expect("verify");
    let reason = v.broken.map(|b| b.reason).unwrap_or_default();
    assert!(reason.contains("没有审计记录 audit.archive"), "{reason}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn audit_archive_on_sqlite() {
    scenario(&tongchou_store::testing::sqlite_url("arch"), "sqlite");
}

#[test]
fn audit_archive_on_postgres() {
    scenario(&tongchou_store::testing::pg_url("arch"), "pg");
}
