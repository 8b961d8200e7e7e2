//! Progress: a bar (docs/s, MB/s, ETA) on a terminal, plain log lines every few seconds otherwise.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

/// Shared progress of a stage; cheap to update from many threads.
pub struct Progress {
    bar: Option<ProgressBar>,
    docs: AtomicU64,
    text_bytes: AtomicU64,
    units_done: AtomicU64,
    units: usize,
    total_bytes: u64,
    done_bytes: AtomicU64,
    started: Instant,
    last_log: Mutex<Instant>,
}

impl Progress {
    /// A bar when `tty`, else periodic log lines on stderr.
    pub fn new(tty: bool, total_bytes: u64, units: usize) -> Progress {
        let bar = tty.then(|| {
            let b = ProgressBar::new(total_bytes);
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} input · ETA {eta} · {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Progress {
            bar,
            docs: AtomicU64::new(0),
            text_bytes: AtomicU64::new(0),
            units_done: AtomicU64::new(0),
            units,
            total_bytes,
            done_bytes: AtomicU64::new(0),
            started: Instant::now(),
            last_log: Mutex::new(Instant::now()),
        }
    }

    /// Count documents read (called in batches).
    pub fn docs(&self, docs: u64, text_bytes: u64) {
        self.docs.fetch_add(docs, Ordering::Relaxed);
        self.text_bytes.fetch_add(text_bytes, Ordering::Relaxed);
        self.refresh();
    }

    /// A unit finished.
    pub fn unit_done(&self, input_bytes: u64) {
        self.units_done.fetch_add(1, Ordering::Relaxed);
        let done = self.done_bytes.fetch_add(input_bytes, Ordering::Relaxed) + input_bytes;
        if let Some(b) = &self.bar {
            b.set_position(done);
        }
        self.refresh();
    }

    fn rates(&self) -> String {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let docs = self.docs.load(Ordering::Relaxed);
        let mb = self.text_bytes.load(Ordering::Relaxed) as f64 / 1e6;
        format!(
            "{docs} docs · {:.0} docs/s · {:.1} MB/s text · {}/{} files",
            docs as f64 / secs,
            mb / secs,
            self.units_done.load(Ordering::Relaxed),
            self.units
        )
    }

    fn refresh(&self) {
        match &self.bar {
            Some(b) => b.set_message(self.rates()),
            None => {
                let Ok(mut last) = self.last_log.try_lock() else {
                    return;
                };
                if last.elapsed() >= Duration::from_secs(5) {
                    *last = Instant::now();
                    let pct = if self.total_bytes == 0 {
                        100.0
                    } else {
                        100.0 * self.done_bytes.load(Ordering::Relaxed) as f64
                            / self.total_bytes as f64
                    };
                    eprintln!("tamis: {pct:.0} % of input · {}", self.rates());
                }
            }
        }
    }

    /// Clear the bar and print the final rates.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        eprintln!(
            "tamis: done · {} · {:.1} s",
            self.rates(),
            self.started.elapsed().as_secs_f64()
        );
    }
}
