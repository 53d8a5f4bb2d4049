//! The county agencies' paying accounts (`agency_accounts`, migrations 0012 and 0045): every
//! version ever set, its review (maker–checker: `pending` until a second user confirms or
//! refuses it), and the confirmed one in force on a day. A change is a new version, never an
//! overwrite. The values are stored as the use case checked them
//! (`tongchou_app::agency_accounts`); this module only keeps and finds them.

use crate::{Db, Result, Row, Val};
use tongchou_core::{Date, RegionCode};

/// One version of a county's paying account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgencyAccount {
    pub region: RegionCode,
    pub version: i64,
    /// The ledger's bank-account kind it stands behind (`expenditure_account`,
    /// `income_account`, `fiscal_special_account`).
    pub kind: String,
    pub valid_from: Date,
    pub agency_name: String,
    pub credit_code: String,
    pub account_number: String,
    pub account_name: Option<String>,
    pub bank_name: String,
    pub bic: Option<String>,
    pub cnaps: Option<String>,
    pub set_by: String,
    pub set_by_id: Option<i64>,
    pub set_at: String,
    /// `pending`, `confirmed` or `refused` (see migration 0045).
    pub status: String,
    /// Who confirmed or refused it, when, and the reviewer's note.
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub review_note: Option<String>,
}

/// A reviewer's decision on a pending version.
#[derive(Clone, Copy, Debug)]
pub struct Review<'a> {
    pub region: RegionCode,
    pub version: i64,
    /// `confirmed` or `refused`.
    pub status: &'a str,
    pub by: &'a str,
    pub by_id: i64,
    pub at: &'a str,
    pub note: Option<&'a str>,
}

/// A county's paying account as a user gives it (checked by the use case before it is stored).
#[derive(Clone, Copy, Debug)]
pub struct AccountFields<'a> {
    pub region: RegionCode,
    /// The ledger's bank-account kind (see [`AgencyAccount::kind`]).
    pub kind: &'a str,
    /// The agency as its bank knows it, e.g. 太原市小店区社会保险事业管理中心.
    pub agency_name: &'a str,
    /// The agency's unified social credit code (统一社会信用代码).
    pub credit_code: &'a str,
    /// The account number, digits only.
    pub account_number: &'a str,
    /// The account's title as the bank keeps it, if it keeps one.
    pub account_name: Option<&'a str>,
    pub bank_name: &'a str,
    /// The bank's BIC and/or its 12-digit CNAPS code (行号): at least one.
    pub bic: Option<&'a str>,
    pub cnaps: Option<&'a str>,
    /// The first day the account pays.
    pub valid_from: Date,
}

/// A version to write (its number is the next free one of the county): the account and who set
/// it when.
#[derive(Clone, Copy, Debug)]
pub struct NewVersion<'a> {
    pub account: AccountFields<'a>,
    pub set_by: &'a str,
    pub set_by_id: Option<i64>,
    pub set_at: &'a str,
}

const INSERTED: &str = "region, version, valid_from, agency_name, credit_code, account_number, \
     account_name, bank_name, bic, cnaps, set_by, set_by_id, set_at, status, kind";

const COLUMNS: &str = "region, version, valid_from, agency_name, credit_code, account_number, \
     account_name, bank_name, bic, cnaps, set_by, set_by_id, set_at, status, reviewed_by, \
     reviewed_at, review_note, kind";

fn opt(v: Option<&str>) -> Val<'_> {
    v.map(Val::Str).unwrap_or(Val::Null)
}

fn from_row(r: &Row) -> Result<AgencyAccount> {
    let region = RegionCode::from_stored(r[0].i64()?)
        .ok_or_else(|| crate::corrupt("agency_accounts.region", &r[0]))?;
    let valid_from: Date = r[2].text()?.parse::<Date>().map_err(|e| {
        crate::corrupt(
            format!("agency_accounts[{region}].valid_from"),
            e.to_string(),
        )
    })?;
    let owned = |i: usize| -> Result<Option<String>> { Ok(r[i].opt_text()?.map(str::to_string)) };
    Ok(AgencyAccount {
        region,
        version: r[1].i64()?,
        valid_from,
        agency_name: r[3].text()?.to_string(),
        credit_code: r[4].text()?.to_string(),
        account_number: r[5].text()?.to_string(),
        account_name: owned(6)?,
        bank_name: r[7].text()?.to_string(),
        bic: owned(8)?,
        cnaps: owned(9)?,
        set_by: r[10].text()?.to_string(),
        set_by_id: r[11].opt_i64()?,
        set_at: r[12].text()?.to_string(),
        status: r[13].text()?.to_string(),
        reviewed_by: owned(14)?,
        reviewed_at: owned(15)?,
        review_note: owned(16)?,
        kind: r[17].text()?.to_string(),
    })
}

/// Write a new version of the county's account, `pending` its review; returns its number. Inside
/// the caller's transaction (a concurrent writer of the same county loses on the key and
/// retries).
pub fn insert(db: &mut Db, v: &NewVersion<'_>) -> Result<i64> {
    let a = &v.account;
    let region = a.region.get() as i64;
    let version = db.query_i64(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM agency_accounts WHERE region = $1",
        &[Val::I64(region)],
    )?;
    let valid_from = a.valid_from.to_string();
    db.exec(
        &format!(
            "INSERT INTO agency_accounts ({INSERTED}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', $14)"
        ),
        &[
            Val::I64(region),
            Val::I64(version),
            Val::Str(&valid_from),
            Val::Str(a.agency_name),
            Val::Str(a.credit_code),
            Val::Str(a.account_number),
            opt(a.account_name),
            Val::Str(a.bank_name),
            opt(a.bic),
            opt(a.cnaps),
            Val::Str(v.set_by),
            v.set_by_id.map(Val::I64).unwrap_or(Val::Null),
            Val::Str(v.set_at),
            Val::Str(a.kind),
        ],
    )?;
    Ok(version)
}

/// The region's latest version of an account of `kind` (the highest number), if any.
pub fn latest(db: &mut Db, region: RegionCode, kind: &str) -> Result<Option<AgencyAccount>> {
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM agency_accounts WHERE region = $1 AND kind = $2 \
             ORDER BY version DESC LIMIT 1"
        ),
        &[Val::I64(region.get() as i64), Val::Str(kind)],
    )?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Record a reviewer's decision on a version still `pending`; false when it is not (already
/// decided, or no such version).
pub fn review(db: &mut Db, r: &Review<'_>) -> Result<bool> {
    let n = db.exec(
        "UPDATE agency_accounts SET status = $1, reviewed_by = $2, reviewed_by_id = $3, \
         reviewed_at = $4, review_note = $5 \
         WHERE region = $6 AND version = $7 AND status = 'pending'",
        &[
            Val::Str(r.status),
            Val::Str(r.by),
            Val::I64(r.by_id),
            Val::Str(r.at),
            opt(r.note),
            Val::I64(r.region.get() as i64),
            Val::I64(r.version),
        ],
    )?;
    Ok(n == 1)
}

/// One version of a county's account, if it exists.
pub fn version(db: &mut Db, region: RegionCode, version: i64) -> Result<Option<AgencyAccount>> {
    db.query_opt(
        &format!("SELECT {COLUMNS} FROM agency_accounts WHERE region = $1 AND version = $2"),
        &[Val::I64(region.get() as i64), Val::I64(version)],
    )?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// The region's account of `kind` in force on `day`: of the confirmed versions valid from that day or
/// earlier, the latest start, and of those the highest version.
pub fn valid_on(
    db: &mut Db,
    region: RegionCode,
    kind: &str,
    day: Date,
) -> Result<Option<AgencyAccount>> {
    let day = day.to_string();
    db.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM agency_accounts WHERE region = $1 AND kind = $2 \
             AND valid_from <= $3 AND status = 'confirmed' \
             ORDER BY valid_from DESC, version DESC LIMIT 1"
        ),
        &[
            Val::I64(region.get() as i64),
            Val::Str(kind),
            Val::Str(&day),
        ],
    )?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Every version, by county then version; only the county's if `region` is given.
pub fn all_versions(db: &mut Db, region: Option<RegionCode>) -> Result<Vec<AgencyAccount>> {
    let rows = match region {
        Some(r) => db.query(
            &format!(
                "SELECT {COLUMNS} FROM agency_accounts WHERE region = $1 ORDER BY region, version"
            ),
            &[Val::I64(r.get() as i64)],
        )?,
        None => db.query(
            &format!("SELECT {COLUMNS} FROM agency_accounts ORDER BY region, version"),
            &[],
        )?,
    };
    rows.iter().map(from_row).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version<'a>(account: &'a str, valid_from: &str) -> NewVersion<'a> {
        NewVersion {
            account: AccountFields {
                region: RegionCode::new(140105).unwrap(),
                kind: "expenditure_account",
                valid_from: valid_from.parse().unwrap(),
                agency_name: "太原市小店区社会保险事业管理中心",
                credit_code: "12140105MB0000000X",
                account_number: account,
                account_name: None,
                bank_name: "某银行",
                bic: None,
                cnaps: Some("102161000011"),
            },
            set_by: "officer",
            set_by_id: Some(1),
            set_at: "2020-01-01T00:00:00.000Z",
        }
    }

    fn versions_and_days(url: &str) {
        let mut db = Db::open(url).unwrap();
        let c = RegionCode::new(140105).unwrap();
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert!(
            valid_on(&mut db, c, "expenditure_account", d("2020-01-15"))
                .unwrap()
                .is_none()
        );
        db.transaction(|db| {
            assert_eq!(insert(db, &version("1111111111", "2020-01-01"))?, 1);
            assert_eq!(insert(db, &version("2222222222", "2020-03-01"))?, 2);
            // a correction of the first one, set later: same start, higher version
            assert_eq!(insert(db, &version("3333333333", "2020-01-01"))?, 3);
            Ok::<_, crate::StoreError>(())
        })
        .unwrap();
        // nothing is in force before its review
        assert!(
            valid_on(&mut db, c, "expenditure_account", d("2020-02-15"))
                .unwrap()
                .is_none()
        );
        let decide = |db: &mut Db, v: i64, status: &str| {
            review(
                db,
                &Review {
                    region: c,
                    version: v,
                    status,
                    by: "reviewer",
                    by_id: 2,
                    at: "2020-01-02T00:00:00.000Z",
                    note: None,
                },
            )
            .unwrap()
        };
        for v in 1..=3 {
            assert!(decide(&mut db, v, "confirmed"));
        }
        // decided once only
        assert!(!decide(&mut db, 2, "refused"));
        assert_eq!(
            super::version(&mut db, c, 2).unwrap().unwrap().status,
            "confirmed"
        );
        let on = |db: &mut Db, s: &str| {
            valid_on(db, c, "expenditure_account", d(s))
                .unwrap()
                .map(|a| (a.version, a.account_number))
        };
        assert_eq!(on(&mut db, "2019-12-31"), None);
        assert_eq!(on(&mut db, "2020-02-15"), Some((3, "3333333333".into())));
        assert_eq!(on(&mut db, "2020-03-01"), Some((2, "2222222222".into())));
        assert_eq!(
            latest(&mut db, c, "expenditure_account")
                .unwrap()
                .map(|a| a.version),
            Some(3)
        );
        // a refused correction is never in force
        db.transaction(|db| insert(db, &version("4444444444", "2020-03-01")))
            .unwrap();
        assert!(decide(&mut db, 4, "refused"));
        assert_eq!(on(&mut db, "2020-03-02"), Some((2, "2222222222".into())));
        let all = all_versions(&mut db, None).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[1].cnaps.as_deref(), Some("102161000011"));
        assert_eq!(all[1].bic, None);
        assert!(
            all_versions(&mut db, Some(RegionCode::new(140106).unwrap()))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn versions_and_days_on_sqlite() {
        versions_and_days(&crate::testing::sqlite_url("agency_accounts"));
    }

    #[test]
    fn versions_and_days_on_postgres() {
        versions_and_days(&crate::testing::pg_url("agency_accounts"));
    }
}
