//! `tamis slurm` on a real Slurm cluster: the quickstart submitted as chained array jobs gives the
//! bytes of a local run; a unit that fails mid-pipeline stops the chain (the stages after it are
//! cancelled, never run), `status` names it, and `resume` finishes with the same bytes.
//!
//! The cluster test runs only when `TAMIS_SLURM_TEST=1` (`.ci/run` sets it after
//! `.ci/slurm-local.sh up`, with `SLURM_CONF` pointing at that cluster); otherwise it says so and
//! passes. The dry-run test needs no Slurm at all and always runs.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::*;

/// What must be byte-identical between a local run and a Slurm run.
const COMPARED: &[&str] = &[
    "docs",
    "removed",
    "stats",
    "dedup",
    "stages",
    "manifest.json",
];
/// Bound on each wait for a submission to settle.
const WAIT: Duration = Duration::from_secs(300);

fn tamis_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tamis"));
    c.args(args).current_dir(repo());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run tamis")
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn status_json(out: &Path) -> (serde_json::Value, Output) {
    let o = tamis_env(&["slurm", "status", &out.to_string_lossy(), "--json"], &[]);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("status --json does not parse ({e}): {}", text(&o)));
    (v, o)
}

/// Poll `tamis slurm status` until the run is no longer queued or running.
fn wait_settled(out: &Path) -> (serde_json::Value, Output) {
    let started = Instant::now();
    loop {
        let (v, o) = status_json(out);
        if v["state"] != "running" {
            eprintln!(
                "slurm test: {} settled as {} after {:.0} s",
                out.display(),
                v["state"],
                started.elapsed().as_secs_f64()
            );
            return (v, o);
        }
        if started.elapsed() > WAIT {
            let logs = std::fs::read_dir(out.join("_slurm/logs"))
                .map(|d| {
                    d.flatten()
                        .map(|e| e.path().display().to_string())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            panic!(
                "{} still running after {WAIT:?}: {}\nlogs: {logs:?}",
                out.display(),
                serde_json::to_string_pretty(&v).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn stage<'a>(status: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    status["stages"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["stage"] == name))
        .unwrap_or_else(|| panic!("no stage {name} in {status}"))
}

/// The cluster's MaxArraySize.
fn max_array_size() -> u64 {
    let o = Command::new("scontrol")
        .args(["show", "config"])
        .output()
        .expect("scontrol");
    let text = String::from_utf8_lossy(&o.stdout);
    let n = text
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == "MaxArraySize").then(|| v.trim().parse().ok())?
        })
        .unwrap_or(1001);
    eprintln!("slurm test: MaxArraySize {n}");
    n
}

/// Cancels whatever a test submitted into its output directories, even when it panics.
struct CancelOnDrop(Vec<std::path::PathBuf>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        for out in &self.0 {
            let Ok(bytes) = std::fs::read(out.join("_slurm/jobs.json")) else {
                continue;
            };
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
                continue;
            };
            let ids: Vec<String> = v["submissions"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|s| s["jobs"].as_array().into_iter().flatten())
                .filter_map(|j| j["job_id"].as_str().map(str::to_string))
                .collect();
            if !ids.is_empty() {
                let _ = Command::new("scancel").args(&ids).output();
            }
        }
    }
}

#[test]
fn quickstart_on_slurm_gives_local_bytes_and_resumes_after_a_failed_unit() {
    if std::env::var("TAMIS_SLURM_TEST").as_deref() != Ok("1") {
        eprintln!(
            "slurm test not requested (set TAMIS_SLURM_TEST=1 with a cluster up: \
             .ci/slurm-local.sh up; export SLURM_CONF=…); passing without running it"
        );
        return;
    }
    assert!(
        repo().join("assets/models/lid.176.ftz").is_file(),
        "the quickstart needs ./setup --assets-only"
    );
    let started = Instant::now();
    // The tasks run on this machine as the same user: a plain temp dir is visible to them.
    let local = tempfile::tempdir().unwrap();
    let good = tempfile::tempdir().unwrap();
    let bad = tempfile::tempdir().unwrap();
    let _cancel = CancelOnDrop(vec![good.path().into(), bad.path().into()]);
    let s = |p: &Path| p.to_string_lossy().into_owned();

    tamis_ok(&[
        "run",
        "pipelines/quickstart.toml",
        "--output",
        &s(local.path()),
        "--no-progress",
    ]);
    let expected = tree(local.path(), COMPARED);

    // Both runs go into the queue at once; the failing one has a failpoint on unit 1 of
    // dedup-signature (the environment reaches the tasks: sbatch exports it).
    // The failing run asks for more tasks than the cluster's MaxArraySize allows (CI makes it
    // 4): its stages must be folded into at most MaxArraySize − 1 array indices.
    let submit = |out: &Path, tasks: &str, env: &[(&str, &str)]| {
        let o = tamis_env(
            &[
                "slurm",
                "submit",
                "pipelines/quickstart.toml",
                "--output",
                &s(out),
                "--tasks",
                tasks,
                "--time",
                "00:10:00",
            ],
            env,
        );
        assert!(o.status.success(), "submit: {}", text(&o));
        eprintln!("{}", String::from_utf8_lossy(&o.stdout));
    };
    submit(good.path(), "2", &[]);
    submit(
        bad.path(),
        "100",
        &[("TAMIS_FAILPOINT", "dedup-signature:1")],
    );
    let max_array_size = max_array_size();
    let scripts = std::fs::read_to_string(good.path().join("_slurm/filter.sbatch")).unwrap();
    assert!(scripts.contains("#SBATCH --time=00:10:00"), "{scripts}");

    // 1. The whole chain ran under Slurm and gave the bytes of the local run.
    let (st, o) = wait_settled(good.path());
    assert_eq!(st["state"], "done", "{}", text(&o));
    assert!(o.status.success());
    assert_same_tree(&expected, &tree(good.path(), COMPARED));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(good.path().join("_slurm/jobs.json")).unwrap())
            .unwrap();
    let jobs = record["submissions"][0]["jobs"].as_array().unwrap();
    let stages: Vec<&str> = jobs.iter().filter_map(|j| j["stage"].as_str()).collect();
    let listed: Vec<serde_json::Value> = serde_json::from_str(&tamis_ok(&[
        "stages",
        "pipelines/quickstart.toml",
        "-o",
        &s(good.path()),
        "--json",
    ]))
    .unwrap();
    let expected_stages: Vec<&str> = listed.iter().filter_map(|s| s["stage"].as_str()).collect();
    assert_eq!(stages, expected_stages, "one job per stage, in order");
    for pair in jobs.windows(2) {
        assert_eq!(pair[1]["after"], pair[0]["job_id"], "chained: {pair:?}");
    }
    let logs = std::fs::read_dir(good.path().join("_slurm/logs"))
        .unwrap()
        .count();
    assert!(logs >= stages.len(), "one log per array task: {logs}");

    // 2. The failing run: folded into few indices; the stage stops, the stages after it are
    // cancelled and never ran.
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bad.path().join("_slurm/jobs.json")).unwrap())
            .unwrap();
    for (job, listed) in record["submissions"][0]["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&listed)
    {
        let units = listed["units"].as_u64().unwrap();
        let width = units.min(100).min(max_array_size - 1);
        assert_eq!(job["width"], width, "{job}");
    }
    let (st, o) = wait_settled(bad.path());
    assert_eq!(st["state"], "failed", "{}", text(&o));
    assert_eq!(
        o.status.code(),
        Some(1),
        "status exits 1 when the run needs resume"
    );
    assert_eq!(stage(&st, "filter")["state"], "done");
    let sig = stage(&st, "dedup-signature");
    assert_eq!(sig["state"], "failed", "{sig}");
    assert_eq!(sig["done"], 3);
    assert_eq!(sig["unfinished_tasks"], serde_json::json!([1]));
    let problem = &sig["problems"][0];
    assert_eq!(problem["index"], 1, "{sig}");
    assert_eq!(problem["state"], "FAILED", "{sig}");
    let log = problem["log"].as_str().expect("log of the failed task");
    let log = std::fs::read_to_string(log).unwrap();
    assert!(log.contains("injected failure"), "{log}");
    for later in expected_stages.iter().skip(2) {
        let s = stage(&st, later);
        assert_eq!(s["state"], "cancelled", "{s}");
        assert_eq!(s["done"], 0, "{s}");
    }
    let human = tamis_env(&["slurm", "status", &s(bad.path())], &[]);
    let human_text = String::from_utf8_lossy(&human.stdout);
    assert!(
        human_text.contains("dedup-signature") && human_text.contains("failed"),
        "{human_text}"
    );
    assert!(human_text.contains("tamis slurm resume"), "{human_text}");
    // Nothing downstream ran: no marker, no document.
    assert!(!bad.path().join("_tasks/dedup_bucket").exists());
    assert!(!bad.path().join("docs").exists());

    // 3. Resume, without the failpoint: only task 1 of dedup-signature, then the rest.
    let o = tamis_env(
        &[
            "slurm",
            "resume",
            "pipelines/quickstart.toml",
            "--output",
            &s(bad.path()),
        ],
        &[],
    );
    assert!(o.status.success(), "resume: {}", text(&o));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bad.path().join("_slurm/jobs.json")).unwrap())
            .unwrap();
    let resumed = &record["submissions"][1];
    assert_eq!(resumed["command"], "resume");
    assert_eq!(resumed["jobs"][0]["stage"], "dedup-signature");
    assert_eq!(resumed["jobs"][0]["indices"], serde_json::json!([1]));
    assert_eq!(
        resumed["jobs"].as_array().map(|j| j.len()),
        Some(expected_stages.len() - 1),
        "filter is done and not resubmitted"
    );
    let (st, o) = wait_settled(bad.path());
    assert_eq!(st["state"], "done", "{}", text(&o));
    assert_same_tree(&expected, &tree(bad.path(), COMPARED));
    // Nothing left to do.
    let again = tamis_env(
        &[
            "slurm",
            "resume",
            "pipelines/quickstart.toml",
            "--output",
            &s(bad.path()),
        ],
        &[],
    );
    assert!(again.status.success(), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to resume"));
    eprintln!(
        "slurm test: done in {:.0} s",
        started.elapsed().as_secs_f64()
    );
}

#[test]
fn dry_run_prints_chained_scripts_and_writes_nothing_without_slurm() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // No Slurm command on PATH: MaxArraySize falls back to Slurm's default.
    let o = tamis_env(
        &[
            "slurm",
            "submit",
            "pipelines/quickstart.toml",
            "--output",
            &out.to_string_lossy(),
            "--tasks",
            "3",
            "--max-parallel",
            "2",
            "--account",
            "abc@cpu",
            "--partition",
            "cpu_p1",
            "--qos",
            "qos_cpu-t3",
            "--time",
            "20:00:00",
            "--sbatch-arg=--hint=nomultithread",
            "--stage-sbatch-arg",
            "dedup-cluster=--mem=64G",
            "--dry-run",
        ],
        &[("PATH", "/nonexistent")],
    );
    assert!(o.status.success(), "{}", text(&o));
    let t = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "#SBATCH --account=abc@cpu",
        "#SBATCH --partition=cpu_p1",
        "#SBATCH --qos=qos_cpu-t3",
        "#SBATCH --time=20:00:00",
        "#SBATCH --hint=nomultithread",
        "#SBATCH --mem=64G",
        "--stage dedup-signature --task \"$i/3\"",
        "job1=$(sbatch --parsable --array=0-2%2 ",
        "--dependency=afterok:$job1 --kill-on-invalid-dep=yes",
        "/_slurm/finalize.sbatch)",
    ] {
        assert!(t.contains(needle), "{needle:?} not in:\n{t}");
    }
    assert_eq!(t.matches("#SBATCH --mem=64G").count(), 1, "one stage only");
    assert!(String::from_utf8_lossy(&o.stderr).contains("MaxArraySize unknown"));
    assert!(!out.exists(), "a dry run writes nothing");
    // A stage name that does not exist is refused with the list.
    let o = tamis_env(
        &[
            "slurm",
            "submit",
            "pipelines/quickstart.toml",
            "--output",
            &out.to_string_lossy(),
            "--stage-sbatch-arg",
            "dedupe=--mem=1G",
            "--dry-run",
        ],
        &[("PATH", "/nonexistent")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("its stages are: filter, dedup-signature"));
}
