//! Token shards written by tamis, read back by an independent numpy reader written from the spec
//! (`tests/megatron_numpy.py`): real UDHR text, tokenized with the real o200k `tokenizer.json`
//! (int32 shards), tiktoken cl100k (int32) and tiktoken r50k (uint16).
//!
//! Needs `python3` with numpy (`./setup --assets-only` installs it); the test fails, not skips,
//! without them.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tamis::out::OutDir;
use tamis::tokenize::{
    DType, MegatronReader, MegatronWriter, TiktokenEncoding, Tokenizer, TokenizerSpec,
};

/// UDHR paragraphs of a dozen languages and scripts, one document each.
fn udhr_docs() -> Vec<String> {
    let mut docs = Vec::new();
    for code in [
        "en", "fr", "zh-Hans", "ar", "hi", "yo", "sw", "ta", "vi", "ru", "ja", "am", "bn", "ig",
    ] {
        let path = common::shared_data().join(format!("udhr/{code}.txt"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        docs.extend(
            text.lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string),
        );
    }
    assert!(docs.len() > 800, "{}", docs.len());
    docs
}

/// Run the numpy reader on a prefix; panics with its stderr when python3 or numpy is missing.
fn numpy_read(prefix: &Path) -> Value {
    let script = common::repo().join("tests/megatron_numpy.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(prefix)
        .output()
        .unwrap_or_else(|e| panic!("cannot run python3 (needed for this test; install it): {e}"));
    assert!(
        out.status.success(),
        "python3 {} {} failed ({:?}); numpy is needed (`pip install numpy`):\n{}",
        script.display(),
        prefix.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the numpy reader prints JSON")
}

fn check(tok: &Tokenizer, docs: &[String], dir: &Path, name: &str, dtype: DType) {
    let out = OutDir::create(dir).unwrap();
    let prefix = format!("tokens/{name}");
    assert_eq!(DType::for_vocab(tok.vocab_size()), dtype, "{}", tok.name());
    let mut w = MegatronWriter::create(&out, &prefix, dtype, Some(tok.eod_id())).unwrap();
    let mut encoded = Vec::new();
    for d in docs {
        let ids = tok.encode(d);
        w.push(&ids).unwrap();
        encoded.push(ids);
    }
    let summary = w.finish().unwrap();

    let py = numpy_read(&dir.join(&prefix));
    let n = docs.len();
    let lengths: Vec<u64> = encoded.iter().map(|e| e.len() as u64 + 1).collect();
    let total: u64 = lengths.iter().sum();
    assert_eq!(py["version"], 1);
    assert_eq!(py["dtype"], dtype.name(), "{name}");
    assert_eq!(py["sequences"], n as u64);
    assert_eq!(py["documents"], n as u64);
    assert_eq!(py["tokens"], total);
    assert_eq!(summary.tokens, total);
    assert_eq!(py["lengths"], serde_json::json!(lengths));
    let doc_idx: Vec<u64> = (0..=n as u64).collect();
    assert_eq!(py["doc_idx"], serde_json::json!(doc_idx));
    let mut offset = 0u64;
    for (i, ids) in encoded.iter().enumerate() {
        assert_eq!(py["offsets"][i], offset, "{name} offset {i}");
        offset += (ids.len() as u64 + 1) * dtype.size() as u64;
        let first: Vec<u32> = ids.iter().chain([&tok.eod_id()]).take(8).copied().collect();
        assert_eq!(
            py["first_tokens"][i],
            serde_json::json!(first),
            "{name} doc {i}"
        );
        assert_eq!(py["last_tokens"][i], tok.eod_id(), "{name} doc {i}");
    }
    let sum: u64 =
        encoded.iter().flatten().map(|&t| t as u64).sum::<u64>() + n as u64 * tok.eod_id() as u64;
    assert_eq!(py["token_sum"], sum, "{name}");
    assert_eq!(
        std::fs::metadata(dir.join(format!("{prefix}.idx")))
            .unwrap()
            .len(),
        34 + 12 * n as u64 + 8 * (n as u64 + 1)
    );

    // Our own reader gives the documents back, and the tokenizer their exact text.
    let mut r = MegatronReader::open(dir.join(&prefix)).unwrap();
    assert_eq!(r.dtype(), dtype);
    for (i, d) in docs.iter().enumerate() {
        let seq = r.sequence(i as u64).unwrap();
        assert_eq!(seq.last(), Some(&tok.eod_id()));
        assert_eq!(
            tok.decode(&seq[..seq.len() - 1]).unwrap(),
            *d,
            "{name} doc {i}"
        );
    }
}

#[test]
fn numpy_reads_what_tamis_writes_for_o200k_cl100k_and_r50k() {
    let docs = udhr_docs();
    let dir = tempfile::tempdir().unwrap();

    // The real o200k tokenizer.json, decompressed at test time.
    let gz = common::shared_data().join("tokenizers/gpt-4o_o200k/tokenizer.json.gz");
    let raw = std::fs::read(&gz).unwrap_or_else(|e| panic!("{}: {e}", gz.display()));
    let mut json = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&raw[..]), &mut json).unwrap();
    let json_path = dir.path().join("o200k/tokenizer.json");
    std::fs::create_dir_all(json_path.parent().unwrap()).unwrap();
    std::fs::write(&json_path, &json).unwrap();
    let spec: TokenizerSpec = toml::from_str::<toml::Table>(&format!(
        "type = \"huggingface\"\npath = {:?}",
        json_path.display().to_string()
    ))
    .unwrap()
    .try_into()
    .unwrap();
    let o200k = Tokenizer::load(&spec).unwrap();
    assert_eq!((o200k.vocab_size(), o200k.eod_id()), (200_019, 199_999));
    check(&o200k, &docs, dir.path(), "o200k-hf", DType::I32);

    let cl100k = Tokenizer::from_tiktoken(TiktokenEncoding::Cl100kBase, None).unwrap();
    check(&cl100k, &docs, dir.path(), "cl100k", DType::I32);

    let r50k = Tokenizer::from_tiktoken(TiktokenEncoding::R50kBase, None).unwrap();
    check(&r50k, &docs, dir.path(), "r50k", DType::U16);
}

#[test]
fn numpy_reads_the_design_worked_example() {
    let dir = tempfile::tempdir().unwrap();
    let out = OutDir::create(dir.path()).unwrap();
    let mut w = MegatronWriter::create(&out, "ex", DType::U16, None).unwrap();
    for d in [&[1u32, 2, 3, 4][..], &[5, 6], &[7, 8, 9, 10, 11]] {
        w.push(d).unwrap();
    }
    w.finish().unwrap();
    let py = numpy_read(&dir.path().join("ex"));
    assert_eq!(py["dtype"], "uint16");
    assert_eq!(py["lengths"], serde_json::json!([4, 2, 5]));
    assert_eq!(py["offsets"], serde_json::json!([0, 8, 12]));
    assert_eq!(py["doc_idx"], serde_json::json!([0, 1, 2, 3]));
    assert_eq!(py["first_tokens"][2], serde_json::json!([7, 8, 9, 10, 11]));
}
