//! The collection tables (migrations 0004 and 0011) as the collection close (统收,
//! `tongchou_app::collect`), the imports of the tax bureau's results and the reconciliation read
//! and write them: the contributors of a month (`persons` with their `wage_declarations`),
//! `assessments`, the tax bureau's `receipts`, their `applications` to what is owed (a view
//! since migration 0067: the rows of `applications_explicit` and those implied by an assessment
//! a receipt paid in full, [`implied_application`]), the open `arrears`, `unapplied` money, the counties that still keep an income account
//! (`county_settings`), and `collection_postings`: every ledger transfer a close posts, recorded
//! in the same transaction, so reports and the reconciliation find a month's postings by table
//! and not by the shape of ledger keys.
//!
//! The transactions belong to the callers; every function runs inside whichever is open.

use crate::benefits::{county_of, date_of, period_of, ym};
use crate::{Db, Result, RowView, StoreError, Val};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tongchou_core::rules::contribution::PayerKind;
use tongchou_core::{Date, Fen, Period};
use tongchou_engine::collection::{Application, Assessment, Contributor, OpenItem, Receipt};

fn payer_kind(s: &str) -> Option<PayerKind> {
    match s {
        "employee" => Some(PayerKind::Employee),
        "flexible" => Some(PayerKind::Flexible),
        _ => None,
    }
}

fn payer_kind_str(k: PayerKind) -> &'static str {
    match k {
        PayerKind::Employee => "employee",
        PayerKind::Flexible => "flexible",
    }
}

/// Every active contributor enrolled by the end of `period`, by person id: the declared wage is
/// the month's wage declaration if there is one, else the person's.
pub fn contributors(db: &mut Db, period: Period) -> Result<Vec<Contributor>> {
    let last = period.last_day().to_string();
    let mut out = Vec::new();
    db.each(
        "SELECT p.id, p.county, COALESCE(p.employer_id, 0), p.payer_kind, COALESCE(w.declared_fen, p.declared_fen)
         FROM persons p LEFT JOIN wage_declarations w ON w.person_id = p.id AND w.period = $1
         WHERE p.status = 'active' AND p.enrolled_on <= $2
         ORDER BY p.id",
        &[ym(period), Val::Str(&last)],
        |r| {
            out.push(contributor(r)?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// The next slice of [`contributors`]: at most `limit` of them, those with a person id above
/// `after`, by person id (the collection close reads them so, slice by slice).
pub fn contributors_after(
    db: &mut Db,
    period: Period,
    after: i64,
    limit: usize,
) -> Result<Vec<Contributor>> {
    let last = period.last_day().to_string();
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut out = Vec::new();
    db.each(
        "SELECT p.id, p.county, COALESCE(p.employer_id, 0), p.payer_kind, COALESCE(w.declared_fen, p.declared_fen)
         FROM persons p LEFT JOIN wage_declarations w ON w.person_id = p.id AND w.period = $1
         WHERE p.status = 'active' AND p.enrolled_on <= $2 AND p.id > $3
         ORDER BY p.id LIMIT $4",
        &[ym(period), Val::Str(&last), Val::I64(after), Val::I64(limit)],
        |r| {
            out.push(contributor(r)?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// A row of the contributors' query: id, county, employer, payer kind, declared wage.
fn contributor(r: &RowView<'_>) -> Result<Contributor> {
    let person = r.i64(0)?;
    let kind = r.text(3)?;
    let kind = payer_kind(kind)
        .ok_or_else(|| crate::corrupt(format!("persons[{person}].payer_kind"), kind))?;
    Ok(Contributor {
        person,
        county: u32::try_from(r.i64(1)?)
            .map_err(|_| StoreError::Invalid("county out of range".into()))?,
        employer: r.i64(2)?,
        kind,
        declared: Fen::new(r.i64(4)?),
    })
}

/// The open arrears items, by person (every person id is positive, so the whole table).
pub fn open_items(db: &mut Db) -> Result<HashMap<i64, Vec<OpenItem>>> {
    open_items_between(db, i64::MIN, i64::MAX)
}

/// The open arrears items of the persons with an id in `(after, upto]`, by person (one slice of
/// the collection close).
pub fn open_items_between(
    db: &mut Db,
    after: i64,
    upto: i64,
) -> Result<HashMap<i64, Vec<OpenItem>>> {
    let mut m: HashMap<i64, Vec<OpenItem>> = HashMap::new();
    db.each(
        "SELECT person_id, period, county, due_date, total_fen, account_total_fen, paid_fen FROM arrears
         WHERE person_id > $1 AND person_id <= $2",
        &[Val::I64(after), Val::I64(upto)],
        |r| {
            let item = open_item(r)?;
            m.entry(item.person).or_default().push(item);
            Ok(())
        },
    )?;
    Ok(m)
}

/// A row of `arrears` as an open item.
fn open_item(r: &RowView<'_>) -> Result<OpenItem> {
    let person = r.i64(0)?;
    (|| {
        Ok::<_, StoreError>(OpenItem {
            person,
            period: period_of(r.i64(1)?)?,
            county: county_of(r.i64(2)?)?,
            due: date_of(r.text(3)?)?,
            total: Fen::new(r.i64(4)?),
            account_total: Fen::new(r.i64(5)?),
            paid: Fen::new(r.i64(6)?),
        })
    })()
    .map_err(|e| StoreError::Invalid(format!("arrears of person {person}: {e}")))
}

/// The receipts no close has applied yet that were paid on or before `until`.
pub fn receipts_to_apply(db: &mut Db, until: Date) -> Result<Vec<Receipt>> {
    let until = until.to_string();
    let mut out = Vec::new();
    db.each(
        "SELECT receipt, person_id, period, paid_fen, paid_on FROM receipts WHERE batch_id IS NULL AND paid_on <= $1",
        &[Val::Str(&until)],
        |r| {
            let receipt = r.text(0)?;
            let parsed = (|| {
                Ok::<_, StoreError>(Receipt {
                    receipt: receipt.to_string(),
                    person: r.i64(1)?,
                    period: period_of(r.i64(2)?)?,
                    paid: Fen::new(r.i64(3)?),
                    paid_on: date_of(r.text(4)?)?,
                })
            })()
            .map_err(|e| StoreError::Invalid(format!("receipt {receipt}: {e}")))?;
            out.push(parsed);
            Ok(())
        },
    )?;
    Ok(out)
}

/// The columns [`write_receipts`] writes, in its order (the import benchmark's raw baseline
/// writes the same).
pub const RECEIPT_COLUMNS: [&str; 7] = [
    "receipt",
    "person_id",
    "period",
    "paid_fen",
    "paid_on",
    "import_id",
    "batch_id",
];

/// Write receipts (the tax bureau's results) under an import id (0: reported in memory by a
/// counterpart). With `applied_by = (batch, close)`, the close of `batch` applies them in the
/// same transaction: those paid by the close date carry the batch already (no second pass over
/// them), the later ones wait for a later close. Without it, none is applied yet.
pub fn write_receipts(
    db: &mut Db,
    import_id: i64,
    receipts: &[Receipt],
    applied_by: Option<(Period, Date)>,
) -> Result<u64> {
    db.bulk_insert("receipts", &RECEIPT_COLUMNS, &mut |sink| {
        for r in receipts {
            receipt_row(sink, import_id, r, applied_by)?;
        }
        Ok(())
    })
}

/// One receipt into a bulk write of [`RECEIPT_COLUMNS`].
fn receipt_row(
    sink: &mut dyn crate::RowSink,
    import_id: i64,
    r: &Receipt,
    applied_by: Option<(Period, Date)>,
) -> Result<()> {
    let d = r.paid_on.to_string();
    let batch = match applied_by {
        Some((batch, close)) if r.paid_on <= close => ym(batch),
        _ => Val::Null,
    };
    sink.row(&[
        Val::Str(&r.receipt),
        Val::I64(r.person),
        ym(r.period),
        Val::I64(r.paid.fen()),
        Val::Str(&d),
        Val::I64(import_id),
        batch,
    ])
}

pub type PushReceipt<'p> = dyn FnMut(&Receipt) -> Result<()> + 'p;

/// [`write_receipts`] (not applied) of the receipts `fill` pushes, in one bulk write: the
/// caller checks more of them while the first are written.
pub fn stream_receipts(
    db: &mut Db,
    import_id: i64,
    fill: &mut dyn FnMut(&mut PushReceipt<'_>) -> Result<()>,
) -> Result<u64> {
    db.bulk_insert("receipts", &RECEIPT_COLUMNS, &mut |sink| {
        fill(&mut |r: &Receipt| receipt_row(sink, import_id, r, None))
    })
}

/// Mark every receipt not yet applied and paid on or before `until` as applied by `batch`.
pub fn mark_receipts_applied(db: &mut Db, batch: Period, until: Date) -> Result<u64> {
    let until = until.to_string();
    db.exec(
        "UPDATE receipts SET batch_id = $1 WHERE batch_id IS NULL AND paid_on <= $2",
        &[ym(batch), Val::Str(&until)],
    )
}

/// Write the assessments of the close of `batch` (all of one month, one due date), each with
/// the receipt that paid it in full in this close, if one did (`paid_by`, by the assessment's
/// index; shorter: none after its end): that application is the assessment's (migration 0067,
/// [`implied_application`]) and is not written as a row of its own.
pub fn write_assessments(
    db: &mut Db,
    batch: Period,
    a: &[Assessment],
    paid_by: &[Option<&str>],
) -> Result<u64> {
    const COLS: [&str; 12] = [
        "person_id",
        "period",
        "county",
        "employer_id",
        "payer_kind",
        "declared_fen",
        "base_fen",
        "pooling_fen",
        "account_fen",
        "due_date",
        "batch_id",
        "paid_by",
    ];
    let due = a.first().map(|x| x.due.to_string()).unwrap_or_default();
    let mut totals: BTreeMap<(Period, i64), AssessedTotal> = BTreeMap::new();
    for x in a {
        totals
            .entry((x.period, x.county as i64))
            .or_default()
            .add(x.base, x.pooling, x.account);
    }
    add_assessment_totals(db, &totals)?;
    db.bulk_insert("assessments", &COLS, &mut |sink| {
        for (i, x) in a.iter().enumerate() {
            let paid_by = match paid_by.get(i).copied().flatten() {
                Some(r) => Val::Str(r),
                None => Val::Null,
            };
            sink.row(&[
                Val::I64(x.person),
                ym(x.period),
                Val::I64(x.county as i64),
                Val::I64(x.employer),
                Val::Str(payer_kind_str(x.kind)),
                Val::I64(x.declared.fen()),
                Val::I64(x.base.fen()),
                Val::I64(x.pooling.fen()),
                Val::I64(x.account.fen()),
                Val::Str(&due),
                ym(batch),
                paid_by,
            ])?;
        }
        Ok(())
    })
}

/// Whether the application `x` made by the close of the assessment `a`'s own month is implied
/// by the assessment (migration 0067): the same person and period, the assessment's total paid
/// at once with its own split, no day late, no fee. Such an application is the view
/// `applications`' row of the assessment's `paid_by`, equal to it in every column.
pub fn implied_application(a: &Assessment, x: &Application) -> bool {
    x.person == a.person
        && x.period == a.period
        && x.county == a.county
        && x.amount == a.total()
        && x.pooling == a.pooling
        && x.account == a.account
        && x.days_late == 0
        && x.late_fee == Fen::ZERO
}

/// The columns of an application, the table `applications_explicit`'s and the view
/// `applications`' (migration 0067), in their order.
pub const APPLICATION_COLUMNS: [&str; 10] = [
    "receipt",
    "period",
    "person_id",
    "county",
    "amount_fen",
    "pooling_fen",
    "account_fen",
    "days_late",
    "late_fee_fen",
    "batch_id",
];

/// The view `applications`' column `col` on its implied side (migration 0067): the expression
/// over `assessments` the view writes under that name.
fn implied_column(col: &str) -> &str {
    match col {
        "receipt" => "paid_by",
        "amount_fen" => "pooling_fen + account_fen",
        "days_late" => "CAST(0 AS INTEGER)",
        "late_fee_fen" => "CAST(0 AS BIGINT)",
        other => other,
    }
}

/// What [`applications_summed`] adds up of a column of the view, per close and county.
#[derive(Clone, Copy)]
enum Sum<'a> {
    /// The column's total.
    Total(&'a str),
    /// How many rows hold more than zero in it.
    Positive(&'a str),
}

impl Sum<'_> {
    /// The summed expression on the view's explicit side and on its implied side.
    fn sides(self) -> (String, String) {
        let (col, over): (&str, fn(&str) -> String) = match self {
            Sum::Total(c) => (c, |x| x.to_string()),
            Sum::Positive(c) => (c, |x| format!("CASE WHEN {x} > 0 THEN 1 ELSE 0 END")),
        };
        (over(col), over(implied_column(col)))
    }
}

/// The view `applications` (migration 0067) as a query of its two sides, each with its own
/// condition, so that each side is read by its own index: `applications_explicit`'s rows where
/// `explicit` holds, and the application each assessment with a `paid_by` implies where
/// `implied` holds (a condition on `assessments`' columns; migration 0068: only the close of an
/// assessment's own month implies one, so by close is by `period`). `cols` are the view's
/// columns wanted, in order; each is the implied side's expression under the view's name, as
/// the view (the one other statement of it) writes them — `tests/collect.rs` checks that this
/// query and the view give the same rows.
pub fn applications_by_sides(cols: &[&str], explicit: &str, implied: &str) -> String {
    let implied_cols: Vec<&str> = cols.iter().map(|c| implied_column(c)).collect();
    format!(
        "SELECT {} FROM applications_explicit WHERE {explicit} \
         UNION ALL \
         SELECT {} FROM assessments WHERE ({implied}) AND paid_by IS NOT NULL",
        cols.join(", "),
        implied_cols.join(", ")
    )
}

/// The assessments of one period and county added up (migration 0048).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AssessedTotal {
    pub assessments: i64,
    pub base: i64,
    pub pooling: i64,
    pub account: i64,
}

impl AssessedTotal {
    pub fn add(&mut self, base: Fen, pooling: Fen, account: Fen) {
        self.assessments += 1;
        self.base += base.fen();
        self.pooling += pooling.fen();
        self.account += account.fen();
    }
}

/// Add assessments just written to their period's and county's totals (`assessment_totals`), in
/// the caller's transaction: every writer of `assessments` calls this with what it wrote.
pub fn add_assessment_totals(
    db: &mut Db,
    totals: &BTreeMap<(Period, i64), AssessedTotal>,
) -> Result<()> {
    for ((period, county), t) in totals {
        db.exec(
            "INSERT INTO assessment_totals (period, county, assessments, base_fen, pooling_fen, account_fen) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (period, county) DO UPDATE SET \
             assessments = assessment_totals.assessments + excluded.assessments, \
             base_fen = assessment_totals.base_fen + excluded.base_fen, \
             pooling_fen = assessment_totals.pooling_fen + excluded.pooling_fen, \
             account_fen = assessment_totals.account_fen + excluded.account_fen",
            &[
                ym(*period),
                Val::I64(*county),
                Val::I64(t.assessments),
                Val::I64(t.base),
                Val::I64(t.pooling),
                Val::I64(t.account),
            ],
        )?;
    }
    Ok(())
}

/// Where the stored totals (`assessment_totals`) disagree with the sum of the assessments:
/// ((period yyyymm, county), stored, summed). Empty when every total is true.
#[allow(clippy::type_complexity)]
pub fn assessment_totals_disagree(
    db: &mut Db,
) -> Result<Vec<((i64, i64), AssessedTotal, AssessedTotal)>> {
    let of = |v: &[i64]| AssessedTotal {
        assessments: v[0],
        base: v[1],
        pooling: v[2],
        account: v[3],
    };
    Ok(totals_disagree(
        db,
        "SELECT period, county, assessments, base_fen, pooling_fen, account_fen FROM assessment_totals",
        "SELECT period, county, COUNT(*), CAST(SUM(base_fen) AS BIGINT), CAST(SUM(pooling_fen) AS BIGINT), \
         CAST(SUM(account_fen) AS BIGINT) FROM assessments GROUP BY period, county",
    )?
    .into_iter()
    .map(|(k, a, b)| (k, of(&a), of(&b)))
    .collect())
}

/// Stored totals against the sums of their rows (migration 0048): both statements give a
/// two-column key then the same integer columns; the keys whose figures differ, with both
/// (a key missing on one side reads as zeros there).
#[allow(clippy::type_complexity)]
pub(crate) fn totals_disagree(
    db: &mut Db,
    stored_sql: &str,
    summed_sql: &str,
) -> Result<Vec<((i64, i64), Vec<i64>, Vec<i64>)>> {
    let read = |db: &mut Db, sql: &str| -> Result<BTreeMap<(i64, i64), Vec<i64>>> {
        db.query(sql, &[])?
            .iter()
            .map(|r| {
                let figures = (2..r.len()).map(|i| r[i].i64()).collect::<Result<_>>()?;
                Ok(((r[0].i64()?, r[1].i64()?), figures))
            })
            .collect()
    };
    let (stored, summed) = (read(db, stored_sql)?, read(db, summed_sql)?);
    let width = stored.values().chain(summed.values()).map(Vec::len).max();
    let zeros = vec![0; width.unwrap_or(0)];
    let keys: BTreeSet<(i64, i64)> = stored.keys().chain(summed.keys()).copied().collect();
    Ok(keys
        .into_iter()
        .filter_map(|k| {
            let (a, b) = (
                stored.get(&k).unwrap_or(&zeros),
                summed.get(&k).unwrap_or(&zeros),
            );
            (a != b).then(|| (k, a.clone(), b.clone()))
        })
        .collect())
}

/// Write the applications of receipts to what is owed made by the close of `batch`, those not
/// implied by an assessment ([`write_assessments`]' `paid_by`): the table
/// `applications_explicit` under the view `applications` (migration 0067).
pub fn write_applications<'a>(
    db: &mut Db,
    batch: Period,
    apps: impl IntoIterator<Item = &'a Application>,
) -> Result<u64> {
    let mut apps = apps.into_iter();
    db.bulk_insert("applications_explicit", &APPLICATION_COLUMNS, &mut |sink| {
        for x in apps.by_ref() {
            sink.row(&[
                Val::Str(&x.receipt),
                ym(x.period),
                Val::I64(x.person),
                Val::I64(x.county as i64),
                Val::I64(x.amount.fen()),
                Val::I64(x.pooling.fen()),
                Val::I64(x.account.fen()),
                Val::I64(x.days_late),
                Val::I64(x.late_fee.fen()),
                ym(batch),
            ])?;
        }
        Ok(())
    })
}

/// Money of a receipt that matched nothing owed: held, never guessed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unapplied<'a> {
    pub receipt: &'a str,
    pub person: i64,
    pub amount: Fen,
    pub reason: &'a str,
}

/// Write the money the close of `batch` could not apply.
pub fn write_unapplied(db: &mut Db, batch: Period, rows: &[Unapplied<'_>]) -> Result<u64> {
    db.bulk_insert(
        "unapplied",
        &["receipt", "person_id", "amount_fen", "reason", "batch_id"],
        &mut |sink| {
            for u in rows {
                sink.row(&[
                    Val::Str(u.receipt),
                    Val::I64(u.person),
                    Val::I64(u.amount.fen()),
                    Val::Str(u.reason),
                    ym(batch),
                ])?;
            }
            Ok(())
        },
    )
}

/// The columns of an open arrears item as the bulk writes insert them (the collection close's
/// and the migration's).
pub(crate) const ARREARS_COLS: [&str; 8] = [
    "person_id",
    "period",
    "county",
    "employer_id",
    "due_date",
    "total_fen",
    "account_total_fen",
    "paid_fen",
];

/// What a collection close changed in the open arrears of a slice of persons: the items it
/// settled (deleted), the items it paid in part (their new `paid`), and the items it opened
/// (this month's, with something outstanding). The rows it did not touch stay as they are,
/// their employer with them: an item is owed by the employer of its month, even after the
/// person has left (the close wrote the open arrears whole before, each with the person's
/// employer of the month closed, or 0 for a person who no longer contributed).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArrearsChanges {
    pub settled: Vec<(i64, Period)>,
    pub part_paid: Vec<(i64, Period, Fen)>,
    pub opened: Vec<OpenItem>,
}

/// The scratch table of [`write_arrears_changes`]: the keys settled (`paid_fen` NULL) and paid in
/// part, one slice at a time. A temporary table, the connection's own: no migration's, never
/// stored, on PostgreSQL written by COPY like any bulk write.
pub const ARREARS_PAID: &str = "CREATE TEMP TABLE IF NOT EXISTS arrears_paid (\
     person_id BIGINT NOT NULL, period INTEGER NOT NULL, paid_fen BIGINT, \
     PRIMARY KEY (person_id, period))";

/// The statements of [`write_arrears_changes`] over the scratch table [`ARREARS_PAID`], each bound
/// by the slice's range `$1 < person_id <= $2`: the settled rows deleted, the part-paid rows'
/// `paid_fen` set.
pub const ARREARS_CHANGE_SQL: [&str; 2] = [
    "DELETE FROM arrears WHERE person_id > $1 AND person_id <= $2 AND (person_id, period) IN \
     (SELECT person_id, period FROM arrears_paid WHERE paid_fen IS NULL)",
    "UPDATE arrears SET paid_fen = (SELECT d.paid_fen FROM arrears_paid d \
     WHERE d.person_id = arrears.person_id AND d.period = arrears.period) \
     WHERE person_id > $1 AND person_id <= $2 AND (person_id, period) IN \
     (SELECT person_id, period FROM arrears_paid WHERE paid_fen IS NOT NULL)",
];

/// Write a close's changes to the open arrears of the persons with an id in `(after, upto]`
/// (one slice): the settled rows deleted, the part-paid rows' `paid_fen` set, the new items
/// inserted with their person's employer (0 when none is given). Only the changed rows are
/// written, so a close costs what it changes, not the open arrears it holds.
pub fn write_arrears_changes(
    db: &mut Db,
    (after, upto): (i64, i64),
    changes: &ArrearsChanges,
    employers: &HashMap<i64, i64>,
) -> Result<u64> {
    let touched = changes.settled.len() + changes.part_paid.len();
    if touched > 0 {
        db.batch(ARREARS_PAID)?;
        db.exec("DELETE FROM arrears_paid", &[])?;
        db.bulk_insert(
            "arrears_paid",
            &["person_id", "period", "paid_fen"],
            &mut |sink| {
                for (person, period) in &changes.settled {
                    sink.row(&[Val::I64(*person), ym(*period), Val::Null])?;
                }
                for (person, period, paid) in &changes.part_paid {
                    sink.row(&[Val::I64(*person), ym(*period), Val::I64(paid.fen())])?;
                }
                Ok(())
            },
        )?;
        // the slice's range bounds each statement to its own persons' rows of `arrears`
        let range = [Val::I64(after), Val::I64(upto)];
        let [delete, update] = ARREARS_CHANGE_SQL;
        let deleted = db.exec(delete, &range)?;
        let updated = db.exec(update, &range)?;
        if deleted + updated != touched as u64 {
            return Err(StoreError::Invalid(tongchou_core::tr!(
                "store-err-arrears-changes",
                after = after,
                upto = upto,
                expected = touched,
                found = deleted + updated
            )));
        }
    }
    insert_arrears(db, &changes.opened, employers)
}

fn insert_arrears(db: &mut Db, items: &[OpenItem], employers: &HashMap<i64, i64>) -> Result<u64> {
    db.bulk_insert("arrears", &ARREARS_COLS, &mut |sink| {
        for i in items {
            let due = i.due.to_string();
            sink.row(&[
                Val::I64(i.person),
                ym(i.period),
                Val::I64(i.county as i64),
                Val::I64(employers.get(&i.person).copied().unwrap_or(0)),
                Val::Str(&due),
                Val::I64(i.total.fen()),
                Val::I64(i.account_total.fen()),
                Val::I64(i.paid.fen()),
            ])?;
        }
        Ok(())
    })
}

/// Counties whose agency still has an income account (收入户).
pub fn income_account_counties(db: &mut Db) -> Result<BTreeSet<u32>> {
    db.query(
        "SELECT county FROM county_settings WHERE has_income_account <> 0",
        &[],
    )?
    .iter()
    .map(|r| Ok(r[0].i64()? as u32))
    .collect()
}

/// What a collection posting books: a county's employer (pooling) part, individual part or late
/// fees, by the county income account it is booked to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PostingKind {
    Employer,
    Individual,
    LateFees,
}

impl PostingKind {
    pub const ALL: [PostingKind; 3] = [
        PostingKind::Employer,
        PostingKind::Individual,
        PostingKind::LateFees,
    ];

    /// The chart's kind of the county income account (as stored in `collection_postings.kind`).
    pub fn account_kind(self) -> &'static str {
        match self {
            PostingKind::Employer => "contribution_employer",
            PostingKind::Individual => "contribution_individual",
            PostingKind::LateFees => "other_income",
        }
    }

    pub fn parse(s: &str) -> Option<PostingKind> {
        PostingKind::ALL.into_iter().find(|k| k.account_kind() == s)
    }
}

fn posting_kind(s: &str) -> Result<PostingKind> {
    PostingKind::parse(s).ok_or_else(|| crate::corrupt("posting_kind", s))
}

/// One ledger transfer of a collection close, as recorded beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Posting<'a> {
    pub transfer_key: &'a str,
    pub period: Period,
    pub county: u32,
    pub kind: PostingKind,
    pub amount: Fen,
}

/// Record the transfers a close posted (in the transaction that posts them).
pub fn write_postings(db: &mut Db, postings: &[Posting<'_>]) -> Result<u64> {
    db.bulk_insert(
        "collection_postings",
        &["transfer_key", "period", "county", "kind", "amount_fen"],
        &mut |sink| {
            for p in postings {
                sink.row(&[
                    Val::Str(p.transfer_key),
                    ym(p.period),
                    Val::I64(p.county as i64),
                    Val::Str(p.kind.account_kind()),
                    Val::I64(p.amount.fen()),
                ])?;
            }
            Ok(())
        },
    )
}

/// What the applications of one close add up to in one county.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppliedTotals {
    pub batch: Period,
    pub county: u32,
    pub pooling: Fen,
    pub account: Fen,
    pub late_fees: Fen,
}

impl AppliedTotals {
    /// The amount a posting of `kind` must book.
    pub fn of(&self, kind: PostingKind) -> Fen {
        match kind {
            PostingKind::Employer => self.pooling,
            PostingKind::Individual => self.account,
            PostingKind::LateFees => self.late_fees,
        }
    }
}

/// The person-level collected amounts of every close, per county, by close and county.
pub fn applied_totals(db: &mut Db) -> Result<Vec<AppliedTotals>> {
    let sums = [
        Sum::Total("pooling_fen"),
        Sum::Total("account_fen"),
        Sum::Total("late_fee_fen"),
    ];
    applications_summed(db, &sums)?
        .into_iter()
        .map(|((batch, county), v)| {
            Ok(AppliedTotals {
                batch: period_of(batch)?,
                county: county_of(county)?,
                pooling: Fen::new(v[0]),
                account: Fen::new(v[1]),
                late_fees: Fen::new(v[2]),
            })
        })
        .collect()
}

/// The view `applications` (migration 0067) summed per close and county, as its
/// `GROUP BY batch_id, county` would, without sorting its rows: SQLite's temporary B-trees are
/// in memory (`temp_store=MEMORY`), and grouping the view held every application of every close
/// at once — the reconciliation's memory grew by about 28 MiB a month at 1 M insured. Each side
/// is grouped along its own index instead: the explicit rows by (batch_id, county), the implied
/// ones by the assessments' (period, county), an implied row's close being its period (migration
/// 0068); a row whose close is not its period (only a changed row can be: `tc-app::collect::implied`)
/// is counted there and summed again by its close, so the groups are the view's in every case.
/// `sums`: what is added up of which of the view's columns (each side's expression from
/// [`implied_column`], as the view's). Per (close, county), the sums in order.
fn applications_summed(db: &mut Db, sums: &[Sum<'_>]) -> Result<BTreeMap<(i64, i64), Vec<i64>>> {
    let sum = |e: &str| format!("CAST(SUM({e}) AS BIGINT)");
    let sides: Vec<(String, String)> = sums.iter().map(|s| s.sides()).collect();
    let explicit: Vec<String> = sides.iter().map(|(e, _)| sum(e)).collect();
    let own: Vec<String> = sides
        .iter()
        .map(|(_, i)| sum(&format!("CASE WHEN batch_id = period THEN {i} ELSE 0 END")))
        .collect();
    let strayed: Vec<String> = sides.iter().map(|(_, i)| sum(i)).collect();
    let mut out: BTreeMap<(i64, i64), Vec<i64>> = BTreeMap::new();
    let mut add = |key: (i64, i64), r: &crate::RowView<'_>, from: usize| -> Result<()> {
        let v = out.entry(key).or_insert_with(|| vec![0; sums.len()]);
        for (i, x) in v.iter_mut().enumerate() {
            *x += r.i64(from + i)?;
        }
        Ok(())
    };
    db.each(
        &format!(
            "SELECT batch_id, county, {} FROM applications_explicit GROUP BY batch_id, county",
            explicit.join(", ")
        ),
        &[],
        |r| add((r.i64(0)?, r.i64(1)?), r, 2),
    )?;
    let mut strays = 0;
    db.each(
        &format!(
            "SELECT period, county, CAST(SUM(CASE WHEN batch_id = period THEN 1 ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN batch_id = period THEN 0 ELSE 1 END) AS BIGINT), {} \
             FROM assessments WHERE paid_by IS NOT NULL GROUP BY period, county",
            own.join(", ")
        ),
        &[],
        |r| {
            strays += r.i64(3)?;
            if r.i64(2)? > 0 {
                add((r.i64(0)?, r.i64(1)?), r, 4)?;
            }
            Ok(())
        },
    )?;
    if strays > 0 {
        db.each(
            &format!(
                "SELECT batch_id, county, {} FROM assessments \
                 WHERE paid_by IS NOT NULL AND batch_id <> period GROUP BY batch_id, county",
                strayed.join(", ")
            ),
            &[],
            |r| add((r.i64(0)?, r.i64(1)?), r, 2),
        )?;
    }
    Ok(out)
}

/// A ledger transfer as the reconciliation sees it: its amount and its person-level lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Booked {
    pub amount: Fen,
    /// The lines the transfer says it aggregates.
    pub line_count: i64,
    /// The lines stored for it, and their sum.
    pub lines: i64,
    pub line_sum: Fen,
}

/// A recorded collection posting beside its ledger transfer (`None`: the ledger has no transfer
/// with its key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedPosting {
    pub transfer_key: String,
    pub period: Period,
    pub county: u32,
    pub kind: PostingKind,
    pub amount: Fen,
    pub booked: Option<Booked>,
}

/// Every recorded collection posting with its ledger transfer, by month, county, kind and key.
/// A transfer's lines are those stored in `ledger_line`, or, for a transfer whose lines the
/// applications hold (`ledger_line_source`, migration 0060), the count and sum of the applied
/// part its source names.
pub fn postings_with_ledger(db: &mut Db) -> Result<Vec<RecordedPosting>> {
    let rows = db.query(
        "SELECT p.transfer_key, p.period, p.county, p.kind, p.amount_fen, t.amount, t.line_count,
                COALESCE(CAST(SUM(l.amount) AS BIGINT), 0), count(l.line_no), s.source, s.period, s.county, s.part
         FROM collection_postings p
         LEFT JOIN ledger_transfer t ON t.idem_key = p.transfer_key
         LEFT JOIN ledger_line l ON l.transfer_id = t.id
         LEFT JOIN ledger_line_source s ON s.transfer_id = t.id
         GROUP BY p.transfer_key, p.period, p.county, p.kind, p.amount_fen, t.amount, t.line_count,
                  s.source, s.period, s.county, s.part
         ORDER BY p.period, p.county, p.kind, p.transfer_key",
        &[],
    )?;
    let applied = if rows.iter().any(|r| !matches!(r[9], crate::Value::Null)) {
        applied_lines(db)?
    } else {
        BTreeMap::new()
    };
    rows.into_iter()
        .map(|r| {
            let key = r[0].text()?.to_string();
            let booked = match r[5].opt_i64()? {
                Some(amount) => {
                    let (lines, line_sum) = if matches!(r[9], crate::Value::Null) {
                        (r[8].i64()?, Fen::new(r[7].i64()?))
                    } else {
                        let part = (r[9].text()?, r[10].i64()?, r[11].i64()?, r[12].text()?);
                        referenced_lines(&applied, part)
                    };
                    Some(Booked {
                        amount: Fen::new(amount),
                        line_count: r[6].i64()?,
                        lines,
                        line_sum,
                    })
                }
                None => None,
            };
            Ok(RecordedPosting {
                period: period_of(r[1].i64()?)?,
                county: county_of(r[2].i64()?)?,
                kind: posting_kind(r[3].text()?)?,
                amount: Fen::new(r[4].i64()?),
                transfer_key: key,
                booked,
            })
        })
        .collect()
}

/// Per (close, county) the count and sum of each applied part's positive amounts, in the
/// order pooling, account, late fee.
type AppliedLines = BTreeMap<(i64, i64), [(i64, Fen); 3]>;

fn applied_lines(db: &mut Db) -> Result<AppliedLines> {
    let sums = [
        Sum::Positive("pooling_fen"),
        Sum::Total("pooling_fen"),
        Sum::Positive("account_fen"),
        Sum::Total("account_fen"),
        Sum::Positive("late_fee_fen"),
        Sum::Total("late_fee_fen"),
    ];
    Ok(applications_summed(db, &sums)?
        .into_iter()
        .map(|(key, v)| {
            let part = |i: usize| (v[i], Fen::new(v[i + 1]));
            (key, [part(0), part(2), part(4)])
        })
        .collect())
}

/// The lines a `ledger_line_source` row names among the applications (none for any other
/// source: a collection posting's lines are applications).
fn referenced_lines(
    applied: &AppliedLines,
    (source, period, county, part): (&str, i64, i64, &str),
) -> (i64, Fen) {
    let i = match part {
        "pooling_fen" => 0,
        "account_fen" => 1,
        "late_fee_fen" => 2,
        _ => return (0, Fen::ZERO),
    };
    match applied.get(&(period, county)) {
        Some(parts) if source == "applications" => parts[i],
        _ => (0, Fen::ZERO),
    }
}

/// Ledger transfers that book person-level collection income (a transfer with lines crediting a
/// county's contribution or late-fee income account: only a collection close posts those) that
/// no `collection_postings` row records: (key, amount), in journal order.
pub fn unrecorded_postings(db: &mut Db) -> Result<Vec<(String, Fen)>> {
    db.query(
        "SELECT t.idem_key, t.amount FROM ledger_transfer t
         JOIN ledger_account a ON a.id = t.credit_account
         WHERE t.line_count > 0
           AND a.kind IN ('contribution_employer', 'contribution_individual', 'other_income')
           AND NOT EXISTS (SELECT 1 FROM collection_postings p WHERE p.transfer_key = t.idem_key)
         ORDER BY t.id",
        &[],
    )?
    .iter()
    .map(|r| Ok((r[0].text()?.to_string(), Fen::new(r[1].i64()?))))
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::Ledger;
    use crate::testing;
    use tongchou_core::{Divisions, RegionCode};
    use tongchou_ledger::flows::{ContributionPart, Doc, collection};
    use tongchou_ledger::{Chart, Line};

    const COUNTY: u32 = 140105;

    /// Post a county's employer part of `period` as the close does (the county transfer carries
    /// two person-level lines), and record it unless `record` is false. Returns the keys.
    fn post(db: &mut Db, period: Period, amount: i64, record: bool) -> Vec<String> {
        let key = format!("collect/{}/{COUNTY}/contribution_employer", period.yyyymm());
        let county = RegionCode::new(COUNTY).expect("county");
        let reqs = collection(
            Chart::standard(),
            Doc {
                key: &key,
                reference: "test",
                date: period.last_day(),
            },
            county,
            ContributionPart::Employer,
            Fen::new(amount),
            None,
        )
        .expect("flow");
        let lines = [
            Line {
                person: 1,
                amount: Fen::new(amount - 1),
            },
            Line {
                person: 2,
                amount: Fen::new(1),
            },
        ];
        let batch: Vec<(tongchou_ledger::Request, &[Line])> = reqs
            .into_iter()
            .enumerate()
            .map(|(i, r)| (r, if i == 0 { &lines[..] } else { &[][..] }))
            .collect();
        for r in Ledger::new(db).submit_with_lines(&batch).expect("submit") {
            r.expect("posted");
        }
        let keys: Vec<String> = batch.iter().map(|(r, _)| r.key.clone()).collect();
        if record {
            let postings: Vec<Posting<'_>> = keys
                .iter()
                .map(|k| Posting {
                    transfer_key: k,
                    period,
                    county: COUNTY,
                    kind: PostingKind::Employer,
                    amount: Fen::new(amount),
                })
                .collect();
            assert_eq!(write_postings(db, &postings).expect("write"), 2);
        }
        keys
    }

    fn check(url: &str) {
        let mut db = Db::open(url).expect("open");
        Ledger::new(&mut db)
            .open_standard(Divisions::shanxi())
            .expect("accounts");
        let jan: Period = "2020-01".parse().expect("p");
        let feb: Period = "2020-02".parse().expect("p");
        // a close before the table existed: the migration finds its postings by their keys
        let old = post(&mut db, jan, 500, false);
        db.batch(
            "DROP TABLE collection_postings; DELETE FROM schema_migrations WHERE version = 11",
        )
        .expect("forget 0011");
        db.migrate().expect("migrate again");
        // a close after: recorded as it posts
        let new = post(&mut db, feb, 700, true);
        let all = postings_with_ledger(&mut db).expect("postings");
        let mut keys: Vec<&String> = old.iter().chain(&new).collect();
        keys.sort();
        assert_eq!(
            all.iter().map(|p| &p.transfer_key).collect::<Vec<_>>(),
            keys
        );
        for p in &all {
            assert_eq!(p.county, COUNTY);
            assert_eq!(p.kind, PostingKind::Employer);
            let b = p.booked.as_ref().expect("in the ledger");
            assert_eq!(b.amount, p.amount);
            // only the county's transfer carries the lines, and they add up
            if p.transfer_key.ends_with(&format!("/{COUNTY}")) {
                assert_eq!((b.line_count, b.lines, b.line_sum), (2, 2, p.amount));
            } else {
                assert_eq!((b.line_count, b.lines), (0, 0));
            }
        }
        assert_eq!(all[0].period, jan);
        assert_eq!(all[2].period, feb);
        assert!(unrecorded_postings(&mut db).expect("q").is_empty());
        // the report's debits of a month: its two transfers' debit accounts
        let debits = crate::reports::collection_debits(&mut db, feb).expect("debits");
        assert_eq!(debits.len(), 2);
        assert!(debits.iter().all(|(_, a)| *a == 700));
        // a row lost from the table is found on the ledger's side; a row the ledger does not
        // have is found on the table's side
        db.exec(
            "DELETE FROM collection_postings WHERE transfer_key = $1",
            &[Val::Str(&new[0])],
        )
        .expect("delete");
        assert_eq!(
            unrecorded_postings(&mut db).expect("q"),
            vec![(new[0].clone(), Fen::new(700))]
        );
        write_postings(
            &mut db,
            &[Posting {
                transfer_key: "collect/202003/140105/other_income/140105",
                period: "2020-03".parse().expect("p"),
                county: COUNTY,
                kind: PostingKind::LateFees,
                amount: Fen::new(3),
            }],
        )
        .expect("write");
        let missing: Vec<_> = postings_with_ledger(&mut db)
            .expect("postings")
            .into_iter()
            .filter(|p| p.booked.is_none())
            .collect();
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].kind, PostingKind::LateFees);
    }

    #[test]
    fn postings_on_sqlite() {
        check(&testing::sqlite_url("postings"));
    }

    #[test]
    fn postings_on_postgres() {
        check(&testing::pg_url("postings"));
    }

    #[test]
    fn posting_kinds_are_the_county_income_accounts() {
        for k in PostingKind::ALL {
            assert_eq!(PostingKind::parse(k.account_kind()), Some(k));
            assert!(Chart::standard().kind(k.account_kind()).is_some(), "{k:?}");
        }
        assert_eq!(PostingKind::parse("fund_balance"), None);
    }
}

/// One payer's assessment of a month, with who they are: a row of the dues file the tax bureau
/// collects from. Borrowed from the driver.
#[derive(Clone, Copy, Debug)]
pub struct Due<'a> {
    pub county: u32,
    pub id_number: &'a str,
    pub name: &'a str,
    /// The employer's credit code and name (none for a flexibly employed payer).
    pub employer: Option<(&'a str, &'a str)>,
    pub payer_kind: &'a str,
    pub declared: Fen,
    pub base: Fen,
    pub pooling: Fen,
    pub account: Fen,
    pub due_date: &'a str,
}

/// The assessments of `period` in the counties `first..=last`, by county, employer and ID
/// number, streamed to `f`; how many.
pub fn each_due(
    db: &mut Db,
    period: Period,
    counties: (u32, u32),
    mut f: impl FnMut(&Due<'_>) -> Result<()>,
) -> Result<u64> {
    crate::keys::refresh(db)?;
    let ring = db.keyring.clone();
    db.each(
        "SELECT a.county, p.id_number, p.name, e.credit_code, e.name, a.payer_kind, a.declared_fen,
                a.base_fen, a.pooling_fen, a.account_fen, a.due_date
         FROM assessments a JOIN persons p ON p.id = a.person_id
         LEFT JOIN employers e ON e.id = a.employer_id AND a.payer_kind = 'employee'
         WHERE a.period = $1 AND a.county BETWEEN $2 AND $3
         ORDER BY a.county, e.credit_code, p.id",
        &[
            ym(period),
            Val::I64(counties.0 as i64),
            Val::I64(counties.1 as i64),
        ],
        |r| {
            // the notice carries the full ID number: decrypted here (crate::keys)
            let id_number =
                crate::keys::reveal_with(ring.as_deref(), "persons.id_number", r.text(1)?)?;
            let employer = match (r.opt_text(3)?, r.opt_text(4)?) {
                (Some(c), Some(n)) => Some((c, n)),
                _ => None,
            };
            f(&Due {
                county: county_of(r.i64(0)?)?,
                id_number: &id_number,
                name: r.text(2)?,
                employer,
                payer_kind: r.text(5)?,
                declared: Fen::new(r.i64(6)?),
                base: Fen::new(r.i64(7)?),
                pooling: Fen::new(r.i64(8)?),
                account: Fen::new(r.i64(9)?),
                due_date: r.text(10)?,
            })
        },
    )
}
