//! `tamis release optout` on the quickstart release: the next release without the opted-out
//! documents, made without reading, filtering or deduplicating again. It verifies, `diff` and
//! `audit why` give the opt-out entry, its documents and token shards are those of a full run with
//! the list in the pipeline, and it is deterministic, idempotent, resumable after SIGKILL and
//! chainable.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Every output that belongs to a release (completion markers hold timings and are left out).
const RELEASE: &[&str] = &[
    "docs",
    "removed",
    "stats",
    "tokens",
    "dedup",
    "manifest.json",
];

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// A finished quickstart release in `dir/old`.
fn quickstart(dir: &Path) -> PathBuf {
    let old = dir.join("old");
    run_pipeline("pipelines/quickstart.toml", &old);
    old
}

/// The opt-out requests of the tests: a whole domain (its sub-domains: every `*.example.fr` page
/// of the sample) and one page.
fn write_list(dir: &Path) -> PathBuf {
    let list = dir.join("requests-2026-12.txt");
    std::fs::write(
        &list,
        "# 2026-12-01: the publisher of every example.fr site\nexample.fr\n\
         # 2026-12-02: one article\nhttps://kitchen.example.co.uk/bread\n",
    )
    .unwrap();
    list
}

/// The arguments of `tamis release optout OLD --list LIST -o NEW -j THREADS`.
fn optout_args(old: &Path, list: &Path, new: &Path, threads: &str) -> Vec<String> {
    let mut v: Vec<String> = ["release", "optout"].map(String::from).to_vec();
    v.extend([s(old), "--list".into(), s(list), "-o".into(), s(new)]);
    v.extend(["-j".into(), threads.into()]);
    v
}

fn optout(old: &Path, list: &Path, new: &Path, threads: &str) -> String {
    let args = optout_args(old, list, new, threads);
    tamis_ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `tamis release optout …` must fail with exit status 2 and `needle` in its message.
fn optout_fails(old: &Path, list: &Path, new: &Path, needle: &str) {
    let args = optout_args(old, list, new, "1");
    let r = tamis(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let err = String::from_utf8_lossy(&r.stderr).into_owned();
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains(needle), "{needle:?} not in: {err}");
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

fn sha256(p: &Path) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
}

#[test]
fn optout_release_verifies_and_audits_name_the_entry() {
    let dir = tempfile::tempdir().unwrap();
    let old = quickstart(dir.path());
    let list = write_list(dir.path());
    let new = dir.path().join("new");
    let said = optout(&old, &list, &new, "2");
    assert!(said.contains("requests-2026-12: example.fr"), "{said}");

    let v = tamis(&["verify", &s(&new)]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));

    // The diff lists exactly the documents that left, all with reason optout.
    let d = tamis_ok(&["diff", &s(&old), &s(&new), "--list"]);
    let left: Vec<&str> = d.lines().filter(|l| l.starts_with("- ")).collect();
    assert!(left.len() >= 5, "{d}");
    assert!(left.iter().all(|l| l.ends_with("\toptout/opt_out")), "{d}");
    assert!(d.contains("entered   0"), "{d}");

    let o = s(&new);
    let why = |q: &str| tamis_ok(&["audit", "why", &o, q]);
    // A sub-domain of the listed domain, and the listed page.
    let w = why("https://tram.example.fr/ligne");
    assert!(
        w.contains("removed by stage optout, reason opt_out: requests-2026-12: example.fr"),
        "{w}"
    );
    assert!(w.contains("read from docs/part-"), "{w}");
    let w = why("https://kitchen.example.co.uk/bread");
    assert!(
        w.contains("reason opt_out: requests-2026-12: kitchen.example.co.uk/bread"),
        "{w}"
    );
    // What the old release removed is still explained, and the rest is still in.
    assert!(why("http://mirror.example.net/ice").contains("stage dedup"));
    assert!(why("https://stadt.example.de/bahnhof").contains("IN the release"));

    // The manifest pins the previous release and the list; counts agree with the shards.
    let m = manifest(&new);
    let round = &m["optout"][0];
    assert_eq!(
        round["previous_manifest_sha256"].as_str().unwrap(),
        sha256(&old.join("manifest.json"))
    );
    assert_eq!(round["lists"][0]["sha256"].as_str().unwrap(), sha256(&list));
    assert_eq!(round["removed"].as_u64().unwrap(), left.len() as u64);
    assert_eq!(m["removed"]["optout"].as_u64().unwrap(), left.len() as u64);
    assert_eq!(m["documents"], m["counts"]["optout"]["docs_out"]);
    assert_eq!(
        m["documents"].as_u64().unwrap() + left.len() as u64,
        manifest(&old)["documents"].as_u64().unwrap()
    );
    assert!(listed_paths(&m["assets"]).contains(&s(&list).as_str()));
    assert_eq!(m["tokens"]["documents"], m["documents"]);

    // Documents and token shards are those of a full run with the list in the pipeline (none of
    // the opted-out pages had duplicates, so dedup decides the same).
    let text = std::fs::read_to_string(repo().join("pipelines/quickstart.toml")).unwrap();
    let with_list = text.replace(
        "opt_out = [\"lists/optout_example.txt\"]",
        &format!("opt_out = [\"lists/optout_example.txt\", {:?}]", s(&list)),
    );
    assert_ne!(text, with_list);
    let p = dir.path().join("with-list.toml");
    std::fs::write(&p, with_list).unwrap();
    let full = dir.path().join("full");
    run_pipeline(&s(&p), &full);
    let ours = tree(&new, &["docs"]);
    assert_same_tree(&ours, &tree(&full, &["docs"]));
    let shards = |root: &Path| {
        let mut t = tree(root, &["tokens"]);
        t.retain(|k, _| k.ends_with(".bin") || k.ends_with(".idx"));
        t
    };
    assert!(!shards(&new).is_empty());
    assert_same_tree(&shards(&new), &shards(&full));
}

#[test]
fn optout_is_deterministic_idempotent_and_chains() {
    let dir = tempfile::tempdir().unwrap();
    let old = quickstart(dir.path());
    let list = write_list(dir.path());
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    optout(&old, &list, &a, "1");
    optout(&old, &list, &b, "2");
    let want = tree(&a, RELEASE);
    assert_same_tree(&want, &tree(&b, RELEASE));

    // Again into a finished folder: nothing changes. A lost shard (and manifest) is redone.
    let again = optout(&old, &list, &a, "2");
    assert!(again.contains("already done"), "{again}");
    assert_same_tree(&want, &tree(&a, RELEASE));
    std::fs::remove_file(a.join("_tasks/optout/part-00001.done")).unwrap();
    std::fs::remove_file(a.join("docs/part-00001.parquet")).unwrap();
    std::fs::remove_file(a.join("manifest.json")).unwrap();
    optout(&old, &list, &a, "2");
    assert_same_tree(&want, &tree(&a, RELEASE));

    // Another list into the same folder is refused: it holds another job.
    let other = dir.path().join("other.txt");
    std::fs::write(&other, "stadt.example.de\n").unwrap();
    optout_fails(
        &old,
        &other,
        &a,
        "holds an opt-out of another release or list",
    );

    // A second request applied to the new release: a second round, both in the log.
    let c = dir.path().join("c");
    optout(&a, &other, &c, "2");
    let v = tamis(&["verify", &s(&c)]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    let m = manifest(&c);
    assert_eq!(m["optout"].as_array().unwrap().len(), 2);
    assert_eq!(
        m["optout"][1]["previous_manifest_sha256"].as_str().unwrap(),
        sha256(&a.join("manifest.json"))
    );
    let first = manifest(&a)["removed"]["optout"].as_u64().unwrap();
    assert_eq!(m["removed"]["optout"].as_u64().unwrap(), first + 1);
    let why = |q: &str| tamis_ok(&["audit", "why", &s(&c), q]);
    assert!(why("https://tram.example.fr/ligne").contains("requests-2026-12: example.fr"));
    assert!(why("https://stadt.example.de/bahnhof").contains("other: stadt.example.de"));
    let d = tamis_ok(&["diff", &s(&old), &s(&c)]);
    assert!(
        d.contains(&format!("{:<40} {}", "optout/opt_out", first + 1)),
        "{d}"
    );
}

#[test]
fn optout_resumes_after_sigkill_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let old = quickstart(dir.path());
    let list = write_list(dir.path());
    let want_dir = dir.path().join("want");
    optout(&old, &list, &want_dir, "1");
    let want = tree(&want_dir, RELEASE);
    // Killed before the rename of a documents shard, of the rebuilt token shard, of the manifest.
    for (i, hold) in [
        "docs/part-00002.parquet",
        "tokens/part-00000.bin",
        "manifest.json",
    ]
    .iter()
    .enumerate()
    {
        let new = dir.path().join(format!("killed-{i}"));
        let signal = dir.path().join(format!("held-{i}"));
        let mut child = Command::new(tamis_bin())
            .args(optout_args(&old, &list, &new, "1"))
            .current_dir(repo())
            .env("TAMIS_HOLD", hold)
            .env("TAMIS_HOLD_SIGNAL", &signal)
            .spawn()
            .unwrap();
        let t = std::time::Instant::now();
        while !signal.exists() {
            assert!(t.elapsed().as_secs() < 60, "{hold} was never written");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child.kill().unwrap();
        child.wait().unwrap();
        std::fs::remove_file(&signal).unwrap();
        assert!(!new.join(hold).exists(), "{hold} under its final name");
        optout(&old, &list, &new, "2");
        // A killed writer's `.NAME.PID.tmp` stays behind; every file under a final name matches.
        let mut got = tree(&new, RELEASE);
        got.retain(|k, _| !k.rsplit('/').next().unwrap_or("").starts_with('.'));
        assert_same_tree(&want, &got);
    }
}

#[test]
fn optout_refuses_what_it_cannot_do() {
    let dir = tempfile::tempdir().unwrap();
    let list = write_list(dir.path());
    let nothing = dir.path().join("nothing");
    std::fs::create_dir_all(&nothing).unwrap();
    let new = dir.path().join("new");
    optout_fails(&nothing, &list, &new, "not a finished release");
    let old = quickstart(dir.path());
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "ok.example\nhttp://[::1\n").unwrap();
    optout_fails(&old, &bad, &new, &format!("--list {}", bad.display()));
    optout_fails(&old, &list, &old, "another folder than the old one");
    std::fs::remove_file(old.join("tokens/cache/part-00001.rows")).unwrap();
    optout_fails(
        &old,
        &list,
        &new,
        "rebuilt from the old release's token cache",
    );
}
