//! Benchmark helpers (timing, medians, arguments) and the adapter that writes a synthetic
//! province into the registry tables of `tongchou_store::registry`.

pub mod load;

use std::time::Instant;

/// Run `f` `runs` times; returns every duration in seconds and the last result.
pub fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (Vec<f64>, Option<T>) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f();
        times.push(t.elapsed().as_secs_f64());
        last = Some(r);
    }
    (times, last)
}

/// The median of a list of durations (the lower middle for an even count).
pub fn median(times: &[f64]) -> f64 {
    let mut v = times.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    v.get((v.len().max(1) - 1) / 2).copied().unwrap_or(0.0)
}

/// "1.234 s (runs 1.2, 1.3, 1.1)".
pub fn report(times: &[f64]) -> String {
    let runs: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
    format!("median {:.3} s (runs {})", median(times), runs.join(", "))
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
        assert!(report(&[1.0, 2.0, 3.0]).starts_with("median 2.000 s"));
    }
}
