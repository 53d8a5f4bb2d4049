//! The architecture, held by a test (issue 9): which crate may depend on which (the real graph
//! from `cargo metadata` must be the one ARCHITECTURE.md draws, and must obey the layering
//! rules below), no SQL outside the store, no read of the time of day outside the one clock,
//! and a function-length budget. Each list of exceptions says why, and a test fails when an
//! exception is no longer needed, so the lists only shrink.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Every `.rs` file under `crates/*/src`, relative to the root (tests, examples and benches are
/// not production code and are not held to these rules; nor are unit-test files `tests.rs`).
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs")
                && p.file_name().is_some_and(|n| n != "tests.rs")
            {
                out.push(p);
            }
        }
    }
    let root = root();
    let mut files = Vec::new();
    for c in std::fs::read_dir(root.join("crates"))
        .expect("crates")
        .flatten()
    {
        walk(&c.path().join("src"), &mut files);
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&p).expect("read source");
            (rel, text)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Dependency direction

/// The workspace crates' normal (not dev) dependencies on each other, by directory name.
fn real_graph() -> BTreeMap<String, BTreeSet<String>> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let packages = m["packages"].as_array().expect("packages");
    let dir_of = |manifest: &str| -> String {
        Path::new(manifest)
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let by_name: BTreeMap<String, String> = packages
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or_default().to_string(),
                dir_of(p["manifest_path"].as_str().unwrap_or_default()),
            )
        })
        .collect();
    let mut g = BTreeMap::new();
    for p in packages {
        let me = dir_of(p["manifest_path"].as_str().unwrap_or_default());
        let deps: BTreeSet<String> = p["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| by_name.get(d["name"].as_str().unwrap_or_default()).cloned())
            .filter(|d| *d != me)
            .collect();
        g.insert(me, deps);
    }
    g
}

/// The graph ARCHITECTURE.md draws: the fenced block after "Dependency direction", one line per
/// crate, `tc-x ──► tc-a, tc-b` (or `(nothing)`), trailing words in parentheses ignored.
fn drawn_graph() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let after = text
        .split_once("Dependency direction")
        .expect("ARCHITECTURE.md has a 'Dependency direction' section")
        .1;
    let block = after
        .split("```")
        .nth(1)
        .expect("a fenced block after 'Dependency direction'");
    let mut g = BTreeMap::new();
    for line in block.lines().filter(|l| l.contains("──►")) {
        let (from, to) = line.split_once("──►").expect("arrow");
        let to = to.split("  ").next().unwrap_or_default();
        let deps: BTreeSet<String> = to
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| s.starts_with("tc-"))
            .collect();
        assert!(
            g.insert(from.trim().to_string(), deps).is_none(),
            "ARCHITECTURE.md lists {} twice",
            from.trim()
        );
    }
    g
}

#[test]
fn architecture_md_draws_the_real_dependency_graph() {
    let real = real_graph();
    let drawn = drawn_graph();
    for (c, deps) in &real {
        assert_eq!(
            drawn.get(c),
            Some(deps),
            "ARCHITECTURE.md must draw `{c} ──► {}` (from cargo metadata)",
            deps.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    for c in drawn.keys() {
        assert!(
            real.contains_key(c),
            "ARCHITECTURE.md draws {c}, which is no crate"
        );
    }
}

#[test]
fn dependencies_point_down_the_layers() {
    // pure: no I/O, no storage, no network; they depend only on each other
    let pure: BTreeSet<&str> = [
        "tc-core",
        "tc-ledger",
        "tc-bank",
        "tc-import",
        "tc-synth",
        "tc-engine",
        "tc-crypto",
    ]
    .into();
    // the edges: nothing depends on them but each other (the CLI starts the server)
    let edges: BTreeSet<&str> = ["tc-cli", "tc-server"].into();
    // simulation, benchmarks and the fuzz targets: never on the production path
    let off_path: BTreeSet<&str> = ["tc-sim", "tc-bench", "tc-arch", "tc-fuzz"].into();
    let g = real_graph();
    for (c, deps) in &g {
        for d in deps {
            let (c, d) = (c.as_str(), d.as_str());
            if pure.contains(c) {
                assert!(pure.contains(d), "pure crate {c} must not depend on {d}");
            }
            assert!(d != "tc-cli", "{c} depends on the CLI");
            if edges.contains(d) {
                assert!(c == "tc-cli", "{c} depends on the edge {d}");
            }
            if off_path.contains(d) {
                assert!(
                    off_path.contains(c) || c == "tc-cli",
                    "{c} is on the production path and depends on {d}"
                );
            }
            if c == "tc-store" {
                assert!(
                    pure.contains(d),
                    "the store sits on the pure crates only, not {d}"
                );
            }
            if c == "tc-app" {
                assert!(
                    pure.contains(d) || d == "tc-store",
                    "the use cases sit on the store and the pure crates, not {d}"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// String literals, function bodies

/// Every string literal of a file, with its line, including those inside macro calls
/// (`format!`, `concat!`, …), outside `#[cfg(test)]` modules.
#[derive(Default)]
struct Scan {
    literals: Vec<(usize, String)>,
    /// (name, first line, lines)
    functions: Vec<(String, usize, usize)>,
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && a.meta.require_list().is_ok_and(|l| {
                l.tokens
                    .to_string()
                    .split(|c: char| !c.is_alphanumeric())
                    .any(|w| w == "test")
            })
    })
}

impl Scan {
    fn tokens(&mut self, ts: proc_macro2::TokenStream) {
        for tt in ts {
            match tt {
                proc_macro2::TokenTree::Group(g) => self.tokens(g.stream()),
                proc_macro2::TokenTree::Literal(l) => {
                    if let Ok(s) = syn::parse_str::<syn::LitStr>(&l.to_string()) {
                        self.literals.push((l.span().start().line, s.value()));
                    }
                }
                _ => {}
            }
        }
    }
    fn function(&mut self, name: String, sig: &syn::Signature, block: &syn::Block) {
        let (a, b) = (
            sig.fn_token.span.start().line,
            block.brace_token.span.close().end().line,
        );
        self.functions.push((name, a, b + 1 - a));
    }
}

impl<'ast> Visit<'ast> for Scan {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if !is_cfg_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !is_cfg_test(&f.attrs) {
            self.function(f.sig.ident.to_string(), &f.sig, &f.block);
            syn::visit::visit_item_fn(self, f);
        }
    }
    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.function(f.sig.ident.to_string(), &f.sig, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }
    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(b) = &f.default {
            self.function(f.sig.ident.to_string(), &f.sig, b);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        self.literals.push((s.span().start().line, s.value()));
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.tokens(m.tokens.clone());
    }
}

fn scan(path: &str, text: &str) -> Scan {
    let file = syn::parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut s = Scan::default();
    s.visit_file(&file);
    s
}

/// Does this string look like SQL? (The code base writes SQL keywords in capitals.)
fn is_sql(s: &str) -> bool {
    let has = |k: &str| s.contains(k);
    (has("SELECT ") && has(" FROM "))
        || has("INSERT INTO ")
        || (has("UPDATE ") && has(" SET "))
        || has("DELETE FROM ")
        || has("CREATE TABLE")
        || has("CREATE INDEX")
        || has("CREATE UNIQUE INDEX")
        || has("ALTER TABLE")
        || has("DROP TABLE")
        || has("LOCK TABLE")
        || s.trim_start().starts_with("PRAGMA ")
        || has("BEGIN IMMEDIATE")
}

/// Files outside tc-store that still hold SQL, and why. Empty it as the SQL moves.
const SQL_OUTSIDE_THE_STORE: &[(&str, &str)] = &[];

#[test]
fn no_sql_outside_the_store() {
    let mut found: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (path, text) in sources() {
        if path.starts_with("crates/tc-store/") || path.starts_with("crates/tc-arch/") {
            continue;
        }
        for (line, lit) in scan(&path, &text).literals {
            if is_sql(&lit) {
                found.entry(path.clone()).or_default().push(line);
            }
        }
    }
    let allowed: BTreeMap<&str, &str> = SQL_OUTSIDE_THE_STORE.iter().copied().collect();
    let mut wrong = Vec::new();
    for (path, lines) in &found {
        if !allowed.contains_key(path.as_str()) {
            wrong.push(format!(
                "{path}: SQL at lines {lines:?} (move it into tc-store)"
            ));
        }
    }
    for path in allowed.keys() {
        if !found.contains_key(*path) {
            wrong.push(format!(
                "{path} holds no SQL any more: remove it from SQL_OUTSIDE_THE_STORE"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Where the time of day may be read: the one system clock, and what still reads it.
const CLOCK_READS: &[(&str, &str)] = &[
    (
        "crates/tc-app/src/clock.rs",
        "the system clock, handed down from the edges",
    ),
    (
        "crates/tc-store/src/lib.rs",
        "testing only: unique schema names and the test users' creation time",
    ),
    (
        "crates/tc-store/src/ledger.rs",
        "the default stamp of `recorded_at` (`Ledger::with_clock` replaces it)",
    ),
];

#[test]
fn the_time_of_day_is_read_in_one_place() {
    let allowed: BTreeMap<&str, &str> = CLOCK_READS.iter().copied().collect();
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    for (path, text) in sources() {
        let reads = text.contains("SystemTime::now")
            || text.contains("Utc::now")
            || text.contains("Timestamp::now");
        if reads {
            seen.insert(path.clone());
            if !allowed.contains_key(path.as_str()) {
                wrong.push(format!(
                    "{path} reads the time of day: take a `tongchou_core::Clock` or a `Timestamp`"
                ));
            }
        }
    }
    for path in allowed.keys() {
        if !seen.contains(*path) {
            wrong.push(format!(
                "{path} no longer reads the clock: remove it from CLOCK_READS"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Lines a function may span (signature to closing brace).
const BUDGET: usize = 100;

/// Functions over the budget today, with their length: none may grow; each is split in turn,
/// and leaves this list when it fits.
const LONG_FUNCTIONS: &[(&str, &str, usize)] = &[
    ("crates/tc-bank/src/csv.rs", "read_return_csv", 134),
    ("crates/tc-bank/src/reconcile.rs", "decide_line", 157),
    ("crates/tc-bench/src/bin/bench-synth.rs", "run", 133),
    ("crates/tc-core/src/rules/pension.rs", "pension", 143),
    ("crates/tc-import/src/records.rs", "parse", 113),
    ("crates/tc-ledger/src/engine.rs", "apply_resolved", 179),
    ("crates/tc-ledger/src/testkit.rs", "build", 181),
    ("crates/tc-store/src/bin/bench-ledger.rs", "run", 187),
    ("crates/tc-store/src/ledger.rs", "check", 180),
    ("crates/tc-store/src/ledger.rs", "load_sql", 109),
    ("crates/tc-store/src/ledger.rs", "write_batch", 204),
    ("crates/tc-synth/src/people.rs", "person", 215),
    ("crates/tc-synth/src/tables.rs", "new", 186),
];

#[test]
fn functions_fit_the_length_budget() {
    let allowed: BTreeMap<(&str, &str), usize> = LONG_FUNCTIONS
        .iter()
        .map(|&(p, f, n)| ((p, f), n))
        .collect();
    let mut wrong = Vec::new();
    let mut over = BTreeSet::new();
    for (path, text) in sources() {
        for (name, line, len) in scan(&path, &text).functions {
            if len <= BUDGET {
                continue;
            }
            over.insert((path.clone(), name.clone()));
            match allowed.get(&(path.as_str(), name.as_str())) {
                Some(&max) if len <= max => {}
                Some(&max) => wrong.push(format!(
                    "{path}:{line} `{name}` grew to {len} lines (listed at {max}; budget {BUDGET})"
                )),
                None => wrong.push(format!(
                    "{path}:{line} `{name}` is {len} lines (budget {BUDGET}): split it"
                )),
            }
        }
    }
    for &(p, f, _) in LONG_FUNCTIONS {
        if !over.contains(&(p.to_string(), f.to_string())) {
            wrong.push(format!(
                "{p} `{f}` fits the budget now (or is gone): remove it from LONG_FUNCTIONS"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// The messages of the use cases and the import: `tr!("id", name = value, …)` (and `word("id")`,
// and `stored!("id", …)`, a message kept as its id and arguments)
// names an id of the catalogue (data/messages/*.ftl) with exactly the arguments that message
// uses, in both files.

/// Each message of a Fluent file with the `$arguments` its (one-line) text names.
fn ftl_messages(lang: &str) -> BTreeMap<String, BTreeSet<String>> {
    let path = root().join(format!("data/messages/{lang}.ftl"));
    let text = std::fs::read_to_string(&path).expect("read the catalogue");
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if !line.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let Some((id, value)) = line.split_once('=') else {
            continue;
        };
        let vars = value
            .split('$')
            .skip(1)
            .map(|v| {
                v.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                    .collect()
            })
            .collect();
        out.insert(id.trim().to_string(), vars);
    }
    out
}

/// Every `tr!(…)` (and `stored!(…)`, `word(…)`) in a token stream: (line, id, the arguments'
/// names).
fn tr_calls(ts: proc_macro2::TokenStream, out: &mut Vec<(usize, String, BTreeSet<String>)>) {
    use proc_macro2::TokenTree as T;
    let tokens: Vec<T> = ts.into_iter().collect();
    for (i, tt) in tokens.iter().enumerate() {
        if let T::Group(g) = tt {
            let is_tr = (i >= 2
                && matches!(&tokens[i - 1], T::Punct(p) if p.as_char() == '!')
                && matches!(&tokens[i - 2], T::Ident(id) if id == "tr" || id == "stored"))
                || (i >= 1 && matches!(&tokens[i - 1], T::Ident(id) if id == "word"));
            if is_tr && g.delimiter() == proc_macro2::Delimiter::Parenthesis {
                let inner: Vec<T> = g.stream().into_iter().collect();
                let id = match inner.first() {
                    Some(T::Literal(l)) => syn::parse_str::<syn::LitStr>(&l.to_string())
                        .map(|s| s.value())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let mut names = BTreeSet::new();
                for w in inner.windows(3) {
                    if let [T::Punct(c), T::Ident(name), T::Punct(eq)] = w
                        && c.as_char() == ','
                        && eq.as_char() == '='
                    {
                        names.insert(name.to_string());
                    }
                }
                out.push((g.span().start().line, id, names));
            }
            tr_calls(g.stream(), out);
        }
    }
}

/// What `find` finds in each source file's tokens, with the file's path.
fn found_in_sources<C>(find: fn(proc_macro2::TokenStream, &mut Vec<C>)) -> Vec<(String, C)> {
    let mut out = Vec::new();
    for (path, text) in sources() {
        let Ok(ts) = text.parse::<proc_macro2::TokenStream>() else {
            continue;
        };
        let mut calls = Vec::new();
        find(ts, &mut calls);
        out.extend(calls.into_iter().map(|c| (path.clone(), c)));
    }
    out
}

#[test]
fn every_message_the_sources_write_is_in_the_catalogue() {
    let zh = ftl_messages("zh-CN");
    let en = ftl_messages("en");
    let mut seen = 0;
    let mut wrong = Vec::new();
    for (path, (line, id, names)) in found_in_sources(tr_calls) {
        if id.is_empty() {
            continue; // the macro's own definition
        }
        seen += 1;
        for (tag, file) in [("zh-CN", &zh), ("en", &en)] {
            match file.get(&id) {
                None => wrong.push(format!("{path}:{line}: {id} is not in {tag}.ftl")),
                Some(vars) if *vars != names => wrong.push(format!(
                    "{path}:{line}: {id} is given {names:?}, {tag}.ftl uses {vars:?}"
                )),
                Some(_) => {}
            }
        }
    }
    assert!(seen > 200, "{seen} messages found");
    assert!(wrong.is_empty(), "{wrong:#?}");
}

// ---------------------------------------------------------------------------------------------
// The explanations of computed amounts (`tongchou_core::Explanation`): every rule that the
// sources explain (`Explanation::new("rule", …)`) has its formula in the catalogue
// (`explain-formula-<rule, dots as dashes>`), every step (`.step("name", …)`) its name
// (`explain-step-<name, underscores as dashes>`), in both files; a step's name is a literal id
// (what varies goes into its value), and each amount step that tc-core lists is one of them.

/// Every `Explanation::new(…)` and `.step(…)` in a token stream: (line, "rule" or "step", the
/// literal id, empty when the first argument is no string literal).
fn explain_calls(ts: proc_macro2::TokenStream, out: &mut Vec<(usize, &'static str, String)>) {
    use proc_macro2::TokenTree as T;
    let tokens: Vec<T> = ts.into_iter().collect();
    for (i, tt) in tokens.iter().enumerate() {
        let T::Group(g) = tt else { continue };
        let ident = |k: usize, name: &str| matches!(&tokens[k], T::Ident(id) if id == name);
        let punct = |k: usize, c: char| matches!(&tokens[k], T::Punct(p) if p.as_char() == c);
        let kind = if i >= 4
            && ident(i - 1, "new")
            && punct(i - 2, ':')
            && punct(i - 3, ':')
            && ident(i - 4, "Explanation")
        {
            Some("rule")
        } else if i >= 2 && ident(i - 1, "step") && punct(i - 2, '.') {
            Some("step")
        } else {
            None
        };
        if let Some(kind) = kind
            && g.delimiter() == proc_macro2::Delimiter::Parenthesis
        {
            let id = match g.stream().into_iter().next() {
                Some(T::Literal(l)) => syn::parse_str::<syn::LitStr>(&l.to_string())
                    .map(|s| s.value())
                    .unwrap_or_default(),
                _ => String::new(),
            };
            out.push((g.span().start().line, kind, id));
        }
        explain_calls(g.stream(), out);
    }
}

#[test]
fn every_explained_rule_and_step_is_in_the_catalogue() {
    let zh = ftl_messages("zh-CN");
    let en = ftl_messages("en");
    let (mut rules, mut steps) = (BTreeSet::new(), BTreeSet::new());
    let mut wrong = Vec::new();
    for (path, (line, kind, id)) in found_in_sources(explain_calls) {
        let catalogue_id = match kind {
            "rule" => format!("explain-formula-{}", id.replace('.', "-")),
            _ => format!("explain-step-{}", id.replace('_', "-")),
        };
        if id.is_empty() {
            wrong.push(format!(
                "{path}:{line}: a {kind}'s id must be a string literal"
            ));
            continue;
        }
        if kind == "rule" {
            rules.insert(id);
        } else {
            steps.insert(id);
        }
        for (tag, file) in [("zh-CN", &zh), ("en", &en)] {
            if !file.contains_key(&catalogue_id) {
                wrong.push(format!("{path}:{line}: {catalogue_id} is not in {tag}.ftl"));
            }
        }
    }
    assert!(rules.len() >= 19, "{} rules found: {rules:?}", rules.len());
    assert!(steps.len() >= 80, "{} steps found: {steps:?}", steps.len());
    let explain = std::fs::read_to_string(root().join("crates/tc-core/src/explain.rs"))
        .expect("read explain.rs");
    let money = explain
        .split("pub const MONEY_STEPS: &[&str] = &[")
        .nth(1)
        .and_then(|rest| rest.split("];").next())
        .expect("MONEY_STEPS");
    for name in money.split('"').skip(1).step_by(2) {
        if !steps.contains(name) {
            wrong.push(format!(
                "MONEY_STEPS names {name}, which no explanation has"
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}
