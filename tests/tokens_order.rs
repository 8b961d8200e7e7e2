//! The quickstart's token shards: decoding them gives back the kept documents, oldest first
//! (undated first), French twice (weight 2) with the extra copy placed before the original.

mod common;

use std::collections::HashMap;

use common::*;
use tamis::tokenize::{MegatronReader, TiktokenEncoding, Tokenizer};

#[test]
fn shards_decode_to_the_documents_in_date_order_with_weights() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_pipeline("pipelines/quickstart.toml", &out);
    let mut docs: HashMap<String, (Option<i64>, String)> = HashMap::new();
    for entry in std::fs::read_dir(out.join("docs")).unwrap().flatten() {
        for d in tamis::out::parquet::read_docs(&entry.path(), tamis::out::parquet::DocColumns::All)
            .unwrap()
        {
            let d = d.unwrap();
            docs.insert(d.text.clone(), (d.date, d.lang.unwrap_or_default()));
        }
    }
    let tok = Tokenizer::from_tiktoken(TiktokenEncoding::O200kBase, None).unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("tokens/summary.json")).unwrap()).unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut last = i64::MIN;
    let mut sequences = 0;
    for shard in summary["shards"].as_array().unwrap() {
        let mut r = MegatronReader::open(out.join(shard.as_str().unwrap())).unwrap();
        for i in 0..r.sequence_count() {
            let ids = r.sequence(i).unwrap();
            assert_eq!(ids.last(), Some(&tok.eod_id()), "EOD ends every sequence");
            let text = tok.decode(&ids[..ids.len() - 1]).unwrap();
            let (date, lang) = docs
                .get(&text)
                .unwrap_or_else(|| panic!("sequence {i} is not a kept document: {text:?}"));
            let n = seen.entry(text.clone()).or_default();
            *n += 1;
            // Copies sit before the original: positions only move earlier, never later.
            let key = date.unwrap_or(i64::MIN);
            if *n == 1 && lang != "fra_Latn" {
                assert!(key >= last, "sequence {i} is older than the one before it");
            }
            if lang != "fra_Latn" {
                last = last.max(key);
            }
            sequences += 1;
        }
    }
    assert_eq!(sequences as u64, summary["sequences"].as_u64().unwrap());
    for (text, (_, lang)) in &docs {
        let want = if lang == "fra_Latn" { 2 } else { 1 };
        assert_eq!(
            seen.get(text).copied().unwrap_or(0),
            want,
            "{lang}: {text:.40}"
        );
    }
}
