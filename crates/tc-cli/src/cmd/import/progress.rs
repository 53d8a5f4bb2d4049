//! A small progress bar on standard error, drawn only when standard error is a terminal (so logs
//! and tests see nothing of it), redrawn at most ten times a second, erased when dropped.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

pub struct Bar {
    enabled: bool,
    label: String,
    last: Option<Instant>,
    drawn: bool,
}

const WIDTH: u64 = 30;

impl Bar {
    pub fn new(label: &str) -> Bar {
        Bar {
            enabled: std::io::stderr().is_terminal(),
            label: label.to_string(),
            last: None,
            drawn: false,
        }
    }

    /// `done` of `total` units (bytes), `items` counted so far (rows).
    pub fn update(&mut self, done: u64, total: Option<u64>, items: u64) {
        if !self.enabled {
            return;
        }
        let finished = total.is_some_and(|t| done >= t);
        let now = Instant::now();
        if !finished
            && self
                .last
                .is_some_and(|t| now.duration_since(t) < Duration::from_millis(100))
        {
            return;
        }
        self.last = Some(now);
        let line = match total {
            Some(t) if t > 0 => {
                let done = done.min(t);
                let filled = done * WIDTH / t;
                format!(
                    "\r{} [{}{}] {:3}% {}",
                    self.label,
                    "#".repeat(filled as usize),
                    "-".repeat((WIDTH - filled) as usize),
                    done * 100 / t,
                    tongchou_core::tr!("cli-import-progress-rows", n = items)
                )
            }
            _ => format!(
                "\r{} {}",
                self.label,
                tongchou_core::tr!("cli-import-progress-rows", n = items)
            ),
        };
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
        self.drawn = true;
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if self.drawn {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(b"\r\x1b[K");
            let _ = err.flush();
        }
    }
}
