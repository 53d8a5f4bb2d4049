//! A person's rows of the tables every month writes, found month by month.
//!
//! The assessments are found by (period, person) — SQLite's unique index beside its table stored
//! (period, county, person), PostgreSQL's key — and the payment lines by their key (month,
//! person, …): a month writes its rows after every earlier month's, at the end of each key,
//! instead of between them in every leaf of a person-first key (migrations 0069 and 0070;
//! docs/PERFORMANCE.md, "Months in time order"). There is no index by person first: a person's
//! rows are read by probing once per month of a range, the months listed by [`months`].

/// The common table expression `name(p)` of the months (yyyymm) from `lo` through `hi`, oldest
/// first; `lo` and `hi` are SQL expressions of a yyyymm (a parameter, a subquery). None when
/// `lo` is after `hi` or either is NULL. To be written after `WITH RECURSIVE`, and joined to a
/// table so that the month is the first column of its key looked up:
/// `FROM m CROSS JOIN assessments a WHERE a.period = m.p AND a.person_id = $1` (SQLite takes a
/// `CROSS JOIN`'s left side as the outer loop).
pub(crate) fn months(name: &str, lo: &str, hi: &str) -> String {
    format!(
        "{name}(p) AS (SELECT CAST({lo} AS BIGINT) WHERE {lo} <= {hi} \
         UNION ALL SELECT CASE WHEN p % 100 = 12 THEN p + 89 ELSE p + 1 END FROM {name} \
         WHERE p < {hi})"
    )
}

/// The month (yyyymm) before the month the SQL expression `p` gives.
pub(crate) fn month_before(p: &str) -> String {
    format!("CASE WHEN {p} % 100 = 1 THEN {p} - 89 ELSE {p} - 1 END")
}

/// The first and the last period any assessment has, as SQL expressions for [`months`]: the
/// ends of the assessments' key (on PostgreSQL, of each partition's).
pub(crate) const ASSESSED: (&str, &str) = (
    "(SELECT MIN(period) FROM assessments)",
    "(SELECT MAX(period) FROM assessments)",
);

/// The first and the last month any payment line has, by the payment lines' key.
pub(crate) const PAID: (&str, &str) = (
    "(SELECT MIN(month) FROM payroll_line_rows)",
    "(SELECT MAX(month) FROM payroll_line_rows)",
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Db, testing};

    fn listed(db: &mut Db, lo: &str, hi: &str) -> Vec<i64> {
        db.query(
            &format!(
                "WITH RECURSIVE {} SELECT p FROM m ORDER BY p",
                months("m", lo, hi)
            ),
            &[],
        )
        .expect("months")
        .iter()
        .map(|r| r[0].i64().expect("p"))
        .collect()
    }

    #[test]
    fn months_cross_the_year_and_stop_at_the_last() {
        for url in testing::both("months") {
            let mut db = Db::open(&url).expect("open");
            cases(&mut db);
        }
    }

    fn cases(db: &mut Db) {
        let db = &mut *db;
        assert_eq!(
            listed(db, "202011", "202102"),
            vec![202011, 202012, 202101, 202102]
        );
        assert_eq!(listed(db, "202005", "202005"), vec![202005]);
        assert_eq!(listed(db, "202006", "202005"), Vec::<i64>::new());
        assert_eq!(listed(db, "NULL", "202005"), Vec::<i64>::new());
        assert_eq!(listed(db, "201901", "202012").len(), 24);
    }
}
