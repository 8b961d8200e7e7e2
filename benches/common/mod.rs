//! What the criterion benches share: where the real data is, and documents cut from it.
#![allow(dead_code)]

use std::path::PathBuf;

/// `../shared/data`, or `$TAMIS_SHARED_DATA`.
pub fn shared_data() -> PathBuf {
    std::env::var_os("TAMIS_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared/data"))
}

/// The repository. Cargo sets `CARGO_MANIFEST_DIR` when it runs a bench; the value compiled in
/// is the fallback (a target folder shared by several clones reuses binaries across them).
pub fn repo() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// Documents of ≈ 1.4 KB cut from every UDHR translation in `shared/data/udhr` (109
/// languages), in file order: whole lines, each document ending at the first line that takes
/// it past 1 400 bytes.
pub fn udhr_documents() -> Vec<String> {
    let dir = shared_data().join("udhr");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("udhr folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    names.sort();
    let mut docs = Vec::new();
    for p in names {
        let text = std::fs::read_to_string(p).expect("udhr file");
        let mut doc = String::new();
        for line in text.lines() {
            doc.push_str(line);
            doc.push('\n');
            if doc.len() >= 1400 {
                docs.push(std::mem::take(&mut doc));
            }
        }
    }
    docs
}

/// The documents of a crawl-like corpus of `mb` MB from `tamis bench gen` (seed 1): real UDHR
/// prose of 100+ languages, real code, UT1-blocked URLs, LDNOOBW words, duplicates.
pub fn generated_documents(mb: u64) -> Vec<tamis::doc::Doc> {
    use tamis::config::{InputConfig, ReadConfig};
    use tamis::read::{expand_inputs, fields::FieldsSpec, open, Item};
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = tamis::bench::gen::GenConfig::new(shared_data(), mb, 1);
    tamis::bench::gen::generate(&cfg, dir.path()).expect("generate");
    let glob = dir.path().join("part-*.jsonl.gz");
    let input = InputConfig {
        fields: FieldsSpec::Preset("fineweb".into()),
        ..InputConfig::of_paths(vec![glob.to_string_lossy().into_owned()], "bench")
    };
    let mut docs = Vec::new();
    for f in &expand_inputs(&[input]).expect("input") {
        for item in open(f, &ReadConfig::default()).expect("open") {
            if let Item::Doc { doc, .. } = item {
                docs.push(doc);
            }
        }
    }
    docs
}
