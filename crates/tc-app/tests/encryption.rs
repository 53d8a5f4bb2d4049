//! Field encryption of a whole province (docs/CRYPTO.md §4), on both backends: written with a
//! master key, the raw SQLite file (and WAL, after a checkpoint) and the PostgreSQL rows hold
//! none of its ID numbers and bank accounts in plain text, while lookups by ID number, a death
//! import and its cross-check, the collection and the payroll with its payment files still work.
//! And a key rotation interleaved with the months ends with every field under the new key, the
//! old key retired, a killed run resumed, and the month's digest equal to an unrotated run's.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use tongchou_app::collect::{self, ReceiptSource};
use tongchou_app::disburse::{self, MonthOptions};
use tongchou_core::{Period, Policy};
use tongchou_sim::tax::{Behaviour, TaxBureau};
use tongchou_store::audit::Actor;
use tongchou_store::keys::{self, KeyProvider, MasterKey};
use tongchou_store::ledger::Ledger;
use tongchou_store::{Db, Val, registry, rekey, testing};

const PERSONS: usize = 3000;

fn keyed(url: &str) -> (Db, Arc<dyn KeyProvider>) {
    let mut db = Db::open(url).expect("open");
    let (master, _) = MasterKey::generate("test").expect("master");
    let p: Arc<dyn KeyProvider> = Arc::new(master);
    keys::load_shared(&mut db, p.clone()).expect("keyring");
    (db, p)
}

/// The province of the tests (and its ID numbers and bank accounts), loaded into `db`.
fn province(db: &mut Db) -> (Vec<String>, Vec<String>) {
    let p = tongchou_synth::generate(&tongchou_synth::Options {
        seed: 42,
        persons: PERSONS,
        employers: None,
        start: "2020-01".parse().expect("period"),
    })
    .expect("generate");
    tongchou_sim::load::write_province(db, &p).expect("load");
    Ledger::new(db)
        .open_standard(tongchou_core::Divisions::shanxi())
        .expect("accounts");
    let ids = p
        .persons
        .iter()
        .map(|x| x.id_number().as_str().to_string())
        .collect();
    let accounts = p.pensioners.iter().map(|x| x.bank_account()).collect();
    (ids, accounts)
}

fn month(db: &mut Db, actors: &disburse::Actors, out: &std::path::Path, m: &str) {
    let policy = Policy::builtin().expect("policy");
    let m: Period = m.parse().expect("month");
    let src = ReceiptSource::Counterpart(&TaxBureau {
        seed: 7,
        behaviour: Behaviour::default(),
    });
    collect::run_month(db, &policy, m, src).expect("collection");
    let mut opts = MonthOptions::new(&out.join(m.to_string()));
    opts.bank = Some(tongchou_sim::bank::counterpart(0, 1));
    disburse::run_month(db, &policy, m, actors, &opts).expect("disbursement");
}

/// Which of `secrets` occur in `hay`: every run of digits and `X` is cut into the secrets'
/// lengths and looked up (one pass, whatever the number of secrets).
fn found(hay: &[u8], secrets: &HashSet<&str>) -> Vec<String> {
    let lens: HashSet<usize> = secrets.iter().map(|s| s.len()).collect();
    let mut out = Vec::new();
    for run in hay.split(|b| !(b.is_ascii_digit() || *b == b'X')) {
        for &l in &lens {
            for w in run.windows(l) {
                if let Ok(s) = std::str::from_utf8(w)
                    && secrets.contains(s)
                {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

/// Every byte the database holds: the SQLite file and its WAL after a checkpoint, or the text
/// of every row of every table of the schema on PostgreSQL.
fn raw_store(db: &mut Db, url: &str) -> Vec<u8> {
    if let Some(path) = url.strip_prefix("sqlite://") {
        db.batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
        let mut all = std::fs::read(path).expect("file");
        all.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
        return all;
    }
    let tables: Vec<String> = db
        .query(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            &[],
        )
        .expect("tables")
        .iter()
        .map(|r| r[0].text().expect("t").to_string())
        .collect();
    let mut all = Vec::new();
    for t in tables {
        for r in db
            .query(&format!("SELECT CAST(x AS TEXT) FROM {t} x"), &[])
            .expect("rows")
        {
            all.extend(r[0].text().expect("t").as_bytes());
            all.push(b'\n');
        }
    }
    all
}

fn encrypted_province(url: &str) {
    let (mut db, _) = keyed(url);
    let (ids, accounts) = province(&mut db);
    let actors = common::actors(&mut db);
    let out = std::env::temp_dir().join(format!("tc-enc-{}-{}", std::process::id(), url.len()));
    month(&mut db, &actors, &out, "2020-01");
    // a death record imported for a pensioner (by ID number) is matched through blind indexes
    let dead = tongchou_store::benefits::active_pensioner_id_numbers(&mut db).expect("pensioners");
    let (dead_person, dead_id) = dead[0].clone();
    assert!(
        ids.contains(&dead_id),
        "the decrypting export gives the ID number"
    );
    let op = Actor::operator("test");
    let csv = format!("id_number,died,source\n{dead_id},2020-01-20,公安\n");
    let today = "2020-02-01".parse().expect("d");
    tongchou_app::benefits::deaths::import_deaths(
        &mut db,
        "deaths.csv",
        csv.as_bytes(),
        today,
        &op,
        0,
    )
    .expect("death import");
    let policy = Policy::builtin().expect("policy");
    let run = tongchou_app::benefits::deaths::run_crosscheck(
        &mut db,
        &policy,
        "2020-02".parse().expect("m"),
        None,
        &op,
        0,
    )
    .expect("crosscheck");
    assert_eq!((run.death_records, run.suspended), (1, 1));
    let status = db
        .query_opt(
            "SELECT status FROM pensioners WHERE person_id = $1",
            &[Val::I64(dead_person)],
        )
        .expect("q")
        .expect("row");
    assert_eq!(status[0].text().expect("t"), "deceased");
    month(&mut db, &actors, &out, "2020-02");

    // lookups by ID number and the decrypting reads
    let pid = registry::person_id_by_number(&mut db, &ids[5])
        .expect("q")
        .expect("found");
    let rec = registry::person_record(&mut db, pid)
        .expect("q")
        .expect("record");
    assert_eq!(rec.id_number, ids[5]);
    // the payment files carry the accounts in full (decrypted in the pay step)
    let files: Vec<String> = db
        .query("SELECT csv_path FROM payment_files", &[])
        .expect("files")
        .iter()
        .map(|r| std::fs::read_to_string(r[0].text().expect("p")).expect("file"))
        .collect();
    let account_set: HashSet<&str> = accounts.iter().map(String::as_str).collect();
    assert!(
        !found(files.concat().as_bytes(), &account_set).is_empty(),
        "accounts in the payment files"
    );

    // a legacy city's person held for review: the row keeps the ID number inside its sealed
    // record and only the blind index in its column, and reads back whole
    let review = tongchou_store::migration::Review {
        id: 77,
        city: 1401,
        county: 140105,
        id_number: ids[9].clone(),
        kind: "insured".into(),
        existing_person: pid,
        existing_county: 140106,
        record: r#"{"kind":"insured","name":"试"}"#.into(),
        status: "open".into(),
        resolved_by: None,
        resolved_at: None,
    };
    tongchou_store::migration::write_review(&mut db, &review).expect("review");
    let back = tongchou_store::migration::review(&mut db, 77)
        .expect("q")
        .expect("review row");
    assert_eq!(back, review, "the review reads back as written");

    // the scan: none of the ID numbers and accounts is stored in plain text
    let mut secrets: HashSet<&str> = ids.iter().map(String::as_str).collect();
    secrets.extend(account_set.iter());
    let raw = raw_store(&mut db, url);
    assert!(raw.len() > 100_000, "the scan reads the store");
    let leaked = found(&raw, &secrets);
    assert!(
        leaked.is_empty(),
        "{} stored in plain text, e.g. {:?}",
        leaked.len(),
        &leaked[..leaked.len().min(3)]
    );
    // the control: an unkeyed process writes a plain ID number, and the scan finds it
    let mut plain = Db::open(url).expect("open");
    tongchou_store::benefits::deaths::insert_death_record(
        &mut plain,
        &ids[7],
        "民政",
        "2020-01-02".parse().expect("d"),
        0,
    )
    .expect("plain record");
    let raw = raw_store(&mut plain, url);
    let mut control = found(&raw, &secrets);
    control.dedup();
    assert_eq!(control, vec![ids[7].clone()]);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn encrypted_province_sqlite() {
    encrypted_province(&testing::sqlite_url("enc-province"));
}

#[test]
fn encrypted_province_postgres() {
    encrypted_province(&testing::pg_url("enc_province"));
}

/// Two months, rotated (a rotation started between the first month's collection and its
/// disbursement, killed after a few batches, resumed after the second month's collection) or
/// not: equal digests, and every field under the new key with the old one retired.
fn rotation_under_months(url_rotated: &str, url_plain: &str) {
    let mut digests = Vec::new();
    for (url, rotate) in [(url_rotated, true), (url_plain, false)] {
        let (mut db, provider) = keyed(url);
        province(&mut db);
        let actors = common::actors(&mut db);
        let out = std::env::temp_dir().join(format!("tc-rot-{}-{}", std::process::id(), url.len()));
        let policy = Policy::builtin().expect("policy");
        let src = ReceiptSource::Counterpart(&TaxBureau {
            seed: 7,
            behaviour: Behaviour::default(),
        });
        let jan: Period = "2020-01".parse().expect("m");
        collect::run_month(&mut db, &policy, jan, src).expect("collection");
        let mut old_key = 0;
        if rotate {
            old_key = db.keyring().expect("ring").current_key();
            let mut other = Db::open(url).expect("open");
            let run = rekey::start(&mut other, provider.clone(), true, "ops").expect("start");
            assert_ne!(run.to_key, old_key);
            for _ in 0..3 {
                rekey::step(&mut other, &run, 500).expect("batch");
            }
            drop(other); // killed
        }
        let mut opts = MonthOptions::new(&out.join("202001"));
        opts.bank = Some(tongchou_sim::bank::counterpart(0, 1));
        disburse::run_month(&mut db, &policy, jan, &actors, &opts).expect("disbursement");
        if rotate {
            let mut other = Db::open(url).expect("open");
            let who = Actor::operator("ops");
            let o = tongchou_app::keys::run(&mut other, provider.clone(), true, &who, 0, 700)
                .expect("resume");
            assert!(o.resumed, "the killed run is resumed, not a new key made");
            assert_eq!(o.retired, vec![old_key]);
            assert!(
                rekey::stragglers(&mut other, o.to_key)
                    .expect("scan")
                    .is_empty()
            );
            let retired = other
                .query_i64(
                    "SELECT count(*) FROM crypto_keys WHERE id = $1 AND retired_at IS NOT NULL",
                    &[Val::I64(i64::from(old_key))],
                )
                .expect("q");
            assert_eq!(retired, 1);
            let audited = other
                .query_i64(
                    "SELECT count(*) FROM audit_log WHERE action IN ('keys.rotate', 'keys.retire')",
                    &[],
                )
                .expect("q");
            assert_eq!(audited, 2);
        }
        month(&mut db, &actors, &out, "2020-02");
        if rotate {
            // the month's connection picked up the new key and wrote under it
            let to = db.keyring().expect("ring").current_key();
            assert_ne!(to, old_key);
            assert!(rekey::stragglers(&mut db, to).expect("scan").is_empty());
        }
        digests.push(disburse::state_digest(&mut db).expect("digest"));
        let _ = std::fs::remove_dir_all(&out);
    }
    assert_eq!(digests[0], digests[1]);
}

#[test]
fn rotation_under_months_sqlite() {
    rotation_under_months(&testing::sqlite_url("rot-a"), &testing::sqlite_url("rot-b"));
}

#[test]
fn rotation_under_months_postgres() {
    rotation_under_months(&testing::pg_url("rot_a"), &testing::pg_url("rot_b"));
}
