//! Plain-SQL migrations, compiled in, applied in order, once. Every file must run unchanged on
//! SQLite and PostgreSQL (and stay within the subset a distributed PostgreSQL engine accepts).

use crate::{Db, Result, StoreError, Val};

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
];

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
        let now = format!("{:?}", std::time::SystemTime::now());
        db.transaction(|db| {
            db.batch(sql)
                .map_err(|e| StoreError(format!("migration {v} {name}: {e}")))?;
            db.exec(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[Val::I64(*v), Val::Str(name), Val::Str(&now)],
            )?;
            Ok::<(), StoreError>(())
        })?;
        applied.push(format!("{v:04}_{name}"));
    }
    Ok(applied)
}
