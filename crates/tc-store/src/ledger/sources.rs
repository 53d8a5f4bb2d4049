//! Person-level lines by reference (migration 0060, issue 14 item 2): a transfer that aggregates
//! person-level lines already held by another table names those rows ([`LineSource`]) instead of
//! copying them into `ledger_line`. The journal keeps what it always kept — the lines' count,
//! total and digest, chained into the entry's hash — and [`super::Ledger::check`] recomputes all
//! three from the named rows, in the source's canonical order, so a changed, added or removed
//! person-level row, or a changed total, breaks the check as a changed `ledger_line` did.
//!
//! The sources and their canonical order:
//! - `applications` of close `batch` in `county`, one part (employer/pooling, individual/account,
//!   late fee) where it is positive, ordered by (person, receipt, period): [`applied_summaries`];
//! - `payroll_lines` issued (`msg_id` set) in month `month`, `county`, `item`, ordered by
//!   (person, attempt) — the order `tc-app::disburse::guard` checks the payments in.

use crate::collection::PostingKind;
use crate::{Db, Result, StoreError, Val};
use std::collections::BTreeMap;
use tongchou_core::{Fen, Period};
use tongchou_engine::collection::Application;
use tongchou_ledger::transfer::{Line, LinesHasher, LinesSummary};

/// Where the person-level lines of a transfer are kept when they are not copied into
/// `ledger_line`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LineSource {
    /// The applications of the close of `batch` in `county`: the part `kind` books.
    Applications {
        batch: Period,
        county: u32,
        kind: PostingKind,
    },
    /// The payment lines of `month`, `county` and `item` that went out to the bank.
    Payroll {
        month: Period,
        county: u32,
        item: String,
    },
}

/// The `applications` column holding a posting kind's part.
fn column(kind: PostingKind) -> &'static str {
    match kind {
        PostingKind::Employer => "pooling_fen",
        PostingKind::Individual => "account_fen",
        PostingKind::LateFees => "late_fee_fen",
    }
}

fn part(a: &Application, kind: PostingKind) -> Fen {
    match kind {
        PostingKind::Employer => a.pooling,
        PostingKind::Individual => a.account,
        PostingKind::LateFees => a.late_fee,
    }
}

impl LineSource {
    /// As stored: (source, period yyyymm, county, part).
    fn columns(&self) -> (&'static str, i64, i64, &str) {
        match self {
            LineSource::Applications {
                batch,
                county,
                kind,
            } => (
                "applications",
                batch.yyyymm() as i64,
                *county as i64,
                column(*kind),
            ),
            LineSource::Payroll {
                month,
                county,
                item,
            } => ("payroll_lines", month.yyyymm() as i64, *county as i64, item),
        }
    }

    fn from_row(source: &str, period: i64, county: i64, part: &str) -> Result<LineSource> {
        let (period, county) = (
            crate::benefits::period_of(period)?,
            crate::benefits::county_of(county)?,
        );
        match source {
            "applications" => PostingKind::ALL
                .into_iter()
                .find(|k| column(*k) == part)
                .map(|kind| LineSource::Applications {
                    batch: period,
                    county,
                    kind,
                })
                .ok_or_else(|| crate::corrupt("ledger_line_source", part)),
            "payroll_lines" => Ok(LineSource::Payroll {
                month: period,
                county,
                item: part.to_string(),
            }),
            _ => Err(StoreError::Invalid(format!(
                "ledger: line source {source:?}"
            ))),
        }
    }
}

impl std::fmt::Display for LineSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineSource::Applications {
                batch,
                county,
                kind,
            } => f.write_str(&tongchou_core::tr!(
                "ledger-chk-src-applications",
                batch = batch,
                county = county,
                column = column(*kind)
            )),
            LineSource::Payroll {
                month,
                county,
                item,
            } => f.write_str(&tongchou_core::tr!(
                "ledger-chk-src-payroll",
                month = month,
                county = county,
                item = item
            )),
        }
    }
}

/// The lines' summary of every (county, posting kind) of a close's applications, in the
/// canonical order of [`LineSource::Applications`]: what the close puts in the journal and what
/// the check recomputes from the stored rows.
pub fn applied_summaries<'a>(
    apps: impl IntoIterator<Item = &'a Application>,
) -> Result<BTreeMap<(u32, PostingKind), LinesSummary>> {
    let mut lines = AppliedLines::default();
    lines.add(apps);
    lines.finish()
}

/// [`applied_summaries`] fed slice by slice, as the close writes its applications: each slice
/// holds the applications of a range of persons above the previous slice's, so that every
/// (county, part) is hashed in the canonical order without the close's applications being held
/// at once.
#[derive(Default)]
pub struct AppliedLines {
    hashers: BTreeMap<(u32, PostingKind), LinesHasher>,
}

impl AppliedLines {
    /// Add the applications of the next slice of persons (ids above every earlier slice's).
    pub fn add<'a>(&mut self, apps: impl IntoIterator<Item = &'a Application>) {
        let mut by_county: BTreeMap<u32, Vec<&Application>> = BTreeMap::new();
        for a in apps {
            by_county.entry(a.county).or_default().push(a);
        }
        for (county, mut v) in by_county {
            // the close produces them by person already: a nearly sorted run
            v.sort_by(|a, b| {
                (a.person, &a.receipt, a.period).cmp(&(b.person, &b.receipt, b.period))
            });
            for kind in PostingKind::ALL {
                for a in &v {
                    let amount = part(a, kind);
                    if amount.is_positive() {
                        self.hashers.entry((county, kind)).or_default().push(&Line {
                            person: a.person,
                            amount,
                        });
                    }
                }
            }
        }
    }

    /// The summary of every (county, part) with a positive line.
    pub fn finish(self) -> Result<BTreeMap<(u32, PostingKind), LinesSummary>> {
        self.hashers
            .into_iter()
            .map(|((county, kind), h)| {
                let s = h.finish().map_err(|e| {
                    StoreError::Invalid(format!("applications of county {county}: {e}"))
                })?;
                Ok(((county, kind), s))
            })
            .collect()
    }
}

/// Record the sources of the transfers just created (in the batch's transaction).
pub(super) fn write(db: &mut Db, rows: &[(i64, &LineSource)]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let cols = rows
        .iter()
        .map(|(id, s)| (*id, s.columns()))
        .collect::<Vec<_>>();
    db.bulk_insert(
        "ledger_line_source",
        &["transfer_id", "source", "period", "county", "part"],
        &mut |sink| {
            for (id, (source, period, county, part)) in &cols {
                sink.row(&[
                    Val::I64(*id),
                    Val::Str(source),
                    Val::I64(*period),
                    Val::I64(*county),
                    Val::Str(part),
                ])?;
            }
            Ok(())
        },
    )?;
    Ok(())
}

/// Every recorded source, by transfer id.
pub(super) fn all(db: &mut Db) -> Result<Vec<(i64, LineSource)>> {
    db.query(
        "SELECT transfer_id, source, period, county, part FROM ledger_line_source ORDER BY transfer_id",
        &[],
    )?
    .iter()
    .map(|r| {
        Ok((
            r[0].i64()?,
            LineSource::from_row(r[1].text()?, r[2].i64()?, r[3].i64()?, r[4].text()?)?,
        ))
    })
    .collect()
}

/// The source of one transfer's lines, if they are kept by reference.
pub(super) fn of(db: &mut Db, transfer_id: i64) -> Result<Option<LineSource>> {
    db.query_opt(
        "SELECT source, period, county, part FROM ledger_line_source WHERE transfer_id = $1",
        &[Val::I64(transfer_id)],
    )?
    .map(|r| LineSource::from_row(r[0].text()?, r[1].i64()?, r[2].i64()?, r[3].text()?))
    .transpose()
}

/// A close's applications in one county, as stored: the rows of `applications_explicit` by
/// their (batch_id, county) index, and those implied by an assessment (migration 0067), which
/// only the close of the assessment's own month makes (`paid_by`), by the assessments'
/// (period, county) index — the view `applications`' rows of that close and county, without
/// an index of its own on the assessments (migration 0068).
fn applications_of(db: &mut Db, batch: Period, county: u32) -> Result<Vec<Application>> {
    let mut out = Vec::new();
    let sql = crate::collection::applications_by_sides(
        &[
            "receipt",
            "period",
            "person_id",
            "amount_fen",
            "pooling_fen",
            "account_fen",
            "days_late",
            "late_fee_fen",
        ],
        "batch_id = $1 AND county = $2",
        "period = $3 AND county = $2 AND batch_id = $1",
    );
    db.each(
        &sql,
        &[
            Val::I64(batch.yyyymm() as i64),
            Val::I64(county as i64),
            Val::I64(batch.yyyymm() as i64),
        ],
        |r| {
            out.push(Application {
                receipt: r.text(0)?.to_string(),
                period: crate::benefits::period_of(r.i64(1)?)?,
                person: r.i64(2)?,
                county,
                amount: Fen::new(r.i64(3)?),
                pooling: Fen::new(r.i64(4)?),
                account: Fen::new(r.i64(5)?),
                days_late: r.i64(6)?,
                late_fee: Fen::new(r.i64(7)?),
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// The issued payment lines of one (month, county, item), summarised in their canonical order
/// (`None`: an amount not positive or a total overflowing).
fn payroll_summary(
    db: &mut Db,
    month: Period,
    county: u32,
    item: &str,
) -> Result<Option<LinesSummary>> {
    let mut h = LinesHasher::default();
    crate::payroll::each_issued_line(
        db,
        Some((month.yyyymm() as i64, county as i64, item)),
        |l| {
            h.push(&Line {
                person: l.person,
                amount: l.amount,
            });
            Ok(())
        },
    )?;
    Ok(h.finish().ok())
}

/// What each source's rows summarise to today (a source whose rows are unacceptable — an amount
/// not positive, a total overflowing — gives `None`), by transfer id. The applications of one
/// close and county are read once for the three parts.
pub(super) fn recompute(
    db: &mut Db,
    sources: &[(i64, LineSource)],
) -> Result<Vec<(i64, Option<LinesSummary>)>> {
    let mut closes: BTreeMap<(Period, u32), Vec<(i64, PostingKind)>> = BTreeMap::new();
    let mut out = Vec::with_capacity(sources.len());
    for (id, s) in sources {
        match s {
            LineSource::Applications {
                batch,
                county,
                kind,
            } => closes
                .entry((*batch, *county))
                .or_default()
                .push((*id, *kind)),
            LineSource::Payroll {
                month,
                county,
                item,
            } => out.push((*id, payroll_summary(db, *month, *county, item)?)),
        }
    }
    for ((batch, county), wanted) in closes {
        let apps = applications_of(db, batch, county)?;
        let sums = applied_summaries(&apps).ok();
        for (id, kind) in wanted {
            // no line of that part at all: count 0, which no transfer with lines has
            let s = sums
                .as_ref()
                .map(|m| m.get(&(county, kind)).copied().unwrap_or_default());
            out.push((id, s));
        }
    }
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}
