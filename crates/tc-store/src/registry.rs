//! The registry tables (migration 0003): employers, insured persons, the ID-number index, dated
//! person events, pensioners and their pensions. Bulk writers for loading a population (multi-row
//! inserts on SQLite, COPY on PostgreSQL, inside the caller's transaction if one is open) and the
//! counts and per-county summaries read back.
//!
//! Rows are plain values (codes as integers, dates as `YYYY-MM-DD`, months as yyyymm, money in
//! fen); callers map their domain types onto them. Each writer takes a closure that receives a
//! `push` function and calls it once per row, so rows can borrow short-lived strings:
//!
//! ```no_run
//! # use tongchou_store::{Db, registry::{self, EmployerRow}};
//! # fn f(db: &mut Db) -> tongchou_store::Result<()> {
//! registry::write_employers(db, &mut |push| {
//!     let name = String::from("太原晋丰煤业有限公司");
//!     push(&EmployerRow { id: 1, credit_code: "91140105MA0K7Q2L3X", name: &name, county: 140105,
//!         industry: "B", status: "active", status_since: "2019-03-01", registered_on: "2019-03-01" })
//! })?;
//! # Ok(()) }
//! ```

use crate::protect::Protect;
use crate::{Db, Result, Row, StoreError, Val, Value, keys};
use std::collections::BTreeMap;

/// One employer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmployerRow<'a> {
    pub id: i64,
    pub credit_code: &'a str,
    pub name: &'a str,
    pub county: i64,
    pub industry: &'a str,
    /// active, suspended or closed
    pub status: &'a str,
    pub status_since: &'a str,
    pub registered_on: &'a str,
}

/// One insured person. The ID number also goes into `person_ids` (see [`write_person_ids`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRow<'a> {
    pub id: i64,
    pub id_number: &'a str,
    pub name: &'a str,
    /// male or female
    pub sex: &'a str,
    pub birth: &'a str,
    /// male, female-cadre or female-worker
    pub category: &'a str,
    pub county: i64,
    pub employer_id: Option<i64>,
    /// employee or flexible
    pub payer_kind: &'a str,
    /// active, suspended, retired, deceased or transferred_out
    pub status: &'a str,
    pub status_since: &'a str,
    pub enrolled_on: &'a str,
    pub declared_fen: i64,
    /// yyyymm: the history summary and balance are as at the first day of this month
    pub as_of: i64,
    pub paid_months: i64,
    pub deemed_months: i64,
    /// scaled 1e8
    pub avg_index: i64,
    pub balance_fen: i64,
}

/// One dated change of a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonEventRow<'a> {
    pub person_id: i64,
    pub seq: i64,
    pub event_date: &'a str,
    /// enrol, change_employer, move_county, suspend, resume, terminate, transfer_out, retire, death
    pub kind: &'a str,
    /// status after the event
    pub status: &'a str,
    pub county: i64,
    pub from_county: Option<i64>,
    pub employer_id: Option<i64>,
    pub from_employer: Option<i64>,
}

/// One pensioner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PensionerRow<'a> {
    pub person_id: i64,
    pub county: i64,
    pub retire_period: i64,
    /// active, suspended or deceased
    pub status: &'a str,
    pub status_since: &'a str,
    pub contribution_months: i64,
    pub monthly_fen: i64,
    pub bank_code: &'a str,
    pub bank_name: &'a str,
    pub bank_account: &'a str,
}

/// One row of a pensioner's pension history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PensionRow<'a> {
    pub person_id: i64,
    pub effective_from: i64,
    /// award, adjustment or recalculation
    pub reason: &'a str,
    pub benefit_base_fen: i64,
    pub avg_index: i64,
    pub deemed_index: i64,
    pub paid_months: i64,
    pub deemed_months: i64,
    pub account_at_retirement_fen: i64,
    pub divisor_tenths: i64,
    pub basic_fen: i64,
    pub account_fen: i64,
    pub transitional_fen: i64,
    pub adjustment_fen: i64,
}

impl PensionRow<'_> {
    pub fn total_fen(&self) -> i64 {
        self.basic_fen + self.account_fen + self.transitional_fen + self.adjustment_fen
    }
}

fn opt(v: Option<i64>) -> Val<'static> {
    v.map(Val::I64).unwrap_or(Val::Null)
}

/// The `push` functions the writers hand to their closures, one per row type.
pub type PushEmployer<'p> = dyn FnMut(&EmployerRow<'_>) -> Result<()> + 'p;
pub type PushPerson<'p> = dyn FnMut(&PersonRow<'_>) -> Result<()> + 'p;
pub type PushPersonId<'p> = dyn FnMut(&(&str, i64)) -> Result<()> + 'p;
pub type PushPersonEvent<'p> = dyn FnMut(&PersonEventRow<'_>) -> Result<()> + 'p;
pub type PushPensioner<'p> = dyn FnMut(&PensionerRow<'_>) -> Result<()> + 'p;
pub type PushPension<'p> = dyn FnMut(&PensionRow<'_>) -> Result<()> + 'p;

pub fn write_employers(
    db: &mut Db,
    fill: &mut dyn FnMut(&mut PushEmployer<'_>) -> Result<()>,
) -> Result<u64> {
    const COLS: &[&str] = &[
        "id",
        "credit_code",
        "name",
        "county",
        "industry",
        "status",
        "status_since",
        "registered_on",
    ];
    db.bulk_insert("employers", COLS, &mut |sink| {
        fill(&mut |r: &EmployerRow<'_>| {
            sink.row(&[
                Val::I64(r.id),
                Val::Str(r.credit_code),
                Val::Str(r.name),
                Val::I64(r.county),
                Val::Str(r.industry),
                Val::Str(r.status),
                Val::Str(r.status_since),
                Val::Str(r.registered_on),
            ])
        })
    })
}

pub fn write_persons(
    db: &mut Db,
    fill: &mut dyn FnMut(&mut PushPerson<'_>) -> Result<()>,
) -> Result<u64> {
    const COLS: &[&str] = &[
        "id",
        "id_number",
        "name",
        "sex",
        "birth",
        "category",
        "county",
        "employer_id",
        "payer_kind",
        "status",
        "status_since",
        "enrolled_on",
        "declared_fen",
        "as_of",
        "paid_months",
        "deemed_months",
        "avg_index",
        "balance_fen",
    ];
    let protect = [(1, Protect::Seal("persons.id_number"))];
    db.bulk_insert_protected("persons", COLS, &protect, &mut |sink| {
        fill(&mut |r: &PersonRow<'_>| {
            sink.row(&[
                Val::I64(r.id),
                Val::Str(r.id_number),
                Val::Str(r.name),
                Val::Str(r.sex),
                Val::Str(r.birth),
                Val::Str(r.category),
                Val::I64(r.county),
                opt(r.employer_id),
                Val::Str(r.payer_kind),
                Val::Str(r.status),
                Val::Str(r.status_since),
                Val::Str(r.enrolled_on),
                Val::I64(r.declared_fen),
                Val::I64(r.as_of),
                Val::I64(r.paid_months),
                Val::I64(r.deemed_months),
                Val::I64(r.avg_index),
                Val::I64(r.balance_fen),
            ])
        })
    })
}

/// Write (ID number, person id) pairs. Loading is fastest with the pairs in ID-number order.
/// A duplicate ID number fails the write (the primary key). With a keyring the column holds
/// the ID number's blind index (`keys::lookup`), never the number.
pub fn write_person_ids(
    db: &mut Db,
    fill: &mut dyn FnMut(&mut PushPersonId<'_>) -> Result<()>,
) -> Result<u64> {
    let cols = ["id_number", "person_id"];
    db.bulk_insert_protected("person_ids", &cols, &[(0, Protect::Lookup)], &mut |sink| {
        fill(&mut |r: &(&str, i64)| sink.row(&[Val::Str(r.0), Val::I64(r.1)]))
    })
}

pub fn write_person_events(
    db: &mut Db,
    fill: &mut dyn FnMut(&mut PushPersonEvent<'_>) -> Result<()>,
) -> Result<u64> {
    const COLS: &[&str] = &[
        "person_id",
        "seq",
        "event_date",
        "kind",
        "status",
        "county",
        "from_county",
        "employer_id",
        "from_employer",
    ];
    db.bulk_insert("person_events", COLS, &mut |sink| {
        fill(&mut |r: &PersonEventRow<'_>| {
            sink.row(&[
                Val::I64(r.person_id),
                Val::I64(r.seq),
                Val::Str(r.event_date),
                Val::Str(r.kind),
                Val::Str(r.status),
                Val::I64(r.county),
                opt(r.from_county),
                opt(r.employer_id),
                opt(r.from_employer),
            ])
        })
    })
}

pub fn write_pensioners(
    db: &mut Db,
    fill: &mut dyn FnMut(&mut PushPensioner<'_>) -> Result<()>,
) -> Result<u64> {
    const COLS: &[&str] = &[
        "person_id",
        "county",
        "retire_period",
        "status",
        "status_since",
        "contribution_months",
        "monthly_fen",
        "bank_code",
        "bank_name",
        "bank_account",
    ];
    let protect = [(9, Protect::Seal("pensioners.bank_account"))];
    db.bulk_insert_protected("pensioners", COLS, &protect, &mut |sink| {
        fill(&mut |r: &PensionerRow<'_>| {
            sink.row(&[
                Val::I64(r.person_id),
                Val::I64(r.county),
                Val::I64(r.retire_period),
                Val::Str(r.status),
                Val::Str(r.status_since),
                Val::I64(r.contribution_months),
                Val::I64(r.monthly_fen),
                Val::Str(r.bank_code),
                Val::Str(r.bank_name),
                Val::Str(r.bank_account),
            ])
        })
    })
}

pub fn write_pensions(
    db: &mut Db,
    fill: &mut dyn FnMut(&mut PushPension<'_>) -> Result<()>,
) -> Result<u64> {
    const COLS: &[&str] = &[
        "person_id",
        "effective_from",
        "reason",
        "benefit_base_fen",
        "avg_index",
        "deemed_index",
        "paid_months",
        "deemed_months",
        "account_at_retirement_fen",
        "divisor_tenths",
        "basic_fen",
        "account_fen",
        "transitional_fen",
        "adjustment_fen",
        "total_fen",
    ];
    db.bulk_insert("pensions", COLS, &mut |sink| {
        fill(&mut |r: &PensionRow<'_>| {
            sink.row(&[
                Val::I64(r.person_id),
                Val::I64(r.effective_from),
                Val::Str(r.reason),
                Val::I64(r.benefit_base_fen),
                Val::I64(r.avg_index),
                Val::I64(r.deemed_index),
                Val::I64(r.paid_months),
                Val::I64(r.deemed_months),
                Val::I64(r.account_at_retirement_fen),
                Val::I64(r.divisor_tenths),
                Val::I64(r.basic_fen),
                Val::I64(r.account_fen),
                Val::I64(r.transitional_fen),
                Val::I64(r.adjustment_fen),
                Val::I64(r.total_fen()),
            ])
        })
    })
}

/// The person id of an ID number, if registered (found by its blind index when keyed).
pub fn person_id_by_number(db: &mut Db, id_number: &str) -> Result<Option<i64>> {
    let f = keys::lookup_forms(db, id_number);
    let second = f.get(1).unwrap_or(&f[0]);
    db.query_opt(
        "SELECT person_id FROM person_ids WHERE id_number IN ($1, $2)",
        &[Val::Str(&f[0]), Val::Str(second)],
    )?
    .map(|r| r[0].i64())
    .transpose()
}

/// A person found by name: what a search result row shows (the ID number to be masked by the
/// caller as the reader's role requires).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub sex: String,
    pub birth: String,
    pub county: i64,
    pub status: String,
}

/// Persons named exactly `name` insured in a county of `counties` (an inclusive code range), at
/// most `limit`, by county then id. Read through the index on (name, county) (migration 0048):
/// one range of it, never a scan of the register. (An exact name, not a prefix: a prefix range
/// depends on the database's collation, which a deployment chooses.)
pub fn search_by_name(
    db: &mut Db,
    name: &str,
    counties: (i64, i64),
    limit: i64,
) -> Result<Vec<Found>> {
    db.query(
        "SELECT id, name, id_number, sex, birth, county, status FROM persons \
         WHERE name = $1 AND county >= $2 AND county <= $3 ORDER BY county, id LIMIT $4",
        &[
            Val::Str(name),
            Val::I64(counties.0),
            Val::I64(counties.1),
            Val::I64(limit),
        ],
    )?
    .iter()
    .map(|r| {
        Ok(Found {
            id: r[0].i64()?,
            name: r[1].text()?.to_string(),
            id_number: keys::reveal(db, "persons.id_number", r[2].text()?)?,
            sex: r[3].text()?.to_string(),
            birth: r[4].text()?.to_string(),
            county: r[5].i64()?,
            status: r[6].text()?.to_string(),
        })
    })
    .collect()
}

/// Row counts of the registry tables.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub employers: i64,
    pub persons: i64,
    pub person_ids: i64,
    pub person_events: i64,
    pub pensioners: i64,
    pub pensions: i64,
}

pub fn counts(db: &mut Db) -> Result<Counts> {
    let mut n = |t: &str| db.query_i64(&format!("SELECT count(*) FROM {t}"), &[]);
    Ok(Counts {
        employers: n("employers")?,
        persons: n("persons")?,
        person_ids: n("person_ids")?,
        person_events: n("person_events")?,
        pensioners: n("pensioners")?,
        pensions: n("pensions")?,
    })
}

/// What the registry holds for one county (or, from [`city_summary`], one city).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// GB/T 2260 code of the county or city.
    pub region: i64,
    pub employers: i64,
    /// All persons on the register, every status.
    pub insured: i64,
    /// Active contributors, of whom `flexible` pay as flexible workers.
    pub contributors: i64,
    pub flexible: i64,
    pub suspended: i64,
    pub retired: i64,
    pub deceased: i64,
    pub transferred_out: i64,
    /// Σ declared monthly wage / chosen base of the active contributors.
    pub declared_fen: i64,
    /// Σ individual-account balances of every person.
    pub balance_fen: i64,
    /// Pensioners being paid (status active) and their monthly pensions.
    pub pensioners_paid: i64,
    pub monthly_pension_fen: i64,
}

impl Summary {
    fn add(&mut self, o: &Summary) {
        self.employers += o.employers;
        self.insured += o.insured;
        self.contributors += o.contributors;
        self.flexible += o.flexible;
        self.suspended += o.suspended;
        self.retired += o.retired;
        self.deceased += o.deceased;
        self.transferred_out += o.transferred_out;
        self.declared_fen += o.declared_fen;
        self.balance_fen += o.balance_fen;
        self.pensioners_paid += o.pensioners_paid;
        self.monthly_pension_fen += o.monthly_pension_fen;
    }
}

fn text(v: &Value) -> Result<&str> {
    v.text()
}

/// Per-county summary, in county order.
pub fn county_summary(db: &mut Db) -> Result<Vec<Summary>> {
    let mut by: BTreeMap<i64, Summary> = BTreeMap::new();
    let rows: Vec<Row> = db.query(
        "SELECT county, status, payer_kind, count(*), CAST(SUM(declared_fen) AS BIGINT), \
         CAST(SUM(balance_fen) AS BIGINT) FROM persons GROUP BY county, status, payer_kind",
        &[],
    )?;
    for r in rows {
        let county = r[0].i64()?;
        let s = by.entry(county).or_insert_with(|| Summary {
            region: county,
            ..Summary::default()
        });
        let n = r[3].i64()?;
        s.insured += n;
        s.balance_fen += r[5].opt_i64()?.unwrap_or(0);
        match text(&r[1])? {
            "active" => {
                s.contributors += n;
                s.declared_fen += r[4].opt_i64()?.unwrap_or(0);
                if text(&r[2])? == "flexible" {
                    s.flexible += n;
                }
            }
            "suspended" => s.suspended += n,
            "retired" => s.retired += n,
            "deceased" => s.deceased += n,
            "transferred_out" => s.transferred_out += n,
            other => {
                return Err(StoreError::Invalid(format!(
                    "unknown person status {other:?}"
                )));
            }
        }
    }
    for r in db.query(
        "SELECT county, count(*) FROM employers GROUP BY county",
        &[],
    )? {
        let county = r[0].i64()?;
        by.entry(county)
            .or_insert_with(|| Summary {
                region: county,
                ..Summary::default()
            })
            .employers += r[1].i64()?;
    }
    for r in db.query(
        "SELECT county, count(*), CAST(SUM(monthly_fen) AS BIGINT) FROM pensioners \
         WHERE status = 'active' GROUP BY county",
        &[],
    )? {
        let county = r[0].i64()?;
        let s = by.entry(county).or_insert_with(|| Summary {
            region: county,
            ..Summary::default()
        });
        s.pensioners_paid += r[1].i64()?;
        s.monthly_pension_fen += r[2].opt_i64()?.unwrap_or(0);
    }
    Ok(by.into_values().collect())
}

/// Per-city summary: the county summaries added up by city (the first four digits of the code).
pub fn city_summary(db: &mut Db) -> Result<Vec<Summary>> {
    let mut by: BTreeMap<i64, Summary> = BTreeMap::new();
    for c in county_summary(db)? {
        let city = c.region / 100 * 100;
        by.entry(city)
            .or_insert_with(|| Summary {
                region: city,
                ..Summary::default()
            })
            .add(&c);
    }
    Ok(by.into_values().collect())
}

/// The registry's tables a bulk load writes, analyzed after it on PostgreSQL.
pub const LOADED_TABLES: &[&str] = &[
    "employers",
    "persons",
    "person_ids",
    "person_events",
    "pensioners",
    "pensions",
    "pensioner_certification",
];

/// Run `write` (the load of a whole population) in one transaction. On SQLite, outside a
/// caller's transaction, the page cache is raised for it (about 100 bytes per person, between 64
/// and 256 MiB; a 1 GiB cache did not make the load of 10 million persons faster) and temporary
/// storage (the statement journals of the multi-row inserts) kept in memory, then both are set
/// back, whether the load succeeded or not. On PostgreSQL, once the load has committed, the
/// loaded tables are analyzed: until autovacuum gets to them the planner takes a table of a
/// million persons for an empty one (and sorted 690,000 contributors on disk instead of reading
/// them in key order).
pub fn bulk_load<T>(
    db: &mut Db,
    persons: usize,
    write: impl FnOnce(&mut Db) -> Result<T>,
) -> Result<T> {
    let mut old = None;
    if db.backend() == crate::Backend::Sqlite && !db.in_transaction() {
        old = Some((
            db.query_i64("PRAGMA cache_size", &[])?,
            db.query_i64("PRAGMA temp_store", &[])?,
        ));
        // in KiB
        let kib = (persons as i64 / 10).clamp(65_536, 262_144);
        db.batch(&format!(
            "PRAGMA cache_size = -{kib}; PRAGMA temp_store = MEMORY"
        ))?;
    }
    let outside = !db.in_transaction();
    let r = db.transaction(write);
    if let Some((cache, temp)) = old {
        db.batch(&format!(
            "PRAGMA cache_size = {cache}; PRAGMA temp_store = {temp}"
        ))?;
    }
    if r.is_ok() && outside && db.backend() == crate::Backend::Postgres {
        for t in LOADED_TABLES {
            db.batch(&format!("ANALYZE {t}"))?;
        }
    }
    r
}

/// Record that `county` still runs an income account (收入户), swept to the province every month
/// (nothing if its settings are recorded already).
pub fn set_income_account(db: &mut Db, county: u32) -> Result<()> {
    db.exec(
        "INSERT INTO county_settings (county, has_income_account) VALUES ($1, 1) ON CONFLICT (county) DO NOTHING",
        &[Val::I64(county as i64)],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    fn load(db: &mut Db) -> Result<()> {
        db.transaction(|db| {
            write_employers(db, &mut |push| {
                for (id, code, county) in [
                    (1, "91140105MA0K7Q2L3X", 140105),
                    (2, "92140202000000017Q", 140213),
                ] {
                    let name = format!("单位{id}");
                    push(&EmployerRow {
                        id,
                        credit_code: code,
                        name: &name,
                        county,
                        industry: "C",
                        status: "active",
                        status_since: "2010-01-01",
                        registered_on: "2010-01-01",
                    })?;
                }
                Ok(())
            })?;
            let people = [
                (
                    1,
                    "140105198001010011",
                    140105,
                    Some(1),
                    "employee",
                    "active",
                    500_000,
                ),
                (
                    2,
                    "140202196001010022",
                    140213,
                    None,
                    "flexible",
                    "active",
                    424_400,
                ),
                (
                    3,
                    "140105195501010033",
                    140105,
                    None,
                    "employee",
                    "retired",
                    0,
                ),
                (
                    4,
                    "140213199001010044",
                    140213,
                    Some(2),
                    "employee",
                    "suspended",
                    600_000,
                ),
            ];
            write_persons(db, &mut |push| {
                for (id, idn, county, emp, kind, status, declared) in people {
                    push(&PersonRow {
                        id,
                        id_number: idn,
                        name: "王伟",
                        sex: "male",
                        birth: "1980-01-01",
                        category: "male",
                        county,
                        employer_id: emp,
                        payer_kind: kind,
                        status,
                        status_since: "2020-01-01",
                        enrolled_on: "2000-01-01",
                        declared_fen: declared,
                        as_of: 202601,
                        paid_months: 120,
                        deemed_months: 0,
                        avg_index: 100_000_000,
                        balance_fen: 1_000_000 * id,
                    })?;
                }
                Ok(())
            })?;
            let mut ids: Vec<(&str, i64)> = people.iter().map(|p| (p.1, p.0)).collect();
            ids.sort();
            write_person_ids(db, &mut |push| {
                for r in &ids {
                    push(r)?;
                }
                Ok(())
            })?;
            write_person_events(db, &mut |push| {
                push(&PersonEventRow {
                    person_id: 3,
                    seq: 1,
                    event_date: "2000-01-01",
                    kind: "enrol",
                    status: "active",
                    county: 140105,
                    from_county: None,
                    employer_id: None,
                    from_employer: None,
                })?;
                push(&PersonEventRow {
                    person_id: 3,
                    seq: 2,
                    event_date: "2015-01-01",
                    kind: "retire",
                    status: "retired",
                    county: 140105,
                    from_county: None,
                    employer_id: None,
                    from_employer: Some(1),
                })
            })?;
            write_pensioners(db, &mut |push| {
                push(&PensionerRow {
                    person_id: 3,
                    county: 140105,
                    retire_period: 201501,
                    status: "active",
                    status_since: "2015-02-01",
                    contribution_months: 420,
                    monthly_fen: 350_000,
                    bank_code: "ICBC",
                    bank_name: "中国工商银行",
                    bank_account: "9999990000000000034",
                })
            })?;
            write_pensions(db, &mut |push| {
                push(&PensionRow {
                    person_id: 3,
                    effective_from: 201502,
                    reason: "award",
                    benefit_base_fen: 468_400,
                    avg_index: 100_000_000,
                    deemed_index: 100_000_000,
                    paid_months: 204,
                    deemed_months: 216,
                    account_at_retirement_fen: 5_000_000,
                    divisor_tenths: 1390,
                    basic_fen: 163_940,
                    account_fen: 35_971,
                    transitional_fen: 109_606,
                    adjustment_fen: 40_483,
                })
            })?;
            Ok::<(), StoreError>(())
        })
    }

    fn check(url: &str) {
        let mut db = Db::open(url).expect("open");
        load(&mut db).expect("load");
        let c = counts(&mut db).expect("counts");
        assert_eq!(
            c,
            Counts {
                employers: 2,
                persons: 4,
                person_ids: 4,
                person_events: 2,
                pensioners: 1,
                pensions: 1
            }
        );
        assert_eq!(
            person_id_by_number(&mut db, "140202196001010022").expect("q"),
            Some(2)
        );
        assert_eq!(
            person_id_by_number(&mut db, "140202196001010030").expect("q"),
            None
        );
        // the read by number in one statement: what the reads by id give, pension or none
        for pid in [2, 3] {
            let idn = person_record(&mut db, pid).expect("q").expect("person");
            assert_eq!(
                person_by_number(&mut db, &idn.id_number).expect("q"),
                ByNumber::Found(
                    Box::new(idn.clone()),
                    pension_record(&mut db, pid).expect("q")
                )
            );
        }
        match person_by_number(&mut db, "140105195501010033").expect("q") {
            ByNumber::Found(p, Some(n)) => {
                assert_eq!((p.id, p.balance.fen()), (3, 3_000_000));
                assert_eq!(
                    (n.monthly.fen(), n.bank_account.as_str()),
                    (350_000, "9999990000000000034")
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(pensions_outside_retirement(&mut db).expect("n"), 0);
        assert_eq!(
            person_by_number(&mut db, "140202196001010030").expect("q"),
            ByNumber::Unknown
        );
        db.exec(
            "INSERT INTO person_ids (id_number, person_id) VALUES ('140202196001010049', 77)",
            &[],
        )
        .expect("orphan id");
        assert_eq!(
            person_by_number(&mut db, "140202196001010049").expect("q"),
            ByNumber::NoRecord(77)
        );
        db.exec("DELETE FROM person_ids WHERE person_id = 77", &[])
            .expect("orphan gone");
        let s = county_summary(&mut db).expect("summary");
        assert_eq!(s.len(), 2);
        let xd = &s[0];
        assert_eq!(
            (
                xd.region,
                xd.employers,
                xd.insured,
                xd.contributors,
                xd.retired
            ),
            (140105, 1, 2, 1, 1)
        );
        assert_eq!((xd.declared_fen, xd.balance_fen), (500_000, 4_000_000));
        assert_eq!((xd.pensioners_paid, xd.monthly_pension_fen), (1, 350_000));
        let pc = &s[1];
        assert_eq!(
            (pc.contributors, pc.flexible, pc.suspended, pc.declared_fen),
            (1, 1, 1, 424_400)
        );
        let cities = city_summary(&mut db).expect("cities");
        assert_eq!(
            cities
                .iter()
                .map(|c| (c.region, c.insured))
                .collect::<Vec<_>>(),
            vec![(140100, 2), (140200, 2)]
        );

        // constraints hold: a duplicate ID number, an active employee without employer, a
        // flexible payer with one, a pension whose total is not its sum, an unknown employer
        let dup = write_person_ids(&mut db, &mut |push| push(&("140105198001010011", 9)));
        assert!(dup.is_err());
        let bad = |db: &mut Db, sql: &str| db.exec(sql, &[]).is_err();
        let person = "INSERT INTO persons (id, id_number, name, sex, birth, category, county, employer_id, payer_kind, status, status_since, enrolled_on, declared_fen, as_of, paid_months, deemed_months, avg_index, balance_fen) VALUES ";
        assert!(bad(
            &mut db,
            &format!(
                "{person}(9, 'x', 'n', 'male', '1980-01-01', 'male', 140105, NULL, 'employee', 'active', '2020-01-01', '2020-01-01', 1, 202601, 0, 0, 0, 0)"
            )
        ));
        assert!(bad(
            &mut db,
            &format!(
                "{person}(9, 'x', 'n', 'male', '1980-01-01', 'male', 140105, 1, 'flexible', 'active', '2020-01-01', '2020-01-01', 1, 202601, 0, 0, 0, 0)"
            )
        ));
        assert!(bad(
            &mut db,
            &format!(
                "{person}(9, 'x', 'n', 'male', '1980-01-01', 'male', 140105, 77, 'employee', 'active', '2020-01-01', '2020-01-01', 1, 202601, 0, 0, 0, 0)"
            )
        ));
        assert!(bad(
            &mut db,
            &format!(
                "{person}(9, 'x', 'n', 'male', '1980-01-01', 'male', 140105, NULL, 'flexible', 'asleep', '2020-01-01', '2020-01-01', 1, 202601, 0, 0, 0, 0)"
            )
        ));
        assert!(bad(
            &mut db,
            "INSERT INTO pensions (person_id, effective_from, reason, benefit_base_fen, avg_index, deemed_index, paid_months, deemed_months, account_at_retirement_fen, divisor_tenths, basic_fen, account_fen, transitional_fen, adjustment_fen, total_fen) VALUES (3, 201601, 'adjustment', 1, 0, 0, 0, 0, 0, 1390, 1, 1, 1, 1, 5)"
        ));
        assert_eq!(counts(&mut db).expect("counts").persons, 4);
    }

    #[test]
    fn registry_on_sqlite() {
        check(&testing::sqlite_url("registry"));
    }

    #[test]
    fn registry_on_postgres() {
        check(&testing::pg_url("registry"));
    }
}

/// One person's registry record, as a staff read or the person's own read shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersonRecord {
    pub id: i64,
    pub id_number: String,
    pub name: String,
    pub sex: String,
    pub birth: String,
    pub category: String,
    pub county: tongchou_core::RegionCode,
    pub status: String,
    pub status_since: String,
    pub enrolled_on: String,
    pub payer_kind: String,
    /// yyyymm: the history summary and balance are as at the first day of this month
    pub as_of: i64,
    pub paid_months: i64,
    pub deemed_months: i64,
    pub balance: tongchou_core::Fen,
}

/// The columns of a person's record (`persons p`), as [`person_of`] reads them.
macro_rules! person_cols {
    () => {
        "p.id, p.id_number, p.name, p.sex, p.birth, p.category, p.county, p.status, \
         p.status_since, p.enrolled_on, p.payer_kind, p.as_of, p.paid_months, p.deemed_months, \
         p.balance_fen"
    };
}

/// The columns of a pension (`pensioners n`), as [`pension_of`] reads them.
macro_rules! pension_cols {
    () => {
        "n.retire_period, n.status, n.monthly_fen, n.bank_name, n.bank_account"
    };
}

/// A text column taken out of a row (no copy).
fn take_text(r: &mut [Value], i: usize) -> Result<String> {
    std::mem::replace(&mut r[i], Value::Null).into_text()
}

/// A person's record from the 15 columns `person_cols!()` of `r` starting at `at`, the ID
/// number revealed.
fn person_of(db: &mut Db, r: &mut [Value], at: usize) -> Result<PersonRecord> {
    let id = r[at].i64()?;
    let county = tongchou_core::RegionCode::from_stored(r[at + 6].i64()?)
        .ok_or_else(|| crate::corrupt(format!("persons[{id}].county"), &r[at + 6]))?;
    let stored = take_text(r, at + 1)?;
    Ok(PersonRecord {
        id,
        id_number: keys::reveal_fresh(db, "persons.id_number", stored)?,
        name: take_text(r, at + 2)?,
        sex: take_text(r, at + 3)?,
        birth: take_text(r, at + 4)?,
        category: take_text(r, at + 5)?,
        county,
        status: take_text(r, at + 7)?,
        status_since: take_text(r, at + 8)?,
        enrolled_on: take_text(r, at + 9)?,
        payer_kind: take_text(r, at + 10)?,
        as_of: r[at + 11].i64()?,
        paid_months: r[at + 12].i64()?,
        deemed_months: r[at + 13].i64()?,
        balance: tongchou_core::Fen::new(r[at + 14].i64()?),
    })
}

/// A pension from the 5 columns `pension_cols!()` of `r` starting at `at`, the account revealed.
fn pension_of(db: &mut Db, r: &mut [Value], at: usize) -> Result<PensionRecord> {
    let stored = take_text(r, at + 4)?;
    Ok(PensionRecord {
        retire_period: r[at].i64()?,
        status: take_text(r, at + 1)?,
        monthly: tongchou_core::Fen::new(r[at + 2].i64()?),
        bank_name: take_text(r, at + 3)?,
        bank_account: keys::reveal_fresh(db, "pensioners.bank_account", stored)?,
    })
}

/// The registry record of a person, if registered.
pub fn person_record(db: &mut Db, person_id: i64) -> Result<Option<PersonRecord>> {
    let Some(mut r) = db.query_opt(
        concat!("SELECT ", person_cols!(), " FROM persons p WHERE p.id = $1"),
        &[Val::I64(person_id)],
    )?
    else {
        return Ok(None);
    };
    person_of(db, &mut r, 0).map(Some)
}

/// What one statement finds for an ID number ([`person_by_number`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ByNumber {
    /// The number is not registered.
    Unknown,
    /// Registered to this person id, but the person has no record.
    NoRecord(i64),
    /// The person's record and, for a pensioner, the pension.
    Found(Box<PersonRecord>, Option<PensionRecord>),
}

/// The person registered under an ID number with their pension, in one statement (the staff
/// read by ID number: one index lookup by the blind index, then the person's and the pension's
/// rows by key, in one snapshot). Only when the blind index finds nothing is the plain number
/// asked too (a row written before the master key and not yet converted, `tongchou keys
/// convert`): a registered person costs one lookup, not two.
///
/// The parameter is written `CAST($1 AS TEXT)`, not bare: on SQLite a join comparing a column
/// with a bare parameter is marked to be planned again whenever the parameter is bound anew
/// (the constant propagation looks at its value), and the cached statement was parsed and
/// planned again on every read (measured: a fifth of the server's time, `docs/PERFORMANCE.md`).
///
/// The pension is looked for only when the person's status is `retired` or `deceased`: only
/// retirement (`benefits::retirement`) writes a pension, after it sets the person `retired`,
/// and a person leaves that status only by death; the join's key is then NULL for the three
/// quarters of the register who are not pensioners, and SQLite skips the pensioners' B-tree
/// instead of descending it to find nothing (a test keeps the rule:
/// `pensions_belong_to_retired_or_deceased_persons`).
pub fn person_by_number(db: &mut Db, id_number: &str) -> Result<ByNumber> {
    for form in keys::lookup_forms(db, id_number) {
        let Some(mut r) = db.query_opt(
            concat!(
                "SELECT i.person_id, ",
                person_cols!(),
                ", ",
                pension_cols!(),
                " FROM person_ids i LEFT JOIN persons p ON p.id = i.person_id \
                 LEFT JOIN pensioners n ON n.person_id = \
                   CASE WHEN p.status IN ('retired', 'deceased') THEN i.person_id END \
                 WHERE i.id_number = CAST($1 AS TEXT)"
            ),
            &[Val::Str(&form)],
        )?
        else {
            continue;
        };
        if matches!(r[1], Value::Null) {
            return Ok(ByNumber::NoRecord(r[0].i64()?));
        }
        let person = person_of(db, &mut r, 1)?;
        let pension = match r[16] {
            Value::Null => None,
            _ => Some(pension_of(db, &mut r, 16)?),
        };
        return Ok(ByNumber::Found(Box::new(person), pension));
    }
    Ok(ByNumber::Unknown)
}

/// How many pensions belong to a person whose status is neither `retired` nor `deceased`: the
/// rule [`person_by_number`] relies on to skip the pensioners' table for everyone else. Always
/// 0; the tests of every writer of pensions (retirement, the synthetic load, the cities'
/// migration, deaths) ask.
pub fn pensions_outside_retirement(db: &mut Db) -> Result<i64> {
    db.query_i64(
        "SELECT count(*) FROM pensioners n JOIN persons p ON p.id = n.person_id \
         WHERE p.status NOT IN ('retired', 'deceased')",
        &[],
    )
}

/// A pensioner's pension in force and bank account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PensionRecord {
    /// yyyymm
    pub retire_period: i64,
    pub status: String,
    pub monthly: tongchou_core::Fen,
    pub bank_name: String,
    pub bank_account: String,
}

/// The pension of a person, if they are a pensioner.
pub fn pension_record(db: &mut Db, person_id: i64) -> Result<Option<PensionRecord>> {
    let Some(mut r) = db.query_opt(
        concat!(
            "SELECT ",
            pension_cols!(),
            " FROM pensioners n WHERE n.person_id = $1"
        ),
        &[Val::I64(person_id)],
    )?
    else {
        return Ok(None);
    };
    pension_of(db, &mut r, 0).map(Some)
}
