//! Governance on the quickstart release: the manifest verifies and catches tampering, audits say
//! why a planted URL is missing, and a diff between two releases gives the reason each document
//! left.

mod common;

use common::*;

fn run(out: &std::path::Path, pipeline: &str) {
    run_pipeline(pipeline, out);
}

#[test]
fn manifest_verifies_and_catches_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&out, "pipelines/quickstart.toml");
    let ok = tamis(&["verify", &out.to_string_lossy()]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );

    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["inputs"].as_array().unwrap().len(), 4);
    let assets = listed_paths(&m["assets"]);
    assert!(
        assets.iter().any(|a| a.ends_with("lid.176.ftz")),
        "{assets:?}"
    );
    assert!(
        assets.iter().any(|a| a.ends_with("filters/default.toml")),
        "{assets:?}"
    );
    assert!(
        m["pipeline"]["output"].is_null(),
        "where OUT is does not belong in the manifest"
    );
    assert_eq!(
        m["documents"].as_u64(),
        m["counts"]["dedup"]["docs_out"].as_u64()
    );

    // Tamper: one byte appended to a shard, one removed-log shard deleted, one stray file.
    let shard = out.join("docs/part-00001.parquet");
    let mut bytes = std::fs::read(&shard).unwrap();
    bytes.push(0);
    std::fs::write(&shard, bytes).unwrap();
    std::fs::remove_file(out.join("removed/filter/part-00000.parquet")).unwrap();
    std::fs::write(out.join("docs/part-99999.parquet"), b"not parquet").unwrap();
    let bad = tamis(&["verify", &out.to_string_lossy()]);
    assert_eq!(bad.status.code(), Some(1));
    let report = String::from_utf8_lossy(&bad.stdout);
    assert!(
        report.contains("output docs/part-00001.parquet: sha256 differs"),
        "{report}"
    );
    assert!(
        report.contains("output removed/filter/part-00000.parquet: cannot be read"),
        "{report}"
    );
    assert!(
        report.contains("output docs/part-99999.parquet: not in the manifest"),
        "{report}"
    );
}

#[test]
fn audit_why_names_the_stage_reason_and_cause() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&out, "pipelines/quickstart.toml");
    let o = out.to_string_lossy().into_owned();
    let why = |q: &str| tamis_ok(&["audit", "why", &o, q]);
    let s = why("https://kilimo.example.tz/mahindi");
    assert!(
        s.contains("removed by stage lid, reason low_lang_score"),
        "{s}"
    );
    let s = why("https://spam.example.biz/watches");
    assert!(s.contains("stage quality"), "{s}");
    let s = why("http://mirror.example.net/ice");
    assert!(
        s.contains("stage dedup, reason exact_duplicate: survivor"),
        "{s}"
    );
    let s = why("tram.example.fr/ligne");
    assert!(s.contains("IN the release"), "{s}");
    let s = why("https://never-crawled.example/");
    assert!(s.contains("not in this run at all"), "{s}");
    // Damaged records are findable too.
    let s = why("https://www.riverside-town.example/bus");
    assert!(s.contains("stage read, reason truncated_record"), "{s}");
    let json: serde_json::Value = serde_json::from_str(&tamis_ok(&[
        "audit",
        "why",
        &o,
        "https://kilimo.example.tz/mahindi",
        "--json",
    ]))
    .unwrap();
    assert_eq!(json[0]["Removed"]["reason"], "low_lang_score");
}

#[test]
fn diff_between_releases_gives_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old");
    let new = dir.path().join("new");
    run(&old, "pipelines/quickstart.toml");
    // The next release keeps only English and French.
    let text = std::fs::read_to_string(repo().join("pipelines/quickstart.toml")).unwrap();
    let narrowed = text.replace("[filters.lid]\n", "[filters.lid]\nlanguages = [\"en\", \"fr\"]\ncode_languages = [\"python\", \"rust\", \"javascript\"]\n");
    assert_ne!(text, narrowed);
    let p = dir.path().join("narrow.toml");
    std::fs::write(&p, narrowed).unwrap();
    run(&new, &p.to_string_lossy());
    let s = tamis_ok(&[
        "diff",
        &old.to_string_lossy(),
        &new.to_string_lossy(),
        "--list",
    ]);
    assert!(s.contains("lid/unwanted_language"), "{s}");
    assert!(s.contains("entered   0"), "{s}");
    let left: usize = s.lines().filter(|l| l.starts_with("- ")).count();
    assert!(left >= 8, "{s}");
}

/// `tamis audit sql` runs the `tamis-sql` binary beside `tamis` (polars stays out of the core
/// build); without it, the error gives the exact build command.
#[test]
fn audit_sql_without_tamis_sql_says_how_to_build_it() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let lone = dir.path().join("tamis");
    if std::fs::hard_link(tamis_bin(), &lone).is_err() {
        std::fs::copy(tamis_bin(), &lone).unwrap();
    }
    let o = std::process::Command::new(&lone)
        .args(["audit", "sql", "out/quickstart", "SELECT 1"])
        .env_remove("TAMIS_SQL")
        .current_dir(repo())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("tamis-sql binary, which is not built"),
        "{err}"
    );
    assert!(err.contains("cargo build -p tamis-sql"), "{err}");
    let o = std::process::Command::new(&lone)
        .args(["audit", "sql", "out/quickstart", "SELECT 1"])
        .env("TAMIS_SQL", dir.path().join("nowhere"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("TAMIS_SQL="));
}
