//! `tamis audit sql` on the real quickstart release: counts by reason agree with the stats,
//! a join finds each duplicate's survivor among the kept documents, scripts get CSV and JSON,
//! and bad queries, missing tables and a missing OUT are clear errors with exit status 2.
//!
//! `tamis` is the binary `cargo test --workspace` builds beside this crate's; `tamis audit sql`
//! finds `tamis-sql` beside itself (one test), or through `$TAMIS_SQL` (cargo's path of it).

#[path = "../../../tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use common::*;

/// The quickstart release, run once for every test of this file.
fn release() -> &'static Path {
    static OUT: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = OUT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        run_pipeline("pipelines/quickstart.toml", &out);
        (dir, out)
    });
    out
}

/// `tamis audit sql OUT QUERY --format FORMAT`, with cargo's tamis-sql.
fn sql(out: &Path, query: &str, format: &str) -> Output {
    Command::new(tamis_bin())
        .args(["audit", "sql"])
        .arg(out)
        .args([query, "--format", format])
        .env("TAMIS_SQL", env!("CARGO_BIN_EXE_tamis-sql"))
        .current_dir(repo())
        .output()
        .expect("run tamis")
}

fn rows(query: &str) -> Vec<serde_json::Value> {
    let o = sql(release(), query, "json");
    assert!(
        o.status.success(),
        "{query}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Value>>(&o.stdout).unwrap()
}

/// `(key, n)` pairs of a result with those two columns.
fn pairs(query: &str) -> Vec<(String, u64)> {
    rows(query)
        .iter()
        .map(|r| {
            (
                r["key"].as_str().unwrap().to_string(),
                r["n"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn counts_by_reason_in_the_removed_log_equal_the_stats() {
    let from_log = pairs(
        "SELECT concat(stage, '/', reason) AS key, count(*) AS n FROM removed \
         GROUP BY stage, reason ORDER BY key",
    );
    let from_stats = pairs(
        "SELECT key, sum(value) AS n FROM stats WHERE metric = 'removed' \
         GROUP BY key ORDER BY key",
    );
    assert_eq!(from_log, from_stats);
    let keys: Vec<&str> = from_log.iter().map(|(k, _)| k.as_str()).collect();
    for k in ["dedup/exact_duplicate", "lid/low_lang_score", "url/opt_out"] {
        assert!(keys.contains(&k), "{k} not in {keys:?}");
    }
    // And the documents table against the counts of the last stage.
    let kept = rows("SELECT lang AS key, count(*) AS n FROM docs GROUP BY lang ORDER BY lang");
    let stats = rows(
        "SELECT key, value AS n FROM stats WHERE stage = 'dedup' AND metric = 'kept_by_lang' \
         ORDER BY key",
    );
    assert!(!kept.is_empty());
    assert_eq!(kept, stats);
}

#[test]
fn a_join_finds_the_survivor_of_every_duplicate() {
    let dups = rows("SELECT count(*) AS n FROM removed WHERE stage = 'dedup'");
    let n = dups[0]["n"].as_u64().unwrap();
    assert!(n >= 1);
    let joined = rows(
        "WITH d AS (SELECT url, split_part(detail, ' ', 2) AS survivor FROM removed \
         WHERE stage = 'dedup') \
         SELECT d.url AS copy, docs.url AS kept, docs.cluster_size FROM d \
         JOIN docs ON d.survivor = docs.id ORDER BY copy",
    );
    assert_eq!(joined.len() as u64, n, "{joined:?}");
    let ice = joined
        .iter()
        .find(|r| r["copy"] == "https://mirror.example.net/ice")
        .unwrap_or_else(|| panic!("{joined:?}"));
    assert!(ice["kept"]
        .as_str()
        .unwrap()
        .contains("riverside-town.example"));
    assert!(ice["cluster_size"].as_u64().unwrap() >= 2);
}

#[test]
fn table_and_csv_for_people_and_scripts() {
    let q = "SELECT stage, count(*) AS n FROM removed GROUP BY stage ORDER BY stage";
    let t = sql(release(), q, "table");
    assert!(t.status.success(), "{}", String::from_utf8_lossy(&t.stderr));
    let t = String::from_utf8_lossy(&t.stdout);
    assert!(
        t.contains("stage") && t.contains("dedup") && t.contains("lid"),
        "{t}"
    );
    let c = sql(release(), q, "csv");
    let c = String::from_utf8_lossy(&c.stdout).into_owned();
    let lines: Vec<&str> = c.lines().collect();
    assert_eq!(lines[0], "stage,n");
    let from_json: Vec<String> = rows(q)
        .iter()
        .map(|r| format!("{},{}", r["stage"].as_str().unwrap(), r["n"]))
        .collect();
    assert_eq!(lines[1..], from_json[..]);
    // A detail with a comma is quoted.
    let c = sql(
        release(),
        "SELECT detail FROM removed WHERE detail LIKE '%,%' LIMIT 1",
        "csv",
    );
    let c = String::from_utf8_lossy(&c.stdout).into_owned();
    if let Some(line) = c.lines().nth(1) {
        assert!(line.starts_with('"') && line.ends_with('"'), "{line}");
    }
}

#[test]
fn bad_queries_and_missing_tables_are_clear_errors() {
    let fail = |out: &Path, q: &str, needle: &str| {
        let o = sql(out, q, "table");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{q}: {err}");
        assert!(err.contains(needle), "{q}: {needle:?} not in {err}");
        assert!(o.stdout.is_empty());
    };
    fail(release(), "SELEC id FROM docs", "SQL:");
    fail(
        release(),
        "SELECT no_such_column FROM docs",
        "no_such_column",
    );
    fail(release(), "SELECT * FROM nope", "tables of");
    let dir = tempfile::tempdir().unwrap();
    fail(&dir.path().join("missing"), "SELECT 1", "no such directory");
    // A folder with stats only: `removed` is named as missing.
    let stats_only = dir.path().join("stats-only");
    std::fs::create_dir_all(stats_only.join("stats")).unwrap();
    std::fs::copy(
        release().join("stats/filter.json"),
        stats_only.join("stats/filter.json"),
    )
    .unwrap();
    fail(
        &stats_only,
        "SELECT count(*) FROM removed",
        "removed (missing: no removed/*.parquet)",
    );
}

#[test]
fn tamis_finds_tamis_sql_beside_itself() {
    let o = Command::new(tamis_bin())
        .args(["audit", "sql"])
        .arg(release())
        .args(["SELECT count(*) AS n FROM docs", "--format", "csv"])
        .env_remove("TAMIS_SQL")
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(release().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        format!("n\n{}\n", m["documents"])
    );
}
