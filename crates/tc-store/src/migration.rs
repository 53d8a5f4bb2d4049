//! The migration of a city's legacy records (migration 0030; `tongchou_app::migrate`): the
//! cities loaded and the fingerprint of their files, the contribution history by year, and the
//! review list of persons registered in two cities. The registry's own rows (employers,
//! persons, pensioners…) are written with `crate::registry`'s writers.
//!
//! The transactions belong to the callers; every function runs inside whichever is open.

use crate::{Db, Result, Row, Val};

/// A city brought in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    pub city: i64,
    /// SHA-256 over the SHA-256 of each file of the set, in a fixed order.
    pub fingerprint: String,
    /// yyyymm: balances and pensions are as at the first day of this month.
    pub cutover: i64,
    pub employers: i64,
    pub insured: i64,
    pub pensioners: i64,
    pub history_rows: i64,
    pub arrears: i64,
    pub reviews: i64,
    pub loaded_at: String,
    pub loaded_by: String,
}

const LOADED_COLS: &str = "city, fingerprint, cutover, employers, insured, pensioners, history_rows, arrears, reviews, loaded_at, loaded_by";

fn loaded_of(r: &Row) -> Result<Loaded> {
    Ok(Loaded {
        city: r[0].i64()?,
        fingerprint: r[1].text()?.to_string(),
        cutover: r[2].i64()?,
        employers: r[3].i64()?,
        insured: r[4].i64()?,
        pensioners: r[5].i64()?,
        history_rows: r[6].i64()?,
        arrears: r[7].i64()?,
        reviews: r[8].i64()?,
        loaded_at: r[9].text()?.to_string(),
        loaded_by: r[10].text()?.to_string(),
    })
}

/// The load of `city`, if it was loaded.
pub fn loaded(db: &mut Db, city: i64) -> Result<Option<Loaded>> {
    db.query_opt(
        &format!("SELECT {LOADED_COLS} FROM migration_loads WHERE city = $1"),
        &[Val::I64(city)],
    )?
    .map(|r| loaded_of(&r))
    .transpose()
}

/// Every city loaded, by code.
pub fn loads(db: &mut Db) -> Result<Vec<Loaded>> {
    db.query(
        &format!("SELECT {LOADED_COLS} FROM migration_loads ORDER BY city"),
        &[],
    )?
    .iter()
    .map(loaded_of)
    .collect()
}

pub fn record_load(db: &mut Db, l: &Loaded) -> Result<()> {
    db.exec(
        &format!(
            "INSERT INTO migration_loads ({LOADED_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ),
        &[
            Val::I64(l.city),
            Val::Str(&l.fingerprint),
            Val::I64(l.cutover),
            Val::I64(l.employers),
            Val::I64(l.insured),
            Val::I64(l.pensioners),
            Val::I64(l.history_rows),
            Val::I64(l.arrears),
            Val::I64(l.reviews),
            Val::Str(&l.loaded_at),
            Val::Str(&l.loaded_by),
        ],
    )?;
    Ok(())
}

/// Keep a loaded city's reconciliation per county (JSON), in the load's transaction.
pub fn record_report(db: &mut Db, city: i64, counties: &str) -> Result<()> {
    db.exec(
        "INSERT INTO migration_reports (city, counties) VALUES ($1, $2) ON CONFLICT (city) DO NOTHING",
        &[Val::I64(city), Val::Str(counties)],
    )?;
    Ok(())
}

/// A loaded city's reconciliation per county (JSON), if kept.
pub fn report(db: &mut Db, city: i64) -> Result<Option<String>> {
    db.query_opt(
        "SELECT counties FROM migration_reports WHERE city = $1",
        &[Val::I64(city)],
    )?
    .map(|r| Ok(r[0].text()?.to_string()))
    .transpose()
}

/// A person the province already holds under an ID number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Known {
    pub id_number: String,
    pub person: i64,
    pub county: i64,
    /// The person's status (active, suspended, retired, deceased, transferred_out).
    pub status: String,
}

/// Rows looked up per query.
const CHUNK: usize = 500;

fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Which of `ids` (18-character ID numbers) the province holds, and as whom.
pub fn known_ids(db: &mut Db, ids: &[&str]) -> Result<Vec<Known>> {
    let mut out = Vec::new();
    // asked by blind index when keyed (crate::keys::lookup_many), answered by ID number
    let (ask, back) = crate::keys::lookup_many(db, ids);
    for chunk in ask.chunks(CHUNK) {
        let params: Vec<Val<'_>> = chunk.iter().map(|s| Val::Str(s)).collect();
        let sql = format!(
            "SELECT i.id_number, p.id, p.county, p.status FROM person_ids i JOIN persons p ON p.id = i.person_id WHERE i.id_number IN ({})",
            placeholders(chunk.len())
        );
        for r in db.query(&sql, &params)? {
            let key = r[0].text()?;
            out.push(Known {
                id_number: back.get(key).cloned().unwrap_or_else(|| key.to_string()),
                person: r[1].i64()?,
                county: r[2].i64()?,
                status: r[3].text()?.to_string(),
            });
        }
    }
    Ok(out)
}

/// Which of the credit codes the province holds: (credit code, employer id, county).
pub fn known_employers(db: &mut Db, codes: &[&str]) -> Result<Vec<(String, i64, i64)>> {
    let mut out = Vec::new();
    for chunk in codes.chunks(CHUNK) {
        let params: Vec<Val<'_>> = chunk.iter().map(|s| Val::Str(s)).collect();
        let sql = format!(
            "SELECT credit_code, id, county FROM employers WHERE credit_code IN ({})",
            placeholders(chunk.len())
        );
        for r in db.query(&sql, &params)? {
            out.push((r[0].text()?.to_string(), r[1].i64()?, r[2].i64()?));
        }
    }
    Ok(out)
}

/// One year of a person's contribution history.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YearRow {
    pub person_id: i64,
    pub year: i64,
    pub months: i64,
    pub base_fen: i64,
    /// scaled 1e8
    pub idx: i64,
    pub credited_fen: i64,
}

pub type PushYear<'p> = dyn FnMut(&YearRow) -> Result<()> + 'p;

/// Write contribution years, each from `source` (`migration:CITY`).
pub fn write_years(
    db: &mut Db,
    source: &str,
    fill: &mut dyn FnMut(&mut PushYear<'_>) -> Result<()>,
) -> Result<u64> {
    const COLS: &[&str] = &[
        "person_id",
        "year",
        "months",
        "base_fen",
        "idx",
        "credited_fen",
        "source",
    ];
    db.bulk_insert("contribution_years", COLS, &mut |sink| {
        fill(&mut |r: &YearRow| {
            sink.row(&[
                Val::I64(r.person_id),
                Val::I64(r.year),
                Val::I64(r.months),
                Val::I64(r.base_fen),
                Val::I64(r.idx),
                Val::I64(r.credited_fen),
                Val::Str(source),
            ])
        })
    })
}

/// A person's contribution history, by year.
pub fn years_of(db: &mut Db, person: i64) -> Result<Vec<YearRow>> {
    db.query(
        "SELECT year, months, base_fen, idx, credited_fen FROM contribution_years WHERE person_id = $1 ORDER BY year",
        &[Val::I64(person)],
    )?
    .iter()
    .map(|r| {
        Ok(YearRow {
            person_id: person,
            year: r[0].i64()?,
            months: r[1].i64()?,
            base_fen: r[2].i64()?,
            idx: r[3].i64()?,
            credited_fen: r[4].i64()?,
        })
    })
    .collect()
}

/// Forget a person's contribution history (before another replaces it).
pub fn delete_years(db: &mut Db, person: i64) -> Result<u64> {
    db.exec(
        "DELETE FROM contribution_years WHERE person_id = $1",
        &[Val::I64(person)],
    )
}

/// An open arrears item brought in from a city.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrearRow {
    pub person_id: i64,
    pub period: i64,
    pub county: i64,
    /// 0 for a flexibly employed payer, as the collection close writes it.
    pub employer_id: i64,
    pub due_date: String,
    pub total_fen: i64,
    pub account_total_fen: i64,
    pub paid_fen: i64,
}

/// Add open arrears items (the next collection close matches receipts to them, oldest first).
pub fn write_arrears(db: &mut Db, rows: &[ArrearRow]) -> Result<u64> {
    db.bulk_insert("arrears", &crate::collection::ARREARS_COLS, &mut |sink| {
        for r in rows {
            sink.row(&[
                Val::I64(r.person_id),
                Val::I64(r.period),
                Val::I64(r.county),
                Val::I64(r.employer_id),
                Val::Str(&r.due_date),
                Val::I64(r.total_fen),
                Val::I64(r.account_total_fen),
                Val::I64(r.paid_fen),
            ])?;
        }
        Ok(())
    })
}

/// A person registered in two cities, held for a provincial user's decision.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Review {
    pub id: i64,
    pub city: i64,
    pub county: i64,
    pub id_number: String,
    /// insured or pensioner: which legacy file the incoming record came from
    pub kind: String,
    pub existing_person: i64,
    pub existing_county: i64,
    /// The incoming record, as JSON.
    pub record: String,
    /// open, kept_existing or took_incoming
    pub status: String,
    pub resolved_by: Option<String>,
    pub resolved_at: Option<String>,
}

const REVIEW_COLS: &str = "id, city, county, id_number, kind, existing_person, existing_county, record, status, resolved_by, resolved_at";

/// The column of a review's incoming record (an envelope under a master key).
const REVIEW_RECORD: &str = "migration_reviews.record";

/// A review row as read: the record decrypted; the ID number taken from the record, where a row
/// written under a master key keeps it (the `id_number` column holds its blind index then).
fn review_of(db: &Db, r: &Row) -> Result<Review> {
    let record = crate::keys::reveal(db, REVIEW_RECORD, r[7].text()?)?;
    let column = r[3].text()?;
    let id_number = match serde_json::from_str::<serde_json::Value>(&record) {
        Ok(serde_json::Value::Object(mut m)) if m.contains_key("id_number") => {
            let id = m.remove("id_number");
            let id = id
                .as_ref()
                .and_then(|v| v.as_str())
                .unwrap_or(column)
                .to_string();
            return Ok(Review {
                id_number: id,
                record: serde_json::Value::Object(m).to_string(),
                ..review_cols(r)?
            });
        }
        _ => column.to_string(),
    };
    Ok(Review {
        id_number,
        record,
        ..review_cols(r)?
    })
}

fn review_cols(r: &Row) -> Result<Review> {
    Ok(Review {
        id: r[0].i64()?,
        city: r[1].i64()?,
        county: r[2].i64()?,
        id_number: String::new(),
        kind: r[4].text()?.to_string(),
        existing_person: r[5].i64()?,
        existing_county: r[6].i64()?,
        record: String::new(),
        status: r[8].text()?.to_string(),
        resolved_by: r[9].opt_text()?.map(str::to_string),
        resolved_at: r[10].opt_text()?.map(str::to_string),
    })
}

/// Write a review row: the ID number is put inside the record; under a master key the
/// `id_number` column holds its blind index (the list stays unique per city) and the record is
/// sealed, so a conversion or rotation (`crate::rekey`) keeps the number in the envelope.
pub fn write_review(db: &mut Db, r: &Review) -> Result<()> {
    let mut rec: serde_json::Value = serde_json::from_str(&r.record)
        .map_err(|e| crate::StoreError::Invalid(format!("review {}: record: {e}", r.id)))?;
    if let Some(m) = rec.as_object_mut() {
        m.insert(
            "id_number".into(),
            serde_json::Value::from(r.id_number.as_str()),
        );
    }
    let id_number = crate::keys::lookup(db, &r.id_number);
    let record = crate::keys::seal(db, REVIEW_RECORD, &rec.to_string())?;
    db.exec(
        &format!(
            "INSERT INTO migration_reviews ({REVIEW_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL)"
        ),
        &[
            Val::I64(r.id),
            Val::I64(r.city),
            Val::I64(r.county),
            Val::Str(&id_number),
            Val::Str(&r.kind),
            Val::I64(r.existing_person),
            Val::I64(r.existing_county),
            Val::Str(&record),
            Val::Str(&r.status),
        ],
    )?;
    Ok(())
}

/// The review list, oldest first: of one city or all, open ones only or all.
pub fn reviews(db: &mut Db, city: Option<i64>, open_only: bool) -> Result<Vec<Review>> {
    let status = if open_only { Some("open") } else { None };
    db.query(
        &format!(
            "SELECT {REVIEW_COLS} FROM migration_reviews WHERE ($1 = 0 OR city = $1) AND (CAST($2 AS TEXT) IS NULL OR status = $2) ORDER BY city, id"
        ),
        &[
            Val::I64(city.unwrap_or(0)),
            status.map_or(Val::Null, Val::Str),
        ],
    )?
    .iter()
    .map(|r| review_of(db, r))
    .collect()
}

pub fn review(db: &mut Db, id: i64) -> Result<Option<Review>> {
    db.query_opt(
        &format!("SELECT {REVIEW_COLS} FROM migration_reviews WHERE id = $1"),
        &[Val::I64(id)],
    )?
    .map(|r| review_of(db, &r))
    .transpose()
}

/// Close an open review with `status`; false if it was not open.
pub fn resolve(db: &mut Db, id: i64, status: &str, by: &str, at: &str) -> Result<bool> {
    let n = db.exec(
        "UPDATE migration_reviews SET status = $2, resolved_by = $3, resolved_at = $4 WHERE id = $1 AND status = 'open'",
        &[Val::I64(id), Val::Str(status), Val::Str(by), Val::Str(at)],
    )?;
    Ok(n == 1)
}

/// An insured person's record as an incoming legacy record gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Takeover<'a> {
    pub person: i64,
    pub county: i64,
    pub employer_id: Option<i64>,
    pub payer_kind: &'a str,
    pub status: &'a str,
    pub status_since: &'a str,
    pub declared_fen: i64,
    pub as_of: i64,
    pub paid_months: i64,
    pub deemed_months: i64,
    pub avg_index: i64,
    pub balance_fen: i64,
}

/// Overwrite an insured person's record with an incoming one (the review's decision).
pub fn take_over(db: &mut Db, t: &Takeover<'_>) -> Result<bool> {
    let n = db.exec(
        "UPDATE persons SET county = $2, employer_id = CAST($3 AS BIGINT), payer_kind = $4, status = $5, status_since = $6, declared_fen = $7, as_of = $8, paid_months = $9, deemed_months = $10, avg_index = $11, balance_fen = $12, version = version + 1 WHERE id = $1 AND status IN ('active', 'suspended')",
        &[
            Val::I64(t.person),
            Val::I64(t.county),
            t.employer_id.map_or(Val::Null, Val::I64),
            Val::Str(t.payer_kind),
            Val::Str(t.status),
            Val::Str(t.status_since),
            Val::I64(t.declared_fen),
            Val::I64(t.as_of),
            Val::I64(t.paid_months),
            Val::I64(t.deemed_months),
            Val::I64(t.avg_index),
            Val::I64(t.balance_fen),
        ],
    )?;
    Ok(n == 1)
}

/// The last event number of a person (0 if none).
pub fn last_event_seq(db: &mut Db, person: i64) -> Result<i64> {
    db.query_i64(
        "SELECT COALESCE(MAX(seq), 0) FROM person_events WHERE person_id = $1",
        &[Val::I64(person)],
    )
}
