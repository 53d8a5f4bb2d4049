//! A client-side statement timer, for finding where a long job spends its database time on
//! either engine without server extensions (`pg_stat_statements` needs a server restart).
//!
//! With `TONGCHOU_SQL_PROFILE=1` in the environment, every connection adds up, per statement
//! text (whitespace folded, the first 150 characters), the calls, the rows changed or read and
//! the wall time from sending the statement to its last row (for `Db::each` and
//! `Db::bulk_insert` that includes the caller's work on each row: the time the statement was
//! open). When the connection is dropped it writes the statements that took the most time to
//! standard error. Without the variable nothing is measured.

use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Default)]
struct Stat {
    calls: u64,
    rows: u64,
    time: Duration,
}

/// The statements of one connection, timed.
pub(crate) struct Profile {
    by_sql: HashMap<String, Stat>,
    opened: Instant,
}

impl Profile {
    /// A profile when `TONGCHOU_SQL_PROFILE` is set (to anything but `0`), else none.
    pub(crate) fn from_env() -> Option<Box<Profile>> {
        match std::env::var("TONGCHOU_SQL_PROFILE") {
            Ok(v) if v != "0" => Some(Box::new(Profile {
                by_sql: HashMap::new(),
                opened: Instant::now(),
            })),
            _ => None,
        }
    }

    /// Count one statement that started at `since` and touched `rows` rows.
    pub(crate) fn add(&mut self, sql: &str, since: Instant, rows: u64) {
        let time = since.elapsed();
        let key = if let Some(s) = self.by_sql.get_mut(sql) {
            s
        } else {
            self.by_sql.entry(sql.to_string()).or_default()
        };
        key.calls += 1;
        key.rows += rows;
        key.time += time;
    }

    /// The statements by time spent, the largest first (at most `top`), folded by their first
    /// 150 characters.
    pub(crate) fn report(&self, top: usize) -> String {
        let mut folded: HashMap<String, Stat> = HashMap::new();
        for (sql, s) in &self.by_sql {
            let text: String = sql.split_whitespace().collect::<Vec<_>>().join(" ");
            let text: String = text.chars().take(150).collect();
            let f = folded.entry(text).or_default();
            f.calls += s.calls;
            f.rows += s.rows;
            f.time += s.time;
        }
        let total: Duration = folded.values().map(|s| s.time).sum();
        let mut rows: Vec<(String, Stat)> = folded.into_iter().collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.1.time));
        let mut out = format!(
            "SQL profile: {:.2} s in statements of {:.2} s connected, {} distinct\n   seconds    calls       rows  statement\n",
            total.as_secs_f64(),
            self.opened.elapsed().as_secs_f64(),
            rows.len()
        );
        for (sql, s) in rows.iter().take(top) {
            out.push_str(&format!(
                "{:10.3} {:8} {:10}  {sql}\n",
                s.time.as_secs_f64(),
                s.calls,
                s.rows
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_by_text_and_orders_by_time() {
        let mut p = Profile {
            by_sql: HashMap::new(),
            opened: Instant::now(),
        };
        let long_ago = Instant::now() - Duration::from_millis(50);
        p.add("SELECT 1", Instant::now(), 1);
        p.add("SELECT  1", Instant::now(), 1);
        p.add("UPDATE t SET x = 1", long_ago, 7);
        let r = p.report(10);
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines.len(), 4, "{r}");
        assert!(lines[2].ends_with("UPDATE t SET x = 1"), "{r}");
        assert!(lines[2].contains(" 7 "), "{r}");
        assert!(lines[3].contains("        2 "), "{r}");
        assert!(lines[3].ends_with("SELECT 1"), "{r}");
    }
}
