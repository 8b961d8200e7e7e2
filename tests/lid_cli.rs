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

/// Run `tamis lid --model lid.176.ftz ARGS` on `input`; (exit code, stdout lines, stderr).
fn lid(input: &[u8], args: &[&str]) -> (Option<i32>, Vec<String>, String) {
    let model = common::shared_data().join("models/lid.176.ftz");
    let mut child = Command::new(env!("CARGO_BIN_EXE_tamis"))
        .args(["lid", "--model", &model.to_string_lossy()])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    let lines = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    (
        out.status.code(),
        lines,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_json_front_end_keeps_lines_whole_and_reports_bad_ones() {
    let fr = "Tous les êtres humains naissent libres et égaux en dignité et en droits.";
    let mut input = Vec::new();
    // 1: other fields kept byte for byte, ours appended in a fixed order.
    writeln!(
        input,
        r#"{{"id": 7, "meta": {{"a": [1, "x"]}}, "text": "{fr}"}}"#
    )
    .unwrap();
    // 2: an escaped text and an escaped key; 3: a blank line (skipped, not an error).
    writeln!(
        input,
        r#"{{"te\u0078t": "Hello world, this is \u0045nglish text.\n"}}"#
    )
    .unwrap();
    writeln!(input, "   ").unwrap();
    // 4: text not a string; 5: not JSON; 6: not an object; 7: invalid UTF-8.
    writeln!(input, r#"{{"text": ["a", {{"b": null}}], "x": 1}}"#).unwrap();
    writeln!(input, r#"{{"text": "unterminated"#).unwrap();
    writeln!(input, r#"["text"]"#).unwrap();
    input.extend_from_slice(b"{\"text\": \"caf\xe9\"}\n");
    // 8: fields of ours already there are replaced; the last `text` wins, as in a map.
    writeln!(
        input,
        r#"{{"text": "Hello", "lang": "old", "lang_score": 2, "text": "{fr}"}}"#
    )
    .unwrap();
    let (code, lines, err) = lid(&input, &["-j", "2"]);
    assert_eq!(code, Some(1), "bad lines give exit code 1\n{err}");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(
        lines[0].starts_with(&format!(
            r#"{{"id": 7, "meta": {{"a": [1, "x"]}}, "text": "{fr}","lang":"fra_Latn","lang_label":"__label__fr","lang_score":"#
        )),
        "{}",
        lines[0]
    );
    let second: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    assert_eq!(second["lang"], "eng_Latn");
    let last: serde_json::Value = serde_json::from_str(&lines[2]).unwrap();
    assert_eq!(last["lang"], "fra_Latn");
    assert_eq!(last["text"], fr);
    assert!(last["lang_score"].as_f64().unwrap() > 0.5);
    for (line, what) in [
        (4, "no string field \"text\""),
        (5, "not JSON"),
        (6, "not a JSON object"),
        (7, "not UTF-8"),
    ] {
        assert!(
            err.contains(&format!("line {line}: {what}")),
            "line {line}: {what}\n{err}"
        );
    }
    assert_eq!(err.lines().count(), 4, "{err}");
    // --top-k adds the K best, best first, after our other fields.
    let (code, lines, _) = lid(
        format!("{{\"text\": \"{fr}\"}}\n").as_bytes(),
        &["--top-k", "2"],
    );
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    let top = v["lang_top_k"].as_array().unwrap();
    assert_eq!(top.len(), 2);
    assert_eq!(top[0][0], "__label__fr");
    assert_eq!(top[0][1], v["lang_score"]);
    assert!(lines[0].ends_with("]]}"), "{}", lines[0]);
}
