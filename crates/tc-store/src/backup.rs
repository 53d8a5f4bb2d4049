//! Backups and restores, always sealed with the deployment's key (`tongchou_crypto::stream`:
//! chunked SM4-GCM or AES-256-GCM under a file key wrapped by the master key).
//!
//! - SQLite: `VACUUM INTO` a fresh file beside the output (mode 0600; consistent while the
//!   service runs: it reads one snapshot), sealed into the output, the plain copy removed.
//! - PostgreSQL, logical: `pg_dump --format=custom` of the deployment's schema, streamed through
//!   the sealer (nothing plain on disk); restored by `pg_restore --single-transaction`.
//! - PostgreSQL, physical: `pg_basebackup --format=tar --wal-method=fetch` to the sealer; with the
//!   server's WAL archive and a named restore point ([`restore_point`]) or a time, a point in
//!   time is recovered ([`prepare_pitr`]).
//!
//! The programs are found in `TONGCHOU_PG_BIN` (a directory), else on the `PATH`.

use crate::{Db, Result, StoreError, Val, settings};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use tongchou_crypto::field::Cipher;
pub use tongchou_crypto::stream::{Header, OpenReader, SealWriter};
pub use tongchou_crypto::{KeyProvider, MasterKey};

pub const PG_BIN_ENV: &str = "TONGCHOU_PG_BIN";

fn err(m: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(tongchou_core::tr!("store-err-backup", error = m))
}

/// An I/O failure of the backup, its kind in the reader's language.
fn io(e: std::io::Error) -> StoreError {
    err(tongchou_core::i18n::io_text(&e))
}

/// A failure reading or writing `path` (an I/O error, or a sealed file's refusal).
fn at(path: &Path, e: impl std::fmt::Display) -> StoreError {
    err(tongchou_core::tr!(
        "store-err-backup-at",
        path = path.display(),
        error = e
    ))
}

/// An I/O failure on `path`, its kind in the reader's language.
fn at_io(path: &Path, e: &std::io::Error) -> StoreError {
    at(path, tongchou_core::i18n::io_text(e))
}

/// The deployment's master key, required: a backup is never written in plain text.
pub fn master_key() -> Result<MasterKey> {
    master_key_for(None)
}

/// [`master_key`] of the database at `url`: the environment's, else the key file beside an
/// SQLite database (`PATH.key`, as `tongchou demo` makes it: `keys::master_for`).
pub fn master_key_for(url: Option<&str>) -> Result<MasterKey> {
    let found = match url {
        Some(u) => crate::keys::master_for(u)?,
        None => crate::keys::master_from_env()?,
    };
    found.ok_or_else(|| {
        err(tongchou_core::tr!(
            "store-err-backup-no-key",
            file = crate::keys::MASTER_KEY_FILE_ENV,
            key = crate::keys::MASTER_KEY_ENV
        ))
    })
}

/// The deployment's field cipher (meta, else `TONGCHOU_FIELD_CIPHER`, else SM4-GCM).
pub fn cipher(db: &mut Db) -> Result<Cipher> {
    let name = match settings::get(db, "field_cipher")? {
        Some(v) => v,
        None => std::env::var(crate::keys::FIELD_CIPHER_ENV).unwrap_or_default(),
    };
    if name.trim().is_empty() {
        return Ok(Cipher::Sm4Gcm);
    }
    Cipher::parse(&name).ok_or_else(|| {
        err(tongchou_core::tr!(
            "store-err-backup-cipher",
            name = format!("{name:?}")
        ))
    })
}

/// A PostgreSQL program (`pg_dump`, `pg_restore`, `pg_basebackup`).
pub fn pg_program(name: &str) -> PathBuf {
    match std::env::var_os(PG_BIN_ENV) {
        Some(dir) if !dir.is_empty() => Path::new(&dir).join(name),
        _ => PathBuf::from(name),
    }
}

/// A libpq URL and the schema of a Tongchou PostgreSQL URL.
pub fn pg_parts(url: &str) -> (String, Option<String>) {
    crate::split_schema(url)
}

/// A new file readable by its owner only; refuses to overwrite.
pub fn create_private(path: &Path) -> Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path).map_err(|e| {
        err(tongchou_core::tr!(
            "store-err-backup-no-overwrite",
            path = path.display(),
            error = tongchou_core::i18n::io_text(&e)
        ))
    })
}

fn part_of(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

/// Removes a file when dropped unless disarmed (plain copies, unfinished outputs).
struct Scratch(Option<PathBuf>);

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Open the sealed file `from` (every chunk authenticated) into `to`: written as `to.part`
/// readable by its owner only (a stale one from a killed earlier attempt replaced), `check`ed,
/// synced and renamed; on any failure the part is removed and `to` untouched. With `expect`
/// (a kind and its description), a file of another kind is refused before anything is written.
/// Returns the file's header.
pub fn open_to(
    p: &dyn KeyProvider,
    from: &Path,
    to: &Path,
    expect: Option<(&str, &str)>,
    check: impl FnOnce(&Path) -> Result<()>,
) -> Result<Header> {
    let mut r = open_sealed(p, from)?;
    let h = r.header().clone();
    if let Some((kind, what)) = expect
        && h.kind != kind
    {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-kind",
            path = from.display(),
            kind = h.kind,
            what = what
        )));
    }
    let part = part_of(to);
    if part.exists() {
        std::fs::remove_file(&part).map_err(|e| at_io(&part, &e))?;
    }
    let mut f = create_private(&part)?;
    let mut guard = Scratch(Some(part.clone()));
    std::io::copy(&mut r, &mut f).map_err(|e| at_io(from, &e))?;
    f.sync_all().map_err(io)?;
    drop(f);
    check(&part)?;
    std::fs::rename(&part, to).map_err(|e| at_io(to, &e))?;
    guard.0 = None;
    Ok(h)
}

/// What a backup wrote.
#[derive(Clone, Debug)]
pub struct Written {
    pub kind: String,
    pub cipher: Cipher,
    /// Plain bytes sealed.
    pub plain_bytes: u64,
    /// Bytes of the sealed file and its SHA-256.
    pub sealed_bytes: u64,
    pub sha256: String,
}

/// Seal everything `input` yields into `out` (written as `out.part`, renamed when complete).
pub fn seal_to(
    p: &dyn KeyProvider,
    cipher: Cipher,
    kind: &str,
    input: &mut dyn Read,
    out: &Path,
) -> Result<Written> {
    let part = part_of(out);
    if out.exists() {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-exists",
            path = out.display()
        )));
    }
    let file = create_private(&part)?;
    let mut guard = Scratch(Some(part.clone()));
    let mut w = SealWriter::new(p, cipher, kind, BufWriter::new(file)).map_err(err)?;
    std::io::copy(input, &mut w).map_err(|e| at_io(out, &e))?;
    let (plain_bytes, buf) = w.finish().map_err(|e| at_io(out, &e))?;
    let file = buf
        .into_inner()
        .map_err(|e| err(tongchou_core::i18n::io_text(e.error())))?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&part, out).map_err(io)?;
    guard.0 = None;
    let (sealed_bytes, sha256) = fingerprint(out)?;
    Ok(Written {
        kind: kind.to_string(),
        cipher,
        plain_bytes,
        sealed_bytes,
        sha256,
    })
}

/// Size and SHA-256 of a file, streamed.
pub fn fingerprint(path: &Path) -> Result<(u64, String)> {
    use sha2::{Digest, Sha256};
    let mut f = File::open(path).map_err(|e| at_io(path, &e))?;
    let (mut h, mut n, mut buf) = (Sha256::new(), 0u64, vec![0u8; 1 << 16]);
    loop {
        let k = f.read(&mut buf).map_err(io)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, tongchou_crypto::to_hex(&h.finalize())))
}

/// Open a sealed file for reading its plain bytes.
pub fn open_sealed(p: &dyn KeyProvider, path: &Path) -> Result<OpenReader<BufReader<File>>> {
    let f = File::open(path).map_err(|e| at_io(path, &e))?;
    OpenReader::new(p, BufReader::new(f)).map_err(|e| at(path, e))
}

/// The header of a sealed file (kind, cipher, key), without the key.
pub fn header(path: &Path) -> Result<Header> {
    let f = File::open(path).map_err(|e| at_io(path, &e))?;
    tongchou_crypto::stream::peek_header(&mut BufReader::new(f)).map_err(|e| at(path, e))
}

/// Back up a SQLite database: `VACUUM INTO` a private scratch file, sealed into `out`.
pub fn sqlite_backup(db: &mut Db, p: &dyn KeyProvider, out: &Path) -> Result<Written> {
    let cipher = cipher(db)?;
    let scratch = part_of(&part_of(out));
    drop(create_private(&scratch)?);
    let _guard = Scratch(Some(scratch.clone()));
    let name = scratch
        .to_str()
        .ok_or_else(|| err(tongchou_core::tr!("store-err-backup-path-utf8")))?;
    db.exec("VACUUM INTO $1", &[Val::Str(name)])?;
    let mut f = File::open(&scratch).map_err(io)?;
    seal_to(p, cipher, "backup-sqlite", &mut f, out)
}

fn spawn(mut c: Command, what: &str) -> Result<Child> {
    c.stderr(Stdio::piped()).spawn().map_err(|e| {
        err(tongchou_core::tr!(
            "store-err-backup-start",
            program = what,
            error = tongchou_core::i18n::io_text(&e),
            env = PG_BIN_ENV
        ))
    })
}

fn finish(mut child: Child, what: &str) -> Result<()> {
    let mut text = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut text);
    }
    let status = child.wait().map_err(io)?;
    if !status.success() {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-failed",
            program = what,
            status = status,
            output = text.trim()
        )));
    }
    Ok(())
}

fn pipe_out(
    mut child: Child,
    what: &str,
    seal: impl FnOnce(&mut dyn Read) -> Result<Written>,
) -> Result<Written> {
    let mut stdout = child.stdout.take().ok_or_else(|| {
        err(tongchou_core::tr!(
            "store-err-backup-no-output",
            program = what
        ))
    })?;
    let sealed = seal(&mut stdout);
    drop(stdout);
    let done = finish(child, what);
    let w = sealed?;
    done?;
    Ok(w)
}

/// Back up a PostgreSQL deployment with `pg_dump --format=custom`, streamed into the sealer.
pub fn pg_dump_backup(db: &mut Db, p: &dyn KeyProvider, out: &Path) -> Result<Written> {
    let cipher = cipher(db)?;
    let (url, schema) = pg_parts(db.url());
    let mut c = Command::new(pg_program("pg_dump"));
    c.args([
        "--format=custom",
        "--no-owner",
        "--no-privileges",
        "--dbname",
        &url,
    ]);
    if let Some(s) = &schema {
        c.args(["--schema", s]);
    }
    c.stdout(Stdio::piped());
    let kind = format!(
        "backup-pg-dump schema={}",
        schema.as_deref().unwrap_or("public")
    );
    let child = spawn(c, "pg_dump")?;
    let out_path = out.to_path_buf();
    pipe_out(child, "pg_dump", |r| {
        seal_to(p, cipher, &kind, r, &out_path)
    })
}

/// A base backup of the whole PostgreSQL cluster (`pg_basebackup`, tar with the WAL it needs),
/// streamed into the sealer. With the server's WAL archive it is the start of a point-in-time
/// recovery.
pub fn pg_base_backup(db: &mut Db, p: &dyn KeyProvider, out: &Path) -> Result<Written> {
    let cipher = cipher(db)?;
    let (url, _) = pg_parts(db.url());
    let mut c = Command::new(pg_program("pg_basebackup"));
    c.args([
        "--dbname",
        &url,
        "--pgdata=-",
        "--format=tar",
        "--wal-method=fetch",
        "--checkpoint=fast",
    ]);
    c.stdout(Stdio::piped());
    let child = spawn(c, "pg_basebackup")?;
    let out_path = out.to_path_buf();
    pipe_out(child, "pg_basebackup", |r| {
        seal_to(p, cipher, "backup-pg-base", r, &out_path)
    })
}

/// Create a named restore point in the WAL and switch to a new WAL file so that the archive
/// holds it at once; its LSN.
pub fn restore_point(db: &mut Db, name: &str) -> Result<String> {
    if name.is_empty() || name.len() > 63 || name.chars().any(|c| c.is_control() || c == '\'') {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-restore-point-name",
            name = format!("{name:?}")
        )));
    }
    let r = db.query_opt(
        "SELECT CAST(pg_create_restore_point($1) AS TEXT)",
        &[Val::Str(name)],
    )?;
    let lsn = match r {
        Some(r) => r[0].text()?.to_string(),
        None => return Err(err(tongchou_core::tr!("store-err-backup-no-restore-point"))),
    };
    db.query_opt("SELECT CAST(pg_switch_wal() AS TEXT)", &[])?;
    Ok(lsn)
}

/// Restore a sealed SQLite backup into the new file `to` (which must not exist): decrypted into
/// `to.part`, checked with `PRAGMA integrity_check`, then renamed.
pub fn sqlite_restore(p: &dyn KeyProvider, from: &Path, to: &Path) -> Result<Header> {
    if to.exists() {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-restore-exists",
            path = to.display()
        )));
    }
    open_to(
        p,
        from,
        to,
        Some((
            "backup-sqlite",
            tongchou_core::i18n::word("store-backup-kind-sqlite"),
        )),
        |part| {
            let url = format!("sqlite://{}", part.display());
            let check = Db::connect(&url)?
                .query_opt("PRAGMA integrity_check", &[])?
                .map(|r| r[0].text().map(str::to_string))
                .transpose()?;
            if check.as_deref() != Some("ok") {
                return Err(err(tongchou_core::tr!(
                    "store-err-backup-integrity",
                    check = format!("{check:?}")
                )));
            }
            Ok(())
        },
    )
}

/// Whether the target schema (or `public`) of a PostgreSQL URL already holds tables.
fn pg_target_used(url: &str, schema: &str) -> Result<bool> {
    let mut db = Db::connect(url)?;
    Ok(db.query_i64(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
        &[Val::Str(schema)],
    )? > 0
        || (schema != "public"
            && db.query_i64(
                "SELECT count(*) FROM information_schema.schemata WHERE schema_name = $1",
                &[Val::Str(schema)],
            )? > 0))
}

/// Restore a sealed `pg_dump` backup into the database of `to`, whose schema must be the
/// dumped one and must not exist yet; one transaction (all or nothing).
pub fn pg_restore(p: &dyn KeyProvider, from: &Path, to: &str) -> Result<Header> {
    let mut r = open_sealed(p, from)?;
    let h = r.header().clone();
    let Some(dumped) = h.kind.strip_prefix("backup-pg-dump schema=") else {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-kind",
            path = from.display(),
            kind = h.kind,
            what = tongchou_core::i18n::word("store-backup-kind-pg-dump")
        )));
    };
    let (url, schema) = pg_parts(to);
    let target = schema.as_deref().unwrap_or("public");
    if target != dumped {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-schema",
            schema = dumped
        )));
    }
    if pg_target_used(&url, target)? {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-target-used",
            schema = target,
            url = url
        )));
    }
    let mut c = Command::new(pg_program("pg_restore"));
    c.args([
        "--single-transaction",
        "--exit-on-error",
        "--no-owner",
        "--no-privileges",
        "--dbname",
        &url,
    ]);
    pipe_in(c, "pg_restore", &mut r, from)?;
    Ok(h)
}

/// Run `c` with the plain bytes of `r` (opened from `from`) on its standard input; the
/// program's own failure is reported first (a broken pipe is only its consequence).
fn pipe_in(mut c: Command, what: &str, r: &mut dyn Read, from: &Path) -> Result<()> {
    c.stdin(Stdio::piped()).stdout(Stdio::null());
    let mut child = spawn(c, what)?;
    let copied = match child.stdin.take() {
        Some(mut stdin) => std::io::copy(r, &mut stdin).map(|_| ()),
        None => Err(std::io::Error::other(tongchou_core::tr!(
            "store-err-backup-no-input",
            program = what
        ))),
    };
    // a file that does not authenticate is the cause, whatever the program then said
    if let Err(e) = &copied
        && e.kind() == std::io::ErrorKind::InvalidData
    {
        let _ = finish(child, what);
        return Err(at_io(from, e));
    }
    finish(child, what)?;
    copied.map_err(|e| at_io(from, &e))
}

/// Where a point-in-time recovery stops.
#[derive(Clone, Debug)]
pub enum Target {
    /// A restore point made by [`restore_point`].
    Name(String),
    /// A time, as PostgreSQL reads it (`2026-12-04 21:00:00+00`).
    Time(String),
}

/// The first bytes of every sealed file (`tc-crypto::stream`).
const SEALED_MAGIC: &[u8] = b"TONGCHOU-SEALED";

/// Whether `path` is a sealed file.
pub fn is_sealed(path: &Path) -> bool {
    let mut head = [0u8; 15];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|()| head == SEALED_MAGIC)
}

/// The cipher of sealed WAL segments: `TONGCHOU_FIELD_CIPHER`, else SM4-GCM (the archive
/// command has no database to read the deployment's setting from).
pub fn wal_cipher() -> Result<Cipher> {
    match std::env::var(crate::keys::FIELD_CIPHER_ENV) {
        Ok(v) if !v.trim().is_empty() => Cipher::parse(&v).ok_or_else(|| {
            err(tongchou_core::tr!(
                "store-err-backup-cipher",
                name = format!("{}={v:?}", crate::keys::FIELD_CIPHER_ENV)
            ))
        }),
        _ => Ok(Cipher::Sm4Gcm),
    }
}

/// PostgreSQL's `archive_command` with a sealed archive (`tongchou wal push %p ARCHIVE/%f`):
/// the WAL segment `src` sealed into `dest`. A `dest` already there is success when it holds
/// the same bytes (PostgreSQL retries a command whose answer it did not get) and an error
/// otherwise (never overwritten). Whether it was written now.
pub fn wal_push(p: &dyn KeyProvider, src: &Path, dest: &Path) -> Result<bool> {
    if dest.exists() {
        let mut sealed = Vec::new();
        open_sealed(p, dest)?
            .read_to_end(&mut sealed)
            .map_err(|e| at_io(dest, &e))?;
        let plain = std::fs::read(src).map_err(|e| at_io(src, &e))?;
        return if sealed == plain {
            Ok(false)
        } else {
            Err(err(tongchou_core::tr!(
                "store-err-wal-differs",
                path = dest.display()
            )))
        };
    }
    let mut f = File::open(src).map_err(|e| at_io(src, &e))?;
    seal_to(p, wal_cipher()?, "wal-segment", &mut f, dest)?;
    Ok(true)
}

/// PostgreSQL's `restore_command` with a sealed archive (`tongchou wal fetch ARCHIVE/%f %p`):
/// the segment opened (every chunk authenticated) into `to`. A segment missing from the
/// archive is an error, as PostgreSQL expects of a file it asks for that is not there.
pub fn wal_fetch(p: &dyn KeyProvider, from: &Path, to: &Path) -> Result<()> {
    let what = tongchou_core::i18n::word("store-backup-kind-wal");
    open_to(p, from, to, Some(("wal-segment", what)), |_| Ok(())).map(|_| ())
}

/// Unpack a sealed base backup into the new data directory `dir` and configure it to recover
/// from the WAL archive `archive` up to `target`, then promote. Start it with `pg_ctl`.
pub fn prepare_pitr(
    p: &dyn KeyProvider,
    from: &Path,
    dir: &Path,
    archive: &Path,
    target: &Target,
) -> Result<Header> {
    let mut r = open_sealed(p, from)?;
    let h = r.header().clone();
    if h.kind != "backup-pg-base" {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-kind",
            path = from.display(),
            kind = h.kind,
            what = tongchou_core::i18n::word("store-backup-kind-pg-base")
        )));
    }
    if dir.exists() && std::fs::read_dir(dir).map_err(io)?.next().is_some() {
        return Err(err(tongchou_core::tr!(
            "store-err-backup-dir-not-empty",
            path = dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    }
    let mut c = Command::new("tar");
    c.arg("-x").arg("-C").arg(dir);
    if let Err(e) = pipe_in(c, "tar", &mut r, from) {
        // the directory was empty: leave no half-unpacked cluster behind
        let _ = std::fs::remove_dir_all(dir);
        return Err(e);
    }
    write_recovery(dir, archive, target)?;
    Ok(h)
}

fn quoted(s: &str) -> String {
    s.replace('\'', "''")
}

/// The server's command that takes a segment from the archive: `cp` for a plain archive;
/// for a sealed one (`tongchou wal push`), this binary's `wal fetch` with the master key file
/// named (the server's environment is not ours; a key given in the environment as hex is never
/// written into the server's settings).
fn restore_command(archive: &Path) -> Result<String> {
    let sealed = std::fs::read_dir(archive)
        .map_err(|e| wal_archive(archive, &e))?
        .filter_map(|e| e.ok())
        .any(|e| is_sealed(&e.path()));
    if !sealed {
        return Ok(format!("cp \"{}/%f\" \"%p\"", archive.display()));
    }
    let key = std::env::var_os(crate::keys::MASTER_KEY_FILE_ENV).ok_or_else(|| {
        err(tongchou_core::tr!(
            "store-err-wal-sealed-key",
            path = archive.display(),
            env = crate::keys::MASTER_KEY_FILE_ENV
        ))
    })?;
    let key = std::fs::canonicalize(&key).map_err(|e| {
        err(tongchou_core::tr!(
            "store-err-backup-key-file",
            error = tongchou_core::i18n::io_text(&e)
        ))
    })?;
    let exe = std::env::current_exe().map_err(|e| {
        err(tongchou_core::tr!(
            "store-err-backup-exe",
            error = tongchou_core::i18n::io_text(&e)
        ))
    })?;
    Ok(format!(
        "{}=\"{}\" \"{}\" wal fetch \"{}/%f\" \"%p\"",
        crate::keys::MASTER_KEY_FILE_ENV,
        key.display(),
        exe.display(),
        archive.display()
    ))
}

fn wal_archive(archive: &Path, e: &std::io::Error) -> StoreError {
    err(tongchou_core::tr!(
        "store-err-wal-archive",
        path = archive.display(),
        error = tongchou_core::i18n::io_text(e)
    ))
}

fn write_recovery(dir: &Path, archive: &Path, target: &Target) -> Result<()> {
    let archive = std::fs::canonicalize(archive).map_err(|e| wal_archive(archive, &e))?;
    let target = match target {
        Target::Name(n) => format!("recovery_target_name = '{}'", quoted(n)),
        Target::Time(t) => format!("recovery_target_time = '{}'", quoted(t)),
    };
    let conf = format!(
        "\n# written by tongchou restore --pitr\nrestore_command = '{}'\n{target}\nrecovery_target_action = 'promote'\n",
        quoted(&restore_command(&archive)?)
    );
    let mut f = OpenOptions::new()
        .append(true)
        .create(true)
        .open(dir.join("postgresql.auto.conf"))
        .map_err(io)?;
    f.write_all(conf.as_bytes()).map_err(io)?;
    File::create(dir.join("recovery.signal")).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wal_segment_is_sealed_once_retried_as_success_and_opened_whole() {
        let dir = std::env::temp_dir().join(format!("tc-wal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let (key, _) = MasterKey::generate("test").unwrap();
        let seg: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let (src, dest, back) = (dir.join("seg"), dir.join("arch"), dir.join("back"));
        std::fs::write(&src, &seg).unwrap();
        assert!(wal_push(&key, &src, &dest).unwrap(), "written");
        assert!(is_sealed(&dest) && !is_sealed(&src));
        // PostgreSQL retrying the same segment: success, nothing rewritten
        assert!(!wal_push(&key, &src, &dest).unwrap());
        // another segment under the same name: refused
        std::fs::write(&src, b"other").unwrap();
        assert!(wal_push(&key, &src, &dest).is_err());
        wal_fetch(&key, &dest, &back).unwrap();
        assert_eq!(std::fs::read(&back).unwrap(), seg);
        // another key cannot open it; a file that is not a sealed segment is refused
        let (other, _) = MasterKey::generate("other").unwrap();
        assert!(wal_fetch(&other, &dest, &dir.join("x")).is_err());
        assert!(wal_fetch(&key, &src, &dir.join("y")).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
