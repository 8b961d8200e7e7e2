//! `tamis run` end to end on the quickstart sample: outputs, determinism across thread and task
//! counts, resumption after a lost unit, and clear errors for bad pipelines.

mod common;

use common::*;

const DETERMINISTIC: &[&str] = &[
    "tokens/part-00000.bin",
    "tokens/part-00000.idx",
    "tokens/summary.json",
    "docs",
    "removed",
    "stats",
    "stages",
    "dedup",
    "manifest.json",
];

fn run_into(dir: &std::path::Path, extra: &[&str]) -> String {
    let out = dir.to_string_lossy().into_owned();
    let mut args = vec![
        "run",
        "pipelines/quickstart.toml",
        "--output",
        &out,
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    tamis_ok(&args)
}

#[test]
fn quickstart_writes_docs_removed_log_and_stats() {
    let dir = tempfile::tempdir().unwrap();
    let summary = run_into(dir.path(), &["-j", "2"]);
    assert!(summary.contains("documents kept"), "{summary}");
    let files = tree(dir.path(), DETERMINISTIC);
    let docs = files
        .keys()
        .filter(|k| k.starts_with("docs/") && k.ends_with(".parquet"))
        .count();
    assert_eq!(docs, 4, "one shard per input file: {:?}", files.keys());
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("stats/filter.json")).unwrap())
            .unwrap();
    assert_eq!(stats["files"], 4);
    let removed = stats["removed"].as_object().unwrap();
    for reason in [
        "read/truncated_record",
        "read/invalid_json",
        "read/empty_text",
        "url/blocked_domain",
        "url/opt_out",
        "words/banned_words",
    ] {
        assert_eq!(
            removed.get(reason).and_then(|v| v.as_u64()),
            Some(1),
            "{reason}: {removed:?}"
        );
    }
    // Markers come last and hold the run metadata (timings) kept out of the outputs.
    for u in 0..4 {
        assert!(dir
            .path()
            .join(format!("_tasks/filter/part-{u:05}.done"))
            .is_file());
    }
    assert!(
        std::fs::read_to_string(dir.path().join("stats/summary.txt"))
            .unwrap()
            .contains("quickstart")
    );
}

#[test]
fn same_bytes_whatever_the_thread_or_task_count() {
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let tasks = tempfile::tempdir().unwrap();
    run_into(one.path(), &["-j", "1"]);
    run_into(two.path(), &["-j", "2"]);
    run_into(tasks.path(), &["--task", "0/3", "-j", "1"]);
    run_into(tasks.path(), &["--task", "2/3", "-j", "1"]);
    run_into(tasks.path(), &["--task", "1/3", "-j", "2"]);
    // A final full run merges the stats (every unit is already done).
    let s = run_into(tasks.path(), &[]);
    assert!(s.contains("documents kept"));
    let a = tree(one.path(), DETERMINISTIC);
    assert_same_tree(&a, &tree(two.path(), DETERMINISTIC));
    assert_same_tree(&a, &tree(tasks.path(), DETERMINISTIC));
}

fn rm(dir: &std::path::Path, rel: &str) {
    let p = dir.join(rel);
    if p.is_dir() {
        std::fs::remove_dir_all(&p).unwrap();
    } else {
        std::fs::remove_file(&p).unwrap();
    }
}

fn rerun(dir: &std::path::Path) -> String {
    let out = tamis(&[
        "run",
        "pipelines/quickstart.toml",
        "--output",
        &dir.to_string_lossy(),
        "--no-progress",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn without_tmp(
    t: std::collections::BTreeMap<String, Vec<u8>>,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    t.into_iter()
        .filter(|(k, _)| !k.ends_with(".tmp"))
        .collect()
}

#[test]
fn rerun_skips_finished_units_and_redoes_lost_ones() {
    let dir = tempfile::tempdir().unwrap();
    run_into(dir.path(), &[]);
    let before = tree(dir.path(), DETERMINISTIC);

    // A crash while filtering unit 2: its marker and shard never landed, a temp file is left
    // behind, and nothing downstream has started.
    for rel in [
        "_tasks/filter/part-00002.done",
        "stages/filter/part-00002.parquet",
        "dedup",
        "docs",
        "removed/dedup",
        "stats/dedup",
        "stats/dedup.json",
    ] {
        rm(dir.path(), rel);
    }
    for step in ["signature", "bucket", "cluster", "apply"] {
        rm(dir.path(), &format!("_tasks/dedup_{step}"));
    }
    std::fs::write(
        dir.path().join("stages/filter/.part-00002.parquet.999.tmp"),
        b"partial",
    )
    .unwrap();
    let stderr = rerun(dir.path());
    assert!(stderr.contains("1 units run, 3 already done"), "{stderr}");
    assert_same_tree(&before, &without_tmp(tree(dir.path(), DETERMINISTIC)));

    // A crash while applying dedup decisions to unit 1.
    rm(dir.path(), "_tasks/dedup_apply/part-00001.done");
    rm(dir.path(), "docs/part-00001.parquet");
    let stderr = rerun(dir.path());
    assert!(stderr.contains("0 units run, 4 already done"), "{stderr}");
    assert_same_tree(&before, &without_tmp(tree(dir.path(), DETERMINISTIC)));
}

#[test]
fn bad_pipelines_stop_with_a_message_that_says_what_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.toml");
    std::fs::write(
        &p,
        "name = \"x\"\nouput = \"typo\"\n[[inputs]]\npaths = [\"x\"]\nsource = \"s\"\n",
    )
    .unwrap();
    let out = tamis(&["run", &p.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ouput"), "names the unknown key: {err}");

    std::fs::write(&p, "name = \"x\"\noutput = \"o\"\n[[inputs]]\npaths = [\"no/such/*.jsonl\"]\nsource = \"bad name/..\"\n").unwrap();
    let out = tamis(&["check", &p.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("inputs[0].source"), "{err}");

    std::fs::write(
        &p,
        "name = \"x\"\noutput = \"o\"\n[[inputs]]\npaths = [\"no/such/*.jsonl\"]\nsource = \"s\"\n",
    )
    .unwrap();
    let out = tamis(&["run", &p.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("matches no file"), "{err}");
}

#[test]
fn stage_by_stage_tasks_give_the_bytes_of_one_full_run() {
    let full = tempfile::tempdir().unwrap();
    run_into(full.path(), &[]);
    let staged = tempfile::tempdir().unwrap();
    let out = staged.path().to_string_lossy().into_owned();
    let listing = tamis_ok(&["stages", "pipelines/quickstart.toml", "-o", &out, "--json"]);
    let stages: Vec<serde_json::Value> = serde_json::from_str(&listing).unwrap();
    let names: Vec<&str> = stages
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "filter",
            "dedup-signature",
            "dedup-bucket",
            "dedup-cluster",
            "dedup-apply",
            "tokens-tokenize",
            "tokens-write",
            "finalize"
        ]
    );
    for s in &stages {
        let name = s["stage"].as_str().unwrap();
        // Two array tasks per stage, as `sbatch --array=0-1` would run them.
        for i in 0..2 {
            let task = format!("{i}/2");
            tamis_ok(&[
                "run",
                "pipelines/quickstart.toml",
                "-o",
                &out,
                "--stage",
                name,
                "--task",
                &task,
                "--no-progress",
            ]);
        }
    }
    let after: Vec<serde_json::Value> = serde_json::from_str(&tamis_ok(&[
        "stages",
        "pipelines/quickstart.toml",
        "-o",
        &out,
        "--json",
    ]))
    .unwrap();
    assert!(after.iter().all(|s| s["units"] == s["done"]), "{after:?}");
    assert_same_tree(
        &tree(full.path(), DETERMINISTIC),
        &tree(staged.path(), DETERMINISTIC),
    );
    // A stage that does not exist is a clear error.
    let bad = tamis(&[
        "run",
        "pipelines/quickstart.toml",
        "-o",
        &out,
        "--stage",
        "dedupe",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("its stages are: filter, dedup-signature")
    );
}
