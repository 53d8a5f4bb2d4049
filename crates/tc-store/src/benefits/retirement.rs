//! Retirement (退休审批): a person's history as the retirement checks read it (registry summary,
//! assessments and what paid them, account credits and interest, open arrears), who reaches a
//! birth month, and `retirement_applications`.

use super::{date_of, period_of, u32_of, ym};
use crate::{Db, Result, StoreError, Val, Value, collection, months};
use serde::Serialize;
use tongchou_core::access::mask_bank_account;
use tongchou_core::rules::retirement::{Category, Reason};
use tongchou_core::{Date, Fen, Period, Ratio};

/// A person as the retirement checks read them from `persons`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insured {
    pub id: i64,
    pub county: u32,
    pub birth: Date,
    pub category: Category,
    pub status: String,
    pub employer_id: Option<i64>,
    /// The history summary and balance are as at the first day of this month.
    pub as_of: Period,
    pub paid_months: u32,
    pub deemed_months: u32,
    pub avg_index: Ratio,
    pub balance: Fen,
}

/// One person, if registered.
pub fn insured(db: &mut Db, id: i64) -> Result<Option<Insured>> {
    let Some(r) = db.query_opt(
        "SELECT id, county, birth, category, status, employer_id, as_of, paid_months, deemed_months, \
         avg_index, balance_fen FROM persons WHERE id = $1",
        &[Val::I64(id)],
    )?
    else {
        return Ok(None);
    };
    let birth = date_of(r[2].text()?)?;
    let category: Category = r[3]
        .text()?
        .parse()
        .map_err(|e: String| crate::corrupt(format!("persons[{id}].category"), e))?;
    Ok(Some(Insured {
        id: r[0].i64()?,
        county: u32_of(r[1].i64()?, "county")?,
        birth,
        category,
        status: r[4].text()?.to_string(),
        employer_id: r[5].opt_i64()?,
        as_of: period_of(r[6].i64()?)?,
        paid_months: u32_of(r[7].i64()?, "paid_months")?,
        deemed_months: u32_of(r[8].i64()?, "deemed_months")?,
        avg_index: Ratio(r[9].i64()?),
        balance: Fen::new(r[10].i64()?),
    }))
}

/// One assessed month of a person and what paid it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MonthAssessed {
    pub period: Period,
    pub base: Fen,
    /// Pooling + account parts assessed.
    pub due: Fen,
    /// Σ applications of receipts to the month.
    pub paid: Fen,
}

/// The person's assessed months from `from` through `to`, oldest first (probed month by month,
/// `crate::months`).
pub fn months_assessed(
    db: &mut Db,
    person: i64,
    from: Period,
    to: Period,
) -> Result<Vec<MonthAssessed>> {
    let applied = collection::applications_by_sides(
        &["period", "amount_fen"],
        "person_id = $1 AND period >= $2 AND period <= $3",
        "person_id = $1 AND period IN (SELECT p FROM m)",
    );
    let rows = db.query(
        &format!(
            "WITH RECURSIVE {} \
             SELECT a.period, a.base_fen, a.pooling_fen + a.account_fen, \
             COALESCE(CAST(x.paid AS BIGINT), 0) \
             FROM m CROSS JOIN assessments a LEFT JOIN (SELECT period, SUM(amount_fen) AS paid \
               FROM ({applied}) y GROUP BY period) x ON x.period = a.period \
             WHERE a.period = m.p AND a.person_id = $1 \
             ORDER BY a.period",
            months::months("m", "$2", "$3")
        ),
        &[Val::I64(person), ym(from), ym(to)],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(MonthAssessed {
            period: period_of(r[0].i64()?)?,
            base: Fen::new(r[1].i64()?),
            due: Fen::new(r[2].i64()?),
            paid: Fen::new(r[3].i64()?),
        });
    }
    Ok(out)
}

/// Σ account parts applied to the person in the collection batches from `from` on: the implied
/// applications by their period, which is their close's (migration 0068), month by month.
pub fn account_credited_since(db: &mut Db, person: i64, from: Period) -> Result<Fen> {
    let applied = collection::applications_by_sides(
        &["account_fen"],
        "person_id = $1 AND batch_id >= $2",
        "person_id = $1 AND period IN (SELECT p FROM m) AND batch_id >= $2",
    );
    Ok(Fen::new(db.query_i64(
        &format!(
            "WITH RECURSIVE {} SELECT CAST(SUM(account_fen) AS BIGINT) FROM ({applied}) y",
            months::months("m", "$2", months::ASSESSED.1)
        ),
        &[Val::I64(person), ym(from)],
    )?))
}

/// (year, interest credited at its close) of the person's closed years from `year` on.
pub fn interest_since(db: &mut Db, person: i64, year: i32) -> Result<Vec<(i32, Fen)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT year, interest_opening_fen + interest_contrib_fen FROM account_years \
         WHERE person_id = $1 AND year >= $2 ORDER BY year",
        &[Val::I64(person), Val::I64(year as i64)],
    )? {
        let y = i32::try_from(r[0].i64()?)
            .map_err(|_| StoreError::Invalid("year out of range".into()))?;
        out.push((y, Fen::new(r[1].i64()?)));
    }
    Ok(out)
}

/// Σ (total − paid) of the person's open arrears.
pub fn open_arrears(db: &mut Db, person: i64) -> Result<Fen> {
    Ok(Fen::new(db.query_i64(
        "SELECT CAST(SUM(total_fen - paid_fen) AS BIGINT) FROM arrears WHERE person_id = $1",
        &[Val::I64(person)],
    )?))
}

/// An insured person (active or suspended) born in a given month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BornIn {
    pub person: i64,
    pub county: u32,
    /// The person's latest application not refused, if any.
    pub application: Option<i64>,
}

/// Insured persons (active or suspended) of `category` born in `birth`.
pub fn born_in(db: &mut Db, category: Category, birth: Period) -> Result<Vec<BornIn>> {
    let rows = db.query(
        "SELECT p.id, p.county, \
         (SELECT MAX(r.id) FROM retirement_applications r WHERE r.person_id = p.id AND r.status <> 'refused') \
         FROM persons p WHERE p.category = $1 AND p.birth >= $2 AND p.birth <= $3 \
         AND p.status IN ('active', 'suspended')",
        &[
            Val::Str(category.as_str()),
            Val::Str(&birth.first_day().to_string()),
            Val::Str(&birth.last_day().to_string()),
        ],
    )?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(BornIn {
            person: r[0].i64()?,
            county: u32_of(r[1].i64()?, "county")?,
            application: r[2].opt_i64()?,
        });
    }
    Ok(out)
}

/// A retirement application as stored (`facts` and `refusals` kept as JSON in the table).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Application {
    pub id: i64,
    pub person: i64,
    pub approval_id: i64,
    pub county: u32,
    pub retire: Period,
    pub kind: String,
    pub status: String,
    pub submitted_by: i64,
    pub submitted_at: String,
    pub decided_by: Option<i64>,
    pub decided_at: Option<String>,
    pub deemed_index: Option<Ratio>,
    pub bank_code: String,
    pub bank_name: String,
    pub bank_account: String,
    pub facts: serde_json::Value,
    pub refusals: Vec<Reason>,
    pub note: String,
}

impl Application {
    /// For display: the bank account masked to its last four digits.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.insert(
                "bank_account".into(),
                serde_json::Value::String(mask_bank_account(&self.bank_account)),
            );
        }
        v
    }
}

const APP_COLS: &str = "id, person_id, approval_id, county, retire_period, kind, status, submitted_by, submitted_at, \
     decided_by, decided_at, deemed_index, bank_code, bank_name, bank_account, facts, refusals, note";

fn app_row(db: &Db, r: &[Value]) -> Result<Application> {
    let bad = |w: &str, e: serde_json::Error| {
        crate::corrupt(format!("retirement_applications.{w}"), e.to_string())
    };
    Ok(Application {
        id: r[0].i64()?,
        person: r[1].i64()?,
        approval_id: r[2].i64()?,
        county: u32_of(r[3].i64()?, "county")?,
        retire: period_of(r[4].i64()?)?,
        kind: r[5].text()?.to_string(),
        status: r[6].text()?.to_string(),
        submitted_by: r[7].i64()?,
        submitted_at: r[8].text()?.to_string(),
        decided_by: r[9].opt_i64()?,
        decided_at: r[10].opt_text()?.map(str::to_string),
        deemed_index: r[11].opt_i64()?.map(Ratio),
        bank_code: r[12].text()?.to_string(),
        bank_name: r[13].text()?.to_string(),
        bank_account: crate::keys::reveal(
            db,
            "retirement_applications.bank_account",
            r[14].text()?,
        )?,
        facts: serde_json::from_str(r[15].text()?).map_err(|e| bad("facts", e))?,
        refusals: serde_json::from_str(r[16].text()?).map_err(|e| bad("refusals", e))?,
        note: r[17].text()?.to_string(),
    })
}

/// One application by id.
pub fn application(db: &mut Db, id: i64) -> Result<Option<Application>> {
    db.query_opt(
        &format!("SELECT {APP_COLS} FROM retirement_applications WHERE id = $1"),
        &[Val::I64(id)],
    )?
    .map(|r| app_row(db, &r))
    .transpose()
}

/// Applications, optionally of one status and one retirement month, by retirement month and id.
pub fn applications(
    db: &mut Db,
    status: Option<&str>,
    month: Option<Period>,
) -> Result<Vec<Application>> {
    db.query(
        &format!(
            "SELECT {APP_COLS} FROM retirement_applications \
             WHERE ($1 = '' OR status = $1) AND ($2 = 0 OR retire_period = $2) ORDER BY retire_period, id"
        ),
        &[
            Val::Str(status.unwrap_or("")),
            Val::I64(month.map(|m| m.yyyymm() as i64).unwrap_or(0)),
        ],
    )?
    .iter()
    .map(|r| app_row(db, r))
    .collect()
}

/// Whether the person has a pending application.
pub fn has_pending(db: &mut Db, person: i64) -> Result<bool> {
    Ok(db.query_i64(
        "SELECT count(*) FROM retirement_applications WHERE person_id = $1 AND status = 'pending'",
        &[Val::I64(person)],
    )? > 0)
}

/// A new (pending) application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewApplication<'a> {
    pub person: i64,
    pub id: i64,
    pub approval_id: i64,
    pub county: u32,
    pub retire: Period,
    /// `statutory`, `flexible_early` or `flexible_late`.
    pub kind: &'a str,
    pub submitted_by: i64,
    pub submitted_at: &'a str,
    pub deemed_index: Option<Ratio>,
    pub bank_code: &'a str,
    pub bank_name: &'a str,
    pub bank_account: &'a str,
    pub facts: &'a str,
    pub refusals: &'a str,
}

/// Store a pending application.
pub fn insert_application(db: &mut Db, a: &NewApplication<'_>) -> Result<()> {
    let account = crate::keys::seal(db, "retirement_applications.bank_account", a.bank_account)?;
    db.exec(
        "INSERT INTO retirement_applications (person_id, id, approval_id, county, retire_period, kind, status, \
         submitted_by, submitted_at, deemed_index, bank_code, bank_name, bank_account, facts, refusals, note) \
         VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, CAST($9 AS BIGINT), $10, $11, $12, $13, $14, '')",
        &[
            Val::I64(a.person),
            Val::I64(a.id),
            Val::I64(a.approval_id),
            Val::I64(a.county as i64),
            ym(a.retire),
            Val::Str(a.kind),
            Val::I64(a.submitted_by),
            Val::Str(a.submitted_at),
            a.deemed_index.map(|d| Val::I64(d.0)).unwrap_or(Val::Null),
            Val::Str(a.bank_code),
            Val::Str(a.bank_name),
            Val::Str(&account),
            Val::Str(a.facts),
            Val::Str(a.refusals),
        ],
    )?;
    Ok(())
}

/// Keep the latest facts and refusals (JSON) on a pending application.
pub fn refresh_pending(
    db: &mut Db,
    person: i64,
    id: i64,
    facts: &str,
    refusals: &str,
) -> Result<()> {
    db.exec(
        "UPDATE retirement_applications SET facts = $3, refusals = $4 \
         WHERE person_id = $1 AND id = $2 AND status = 'pending'",
        &[
            Val::I64(person),
            Val::I64(id),
            Val::Str(facts),
            Val::Str(refusals),
        ],
    )?;
    Ok(())
}

/// The decision recorded on a pending application.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision<'a> {
    pub person: i64,
    pub id: i64,
    pub approved: bool,
    pub decided_by: i64,
    pub decided_at: &'a str,
    pub facts: &'a str,
    /// JSON; an approval stores none.
    pub refusals: &'a str,
    pub note: &'a str,
}

/// Record a decision on the application if it is still pending. Returns whether it was.
pub fn decide(db: &mut Db, d: &Decision<'_>) -> Result<bool> {
    let n = if d.approved {
        db.exec(
            "UPDATE retirement_applications SET status = 'approved', decided_by = $3, decided_at = $4, \
             facts = $5, refusals = '[]', note = $6 WHERE person_id = $1 AND id = $2 AND status = 'pending'",
            &[
                Val::I64(d.person),
                Val::I64(d.id),
                Val::I64(d.decided_by),
                Val::Str(d.decided_at),
                Val::Str(d.facts),
                Val::Str(d.note),
            ],
        )?
    } else {
        db.exec(
            "UPDATE retirement_applications SET status = 'refused', decided_by = $3, decided_at = $4, \
             facts = $5, refusals = $6, note = $7 WHERE person_id = $1 AND id = $2 AND status = 'pending'",
            &[
                Val::I64(d.person),
                Val::I64(d.id),
                Val::I64(d.decided_by),
                Val::Str(d.decided_at),
                Val::Str(d.facts),
                Val::Str(d.refusals),
                Val::Str(d.note),
            ],
        )?
    };
    Ok(n == 1)
}

/// Set an insured person (active or suspended) `retired` from `since`, without employer.
/// Returns whether the person was insured.
pub fn retire_person(db: &mut Db, person: i64, since: Date) -> Result<bool> {
    let n = db.exec(
        "UPDATE persons SET status = 'retired', status_since = $2, employer_id = NULL, version = version + 1 \
         WHERE id = $1 AND status IN ('active', 'suspended')",
        &[Val::I64(person), Val::Str(&since.to_string())],
    )?;
    Ok(n == 1)
}
