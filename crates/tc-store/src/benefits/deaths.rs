//! Deaths and cross-checks (数据比对): death records (`death_records`), other payment rolls
//! (`other_roll_entries`), the payments made as the cross-check reads them (`payroll_lines`),
//! death settlements (`death_settlements`), survivors' claims (`survivor_claims`), and the
//! figures of the cross-check report.

use super::{county_of, date_of, period_of, ym};
use crate::{Backend, Db, Result, Val};
use serde::Serialize;
use tongchou_core::{Date, Fen, Period};
use tongchou_engine::crosscheck::{DeathRecord, Paid, RollEntry};

/// The date of death `source` reported for `id_number`, if any. `death_records.id_number` and
/// `other_roll_entries.id_number` are lookup columns: the ID number's blind index when keyed
/// (`crate::keys::lookup`), so the cross-check joins them to `person_ids` without decrypting;
/// the values the cross-check passes around ([`DeathRecord`], [`RollEntry`]) are those keys.
pub fn reported_death(db: &mut Db, id_number: &str, source: &str) -> Result<Option<Date>> {
    let key = crate::keys::lookup(db, id_number);
    db.query_opt(
        "SELECT died FROM death_records WHERE id_number = $1 AND source = $2",
        &[Val::Str(&key), Val::Str(source)],
    )?
    .map(|r| date_of(r[0].text()?))
    .transpose()
}

/// Store a death record of import `import_id`.
pub fn insert_death_record(
    db: &mut Db,
    id_number: &str,
    source: &str,
    died: Date,
    import_id: i64,
) -> Result<()> {
    let key = crate::keys::lookup(db, id_number);
    db.exec(
        "INSERT INTO death_records (id_number, source, died, import_id) VALUES ($1, $2, $3, $4)",
        &[
            Val::Str(&key),
            Val::Str(source),
            Val::Str(&died.to_string()),
            Val::I64(import_id),
        ],
    )?;
    Ok(())
}

/// Store an entry of another payment roll unless held already. Returns whether it was new.
pub fn insert_roll_entry(
    db: &mut Db,
    id_number: &str,
    roll: &str,
    month: Period,
    import_id: i64,
) -> Result<bool> {
    let key = crate::keys::lookup(db, id_number);
    let n = db.exec(
        "INSERT INTO other_roll_entries (id_number, roll, month, import_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id_number, roll, month) DO NOTHING",
        &[
            Val::Str(&key),
            Val::Str(roll),
            ym(month),
            Val::I64(import_id),
        ],
    )?;
    Ok(n == 1)
}

/// Statuses of `payroll_lines` rows whose money left the fund (sent to the bank, or confirmed):
/// `planned` lines were not sent yet and `returned` ones came back.
pub const PAID_STATUSES: &[&str] = &["issued", "paid"];

fn table_exists(db: &mut Db, table: &str) -> Result<bool> {
    let n = match db.backend() {
        Backend::Sqlite => db.query_i64(
            "SELECT count(*) FROM sqlite_master WHERE type IN ('table', 'view') AND name = $1",
            &[Val::Str(table)],
        )?,
        Backend::Postgres => db.query_i64(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
            &[Val::Str(table)],
        )?,
    };
    Ok(n > 0)
}

/// The payments made to the persons named in death records or other rolls, from the payroll's
/// `payroll_lines`, summed per (person, month, item) over the rows whose status is in
/// [`PAID_STATUSES`], for the months from `since` on, probed by the lines' key (month, person)
/// for each month and person named (`crate::months`). `None` when the table does not exist.
pub fn payments_made(db: &mut Db, since: Period) -> Result<Option<Vec<Paid>>> {
    if !table_exists(db, "payroll_lines")? {
        return Ok(None);
    }
    let paid: Vec<String> = PAID_STATUSES.iter().map(|s| format!("'{s}'")).collect();
    let rows = db.query(
        &format!(
            "WITH RECURSIVE {} \
             SELECT l.person_id, l.month, l.item, CAST(SUM(l.amount_fen) AS BIGINT) FROM payroll_lines l \
             WHERE l.month IN (SELECT p FROM m) AND l.status IN ({}) AND l.person_id IN ( \
               SELECT i.person_id FROM person_ids i JOIN death_records d ON d.id_number = i.id_number \
               UNION SELECT i.person_id FROM person_ids i JOIN other_roll_entries o ON o.id_number = i.id_number) \
             GROUP BY l.person_id, l.month, l.item",
            crate::months::months("m", "$1", crate::months::PAID.1),
            paid.join(", ")
        ),
        &[ym(since)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(Paid {
            person: r[0].i64()?,
            month: period_of(r[1].i64()?)?,
            item: r[2].text()?.to_string(),
            amount: Fen::new(r[3].i64()?),
        });
    }
    Ok(Some(out))
}

/// The earliest date of death not yet checked, if any.
pub fn earliest_unchecked_death(db: &mut Db) -> Result<Option<Date>> {
    match db.query_opt(
        "SELECT MIN(died) FROM death_records WHERE checked_month IS NULL",
        &[],
    )? {
        Some(r) => r[0].opt_text()?.map(date_of).transpose(),
        None => Ok(None),
    }
}

/// The earliest month of the other rolls' entries not yet checked, if any.
pub fn earliest_unchecked_roll_month(db: &mut Db) -> Result<Option<Period>> {
    match db.query_opt(
        "SELECT MIN(month) FROM other_roll_entries WHERE checked_month IS NULL",
        &[],
    )? {
        Some(r) => r[0].opt_i64()?.map(period_of).transpose(),
        None => Ok(None),
    }
}

/// The monthly pension of a pensioner (0 if `person` is not one).
pub fn monthly_pension(db: &mut Db, person: i64) -> Result<Fen> {
    Ok(Fen::new(db.query_i64(
        "SELECT monthly_fen FROM pensioners WHERE person_id = $1",
        &[Val::I64(person)],
    )?))
}

/// Set a pensioner `deceased` from `died` (nothing if already deceased).
pub fn set_pensioner_deceased(db: &mut Db, person: i64, died: Date) -> Result<()> {
    db.exec(
        "UPDATE pensioners SET status = 'deceased', status_since = $2, version = version + 1 \
         WHERE person_id = $1 AND status <> 'deceased'",
        &[Val::I64(person), Val::Str(&died.to_string())],
    )?;
    Ok(())
}

/// What a death settlement reads of the award: its first month, its account part and the account
/// at retirement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwardTerms {
    pub first_month: Period,
    pub account_part: Fen,
    pub account_at_retirement: Fen,
}

/// The award row of a pensioner (the earliest row when none is an award), if any.
pub fn award_terms(db: &mut Db, person: i64) -> Result<Option<AwardTerms>> {
    let Some(r) = db.query_opt(
        "SELECT effective_from, account_fen, account_at_retirement_fen FROM pensions WHERE person_id = $1 \
         ORDER BY CASE WHEN reason = 'award' THEN 0 ELSE 1 END, effective_from LIMIT 1",
        &[Val::I64(person)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(AwardTerms {
        first_month: period_of(r[0].i64()?)?,
        account_part: Fen::new(r[1].i64()?),
        account_at_retirement: Fen::new(r[2].i64()?),
    }))
}

/// A death settlement, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settlement<'a> {
    pub person: i64,
    pub county: u32,
    pub died: Date,
    /// The earliest payroll month that may pay it.
    pub due_month: Period,
    pub monthly: Fen,
    pub months_paid: i64,
    pub account_paid: Fen,
    pub funeral: Fen,
    pub survivor: Fen,
    pub refund: Fen,
    /// JSON.
    pub explanation: &'a str,
}

/// Store a settlement unless the person has one. Returns whether it was stored.
pub fn insert_settlement(db: &mut Db, s: &Settlement<'_>) -> Result<bool> {
    let n = db.exec(
        "INSERT INTO death_settlements (person_id, county, died, due_month, monthly_fen, months_paid, account_paid_fen, \
         funeral_fen, survivor_fen, refund_fen, explanation) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (person_id) DO NOTHING",
        &[
            Val::I64(s.person),
            Val::I64(s.county as i64),
            Val::Str(&s.died.to_string()),
            ym(s.due_month),
            Val::I64(s.monthly.fen()),
            Val::I64(s.months_paid),
            Val::I64(s.account_paid.fen()),
            Val::I64(s.funeral.fen()),
            Val::I64(s.survivor.fen()),
            Val::I64(s.refund.fen()),
            Val::Str(s.explanation),
        ],
    )?;
    Ok(n == 1)
}

/// The county and employer of a person not (yet) deceased, if any.
pub fn living_person(db: &mut Db, person: i64) -> Result<Option<(i64, Option<i64>)>> {
    let Some(r) = db.query_opt(
        "SELECT county, employer_id FROM persons WHERE id = $1 AND status <> 'deceased'",
        &[Val::I64(person)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some((r[0].i64()?, r[1].opt_i64()?)))
}

/// Set a person `deceased` from `died`.
pub fn set_person_deceased(db: &mut Db, person: i64, died: Date) -> Result<()> {
    db.exec(
        "UPDATE persons SET status = 'deceased', status_since = $2, version = version + 1 WHERE id = $1",
        &[Val::I64(person), Val::Str(&died.to_string())],
    )?;
    Ok(())
}

/// Every person reported dead, once: the earliest date and the first source, by ID number.
pub fn death_records(db: &mut Db) -> Result<Vec<DeathRecord>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT id_number, MIN(died), MIN(source) FROM death_records GROUP BY id_number ORDER BY id_number",
        &[],
    )? {
        out.push(DeathRecord {
            id_number: r[0].text()?.to_string(),
            died: date_of(r[1].text()?)?,
            source: r[2].text()?.to_string(),
        });
    }
    Ok(out)
}

/// The pensioners whose ID number is in a death record (`active` = not yet deceased).
pub fn pensioners_reported_dead(db: &mut Db) -> Result<Vec<RollEntry>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT i.id_number, n.person_id, n.county, n.status FROM (SELECT DISTINCT id_number FROM death_records) d \
         JOIN person_ids i ON i.id_number = d.id_number JOIN pensioners n ON n.person_id = i.person_id",
        &[],
    )? {
        out.push(RollEntry {
            id_number: r[0].text()?.to_string(),
            person: r[1].i64()?,
            county: county_of(r[2].i64()?)?,
            active: r[3].text()? != "deceased",
        });
    }
    Ok(out)
}

/// The person registered under the ID number `id_number`: (person, county, status).
pub fn person_by_id_number(db: &mut Db, id_number: &str) -> Result<Option<(i64, u32, String)>> {
    let f = crate::keys::lookup_forms(db, id_number);
    let second = f.get(1).unwrap_or(&f[0]).clone();
    person_by_keys(db, &f[0], &second)
}

/// The person registered under a lookup-column value (what [`death_records`] and the other
/// cross-check reads return): (person, county, status).
pub fn person_by_lookup(db: &mut Db, key: &str) -> Result<Option<(i64, u32, String)>> {
    person_by_keys(db, key, key)
}

fn person_by_keys(db: &mut Db, a: &str, b: &str) -> Result<Option<(i64, u32, String)>> {
    let Some(r) = db.query_opt(
        "SELECT p.id, p.county, p.status FROM person_ids i JOIN persons p ON p.id = i.person_id \
         WHERE i.id_number IN ($1, $2)",
        &[Val::Str(a), Val::Str(b)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some((
        r[0].i64()?,
        county_of(r[1].i64()?)?,
        r[2].text()?.to_string(),
    )))
}

/// Record what the cross-check of `month` found for the unchecked records of `id_number`:
/// `pensioner`, `insured`, `already_deceased` or `no_match`, and whom they matched.
pub fn record_outcome(
    db: &mut Db,
    id_number: &str,
    outcome: &str,
    person: Option<i64>,
    county: Option<u32>,
    month: Period,
) -> Result<()> {
    db.exec(
        "UPDATE death_records SET outcome = $2, person_id = CAST($3 AS BIGINT), county = CAST($4 AS INTEGER), checked_month = $5 \
         WHERE id_number = $1 AND checked_month IS NULL",
        &[
            Val::Str(id_number),
            Val::Str(outcome),
            person.map(Val::I64).unwrap_or(Val::Null),
            county.map(|c| Val::I64(c as i64)).unwrap_or(Val::Null),
            ym(month),
        ],
    )?;
    Ok(())
}

/// A pensioner named on another roll's unchecked entries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnOtherRoll {
    /// `active` = status `active`.
    pub entry: RollEntry,
    pub retire: Period,
    pub monthly: Fen,
}

/// The pensioners named on the other rolls' entries not yet checked.
pub fn pensioners_on_other_rolls(db: &mut Db) -> Result<Vec<OnOtherRoll>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT DISTINCT i.id_number, n.person_id, n.county, n.status, n.retire_period, n.monthly_fen \
         FROM other_roll_entries o JOIN person_ids i ON i.id_number = o.id_number \
         JOIN pensioners n ON n.person_id = i.person_id WHERE o.checked_month IS NULL",
        &[],
    )? {
        out.push(OnOtherRoll {
            entry: RollEntry {
                id_number: r[0].text()?.to_string(),
                person: r[1].i64()?,
                county: county_of(r[2].i64()?)?,
                active: r[3].text()? == "active",
            },
            retire: period_of(r[4].i64()?)?,
            monthly: Fen::new(r[5].i64()?),
        });
    }
    Ok(out)
}

/// The other rolls' entries not yet checked, as (roll, ID number, month), in that order.
pub fn unchecked_roll_entries(db: &mut Db) -> Result<Vec<(String, String, Period)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT roll, id_number, month FROM other_roll_entries WHERE checked_month IS NULL ORDER BY roll, id_number, month",
        &[],
    )? {
        out.push((
            r[0].text()?.to_string(),
            r[1].text()?.to_string(),
            period_of(r[2].i64()?)?,
        ));
    }
    Ok(out)
}

/// Mark every unchecked entry of the other rolls checked by the run of `month`.
pub fn mark_rolls_checked(db: &mut Db, month: Period) -> Result<()> {
    db.exec(
        "UPDATE other_roll_entries SET checked_month = $1 WHERE checked_month IS NULL",
        &[ym(month)],
    )?;
    Ok(())
}

/// What a claim reads of a death settlement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SettlementDue {
    pub county: u32,
    pub died: Date,
    /// The earliest payroll month that may pay it.
    pub due_month: Period,
    pub funeral: Fen,
    pub survivor: Fen,
    pub refund: Fen,
}

/// The death settlement of `person`, if any.
pub fn settlement(db: &mut Db, person: i64) -> Result<Option<SettlementDue>> {
    let Some(r) = db.query_opt(
        "SELECT county, died, due_month, funeral_fen, survivor_fen, refund_fen FROM death_settlements \
         WHERE person_id = $1",
        &[Val::I64(person)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some(SettlementDue {
        county: county_of(r[0].i64()?)?,
        died: date_of(r[1].text()?)?,
        due_month: period_of(r[2].i64()?)?,
        funeral: Fen::new(r[3].i64()?),
        survivor: Fen::new(r[4].i64()?),
        refund: Fen::new(r[5].i64()?),
    }))
}

/// The day the settlement of `person` was claimed, as stored, if it was.
pub fn claim_filed_on(db: &mut Db, person: i64) -> Result<Option<String>> {
    db.query_opt(
        "SELECT filed_on FROM survivor_claims WHERE person_id = $1",
        &[Val::I64(person)],
    )?
    .map(|r| r[0].text().map(str::to_string))
    .transpose()
}

/// Whether `id_number` is the person's own (registered or in the ID-number index).
pub fn is_own_id_number(db: &mut Db, person: i64, id_number: &str) -> Result<bool> {
    let f = crate::keys::lookup_forms(db, id_number);
    let second = f.get(1).unwrap_or(&f[0]);
    let indexed = db.query_i64(
        "SELECT count(*) FROM person_ids WHERE id_number IN ($1, $2) AND person_id = $3",
        &[Val::Str(&f[0]), Val::Str(second), Val::I64(person)],
    )?;
    if indexed > 0 {
        return Ok(true);
    }
    let Some(r) = db.query_opt(
        "SELECT id_number FROM persons WHERE id = $1",
        &[Val::I64(person)],
    )?
    else {
        return Ok(false);
    };
    let own = crate::keys::reveal(db, "persons.id_number", r[0].text()?)?;
    Ok(own.trim().eq_ignore_ascii_case(id_number.trim()))
}

/// A survivor's claim, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewClaim<'a> {
    /// The deceased.
    pub person: i64,
    pub county: u32,
    pub claimant_name: &'a str,
    pub claimant_id_number: &'a str,
    /// `spouse`, `child`, `parent` or `other`.
    pub relation: &'a str,
    pub bank_code: &'a str,
    pub bank_name: &'a str,
    pub bank_account: &'a str,
    pub filed_on: Date,
    pub filed_by: &'a str,
    pub due_month: Period,
    pub created_at: &'a str,
}

/// Store a claim (fails if the person's settlement has one). The claimant's ID number and bank
/// account are encrypted when the connection has a keyring (`crate::keys`).
pub fn insert_claim(db: &mut Db, c: &NewClaim<'_>) -> Result<()> {
    let id_number = crate::keys::seal(
        db,
        "survivor_claims.claimant_id_number",
        c.claimant_id_number,
    )?;
    let account = crate::keys::seal(db, "survivor_claims.bank_account", c.bank_account)?;
    db.exec(
        "INSERT INTO survivor_claims (person_id, county, claimant_name, claimant_id_number, relation, bank_code, \
         bank_name, bank_account, filed_on, filed_by, due_month, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &[
            Val::I64(c.person),
            Val::I64(c.county as i64),
            Val::Str(c.claimant_name),
            Val::Str(&id_number),
            Val::Str(c.relation),
            Val::Str(c.bank_code),
            Val::Str(c.bank_name),
            Val::Str(&account),
            Val::Str(&c.filed_on.to_string()),
            Val::Str(c.filed_by),
            ym(c.due_month),
            Val::Str(c.created_at),
        ],
    )?;
    Ok(())
}

/// The claimant of `person`'s settlement as filed: name, ID number and bank account, decrypted.
pub fn claim_payee(db: &mut Db, person: i64) -> Result<Option<(String, String, String)>> {
    let Some(r) = db.query_opt(
        "SELECT claimant_name, claimant_id_number, bank_account FROM survivor_claims WHERE person_id = $1",
        &[Val::I64(person)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some((
        r[0].text()?.to_string(),
        crate::keys::reveal(db, "survivor_claims.claimant_id_number", r[1].text()?)?,
        crate::keys::reveal(db, "survivor_claims.bank_account", r[2].text()?)?,
    )))
}

/// A death settlement no survivor has claimed yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AwaitingClaim {
    /// The deceased.
    pub person: i64,
    pub county: u32,
    pub died: Date,
    /// The earliest payroll month that may pay it.
    pub due_month: Period,
    /// Funeral grant + survivor grant + account refund.
    pub total: Fen,
}

/// The death settlements without a claim, of one county or (`None`) of the province, by county,
/// date of death and person.
pub fn awaiting_claims(db: &mut Db, county: Option<u32>) -> Result<Vec<AwaitingClaim>> {
    let rows = db.query(
        "SELECT s.person_id, s.county, s.died, s.due_month, s.funeral_fen + s.survivor_fen + s.refund_fen \
         FROM death_settlements s WHERE ($1 = 0 OR s.county = $1) \
         AND NOT EXISTS (SELECT 1 FROM survivor_claims c WHERE c.person_id = s.person_id) \
         ORDER BY s.county, s.died, s.person_id",
        &[Val::I64(county.map(i64::from).unwrap_or(0))],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(AwaitingClaim {
            person: r[0].i64()?,
            county: county_of(r[1].i64()?)?,
            died: date_of(r[2].text()?)?,
            due_month: period_of(r[3].i64()?)?,
            total: Fen::new(r[4].i64()?),
        });
    }
    Ok(out)
}

/// The county, birth day and sex (`male`, `female`) of a registered person (a deceased's
/// survivors are drawn from them in the demo).
pub fn birth_and_sex(db: &mut Db, person: i64) -> Result<Option<(u32, Date, String)>> {
    let Some(r) = db.query_opt(
        "SELECT county, birth, sex FROM persons WHERE id = $1",
        &[Val::I64(person)],
    )?
    else {
        return Ok(None);
    };
    Ok(Some((
        county_of(r[0].i64()?)?,
        date_of(r[1].text()?)?,
        r[2].text()?.to_string(),
    )))
}

/// Death records matched per county and outcome: (county, outcome, distinct ID numbers).
pub fn matched_deaths_by_county(db: &mut Db) -> Result<Vec<(u32, Option<String>, i64)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT county, outcome, count(DISTINCT id_number) FROM death_records \
         WHERE county IS NOT NULL GROUP BY county, outcome",
        &[],
    )? {
        out.push((
            county_of(r[0].i64()?)?,
            r[1].opt_text()?.map(str::to_string),
            r[2].i64()?,
        ));
    }
    Ok(out)
}

/// Death settlements per county: (county, settlements, Σ funeral + survivor + refund).
pub fn settlements_by_county(db: &mut Db) -> Result<Vec<(u32, i64, Fen)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT county, count(*), CAST(SUM(funeral_fen + survivor_fen + refund_fen) AS BIGINT) \
         FROM death_settlements GROUP BY county",
        &[],
    )? {
        out.push((
            county_of(r[0].i64()?)?,
            r[1].i64()?,
            Fen::new(r[2].opt_i64()?.unwrap_or(0)),
        ));
    }
    Ok(out)
}

/// Recovery cases per county, kind and status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecoveryCount {
    pub county: u32,
    pub kind: String,
    pub status: String,
    pub cases: i64,
    pub amount: Fen,
}

/// Recovery cases counted per county, kind and status.
pub fn recoveries_by_county(db: &mut Db) -> Result<Vec<RecoveryCount>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT county, kind, status, count(*), CAST(SUM(amount_fen) AS BIGINT) FROM recovery_cases \
         GROUP BY county, kind, status",
        &[],
    )? {
        out.push(RecoveryCount {
            county: county_of(r[0].i64()?)?,
            kind: r[1].text()?.to_string(),
            status: r[2].text()?.to_string(),
            cases: r[3].i64()?,
            amount: Fen::new(r[4].opt_i64()?.unwrap_or(0)),
        });
    }
    Ok(out)
}

/// How many persons the death records name: in all, not yet checked, and matching nobody.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeathRecordCounts {
    pub all: i64,
    pub unchecked: i64,
    pub unmatched: i64,
}

/// Distinct ID numbers in the death records: all, unchecked, matching nobody.
pub fn death_record_counts(db: &mut Db) -> Result<DeathRecordCounts> {
    Ok(DeathRecordCounts {
        all: db.query_i64("SELECT count(DISTINCT id_number) FROM death_records", &[])?,
        unchecked: db.query_i64(
            "SELECT count(DISTINCT id_number) FROM death_records WHERE checked_month IS NULL",
            &[],
        )?,
        unmatched: db.query_i64(
            "SELECT count(DISTINCT id_number) FROM death_records WHERE outcome = 'no_match'",
            &[],
        )?,
    })
}
