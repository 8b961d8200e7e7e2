//! Crash and resume: `tamis run` killed with SIGKILL at points spread over the run (filtering,
//! each dedup step, tokenizing, ordering and shard writing, finalizing), then rerun: the output
//! is byte-identical to an uninterrupted run, and what the crash left never shows a partial or
//! wrong file under a final name. The same for a full disk (a small tmpfs) and for an input that
//! cannot be read.
//!
//! Kill points are chosen with `TAMIS_HOLD` (see `src/exec/failpoint.rs`): the run stops after the
//! named file's temporary copy is written and synced, before its rename, and the test kills it
//! there. A second set kills at fixed fractions of the reference run's wall time, wherever the
//! run happens to be.
//!
//! Compared: every file of the output except the completion markers under `_tasks/` (they hold
//! timings, as README says; their names are compared). Temporary files (`.NAME.PID.tmp`) that a
//! SIGKILLed writer cannot remove may stay until the rerun's finalize, which removes them.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;

/// Quickstart with every stage, and token shards small enough that there are several.
fn pipeline_text() -> String {
    let text = std::fs::read_to_string(repo().join("pipelines/quickstart.toml")).unwrap();
    let tok = "tokenizer = { type = \"tiktoken\", encoding = \"o200k_base\" }\n";
    assert!(text.contains(tok), "quickstart.toml changed its [tokens]");
    text.replace(tok, &format!("{tok}shard_tokens = 400\n"))
}

/// A temporary directory holding the pipeline file.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.toml"), pipeline_text()).unwrap();
        Setup { dir }
    }
    fn pipeline(&self) -> String {
        self.dir
            .path()
            .join("p.toml")
            .to_string_lossy()
            .into_owned()
    }
    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn command(pipeline: &str, out: &Path, threads: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tamis"));
    c.args([
        "run",
        pipeline,
        "--output",
        &out.to_string_lossy(),
        "--no-progress",
        "-j",
        threads,
    ])
    .current_dir(repo())
    .env_remove("TAMIS_HOLD")
    .env_remove("TAMIS_HOLD_SIGNAL")
    .env_remove("TAMIS_FAILPOINT");
    c
}

/// Every file below `root`: (outputs by relative path with their bytes, marker names, temp names).
struct Snapshot {
    files: BTreeMap<String, Vec<u8>>,
    markers: BTreeSet<String>,
    temps: Vec<String>,
}

fn snapshot(root: &Path) -> Snapshot {
    let mut s = Snapshot {
        files: BTreeMap::new(),
        markers: BTreeSet::new(),
        temps: Vec::new(),
    };
    for p in common::files_below(root) {
        let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".tmp") {
            s.temps.push(rel);
        } else if rel.starts_with("_tasks/") {
            s.markers.insert(rel);
        } else {
            let bytes = std::fs::read(&p).unwrap();
            s.files.insert(rel, bytes);
        }
    }
    s
}

/// The uninterrupted run every crash is compared with, and its wall time.
struct Reference {
    snap: Snapshot,
    seconds: f64,
}

fn reference() -> &'static Reference {
    static R: OnceLock<Reference> = OnceLock::new();
    R.get_or_init(|| {
        let setup = Setup::new();
        let out = setup.out("reference");
        let t = Instant::now();
        let o = command(&setup.pipeline(), &out, "2").output().unwrap();
        let seconds = t.elapsed().as_secs_f64();
        assert!(
            o.status.success(),
            "reference run failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let snap = snapshot(&out);
        assert!(snap.temps.is_empty(), "a clean run leaves no temp file");
        for stage in [
            "filter",
            "dedup_signature",
            "dedup_bucket",
            "dedup_cluster",
            "dedup_apply",
            "tokens_tokenize",
            "tokens_write",
            "finalize",
        ] {
            assert!(
                snap.markers
                    .iter()
                    .any(|m| m.starts_with(&format!("_tasks/{stage}/"))),
                "the reference run has no {stage} marker: {:?}",
                snap.markers
            );
        }
        let shards = snap
            .files
            .keys()
            .filter(|k| k.starts_with("tokens/part-") && k.ends_with(".bin"))
            .count();
        assert!(shards >= 3, "several token shards expected, got {shards}");
        Reference { snap, seconds }
    })
}

/// What a crash left must be a subset of the reference: every file present under its final name
/// has the reference's bytes (so none is partial), every marker is one the reference has.
fn assert_crash_leftovers_are_final(out: &Path, what: &str) -> Snapshot {
    leftovers_are_final(reference(), out, what)
}

fn leftovers_are_final(r: &Reference, out: &Path, what: &str) -> Snapshot {
    let s = snapshot(out);
    for (k, v) in &s.files {
        match r.snap.files.get(k) {
            None => panic!("{what}: {k} is not an output of the uninterrupted run"),
            Some(want) => assert!(
                v == want,
                "{what}: {k} differs from the uninterrupted run ({} vs {} bytes): partial or wrong",
                v.len(),
                want.len()
            ),
        }
    }
    for m in &s.markers {
        assert!(r.snap.markers.contains(m), "{what}: unexpected marker {m}");
    }
    s
}

/// The rerun to completion gives the reference's bytes.
fn assert_same_as_reference(out: &Path, what: &str) {
    same_as(reference(), out, what)
}

fn same_as(r: &Reference, out: &Path, what: &str) {
    let s = snapshot(out);
    let want: Vec<&String> = r.snap.files.keys().collect();
    let got: Vec<&String> = s.files.keys().collect();
    assert_eq!(got, want, "{what}: different file sets");
    for (k, v) in &r.snap.files {
        assert!(&s.files[k] == v, "{what}: {k} differs after resuming");
    }
    assert_eq!(s.markers, r.snap.markers, "{what}: different markers");
    // Finalize, which every completed run ends with, removes what killed writers left.
    assert!(s.temps.is_empty(), "{what}: temp files left: {:?}", s.temps);
}

/// Start a run that stops at `hold` and wait until it is there. Returns the child (held) and the
/// path of the file it is about to rename. Panics if the run ends without reaching the point.
fn run_to_hold(setup: &Setup, out: &Path, hold: &str, threads: &str) -> (Child, PathBuf) {
    let signal = setup.dir.path().join("held");
    let _ = std::fs::remove_file(&signal);
    let child = command(&setup.pipeline(), out, threads)
        .env("TAMIS_HOLD", hold)
        .env("TAMIS_HOLD_SIGNAL", &signal)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_hold(child, &signal, hold)
}

/// Wait until a run started with `TAMIS_HOLD` is held (see [`run_to_hold`]).
fn wait_for_hold(mut child: Child, signal: &Path, hold: &str) -> (Child, PathBuf) {
    // A guard against a hang, not a timing assertion: a debug run takes a few seconds.
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Ok(target) = std::fs::read_to_string(signal) {
            if !target.is_empty() {
                return (child, PathBuf::from(target));
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status:?}) without reaching the hold point {hold}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("hold point {hold} not reached in 300 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
}

fn finish(setup: &Setup, out: &Path, threads: &str) {
    let o = command(&setup.pipeline(), out, threads).output().unwrap();
    assert!(
        o.status.success(),
        "rerun failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Kill points: the file about to be renamed when the run is killed. In order of the run.
const HOLD_POINTS: &[&str] = &[
    // filtering: a kept-docs shard, a removed log, the last unit's marker
    "stages/filter/part-00001.parquet",
    "removed/filter/part-00002.parquet",
    "_tasks/filter/part-00003.done",
    // dedup: signatures, bucketing, clustering, applying
    "dedup/meta/part-00002.bin",
    "dedup/pairs/band-05.bin",
    "dedup/decisions/part-00001.jsonl",
    "docs/part-00002.parquet",
    "removed/dedup/part-00003.parquet",
    // tokens: the per-unit cache, then (after ordering) the shards, the summary
    "tokens/cache/part-00002.tok",
    "tokens/part-00000.bin",
    "tokens/part-00001.idx",
    "tokens/summary.json",
    // finalize
    "stats/filter.json",
    "manifest.json",
    "_tasks/finalize/part-00000.done",
];

/// Kill once at each point (each in a fresh output directory), resume, compare.
#[test]
fn killed_at_each_stage_then_rerun_gives_the_same_bytes() {
    let setup = Setup::new();
    for (i, hold) in HOLD_POINTS.iter().enumerate() {
        let out = setup.out(&format!("out-{i}"));
        let threads = if i % 2 == 0 { "1" } else { "2" };
        let (child, target) = run_to_hold(&setup, &out, hold, threads);
        // Held after the temp file is synced, before the rename: the temp is there, the final
        // name is not.
        assert!(target.ends_with(hold), "{target:?}");
        assert!(!target.exists(), "{hold}: visible before its rename");
        let temps = snapshot(&out).temps;
        assert!(
            temps.iter().any(|t| {
                let n = Path::new(t)
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                let want = Path::new(hold).file_name().unwrap().to_string_lossy();
                n.starts_with(&format!(".{want}.")) && n.ends_with(".tmp")
            }),
            "{hold}: no temp file in {temps:?}"
        );
        kill(child);
        let what = format!("killed before renaming {hold}");
        let left = assert_crash_leftovers_are_final(&out, &what);
        assert!(
            !left.temps.is_empty(),
            "{what}: the killed writer's temp file"
        );
        finish(&setup, &out, "2");
        assert_same_as_reference(&out, &what);
    }
}

/// One output directory crashed again and again, each resumed run killed at a later point.
#[test]
fn killed_repeatedly_while_resuming_then_finished_gives_the_same_bytes() {
    let setup = Setup::new();
    let out = setup.out("out");
    for hold in [
        "removed/filter/part-00001.parquet",
        "dedup/meta/part-00000.bin",
        "dedup/decisions/part-00000.jsonl",
        "docs/part-00001.parquet",
        "tokens/cache/part-00000.rows",
        "tokens/part-00002.bin",
        "manifest.json",
    ] {
        let (child, _) = run_to_hold(&setup, &out, hold, "1");
        kill(child);
        assert_crash_leftovers_are_final(&out, &format!("chain, killed at {hold}"));
    }
    finish(&setup, &out, "1");
    assert_same_as_reference(&out, "killed seven times in a row");
}

/// Kill at fixed fractions of the reference's wall time, wherever the run is then.
#[test]
fn killed_at_fractions_of_the_run_then_rerun_gives_the_same_bytes() {
    let r = reference();
    let setup = Setup::new();
    for (i, frac) in [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95].iter().enumerate() {
        let out = setup.out(&format!("t-{i}"));
        let mut child = command(&setup.pipeline(), &out, "2")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs_f64(r.seconds * frac));
        let finished = child.try_wait().unwrap().is_some();
        kill_or_reap(child);
        let what = format!("killed at {:.0}% of the run", frac * 100.0);
        let left = assert_crash_leftovers_are_final(&out, &what);
        eprintln!(
            "{what}: {} outputs, {} markers in place{}",
            left.files.len(),
            left.markers.len(),
            if finished { " (it had finished)" } else { "" }
        );
        finish(&setup, &out, "2");
        assert_same_as_reference(&out, &what);
    }
}

fn kill_or_reap(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A copy of the quickstart inputs in a temporary directory, with a pipeline reading them there,
/// so a test can break and repair them. Its reference run is made the same way.
struct OwnInputs {
    setup: Setup,
    inputs: PathBuf,
}

impl OwnInputs {
    fn new() -> OwnInputs {
        let setup = Setup::new();
        let inputs = setup.dir.path().join("inputs");
        std::fs::create_dir(&inputs).unwrap();
        for e in std::fs::read_dir(repo().join("samples/quickstart")).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, inputs.join(p.file_name().unwrap())).unwrap();
        }
        let text = pipeline_text().replace(
            "\"samples/quickstart/",
            &format!("\"{}/", inputs.to_string_lossy()),
        );
        assert!(text.contains(&*inputs.to_string_lossy()));
        std::fs::write(setup.dir.path().join("p.toml"), text).unwrap();
        OwnInputs { setup, inputs }
    }

    fn reference(&self) -> Reference {
        let out = self.setup.out("reference");
        finish(&self.setup, &out, "2");
        let snap = snapshot(&out);
        assert!(snap.files.contains_key("manifest.json"));
        Reference { snap, seconds: 0.0 }
    }
}

#[test]
fn an_input_that_is_a_broken_link_stops_the_run_before_it_starts() {
    let own = OwnInputs::new();
    let r = own.reference();
    let wet = own.inputs.join("CC-MAIN-2024-22-sample.warc.wet.gz");
    let saved = own.setup.dir.path().join("saved.wet.gz");
    std::fs::rename(&wet, &saved).unwrap();
    std::os::unix::fs::symlink(own.setup.dir.path().join("nowhere"), &wet).unwrap();

    let out = own.setup.out("out");
    let o = command(&own.setup.pipeline(), &out, "2").output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("CC-MAIN-2024-22-sample.warc.wet.gz") && err.contains("broken symbolic link"),
        "names the file and the problem: {err}"
    );
    let left = snapshot(&out);
    assert!(
        left.files.is_empty() && left.markers.is_empty(),
        "nothing written"
    );

    std::fs::remove_file(&wet).unwrap();
    std::fs::rename(&saved, &wet).unwrap();
    finish(&own.setup, &out, "2");
    same_as(&r, &out, "after repairing the link");
}

#[test]
fn an_input_replaced_by_a_directory_mid_run_fails_its_unit_and_a_rerun_repairs_it() {
    let own = OwnInputs::new();
    let r = own.reference();
    let out = own.setup.out("out");
    let signal = own.setup.dir.path().join("held");
    let child = command(&own.setup.pipeline(), &out, "1")
        .env("TAMIS_HOLD", "_tasks/filter/part-00000.done")
        .env("TAMIS_HOLD_SIGNAL", &signal)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (child, _) = wait_for_hold(child, &signal, "_tasks/filter/part-00000.done");
    // Unit 0 is finishing; the web sample (a later unit) becomes unreadable, then the run goes on.
    let web = own.inputs.join("web-sample.jsonl.gz");
    let saved = own.setup.dir.path().join("saved.jsonl.gz");
    std::fs::rename(&web, &saved).unwrap();
    std::fs::create_dir(&web).unwrap();
    std::fs::remove_file(&signal).unwrap();
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("web-sample.jsonl.gz") && err.contains("cannot read the input file"),
        "names the file: {err}"
    );
    let left = leftovers_are_final(&r, &out, "unit failed on an unreadable input");
    let filter_markers = left
        .markers
        .iter()
        .filter(|m| m.starts_with("_tasks/filter/"))
        .count();
    assert_eq!(
        filter_markers, 3,
        "the failed unit has no marker: {:?}",
        left.markers
    );
    assert!(
        !left.markers.iter().any(|m| m.starts_with("_tasks/dedup")),
        "later stages do not start after a failed unit: {:?}",
        left.markers
    );
    assert!(
        left.temps.is_empty(),
        "a failed unit removes its temp files: {:?}",
        left.temps
    );

    std::fs::remove_dir(&web).unwrap();
    std::fs::rename(&saved, &web).unwrap();
    finish(&own.setup, &out, "1");
    same_as(&r, &out, "after the input is readable again");
}

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, pages: u64) -> Result<Tmpfs, String> {
        std::fs::create_dir_all(dir).unwrap();
        let o = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("nr_blocks={pages}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !o.status.success() {
            return Err(String::from_utf8_lossy(&o.stderr).trim().to_string());
        }
        Ok(Tmpfs(dir.to_path_buf()))
    }

    fn resize(&self, pages: u64) {
        let o = Command::new("mount")
            .args(["-o", &format!("remount,nr_blocks={pages}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_a_rerun_with_space_gives_the_same_bytes() {
    let r = reference();
    let setup = Setup::new();
    // The pages the finished output occupies on a tmpfs (a marker takes one); any smaller disk
    // must run out of space somewhere in the run.
    let pages: u64 = r
        .snap
        .files
        .values()
        .map(|v| (v.len() as u64).div_ceil(4096))
        .sum::<u64>()
        + r.snap.markers.len() as u64;
    for (i, frac) in [0.1, 0.4, 0.7, 0.95].iter().enumerate() {
        let size = ((pages as f64) * frac) as u64;
        let disk = match Tmpfs::mount(&setup.out(&format!("disk-{i}")), size.max(1)) {
            Ok(d) => d,
            Err(why) => {
                eprintln!("SKIPPED: full-disk test needs `mount -t tmpfs` (as root): {why}");
                return;
            }
        };
        let out = disk.0.join("out");
        let o = command(&setup.pipeline(), &out, "1").output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        let what = format!("disk of {size} pages of {pages} needed");
        assert_eq!(o.status.code(), Some(1), "{what}: {err}");
        assert!(
            err.contains("No space left on device"),
            "{what}: says why: {err}"
        );
        let left = leftovers_are_final(r, &out, &what);
        assert!(
            left.temps.is_empty(),
            "{what}: failed writes remove their temp files: {:?}",
            left.temps
        );
        eprintln!(
            "{what}: stopped with {} outputs and {} markers in place",
            left.files.len(),
            left.markers.len()
        );
        disk.resize(pages * 4);
        finish(&setup, &out, "1");
        same_as(r, &out, &format!("{what}, then rerun with space"));
    }
}
