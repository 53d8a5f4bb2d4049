//! Plain-SQL migrations, compiled in, applied in order, once. Every file must run unchanged on
//! SQLite and PostgreSQL (and stay within the subset a distributed PostgreSQL engine accepts),
//! but a file whose first line is [`POSTGRES_ONLY`] (PostgreSQL's declarative partitioning).

use crate::{Backend, Db, Result, StoreError, Val};

/// (version, name, SQL). Append only: never edit a migration that has shipped.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "meta", include_str!("../migrations/0001_meta.sql")),
    (2, "ledger", include_str!("../migrations/0002_ledger.sql")),
    (
        3,
        "registry",
        include_str!("../migrations/0003_registry.sql"),
    ),
    (
        4,
        "collection",
        include_str!("../migrations/0004_collection.sql"),
    ),
    (
        5,
        "disbursement",
        include_str!("../migrations/0005_disbursement.sql"),
    ),
    (6, "access", include_str!("../migrations/0006_access.sql")),
    (
        7,
        "benefits",
        include_str!("../migrations/0007_benefits.sql"),
    ),
    (
        8,
        "payment_lookup",
        include_str!("../migrations/0008_payment_lookup.sql"),
    ),
    (
        9,
        "survivor_claims",
        include_str!("../migrations/0009_survivor_claims.sql"),
    ),
    (
        10,
        "reissue_lookup",
        include_str!("../migrations/0010_reissue_lookup.sql"),
    ),
    (
        11,
        "collection_postings",
        include_str!("../migrations/0011_collection_postings.sql"),
    ),
    (
        12,
        "agency_accounts",
        include_str!("../migrations/0012_agency_accounts.sql"),
    ),
    (
        13,
        "deferred_lines",
        include_str!("../migrations/0013_deferred_lines.sql"),
    ),
    (
        14,
        "job_runs",
        include_str!("../migrations/0014_job_runs.sql"),
    ),
    (
        15,
        "period_close",
        include_str!("../migrations/0015_period_close.sql"),
    ),
    (16, "budget", include_str!("../migrations/0016_budget.sql")),
    (
        17,
        "government_role",
        include_str!("../migrations/0017_government_role.sql"),
    ),
    (
        20,
        "gap_sharing",
        include_str!("../migrations/0020_gap_sharing.sql"),
    ),
    (
        25,
        "certification",
        include_str!("../migrations/0025_certification.sql"),
    ),
    (
        26,
        "recovery_movements",
        include_str!("../migrations/0026_recovery_movements.sql"),
    ),
    (
        27,
        "crypto_keys",
        include_str!("../migrations/0027_crypto_keys.sql"),
    ),
    (
        30,
        "city_migration",
        include_str!("../migrations/0030_city_migration.sql"),
    ),
    (
        31,
        "transfers",
        include_str!("../migrations/0031_transfers.sql"),
    ),
    (
        35,
        "password_history",
        include_str!("../migrations/0035_password_history.sql"),
    ),
    (36, "totp", include_str!("../migrations/0036_totp.sql")),
    (
        37,
        "plan_chain",
        include_str!("../migrations/0037_plan_chain.sql"),
    ),
    (
        38,
        "totp_pending",
        include_str!("../migrations/0038_totp_pending.sql"),
    ),
    (
        39,
        "person_payments",
        include_str!("../migrations/0039_person_payments.sql"),
    ),
    (
        40,
        "central_reserve",
        include_str!("../migrations/0040_central_reserve.sql"),
    ),
    (
        42,
        "back_payments",
        include_str!("../migrations/0042_back_payments.sql"),
    ),
    (
        43,
        "plan_deadlines",
        include_str!("../migrations/0043_plan_deadlines.sql"),
    ),
    (
        44,
        "execution_analysis",
        include_str!("../migrations/0044_execution_analysis.sql"),
    ),
    (
        45,
        "paying_account_review",
        include_str!("../migrations/0045_paying_account_review.sql"),
    ),
    (
        48,
        "governance_aggregates",
        include_str!("../migrations/0048_governance_aggregates.sql"),
    ),
    (
        49,
        "crypto_runs",
        include_str!("../migrations/0049_crypto_runs.sql"),
    ),
    (
        51,
        "audit_archives",
        include_str!("../migrations/0051_audit_archives.sql"),
    ),
    (
        52,
        "household_registration",
        include_str!("../migrations/0052_household_registration.sql"),
    ),
    (
        53,
        "transfer_reviews",
        include_str!("../migrations/0053_transfer_reviews.sql"),
    ),
    (
        54,
        "migration_reports",
        include_str!("../migrations/0054_migration_reports.sql"),
    ),
    (
        59,
        "partitions",
        include_str!("../migrations/0059_partitions.sql"),
    ),
    (
        60,
        "ledger_line_sources",
        include_str!("../migrations/0060_ledger_line_sources.sql"),
    ),
    (
        62,
        "transfer_requests",
        include_str!("../migrations/0062_transfer_requests.sql"),
    ),
    (
        63,
        "payroll_held",
        include_str!("../migrations/0063_payroll_held.sql"),
    ),
    (
        64,
        "payroll_fillfactor",
        include_str!("../migrations/0064_payroll_fillfactor.sql"),
    ),
    (
        66,
        "person_ids_clustered",
        include_str!("../migrations/0066_person_ids_clustered.sql"),
    ),
    (
        67,
        "applications_implied",
        include_str!("../migrations/0067_applications_implied.sql"),
    ),
    (
        68,
        "applications_implied_by_period",
        include_str!("../migrations/0068_applications_implied_by_period.sql"),
    ),
    (
        69,
        "assessments_by_period",
        include_str!("../migrations/0069_assessments_by_period.sql"),
    ),
    (
        70,
        "assessments_by_period_pg",
        include_str!("../migrations/0070_assessments_by_period_pg.sql"),
    ),
    (
        71,
        "receipts_by_number",
        include_str!("../migrations/0071_receipts_by_number.sql"),
    ),
    (
        72,
        "receipts_waiting_pg",
        include_str!("../migrations/0072_receipts_waiting_pg.sql"),
    ),
    (
        73,
        "payment_states_by_message",
        include_str!("../migrations/0073_payment_states_by_message.sql"),
    ),
    (
        74,
        "payment_states_view_pg",
        include_str!("../migrations/0074_payment_states_view_pg.sql"),
    ),
    (
        75,
        "payment_states_view_sqlite",
        include_str!("../migrations/0075_payment_states_view_sqlite.sql"),
    ),
];

/// The first line of a migration that only PostgreSQL runs (SQLite records it as applied and
/// runs nothing): the declarative partitioning of 0059, which SQLite has no form of.
pub const POSTGRES_ONLY: &str = "-- postgres only";

/// The first line of a migration that only SQLite runs (PostgreSQL records it as applied and
/// runs nothing): a table's storage that PostgreSQL has no form of, such as 0066's
/// `WITHOUT ROWID`.
pub const SQLITE_ONLY: &str = "-- sqlite only";

/// The SQL of a migration as `backend` runs it. On SQLite a one-column `BIGINT PRIMARY KEY` is
/// declared `INTEGER PRIMARY KEY`: the same 64-bit integer (SQLite's INTEGER is 8 bytes), but
/// then the key *is* the table's rowid instead of a second B-tree beside it, so a lookup by id is
/// one descent and an insert writes one tree less. PostgreSQL runs the file as written; a
/// [`POSTGRES_ONLY`] file is empty on SQLite, a [`SQLITE_ONLY`] one on PostgreSQL.
pub fn dialect(sql: &str, backend: Backend) -> String {
    match backend {
        Backend::Sqlite if sql.starts_with(POSTGRES_ONLY) => String::new(),
        Backend::Sqlite => sql.replace(" BIGINT PRIMARY KEY", " INTEGER PRIMARY KEY"),
        Backend::Postgres if sql.starts_with(SQLITE_ONLY) => String::new(),
        Backend::Postgres => sql.to_string(),
    }
}

/// The database's own clock as an SQL expression, in the one timestamp format
/// (`tongchou_core::Timestamp`).
pub(crate) fn db_now(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        Backend::Postgres => {
            "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
        }
    }
}

pub(crate) fn run(db: &mut Db) -> Result<Vec<String>> {
    db.batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let done: Vec<i64> = db
        .query(
            "SELECT version FROM schema_migrations ORDER BY version",
            &[],
        )?
        .iter()
        .map(|r| r[0].i64())
        .collect::<Result<_>>()?;
    let mut applied = Vec::new();
    for (v, name, sql) in MIGRATIONS {
        if done.contains(v) {
            continue;
        }
        let now = db_now(db.backend());
        db.transaction(|db| {
            db.batch(&dialect(sql, db.backend()))
                .map_err(|e| StoreError::Invalid(format!("migration {v} {name}: {e}")))?;
            db.exec(
                &format!(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, {now})"
                ),
                &[Val::I64(*v), Val::Str(name)],
            )?;
            Ok::<(), StoreError>(())
        })?;
        applied.push(format!("{v:04}_{name}"));
    }
    crate::settings::init(db, done.is_empty())?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_keys_become_the_rowid_and_postgres_runs_the_file_as_written() {
        let sql = "CREATE TABLE t (id BIGINT PRIMARY KEY, x BIGINT NOT NULL);";
        assert_eq!(
            dialect(sql, Backend::Sqlite),
            "CREATE TABLE t (id INTEGER PRIMARY KEY, x BIGINT NOT NULL);"
        );
        assert_eq!(dialect(sql, Backend::Postgres), sql);
        // composite keys are left alone
        let c = "CREATE TABLE u (a BIGINT NOT NULL, b BIGINT NOT NULL, PRIMARY KEY (a, b));";
        assert_eq!(dialect(c, Backend::Sqlite), c);
        // PostgreSQL's partitioning is nothing on SQLite
        let p = format!("{POSTGRES_ONLY}\nCREATE TABLE p (m INTEGER) PARTITION BY RANGE (m);");
        assert_eq!(dialect(&p, Backend::Sqlite), "");
        assert_eq!(dialect(&p, Backend::Postgres), p);
        // and SQLite's own storage is nothing on PostgreSQL
        let q = format!("{SQLITE_ONLY}\nCREATE TABLE q (k TEXT PRIMARY KEY) WITHOUT ROWID;");
        assert_eq!(dialect(&q, Backend::Postgres), "");
        assert_eq!(dialect(&q, Backend::Sqlite), q);
    }

    #[test]
    fn migrated_sqlite_tables_keyed_by_one_id_carry_no_second_key_index() {
        let mut db = Db::open("sqlite::memory:").unwrap();
        db.migrate().unwrap();
        for t in ["persons", "employers", "pensioners", "ledger_transfer"] {
            let pk_indexes = db
                .query_i64(
                    &format!("SELECT count(*) FROM pragma_index_list('{t}') WHERE origin = 'pk'"),
                    &[],
                )
                .unwrap();
            assert_eq!(pk_indexes, 0, "{t}");
        }
        // the ID numbers' lookup table is its key's B-tree (0066): no rowid beside it
        let clustered = db
            .query_i64(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'person_ids' \
                 AND sql LIKE '%WITHOUT ROWID%'",
                &[],
            )
            .unwrap();
        assert_eq!(clustered, 1);
        db.exec(
            "INSERT INTO person_ids (id_number, person_id) VALUES ('k', 1)",
            &[],
        )
        .unwrap();
        assert!(
            db.exec(
                "INSERT INTO person_ids (id_number, person_id) VALUES ('k', 2)",
                &[]
            )
            .is_err()
        );
        // a 64-bit id still fits
        db.exec(
            "INSERT INTO employers (id, credit_code, name, county, industry, status, status_since, registered_on) VALUES ($1, 'X', 'n', 140105, 'C', 'active', '2020-01-01', '2020-01-01')",
            &[Val::I64(i64::MAX - 1)],
        )
        .unwrap();
        assert_eq!(
            db.query_i64("SELECT id FROM employers", &[]).unwrap(),
            i64::MAX - 1
        );
    }
}
