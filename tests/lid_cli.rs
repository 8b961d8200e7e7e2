//! `tamis lid --model lid.176.ftz` against the reference's answers for 513 texts
//! (../shared/data/models/lid176_reference_predictions.jsonl, made with fastText 0.9.2):
//! every top-1 label identical, every probability within 1e-4, through the JSON front end.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

#[test]
fn tamis_lid_gives_the_reference_answers() {
    let oracle = std::fs::read_to_string(
        common::shared_data().join("models/lid176_reference_predictions.jsonl"),
    )
    .unwrap();
    let model = common::shared_data().join("models/lid.176.ftz");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tamis"))
        .args([
            "lid",
            "--model",
            &model.to_string_lossy(),
            "--top-k",
            "3",
            "-j",
            "2",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = oracle.clone();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success());
    let got: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let want: Vec<serde_json::Value> = oracle
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), 513);
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g["text"], w["text"], "order kept");
        let top = &w["top3"][0];
        assert_eq!(g["lang_label"], top[0], "{}", w["source"]);
        let dp = (g["lang_score"].as_f64().unwrap() - top[1].as_f64().unwrap()).abs();
        assert!(dp <= 1e-4, "{}: |Δp| = {dp}", w["source"]);
        let tag = g["lang"].as_str().unwrap();
        assert!(!tag.is_empty() && !tag.starts_with("__label__"), "{tag}");
    }
}
