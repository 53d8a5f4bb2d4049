//! Reading the audit log (the `/audit` page): entries newest first, filtered by a date range
//! (Beijing time), actor, action, object text and outcome, in pages of [`PAGE`] keyed on the
//! sequence number, with the chain's verification on the first page; the filtered view as CSV or
//! XLSX. Only a role with `audit_read` (the auditor, the audit administrator) reads it; a reader
//! below the province sees the entries of their region. Every read and export is itself
//! audited (`audit.read`, `audit.export`), every refusal too.

use crate::export::{Download, Format, Table};
use crate::reports::Cell;
use crate::{AppError, Result};
use tongchou_core::access::{Permission, Principal};
use tongchou_core::i18n::{self, word};
use tongchou_core::region::Level;
use tongchou_core::{Date, Divisions, Timestamp, actions, tr};
use tongchou_store::Db;
use tongchou_store::access::{self, Target, iso_time, parse_iso_time};
use tongchou_store::audit::{self, Cursor, Query, Record, Verification};

/// Entries on a page.
pub const PAGE: i64 = 50;
/// At most this many entries in one export.
pub const EXPORT_MAX: i64 = 100_000;

const CHINA_MS: i64 = 8 * 3600 * 1000;

/// What the reader asked for (every field optional).
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Filter {
    /// From this day (Beijing time), inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    /// Through this day, inclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Date>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Text in the object type or id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    /// `ok`, `denied`, `failed`, `error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}

fn day_start(d: Date) -> String {
    iso_time(d.days_since_epoch() * 86_400_000 - CHINA_MS)
}

impl Filter {
    fn query(&self, who: &Principal) -> Query {
        let regions = match Divisions::shanxi().get(who.region).map(|r| r.level) {
            Some(Level::Province) | None => None,
            Some(Level::City) => Some((who.region.get() as i64, who.region.get() as i64 + 99)),
            Some(Level::County) => Some((who.region.get() as i64, who.region.get() as i64)),
        };
        Query {
            from: self.from.map(day_start),
            until: self.to.map(|d| day_start(d.add_days(1))),
            login: self.login.clone(),
            action: self.action.clone(),
            object: self.object.clone(),
            result: self.result.clone(),
            regions,
        }
    }
}

/// One page of the log.
#[derive(Clone, Debug)]
pub struct Page {
    pub entries: Vec<Record>,
    /// The cursor of the newer page (`after`), if there is one.
    pub newer: Option<i64>,
    /// The cursor of the older page (`before`), if there is one.
    pub older: Option<i64>,
    /// The chain's verification (first page only: it reads the whole log).
    pub verification: Option<Verification>,
}

/// An instant of the log (`2026-12-03T01:02:03.456Z`) in Beijing time, `2026-12-03 09:02:03`.
pub fn china_time(at: &str) -> String {
    match parse_iso_time(at).and_then(|ms| Timestamp::from_millis(ms + CHINA_MS).ok()) {
        Some(t) => t.to_string().replace('T', " ").chars().take(19).collect(),
        None => at.to_string(),
    }
}

fn authorize(db: &mut Db, who: &Principal, action: &str, now: i64) -> Result<()> {
    let t = Target {
        action,
        object_type: "audit_log",
        object_id: "",
        region: who.region,
    };
    access::authorize(db, who, Permission::AuditRead, &t, now).map_err(|e| match e {
        access::AuthError::Denied(a) => AppError::Forbidden(tr!(
            "app-al-denied",
            role = who.role.label(i18n::current()),
            code = a.code()
        )),
        other => other.into(),
    })
}

fn record_read(
    db: &mut Db,
    who: &Principal,
    action: &str,
    details: serde_json::Value,
    now: i64,
) -> Result<()> {
    audit::record_ok(
        db,
        who,
        action,
        ("audit_log", ""),
        who.region.get(),
        details,
        now,
    )?;
    Ok(())
}

/// A page of the log for `who` (refused and audited without `audit_read`); the read is audited
/// with the filter, after the page is read (so it is not on its own page).
pub fn read(db: &mut Db, who: &Principal, f: &Filter, cursor: Cursor, now: i64) -> Result<Page> {
    authorize(db, who, "audit.read", now)?;
    let mut entries = audit::page(db, &f.query(who), cursor, PAGE + 1)?;
    let (newer, older) = cursor.trim(&mut entries, PAGE as usize, |e| e.seq);
    let verification = match cursor {
        Cursor::Newest => Some(audit::verify_audit_chain(db)?),
        _ => None,
    };
    let details = serde_json::json!({"filter": f, "entries": entries.len()});
    record_read(db, who, "audit.read", details, now)?;
    Ok(Page {
        entries,
        newer,
        older,
        verification,
    })
}

/// The columns of the log's table (label in the current language, width).
pub fn columns() -> Vec<(&'static str, f64)> {
    vec![
        (word("app-al-col-seq"), 9.0),
        (word("app-al-col-at"), 20.0),
        (word("app-al-col-login"), 16.0),
        (word("app-al-col-action"), 20.0),
        (word("app-al-col-action-code"), 22.0),
        (word("app-al-col-object"), 30.0),
        (word("app-al-col-region"), 9.0),
        (word("app-al-col-result"), 7.0),
        (word("app-al-col-details"), 60.0),
    ]
}

/// One entry as the cells of [`columns`], the action and the outcome named in the current
/// language.
pub fn cells(e: &Record) -> Vec<Cell> {
    let lang = i18n::current();
    vec![
        Cell::Int(e.seq),
        Cell::Text(china_time(&e.at)),
        Cell::Text(e.login.clone()),
        Cell::Text(actions::display_in(lang, &e.action).to_string()),
        Cell::Text(e.action.clone()),
        Cell::Text(
            format!("{} {}", e.object_type, e.object_id)
                .trim()
                .to_string(),
        ),
        Cell::Text(e.region.map(|r| format!("{r:06}")).unwrap_or_default()),
        Cell::Text(actions::result_label(lang, &e.result).to_string()),
        Cell::Text(e.details.clone()),
    ]
}

/// The filtered view (newest first, at most [`EXPORT_MAX`] entries) as CSV or XLSX; audited as
/// `audit.export` with the filter and the count.
pub fn export(
    db: &mut Db,
    who: &Principal,
    f: &Filter,
    format: Format,
    now: i64,
) -> Result<Download> {
    authorize(db, who, "audit.export", now)?;
    let entries = audit::page(db, &f.query(who), Cursor::Newest, EXPORT_MAX)?;
    let table = Table {
        title: tongchou_core::tr!("app-rep-audit-title"),
        sheet: tr!("app-rep-audit-title"),
        cols: columns(),
        rows: entries.iter().map(cells).collect(),
    };
    let d = table.download(format, "audit-log")?;
    let details =
        serde_json::json!({"filter": f, "entries": entries.len(), "format": format.ext()});
    record_read(db, who, "audit.export", details, now)?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_exported_in_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        let e = Record {
            seq: 7,
            at: "2026-12-03T01:02:03.456Z".into(),
            user_id: None,
            login: "auditor".into(),
            action: "approval.decide".into(),
            object_type: "approval".into(),
            object_id: "3".into(),
            region: Some(140000),
            result: "denied".into(),
            details: "{}".into(),
            prev_hash: String::new(),
            hash: String::new(),
        };
        let seen = |lang| scope(lang, || (columns()[0].0, cells(&e)));
        let (zh, en) = (seen(Lang::ZhCn), seen(Lang::En));
        assert_eq!(zh.0, "序号");
        assert_eq!(
            (&zh.1[3], &zh.1[7]),
            (&Cell::Text("审批决定".into()), &Cell::Text("拒绝".into()))
        );
        assert_eq!(en.0, "No.");
        assert_eq!(
            (&en.1[3], &en.1[7]),
            (
                &Cell::Text("Approval: decide".into()),
                &Cell::Text("Denied".into())
            )
        );
        assert_eq!(
            en.1[4],
            Cell::Text("approval.decide".into()),
            "the code stays"
        );
    }

    #[test]
    fn times_are_shown_in_beijing_time_and_days_start_at_beijing_midnight() {
        assert_eq!(
            china_time("2026-12-03T01:02:03.456Z"),
            "2026-12-03 09:02:03"
        );
        assert_eq!(china_time("junk"), "junk");
        let d: Date = "2026-12-03".parse().expect("date");
        assert_eq!(day_start(d), "2026-12-02T16:00:00.000Z");
    }
}
