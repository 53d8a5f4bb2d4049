//! Transfers of the pension relationship between provinces (migrations 0031, 0052, 0053, 0062;
//! `tongchou_app::transfer`): the transfers out and in, a person's paid months from the
//! collection closes, and the updates of a person's record that a transfer makes.
//!
//! The transactions belong to the callers; every function runs inside whichever is open.

use crate::{Db, Result, Row, Val};

/// One transfer, out or in.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Transfer {
    pub id: i64,
    /// out or in
    pub direction: String,
    pub person_id: i64,
    pub id_number: String,
    pub other_province: i64,
    pub transfer_date: String,
    pub paid_months: i64,
    pub balance_fen: i64,
    pub pooling_fen: i64,
    pub total_fen: i64,
    pub received_fen: Option<i64>,
    /// done or held
    pub status: String,
    pub certificate: String,
    pub certificate_sha: String,
    pub ledger_key: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

const COLS: &str = "id, direction, person_id, id_number, other_province, transfer_date, paid_months, balance_fen, pooling_fen, total_fen, received_fen, status, certificate, certificate_sha, ledger_key, created_by, created_at";

/// `transfers.id_number` and `transfers.certificate` (the certificate's JSON, which carries the
/// ID number) are sealed when keyed (crate::keys) and read back decrypted.
fn of(db: &Db, r: &Row) -> Result<Transfer> {
    Ok(Transfer {
        id: r[0].i64()?,
        direction: r[1].text()?.to_string(),
        person_id: r[2].i64()?,
        id_number: crate::keys::reveal(db, "transfers.id_number", r[3].text()?)?,
        other_province: r[4].i64()?,
        transfer_date: r[5].text()?.to_string(),
        paid_months: r[6].i64()?,
        balance_fen: r[7].i64()?,
        pooling_fen: r[8].i64()?,
        total_fen: r[9].i64()?,
        received_fen: r[10].opt_i64()?,
        status: r[11].text()?.to_string(),
        certificate: crate::keys::reveal(db, "transfers.certificate", r[12].text()?)?,
        certificate_sha: r[13].text()?.to_string(),
        ledger_key: r[14].opt_text()?.map(str::to_string),
        created_by: r[15].text()?.to_string(),
        created_at: r[16].text()?.to_string(),
    })
}

pub fn insert(db: &mut Db, t: &Transfer) -> Result<()> {
    let id_number = crate::keys::seal(db, "transfers.id_number", &t.id_number)?;
    let certificate = crate::keys::seal(db, "transfers.certificate", &t.certificate)?;
    db.exec(
        &format!("INSERT INTO transfers ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CAST($11 AS BIGINT), $12, $13, $14, $15, $16, $17)"),
        &[
            Val::I64(t.id),
            Val::Str(&t.direction),
            Val::I64(t.person_id),
            Val::Str(&id_number),
            Val::I64(t.other_province),
            Val::Str(&t.transfer_date),
            Val::I64(t.paid_months),
            Val::I64(t.balance_fen),
            Val::I64(t.pooling_fen),
            Val::I64(t.total_fen),
            t.received_fen.map_or(Val::Null, Val::I64),
            Val::Str(&t.status),
            Val::Str(&certificate),
            Val::Str(&t.certificate_sha),
            t.ledger_key.as_deref().map_or(Val::Null, Val::Str),
            Val::Str(&t.created_by),
            Val::Str(&t.created_at),
        ],
    )?;
    Ok(())
}

/// The transfer of a certificate already read or issued (same direction and SHA-256).
pub fn by_certificate(db: &mut Db, direction: &str, sha: &str) -> Result<Option<Transfer>> {
    db.query_opt(
        &format!("SELECT {COLS} FROM transfers WHERE direction = $1 AND certificate_sha = $2"),
        &[Val::Str(direction), Val::Str(sha)],
    )?
    .map(|r| of(db, &r))
    .transpose()
}

/// A transfer's state: a held transfer once reviewed is `released` or `refused` (migration
/// 0053); a transfer out the receiving province confirmed is `confirmed`, or `rejected` when it
/// refused it.
const STATE: &str = "COALESCE(r.decision, CASE c.outcome WHEN 'accepted' THEN 'confirmed' WHEN 'refused' THEN 'rejected' END, t.status)";

/// The transfers with their reviews and confirmations.
const JOINED: &str = "transfers t LEFT JOIN transfer_reviews r ON r.transfer_id = t.id LEFT JOIN transfer_confirmations c ON c.transfer_id = t.id";

/// The columns of a transfer with its state.
fn reviewed_cols() -> String {
    COLS.split(", ")
        .map(|c| match c {
            "status" => STATE.to_string(),
            c => format!("t.{c}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every transfer, of one state or all, oldest first. States: done, held, released (a held
/// transfer booked after review), refused (a held transfer whose money goes back), confirmed /
/// rejected (a transfer out the receiving province accepted / refused).
pub fn list(db: &mut Db, status: Option<&str>) -> Result<Vec<Transfer>> {
    db.query(
        &format!(
            "SELECT {} FROM {JOINED} WHERE (CAST($1 AS TEXT) IS NULL OR {STATE} = $1) ORDER BY t.created_at, t.id",
            reviewed_cols()
        ),
        &[status.map_or(Val::Null, Val::Str)],
    )?
    .iter()
    .map(|r| of(db, r))
    .collect()
}

/// One transfer by id, with its state (as [`list`]).
pub fn by_id(db: &mut Db, id: i64) -> Result<Option<Transfer>> {
    db.query_opt(
        &format!("SELECT {} FROM {JOINED} WHERE t.id = $1", reviewed_cols()),
        &[Val::I64(id)],
    )?
    .map(|r| of(db, &r))
    .transpose()
}

/// The county of each transfer: the person's, else (someone not yet registered, held) the
/// county given when it was held. (transfer id, county)
pub fn counties(db: &mut Db) -> Result<Vec<(i64, Option<i64>)>> {
    db.query(
        "SELECT t.id, COALESCE(p.county, r.county) FROM transfers t
         LEFT JOIN persons p ON p.id = t.person_id
         LEFT JOIN transfer_reviews r ON r.transfer_id = t.id",
        &[],
    )?
    .iter()
    .map(|r| Ok((r[0].i64()?, r[1].opt_i64()?)))
    .collect()
}

/// The review of a held transfer (migration 0053).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Review {
    pub transfer_id: i64,
    /// The county that takes the person in, as given when the transfer was held.
    pub county: Option<i64>,
    /// released or refused; None while undecided
    pub decision: Option<String>,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
}

/// A transfer held: its review row, undecided, with the county given.
pub fn hold(db: &mut Db, transfer: i64, county: i64) -> Result<()> {
    db.exec(
        "INSERT INTO transfer_reviews (transfer_id, county) VALUES ($1, $2)",
        &[Val::I64(transfer), Val::I64(county)],
    )?;
    Ok(())
}

/// The review of a held transfer, if one was written.
pub fn review(db: &mut Db, transfer: i64) -> Result<Option<Review>> {
    db.query_opt(
        "SELECT transfer_id, county, decision, reason, decided_by, decided_at FROM transfer_reviews WHERE transfer_id = $1",
        &[Val::I64(transfer)],
    )?
    .map(|r| {
        Ok(Review {
            transfer_id: r[0].i64()?,
            county: r[1].opt_i64()?,
            decision: r[2].opt_text()?.map(str::to_string),
            reason: r[3].opt_text()?.map(str::to_string),
            decided_by: r[4].opt_text()?.map(str::to_string),
            decided_at: r[5].opt_text()?.map(str::to_string),
        })
    })
    .transpose()
}

/// Decide a held transfer once: `released` (its status becomes done, booked by `ledger_key`) or
/// `refused`. False when it was already decided or is not held.
pub fn decide(
    db: &mut Db,
    transfer: i64,
    decision: &str,
    reason: &str,
    by: &str,
    at: &str,
    ledger_key: Option<&str>,
) -> Result<bool> {
    let n = db.exec(
        "INSERT INTO transfer_reviews (transfer_id, decision, reason, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (transfer_id) DO UPDATE SET decision = excluded.decision, reason = excluded.reason,
           decided_by = excluded.decided_by, decided_at = excluded.decided_at
         WHERE transfer_reviews.decision IS NULL",
        &[
            Val::I64(transfer),
            Val::Str(decision),
            Val::Str(reason),
            Val::Str(by),
            Val::Str(at),
        ],
    )?;
    if n != 1 {
        return Ok(false);
    }
    if let Some(key) = ledger_key {
        db.exec(
            "UPDATE transfers SET status = 'done', ledger_key = $2 WHERE id = $1 AND status = 'held'",
            &[Val::I64(transfer), Val::Str(key)],
        )?;
    }
    Ok(true)
}

/// Set the person of a held transfer once they are registered at its release.
pub fn set_person(db: &mut Db, transfer: i64, person: i64) -> Result<()> {
    db.exec(
        "UPDATE transfers SET person_id = $2 WHERE id = $1",
        &[Val::I64(transfer), Val::I64(person)],
    )?;
    Ok(())
}

/// The months the collection closes assessed for a person and that are not open arrears, with
/// their contribution base: (yyyymm, base), probed month by month (`crate::months`).
pub fn paid_periods(db: &mut Db, person: i64) -> Result<Vec<(i64, i64)>> {
    let (lo, hi) = crate::months::ASSESSED;
    db.query(
        &format!(
            "WITH RECURSIVE {} \
             SELECT a.period, a.base_fen FROM m CROSS JOIN assessments a \
             WHERE a.period = m.p AND a.person_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM arrears r WHERE r.person_id = a.person_id AND r.period = a.period) \
             ORDER BY a.period",
            crate::months::months("m", lo, hi)
        ),
        &[Val::I64(person)],
    )?
    .iter()
    .map(|r| Ok((r[0].i64()?, r[1].i64()?)))
    .collect()
}

/// A person leaves the province: status transferred out from `on`.
pub fn close_person(db: &mut Db, person: i64, on: &str) -> Result<bool> {
    let n = db.exec(
        "UPDATE persons SET status = 'transferred_out', status_since = $2, version = version + 1 WHERE id = $1 AND status IN ('active', 'suspended')",
        &[Val::I64(person), Val::Str(on)],
    )?;
    Ok(n == 1)
}

/// Add the months and balance a certificate brings to a person's record, the average index
/// becoming `avg_index`.
pub fn add_to_person(
    db: &mut Db,
    person: i64,
    paid_months: i64,
    deemed_months: i64,
    avg_index: i64,
    balance_fen: i64,
) -> Result<bool> {
    let n = db.exec(
        "UPDATE persons SET paid_months = paid_months + $2, deemed_months = deemed_months + $3, avg_index = $4, balance_fen = balance_fen + $5, version = version + 1 WHERE id = $1",
        &[
            Val::I64(person),
            Val::I64(paid_months),
            Val::I64(deemed_months),
            Val::I64(avg_index),
            Val::I64(balance_fen),
        ],
    )?;
    Ok(n == 1)
}

/// Add a year of contributions to a person's history (months and credits add up; the base
/// becomes the months-weighted average).
pub fn add_year(db: &mut Db, y: &crate::migration::YearRow, source: &str) -> Result<()> {
    db.exec(
        "INSERT INTO contribution_years (person_id, year, months, base_fen, idx, credited_fen, source) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (person_id, year) DO UPDATE SET
           base_fen = (contribution_years.base_fen * contribution_years.months + excluded.base_fen * excluded.months) / (contribution_years.months + excluded.months),
           idx = (contribution_years.idx * contribution_years.months + excluded.idx * excluded.months) / (contribution_years.months + excluded.months),
           months = contribution_years.months + excluded.months,
           credited_fen = contribution_years.credited_fen + excluded.credited_fen",
        &[
            Val::I64(y.person_id),
            Val::I64(y.year),
            Val::I64(y.months),
            Val::I64(y.base_fen),
            Val::I64(y.idx),
            Val::I64(y.credited_fen),
            Val::Str(source),
        ],
    )?;
    Ok(())
}

/// What a transfer reads of a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonSummary {
    pub id: i64,
    pub name: String,
    pub category: String,
    pub status: String,
    pub paid_months: i64,
    pub deemed_months: i64,
    pub avg_index: i64,
    pub balance_fen: i64,
    /// Whether a pensioner row exists (someone drawing, or who drew, a pension).
    pub pensioner: bool,
}

/// The person with this ID number, if registered.
pub fn person(db: &mut Db, id_number: &str) -> Result<Option<PersonSummary>> {
    let f = crate::keys::lookup_forms(db, id_number);
    let second = f.get(1).unwrap_or(&f[0]);
    db.query_opt(
        "SELECT p.id, p.name, p.category, p.status, p.paid_months, p.deemed_months, p.avg_index, p.balance_fen,
                (SELECT count(*) FROM pensioners r WHERE r.person_id = p.id)
         FROM person_ids i JOIN persons p ON p.id = i.person_id WHERE i.id_number IN ($1, $2)",
        &[Val::Str(&f[0]), Val::Str(second)],
    )?
    .map(|r| {
        Ok(PersonSummary {
            id: r[0].i64()?,
            name: r[1].text()?.to_string(),
            category: r[2].text()?.to_string(),
            status: r[3].text()?.to_string(),
            paid_months: r[4].i64()?,
            deemed_months: r[5].i64()?,
            avg_index: r[6].i64()?,
            balance_fen: r[7].i64()?,
            pensioner: r[8].i64()? > 0,
        })
    })
    .transpose()
}

/// A person's household registration (户籍所在地, migration 0052), if known.
pub fn household_registration(db: &mut Db, person: i64) -> Result<Option<i64>> {
    db.query_opt(
        "SELECT region FROM person_hukou WHERE person_id = $1",
        &[Val::I64(person)],
    )?
    .map(|r| r[0].i64())
    .transpose()
}

/// Record (or correct) a person's household registration, from `source` (e.g. `transfer_in`,
/// `import`).
pub fn set_household_registration(
    db: &mut Db,
    person: i64,
    region: i64,
    source: &str,
    at: &str,
) -> Result<()> {
    db.exec(
        "INSERT INTO person_hukou (person_id, region, source, recorded_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (person_id) DO UPDATE SET region = excluded.region, source = excluded.source, recorded_at = excluded.recorded_at",
        &[Val::I64(person), Val::I64(region), Val::Str(source), Val::Str(at)],
    )?;
    Ok(())
}

/// Record the household registrations of newly registered persons in bulk: (person, region),
/// each from `source` (e.g. `import:ID`) at `at` (the register import's persons).
pub fn write_household_registrations(
    db: &mut Db,
    rows: &[(i64, i64)],
    source: &str,
    at: &str,
) -> Result<u64> {
    if rows.is_empty() {
        return Ok(0);
    }
    const COLS: &[&str] = &["person_id", "region", "source", "recorded_at"];
    db.bulk_insert("person_hukou", COLS, &mut |sink| {
        for (person, region) in rows {
            sink.row(&[
                Val::I64(*person),
                Val::I64(*region),
                Val::Str(source),
                Val::Str(at),
            ])?;
        }
        Ok(())
    })
}

/// The months of a person's contribution history by where they were paid: the source of each
/// stored year (`transfer_in:PROVINCE` for years another province's certificate brought, else
/// this province's), with the months and the last year. (source, months, last year), oldest
/// last year first.
pub fn months_by_source(db: &mut Db, person: i64) -> Result<Vec<(String, i64, i64)>> {
    db.query(
        "SELECT source, CAST(SUM(months) AS BIGINT), MAX(year) FROM contribution_years WHERE person_id = $1
         GROUP BY source ORDER BY MAX(year), source",
        &[Val::I64(person)],
    )?
    .iter()
    .map(|r| Ok((r[0].text()?.to_string(), r[1].i64()?, r[2].i64()?)))
    .collect()
}

/// One payment file of a transfer's money (migration 0053).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Payment {
    pub transfer_id: i64,
    pub attempt: i64,
    /// transfer_out or refund
    pub purpose: String,
    pub message_id: String,
    pub end_to_end_id: String,
    pub amount_fen: i64,
    pub creditor_name: String,
    pub creditor_account: String,
    pub creditor_cnaps: Option<String>,
    /// issued, paid or returned
    pub state: String,
    pub file_sha: String,
    pub created_by: String,
    pub created_at: String,
    pub answered_by: Option<String>,
    pub answered_at: Option<String>,
    pub answer_note: Option<String>,
}

const PAY_COLS: &str = "transfer_id, attempt, purpose, message_id, end_to_end_id, amount_fen, creditor_name, creditor_account, creditor_cnaps, state, file_sha, created_by, created_at, answered_by, answered_at, answer_note";

pub fn insert_payment(db: &mut Db, p: &Payment) -> Result<()> {
    db.exec(
        &format!("INSERT INTO transfer_payments ({PAY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, NULL, NULL, NULL)"),
        &[
            Val::I64(p.transfer_id),
            Val::I64(p.attempt),
            Val::Str(&p.purpose),
            Val::Str(&p.message_id),
            Val::Str(&p.end_to_end_id),
            Val::I64(p.amount_fen),
            Val::Str(&p.creditor_name),
            Val::Str(&p.creditor_account),
            p.creditor_cnaps.as_deref().map_or(Val::Null, Val::Str),
            Val::Str(&p.state),
            Val::Str(&p.file_sha),
            Val::Str(&p.created_by),
            Val::Str(&p.created_at),
        ],
    )?;
    Ok(())
}

/// The payment files of a transfer, first attempt first.
pub fn payments(db: &mut Db, transfer: i64) -> Result<Vec<Payment>> {
    db.query(
        &format!(
            "SELECT {PAY_COLS} FROM transfer_payments WHERE transfer_id = $1 ORDER BY attempt"
        ),
        &[Val::I64(transfer)],
    )?
    .iter()
    .map(payment_row)
    .collect()
}

/// The attempts a payment message (a pain.001 `MsgId`) carries: none when it is not a transfer's.
pub fn payments_of_message(db: &mut Db, message_id: &str) -> Result<Vec<Payment>> {
    db.query(
        &format!("SELECT {PAY_COLS} FROM transfer_payments WHERE message_id = $1 ORDER BY transfer_id, attempt"),
        &[Val::Str(message_id)],
    )?
    .iter()
    .map(payment_row)
    .collect()
}

fn payment_row(r: &Row) -> Result<Payment> {
    Ok(Payment {
        transfer_id: r[0].i64()?,
        attempt: r[1].i64()?,
        purpose: r[2].text()?.to_string(),
        message_id: r[3].text()?.to_string(),
        end_to_end_id: r[4].text()?.to_string(),
        amount_fen: r[5].i64()?,
        creditor_name: r[6].text()?.to_string(),
        creditor_account: r[7].text()?.to_string(),
        creditor_cnaps: r[8].opt_text()?.map(str::to_string),
        state: r[9].text()?.to_string(),
        file_sha: r[10].text()?.to_string(),
        created_by: r[11].text()?.to_string(),
        created_at: r[12].text()?.to_string(),
        answered_by: r[13].opt_text()?.map(str::to_string),
        answered_at: r[14].opt_text()?.map(str::to_string),
        answer_note: r[15].opt_text()?.map(str::to_string),
    })
}

pub fn payment_files_like(db: &mut Db, prefix: &str) -> Result<i64> {
    db.query_i64(
        "SELECT count(*) FROM transfer_payments WHERE message_id LIKE $1",
        &[Val::Str(&format!("{prefix}%"))],
    )
}

/// The bank's answer to an issued attempt: paid or returned, once. False if not issued.
pub fn answer_payment(
    db: &mut Db,
    transfer: i64,
    attempt: i64,
    state: &str,
    (by, at, note): (&str, &str, &str),
) -> Result<bool> {
    let n = db.exec(
        "UPDATE transfer_payments SET state = $3, answered_by = $4, answered_at = $5, answer_note = $6
         WHERE transfer_id = $1 AND attempt = $2 AND state = 'issued'",
        &[
            Val::I64(transfer),
            Val::I64(attempt),
            Val::Str(state),
            Val::Str(by),
            Val::Str(at),
            Val::Str(note),
        ],
    )?;
    Ok(n == 1)
}

/// A confirmation read (migration 0053).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Confirmation {
    pub transfer_id: i64,
    /// accepted or refused
    pub outcome: String,
    pub booked_fen: i64,
    pub reason: String,
    pub file_name: String,
    pub file_sha: String,
    pub read_by: String,
    pub read_at: String,
}

/// Record a confirmation once: false when the transfer already has one.
pub fn insert_confirmation(db: &mut Db, c: &Confirmation) -> Result<bool> {
    let n = db.exec(
        "INSERT INTO transfer_confirmations (transfer_id, outcome, booked_fen, reason, file_name, file_sha, read_by, read_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        &[
            Val::I64(c.transfer_id),
            Val::Str(&c.outcome),
            Val::I64(c.booked_fen),
            Val::Str(&c.reason),
            Val::Str(&c.file_name),
            Val::Str(&c.file_sha),
            Val::Str(&c.read_by),
            Val::Str(&c.read_at),
        ],
    )?;
    Ok(n == 1)
}

/// The transfer whose confirmation file has this SHA-256, if read already.
pub fn confirmation_by_sha(db: &mut Db, sha: &str) -> Result<Option<i64>> {
    db.query_opt(
        "SELECT transfer_id FROM transfer_confirmations WHERE file_sha = $1",
        &[Val::Str(sha)],
    )?
    .map(|r| r[0].i64())
    .transpose()
}

/// A line of a transfer-request file that was transferred out (migration 0062).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RequestLine {
    pub import_id: i64,
    pub row_no: i64,
    pub to_province: i64,
    pub request_no: String,
    pub transfer_id: i64,
    pub to_agency: String,
    /// (account name, account number, CNAPS code), when the request named the account.
    pub account: Option<(String, String, String)>,
}

const REQUEST_COLS: &str = "import_id, row_no, to_province, request_no, transfer_id, to_agency, account_name, account, cnaps";

fn request_of(r: &Row) -> Result<RequestLine> {
    let account = match (r[6].opt_text()?, r[7].opt_text()?, r[8].opt_text()?) {
        (Some(n), Some(a), Some(c)) => Some((n.to_string(), a.to_string(), c.to_string())),
        _ => None,
    };
    Ok(RequestLine {
        import_id: r[0].i64()?,
        row_no: r[1].i64()?,
        to_province: r[2].i64()?,
        request_no: r[3].text()?.to_string(),
        transfer_id: r[4].i64()?,
        to_agency: r[5].text()?.to_string(),
        account,
    })
}

pub fn insert_request(db: &mut Db, l: &RequestLine) -> Result<()> {
    let (n, a, c) = match &l.account {
        Some((n, a, c)) => (Val::Str(n), Val::Str(a), Val::Str(c)),
        None => (Val::Null, Val::Null, Val::Null),
    };
    db.exec(
        &format!("INSERT INTO transfer_requests ({REQUEST_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
        &[
            Val::I64(l.import_id),
            Val::I64(l.row_no),
            Val::I64(l.to_province),
            Val::Str(&l.request_no),
            Val::I64(l.transfer_id),
            Val::Str(&l.to_agency),
            n,
            a,
            c,
        ],
    )?;
    Ok(())
}

/// The transfer a receiving province's request number already made, if any.
pub fn request_done(db: &mut Db, to_province: i64, request_no: &str) -> Result<Option<i64>> {
    db.query_opt(
        "SELECT transfer_id FROM transfer_requests WHERE to_province = $1 AND request_no = $2",
        &[Val::I64(to_province), Val::Str(request_no)],
    )?
    .map(|r| r[0].i64())
    .transpose()
}

/// The request line that made transfer `transfer_id`, if a request file made it.
pub fn request_of_transfer(db: &mut Db, transfer_id: i64) -> Result<Option<RequestLine>> {
    db.query_opt(
        &format!("SELECT {REQUEST_COLS} FROM transfer_requests WHERE transfer_id = $1"),
        &[Val::I64(transfer_id)],
    )?
    .map(|r| request_of(&r))
    .transpose()
}

/// The lines a request file transferred, in row order.
pub fn requests_of_import(db: &mut Db, import_id: i64) -> Result<Vec<RequestLine>> {
    db.query(
        &format!(
            "SELECT {REQUEST_COLS} FROM transfer_requests WHERE import_id = $1 ORDER BY row_no"
        ),
        &[Val::I64(import_id)],
    )?
    .iter()
    .map(request_of)
    .collect()
}
