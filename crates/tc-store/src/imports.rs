//! What an import of a file needs from the store (migrations 0003 and 0004): the `imports` record
//! of each file loaded (kind, name, SHA-256, rows, when, by whom; one per kind and fingerprint),
//! the next application-chosen ids, lookups of many ID numbers, credit codes, receipt numbers and
//! declarations at once (on SQLite chunked `IN` lists; on PostgreSQL one array parameter, one
//! round trip and one plan per chunk of the import; employers by `IN` lists on both, an import
//! asking each credit code once), and the bulk writer of
//! wage declarations. Persons, employers and their events are written with [`crate::registry`].
//!
//! An importer checks a whole file with these lookups first, reports every bad row, and only if
//! there is none writes everything in one transaction together with its [`ImportRow`]; the
//! unique key on (kind, file_sha256) makes a second import of the same file fail.

use crate::{Db, Result, StoreError, Val};
use std::collections::HashMap;

/// Placeholders per `IN (…)` list. PostgreSQL answers a list of 500 ID numbers against a
/// registry of 100,000 with a sequential scan (26 ms) and one of 200 with a bitmap index scan
/// (0.6 ms); SQLite probes the index either way. (PostgreSQL is asked with one array instead:
/// [`ARRAY_CHUNK`].)
pub const LOOKUP_CHUNK: usize = 200;

/// Keys per array parameter on PostgreSQL (`col IN (SELECT unnest(CAST($n AS TEXT[])))`): an
/// import's chunk of 4,096 rows is one statement, where `IN` lists of 200 took 21 statements of
/// 200 parameters each. The keys as a set to join, not `col = ANY(CAST($n AS TEXT[]))`: the
/// parameter is text cast to an array when the statement runs, so the planner never sees the
/// array's values; once the statement's plan was kept (after five runs) it could be a scan of
/// the whole table comparing each row with every key by collation, chosen while the table was
/// small and kept while the import itself filled it (6,000 rows × 4,096 keys: 2 to 10 s a
/// statement, 25 s of a 29 s import of 200,000 collection results). Joined, the keys are
/// probed in the index whether the plan is kept or made for the values.
pub const ARRAY_CHUNK: usize = 10_000;

/// The keys as one PostgreSQL array literal (`{"a","b"}` or `{1,2}`) and its SQL type.
fn pg_array(keys: &[Val<'_>]) -> (String, &'static str) {
    let mut out = String::with_capacity(keys.len() * 24 + 2);
    let mut ty = "BIGINT[]";
    out.push('{');
    for (i, k) in keys.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match k {
            Val::I64(x) => out.push_str(&x.to_string()),
            Val::Str(t) => {
                ty = "TEXT[]";
                out.push('"');
                for c in t.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
            Val::Null => out.push_str("NULL"),
        }
    }
    out.push('}');
    (out, ty)
}

/// The rows `sql` gives for `keys` (all text or all integers), each handed to `f`. In `sql`,
/// `{keys}` stands for "the column is one of the keys": on SQLite an `IN` list of placeholders,
/// [`LOOKUP_CHUNK`] keys a statement; on PostgreSQL `IN` the set of one array parameter,
/// [`ARRAY_CHUNK`] keys a statement. `lead` are the parameters before the keys (`$1`…).
fn rows_for_keys(
    db: &mut Db,
    sql: &str,
    lead: &[Val<'_>],
    keys: &[Val<'_>],
    mut f: impl FnMut(&[crate::Value]) -> Result<()>,
) -> Result<()> {
    let pg = db.backend() == crate::Backend::Postgres;
    let chunk = if pg { ARRAY_CHUNK } else { LOOKUP_CHUNK };
    for part in keys.chunks(chunk) {
        let (array, ty) = if pg {
            pg_array(part)
        } else {
            (String::new(), "")
        };
        let mut params: Vec<Val<'_>> = lead.to_vec();
        let cond = if pg {
            params.push(Val::Str(&array));
            format!("IN (SELECT unnest(CAST(${} AS {ty})))", lead.len() + 1)
        } else {
            params.extend_from_slice(part);
            format!("IN ({})", placeholders(lead.len() + 1, part.len()))
        };
        for r in db.query(&sql.replace("{keys}", &cond), &params)? {
            f(&r)?;
        }
    }
    Ok(())
}

/// One imported file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow<'a> {
    pub id: i64,
    /// persons, employers, declarations or collections
    pub kind: &'a str,
    pub file_name: &'a str,
    /// SHA-256 of the file's bytes, 64 lowercase hex digits.
    pub file_sha256: &'a str,
    pub rows: i64,
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`
    pub imported_at: &'a str,
    pub imported_by: &'a str,
}

/// An `imports` row read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub file_sha256: String,
    pub rows: i64,
    pub imported_at: String,
    pub imported_by: String,
}

const IMPORT_COLS: &str = "id, kind, file_name, file_sha256, rows_count, imported_at, imported_by";

fn imported_of(r: &[crate::Value]) -> Result<Imported> {
    Ok(Imported {
        id: r[0].i64()?,
        kind: r[1].text()?.to_string(),
        file_name: r[2].text()?.to_string(),
        file_sha256: r[3].text()?.to_string(),
        rows: r[4].i64()?,
        imported_at: r[5].text()?.to_string(),
        imported_by: r[6].text()?.to_string(),
    })
}

/// The earlier import of a file of this kind with this fingerprint, if any.
pub fn find(db: &mut Db, kind: &str, file_sha256: &str) -> Result<Option<Imported>> {
    db.query_opt(
        &format!("SELECT {IMPORT_COLS} FROM imports WHERE kind = $1 AND file_sha256 = $2"),
        &[Val::Str(kind), Val::Str(file_sha256)],
    )?
    .map(|r| imported_of(&r))
    .transpose()
}

/// Every import, oldest first.
pub fn list(db: &mut Db) -> Result<Vec<Imported>> {
    db.query(
        &format!("SELECT {IMPORT_COLS} FROM imports ORDER BY id"),
        &[],
    )?
    .iter()
    .map(|r| imported_of(r))
    .collect()
}

/// Record an import (inside the transaction that wrote its rows). Fails if the same kind and
/// fingerprint is already recorded.
pub fn record(db: &mut Db, r: &ImportRow<'_>) -> Result<()> {
    db.exec(
        &format!("INSERT INTO imports ({IMPORT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"),
        &[
            Val::I64(r.id),
            Val::Str(r.kind),
            Val::Str(r.file_name),
            Val::Str(r.file_sha256),
            Val::I64(r.rows),
            Val::Str(r.imported_at),
            Val::Str(r.imported_by),
        ],
    )?;
    Ok(())
}

/// The next id of a table whose ids the application chooses: max(id) + 1 (1 for an empty
/// table). Call it inside the writing transaction.
pub fn next_id(db: &mut Db, table: &str) -> Result<i64> {
    if !matches!(table, "imports" | "persons" | "employers") {
        return Err(StoreError::Invalid(format!(
            "next_id: unexpected table {table:?}"
        )));
    }
    Ok(db.query_i64(&format!("SELECT MAX(id) FROM {table}"), &[])? + 1)
}

/// On PostgreSQL, refresh the planner statistics of those tables that changed much since they
/// were last analyzed (call it outside a transaction, before a large import): right after a
/// bulk load, and before autovacuum gets to it, the planner still believes a table small and
/// answers a lookup of 500 ID numbers with a sequential scan. Returns the tables analyzed. A
/// no-op on SQLite, whose planner uses the indexes without statistics.
pub fn analyze_if_stale(db: &mut Db, tables: &[&str]) -> Result<Vec<String>> {
    let mut done = Vec::new();
    if db.backend() != crate::Backend::Postgres {
        return Ok(done);
    }
    for t in tables {
        if !t.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(StoreError::Invalid(format!(
                "analyze: unexpected table {t:?}"
            )));
        }
        let r = db.query_opt(
            // the statistics functions on pg_class directly: the pg_stat_user_tables view
            // computes every table of the database first (a second with 100,000 of them)
            "SELECT pg_stat_get_live_tuples(c.oid), pg_stat_get_mod_since_analyze(c.oid), \
             CASE WHEN pg_stat_get_last_analyze_time(c.oid) IS NULL \
             AND pg_stat_get_last_autoanalyze_time(c.oid) IS NULL THEN 1 ELSE 0 END \
             FROM pg_class c WHERE c.relnamespace = CAST(current_schema() AS regnamespace) AND c.relname = $1",
            &[Val::Str(t)],
        )?;
        let stale = match r {
            Some(r) => {
                let (live, changed, never) = (r[0].i64()?, r[1].i64()?, r[2].i64()?);
                changed > 1000 && (never == 1 || changed > live / 10)
            }
            None => false,
        };
        if stale {
            db.batch(&format!("ANALYZE {t}"))?;
            done.push(t.to_string());
        }
    }
    Ok(done)
}

/// The tables an import looks up, whose statistics [`refresh_statistics`] keeps fresh.
pub const LOOKUP_TABLES: &[&str] = &[
    "person_ids",
    "persons",
    "employers",
    "wage_declarations",
    "receipts",
];

/// The tables an import of `kind` (`persons`, `employers`, `declarations`, `collections`)
/// looks up: a collections import asks neither employers nor declarations (so it does not
/// analyze the declarations a previous import just loaded); any other kind, all of
/// [`LOOKUP_TABLES`].
pub fn lookup_tables(kind: &str) -> &'static [&'static str] {
    match kind {
        "persons" => &["person_ids", "persons", "employers"],
        "employers" => &["employers"],
        "declarations" => &["person_ids", "persons", "employers", "wage_declarations"],
        "collections" => &["person_ids", "persons", "receipts"],
        _ => LOOKUP_TABLES,
    }
}

/// Before a large import of `kind` (outside a transaction): [`analyze_if_stale`] on the tables
/// the import looks up ([`lookup_tables`]). Returns the tables analyzed.
pub fn refresh_statistics(db: &mut Db, kind: &str) -> Result<Vec<String>> {
    analyze_if_stale(db, lookup_tables(kind))
}

/// `$k, $k+1, …` for `n` parameters starting at `$k`.
fn placeholders(first: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 5);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push('$');
        s.push_str(&(first + i).to_string());
    }
    s
}

/// A registered person as an import checks it: what the checks of every row need (the
/// employer's credit code, for a message about a row with a problem, is asked apart:
/// [`employer_codes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRef {
    pub id: i64,
    /// The registered name; empty unless asked for (a file with a name column, or the persons
    /// import's message about a person registered before).
    pub name: String,
    pub county: i64,
    pub employer_id: Option<i64>,
    /// A flexibly employed person (payer kind `flexible`), else an employee.
    pub flexible: bool,
}

/// The ID number a looked-up lookup-column value stands for.
fn plain_of(back: &HashMap<String, String>, stored: &str) -> String {
    back.get(stored)
        .cloned()
        .unwrap_or_else(|| stored.to_string())
}

/// The rows `pg` gives for `keys` on PostgreSQL, where `{key_rows}` stands for the keys as a
/// row source `k(v)` (one array parameter, [`ARRAY_CHUNK`] keys a statement) to be joined: a
/// nested loop probing the index once per key whether the plan is kept or made for the values,
/// and, unlike `IN (SELECT unnest(…))`, no hashing of the keys to make them a set first (the
/// caller passes distinct keys; sorted, the probes walk the index in order). On SQLite, `sqlite`
/// with `{keys}` as in [`rows_for_keys`].
fn rows_joining_keys(
    db: &mut Db,
    pg: &str,
    sqlite: &str,
    keys: &[Val<'_>],
    mut f: impl FnMut(&[crate::Value]) -> Result<()>,
) -> Result<()> {
    if db.backend() != crate::Backend::Postgres {
        return rows_for_keys(db, sqlite, &[], keys, f);
    }
    for part in keys.chunks(ARRAY_CHUNK) {
        let (array, ty) = pg_array(part);
        let sql = pg.replace("{key_rows}", &format!("unnest(CAST($1 AS {ty})) AS k(v)"));
        for r in db.query(&sql, &[Val::Str(&array)])? {
            f(&r)?;
        }
    }
    Ok(())
}

/// The registered persons among these ID numbers, by ID number (asked by blind index when
/// keyed: nothing here decrypts), with their names if `names`. Two index probes per ID number
/// (`person_ids`, `persons`).
pub fn persons_by_id_number(
    db: &mut Db,
    id_numbers: &[&str],
    names: bool,
) -> Result<HashMap<String, PersonRef>> {
    let mut out = HashMap::with_capacity(id_numbers.len());
    let (mut ask, back) = crate::keys::lookup_many(db, id_numbers);
    ask.sort_unstable();
    ask.dedup();
    let keys: Vec<Val<'_>> = ask.iter().map(|s| Val::Str(s)).collect();
    let cols = if names {
        "i.id_number, p.id, p.county, p.employer_id, p.payer_kind, p.name"
    } else {
        "i.id_number, p.id, p.county, p.employer_id, p.payer_kind"
    };
    rows_joining_keys(
        db,
        &format!(
            "SELECT {cols} FROM {{key_rows}} JOIN person_ids i ON i.id_number = k.v \
             JOIN persons p ON p.id = i.person_id"
        ),
        &format!(
            "SELECT {cols} FROM person_ids i JOIN persons p ON p.id = i.person_id \
             WHERE i.id_number {{keys}}"
        ),
        &keys,
        |r| {
            out.insert(
                plain_of(&back, r[0].text()?),
                PersonRef {
                    id: r[1].i64()?,
                    county: r[2].i64()?,
                    employer_id: r[3].opt_i64()?,
                    flexible: r[4].text()? == "flexible",
                    name: if names {
                        r[5].text()?.to_string()
                    } else {
                        String::new()
                    },
                },
            );
            Ok(())
        },
    )?;
    Ok(out)
}

/// The credit codes of these employers, by id (for the messages about rows with a problem).
pub fn employer_codes(db: &mut Db, ids: &[i64]) -> Result<HashMap<i64, String>> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = HashMap::with_capacity(ids.len());
    let keys: Vec<Val<'_>> = ids.iter().map(|i| Val::I64(*i)).collect();
    rows_for_keys(
        db,
        "SELECT id, credit_code FROM employers WHERE id {keys}",
        &[],
        &keys,
        |r| {
            out.insert(r[0].i64()?, r[1].text()?.to_string());
            Ok(())
        },
    )?;
    Ok(out)
}

/// Person ids of the registered ID numbers among these (the lean lookup for writing).
pub fn person_ids_by_id_number(db: &mut Db, id_numbers: &[&str]) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::with_capacity(id_numbers.len());
    let (ask, back) = crate::keys::lookup_many(db, id_numbers);
    let keys: Vec<Val<'_>> = ask.iter().map(|s| Val::Str(s)).collect();
    rows_for_keys(
        db,
        "SELECT id_number, person_id FROM person_ids WHERE id_number {keys}",
        &[],
        &keys,
        |r| {
            out.insert(plain_of(&back, r[0].text()?), r[1].i64()?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// A registered employer as an import checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployerRef {
    pub id: i64,
    pub name: String,
    /// active, suspended or closed
    pub status: String,
}

/// The registered employers among these credit codes, by credit code.
pub fn employers_by_credit_code(
    db: &mut Db,
    codes: &[&str],
) -> Result<HashMap<String, EmployerRef>> {
    let mut out = HashMap::with_capacity(codes.len());
    for chunk in codes.chunks(LOOKUP_CHUNK) {
        let sql = format!(
            "SELECT credit_code, id, name, status FROM employers WHERE credit_code IN ({})",
            placeholders(1, chunk.len())
        );
        let params: Vec<Val<'_>> = chunk.iter().map(|s| Val::Str(s)).collect();
        for r in db.query(&sql, &params)? {
            out.insert(
                r[0].text()?.to_string(),
                EmployerRef {
                    id: r[1].i64()?,
                    name: r[2].text()?.to_string(),
                    status: r[3].text()?.to_string(),
                },
            );
        }
    }
    Ok(out)
}

/// The receipt numbers among these that are already stored, with the import that brought each.
pub fn stored_receipts(db: &mut Db, receipts: &[&str]) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::new();
    let keys: Vec<Val<'_>> = receipts.iter().map(|s| Val::Str(s)).collect();
    rows_for_keys(
        db,
        "SELECT receipt, import_id FROM receipts WHERE receipt {keys}",
        &[],
        &keys,
        |r| {
            out.insert(r[0].text()?.to_string(), r[1].i64()?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// The persons among these who already have a wage declaration for `period` (yyyymm), with the
/// import that brought it.
pub fn stored_declarations(db: &mut Db, period: i64, persons: &[i64]) -> Result<HashMap<i64, i64>> {
    let mut out = HashMap::new();
    let keys: Vec<Val<'_>> = persons.iter().map(|p| Val::I64(*p)).collect();
    rows_for_keys(
        db,
        "SELECT person_id, import_id FROM wage_declarations WHERE period = $1 AND person_id {keys}",
        &[Val::I64(period)],
        &keys,
        |r| {
            out.insert(r[0].i64()?, r[1].i64()?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// One wage declaration (缴费基数申报).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeclarationRow {
    pub person_id: i64,
    /// yyyymm
    pub period: i64,
    /// The declaring employer, 0 for a flexibly employed person declaring for themselves.
    pub employer_id: i64,
    pub declared_fen: i64,
    pub import_id: i64,
}

pub type PushDeclaration<'p> = dyn FnMut(&DeclarationRow) -> Result<()> + 'p;

/// The columns [`write_declarations`] writes, in its order (the import benchmark's raw baseline
/// writes the same).
pub const DECLARATION_COLUMNS: [&str; 5] = [
    "person_id",
    "period",
    "employer_id",
    "declared_fen",
    "import_id",
];

/// Bulk-write wage declarations (inside the caller's transaction if one is open). A second
/// declaration for the same person and period fails the write (the primary key).
pub fn write_declarations(
    db: &mut Db,
    fill: &mut dyn FnMut(&mut PushDeclaration<'_>) -> Result<()>,
) -> Result<u64> {
    db.bulk_insert("wage_declarations", &DECLARATION_COLUMNS, &mut |sink| {
        fill(&mut |r: &DeclarationRow| {
            sink.row(&[
                Val::I64(r.person_id),
                Val::I64(r.period),
                Val::I64(r.employer_id),
                Val::I64(r.declared_fen),
                Val::I64(r.import_id),
            ])
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{self, EmployerRow, PersonRow};
    use crate::testing;

    /// With `keyed`, under a keyring: the ID numbers are stored sealed, looked up by their
    /// blind index, and answered by the plain ID numbers asked.
    fn check(url: &str, keyed: bool) {
        let mut db = Db::open(url).expect("open");
        if keyed {
            let (master, _) = crate::keys::MasterKey::generate("test").expect("master");
            crate::keys::load_shared(&mut db, std::sync::Arc::new(master)).expect("keyring");
        }
        assert_eq!(next_id(&mut db, "imports").expect("id"), 1);
        assert!(next_id(&mut db, "receipts; DROP TABLE x").is_err());
        let row = ImportRow {
            id: 1,
            kind: "persons",
            file_name: "p.csv",
            file_sha256: "ab",
            rows: 2,
            imported_at: "2026-11-27T00:00:00.000Z",
            imported_by: "cli:test",
        };
        record(&mut db, &row).expect("record");
        assert!(
            record(
                &mut db,
                &ImportRow {
                    id: 2,
                    ..row.clone()
                }
            )
            .is_err()
        );
        let found = find(&mut db, "persons", "ab")
            .expect("find")
            .expect("found");
        assert_eq!(
            (found.id, found.rows, found.file_name.as_str()),
            (1, 2, "p.csv")
        );
        assert_eq!(find(&mut db, "employers", "ab").expect("find"), None);
        assert_eq!(list(&mut db).expect("list").len(), 1);
        assert_eq!(next_id(&mut db, "imports").expect("id"), 2);

        registry::write_employers(&mut db, &mut |push| {
            push(&EmployerRow {
                id: 7,
                credit_code: "91140105MA0K7Q2L9U",
                name: "钢铁",
                county: 140105,
                industry: "C",
                status: "active",
                status_since: "2020-01-01",
                registered_on: "2020-01-01",
            })
        })
        .expect("employers");
        let ids: Vec<String> = (0..1203).map(|i| format!("X{i:017}")).collect();
        registry::write_persons(&mut db, &mut |push| {
            for (i, idn) in ids.iter().enumerate() {
                push(&PersonRow {
                    id: i as i64 + 1,
                    id_number: idn,
                    name: "王",
                    sex: "male",
                    birth: "1980-01-01",
                    category: "male",
                    county: 140105,
                    employer_id: if i % 2 == 0 { Some(7) } else { None },
                    payer_kind: if i % 2 == 0 { "employee" } else { "flexible" },
                    status: "active",
                    status_since: "2020-01-01",
                    enrolled_on: "2020-01-01",
                    declared_fen: 0,
                    as_of: 202001,
                    paid_months: 0,
                    deemed_months: 0,
                    avg_index: 0,
                    balance_fen: 0,
                })?;
            }
            Ok(())
        })
        .expect("persons");
        registry::write_person_ids(&mut db, &mut |push| {
            for (i, idn) in ids.iter().enumerate() {
                push(&(idn.as_str(), i as i64 + 1))?;
            }
            Ok(())
        })
        .expect("ids");
        // several chunks, some unknown
        let mut ask: Vec<&str> = ids.iter().map(String::as_str).step_by(2).collect();
        ask.push("NOPE");
        // an ID number asked twice is answered once
        ask.push(ids[2].as_str());
        let got = persons_by_id_number(&mut db, &ask, false).expect("lookup");
        assert_eq!(got.len(), 602);
        let p = &got[ids[2].as_str()];
        assert_eq!((p.id, p.employer_id, p.flexible), (3, Some(7), false));
        assert_eq!(p.name, "");
        assert_eq!(got[ids[4].as_str()].id, 5);
        let named = persons_by_id_number(&mut db, &ask, true).expect("lookup");
        assert_eq!(named.len(), 602);
        assert_eq!(named[ids[4].as_str()].name, "王");
        assert!(!got.contains_key(ids[1].as_str()));
        assert!(named[ids[6].as_str()].employer_id.is_some());
        let flex = persons_by_id_number(&mut db, &[ids[1].as_str()], false).expect("flex");
        assert_eq!(
            (
                flex[ids[1].as_str()].flexible,
                flex[ids[1].as_str()].employer_id
            ),
            (true, None)
        );
        let codes = employer_codes(&mut db, &[7, 7, 8]).expect("codes");
        assert_eq!(codes.len(), 1);
        assert_eq!(codes[&7], "91140105MA0K7Q2L9U");
        if keyed {
            let stored: i64 = db
                .query_i64(
                    "SELECT count(*) FROM person_ids WHERE id_number = $1",
                    &[Val::Str(&ids[2])],
                )
                .expect("count");
            assert_eq!(stored, 0, "sealed: no plain ID number in person_ids");
        }
        let lean = person_ids_by_id_number(&mut db, &ask).expect("lean");
        assert_eq!(lean.len(), 602);
        assert_eq!(lean.get(ids[1201].as_str()), None);
        assert_eq!(lean.get(ids[1200].as_str()), Some(&1201));
        let e = employers_by_credit_code(&mut db, &["91140105MA0K7Q2L9U", "x"]).expect("e");
        assert_eq!(e.len(), 1);
        assert_eq!(e["91140105MA0K7Q2L9U"].id, 7);

        let n = write_declarations(&mut db, &mut |push| {
            for p in 1..=1100 {
                push(&DeclarationRow {
                    person_id: p,
                    period: 202610,
                    employer_id: 7,
                    declared_fen: 500_000,
                    import_id: 1,
                })?;
            }
            Ok(())
        })
        .expect("declarations");
        assert_eq!(n, 1100);
        let persons: Vec<i64> = (1000..=1203).collect();
        let stored = stored_declarations(&mut db, 202610, &persons).expect("stored");
        assert_eq!(stored.len(), 101);
        assert!(
            stored_declarations(&mut db, 202609, &persons)
                .expect("s")
                .is_empty()
        );
        db.exec(
            "INSERT INTO receipts (receipt, person_id, period, paid_fen, paid_on, import_id) VALUES ('R1', 1, 202610, 100, '2026-11-01', 1)",
            &[],
        )
        .expect("receipt");
        let r = stored_receipts(&mut db, &["R1", "R2"]).expect("receipts");
        assert_eq!(r.get("R1"), Some(&1));
        assert_eq!(r.len(), 1);
        // receipt numbers holding the array literal's own characters, asked among more keys
        // than one statement takes (the odd ones in the last statement on either backend)
        let odd = ["R\"1", "R\\2", "R,3", "R{4}", "NULL", "R 6", "R'7"];
        for (i, r) in odd.iter().enumerate() {
            db.exec(
                "INSERT INTO receipts (receipt, person_id, period, paid_fen, paid_on, import_id) VALUES ($1, 1, 202610, 100, '2026-11-01', $2)",
                &[Val::Str(r), Val::I64(i as i64 + 2)],
            )
            .expect("odd receipt");
        }
        let mut asked: Vec<String> = (0..ARRAY_CHUNK + 5).map(|i| format!("X{i}")).collect();
        asked.push("R1".into());
        asked.extend(odd.iter().map(|s| s.to_string()));
        let refs: Vec<&str> = asked.iter().map(String::as_str).collect();
        let r = stored_receipts(&mut db, &refs).expect("receipts");
        assert_eq!(r.len(), odd.len() + 1);
        for (i, o) in odd.iter().enumerate() {
            assert_eq!(r.get(*o), Some(&(i as i64 + 2)), "{o}");
        }
        // statistics: the query runs (whether the counters already show the load depends on
        // when the server flushes them); bad names are refused; SQLite has nothing to do
        let analyzed = refresh_statistics(&mut db, "other").expect("refresh");
        assert!(analyzed.iter().all(|t| LOOKUP_TABLES.contains(&t.as_str())));
        let analyzed = analyze_if_stale(&mut db, &["person_ids", "persons"]).expect("analyze");
        assert!(analyzed.iter().all(|t| t == "person_ids" || t == "persons"));
        if db.backend() == crate::Backend::Sqlite {
            assert!(analyzed.is_empty());
        } else {
            assert!(analyze_if_stale(&mut db, &["persons; DROP"]).is_err());
        }
    }

    #[test]
    fn imports_on_sqlite() {
        check(&testing::sqlite_url("imports"), false);
        check(&testing::sqlite_url("imports-keyed"), true);
    }

    #[test]
    fn imports_on_postgres() {
        check(&testing::pg_url("imports"), false);
        check(&testing::pg_url("imports_keyed"), true);
    }
}
