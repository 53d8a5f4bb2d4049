//! Eligibility certification (migration `0025_certification.sql`): where each pensioner stands
//! (`pensioner_certification`), every certification received (`certification_events`), what
//! pensioners are told (`certification_notices`). The rules are `tongchou_engine::certification`;
//! the use cases `tongchou_app::certification`.

use crate::benefits::{period_of, ym};
use crate::{Db, Result, Val};
use tongchou_core::{Date, Fen, Period};

/// How a certification was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Other departments' records of the person seen alive (静默认证).
    Records,
    /// The pensioner in the self-service portal (a stand-in for face verification).
    SelfService,
    /// At the county agency's counter, by a clerk.
    Counter,
    /// Carried over from the system used before (the last certification it knew).
    Legacy,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Records => "records",
            Method::SelfService => "self_service",
            Method::Counter => "counter",
            Method::Legacy => "legacy",
        }
    }
    pub fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "records" => Method::Records,
            "self_service" => Method::SelfService,
            "counter" => Method::Counter,
            "legacy" => Method::Legacy,
            _ => return None,
        })
    }
    /// The Chinese name shown to staff and pensioners.
    pub fn chinese(self) -> &'static str {
        match self {
            Method::Records => "大数据静默认证",
            Method::SelfService => "自助认证（人脸识别的替代，演示用）",
            Method::Counter => "经办窗口认证",
            Method::Legacy => "原系统认证记录",
        }
    }
}

/// Why the certification mechanism suspended a pensioner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suspension {
    /// Not certified by the day it was due.
    Uncertified,
    /// Named by a death record (pending the cross-check).
    DeathRecord,
}

impl Suspension {
    pub fn as_str(self) -> &'static str {
        match self {
            Suspension::Uncertified => "uncertified",
            Suspension::DeathRecord => "death_record",
        }
    }
    fn parse(s: &str) -> Result<Suspension> {
        match s {
            "uncertified" => Ok(Suspension::Uncertified),
            "death_record" => Ok(Suspension::DeathRecord),
            o => Err(crate::corrupt("suspension_reason", o)),
        }
    }
}

/// A pensioner as the certification sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pensioner {
    pub person: i64,
    pub county: u32,
    /// active, suspended or deceased
    pub status: String,
    /// The first month the pension is paid for.
    pub pension_start: Period,
    pub last_on: Option<Date>,
    pub suspended: Option<(Period, Suspension)>,
}

fn date_of(s: &str) -> Result<Date> {
    s.parse::<Date>()
        .map_err(|e| crate::corrupt("date", (s, e.to_string())))
}

const PENSIONER_COLUMNS: &str = "p.person_id, p.county, p.status, p.retire_period, c.last_on, c.suspended_from, c.suspended_reason \
     FROM pensioners p LEFT JOIN pensioner_certification c ON c.person_id = p.person_id";

fn pensioner_of(r: &crate::RowView<'_>) -> Result<Pensioner> {
    let person = r.i64(0)?;
    let suspended = match (r.opt_i64(5)?, r.opt_text(6)?) {
        (Some(m), Some(why)) => Some((period_of(m)?, Suspension::parse(why)?)),
        _ => None,
    };
    Ok(Pensioner {
        person,
        county: r.i64(1)? as u32,
        status: r.text(2)?.to_string(),
        pension_start: period_of(r.i64(3)?)?.add_months(1),
        last_on: r.opt_text(4)?.map(date_of).transpose()?,
        suspended,
    })
}

/// Every pensioner not deceased (streamed: 2.5 million in the province).
pub fn each_pensioner(db: &mut Db, mut f: impl FnMut(Pensioner) -> Result<()>) -> Result<u64> {
    db.each(
        &format!("SELECT {PENSIONER_COLUMNS} WHERE p.status <> 'deceased'"),
        &[],
        |r| f(pensioner_of(r)?),
    )
}

/// One pensioner (any status), or `None` when `person` is not one.
pub fn pensioner(db: &mut Db, person: i64) -> Result<Option<Pensioner>> {
    let mut out = None;
    db.each(
        &format!("SELECT {PENSIONER_COLUMNS} WHERE p.person_id = $1"),
        &[Val::I64(person)],
        |r| {
            out = Some(pensioner_of(r)?);
            Ok(())
        },
    )?;
    Ok(out)
}

/// Active pensioners named by a death record dated before `before`: (person, county, died).
pub fn active_reported_dead(db: &mut Db, before: Date) -> Result<Vec<(i64, u32, Date)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT n.person_id, n.county, MIN(d.died) FROM death_records d \
         JOIN person_ids i ON i.id_number = d.id_number JOIN pensioners n ON n.person_id = i.person_id \
         WHERE n.status = 'active' AND d.died < $1 GROUP BY n.person_id, n.county ORDER BY n.person_id",
        &[Val::Str(&before.to_string())],
    )? {
        out.push((r[0].i64()?, r[1].i64()? as u32, date_of(r[2].text()?)?));
    }
    Ok(out)
}

/// Whether a death record names the person (by their ID number).
pub fn has_death_record(db: &mut Db, person: i64) -> Result<Option<Date>> {
    let r = db.query_opt(
        "SELECT MIN(d.died) FROM death_records d JOIN person_ids i ON i.id_number = d.id_number \
         WHERE i.person_id = $1",
        &[Val::I64(person)],
    )?;
    match r {
        Some(row) => row[0].opt_text()?.map(date_of).transpose(),
        None => Ok(None),
    }
}

/// Suspend an active pensioner from `month` (status `suspended` since `day`) for `why`. Returns
/// whether they were active.
pub fn suspend(
    db: &mut Db,
    person: i64,
    county: u32,
    month: Period,
    day: Date,
    why: Suspension,
) -> Result<bool> {
    let n = db.exec(
        "UPDATE pensioners SET status = 'suspended', status_since = $2, version = version + 1 \
         WHERE person_id = $1 AND status = 'active'",
        &[Val::I64(person), Val::Str(&day.to_string())],
    )?;
    if n == 0 {
        return Ok(false);
    }
    db.exec(
        "INSERT INTO pensioner_certification (person_id, county, suspended_from, suspended_reason) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (person_id) DO UPDATE \
         SET suspended_from = $3, suspended_reason = $4",
        &[
            Val::I64(person),
            Val::I64(county as i64),
            ym(month),
            Val::Str(why.as_str()),
        ],
    )?;
    Ok(true)
}

/// End the suspension this mechanism made: the pensioner `active` again from `day`.
pub fn resume(db: &mut Db, person: i64, day: Date) -> Result<()> {
    db.exec(
        "UPDATE pensioners SET status = 'active', status_since = $2, version = version + 1 \
         WHERE person_id = $1 AND status = 'suspended'",
        &[Val::I64(person), Val::Str(&day.to_string())],
    )?;
    db.exec(
        "UPDATE pensioner_certification SET suspended_from = NULL, suspended_reason = NULL \
         WHERE person_id = $1",
        &[Val::I64(person)],
    )?;
    Ok(())
}

/// A certification received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<'a> {
    pub person: i64,
    pub county: u32,
    pub on: Date,
    pub method: Method,
    pub source: &'a str,
    pub import_id: Option<i64>,
}

/// Record a certification: the event (nothing if the same one is held) and the pensioner's last
/// certification moved forward to it. Returns whether the event is new.
pub fn record(db: &mut Db, e: &Event<'_>, recorded_at: &str) -> Result<bool> {
    let on = e.on.to_string();
    let new = db.exec(
        "INSERT INTO certification_events (person_id, certified_on, method, source, import_id, recorded_at) \
         VALUES ($1, $2, $3, $4, CAST($5 AS BIGINT), $6) ON CONFLICT (person_id, certified_on, method, source) DO NOTHING",
        &[
            Val::I64(e.person),
            Val::Str(&on),
            Val::Str(e.method.as_str()),
            Val::Str(e.source),
            e.import_id.map(Val::I64).unwrap_or(Val::Null),
            Val::Str(recorded_at),
        ],
    )? > 0;
    db.exec(
        "INSERT INTO pensioner_certification (person_id, county, last_on, last_method) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (person_id) DO UPDATE SET last_on = $3, last_method = $4 \
         WHERE pensioner_certification.last_on IS NULL OR pensioner_certification.last_on < $3",
        &[
            Val::I64(e.person),
            Val::I64(e.county as i64),
            Val::Str(&on),
            Val::Str(e.method.as_str()),
        ],
    )?;
    Ok(new)
}

/// Bulk-write the last certification the previous system knew, for pensioners without a row
/// here: (person, county, day).
pub fn write_legacy(db: &mut Db, rows: &[(i64, u32, Date)]) -> Result<u64> {
    let mut day = String::new();
    db.bulk_insert(
        "pensioner_certification",
        &["person_id", "county", "last_on", "last_method"],
        &mut |sink| {
            for (person, county, on) in rows {
                day.clear();
                day.push_str(&on.to_string());
                sink.row(&[
                    Val::I64(*person),
                    Val::I64(*county as i64),
                    Val::Str(&day),
                    Val::Str(Method::Legacy.as_str()),
                ])?;
            }
            Ok(())
        },
    )
}

/// What a pensioner is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoticeKind {
    Reminder,
    Suspended,
    Resumed,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Reminder => "reminder",
            NoticeKind::Suspended => "suspended",
            NoticeKind::Resumed => "resumed",
        }
    }
    fn parse(s: &str) -> Result<NoticeKind> {
        Ok(match s {
            "reminder" => NoticeKind::Reminder,
            "suspended" => NoticeKind::Suspended,
            "resumed" => NoticeKind::Resumed,
            o => return Err(crate::corrupt("certification_notices.kind", o)),
        })
    }
}

/// A notice to a pensioner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub person: i64,
    pub month: Period,
    pub kind: NoticeKind,
    pub county: u32,
    pub due_on: Date,
    pub months: u32,
    pub amount: Fen,
}

/// Bulk-write notices (one of each kind per person and month).
pub fn write_notices(db: &mut Db, notices: &[Notice], created_at: &str) -> Result<u64> {
    let mut due = String::new();
    db.bulk_insert(
        "certification_notices",
        &[
            "person_id",
            "month",
            "kind",
            "county",
            "due_on",
            "months",
            "amount_fen",
            "created_at",
        ],
        &mut |sink| {
            for n in notices {
                due.clear();
                due.push_str(&n.due_on.to_string());
                sink.row(&[
                    Val::I64(n.person),
                    ym(n.month),
                    Val::Str(n.kind.as_str()),
                    Val::I64(n.county as i64),
                    Val::Str(&due),
                    Val::I64(n.months as i64),
                    Val::I64(n.amount.fen()),
                    Val::Str(created_at),
                ])?;
            }
            Ok(())
        },
    )
}

/// A person's notices, latest first.
pub fn notices_of(db: &mut Db, person: i64) -> Result<Vec<Notice>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT person_id, month, kind, county, due_on, months, amount_fen FROM certification_notices \
         WHERE person_id = $1 ORDER BY month DESC, kind",
        &[Val::I64(person)],
    )? {
        out.push(Notice {
            person: r[0].i64()?,
            month: period_of(r[1].i64()?)?,
            kind: NoticeKind::parse(r[2].text()?)?,
            county: r[3].i64()? as u32,
            due_on: date_of(r[4].text()?)?,
            months: r[5].i64()? as u32,
            amount: Fen::new(r[6].i64()?),
        });
    }
    Ok(out)
}

/// The notices of a payroll month counted per county and kind: (county, kind, count, amount).
pub fn notices_by_county(db: &mut Db, month: Period) -> Result<Vec<(u32, NoticeKind, i64, Fen)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT county, kind, count(*), CAST(SUM(amount_fen) AS BIGINT) FROM certification_notices \
         WHERE month = $1 GROUP BY county, kind ORDER BY county, kind",
        &[ym(month)],
    )? {
        out.push((
            r[0].i64()? as u32,
            NoticeKind::parse(r[1].text()?)?,
            r[2].i64()?,
            Fen::new(r[3].i64()?),
        ));
    }
    Ok(out)
}

/// A person's certifications received, latest first: (day, method, source).
pub fn events_of(db: &mut Db, person: i64) -> Result<Vec<(Date, Method, String)>> {
    let mut out = Vec::new();
    for r in db.query(
        "SELECT certified_on, method, source FROM certification_events WHERE person_id = $1 \
         ORDER BY certified_on DESC, method, source",
        &[Val::I64(person)],
    )? {
        let m = r[1].text()?;
        out.push((
            date_of(r[0].text()?)?,
            Method::parse(m).ok_or_else(|| crate::corrupt("certifications.method", m))?,
            r[2].text()?.to_string(),
        ));
    }
    Ok(out)
}

/// A person's pension rows: (first month paid at it, monthly amount), oldest first.
pub fn pension_rows(db: &mut Db, person: i64) -> Result<Vec<(Period, Fen)>> {
    db.query(
        "SELECT effective_from, total_fen FROM pensions WHERE person_id = $1 ORDER BY effective_from",
        &[Val::I64(person)],
    )?
    .iter()
    .map(|r| Ok((period_of(r[0].i64()?)?, Fen::new(r[1].i64()?))))
    .collect()
}
