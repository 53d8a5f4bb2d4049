//! Benchmark helpers (timing, medians, arguments).

use std::time::Instant;

/// Wall-clock and CPU seconds (all threads of the process) of each run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timing {
    pub wall: Vec<f64>,
    pub cpu: Vec<f64>,
}

impl Timing {
    pub fn push(&mut self, other: Timing) {
        self.wall.extend(other.wall);
        self.cpu.extend(other.cpu);
    }
}

/// CPU time (user + system) of this process so far, in seconds (Linux; 0 elsewhere).
pub fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // fields after the command name (which may contain spaces) end with ')'
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the ')'
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// Run `f` `runs` times; returns the timings and the last result.
pub fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Timing, Option<T>) {
    let mut t = Timing::default();
    let mut last = None;
    for _ in 0..runs {
        let (w, c) = (Instant::now(), cpu_seconds());
        let r = f();
        t.wall.push(w.elapsed().as_secs_f64());
        t.cpu.push(cpu_seconds() - c);
        last = Some(r);
    }
    (t, last)
}

/// The median of a list of durations (the lower middle for an even count).
pub fn median(times: &[f64]) -> f64 {
    let mut v = times.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v.get((v.len().max(1) - 1) / 2).copied().unwrap_or(0.0)
}

/// "median 1.234 s (runs 1.200, 1.300, 1.100); CPU median 2.3 s".
pub fn report(t: &Timing) -> String {
    let runs: Vec<String> = t.wall.iter().map(|x| format!("{x:.3}")).collect();
    format!(
        "median {:.3} s (runs {}); CPU median {:.2} s",
        median(&t.wall),
        runs.join(", "),
        median(&t.cpu)
    )
}

/// The load average of the machine over the last minute (Linux), as text.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// `--name value` from the command line, parsed, or the default.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => {
            let v = args
                .get(i + 1)
                .ok_or_else(|| format!("{name} needs a value"))?;
            v.replace('_', "")
                .parse()
                .map_err(|_| format!("{name}: cannot parse {v:?}"))
        }
    }
}

/// Peak resident memory of this process in MiB (Linux), if known.
pub fn peak_rss_mib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0]), 1.0);
        assert_eq!(median(&[]), 0.0);
        let t = Timing {
            wall: vec![1.0, 2.0, 3.0],
            cpu: vec![2.0, 4.0, 6.0],
        };
        assert_eq!(
            report(&t),
            "median 2.000 s (runs 1.000, 2.000, 3.000); CPU median 4.00 s"
        );
        let busy = cpu_seconds();
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = x.wrapping_mul(31).wrapping_add(i);
        }
        assert!(x != 1);
        assert!(cpu_seconds() >= busy);
    }
}
