//! The distributed path, checked on plain PostgreSQL after every migration (no Citus cluster is
//! available here: `crates/tc-store/citus/distribute.sql` says so). The Citus placement script
//! is read, its adjustments executed on a freshly migrated schema, then the schema is held to
//! the portability rules of `../shared/guides/reliability-security-scale.md` §C4:
//! - every table is placed exactly once (distributed by a column, single-shard, or reference),
//!   and every table the script names exists;
//! - every table has a primary key;
//! - a distributed table's column is in its primary key and in every unique constraint and
//!   unique index; co-located tables share the column's type;
//! - foreign keys go to reference tables, or between co-located tables on the distribution
//!   column; never from a reference table to a distributed one;
//! - no triggers, no sequences; column types within BIGINT, INTEGER, SMALLINT, TEXT, BYTEA;
//!   money (`*_fen`) in BIGINT.
//!
//! A new table, or a new unique key without the distribution column, fails this test until the
//! script places it correctly.

use std::collections::{BTreeMap, BTreeSet};
use tongchou_store::{Db, testing};

const SCRIPT: &str = include_str!("../citus/distribute.sql");

/// Where the script puts a table.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Placement {
    /// Distributed by a column, in a co-location group (named by its first table).
    Distributed {
        column: String,
        group: String,
    },
    /// One shard, in a co-location group.
    SingleShard {
        group: String,
    },
    Reference,
}

/// The script's statements without comments, split on `;`.
fn statements() -> Vec<String> {
    let text: String = SCRIPT
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The quoted arguments of a call, `NULL` as None: `('t', 'c', colocate_with => 'g')`.
fn args(call: &str) -> (Vec<Option<String>>, Option<String>) {
    let inner = call
        .split_once('(')
        .and_then(|(_, r)| r.rsplit_once(')'))
        .map(|(a, _)| a)
        .unwrap_or_else(|| panic!("no arguments in {call}"));
    let (mut pos, mut colocate) = (Vec::new(), None);
    for a in inner.split(',').map(str::trim) {
        let unquote = |s: &str| s.trim().trim_matches('\'').to_string();
        match a.split_once("=>") {
            Some((k, v)) if k.trim() == "colocate_with" => colocate = Some(unquote(v)),
            Some((k, _)) => panic!("unknown argument {k} in {call}"),
            None if a.eq_ignore_ascii_case("null") => pos.push(None),
            None => pos.push(Some(unquote(a))),
        }
    }
    (pos, colocate)
}

/// The placements the script makes, and its other statements (the adjustments).
fn parse() -> (BTreeMap<String, Placement>, Vec<String>) {
    let mut placed = BTreeMap::new();
    let mut adjust = Vec::new();
    for s in statements() {
        let place = if s.starts_with("SELECT create_reference_table(") {
            let (a, _) = args(&s);
            let t = a[0].clone().expect("table");
            (t, Placement::Reference)
        } else if s.starts_with("SELECT create_distributed_table(") {
            let (a, colocate) = args(&s);
            let t = a[0].clone().expect("table");
            let group = match colocate {
                Some(g) => match placed.get(&g) {
                    Some(
                        Placement::Distributed { group, .. } | Placement::SingleShard { group },
                    ) => group.clone(),
                    _ => panic!("{t}: co-located with {g}, which is not distributed before it"),
                },
                None => t.clone(),
            };
            match a.get(1).cloned().flatten() {
                Some(column) => (t, Placement::Distributed { column, group }),
                None => (t, Placement::SingleShard { group }),
            }
        } else {
            adjust.push(s);
            continue;
        };
        assert!(
            placed.insert(place.0.clone(), place.1).is_none(),
            "{} is placed twice",
            place.0
        );
    }
    (placed, adjust)
}

fn texts(db: &mut Db, sql: &str) -> Vec<Vec<String>> {
    db.query(sql, &[])
        .expect("catalog")
        .iter()
        .map(|r| {
            (0..r.len())
                .map(|i| r[i].text().map(str::to_string).unwrap_or_default())
                .collect()
        })
        .collect()
}

/// Every unique key (primary key, unique constraint, unique index) as (table, name, columns).
fn unique_keys(db: &mut Db) -> Vec<(String, String, Vec<String>)> {
    texts(
        db,
        "SELECT t.relname::text, i.relname::text, \
         (SELECT string_agg(a.attname::text, ',' ORDER BY k.n) FROM unnest(x.indkey) WITH ORDINALITY k(att, n) \
          JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.att) \
         FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
         WHERE t.relnamespace = current_schema()::regnamespace AND x.indisunique AND NOT t.relispartition ORDER BY 1, 2",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone(), r[2].split(',').map(str::to_string).collect()))
    .collect()
}

type Placed = BTreeMap<String, Placement>;

/// Every table placed once; every placed table exists; every table has a primary key; the
/// distribution column in every unique key.
fn placement_problems(db: &mut Db, placed: &Placed) -> Vec<String> {
    let mut problems = Vec::new();
    let tables: BTreeSet<String> = texts(
        db,
        "SELECT relname::text FROM pg_class WHERE relnamespace = current_schema()::regnamespace \
         AND relkind IN ('r', 'p') AND NOT relispartition",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    for t in &tables {
        if !placed.contains_key(t) {
            problems.push(format!("{t}: not placed by citus/distribute.sql"));
        }
    }
    for t in placed.keys() {
        if !tables.contains(t) {
            problems.push(format!("{t}: placed by the script, not in the schema"));
        }
    }
    let with_pk: BTreeSet<String> = texts(
        db,
        "SELECT t.relname::text FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid \
         WHERE c.contype = 'p' AND t.relnamespace = current_schema()::regnamespace",
    )
    .into_iter()
    .map(|r| r[0].clone())
    .collect();
    for t in tables.difference(&with_pk) {
        problems.push(format!("{t}: no primary key"));
    }
    for (t, name, cols) in unique_keys(db) {
        if let Some(Placement::Distributed { column, .. }) = placed.get(&t)
            && !cols.contains(column)
        {
            problems.push(format!(
                "{t}: unique key {name} ({}) lacks the distribution column {column}",
                cols.join(", ")
            ));
        }
    }
    problems
}

/// The column types: of each co-location group alike; within the intersection; money BIGINT.
fn type_problems(db: &mut Db, placed: &Placed) -> Vec<String> {
    let mut problems = Vec::new();
    let types: BTreeMap<(String, String), String> = texts(
        db,
        "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema()",
    )
    .into_iter()
    .map(|r| ((r[0].clone(), r[1].clone()), r[2].clone()))
    .collect();
    let mut group_type: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for (t, p) in placed {
        if let Placement::Distributed { column, group } = p {
            match types.get(&(t.clone(), column.clone())) {
                None => problems.push(format!("{t}: no column {column}")),
                Some(ty) => {
                    let (first, want) = *group_type.entry(group).or_insert((t, ty));
                    if want != ty {
                        problems.push(format!(
                            "{t}.{column} is {ty}, its group's {first} is {want}"
                        ));
                    }
                }
            }
        }
    }
    let allowed = ["bigint", "integer", "smallint", "text", "bytea"];
    for ((t, c), ty) in &types {
        if !allowed.contains(&ty.as_str()) || (c.ends_with("_fen") && ty != "bigint") {
            problems.push(format!("{t}.{c}: type {ty}"));
        }
    }
    problems
}

/// Foreign keys to reference tables or co-located on the distribution column; no triggers, no
/// sequences.
fn link_problems(db: &mut Db, placed: &Placed) -> Vec<String> {
    let mut problems = Vec::new();
    for r in texts(
        db,
        "SELECT t.relname::text, f.relname::text, \
         (SELECT string_agg(a.attname::text, ',') FROM unnest(c.conkey) k(att) JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.att), \
         (SELECT string_agg(a.attname::text, ',') FROM unnest(c.confkey) k(att) JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.att) \
         FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class f ON f.oid = c.confrelid \
         WHERE c.contype = 'f' AND c.conparentid = 0 AND t.relnamespace = current_schema()::regnamespace",
    ) {
        let ok = match (placed.get(&r[0]), placed.get(&r[1])) {
            (_, Some(Placement::Reference)) => true,
            (
                Some(Placement::Distributed {
                    column: a,
                    group: g,
                }),
                Some(Placement::Distributed {
                    column: b,
                    group: h,
                }),
            ) => g == h && r[2].split(',').any(|c| c == a) && r[3].split(',').any(|c| c == b),
            (
                Some(Placement::SingleShard { group: g }),
                Some(Placement::SingleShard { group: h }),
            ) => g == h,
            _ => false,
        };
        if !ok {
            problems.push(format!(
                "foreign key {}({}) → {}({}) crosses shards",
                r[0], r[2], r[1], r[3]
            ));
        }
    }
    let mut n = |sql: &str| db.query_i64(sql, &[]).expect("count");
    let triggers = n(
        "SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid \
         WHERE c.relnamespace = current_schema()::regnamespace AND NOT g.tgisinternal",
    );
    let sequences = n(
        "SELECT count(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relkind = 'S'",
    );
    if triggers + sequences > 0 {
        problems.push(format!("{triggers} triggers, {sequences} sequences"));
    }
    problems
}

fn problems(db: &mut Db, placed: &Placed) -> Vec<String> {
    let mut all = placement_problems(db, placed);
    all.extend(type_problems(db, placed));
    all.extend(link_problems(db, placed));
    all
}

/// A freshly migrated schema with the script's adjustments made.
fn adjusted(tag: &str, adjustments: &[String]) -> Db {
    let mut db = Db::open(&testing::pg_url(tag)).expect("open");
    for s in adjustments {
        db.exec(s, &[])
            .unwrap_or_else(|e| panic!("adjustment {s}: {e}"));
    }
    db
}

#[test]
fn the_citus_placement_holds_the_portability_rules() {
    let (placed, adjustments) = parse();
    let mut db = adjusted("citus", &adjustments);
    let found = problems(&mut db, &placed);
    assert!(found.is_empty(), "{}", found.join("\n"));
    assert!(
        placed
            .values()
            .any(|p| matches!(p, Placement::Distributed { .. })),
        "nothing is distributed"
    );
}

/// The checker itself finds each kind of break (so the test above can fail): a unique key
/// without the distribution column, a table the script does not place, a foreign key across
/// shards, a trigger-free schema given a float column.
#[test]
fn the_checker_finds_what_breaks_the_rules() {
    let (placed, adjustments) = parse();
    let mut db = adjusted("citus_bad", &adjustments);
    for s in [
        "CREATE UNIQUE INDEX assessments_by_period ON assessments (period, county)",
        "CREATE TABLE not_placed (id BIGINT PRIMARY KEY, rate DOUBLE PRECISION)",
        "ALTER TABLE arrears ADD CONSTRAINT arrears_receipt FOREIGN KEY (person_id, period) REFERENCES assessments (person_id, period)",
        "ALTER TABLE receipts ADD CONSTRAINT receipts_person FOREIGN KEY (person_id) REFERENCES persons (id)",
    ] {
        db.exec(s, &[]).unwrap_or_else(|e| panic!("{s}: {e}"));
    }
    let found = problems(&mut db, &placed).join("\n");
    for want in [
        "assessments: unique key assessments_by_period (period, county) lacks the distribution column person_id",
        "not_placed: not placed by citus/distribute.sql",
        "not_placed.rate: type double precision",
        "foreign key receipts(person_id) → persons(id) crosses shards",
    ] {
        assert!(found.contains(want), "{want} not found in:\n{found}");
    }
    // co-located on the distribution column: allowed
    assert!(!found.contains("arrears(person_id,period)"), "{found}");
}
