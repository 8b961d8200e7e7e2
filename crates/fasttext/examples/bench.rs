//! Single-thread prediction throughput on real multilingual text (the UDHR files).
//!
//! ```text
//! cargo run --release --example bench -- [--model PATH] [--data DIR] [--secs N] [--k K]
//!                                        [--write DIR] [--no-cache | --cache-bytes N] [--only short|1 KB|8 KB]
//!                                        [--lines FILE]
//! ```
//! Builds three sets of texts from `DIR/udhr/*.txt` (default: the shared data directory):
//! short (lines cut to at most 200 bytes), ~1 KB and ~8 KB (consecutive lines of one language
//! joined by spaces), predicts each set repeatedly for `N` seconds (default 3) and reports
//! texts/s and MB/s. `--write DIR` also saves each set as one text per line, the input the C++
//! CLI needs for the same measurement (`taskset -c 0 fasttext predict MODEL FILE 1`).
//!
//! `--lines FILE` measures instead one pass over the texts of FILE (one per line), each pass
//! with a new [`Scratch`], as one run of `tamis lid` sees them: the word cache starts empty
//! (`--secs 0`: a single pass, so that its memory is new to the process too).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tamis_fasttext::{Model, Scratch};

struct Opts {
    model: Option<PathBuf>,
    data: PathBuf,
    secs: f64,
    k: usize,
    write: Option<PathBuf>,
    cache: Option<usize>,
    only: Option<String>,
    lines: Option<PathBuf>,
}

fn opts() -> Opts {
    let mut o = Opts {
        model: None,
        data: std::env::var_os("TAMIS_SHARED_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                // Cargo sets it at run time (`cargo run --example`); compiled in otherwise.
                std::env::var_os("CARGO_MANIFEST_DIR")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
                    .join("../../../shared/data")
            }),
        secs: 3.0,
        k: 1,
        write: None,
        cache: None,
        only: None,
        lines: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || args.next().unwrap_or_else(|| panic!("{a} needs a value"));
        match a.as_str() {
            "--model" => o.model = Some(val().into()),
            "--data" => o.data = val().into(),
            "--secs" => o.secs = val().parse().expect("--secs N"),
            "--k" => o.k = val().parse().expect("--k K"),
            "--write" => o.write = Some(val().into()),
            "--no-cache" => o.cache = Some(0),
            "--cache-bytes" => o.cache = Some(val().parse().expect("--cache-bytes N")),
            "--only" => o.only = Some(val()),
            "--lines" => o.lines = Some(val().into()),
            _ => panic!("unknown argument {a}"),
        }
    }
    o
}

/// Cuts `s` to at most `max` bytes at a char boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn build_sets(data: &Path) -> Vec<(&'static str, Vec<String>)> {
    let mut files: Vec<_> = std::fs::read_dir(data.join("udhr"))
        .expect("udhr directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let docs: Vec<Vec<String>> = files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .expect("udhr file")
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|l| !l.is_empty())
                .collect()
        })
        .collect();
    let short: Vec<String> = docs
        .iter()
        .flatten()
        .map(|l| cut(l, 200).trim_end().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let joined = |target: usize| -> Vec<String> {
        let mut out = Vec::new();
        for lines in &docs {
            let mut cur = String::new();
            for l in lines.iter().cycle().take(lines.len() * 8) {
                if !cur.is_empty() {
                    cur.push(' ');
                }
                cur.push_str(l);
                if cur.len() >= target {
                    out.push(cut(&cur, target).to_string());
                    cur.clear();
                    if out.len() % 16 == 0 {
                        break; // at most a few texts per language, many languages
                    }
                }
            }
        }
        out
    };
    vec![
        ("short (<=200 B)", short),
        ("~1 KB", joined(1024)),
        ("~8 KB", joined(8192)),
    ]
}

/// Nanoseconds this thread has spent on a CPU (first field of `/proc/thread-self/schedstat`).
fn cpu_nanos() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    let o = opts();
    let model_path = o
        .model
        .clone()
        .unwrap_or_else(|| o.data.join("models/lid.176.ftz"));
    let t0 = Instant::now();
    let model =
        Model::load(&model_path).unwrap_or_else(|e| panic!("{}: {e}", model_path.display()));
    println!(
        "model {} loaded in {:.1} ms ({} words, {} labels, dim {}, loss {})",
        model_path.display(),
        t0.elapsed().as_secs_f64() * 1e3,
        model.nwords(),
        model.nlabels(),
        model.dim(),
        model.loss_name()
    );
    if let Some(path) = &o.lines {
        cold_passes(&model, path, &o);
        return;
    }
    let sets = build_sets(&o.data);
    if let Some(dir) = &o.write {
        std::fs::create_dir_all(dir).expect("create --write dir");
        for (i, (_, texts)) in sets.iter().enumerate() {
            let name = ["short.txt", "1k.txt", "8k.txt"][i];
            let mut body = texts.join("\n");
            body.push('\n');
            std::fs::write(dir.join(name), body).expect("write texts");
        }
        std::fs::write(dir.join("empty.txt"), "").expect("write empty");
    }
    let mut out = Vec::new();
    for (name, texts) in &sets {
        if o.only.as_deref().is_some_and(|only| !name.contains(only)) {
            continue;
        }
        let bytes: usize = texts.iter().map(String::len).sum();
        let mut scratch = match o.cache {
            None => Scratch::new(),
            Some(bytes) => Scratch::with_cache_bytes(bytes),
        };
        // Warm up (and fill the cache, as a long run would).
        let mut top_en = 0usize;
        for t in texts {
            model.predict_into(t, o.k, 0.0, &mut scratch, &mut out);
            top_en += usize::from(out.first().is_some_and(|p| p.label == "__label__en"));
        }
        // Many short rounds; report the best and the median, which resist interference from
        // other processes far better than one long average. Rounds are timed by the thread's
        // on-CPU time when Linux exposes it, so time-slicing with other processes on the same
        // core does not count.
        let deadline = Instant::now() + Duration::from_secs_f64(o.secs);
        let mut rates = Vec::new();
        while Instant::now() < deadline || rates.len() < 5 {
            let start = Instant::now();
            let cpu_start = cpu_nanos();
            let mut n = 0usize;
            while n == 0 || start.elapsed() < Duration::from_millis(100) {
                for t in texts {
                    model.predict_into(t, o.k, 0.0, &mut scratch, &mut out);
                    std::hint::black_box(&out);
                }
                n += 1;
            }
            let secs = match (cpu_start, cpu_nanos()) {
                (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e9,
                _ => start.elapsed().as_secs_f64(),
            };
            rates.push(n as f64 / secs);
        }
        rates.sort_by(|a, b| b.total_cmp(a));
        let (best, median) = (rates[0], rates[rates.len() / 2]);
        let per = texts.len() as f64;
        println!(
            "{name:<16} {:>5} texts, avg {:>5} B: best {:>8.0} texts/s {:>6.1} MB/s; median {:>8.0} texts/s  (top-1 en: {top_en})",
            texts.len(),
            bytes / texts.len().max(1),
            best * per,
            best * bytes as f64 / 1e6,
            median * per,
        );
    }
}

/// `--lines`: passes over the file's texts, each with a fresh scratch (cold word cache).
fn cold_passes(model: &Model, path: &Path, o: &Opts) {
    let body = std::fs::read_to_string(path).expect("--lines file");
    let texts: Vec<&str> = body.lines().collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let mut out = Vec::new();
    let mut times = Vec::new();
    let deadline = Instant::now() + Duration::from_secs_f64(o.secs);
    let mut top_en = 0usize;
    // `--secs 0`: one pass only, the first in this process (whose memory is all new, as in one
    // run of `tamis lid`); later passes reuse the pages the earlier scratches freed.
    let passes = if o.secs == 0.0 { 1 } else { 5 };
    while Instant::now() < deadline || times.len() < passes {
        let mut scratch = match o.cache {
            None => Scratch::new(),
            Some(bytes) => Scratch::with_cache_bytes(bytes),
        };
        let (start, cpu_start) = (Instant::now(), cpu_nanos());
        top_en = 0;
        for t in &texts {
            model.predict_into(t, o.k, 0.0, &mut scratch, &mut out);
            top_en += usize::from(out.first().is_some_and(|p| p.label == "__label__en"));
        }
        times.push(match (cpu_start, cpu_nanos()) {
            (Some(a), Some(b)) if b > a => (b - a) as f64 / 1e9,
            _ => start.elapsed().as_secs_f64(),
        });
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let (best, median) = (times[0], times[times.len() / 2]);
    println!(
        "{}: {} texts, avg {} B, cold cache: best {:.2} ms ({:.0} texts/s, {:.1} MB/s), median {:.2} ms  (top-1 en: {top_en})",
        path.display(),
        texts.len(),
        bytes / texts.len().max(1),
        best * 1e3,
        texts.len() as f64 / best,
        bytes as f64 / best / 1e6,
        median * 1e3,
    );
}
