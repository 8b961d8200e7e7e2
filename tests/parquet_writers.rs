//! Parquet inputs as real corpora ship them: files written by pyarrow (FineWeb's are, through
//! datatrove) with small and large pages, dictionary pages, data pages v1 and v2, page indexes
//! and checksums, INT96 timestamps, snappy, zstd or no compression
//! (`tests/parquet_writers/make_fixtures.py` made them from generated text). Every row of every
//! file must come out as a document, the same documents from each file: the checks tamis runs
//! before parquet decodes a file (footer, every page header) must never refuse a sound one.

mod common;

use tamis::config::{InputConfig, ReadConfig};
use tamis::read::{expand_inputs, open, Item};

/// (id, text, url, date) of every document of `name`, and the reasons of anything else.
type Row = (String, String, Option<String>, Option<i64>);

fn read(name: &str) -> (Vec<Row>, Vec<String>) {
    let path = common::repo().join(format!("tests/parquet_writers/{name}.parquet"));
    let input = InputConfig::of_paths(vec![path.to_string_lossy().into_owned()], "pyarrow");
    let files = expand_inputs(&[input]).expect("fixture present");
    let (mut rows, mut bad) = (Vec::new(), Vec::new());
    let items = match open(&files[0], &ReadConfig::default()) {
        Ok(items) => items,
        Err(e) => return (rows, vec![e.to_string()]),
    };
    for item in items {
        match item {
            Item::Doc { doc, .. } => rows.push((doc.id, doc.text, doc.url, doc.date)),
            Item::Removed(r) => bad.push(format!("{}: {}", r.reason, r.detail)),
            Item::Skipped(_) => {}
        }
    }
    (rows, bad)
}

#[test]
fn every_row_of_every_pyarrow_layout_is_read_and_all_agree() {
    let names = [
        "snappy_v1_dictionary",
        "zstd_v2_page_index",
        "plain_int96",
        "zstd_large_pages",
    ];
    let (first, bad) = read(names[0]);
    assert!(bad.is_empty(), "{}: {bad:?}", names[0]);
    assert_eq!(first.len(), 400, "{}", names[0]);
    let ids: std::collections::BTreeSet<&str> = first.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(ids.len(), 400, "ids are unique");
    assert!(first.iter().all(|r| r.2.is_some() && r.3.is_some()));
    assert!(
        first.iter().any(|r| r.1.len() > 10_000),
        "long documents span pages"
    );
    for name in &names[1..] {
        let (rows, bad) = read(name);
        assert!(bad.is_empty(), "{name}: {bad:?}");
        assert!(rows == first, "{name}: documents differ from {}", names[0]);
    }
}
