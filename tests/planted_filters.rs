//! The filters' "done when": on a realistic mixed corpus that `tamis bench gen` builds from the
//! real text in `../shared/data` (UDHR prose of 100+ languages, real source files, the UT1 adult
//! list, LDNOOBW words; exact and near duplicates), every planted blocked URL, banned-word
//! document and wrong-language document is dropped with the right reason, and nothing else is.
//!
//! "Wrong language" is what a BLOOM-style run means by it: the pipeline keeps the 46 BLOOM
//! languages (lid.176 with the supplement that set-up trains), so a document generated in any
//! other language must go, as `unwanted_language`, or as `low_lang_score` when the best guess is
//! a kept language the model is unsure of. Expectations come from the generator's own record of
//! what it wrote (`gen_lang` on each document, `truth.jsonl`), never from the filters under test.
//!
//! Known limits, listed rather than hidden: lid.176 has one `zh` for the Chinese macrolanguage,
//! so Cantonese, Hakka and Min Nan written in Han characters come out as Chinese, and it takes
//! Nigerian Pidgin for English. Teaching the supplement Pidgin took 1 in 36 held-out English
//! paragraphs for Pidgin (a bad trade when English is a third of a corpus), so it does not. A
//! document of these languages kept as that language is accepted and counted; any other miss
//! fails.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;
use tamis::release::scan::{parquet_files, scan_strings};

/// What the generator wrote for one document.
struct Planted {
    lang: String,
    blocked: bool,
    banned: bool,
    /// For duplicates: the document copied.
    copy_of: Option<String>,
}

fn read_generated(dir: &Path) -> BTreeMap<String, Planted> {
    let mut docs = BTreeMap::new();
    for shard in gz_shards(dir) {
        for line in common::gz_lines(&shard) {
            let v: Value = serde_json::from_str(&line).unwrap();
            docs.insert(
                v["id"].as_str().unwrap().to_string(),
                Planted {
                    lang: v["gen_lang"].as_str().unwrap().to_string(),
                    blocked: false,
                    banned: false,
                    copy_of: None,
                },
            );
        }
    }
    let truth = std::fs::read_to_string(dir.join("truth.jsonl")).unwrap();
    for line in truth.lines().filter(|l| !l.is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap();
        let d = docs.get_mut(v["id"].as_str().unwrap()).unwrap();
        for p in v["planted"].as_array().unwrap() {
            let p = p.as_str().unwrap();
            match p {
                "blocked_url" => d.blocked = true,
                "banned_words" => d.banned = true,
                _ => {
                    if let Some((_, orig)) = p.split_once("_dup_of:") {
                        d.copy_of = Some(orig.to_string());
                    }
                }
            }
        }
    }
    docs
}

fn gz_shards(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".jsonl.gz"))
        .collect();
    v.sort();
    v
}

/// Languages the language ID cannot tell from a kept one, with the tag it gives them.
const KNOWN_CONFUSIONS: &[(&str, &[&str])] = &[
    ("yue_Hant", &["zho_Hans", "zho_Hant"]),
    ("hak_Hani", &["zho_Hans", "zho_Hant"]),
    ("nan_Hani", &["zho_Hans", "zho_Hant"]),
    ("pcm_Latn", &["eng_Latn"]),
];

/// The stage that must drop a document (url → lid → words, the fused order), or None to keep it.
fn expected_stage(id: &str, docs: &BTreeMap<String, Planted>) -> Option<&'static str> {
    let d = &docs[id];
    // A duplicate carries its original's text: language and banned words come from there.
    let origin = d.copy_of.as_deref().map(|o| &docs[o]).unwrap_or(d);
    let bloom: BTreeSet<&str> = tamis::lang::BLOOM_LANGUAGES.iter().copied().collect();
    if d.blocked {
        Some("url")
    } else if origin.lang != "code" && !bloom.contains(origin.lang.as_str()) {
        Some("lid")
    } else if d.banned || origin.banned {
        Some("words")
    } else {
        None
    }
}

#[test]
fn every_planted_document_is_dropped_with_its_reason_and_nothing_else() {
    let shared = common::shared_data();
    let tmp = tempfile::tempdir().unwrap();
    let gen = tmp.path().join("gen");
    common::bench_gen(&gen, 4, 11, &["--banned-share", "0.05"]);
    let docs = read_generated(&gen);

    let languages: Vec<String> = tamis::lang::BLOOM_LANGUAGES
        .iter()
        .map(|l| format!("{l:?}"))
        .collect();
    let out = tmp.path().join("out");
    let pipeline = format!(
        r#"
name = "planted"
output = {out:?}
[[inputs]]
paths = ["{gen}/part-*.jsonl.gz"]
source = "gen"
fields = "fineweb"
[filters.url]
block_domains = [{ut1:?}]
[filters.lid]
supplement = "assets:models/lid-supplement.bin"
supplement_min_score = 0.4
languages = [{languages}]
[filters.words]
"#,
        out = out.to_str().unwrap(),
        gen = gen.display(),
        ut1 = shared
            .join("url_blocklists/ut1/adult.domains.gz")
            .to_str()
            .unwrap(),
        languages = languages.join(", "),
    );
    let p = tmp.path().join("planted.toml");
    std::fs::write(&p, pipeline).unwrap();
    common::tamis_ok(&["run", p.to_str().unwrap()]);

    // What the run did: kept ids, and (stage, reason, detail) of each dropped one.
    let mut kept_lang: BTreeMap<String, String> = BTreeMap::new();
    for f in parquet_files(&out.join("docs")) {
        scan_strings(&f, &["id", "lang"], |_, v| {
            kept_lang.insert(v[0].unwrap().to_string(), v[1].unwrap_or("").to_string());
            true
        })
        .unwrap();
    }
    let mut dropped: BTreeMap<String, (String, String, String)> = BTreeMap::new();
    for f in parquet_files(&out.join("removed")) {
        scan_strings(&f, &["id", "stage", "reason", "detail"], |_, v| {
            let s = |i: usize| v[i].unwrap_or("").to_string();
            dropped.insert(s(0), (s(1), s(2), s(3)));
            true
        })
        .unwrap();
    }
    assert_eq!(
        kept_lang.len() + dropped.len(),
        docs.len(),
        "every document accounted for"
    );

    let mut wrong = Vec::new();
    let mut known_misses: BTreeMap<String, usize> = BTreeMap::new();
    let mut planted_by_stage: BTreeMap<&str, usize> = BTreeMap::new();
    for id in docs.keys() {
        let want = expected_stage(id, &docs);
        if let Some(s) = want {
            *planted_by_stage.entry(s).or_default() += 1;
        }
        let got = dropped.get(id);
        let ok = match (want, got) {
            (None, None) => true,
            (Some(w), Some((stage, reason, detail))) => {
                stage == w
                    && !detail.is_empty()
                    && match w {
                        "url" => reason == "blocked_domain",
                        "lid" => reason == "unwanted_language" || reason == "low_lang_score",
                        "words" => reason == "banned_words",
                        _ => false,
                    }
            }
            (Some("lid"), None) => {
                let lang = &docs[id].lang;
                let as_ = kept_lang.get(id).map(String::as_str).unwrap_or("");
                let known = KNOWN_CONFUSIONS
                    .iter()
                    .any(|(l, tags)| l == lang && tags.contains(&as_));
                if known {
                    *known_misses
                        .entry(format!("{lang} kept as {as_}"))
                        .or_default() += 1;
                }
                known
            }
            _ => false,
        };
        if !ok {
            let d = &docs[id];
            wrong.push(format!(
                "{id} ({}; blocked {}, banned {}, copy of {:?}): want {want:?}, got {got:?}",
                d.lang, d.blocked, d.banned, d.copy_of
            ));
        }
    }
    eprintln!(
        "{} documents, planted drops by stage: {planted_by_stage:?}; known limits: \
         {known_misses:?}",
        docs.len()
    );
    // Enough of each kind for the test to mean something.
    for s in ["url", "lid", "words"] {
        assert!(
            planted_by_stage.get(s).copied().unwrap_or(0) >= 10,
            "too few planted {s} drops: {planted_by_stage:?}"
        );
    }
    assert!(
        wrong.is_empty(),
        "{} of {} documents not handled as planted:\n{}",
        wrong.len(),
        docs.len(),
        wrong.join("\n")
    );
}
