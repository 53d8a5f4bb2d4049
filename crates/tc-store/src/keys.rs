//! The keyring of field encryption: data keys stored wrapped in `crypto_keys` (migration 0027),
//! unwrapped with a [`KeyProvider`] whose master key never sits in the database.
//!
//! Where the master key comes from ([`master_from_env`]): `TONGCHOU_MASTER_KEY_FILE`, a file of
//! 64 hex digits readable and writable by its owner only (mode 0600 or stricter, checked), or
//! `TONGCHOU_MASTER_KEY`, the hex itself (the embedded default, for a single machine). Without
//! either, a connection has no keyring and writes fields in plain text, as before; a field that
//! is encrypted then cannot be read, and says so.
//!
//! The field cipher is chosen when the first key is made: `TONGCHOU_FIELD_CIPHER` (`sm4-gcm`,
//! the default, or `aes-256-gcm`), kept in `meta.field_cipher`.

use crate::{Db, Result, StoreError, Val, settings};
use std::collections::HashMap;
use tongchou_crypto::field::{Cipher, FieldCipher, envelope};
use tongchou_crypto::{BlindIndex, DataKey};
pub use tongchou_crypto::{KeyProvider, MasterKey};

pub const MASTER_KEY_FILE_ENV: &str = "TONGCHOU_MASTER_KEY_FILE";
pub const MASTER_KEY_ENV: &str = "TONGCHOU_MASTER_KEY";
pub const FIELD_CIPHER_ENV: &str = "TONGCHOU_FIELD_CIPHER";

fn key_err(e: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(tongchou_core::tr!("store-err-keys", error = e))
}

fn key_file(path: &std::path::Path, e: &std::io::Error) -> StoreError {
    key_err(tongchou_core::tr!(
        "store-err-keys-file",
        path = path.display(),
        error = tongchou_core::i18n::io_text(e)
    ))
}

/// The master key from a key file, which must not be readable by group or others.
pub fn master_from_file(path: &std::path::Path) -> Result<MasterKey> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path).map_err(|e| key_file(path, &e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(key_err(tongchou_core::tr!(
                "store-err-keys-mode",
                path = path.display(),
                mode = format!("{mode:o}")
            )));
        }
    }
    let text =
        zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| key_file(path, &e))?);
    MasterKey::from_hex(&text, &format!("file {}", path.display())).map_err(key_err)
}

/// The master key named by the environment, if any.
pub fn master_from_env() -> Result<Option<MasterKey>> {
    if let Some(p) = std::env::var_os(MASTER_KEY_FILE_ENV) {
        return master_from_file(std::path::Path::new(&p)).map(Some);
    }
    match std::env::var(MASTER_KEY_ENV) {
        Ok(hex) if !hex.trim().is_empty() => MasterKey::from_hex(&hex, MASTER_KEY_ENV)
            .map(Some)
            .map_err(key_err),
        _ => Ok(None),
    }
}

/// The master key of the database at `url`: the environment's ([`master_from_env`]), else for
/// an SQLite file `PATH` the key file `PATH.key` beside it when one exists (what `tongchou
/// demo` makes; a production deployment keeps its key file elsewhere and names it).
pub fn master_for(url: &str) -> Result<Option<MasterKey>> {
    if let Some(m) = master_from_env()? {
        return Ok(Some(m));
    }
    if let Some(path) = url.strip_prefix("sqlite://") {
        let key = std::path::PathBuf::from(format!("{path}.key"));
        if key.exists() {
            return master_from_file(&key).map(Some);
        }
    }
    Ok(None)
}

/// Whether the environment names a master key.
pub fn env_names_master() -> bool {
    std::env::var_os(MASTER_KEY_FILE_ENV).is_some()
        || std::env::var(MASTER_KEY_ENV).is_ok_and(|v| !v.trim().is_empty())
}

/// Make the key file `path` (64 random hex digits, mode 0600) unless it exists (it is never
/// overwritten), and check it reads. Whether it was made.
pub fn use_key_file(path: &std::path::Path) -> Result<bool> {
    let made = if path.exists() {
        false
    } else {
        let (_, hex) = MasterKey::generate(&format!("file {}", path.display())).map_err(key_err)?;
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        let mut f = o.open(path).map_err(|e| key_file(path, &e))?;
        std::io::Write::write_all(&mut f, format!("{}\n", hex.as_str()).as_bytes())
            .map_err(|e| key_file(path, &e))?;
        true
    };
    master_from_file(path)?;
    Ok(made)
}

/// The unwrapped keys of a deployment.
pub struct Keyring {
    current: u32,
    ciphers: HashMap<u32, FieldCipher>,
    index: BlindIndex,
    /// The highest key number known when loaded (a newer one means a rotation began elsewhere).
    newest: u32,
    /// Where the keys were unwrapped from, kept to reload after a rotation ([`refresh`]).
    provider: Option<std::sync::Arc<dyn KeyProvider>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Keyring(current {}, {} keys)",
            self.current,
            self.ciphers.len()
        )
    }
}

impl Keyring {
    /// Encrypt a field of `column` (`table.column`) under the current key.
    pub fn encrypt(&self, column: &str, plain: &str) -> Result<String> {
        self.ciphers
            .get(&self.current)
            .ok_or_else(|| key_err(tongchou_core::tr!("store-err-keys-no-current")))?
            .encrypt(column, plain)
            .map_err(key_err)
    }
    /// Decrypt a stored field under whichever key it names.
    pub fn decrypt(&self, column: &str, stored: &str) -> Result<String> {
        let (_, id, _) = envelope(stored).ok_or_else(|| {
            key_err(tongchou_core::tr!(
                "crypto-err-not-encrypted",
                column = column
            ))
        })?;
        self.ciphers
            .get(&id)
            .ok_or_else(|| {
                key_err(tongchou_core::tr!(
                    "store-err-keys-not-in-ring",
                    column = column,
                    key = id
                ))
            })?
            .decrypt(column, stored)
            .map_err(key_err)
    }
    /// The blind index of `value` in `domain` (`id_number`, `bank_account`).
    pub fn blind(&self, domain: &str, value: &str) -> String {
        self.index.of(domain, value)
    }
    pub fn current_key(&self) -> u32 {
        self.current
    }
    /// The data key a stored field is under: `None` for plain text.
    pub fn key_of(stored: &str) -> Option<u32> {
        envelope(stored).map(|(_, id, _)| id)
    }
    /// What a lookup column (`person_ids.id_number`, `death_records.id_number`,
    /// `other_roll_entries.id_number`) holds for `plain`: its blind index.
    pub fn lookup(&self, domain: &str, plain: &str) -> String {
        self.index.of(domain, plain)
    }
}

/// The blind-index domain of ID numbers.
pub const ID_NUMBER: &str = "id_number";

/// Whether a lookup column's value is a blind index (32 lowercase hex digits) rather than a
/// plain ID number (18 or 15 characters).
pub fn is_blind(stored: &str) -> bool {
    stored.len() == 32
        && stored
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// What a lookup column holds for the ID number `plain`: its keyed blind index when the
/// connection has a keyring, else the ID number itself (a deployment without a master key).
pub fn lookup(db: &Db, plain: &str) -> String {
    lookup_with(db.keyring(), plain)
}

/// [`lookup`] with a keyring taken beforehand.
pub fn lookup_with(ring: Option<&Keyring>, plain: &str) -> String {
    match ring {
        Some(k) => k.lookup(ID_NUMBER, plain),
        None => plain.to_string(),
    }
}

/// The values to look `plain` up by: its blind index and, while rows written before the master
/// key may remain unconverted (`tongchou keys convert`), the plain number too. Without a
/// keyring, the plain number only.
pub fn lookup_forms(db: &Db, plain: &str) -> Vec<String> {
    match db.keyring() {
        Some(k) => vec![k.lookup(ID_NUMBER, plain), plain.to_string()],
        None => vec![plain.to_string()],
    }
}

/// The lookup-column values to ask for the ID numbers `plains` ([`lookup_forms`] of each), and
/// the ID number each stands for, to read the answers back by ID number. Without a keyring the
/// values asked are the ID numbers themselves and the map is empty: an answer not in it is the
/// ID number.
pub fn lookup_many(db: &Db, plains: &[&str]) -> (Vec<String>, HashMap<String, String>) {
    if db.keyring().is_none() {
        return (
            plains.iter().map(|p| p.to_string()).collect(),
            HashMap::new(),
        );
    }
    let mut ask = Vec::with_capacity(plains.len() * 2);
    let mut back = HashMap::with_capacity(plains.len() * 2);
    for p in plains {
        for f in lookup_forms(db, p) {
            back.insert(f.clone(), (*p).to_string());
            ask.push(f);
        }
    }
    (ask, back)
}

/// [`seal`] with a keyring taken beforehand.
pub fn seal_with(ring: Option<&Keyring>, column: &str, plain: &str) -> Result<String> {
    match ring {
        Some(k) => k.encrypt(column, plain),
        None => Ok(plain.to_string()),
    }
}

/// Reload the keyring when a newer data key was made since it was loaded (a rotation started
/// by another process), so fields re-encrypted under it read. One small query.
pub fn refresh(db: &mut Db) -> Result<()> {
    let Some((newest, provider)) = db
        .keyring()
        .and_then(|k| k.provider.clone().map(|p| (k.newest, p)))
    else {
        return Ok(());
    };
    let max = db.query_i64("SELECT COALESCE(MAX(id), 0) FROM crypto_keys", &[])?;
    if max > i64::from(newest) {
        load_shared(db, provider)?;
    }
    Ok(())
}

/// [`load`] keeping the provider, so that [`refresh`] can reload after a rotation.
pub fn load_shared(db: &mut Db, p: std::sync::Arc<dyn KeyProvider>) -> Result<()> {
    load(db, p.as_ref())?;
    if let Some(ring) = db.keyring.take() {
        let mut ring = std::sync::Arc::try_unwrap(ring)
            .map_err(|_| key_err(tongchou_core::tr!("store-err-keys-shared")))?;
        ring.provider = Some(p);
        db.keyring = Some(std::sync::Arc::new(ring));
    }
    Ok(())
}

/// A stored field for reading: decrypted when it is encrypted, as is when it is plain text.
pub fn reveal(db: &Db, column: &str, stored: &str) -> Result<String> {
    reveal_with(db.keyring(), column, stored)
}

/// [`reveal`] of a field taken out of its row, reloading the keyring first only when the field
/// names a data key the keyring does not hold (one made by a rotation in another process since
/// it was loaded): a read costs no query of `crypto_keys`, and a plain field is moved, not
/// copied.
pub fn reveal_fresh(db: &mut Db, column: &str, stored: String) -> Result<String> {
    let Some((_, id, _)) = envelope(&stored) else {
        return Ok(stored);
    };
    if db.keyring().is_some_and(|k| !k.ciphers.contains_key(&id)) {
        refresh(db)?;
    }
    reveal_with(db.keyring(), column, &stored)
}

/// [`reveal`] with a keyring taken from the connection beforehand (for streaming reads).
pub fn reveal_with(ring: Option<&Keyring>, column: &str, stored: &str) -> Result<String> {
    if envelope(stored).is_none() {
        return Ok(stored.to_string());
    }
    match ring {
        Some(k) => k.decrypt(column, stored),
        None => Err(key_err(tongchou_core::tr!(
            "store-err-keys-encrypted",
            column = column,
            file = MASTER_KEY_FILE_ENV,
            key = MASTER_KEY_ENV
        ))),
    }
}

/// A field for writing: encrypted when the connection has a keyring.
pub fn seal(db: &Db, column: &str, plain: &str) -> Result<String> {
    seal_with(db.keyring(), column, plain)
}

fn field_cipher(db: &mut Db) -> Result<Cipher> {
    if let Some(v) = settings::get(db, "field_cipher")? {
        return Cipher::parse(&v).ok_or_else(|| crate::corrupt("meta.field_cipher", &v));
    }
    let c = match std::env::var(FIELD_CIPHER_ENV) {
        Ok(v) if !v.trim().is_empty() => Cipher::parse(&v).ok_or_else(|| {
            key_err(tongchou_core::tr!(
                "store-err-backup-cipher",
                name = format!("{FIELD_CIPHER_ENV}={v:?}")
            ))
        })?,
        _ => Cipher::Sm4Gcm,
    };
    db.exec(
        "INSERT INTO meta (key, value) VALUES ('field_cipher', $1) ON CONFLICT (key) DO NOTHING",
        &[Val::Str(c.name())],
    )?;
    settings::get(db, "field_cipher")?
        .and_then(|v| Cipher::parse(&v))
        .ok_or_else(|| crate::corrupt("meta.field_cipher", ""))
}

/// Make a new data key for `purpose` and store it wrapped; its number.
pub fn add_key(db: &mut Db, p: &dyn KeyProvider, purpose: &str) -> Result<u32> {
    let cipher = field_cipher(db)?;
    let id = db.query_i64("SELECT COALESCE(MAX(id), 0) + 1 FROM crypto_keys", &[])?;
    let id32 =
        u32::try_from(id).map_err(|_| key_err(tongchou_core::tr!("store-err-keys-too-many")))?;
    let dk = DataKey::generate(id32, cipher).map_err(key_err)?;
    let wrapped = dk.wrap(p).map_err(key_err)?;
    let now = crate::migrate::db_now(db.backend());
    db.exec(
        &format!("INSERT INTO crypto_keys (id, purpose, cipher, wrapped, provider, created_at) VALUES ($1, $2, $3, $4, $5, {now})"),
        &[
            Val::I64(id),
            Val::Str(purpose),
            Val::Str(cipher.name()),
            Val::Str(&wrapped),
            Val::Str(&p.describe()),
        ],
    )?;
    Ok(id32)
}

/// Unwrap every key of the deployment (making the first field and index keys if there are
/// none) and give the connection its keyring.
pub fn load(db: &mut Db, p: &dyn KeyProvider) -> Result<()> {
    let ring = db.transaction(|db| {
        for purpose in ["index", "field"] {
            let n = db.query_i64(
                "SELECT count(*) FROM crypto_keys WHERE purpose = $1",
                &[Val::Str(purpose)],
            )?;
            if n == 0 {
                add_key(db, p, purpose)?;
            }
        }
        let rows = db.query(
            "SELECT id, purpose, cipher, wrapped, retired_at FROM crypto_keys ORDER BY id",
            &[],
        )?;
        let (mut current, mut ciphers, mut index) = (0u32, HashMap::new(), None);
        let mut newest = 0u32;
        for r in rows {
            let id =
                u32::try_from(r[0].i64()?).map_err(|_| crate::corrupt("crypto_keys.id", &r[0]))?;
            newest = newest.max(id);
            let cipher = Cipher::parse(r[2].text()?)
                .ok_or_else(|| crate::corrupt("crypto_keys.cipher", &r[2]))?;
            let dk = DataKey::unwrap(p, id, cipher, r[3].text()?).map_err(key_err)?;
            if r[1].text()? == "index" {
                index = Some(dk.blind_index());
            } else {
                if r[4].opt_text()?.is_none() {
                    current = id;
                }
                ciphers.insert(id, dk.field_cipher().map_err(key_err)?);
            }
        }
        let index = index.ok_or_else(|| key_err(tongchou_core::tr!("store-err-keys-no-index")))?;
        Ok::<_, StoreError>(Keyring {
            current,
            ciphers,
            index,
            newest,
            provider: None,
        })
    })?;
    db.keyring = Some(std::sync::Arc::new(ring));
    Ok(())
}

/// The data keys as `tongchou keys status` lists them (never the keys themselves): id,
/// purpose, cipher, provider, created, retired.
pub fn list(db: &mut Db) -> Result<Vec<serde_json::Value>> {
    db.query(
        "SELECT id, purpose, cipher, provider, created_at, retired_at FROM crypto_keys ORDER BY id",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok(serde_json::json!({
            "id": r[0].i64()?, "purpose": r[1].text()?, "cipher": r[2].text()?,
            "provider": r[3].text()?, "created_at": r[4].text()?, "retired_at": r[5].opt_text()?,
        }))
    })
    .collect()
}
