//! `tamis tokenizer train|fertility` and `tamis shards inspect`, run as the real binary on real
//! UDHR text stored as our own Parquet document shards (language in the `lang` column).

mod common;

use std::path::{Path, PathBuf};

use tamis::doc::Doc;
use tamis::out::parquet::DocWriter;
use tamis::out::OutDir;
use tamis::tokenize::{DType, MegatronWriter, Tokenizer};

const LANGS: [(&str, &str); 10] = [
    ("en", "eng_Latn"),
    ("fr", "fra_Latn"),
    ("es", "spa_Latn"),
    ("zh-Hans", "zho_Hans"),
    ("ar", "arb_Arab"),
    ("hi", "hin_Deva"),
    ("yo", "yor_Latn"),
    ("sw", "swh_Latn"),
    ("ta", "tam_Taml"),
    ("vi", "vie_Latn"),
];

/// Two Parquet shards of UDHR paragraphs (languages split across both), like OUT/docs/.
fn write_docs(dir: &Path) -> Vec<Doc> {
    let out = OutDir::create(dir).unwrap();
    let mut all = Vec::new();
    for (code, tag) in LANGS {
        let path = common::shared_data().join(format!("udhr/{code}.txt"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (i, line) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
            all.push(Doc {
                id: format!("udhr/{code}#{i}"),
                text: line.to_string(),
                source: "udhr".into(),
                lang: Some(tag.into()),
                ..Doc::default()
            });
        }
    }
    for part in 0..2 {
        let mut w = DocWriter::new(
            out.create_file(format!("docs/part-0000{part}.parquet"))
                .unwrap(),
        )
        .unwrap();
        for d in all.iter().skip(part).step_by(2) {
            w.push(d.clone()).unwrap();
        }
        w.finish().unwrap();
    }
    all
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn train_is_deterministic_and_fertility_and_inspect_work() {
    let dir = tempfile::tempdir().unwrap();
    let docs = write_docs(dir.path());
    let glob = s(&dir.path().join("docs/*.parquet"));
    let train = |out: &PathBuf, threads: &str| {
        common::tamis_ok(&[
            "tokenizer",
            "train",
            "--input",
            &glob,
            "--output",
            &s(out),
            "--vocab-size",
            "2000",
            "--max-bytes-per-group",
            "5K",
            "--special-token",
            "<|endoftext|>",
            "--special-token",
            "<pad>",
            "-j",
            threads,
        ])
    };
    let a = dir.path().join("a/tokenizer.json");
    let b = dir.path().join("b/tokenizer.json");
    let report = train(&a, "1");
    train(&b, "2");
    assert_eq!(
        std::fs::read(&a).unwrap(),
        std::fs::read(&b).unwrap(),
        "tokenizer.json differs between runs"
    );
    // Balanced by the `lang` column: ten groups, each capped at 5 KiB or less.
    assert!(report.contains("| eng_Latn | "), "{report}");
    assert!(report.contains("| zho_Hans | "), "{report}");
    let rows: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains('_'))
        .collect();
    assert_eq!(rows.len(), 10, "{report}");
    for row in rows {
        let sampled: u64 = row.split('|').nth(4).unwrap().trim().parse().unwrap();
        assert!(sampled <= 5 * 1024, "{row}");
    }
    assert!(!report.contains("source="), "{report}");

    let tok = Tokenizer::from_hf_file(&a, None).unwrap();
    assert_eq!((tok.vocab_size(), tok.eod_id()), (2000, 0));
    for d in &docs {
        assert_eq!(tok.decode(&tok.encode(&d.text)).unwrap(), d.text);
    }

    let table = common::tamis_ok(&[
        "tokenizer",
        "fertility",
        "--tokenizer",
        &s(&a),
        "--against",
        "tiktoken:o200k_base",
        "--input",
        &glob,
        "--label",
        "small",
    ]);
    assert!(table.contains("| language | unit |"), "{table}");
    assert!(
        table.contains("small tok/unit | small bytes/tok | tiktoken:o200k_base tokens"),
        "{table}"
    );
    assert!(table.contains("| zho_Hans | char |"), "{table}");
    assert!(table.contains("| fra_Latn | word |"), "{table}");

    // A shard of the same documents, inspected and decoded back.
    let out = OutDir::create(dir.path()).unwrap();
    let mut w = MegatronWriter::create(
        &out,
        "tokens/part-00000",
        DType::for_vocab(tok.vocab_size()),
        Some(tok.eod_id()),
    )
    .unwrap();
    for d in &docs {
        w.push(&tok.encode(&d.text)).unwrap();
    }
    w.finish().unwrap();
    let prefix = dir.path().join("tokens/part-00000");
    let shown = common::tamis_ok(&[
        "shards",
        "inspect",
        &s(&prefix.with_extension("idx")),
        "--doc",
        "3",
        "--tokenizer",
        &format!("hf:{}", s(&a)),
    ]);
    assert!(
        shown.contains("dtype      uint16 (code 8, 2 bytes per token)"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("sequences  {}", docs.len())),
        "{shown}"
    );
    assert!(
        shown.contains(&format!(
            "eod        {n} of {n} sequences end with \"<|endoftext|>\"",
            n = docs.len()
        )),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("{}\n[<|endoftext|>]", docs[3].text)),
        "{shown}"
    );
    let raw = common::tamis_ok(&["shards", "inspect", &s(&prefix), "--doc", "0"]);
    let ids: Vec<String> = tok
        .encode(&docs[0].text)
        .iter()
        .chain([&0])
        .map(|i| i.to_string())
        .collect();
    assert!(raw.ends_with(&format!("{}\n", ids.join(" "))), "{raw}");

    // A truncated shard is refused with the reason.
    let bin = prefix.with_extension("bin");
    let bytes = std::fs::read(&bin).unwrap();
    std::fs::write(&bin, &bytes[..bytes.len() - 2]).unwrap();
    let bad = common::tamis(&["shards", "inspect", &s(&prefix)]);
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("not a valid Megatron indexed dataset") && err.contains("(truncated)"),
        "{err}"
    );
}

#[test]
fn train_refuses_bad_options_naming_them() {
    let out = common::tamis(&[
        "tokenizer",
        "train",
        "--input",
        "x.jsonl",
        "--output",
        "/nonexistent/t.json",
        "--vocab-size",
        "10",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("vocab_size: 10 is smaller"), "{err}");
}
