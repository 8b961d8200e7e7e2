//! `tamis bench gen --docs-per-shard`: the same documents cut into more files (so a benchmark of a
//! small corpus still has a unit of work per thread).

mod common;

use std::io::Read;
use std::path::Path;

/// Every line of the `part-*.jsonl.gz` files of `dir`, in file order, and the file count.
fn lines(dir: &Path) -> (Vec<String>, usize) {
    let mut parts: Vec<_> = common::files_below(dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".jsonl.gz"))
        .collect();
    parts.sort();
    let mut out = Vec::new();
    for p in &parts {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(std::fs::File::open(p).unwrap())
            .read_to_string(&mut text)
            .unwrap();
        out.extend(text.lines().map(String::from));
    }
    (out, parts.len())
}

#[test]
fn docs_per_shard_cuts_the_same_documents_into_more_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (one, many) = (tmp.path().join("one"), tmp.path().join("many"));
    common::bench_gen(&one, 1, 3, &[]);
    common::bench_gen(&many, 1, 3, &["--docs-per-shard", "100"]);
    let (a, files_a) = lines(&one);
    let (b, files_b) = lines(&many);
    assert_eq!(files_a, 1);
    assert!(a.len() > 200, "only {} documents", a.len());
    assert_eq!(files_b, a.len().div_ceil(100));
    assert_eq!(a, b, "the documents differ");
    assert_eq!(
        std::fs::read(one.join("truth.jsonl")).unwrap(),
        std::fs::read(many.join("truth.jsonl")).unwrap()
    );
    let out = common::tamis(&[
        "bench",
        "gen",
        "-o",
        tmp.path().join("zero").to_str().unwrap(),
        "--docs-per-shard",
        "0",
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--docs-per-shard"));
}

#[test]
fn stages_counts_the_units_of_the_input_given_on_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let gen = tmp.path().join("gen");
    common::bench_gen(&gen, 1, 3, &["--docs-per-shard", "100"]);
    let files = lines(&gen).1;
    let glob = format!("{}/part-*.jsonl.gz", gen.display());
    let out = tmp.path().join("out");
    let listing = common::tamis_ok(&[
        "stages",
        "pipelines/bench.toml",
        "--input",
        &glob,
        "-o",
        out.to_str().unwrap(),
        "--json",
    ]);
    let stages: Vec<serde_json::Value> = serde_json::from_str(&listing).unwrap();
    assert_eq!(stages[0]["stage"], "filter");
    assert_eq!(stages[0]["units"], files as u64);
    assert_eq!(stages[0]["done"], 0);
}

#[test]
fn dedup_stages_run_without_loading_the_filters() {
    // The dedup steps never run the filters, so they do not load the UT1 list and the models
    // (≈ 0.5 CPU-s per process, i.e. per Slurm array task): with the assets gone they still run.
    let tmp = tempfile::tempdir().unwrap();
    let gen = tmp.path().join("gen");
    common::bench_gen(&gen, 1, 3, &["--docs-per-shard", "200"]);
    let glob = format!("{}/part-*.jsonl.gz", gen.display());
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    let run = |stage: &str, assets: Option<&Path>| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_tamis"));
        cmd.args(["run", "pipelines/bench.toml", "--input", &glob, "-o", out])
            .args(["--stage", stage, "--no-progress"])
            .current_dir(common::repo());
        if let Some(a) = assets {
            cmd.env("TAMIS_ASSETS", a);
        }
        cmd.output().unwrap()
    };
    assert!(run("filter", None).status.success());
    let no_assets = tmp.path().join("no-assets");
    for stage in [
        "dedup-signature",
        "dedup-bucket",
        "dedup-cluster",
        "dedup-apply",
    ] {
        let o = run(stage, Some(&no_assets));
        assert!(
            o.status.success(),
            "{stage}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // finalize pins the files the filters load in the manifest (it reads them).
    assert!(run("finalize", None).status.success());
}
