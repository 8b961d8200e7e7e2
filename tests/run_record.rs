//! A rerun into an output directory resumes only the run that made it (`OUT/_tasks/run.json`):
//! the same pipeline, inputs and assets. Thread count and dedup's memory budget may change (the
//! outputs do not depend on them); a changed setting or input is refused with what changed and
//! the outputs are left as they were; `--restart` starts again and gives a fresh run's bytes.
//! Finalize removes the temporary files a killed writer left.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::*;

/// The quickstart reading copies of its inputs from `dir/in/`, so that the test may change them.
fn setup(dir: &Path) -> String {
    let inputs = dir.join("in");
    std::fs::create_dir_all(&inputs).unwrap();
    for e in std::fs::read_dir(repo().join("samples/quickstart")).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, inputs.join(p.file_name().unwrap())).unwrap();
        }
    }
    let text = std::fs::read_to_string(repo().join("pipelines/quickstart.toml")).unwrap();
    assert!(text.contains("\"samples/quickstart/"));
    text.replace(
        "\"samples/quickstart/",
        &format!("\"{}/", inputs.to_string_lossy()),
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

fn run(pipeline: &str, out: &Path, extra: &[&str]) -> Output {
    let out = out.to_string_lossy();
    let mut args = vec!["run", pipeline, "-o", &out, "--no-progress"];
    args.extend_from_slice(extra);
    tamis(&args)
}

fn ok(o: &Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "tamis failed: {err}");
    err
}

/// Every output file but the markers (they hold timings), with its bytes.
fn outputs(out: &Path) -> BTreeMap<String, Vec<u8>> {
    files_below(out)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(out).unwrap().to_string_lossy().into_owned(),
                p,
            )
        })
        .filter(|(rel, _)| !rel.starts_with("_tasks/"))
        .map(|(rel, p)| {
            let bytes = std::fs::read(&p).unwrap();
            (rel, bytes)
        })
        .collect()
}

/// The same files with the same bytes (named when they differ), `except` left out.
fn assert_same(
    a: &BTreeMap<String, Vec<u8>>,
    b: &BTreeMap<String, Vec<u8>>,
    except: &[&str],
    what: &str,
) {
    let keep = |m: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        m.keys()
            .filter(|k| !except.contains(&k.as_str()))
            .cloned()
            .collect()
    };
    assert_eq!(keep(a), keep(b), "{what}: different files");
    for k in keep(a) {
        assert!(a[&k] == b[&k], "{what}: {k} differs");
    }
}

#[test]
fn a_rerun_resumes_the_same_run_and_refuses_another() {
    let dir = tempfile::tempdir().unwrap();
    let base = setup(dir.path());
    let pipeline = write(dir.path(), "p.toml", &base);
    let out = dir.path().join("out");
    ok(&run(&pipeline, &out, &["-j", "2"]));
    let first = outputs(&out);
    assert!(first.contains_key("manifest.json"));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("_tasks/run.json")).unwrap()).unwrap();
    assert_eq!(record["inputs"].as_array().unwrap().len(), 4, "{record}");
    let assets = listed_paths(&record["assets"]);
    assert!(
        assets.iter().any(|a| a.ends_with("lid.176.ftz"))
            && assets
                .iter()
                .any(|a| a.ends_with("lists/optout_example.txt"))
            && assets.iter().any(|a| a.ends_with("filters/default.toml")),
        "{assets:?}"
    );

    // The same run with another thread count and dedup memory budget: nothing is redone but
    // finalize, which removes a temporary file a killed writer left.
    let leftover = out.join("docs/.part-00000.parquet.4242.tmp");
    std::fs::write(&leftover, b"partial").unwrap();
    let budget = base.replace("[dedup]\n", "[dedup]\nmax_memory_mb = 64\n");
    assert_ne!(budget, base);
    let budget = write(dir.path(), "budget.toml", &budget);
    let err = ok(&run(&budget, &out, &["-j", "1"]));
    assert!(err.contains("filter: 0 units run, 4 already done"), "{err}");
    assert!(err.contains("dedup-signature: 0 units run"), "{err}");
    assert!(!leftover.exists(), "finalize leaves no temporary file");
    // The manifest pins the pipeline as given, budget included.
    assert_same(
        &outputs(&out),
        &first,
        &["manifest.json"],
        "resumed with another budget",
    );

    // Another setting: refused before anything is written, with what changed.
    let heavier = base.replace("fra_Latn = 2.0", "fra_Latn = 3.0");
    assert_ne!(heavier, base);
    let heavier = write(dir.path(), "heavier.toml", &heavier);
    let o = run(&heavier, &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("holds the outputs of another run"), "{err}");
    assert!(err.contains("the pipeline's settings changed"), "{err}");
    assert!(err.contains("--restart"), "{err}");
    assert_same(
        &outputs(&out),
        &first,
        &["manifest.json"],
        "a refused run writes nothing",
    );
    let o = tamis(&["stages", &heavier, "-o", &out.to_string_lossy()]);
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("holds the outputs of another run"),
        "tamis stages warns too"
    );

    // A changed input: refused, naming it.
    let code: PathBuf = dir.path().join("in/code-sample.jsonl");
    let mut text = std::fs::read_to_string(&code).unwrap();
    text.push_str(
        "{\"content\": \"fn main() {\\n    println!(\\\"bonjour\\\");\\n}\\n\", \"date\": \"2024-01-01\"}\n",
    );
    std::fs::write(&code, &text).unwrap();
    let o = run(&pipeline, &out, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("code-sample.jsonl changed size"),
        "the input is named: {err}"
    );
    assert_same(&outputs(&out), &first, &["manifest.json"], "refused");

    // --restart: the run starts again and gives a fresh run's bytes.
    ok(&run(&pipeline, &out, &["--restart"]));
    let fresh = dir.path().join("fresh");
    ok(&run(&pipeline, &fresh, &[]));
    let restarted = outputs(&out);
    assert_same(
        &restarted,
        &outputs(&fresh),
        &[],
        "restart against a fresh run",
    );
    assert!(
        restarted
            .iter()
            .any(|(k, v)| k.starts_with("docs/") && first.get(k) != Some(v)),
        "the added document is in"
    );
    let o = tamis(&[
        "run",
        &pipeline,
        "-o",
        "x",
        "--restart",
        "--stage",
        "filter",
    ]);
    assert_eq!(o.status.code(), Some(2), "--restart is for a whole run");
}
