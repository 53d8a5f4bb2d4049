//! One storage API over an embedded SQLite file (default) and PostgreSQL (production).
//!
//! - [`Db::open`] picks the backend from a URL: `sqlite://PATH`, `sqlite::memory:` or
//!   `postgres://…` (an extra `schema=NAME` query parameter isolates a run in its own schema).
//! - SQL is written once, with `$1…$N` placeholders, in the portable subset of both engines;
//!   values travel as [`Val`] (64-bit integers, text, null).
//! - [`Db::bulk_insert`] writes many rows at the speed each engine allows: multi-row prepared
//!   inserts in one transaction on SQLite, `COPY … FROM STDIN` on PostgreSQL.
//! - Migrations are plain SQL files compiled in and applied in order, once.

pub mod access;
pub mod accounts;
pub mod agency_accounts;
pub mod analysis;
pub mod audit;
pub mod backpay;
pub mod backup;
pub mod benefits;
pub mod budget;
pub mod central;
pub mod certification;
pub mod closing;
pub mod collection;
pub mod governance;
pub mod imports;
pub mod income;
pub mod jobs;
pub mod keys;
pub mod ledger;
mod migrate;
pub mod migration;
mod months;
pub mod own;
pub mod payroll;
pub mod pg_tls;
pub mod plan_chain;
pub mod plans;
mod profile;
pub mod projection;
pub mod protect;
pub mod recoveries;
pub mod registry;
pub mod rekey;
pub mod reports;
pub mod reserve;
pub mod run_lock;
pub mod settings;
pub mod totp;
pub mod transfers;

pub use migrate::MIGRATIONS;

use std::collections::HashMap;
use std::io::Write;

/// Why the store failed, by who can act on it: a conflict is retried by the caller, a duplicate or
/// a refused constraint is the input's fault, a missing row is "not found", unreadable data and
/// backend failures are the operator's.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A concurrent writer won (serialization failure, deadlock, a lost race for the next
    /// sequence number, a busy database): the whole transaction may be retried.
    #[error("{}", tongchou_core::tr!("store-err-conflict", detail = .0))]
    Conflict(String),
    /// A uniqueness constraint refused the write: the row already exists.
    #[error("{}", tongchou_core::tr!("store-err-duplicate", detail = .0))]
    Duplicate(String),
    /// A CHECK, NOT NULL or foreign-key constraint refused the write.
    #[error("{}", tongchou_core::tr!("store-err-constraint", detail = .0))]
    Constraint(String),
    /// No row where one was required.
    #[error("{}", tongchou_core::tr!("store-err-not-found", detail = .0))]
    NotFound(String),
    /// A value is not what the schema or the caller promised (a corrupt row, a bad argument).
    #[error("{0}")]
    Invalid(String),
    /// A new ledger transfer is dated in a month its book has closed (`closing`): nothing of
    /// the batch was written. Post it in an open month, or have the month reopened.
    #[error(
        "{}",
        tongchou_core::tr!("store-err-period-closed", period = .period, region = .region, date = .date, key = .key)
    )]
    PeriodClosed {
        region: i64,
        /// The book's last closed month, `YYYY-MM`.
        period: String,
        date: String,
        key: String,
    },
    /// The database or the connection failed.
    #[error("{0}")]
    Backend(String),
    #[error("{}", tongchou_core::i18n::io_text(.0))]
    Io(#[from] std::io::Error),
}

/// A stored value this program cannot read (a corrupt row, or one written by another version of
/// it): `what` names it as `table.column` (with the row's key where it helps, `table[KEY].column`),
/// `value` is what was found. The refusal in the reader's language (`store-err-corrupt`).
pub(crate) fn corrupt(what: impl std::fmt::Display, value: impl std::fmt::Debug) -> StoreError {
    StoreError::Invalid(tongchou_core::tr!(
        "store-err-corrupt",
        what = what,
        value = format!("{value:?}")
    ))
}

const INTEGER: &str = "store-type-integer";
const TEXT: &str = "store-type-text";

/// A column (by number or name; `None`: a value) that holds other than the `expected` type
/// (`store-type-*`), in the reader's language.
fn not_a(
    expected: &'static str,
    column: Option<&dyn std::fmt::Display>,
    got: &dyn std::fmt::Display,
) -> StoreError {
    let expected = tongchou_core::i18n::word(expected);
    let value = got.to_string();
    StoreError::Invalid(match column {
        Some(c) => tongchou_core::tr!(
            "store-err-column",
            column = c,
            expected = expected,
            value = value
        ),
        None => tongchou_core::tr!("store-err-value", expected = expected, value = value),
    })
}

impl StoreError {
    /// Whether retrying the whole transaction may succeed.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict(_))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        use rusqlite::ffi::ErrorCode;
        let msg = format!("sqlite: {e}");
        match &e {
            rusqlite::Error::SqliteFailure(f, _) => match f.code {
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => StoreError::Conflict(msg),
                ErrorCode::ConstraintViolation => match f.extended_code {
                    rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => StoreError::Duplicate(msg),
                    _ => StoreError::Constraint(msg),
                },
                _ => StoreError::Backend(msg),
            },
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound(msg),
            _ => StoreError::Backend(msg),
        }
    }
}

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> StoreError {
        use postgres::error::SqlState;
        let Some(db) = e.as_db_error() else {
            return StoreError::Backend(format!("postgres: {e}"));
        };
        let msg = format!("postgres: {} ({})", db.message(), db.code().code());
        let code = db.code();
        if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED
        {
            StoreError::Conflict(msg)
        } else if *code == SqlState::UNIQUE_VIOLATION {
            StoreError::Duplicate(msg)
        } else if code.code().starts_with("23") {
            StoreError::Constraint(msg)
        } else {
            StoreError::Backend(msg)
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A value passed to or read from SQL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val<'a> {
    Null,
    I64(i64),
    Str(&'a str),
}

/// An owned value read back from a query.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    Null,
    I64(i64),
    Text(String),
}

impl Value {
    /// The value as a parameter of a statement or a bulk write.
    pub fn as_val(&self) -> Val<'_> {
        match self {
            Value::Null => Val::Null,
            Value::I64(x) => Val::I64(*x),
            Value::Text(s) => Val::Str(s),
        }
    }

    pub fn i64(&self) -> Result<i64> {
        match self {
            Value::I64(v) => Ok(*v),
            Value::Text(t) => t
                .parse()
                .map_err(|_| not_a(INTEGER, None, &format!("{t:?}"))),
            Value::Null => Err(not_a(INTEGER, None, &"NULL")),
        }
    }
    pub fn opt_i64(&self) -> Result<Option<i64>> {
        match self {
            Value::Null => Ok(None),
            v => v.i64().map(Some),
        }
    }
    pub fn text(&self) -> Result<&str> {
        match self {
            Value::Text(t) => Ok(t),
            other => Err(not_a(TEXT, None, &format!("{other:?}"))),
        }
    }
    pub fn opt_text(&self) -> Result<Option<&str>> {
        match self {
            Value::Null => Ok(None),
            v => v.text().map(Some),
        }
    }
    pub fn into_text(self) -> Result<String> {
        match self {
            Value::Text(t) => Ok(t),
            other => Err(not_a(TEXT, None, &format!("{other:?}"))),
        }
    }
}

pub type Row = Vec<Value>;

/// One row of [`Db::each`], borrowed from the driver: read its columns by position.
pub struct RowView<'a>(RowInner<'a>);

enum RowInner<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Pg(&'a postgres::Row),
}

impl RowView<'_> {
    /// Every column as a [`Value`], as [`Db::query`] reads it: e.g. a large table's rows copied
    /// or digested one at a time.
    pub fn values(&self) -> Result<Row> {
        match &self.0 {
            RowInner::Sqlite(r) => (0..r.as_ref().column_count())
                .map(|i| Ok(sqlite_value(r.get_ref(i)?)))
                .collect(),
            RowInner::Pg(r) => (0..r.len()).map(|i| pg_value(r, i)).collect(),
        }
    }

    /// An integer column (NULL is an error).
    pub fn i64(&self, i: usize) -> Result<i64> {
        self.opt_i64(i)?
            .ok_or_else(|| not_a(INTEGER, Some(&i), &"NULL"))
    }
    pub fn opt_i64(&self, i: usize) -> Result<Option<i64>> {
        match &self.0 {
            RowInner::Sqlite(r) => match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => Ok(None),
                rusqlite::types::ValueRef::Integer(v) => Ok(Some(v)),
                other => Err(not_a(INTEGER, Some(&i), &other.data_type())),
            },
            RowInner::Pg(r) => {
                use postgres::types::Type;
                let t = r.columns()[i].type_();
                Ok(if *t == Type::INT8 {
                    r.try_get::<_, Option<i64>>(i)?
                } else if *t == Type::INT4 {
                    r.try_get::<_, Option<i32>>(i)?.map(i64::from)
                } else if *t == Type::INT2 {
                    r.try_get::<_, Option<i16>>(i)?.map(i64::from)
                } else {
                    return Err(not_a(INTEGER, Some(&r.columns()[i].name()), t));
                })
            }
        }
    }
    /// A text column (NULL is an error).
    pub fn text(&self, i: usize) -> Result<&str> {
        self.opt_text(i)?
            .ok_or_else(|| not_a(TEXT, Some(&i), &"NULL"))
    }
    pub fn opt_text(&self, i: usize) -> Result<Option<&str>> {
        match &self.0 {
            RowInner::Sqlite(r) => match r.get_ref(i)? {
                rusqlite::types::ValueRef::Null => Ok(None),
                rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
                    .map(Some)
                    .map_err(|_| not_a(TEXT, Some(&i), &"UTF-8?")),
                other => Err(not_a(TEXT, Some(&i), &other.data_type())),
            },
            RowInner::Pg(r) => Ok(r.try_get::<_, Option<&str>>(i)?),
        }
    }
}

/// A SQLite column as a [`Value`] (a real as its text, a blob as lossy UTF-8).
fn sqlite_value(v: rusqlite::types::ValueRef<'_>) -> Value {
    match v {
        rusqlite::types::ValueRef::Null => Value::Null,
        rusqlite::types::ValueRef::Integer(v) => Value::I64(v),
        rusqlite::types::ValueRef::Real(f) => Value::Text(f.to_string()),
        rusqlite::types::ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        rusqlite::types::ValueRef::Blob(b) => Value::Text(String::from_utf8_lossy(b).into_owned()),
    }
}

/// A PostgreSQL column as a [`Value`] (integers and booleans as integers, NUMERIC refused).
fn pg_value(r: &postgres::Row, i: usize) -> Result<Value> {
    use postgres::types::Type;
    let col = &r.columns()[i];
    let t = col.type_();
    let v = if *t == Type::INT8 {
        r.try_get::<_, Option<i64>>(i)?.map(Value::I64)
    } else if *t == Type::INT4 {
        r.try_get::<_, Option<i32>>(i)?
            .map(|v| Value::I64(v as i64))
    } else if *t == Type::INT2 {
        r.try_get::<_, Option<i16>>(i)?
            .map(|v| Value::I64(v as i64))
    } else if *t == Type::NUMERIC {
        // sums of BIGINT come back as NUMERIC: cast in SQL instead
        return Err(StoreError::Invalid(format!(
            "column {} is NUMERIC: cast it to BIGINT in the query",
            col.name()
        )));
    } else if *t == Type::BOOL {
        r.try_get::<_, Option<bool>>(i)?
            .map(|v| Value::I64(v as i64))
    } else {
        r.try_get::<_, Option<String>>(i)?.map(Value::Text)
    };
    Ok(v.unwrap_or(Value::Null))
}

enum Conn {
    Sqlite(rusqlite::Connection),
    Pg(Box<postgres::Client>),
}

/// A database connection on either backend.
pub struct Db {
    conn: Conn,
    url: String,
    in_tx: bool,
    doomed: bool,
    /// Refusals recorded while a transaction was open: written to the audit log after it ends,
    /// committed or rolled back, so that a refusal survives the rollback it usually causes.
    deferred: Vec<audit::Deferred>,
    /// PostgreSQL statements prepared on this connection, by parameter types and SQL.
    pg_statements: HashMap<String, postgres::Statement>,
    /// The deployment's chain hash, read once (`settings::chain_hash`).
    pub(crate) chain: Option<tongchou_crypto::HashAlg>,
    /// The unwrapped data keys, when this process has the master key (`keys`).
    pub(crate) keyring: Option<std::sync::Arc<keys::Keyring>>,
    /// The statement timer (`TONGCHOU_SQL_PROFILE`), written out when the connection drops.
    profile: Option<Box<profile::Profile>>,
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(p) = &self.profile {
            eprintln!("{}", p.report(40));
        }
    }
}

/// Rewrite `$N` placeholders to SQLite's `?N` (outside string literals). A statement without
/// `$` is given back as it is; otherwise bytes are copied, not characters decoded (`$` and `'`
/// are ASCII, and no byte of a multi-byte UTF-8 character is): this ran on the text of every
/// statement of every request.
fn to_sqlite_sql(sql: &str) -> std::borrow::Cow<'_, str> {
    if !sql.contains('$') {
        return std::borrow::Cow::Borrowed(sql);
    }
    let mut out = sql.as_bytes().to_vec();
    let mut in_str = false;
    for b in out.iter_mut() {
        match *b {
            b'\'' => in_str = !in_str,
            b'$' if !in_str => *b = b'?',
            _ => {}
        }
    }
    // only ASCII bytes were replaced by ASCII bytes: still the UTF-8 it was
    std::borrow::Cow::Owned(String::from_utf8(out).unwrap_or_else(|_| sql.to_string()))
}

/// Split `schema=NAME` off a PostgreSQL URL.
pub(crate) fn split_schema(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_string(), None);
    };
    let mut schema = None;
    let rest: Vec<&str> = query
        .split('&')
        .filter(|kv| match kv.strip_prefix("schema=") {
            Some(s) => {
                schema = Some(s.to_string());
                false
            }
            None => true,
        })
        .collect();
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (url, schema)
}

fn valid_ident(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 60
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl Db {
    /// Open a database by URL and apply pending migrations.
    pub fn open(url: &str) -> Result<Db> {
        let mut db = Db::connect(url)?;
        db.migrate()?;
        if let Some(master) = keys::master_for(url)? {
            keys::load_shared(&mut db, std::sync::Arc::new(master))?;
        }
        Ok(db)
    }

    /// Open without migrating (for checks that must not change the file).
    pub fn connect(url: &str) -> Result<Db> {
        let conn = if let Some(path) = url.strip_prefix("sqlite://") {
            let c = rusqlite::Connection::open(path).map_err(|e| {
                StoreError::Backend(tongchou_core::tr!(
                    "store-err-sqlite-open",
                    path = path,
                    error = e
                ))
            })?;
            Db::sqlite_pragmas(&c)?;
            Conn::Sqlite(c)
        } else if url == "sqlite::memory:" {
            let c = rusqlite::Connection::open_in_memory()?;
            Db::sqlite_pragmas(&c)?;
            Conn::Sqlite(c)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let (u, schema) = split_schema(url);
            let (u, tls) = pg_tls::split(&u)?;
            let mut client = match &tls {
                Some(w) => pg_tls::connect(&u, w)?,
                None => postgres::Client::connect(&u, postgres::NoTls).map_err(|e| {
                    StoreError::Backend(tongchou_core::tr!(
                        "store-err-pg-connect",
                        url = u,
                        error = e
                    ))
                })?,
            };
            // no JIT: once the tables have statistics the planner prices a month's scans of
            // hundreds of thousands of rows above `jit_above_cost`, and compiling them (with
            // inlining and optimisation) took longer than running them: 2.6 s of a 2.6 s read
            // of the pay step at 1 M insured (docs/PERFORMANCE.md, issue 14 item 1)
            client.batch_execute("SET client_min_messages TO WARNING; SET jit = off")?;
            if let Some(s) = schema {
                if !valid_ident(&s) {
                    return Err(StoreError::Invalid(tongchou_core::tr!(
                        "store-err-schema-name",
                        schema = format!("{s:?}")
                    )));
                }
                client.batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {s}; SET search_path TO {s}"
                ))?;
            }
            Conn::Pg(Box::new(client))
        } else {
            return Err(StoreError::Invalid(tongchou_core::tr!(
                "store-err-db-url",
                url = format!("{url:?}")
            )));
        };
        Ok(Db {
            conn,
            url: url.to_string(),
            in_tx: false,
            doomed: false,
            deferred: Vec::new(),
            pg_statements: HashMap::new(),
            chain: None,
            keyring: None,
            profile: profile::Profile::from_env(),
        })
    }

    /// The keyring of field encryption, if this connection has one.
    pub fn keyring(&self) -> Option<&keys::Keyring> {
        self.keyring.as_deref()
    }

    /// The hash algorithm of new ledger and audit entries (read from `meta` once per connection).
    pub fn chain_hash(&mut self) -> Result<tongchou_crypto::HashAlg> {
        if let Some(a) = self.chain {
            return Ok(a);
        }
        let a = settings::chain_hash(self)?;
        self.chain = Some(a);
        Ok(a)
    }

    fn sqlite_pragmas(c: &rusqlite::Connection) -> Result<()> {
        c.busy_timeout(std::time::Duration::from_secs(30))?;
        c.set_prepared_statement_cache_capacity(256);
        c.execute_batch(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-262144; PRAGMA temp_store=MEMORY;",
        )?;
        Ok(())
    }

    /// On SQLite, read the file through a memory map of up to `bytes` (`PRAGMA mmap_size`;
    /// SQLite caps it, at 2 GiB by default): in WAL mode a connection's page cache is emptied
    /// whenever another connection commits, as the audit writer does every few milliseconds under
    /// load, and a mapped page costs no read call and no copy to fetch again. Nothing on
    /// PostgreSQL.
    pub fn map_for_reads(&mut self, bytes: i64) -> Result<()> {
        match &mut self.conn {
            Conn::Sqlite(c) => Ok(c.execute_batch(&format!("PRAGMA mmap_size={}", bytes.max(0)))?),
            Conn::Pg(_) => Ok(()),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.conn {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Pg(_) => Backend::Postgres,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Run several statements without parameters.
    pub fn batch(&mut self, sql: &str) -> Result<()> {
        let t = self.profile.is_some().then(std::time::Instant::now);
        let r = self.batch_inner(sql);
        self.timed(sql, t, 0);
        r
    }

    /// Count a statement that started at `t` in the statement timer, if it runs.
    fn timed(&mut self, sql: &str, t: Option<std::time::Instant>, rows: u64) {
        if let (Some(p), Some(t)) = (self.profile.as_mut(), t) {
            p.add(sql, t, rows);
        }
    }

    fn batch_inner(&mut self, sql: &str) -> Result<()> {
        match &mut self.conn {
            Conn::Sqlite(c) => c.execute_batch(sql)?,
            Conn::Pg(c) => c.batch_execute(sql)?,
        }
        Ok(())
    }

    /// Execute one statement; returns the number of rows changed.
    pub fn exec(&mut self, sql: &str, params: &[Val<'_>]) -> Result<u64> {
        let t = self.profile.is_some().then(std::time::Instant::now);
        let r = self.exec_inner(sql, params);
        self.timed(sql, t, *r.as_ref().unwrap_or(&0));
        r
    }

    fn exec_inner(&mut self, sql: &str, params: &[Val<'_>]) -> Result<u64> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(&to_sqlite_sql(sql))?;
                bind_sqlite(&mut st, params)?;
                Ok(st.raw_execute()? as u64)
            }
            Conn::Pg(c) => {
                let (boxed, types) = pg_params(params);
                let st = pg_statement(c, &mut self.pg_statements, sql, &types)?;
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                Ok(c.execute(&st, &refs)?)
            }
        }
    }

    /// Run a query and return all rows.
    pub fn query(&mut self, sql: &str, params: &[Val<'_>]) -> Result<Vec<Row>> {
        let t = self.profile.is_some().then(std::time::Instant::now);
        let r = self.query_inner(sql, params);
        self.timed(sql, t, r.as_ref().map_or(0, |v| v.len() as u64));
        r
    }

    fn query_inner(&mut self, sql: &str, params: &[Val<'_>]) -> Result<Vec<Row>> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(&to_sqlite_sql(sql))?;
                bind_sqlite(&mut st, params)?;
                let n = st.column_count();
                let mut rows = st.raw_query();
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut row = Vec::with_capacity(n);
                    for i in 0..n {
                        row.push(sqlite_value(r.get_ref(i)?));
                    }
                    out.push(row);
                }
                Ok(out)
            }
            Conn::Pg(c) => {
                let (boxed, types) = pg_params(params);
                let st = pg_statement(c, &mut self.pg_statements, sql, &types)?;
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                let rows = c.query(&st, &refs)?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    out.push(
                        (0..r.len())
                            .map(|i| pg_value(&r, i))
                            .collect::<Result<Row>>()?,
                    );
                }
                Ok(out)
            }
        }
    }

    /// Run a query and hand each row to `f` as it is read, without collecting the rows or
    /// copying their text (a large scan costs no allocation per row). `f` cannot use the
    /// database while the query runs. Returns the number of rows read.
    pub fn each(
        &mut self,
        sql: &str,
        params: &[Val<'_>],
        f: impl FnMut(&RowView<'_>) -> Result<()>,
    ) -> Result<u64> {
        let t = self.profile.is_some().then(std::time::Instant::now);
        let r = self.each_inner(sql, params, f);
        self.timed(sql, t, *r.as_ref().unwrap_or(&0));
        r
    }

    fn each_inner(
        &mut self,
        sql: &str,
        params: &[Val<'_>],
        mut f: impl FnMut(&RowView<'_>) -> Result<()>,
    ) -> Result<u64> {
        let mut n = 0u64;
        match &mut self.conn {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(&to_sqlite_sql(sql))?;
                bind_sqlite(&mut st, params)?;
                let mut rows = st.raw_query();
                while let Some(r) = rows.next()? {
                    f(&RowView(RowInner::Sqlite(r)))?;
                    n += 1;
                }
            }
            Conn::Pg(c) => {
                use postgres::fallible_iterator::FallibleIterator;
                let (boxed, types) = pg_params(params);
                let st = pg_statement(c, &mut self.pg_statements, sql, &types)?;
                let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                    boxed.iter().map(|b| b.as_ref()).collect();
                let mut it = c.query_raw(&st, refs)?;
                while let Some(r) = it.next()? {
                    f(&RowView(RowInner::Pg(&r)))?;
                    n += 1;
                }
            }
        }
        Ok(n)
    }

    /// The first row, if any.
    pub fn query_opt(&mut self, sql: &str, params: &[Val<'_>]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// A single integer (e.g. `SELECT count(*)`); NULL reads as 0.
    pub fn query_i64(&mut self, sql: &str, params: &[Val<'_>]) -> Result<i64> {
        match self.query_opt(sql, params)? {
            Some(r) => match r.first() {
                Some(Value::Null) | None => Ok(0),
                Some(v) => v.i64(),
            },
            None => Ok(0),
        }
    }

    /// Begin a transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE).
    pub fn begin(&mut self) -> Result<()> {
        if self.in_tx {
            return Err(StoreError::Invalid("a transaction is already open".into()));
        }
        match &mut self.conn {
            Conn::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Conn::Pg(c) => c.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ")?,
        }
        self.in_tx = true;
        Ok(())
    }

    pub fn commit(&mut self) -> Result<()> {
        if self.doomed {
            let _ = self.rollback();
            return Err(StoreError::Invalid(
                "a unit inside this transaction failed: everything was rolled back".into(),
            ));
        }
        self.batch("COMMIT")?;
        self.in_tx = false;
        self.flush_deferred()
    }

    pub fn rollback(&mut self) -> Result<()> {
        self.doomed = false;
        let r = self.batch("ROLLBACK");
        self.in_tx = false;
        let f = self.flush_deferred();
        r.and(f)
    }

    /// Record `e` in the audit log once no transaction is open (at once if none is).
    pub fn audit_after_transaction(&mut self, e: audit::Deferred, now_ms: i64) -> Result<()> {
        if self.in_tx {
            self.deferred.push(e);
            Ok(())
        } else {
            audit::append(self, &e.entry(), now_ms).map(drop)
        }
    }

    fn flush_deferred(&mut self) -> Result<()> {
        for e in std::mem::take(&mut self.deferred) {
            audit::append(self, &e.entry(), e.at_ms)?;
        }
        Ok(())
    }

    /// Run `f` inside a transaction: committed if it returns Ok, rolled back otherwise.
    pub fn transaction<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Db) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if self.in_tx {
            // Nested: the unit joins the enclosing transaction and commits or rolls back with it,
            // so a batch job can run several units (e.g. ledger batches) atomically as one. A
            // failed unit dooms the enclosing transaction: its commit is refused and rolled back,
            // so nothing of a half-done unit can ever be committed. (No savepoint: SQLite would
            // journal every page a bulk write touches a second time.)
            let r = f(self);
            if r.is_err() {
                self.doomed = true;
            }
            return r;
        }
        self.begin()?;
        match f(self) {
            Ok(v) => {
                self.commit()?;
                Ok(v)
            }
            Err(e) => {
                let _ = self.rollback();
                Err(e)
            }
        }
    }

    pub fn in_transaction(&self) -> bool {
        self.in_tx
    }

    /// Write many rows into `table(columns…)`, inside the caller's transaction if one is open
    /// (otherwise in one of its own). `fill` pushes rows into the sink. Returns the row count.
    pub fn bulk_insert(
        &mut self,
        table: &str,
        columns: &[&str],
        fill: &mut dyn FnMut(&mut dyn RowSink) -> Result<()>,
    ) -> Result<u64> {
        let own_tx = !self.in_tx;
        if own_tx {
            self.begin()?;
        }
        let t = self.profile.is_some().then(std::time::Instant::now);
        let r = self.bulk_inner(table, columns, fill);
        self.timed(&format!("bulk write {table}"), t, *r.as_ref().unwrap_or(&0));
        match (&r, own_tx) {
            (Ok(_), true) => self.commit()?,
            (Err(_), true) => {
                let _ = self.rollback();
            }
            _ => {}
        }
        r
    }

    /// [`Db::bulk_insert`] of rows read back (`Value`s, e.g. by [`Db::query`]), each in the
    /// order of `columns`: e.g. one database's rows copied into another's table.
    pub fn bulk_insert_values(
        &mut self,
        table: &str,
        columns: &[&str],
        rows: &[Vec<Value>],
    ) -> Result<u64> {
        self.bulk_insert(table, columns, &mut |sink| {
            let mut vals: Vec<Val<'_>> = Vec::with_capacity(columns.len());
            for r in rows {
                vals.clear();
                vals.extend(r.iter().map(Value::as_val));
                sink.row(&vals)?;
            }
            Ok(())
        })
    }

    fn bulk_inner(
        &mut self,
        table: &str,
        columns: &[&str],
        fill: &mut dyn FnMut(&mut dyn RowSink) -> Result<()>,
    ) -> Result<u64> {
        match &mut self.conn {
            Conn::Sqlite(c) => {
                // One row per statement execution, bound straight from the caller's values. A
                // statement inserting many rows (`VALUES (…), (…)`) must be undone whole if a
                // later row fails, so SQLite keeps a statement journal for it: a copy of every
                // page it touches first, in memory (the month's profile: `subjournalPageIfRequired`
                // and its allocations). A one-row statement needs none (docs/PERFORMANCE.md,
                // "One row per statement").
                let one = (1..=columns.len())
                    .map(|i| format!("?{i}"))
                    .collect::<Vec<_>>()
                    .join(",");
                let mut sink = SqliteSink {
                    single: c.prepare(&format!(
                        "INSERT INTO {table} ({}) VALUES ({one})",
                        columns.join(",")
                    ))?,
                    ncols: columns.len(),
                    count: 0,
                };
                fill(&mut sink)?;
                Ok(sink.count)
            }
            Conn::Pg(c) => {
                let sql = format!("COPY {table} ({}) FROM STDIN", columns.join(","));
                let writer = c.copy_in(&sql)?;
                let mut sink = PgSink {
                    writer: Some(writer),
                    buf: Vec::with_capacity(1 << 20),
                    ncols: columns.len(),
                    count: 0,
                };
                fill(&mut sink)?;
                sink.finish()?;
                Ok(sink.count)
            }
        }
    }

    /// Apply pending migrations in order, each in its own transaction.
    pub fn migrate(&mut self) -> Result<Vec<String>> {
        migrate::run(self)
    }
}

/// Receives rows for [`Db::bulk_insert`].
pub trait RowSink {
    fn row(&mut self, vals: &[Val<'_>]) -> Result<()>;
}

#[derive(Clone, Debug)]
pub(crate) enum OwnedVal {
    Null,
    I64(i64),
    Str(String),
}

struct SqliteSink<'c> {
    single: rusqlite::Statement<'c>,
    ncols: usize,
    count: u64,
}

impl RowSink for SqliteSink<'_> {
    fn row(&mut self, vals: &[Val<'_>]) -> Result<()> {
        if vals.len() != self.ncols {
            return Err(StoreError::Invalid(format!(
                "bulk row has {} values, expected {}",
                vals.len(),
                self.ncols
            )));
        }
        for (i, v) in vals.iter().enumerate() {
            match v {
                Val::Null => self
                    .single
                    .raw_bind_parameter(i + 1, rusqlite::types::Null)?,
                Val::I64(x) => self.single.raw_bind_parameter(i + 1, *x)?,
                Val::Str(s) => self.single.raw_bind_parameter(i + 1, *s)?,
            }
        }
        self.single.raw_execute()?;
        self.count += 1;
        Ok(())
    }
}

struct PgSink<'a> {
    writer: Option<postgres::CopyInWriter<'a>>,
    buf: Vec<u8>,
    ncols: usize,
    count: u64,
}

fn copy_escape(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
}

impl PgSink<'_> {
    fn flush(&mut self) -> Result<()> {
        if let Some(w) = self.writer.as_mut() {
            w.write_all(&self.buf)?;
        }
        self.buf.clear();
        Ok(())
    }
    fn finish(&mut self) -> Result<()> {
        self.flush()?;
        if let Some(w) = self.writer.take() {
            w.finish()?;
        }
        Ok(())
    }
}

impl RowSink for PgSink<'_> {
    fn row(&mut self, vals: &[Val<'_>]) -> Result<()> {
        if vals.len() != self.ncols {
            return Err(StoreError::Invalid(format!(
                "bulk row has {} values, expected {}",
                vals.len(),
                self.ncols
            )));
        }
        for (i, v) in vals.iter().enumerate() {
            if i > 0 {
                self.buf.push(b'\t');
            }
            match v {
                Val::Null => self.buf.extend_from_slice(b"\\N"),
                Val::I64(x) => {
                    let _ = write!(self.buf, "{x}");
                }
                Val::Str(s) => copy_escape(&mut self.buf, s),
            }
        }
        self.buf.push(b'\n');
        self.count += 1;
        if self.buf.len() >= 1 << 20 {
            self.flush()?;
        }
        Ok(())
    }
}

fn bind_sqlite(st: &mut rusqlite::CachedStatement<'_>, params: &[Val<'_>]) -> Result<()> {
    let expected = st.parameter_count();
    if expected != params.len() {
        return Err(StoreError::Invalid(format!(
            "statement takes {expected} parameters, {} given",
            params.len()
        )));
    }
    for (i, v) in params.iter().enumerate() {
        match v {
            Val::Null => st.raw_bind_parameter(i + 1, rusqlite::types::Null)?,
            Val::I64(x) => st.raw_bind_parameter(i + 1, *x)?,
            Val::Str(s) => st.raw_bind_parameter(i + 1, *s)?,
        }
    }
    Ok(())
}

/// A statement prepared once per connection and reused: PostgreSQL parses it once, and each
/// later use costs one round trip instead of two. The cache is bounded (statements built with
/// `IN ($1, …)` lists of varying length would otherwise pile up).
fn pg_statement(
    c: &mut postgres::Client,
    cache: &mut HashMap<String, postgres::Statement>,
    sql: &str,
    types: &[postgres::types::Type],
) -> Result<postgres::Statement> {
    let mut key = String::with_capacity(types.len() + 1 + sql.len());
    for t in types {
        key.push(if *t == postgres::types::Type::INT8 {
            'i'
        } else {
            't'
        });
    }
    key.push('|');
    key.push_str(sql);
    if let Some(st) = cache.get(&key) {
        return Ok(st.clone());
    }
    if cache.len() >= 512 {
        cache.clear();
    }
    let st = c.prepare_typed(sql, types)?;
    cache.insert(key, st.clone());
    Ok(st)
}

type PgParam = Box<dyn postgres::types::ToSql + Sync>;

fn pg_params(params: &[Val<'_>]) -> (Vec<PgParam>, Vec<postgres::types::Type>) {
    use postgres::types::Type;
    let mut b: Vec<PgParam> = Vec::with_capacity(params.len());
    let mut t = Vec::with_capacity(params.len());
    for v in params {
        match v {
            Val::Null => {
                b.push(Box::new(Option::<String>::None));
                t.push(Type::TEXT);
            }
            Val::I64(x) => {
                b.push(Box::new(*x));
                t.push(Type::INT8);
            }
            Val::Str(s) => {
                b.push(Box::new((*s).to_string()));
                t.push(Type::TEXT);
            }
        }
    }
    (b, t)
}

/// Test support: a fresh database URL on each backend. PostgreSQL tests use the server named by
/// `TONGCHOU_TEST_PG` (default `postgres://postgres@127.0.0.1:5432/test`) in a fresh schema.
/// Only in test builds (the `testing` feature, which other crates enable as a dev-dependency).
#[cfg(any(test, feature = "testing"))]
pub mod testing {
    /// Panics unless `text` is Chinese only (`tongchou_core::i18n::other_language`).
    pub fn assert_chinese_only(text: &str) {
        let other = tongchou_core::i18n::other_language(text, tongchou_core::i18n::Lang::ZhCn);
        assert_eq!(other, None, "English in a Chinese text: {text}");
    }

    /// Panics unless `text` is English only.
    pub fn assert_english_only(text: &str) {
        let other = tongchou_core::i18n::other_language(text, tongchou_core::i18n::Lang::En);
        assert_eq!(other, None, "Chinese in an English text: {text}");
    }

    use std::sync::atomic::{AtomicU64, Ordering};

    static N: AtomicU64 = AtomicU64::new(0);

    pub fn pg_base() -> String {
        std::env::var("TONGCHOU_TEST_PG")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
    }

    fn unique(prefix: &str) -> String {
        let n = N.fetch_add(1, Ordering::SeqCst);
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!("{prefix}_{}_{}_{n}", std::process::id(), t % 1_000_000_000)
    }

    /// A PostgreSQL URL with a fresh schema. Drops any schema of an earlier run of the same name.
    pub fn pg_url(prefix: &str) -> String {
        format!("{}?schema={}", pg_base(), unique(prefix))
    }

    /// A fresh SQLite file in the temp directory.
    pub fn sqlite_url(prefix: &str) -> String {
        let dir = std::env::temp_dir().join("tongchou-tests");
        let _ = std::fs::create_dir_all(&dir);
        format!(
            "sqlite://{}",
            dir.join(format!("{}.db", unique(prefix))).display()
        )
    }

    /// Both backends, for tests that must pass on each.
    pub fn both(prefix: &str) -> [String; 2] {
        [sqlite_url(prefix), pg_url(prefix)]
    }

    /// Add a staff user for a test (by the operator "test"); panics if it cannot.
    pub fn add_user(
        db: &mut crate::Db,
        login: &str,
        role: tongchou_core::access::Role,
        region: u32,
        password: &str,
    ) -> tongchou_core::access::Principal {
        let region = tongchou_core::RegionCode::new(region)
            .unwrap_or_else(|e| panic!("region {region}: {e}"));
        crate::access::add_user(
            db,
            &crate::audit::Actor::operator("test"),
            &crate::access::NewUser {
                login,
                display_name: login,
                role,
                region,
                person_id: None,
                password,
            },
            &crate::access::AuthPolicy::default(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(0),
        )
        .unwrap_or_else(|e| panic!("add user {login}: {e}"))
        .principal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_store_speaks_the_readers_language() {
        use tongchou_core::i18n::{Lang, scope};
        let closed = || StoreError::PeriodClosed {
            region: 140105,
            period: "2026-03".into(),
            date: "2026-03-31".into(),
            key: "k-1".into(),
        };
        let io = || StoreError::Io(std::io::Error::from(std::io::ErrorKind::NotFound));
        let conflict = || StoreError::Conflict("x".into());
        let url = || {
            Db::connect("mysql://x")
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let zh = [
            closed().to_string(),
            io().to_string(),
            conflict().to_string(),
            url(),
        ];
        assert!(
            zh[0].contains("已结账") && zh[0].contains("140105"),
            "{}",
            zh[0]
        );
        let en = scope(Lang::En, || {
            [
                closed().to_string(),
                io().to_string(),
                conflict().to_string(),
                url(),
            ]
        });
        assert!(en[0].contains("closed through 2026-03"), "{}", en[0]);
        for t in &zh {
            testing::assert_chinese_only(t);
        }
        for t in &en {
            testing::assert_english_only(t);
        }
    }

    fn roundtrip(url: &str) {
        let mut db = Db::open(url).expect("open");
        db.batch("CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, amount BIGINT NOT NULL)")
            .expect("create");
        db.exec(
            "INSERT INTO t (id, name, amount) VALUES ($1, $2, $3)",
            &[Val::I64(1), Val::Str("a\tb"), Val::I64(-5)],
        )
        .expect("insert");
        let n = db
            .bulk_insert("t", &["id", "name", "amount"], &mut |s| {
                for i in 2..1000i64 {
                    let name = format!("n{i}\\x");
                    s.row(&[
                        Val::I64(i),
                        if i % 7 == 0 {
                            Val::Null
                        } else {
                            Val::Str(&name)
                        },
                        Val::I64(i * 100),
                    ])?;
                }
                Ok(())
            })
            .expect("bulk");
        assert_eq!(n, 998);
        assert_eq!(
            db.query_i64("SELECT CAST(sum(amount) AS BIGINT) FROM t", &[])
                .expect("sum"),
            49_949_895
        );
        let r = db
            .query("SELECT name FROM t WHERE id = $1", &[Val::I64(14)])
            .expect("q");
        assert_eq!(r[0][0], Value::Null);
        let r = db
            .query("SELECT name FROM t WHERE id = $1", &[Val::I64(1)])
            .expect("q");
        assert_eq!(r[0][0], Value::Text("a\tb".into()));
        let r = db
            .query("SELECT name FROM t WHERE id = $1", &[Val::I64(13)])
            .expect("q");
        assert_eq!(r[0][0], Value::Text("n13\\x".into()));
        // streaming reads see the same rows as collected ones, without copying them
        let collected = db
            .query("SELECT id, name, amount FROM t ORDER BY id", &[])
            .expect("q");
        let mut streamed = Vec::new();
        let n = db
            .each(
                "SELECT id, name, amount FROM t WHERE amount > $1 ORDER BY id",
                &[Val::I64(-10)],
                |r| {
                    streamed.push(vec![
                        Value::I64(r.i64(0)?),
                        r.opt_text(1)?
                            .map(|t| Value::Text(t.to_string()))
                            .unwrap_or(Value::Null),
                        Value::I64(r.i64(2)?),
                    ]);
                    Ok(())
                },
            )
            .expect("each");
        assert_eq!(n, 999);
        assert_eq!(streamed, collected);
        // rows read back are written again as they were read, NULLs and text included
        db.batch("CREATE TABLE t2 (id BIGINT PRIMARY KEY, name TEXT, amount BIGINT NOT NULL)")
            .expect("create");
        let n = db
            .bulk_insert_values("t2", &["id", "name", "amount"], &collected)
            .expect("bulk values");
        assert_eq!(n, 999);
        let copied = db
            .query("SELECT id, name, amount FROM t2 ORDER BY id", &[])
            .expect("q");
        assert_eq!(copied, collected);
        // wrong types and NULLs are errors naming the column, and an error from `f` stops the scan
        let err = db
            .each("SELECT name FROM t WHERE id = 14", &[], |r| {
                r.text(0).map(|_| ())
            })
            .expect_err("NULL");
        assert!(
            err.to_string().contains("第 0 列应为文本，实为 NULL"),
            "{err}"
        );
        let err = db
            .each("SELECT name FROM t WHERE id = 1", &[], |r| {
                r.i64(0).map(|_| ())
            })
            .expect_err("text");
        assert!(err.to_string().contains("应为整数"), "{err}");
        crate::testing::assert_chinese_only(&err.to_string());
        let mut seen = 0;
        let err = db
            .each("SELECT id FROM t ORDER BY id", &[], |_| {
                seen += 1;
                if seen == 3 {
                    Err(StoreError::Invalid("stop".into()))
                } else {
                    Ok(())
                }
            })
            .expect_err("stopped");
        assert_eq!((seen, err.to_string().as_str()), (3, "stop"));
        assert_eq!(
            db.query_i64("SELECT count(*) FROM t", &[]).expect("usable"),
            999
        );
        // a failed transaction leaves nothing
        let res: Result<()> = db.transaction(|db| {
            db.exec(
                "INSERT INTO t (id, name, amount) VALUES ($1, $2, $3)",
                &[Val::I64(5000), Val::Null, Val::I64(1)],
            )?;
            db.exec(
                "INSERT INTO t (id, name, amount) VALUES ($1, $2, $3)",
                &[Val::I64(1), Val::Null, Val::I64(1)],
            )?;
            Ok(())
        });
        assert!(res.is_err());
        assert_eq!(
            db.query_i64("SELECT count(*) FROM t WHERE id = 5000", &[])
                .expect("q"),
            0
        );
        // migrations are applied once
        assert!(db.migrate().expect("migrate").is_empty());
        // a nested unit joins the enclosing transaction: committed together, and a failed unit
        // dooms the whole transaction even if its caller ignores the failure
        let res: Result<()> = db.transaction(|db| {
            db.exec(
                "INSERT INTO t (id, name, amount) VALUES ($1, $2, $3)",
                &[Val::I64(6000), Val::Null, Val::I64(1)],
            )?;
            db.transaction(|db| {
                db.exec(
                    "INSERT INTO t (id, name, amount) VALUES ($1, $2, $3)",
                    &[Val::I64(6001), Val::Null, Val::I64(1)],
                )
            })?;
            Ok(())
        });
        assert!(res.is_ok());
        assert_eq!(
            db.query_i64("SELECT count(*) FROM t WHERE id IN (6000, 6001)", &[])
                .expect("q"),
            2
        );
        let res: Result<()> = db.transaction(|db| {
            db.exec(
                "INSERT INTO t (id, name, amount) VALUES ($1, $2, $3)",
                &[Val::I64(7000), Val::Null, Val::I64(1)],
            )?;
            let inner: Result<u64> = db.transaction(|db| {
                db.exec(
                    "INSERT INTO t (id, name, amount) VALUES ($1, $2, $3)",
                    &[Val::I64(1), Val::Null, Val::I64(1)],
                )
            });
            assert!(inner.is_err());
            Ok(())
        });
        assert!(res.is_err());
        assert_eq!(
            db.query_i64("SELECT count(*) FROM t WHERE id = 7000", &[])
                .expect("q"),
            0
        );
        db.exec(
            "INSERT INTO t (id, name, amount) VALUES ($1, $2, $3)",
            &[Val::I64(7001), Val::Null, Val::I64(1)],
        )
        .expect("the connection is usable after the rollback");
    }

    #[test]
    fn sqlite_roundtrip() {
        roundtrip(&testing::sqlite_url("store"));
    }

    #[test]
    fn postgres_roundtrip() {
        roundtrip(&testing::pg_url("store"));
    }

    /// `.cargo/config.toml` builds the bundled SQLite without its process-wide memory statistics
    /// (two global mutexes taken for every page allocated or freed): the build must say so.
    #[test]
    fn sqlite_is_built_without_global_memory_statistics() {
        let mut db = Db::open("sqlite::memory:").expect("open");
        let options: Vec<String> = db
            .query("PRAGMA compile_options", &[])
            .expect("options")
            .iter()
            .map(|r| r[0].text().map(str::to_string))
            .collect::<Result<_>>()
            .expect("text");
        for want in ["DEFAULT_MEMSTATUS=0", "DISABLE_PAGECACHE_OVERFLOW_STATS"] {
            assert!(
                options.iter().any(|o| o == want),
                "{want} not in {options:?}"
            );
        }
    }

    #[test]
    fn placeholder_rewrite() {
        assert_eq!(
            to_sqlite_sql("SELECT $1, '$2', $10"),
            "SELECT ?1, '$2', ?10"
        );
        assert_eq!(
            split_schema("postgres://h/db?schema=x&sslmode=disable"),
            ("postgres://h/db?sslmode=disable".into(), Some("x".into()))
        );
    }
}
