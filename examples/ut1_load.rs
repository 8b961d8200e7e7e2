//! Load UT1 categories the way `[filters.url]` does and report load time, CPU time and memory,
//! then time URL lookups. Compiled copies of the lists are used as `tamis run` uses them: run it
//! with `TAMIS_CACHE_DIR=off` to time parsing the lists, twice with a folder to time reading
//! the copy the first run left there.
//!
//! ```text
//! TAMIS_CACHE_DIR=off cargo run --release --example ut1_load -- ../shared/data/url_blocklists/ut1 adult
//! ```

use std::path::PathBuf;
use std::time::Instant;

use tamis::filter::url::UrlFilterConfig;
use tamis::filter::BuildCtx;

/// A field of /proc/self/status in kB (`VmRSS`, `VmHWM`).
fn status_kb(field: &str) -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds of this process (clock ticks of 1/100 s).
fn cpu_secs() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // Fields 14 and 15 of stat (utime, stime) are 12 and 13 after the `)`.
    (ticks(11) + ticks(12)) / 100.0
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().expect("usage: ut1_load UT1_DIR CATEGORY..."));
    let categories: Vec<String> = args.collect();
    let rss0 = status_kb("VmRSS");
    let cpu0 = cpu_secs();
    let t = Instant::now();
    let cfg = UrlFilterConfig {
        ut1: Some(dir),
        categories,
        ..Default::default()
    };
    let ctx = BuildCtx {
        settings: Default::default(),
        assets: PathBuf::from("assets"),
        list_cache: tamis::filter::url::compiled::cache_dir(),
    };
    let filter = match cfg.build(&ctx) {
        Ok(f) => f,
        Err(problems) => {
            for p in problems {
                eprintln!("{p}");
            }
            std::process::exit(2);
        }
    };
    let wall = t.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu0;
    println!(
        "load: {wall:.2} s wall, {cpu:.2} s CPU; RSS {:.1} MB before, {:.1} MB after, peak {:.1} MB",
        rss0 as f64 / 1e3,
        status_kb("VmRSS") as f64 / 1e3,
        status_kb("VmHWM") as f64 / 1e3
    );
    for n in filter.notes() {
        println!("{n}");
    }
    // Lookup speed on URLs that miss (the common case) and walk three host levels.
    let urls: Vec<String> = (0..200_000)
        .map(|i| format!("https://www.site{i}.example.org/articles/{i}/index.html?page=2"))
        .collect();
    let t = Instant::now();
    let mut dropped = 0usize;
    for u in &urls {
        if !matches!(filter.check_url(Some(u)), tamis::doc::Verdict::Keep) {
            dropped += 1;
        }
    }
    let per = t.elapsed().as_secs_f64() / urls.len() as f64;
    println!(
        "lookup: {:.2} µs per URL ({dropped} dropped of {})",
        per * 1e6,
        urls.len()
    );
}
