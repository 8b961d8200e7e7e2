//! `tamis lid --model lid.176.ftz` against the C++ fastText CLI (Debian's `fasttext`, 0.9.2) on
//! texts that are not in `../shared/data`: whole multi-line documents of 0.1–100 KB that
//! `tamis bench gen` composes (sentences of 100+ languages shuffled into new documents, code,
//! banned words, near-duplicates with boilerplate), and the quickstart sample, written for this
//! project. Wherever the reference's top-two margin is at least 1e-4, the top-1 label must be the
//! reference's and the score within 1e-4.
//!
//! The reference reads one text per line, so it is given each document with its newlines turned
//! into spaces; tamis gets the document as it is (newlines are word separators for both, and both
//! append one end-of-sentence token).
//!
//! Runs when `fasttext` is on PATH; CI installs it and sets `TAMIS_REFERENCE_FASTTEXT=1`, which
//! makes a missing CLI a failure instead of a skip.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

fn reference_cli() -> Option<&'static str> {
    let found = Command::new("fasttext")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found {
        assert!(
            std::env::var_os("TAMIS_REFERENCE_FASTTEXT").is_none(),
            "TAMIS_REFERENCE_FASTTEXT is set but `fasttext` is not on PATH"
        );
        eprintln!("SKIPPED: the fastText CLI is not installed (apt-get install fasttext)");
        return None;
    }
    Some("fasttext")
}

/// The JSON objects of a gzip JSON-lines file; a damaged line (the quickstart sample has one on
/// purpose) is no text to compare.
fn gz_json_lines(path: &std::path::Path) -> Vec<Value> {
    common::gz_lines(path)
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn labels_and_scores_match_the_reference_cli_on_unseen_documents() {
    let Some(cli) = reference_cli() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let gen = tmp.path().join("gen");
    common::bench_gen(&gen, 3, 2026, &[]);
    let mut texts: Vec<String> = gz_json_lines(&gen.join("part-00000.jsonl.gz"))
        .iter()
        .map(|v| v["text"].as_str().unwrap().to_string())
        .collect();
    // Pages of ≈ 100 KB: runs of consecutive documents joined by blank lines (a forum thread,
    // a page that quotes other languages).
    let mut joined = Vec::new();
    let mut page = String::new();
    for t in &texts {
        page.push_str(t);
        page.push_str("\n\n");
        if page.len() >= 95_000 {
            joined.push(std::mem::take(&mut page));
        }
    }
    texts.extend(joined);
    for v in gz_json_lines(&common::repo().join("samples/quickstart/web-sample.jsonl.gz")) {
        if let Some(t) = v["text"].as_str() {
            texts.push(t.to_string());
        }
    }
    let longest = texts.iter().map(String::len).max().unwrap();
    assert!(
        texts.len() > 500 && longest > 95_000,
        "{} texts, longest {longest} B",
        texts.len()
    );

    // The reference: one text per line, top 2 with probabilities.
    let flat = tmp.path().join("texts.txt");
    let mut f = std::fs::File::create(&flat).unwrap();
    for t in &texts {
        let line: String = t
            .chars()
            .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
            .collect();
        writeln!(f, "{line}").unwrap();
    }
    drop(f);
    let model = common::repo().join("assets/models/lid.176.ftz");
    let out = Command::new(cli)
        .args([
            "predict-prob",
            model.to_str().unwrap(),
            flat.to_str().unwrap(),
            "2",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: Vec<Vec<(String, f64)>> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            f.chunks(2)
                .map(|c| (c[0].to_string(), c[1].parse().unwrap()))
                .collect()
        })
        .collect();
    assert_eq!(reference.len(), texts.len());

    // tamis, one thread, the documents as they are.
    let input: String = texts
        .iter()
        .map(|t| serde_json::json!({ "text": t }).to_string() + "\n")
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_tamis"))
        .args(["lid", "--model", model.to_str().unwrap(), "-j", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let got = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(got.status.success());
    let ours: Vec<Value> = String::from_utf8(got.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ours.len(), texts.len());

    let (mut compared, mut near_ties, mut worst) = (0, 0, 0.0f64);
    let mut wrong = Vec::new();
    for (i, (r, o)) in reference.iter().zip(&ours).enumerate() {
        let margin = r[0].1 - r.get(1).map(|x| x.1).unwrap_or(0.0);
        if margin < 1e-4 {
            near_ties += 1;
            continue;
        }
        compared += 1;
        let dp = (o["lang_score"].as_f64().unwrap() - r[0].1).abs();
        worst = worst.max(dp);
        if o["lang_label"] != r[0].0.as_str() || dp > 1e-4 {
            wrong.push(format!(
                "text {i} ({} B): ours {} {}, reference {:?}",
                texts[i].len(),
                o["lang_label"],
                o["lang_score"],
                r
            ));
        }
    }
    eprintln!(
        "{compared} texts compared (longest {longest} B), {near_ties} near ties left out, \
         max |Δp| {worst:.2e}"
    );
    assert!(compared > 500);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
