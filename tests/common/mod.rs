//! Helpers shared by the integration tests: run the real `tamis` binary from the repository root
//! (relative paths in pipelines are taken from there) and compare output trees byte for byte.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

// The crate's own walker (std only, so tamis-sql's tests, which compile this file, can use it).
#[path = "../../src/release/files.rs"]
mod files;
pub use files::files_below;

/// The repository root (the crate's folder, or for a workspace member under `crates/` the
/// folder above that holds `pipelines/`).
pub fn repo() -> PathBuf {
    let here = manifest_dir();
    here.ancestors()
        .find(|d| d.join("pipelines/quickstart.toml").is_file())
        .unwrap_or(&here)
        .to_path_buf()
}

/// This package's folder. Cargo sets `CARGO_MANIFEST_DIR` when it runs a test or bench; the value
/// compiled in is only the fallback, because a target folder shared by several clones (CI's)
/// reuses a test binary built in another clone (cargo does not rebuild for a moved checkout),
/// and that clone may be gone.
pub fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// The `tamis` binary: cargo's own for the root crate's tests; for another workspace member's
/// tests, the one `cargo test --workspace` builds in the same target folder.
pub fn tamis_bin() -> PathBuf {
    if let Some(p) = option_env!("CARGO_BIN_EXE_tamis") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable");
    // target/<profile>/deps/<test> → target/<profile>/tamis
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("tamis"))
        .expect("target folder");
    assert!(
        bin.is_file(),
        "{} is not built: run `cargo test --workspace` (or `cargo build -p tamis` first)",
        bin.display()
    );
    bin
}

/// The shared real data (`../shared/data`, or `$TAMIS_SHARED_DATA`).
pub fn shared_data() -> PathBuf {
    std::env::var_os("TAMIS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"))
}

/// The `path` of every entry of a file list in a manifest or a run record (`inputs`, `assets`).
pub fn listed_paths(list: &serde_json::Value) -> Vec<&str> {
    list.as_array()
        .expect("a list of files")
        .iter()
        .map(|f| f["path"].as_str().expect("a path"))
        .collect()
}

/// Run `tamis ARGS` in the repository root.
pub fn tamis(args: &[&str]) -> Output {
    Command::new(tamis_bin())
        .args(args)
        .current_dir(repo())
        .output()
        .expect("run tamis")
}

/// Run and require success, returning stdout.
pub fn tamis_ok(args: &[&str]) -> String {
    let out = tamis(args);
    assert!(
        out.status.success(),
        "tamis {args:?} failed with {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `tamis run PIPELINE -o OUT --no-progress`, required to succeed.
pub fn run_pipeline(pipeline: &str, out: &Path) {
    tamis_ok(&[
        "run",
        pipeline,
        "-o",
        &out.to_string_lossy(),
        "--no-progress",
    ]);
}

/// Every file below `root/sub` for each `sub`, by relative path, with its bytes.
pub fn tree(root: &Path, subs: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for sub in subs {
        let base = root.join(sub);
        if base.is_file() {
            out.insert(sub.to_string(), std::fs::read(&base).unwrap());
            continue;
        }
        for p in files_below(&base) {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            out.insert(rel, std::fs::read(&p).unwrap());
        }
    }
    out
}

/// `tamis bench gen` into `out`: a crawl-like corpus from the shared real data, `extra` flags
/// after the size and seed.
pub fn bench_gen(out: &Path, mb: u32, seed: u32, extra: &[&str]) {
    let (mb, seed) = (mb.to_string(), seed.to_string());
    let shared = shared_data();
    let mut args = vec![
        "bench",
        "gen",
        "-o",
        out.to_str().unwrap(),
        "--mb",
        &mb,
        "--seed",
        &seed,
        "--shared",
        shared.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    tamis_ok(&args);
}

/// Assert two trees are identical, naming the first difference.
pub fn assert_same_tree(a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>) {
    let ka: Vec<_> = a.keys().collect();
    let kb: Vec<_> = b.keys().collect();
    assert_eq!(ka, kb, "different file sets");
    for (k, v) in a {
        assert!(v == &b[k], "{k} differs");
    }
}

/// The lines of a gzip file.
pub fn gz_lines(path: &Path) -> Vec<String> {
    use std::io::BufRead;
    let f = std::fs::File::open(path).unwrap();
    std::io::BufReader::new(flate2::read::MultiGzDecoder::new(f))
        .lines()
        .map(Result::unwrap)
        .collect()
}
