//! Incremental releases: a new crawl deduplicated against the signature index of an earlier
//! release does not release again what was released before; and `tamis dedup` alone gives the
//! same bytes with one or two threads.

mod common;

use common::*;

fn udhr_docs(lang: &str) -> Vec<String> {
    let text = std::fs::read_to_string(shared_data().join(format!("udhr/{lang}.txt"))).unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.chars().count() > 30)
        .collect();
    lines.chunks(3).map(|c| c.join("\n")).collect()
}

fn write_jsonl(path: &std::path::Path, docs: &[(String, String, &str)]) {
    let body: Vec<String> = docs
        .iter()
        .map(|(id, text, date)| {
            serde_json::json!({"id": id, "text": text, "date": date}).to_string()
        })
        .collect();
    std::fs::write(path, body.join("\n") + "\n").unwrap();
}

fn count(out: &std::path::Path, key: &str) -> u64 {
    let stats: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("stats/dedup.json")).unwrap()).unwrap();
    stats["removed"][key].as_u64().unwrap_or(0)
}

#[test]
fn a_second_release_does_not_release_again_what_the_first_did() {
    let dir = tempfile::tempdir().unwrap();
    let fr = udhr_docs("fr");
    let de = udhr_docs("de");
    assert!(fr.len() >= 6 && de.len() >= 6);
    let first: Vec<(String, String, &str)> = fr
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("fr-{i}"), t.clone(), "2023-01-01"))
        .collect();
    write_jsonl(&dir.path().join("r1.jsonl"), &first);
    // The new crawl: German documents, plus three French ones seen again with small edits.
    let mut second: Vec<(String, String, &str)> = de
        .iter()
        .enumerate()
        .map(|(i, t)| (format!("de-{i}"), t.clone(), "2024-01-01"))
        .collect();
    for (i, text) in fr.iter().take(3).enumerate() {
        second.push((
            format!("fr-again-{i}"),
            format!("{text}\nShare this page"),
            "2024-02-01",
        ));
    }
    write_jsonl(&dir.path().join("r2.jsonl"), &second);
    let r1 = dir.path().join("release1");
    let r2 = dir.path().join("release2");
    let s = |p: &std::path::Path| p.to_string_lossy().into_owned();
    tamis_ok(&[
        "dedup",
        "-i",
        &s(&dir.path().join("r1.jsonl")),
        "-o",
        &s(&r1),
    ]);
    tamis_ok(&[
        "dedup",
        "-i",
        &s(&dir.path().join("r2.jsonl")),
        "-o",
        &s(&r2),
        "--previous",
        &s(&r1),
    ]);
    assert_eq!(count(&r2, "dedup/previous_release"), 3);
    assert_eq!(
        count(&r1, "dedup/near_duplicate") + count(&r1, "dedup/exact_duplicate"),
        0
    );

    // Without the earlier release the copies stay.
    let alone = dir.path().join("alone");
    tamis_ok(&[
        "dedup",
        "-i",
        &s(&dir.path().join("r2.jsonl")),
        "-o",
        &s(&alone),
    ]);
    assert_eq!(count(&alone, "dedup/previous_release"), 0);

    // Different signature settings cannot be compared: a clear error.
    let bad = tamis(&[
        "dedup",
        "-i",
        &s(&dir.path().join("r2.jsonl")),
        "-o",
        &s(&dir.path().join("r3")),
        "--previous",
        &s(&r1),
        "--bands",
        "20",
    ]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("other signature settings"));
}

#[test]
fn dedup_alone_is_deterministic_across_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut docs = Vec::new();
    for lang in ["en", "es", "zh-Hans", "hi", "sw"] {
        for (i, t) in udhr_docs(lang).into_iter().enumerate() {
            docs.push((format!("{lang}-{i}"), t.clone(), "2020-05-05"));
            if i % 2 == 0 {
                docs.push((
                    format!("{lang}-{i}-copy"),
                    t.replace('.', " ."),
                    "2019-05-05",
                ));
            }
        }
    }
    write_jsonl(&dir.path().join("a.jsonl"), &docs[..docs.len() / 2]);
    write_jsonl(&dir.path().join("b.jsonl"), &docs[docs.len() / 2..]);
    let input = dir.path().join("*.jsonl").to_string_lossy().into_owned();
    let one = dir.path().join("one");
    let two = dir.path().join("two");
    tamis_ok(&[
        "dedup",
        "-i",
        &input,
        "-o",
        &one.to_string_lossy(),
        "-j",
        "1",
    ]);
    tamis_ok(&[
        "dedup",
        "-i",
        &input,
        "-o",
        &two.to_string_lossy(),
        "-j",
        "2",
    ]);
    let subs = ["docs", "removed", "stats", "dedup"];
    assert_same_tree(&tree(&one, &subs), &tree(&two, &subs));
    // The older copy survives: the removed ones are the originals dated 2020.
    assert!(count(&one, "dedup/near_duplicate") + count(&one, "dedup/exact_duplicate") >= 10);
}
