//! Converting stored ID numbers and bank accounts to the current data key, and rotating that
//! key (docs/CRYPTO.md §4): `tongchou keys convert` seals the rows written before the
//! deployment had a master key and turns its lookup columns into blind indexes; `tongchou keys
//! rotate` makes a new data key current, re-encrypts every field under it and then retires the
//! old ones. Both run in batches while the system runs: each batch is its own transaction that
//! also records in `crypto_run_progress` (migration 0049) how far it got, so a killed run
//! resumes; a write that races a batch is never overwritten (compare-and-set on the old value).
//! Nothing here decides who may run it: the callers audit it.

use crate::keys::{self, Keyring};
use crate::protect::{Protect, protected};
use crate::{Db, Result, StoreError, Val};
use rayon::prelude::*;
use tongchou_crypto::KeyProvider;

/// A protected column and how its rows are walked.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// `table.column`, also the envelope's associated data.
    pub name: &'static str,
    pub table: &'static str,
    pub column: &'static str,
    /// The integer key the batches walk (`None`: the column itself, a text key).
    pub key: Option<&'static str>,
    pub protect: Protect,
}

const fn seal(
    name: &'static str,
    table: &'static str,
    column: &'static str,
    key: &'static str,
) -> Target {
    Target {
        name,
        table,
        column,
        key: Some(key),
        protect: Protect::Seal(name),
    }
}

const fn lookup(table: &'static str, name: &'static str) -> Target {
    Target {
        name,
        table,
        column: "id_number",
        key: None,
        protect: Protect::Lookup,
    }
}

/// Every protected column: envelopes (re-encrypted by a rotation) and lookup columns (blind
/// indexes; the index key is not rotated, so only a conversion changes them).
pub const TARGETS: &[Target] = &[
    seal("persons.id_number", "persons", "id_number", "id"),
    seal(
        "pensioners.bank_account",
        "pensioners",
        "bank_account",
        "person_id",
    ),
    seal(
        "retirement_applications.bank_account",
        "retirement_applications",
        "bank_account",
        "id",
    ),
    seal(
        "survivor_claims.claimant_id_number",
        "survivor_claims",
        "claimant_id_number",
        "person_id",
    ),
    seal(
        "survivor_claims.bank_account",
        "survivor_claims",
        "bank_account",
        "person_id",
    ),
    seal("transfers.id_number", "transfers", "id_number", "id"),
    seal("transfers.certificate", "transfers", "certificate", "id"),
    seal(
        "migration_reviews.record",
        "migration_reviews",
        "record",
        "id",
    ),
    lookup("person_ids", "person_ids.id_number"),
    lookup("death_records", "death_records.id_number"),
    lookup("other_roll_entries", "other_roll_entries.id_number"),
    lookup("migration_reviews", "migration_reviews.id_number"),
];

fn err(m: impl Into<String>) -> StoreError {
    StoreError::Invalid(tongchou_core::tr!("store-err-keys", error = m.into()))
}

fn ring(db: &Db) -> Result<std::sync::Arc<Keyring>> {
    db.keyring
        .clone()
        .ok_or_else(|| err(tongchou_core::tr!("store-err-keys-no-master")))
}

/// A run as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub id: i64,
    pub kind: String,
    pub to_key: u32,
    pub finished: bool,
    pub retired: String,
}

/// The unfinished run, if any.
pub fn open_run(db: &mut Db) -> Result<Option<Run>> {
    db.query_opt(
        "SELECT id, kind, to_key, finished_at, retired FROM crypto_runs WHERE finished_at IS NULL ORDER BY id LIMIT 1",
        &[],
    )?
    .map(|r| {
        Ok(Run {
            id: r[0].i64()?,
            kind: r[1].text()?.to_string(),
            to_key: u32::try_from(r[2].i64()?).map_err(|_| err("to_key"))?,
            finished: r[3].opt_text()?.is_some(),
            retired: r[4].text()?.to_string(),
        })
    })
    .transpose()
}

/// Start a conversion (`rotate` false) or a rotation (a new data key made current first), or
/// give back the run left unfinished (which is resumed whatever was asked). The keyring of
/// `db` is reloaded so that it encrypts under the run's key.
pub fn start(
    db: &mut Db,
    p: std::sync::Arc<dyn KeyProvider>,
    rotate: bool,
    by: &str,
) -> Result<Run> {
    keys::load_shared(db, p.clone())?;
    if let Some(run) = open_run(db)? {
        return Ok(run);
    }
    let kind = if rotate { "rotate" } else { "convert" };
    db.transaction(|db| {
        if rotate {
            keys::add_key(db, p.as_ref(), "field")?;
        }
        Ok::<_, StoreError>(())
    })?;
    keys::load_shared(db, p)?;
    let to_key = ring(db)?.current_key();
    let now = crate::migrate::db_now(db.backend());
    db.transaction(|db| {
        let id = db.query_i64("SELECT COALESCE(MAX(id), 0) + 1 FROM crypto_runs", &[])?;
        db.exec(
            &format!("INSERT INTO crypto_runs (id, kind, to_key, started_by, started_at) VALUES ($1, $2, $3, $4, {now})"),
            &[Val::I64(id), Val::Str(kind), Val::I64(i64::from(to_key)), Val::Str(by)],
        )?;
        Ok(Run { id, kind: kind.to_string(), to_key, finished: false, retired: String::new() })
    })
}

/// How far a run got in one column: (last key, rows seen, rows changed, done).
fn progress(db: &mut Db, run: i64, t: &Target) -> Result<(String, i64, i64, bool)> {
    Ok(match db.query_opt(
        "SELECT last_key, rows_seen, rows_changed, done FROM crypto_run_progress WHERE run_id = $1 AND target = $2",
        &[Val::I64(run), Val::Str(t.name)],
    )? {
        Some(r) => (r[0].text()?.to_string(), r[1].i64()?, r[2].i64()?, r[3].i64()? == 1),
        None => (String::new(), 0, 0, false),
    })
}

/// The new stored value of `stored` (under key `to`), or `None` when it is already right.
fn moved(ring: &Keyring, t: &Target, stored: &str, to: u32) -> Result<Option<String>> {
    match t.protect {
        Protect::Lookup if keys::is_blind(stored) => Ok(None),
        Protect::Lookup => protected(ring, t.protect, stored).map(Some),
        Protect::Seal(_) if Keyring::key_of(stored) == Some(to) => Ok(None),
        Protect::Seal(column) => {
            let plain = keys::reveal_with(Some(ring), column, stored)?;
            protected(ring, t.protect, &plain).map(Some)
        }
    }
}

/// One batch of at most `batch` rows of the first column not done: re-encrypted (in parallel)
/// and written back with the progress, in one transaction. The column and the rows changed, or
/// `None` when every column is done.
pub fn step(db: &mut Db, run: &Run, batch: i64) -> Result<Option<(&'static str, u64)>> {
    let ring = ring(db)?;
    for t in TARGETS {
        let (last, seen, changed, done) = progress(db, run.id, t)?;
        if done {
            continue;
        }
        let n = db.transaction(|db| {
            let rows = read_batch(db, t, &last, batch)?;
            let news: Vec<Option<String>> = rows
                .par_iter()
                .map(|(_, v)| moved(&ring, t, v, run.to_key))
                .collect::<Result<_>>()?;
            let mut n = 0u64;
            for ((k, old), new) in rows.iter().zip(&news) {
                if let Some(new) = new {
                    n += write_back(db, t, k, old, new)?;
                }
            }
            let next = rows.last().map(|(k, _)| k.clone()).unwrap_or_else(|| last.clone());
            let finished = (rows.len() as i64) < batch;
            db.exec(
                "INSERT INTO crypto_run_progress (run_id, target, last_key, rows_seen, rows_changed, done) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id, target) DO UPDATE SET \
                 last_key = excluded.last_key, rows_seen = excluded.rows_seen, rows_changed = excluded.rows_changed, done = excluded.done",
                &[
                    Val::I64(run.id),
                    Val::Str(t.name),
                    Val::Str(&next),
                    Val::I64(seen + rows.len() as i64),
                    Val::I64(changed + n as i64),
                    Val::I64(i64::from(finished)),
                ],
            )?;
            Ok::<_, StoreError>(n)
        })?;
        return Ok(Some((t.name, n)));
    }
    Ok(None)
}

/// The next `batch` rows after `last`: (key as text, stored value).
fn read_batch(db: &mut Db, t: &Target, last: &str, batch: i64) -> Result<Vec<(String, String)>> {
    let rows = match t.key {
        Some(k) => {
            let after = if last.is_empty() {
                i64::MIN
            } else {
                last.parse().map_err(|_| err("progress key"))?
            };
            db.query(
                &format!(
                    "SELECT {k}, {c} FROM {tb} WHERE {k} > $1 ORDER BY {k} LIMIT $2",
                    c = t.column,
                    tb = t.table
                ),
                &[Val::I64(after), Val::I64(batch)],
            )?
            .iter()
            .map(|r| Ok((r[0].i64()?.to_string(), r[1].text()?.to_string())))
            .collect::<Result<Vec<_>>>()?
        }
        None => db
            .query(
                &format!(
                    "SELECT DISTINCT {c} FROM {tb} WHERE {c} > $1 ORDER BY {c} LIMIT $2",
                    c = t.column,
                    tb = t.table
                ),
                &[Val::Str(last), Val::I64(batch)],
            )?
            .iter()
            .map(|r| Ok((r[0].text()?.to_string(), r[0].text()?.to_string())))
            .collect::<Result<Vec<_>>>()?,
    };
    Ok(rows)
}

/// Write one moved value, unless the row changed since it was read. Rows written.
fn write_back(db: &mut Db, t: &Target, key: &str, old: &str, new: &str) -> Result<u64> {
    match t.key {
        Some(k) => {
            let id: i64 = key.parse().map_err(|_| err("row key"))?;
            db.exec(
                &format!(
                    "UPDATE {tb} SET {c} = $2 WHERE {k} = $1 AND {c} = $3",
                    tb = t.table,
                    c = t.column
                ),
                &[Val::I64(id), Val::Str(new), Val::Str(old)],
            )
        }
        None => db.exec(
            &format!(
                "UPDATE {tb} SET {c} = $2 WHERE {c} = $1",
                tb = t.table,
                c = t.column
            ),
            &[Val::Str(old), Val::Str(new)],
        ),
    }
}

/// Fields not (yet) under the run's key, by column: a full read, nothing decrypted.
pub fn stragglers(db: &mut Db, to_key: u32) -> Result<Vec<(&'static str, u64)>> {
    let mut out = Vec::new();
    for t in TARGETS {
        let mut n = 0u64;
        db.each(&format!("SELECT {} FROM {}", t.column, t.table), &[], |r| {
            let v = r.text(0)?;
            let right = match t.protect {
                Protect::Lookup => keys::is_blind(v),
                Protect::Seal(_) => Keyring::key_of(v) == Some(to_key),
            };
            n += u64::from(!right);
            Ok(())
        })?;
        if n > 0 {
            out.push((t.name, n));
        }
    }
    Ok(out)
}

/// End a run whose every column is done: when no field is left under another key (a process
/// that kept an old keyring may have written some meanwhile), the other field keys are retired
/// and the run is finished; else its progress is reset for another pass. Whether it finished,
/// and the keys retired.
pub fn finish(db: &mut Db, run: &Run) -> Result<(bool, Vec<u32>)> {
    let left = stragglers(db, run.to_key)?;
    db.transaction(|db| {
        if !left.is_empty() {
            db.exec("DELETE FROM crypto_run_progress WHERE run_id = $1", &[Val::I64(run.id)])?;
            return Ok((false, Vec::new()));
        }
        let old: Vec<u32> = db
            .query(
                "SELECT id FROM crypto_keys WHERE purpose = 'field' AND retired_at IS NULL AND id <> $1 ORDER BY id",
                &[Val::I64(i64::from(run.to_key))],
            )?
            .iter()
            .map(|r| u32::try_from(r[0].i64()?).map_err(|_| err("key id")))
            .collect::<Result<_>>()?;
        let now = crate::migrate::db_now(db.backend());
        db.exec(
            &format!("UPDATE crypto_keys SET retired_at = {now} WHERE purpose = 'field' AND retired_at IS NULL AND id <> $1"),
            &[Val::I64(i64::from(run.to_key))],
        )?;
        let retired = old.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        db.exec(
            &format!("UPDATE crypto_runs SET finished_at = {now}, retired = $2 WHERE id = $1"),
            &[Val::I64(run.id), Val::Str(&retired)],
        )?;
        Ok::<_, StoreError>((true, old))
    })
}

/// Rows changed by column (`table.column`, rows).
pub type Changed = Vec<(&'static str, u64)>;

/// Run (or resume) a run to the end: batches until every column is done, then [`finish`],
/// passes repeated until it finishes (at most `passes`). Rows changed by column, keys retired.
pub fn run_to_end(db: &mut Db, run: &Run, batch: i64, passes: u32) -> Result<(Changed, Vec<u32>)> {
    let mut changed: Vec<(&'static str, u64)> = Vec::new();
    for _ in 0..passes.max(1) {
        while let Some((t, n)) = step(db, run, batch)? {
            match changed.iter_mut().find(|(c, _)| *c == t) {
                Some(e) => e.1 += n,
                None => changed.push((t, n)),
            }
        }
        let (done, retired) = finish(db, run)?;
        if done {
            return Ok((changed, retired));
        }
    }
    Err(err(format!(
        "run {} still finds fields under another key after {passes} passes: a process with an old keyring keeps writing; run it again",
        run.id
    )))
}
