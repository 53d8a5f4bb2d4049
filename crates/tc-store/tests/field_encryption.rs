//! Field encryption of the survivors' claims (the table family converted so far, docs/CRYPTO.md):
//! with a keyring the claimant's ID number and bank account are stored SM4-GCM (or AES-256-GCM)
//! encrypted, the raw SQLite file and the PostgreSQL rows hold neither in plain text, the
//! decrypting read gives them back, and without the master key (or with another) nothing reads.

use tongchou_core::{Date, Period};
use tongchou_crypto::MasterKey;
use tongchou_store::benefits::deaths::{NewClaim, claim_payee, insert_claim};
use tongchou_store::{Db, keys, settings, testing};

const ID: &str = "140105198203040012";
const ACCOUNT: &str = "6228480000000000017";

fn claim(person: i64) -> NewClaim<'static> {
    NewClaim {
        person,
        county: 140105,
        claimant_name: "王五",
        claimant_id_number: ID,
        relation: "child",
        bank_code: "ABC",
        bank_name: "农业银行",
        bank_account: ACCOUNT,
        filed_on: Date::new(2024, 3, 5).expect("date"),
        filed_by: "clerk",
        due_month: Period::new(2024, 4).expect("period"),
        created_at: "2024-03-05T00:00:00.000Z",
    }
}

/// Every stored text of the table, as the database holds it.
fn stored_texts(db: &mut Db) -> Vec<String> {
    let rows = db
        .query(
            "SELECT claimant_name, claimant_id_number, bank_code, bank_name, bank_account FROM survivor_claims",
            &[],
        )
        .expect("rows");
    rows.iter()
        .flat_map(|r| r.iter().map(|v| v.text().expect("text").to_string()))
        .collect()
}

fn raw_sqlite_bytes(url: &str) -> Vec<u8> {
    let path = url.strip_prefix("sqlite://").expect("sqlite url");
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
            all.extend(b);
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn encrypted_claims(url: &str, cipher: &str) {
    let mut db = Db::open(url).expect("open");
    settings::put(&mut db, "field_cipher", cipher).expect("cipher");
    let (master, hex) = MasterKey::generate("test").expect("master");
    keys::load(&mut db, &master).expect("keyring");
    insert_claim(&mut db, &claim(7)).expect("claim");
    // the plain control row: a connection without a keyring writes as before
    let mut plain = Db::open(url).expect("open");
    insert_claim(
        &mut plain,
        &NewClaim {
            claimant_id_number: "110101199001010011",
            bank_account: "6228480000000000025",
            ..claim(8)
        },
    )
    .expect("plain claim");

    let texts = stored_texts(&mut db);
    assert!(
        texts.iter().any(|t| t == "110101199001010011"),
        "the control row is plain"
    );
    for t in &texts {
        assert!(
            !t.contains(ID) && !t.contains(ACCOUNT),
            "plain text stored: {t}"
        );
    }
    let letter = if cipher == "sm4-gcm" { "S" } else { "A" };
    let enc = db
        .query_opt(
            "SELECT claimant_id_number, bank_account FROM survivor_claims WHERE person_id = 7",
            &[],
        )
        .expect("q")
        .expect("row");
    assert!(
        enc[0].text().expect("t").starts_with(letter),
        "{:?}",
        enc[0]
    );
    // the wrapped keys hold neither the master key nor a data key in the clear
    let wrapped: Vec<String> = db
        .query("SELECT wrapped FROM crypto_keys", &[])
        .expect("keys")
        .iter()
        .map(|r| r[0].text().expect("w").to_string())
        .collect();
    assert_eq!(wrapped.len(), 2, "one field key, one index key");
    assert!(wrapped.iter().all(|w| !w.contains(hex.as_str())));

    if url.starts_with("sqlite://") {
        db.batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
        let raw = raw_sqlite_bytes(url);
        assert!(
            contains(&raw, "110101199001010011"),
            "the scan reads the file"
        );
        assert!(!contains(&raw, ID), "ID number in the raw file");
        assert!(!contains(&raw, ACCOUNT), "bank account in the raw file");
    } else {
        let rows = db
            .query("SELECT CAST(c AS TEXT) FROM survivor_claims c", &[])
            .expect("row text");
        let all: String = rows
            .iter()
            .map(|r| r[0].text().expect("t").to_string())
            .collect();
        assert!(
            all.contains("110101199001010011"),
            "the scan reads the rows"
        );
        assert!(!all.contains(ID) && !all.contains(ACCOUNT), "{all}");
    }

    // the decrypting read
    let (name, id, account) = claim_payee(&mut db, 7).expect("read").expect("claim");
    assert_eq!(
        (name.as_str(), id.as_str(), account.as_str()),
        ("王五", ID, ACCOUNT)
    );
    // without the master key: the plain row reads, the encrypted one says why not
    assert_eq!(
        claim_payee(&mut plain, 8).expect("plain").expect("claim").1,
        "110101199001010011"
    );
    let e = claim_payee(&mut plain, 7).expect_err("no key").to_string();
    assert!(e.contains("本进程没有主密钥"), "{e}");
    // another master key does not unwrap the stored data keys
    let (other, _) = MasterKey::generate("other").expect("master");
    let e = keys::load(&mut plain, &other)
        .expect_err("wrong master")
        .to_string();
    assert!(e.contains("无法用来自"), "{e}");
    // tampering with a stored ciphertext is caught, not read as something else
    db.exec(
        "UPDATE survivor_claims SET bank_account = claimant_id_number WHERE person_id = 7",
        &[],
    )
    .expect("swap columns");
    assert!(
        claim_payee(&mut db, 7).is_err(),
        "a ciphertext moved to another column"
    );
    // a reloaded keyring (a new process with the same master key) reads what was written
    let mut again = Db::open(url).expect("open");
    keys::load(&mut again, &master).expect("reload");
    assert_eq!(
        again.keyring().map(|k| k.current_key()),
        db.keyring().map(|k| k.current_key())
    );
    let n = again
        .query_i64("SELECT count(*) FROM crypto_keys", &[])
        .expect("count");
    assert_eq!(n, 2, "loading again makes no new key");
}

#[test]
fn sqlite_claims_encrypted_sm4() {
    encrypted_claims(&testing::sqlite_url("fields_sm4"), "sm4-gcm");
}

#[test]
fn sqlite_claims_encrypted_aes() {
    encrypted_claims(&testing::sqlite_url("fields_aes"), "aes-256-gcm");
}

#[test]
fn postgres_claims_encrypted_sm4() {
    encrypted_claims(&testing::pg_url("fields_sm4"), "sm4-gcm");
}

#[test]
fn postgres_claims_encrypted_aes() {
    encrypted_claims(&testing::pg_url("fields_aes"), "aes-256-gcm");
}

#[test]
fn key_file_must_be_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join("tongchou-tests");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("master-{}.key", std::process::id()));
    let (_, hex) = MasterKey::generate("t").expect("master");
    std::fs::write(&path, format!("{}\n", hex.as_str())).expect("write");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let e = keys::master_from_file(&path)
        .expect_err("world-readable")
        .to_string();
    assert!(e.contains("0600"), "{e}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let m = keys::master_from_file(&path).expect("private file");
    assert!(format!("{m:?}").contains("master-"));
    std::fs::write(&path, "not hex").expect("write");
    assert!(keys::master_from_file(&path).is_err());
    let _ = std::fs::remove_file(&path);
}
