//! English-centric defaults are the classic failure of quality filters: the default settings
//! (`filters/` + `lists/stopwords/`) must keep at least 99 % of documents of real prose in every
//! language. The prose is the UDHR (preamble and articles 1–20) of every language in
//! `shared/data/udhr/`, cut into documents of 5 consecutive paragraphs (a shorter remainder joins
//! the last document, so documents have 5–9 paragraphs; the title line stays with the first).
//!
//! Prints the per-language table; `TAMIS_UPDATE_DATASHEETS=1 cargo test --test quality_keep_rate`
//! rewrites `datasheets/quality_keep_rate.md` from it.

mod common;

use common::shared_data;
use std::collections::BTreeMap;
use std::path::PathBuf;

use tamis::doc::{Doc, Verdict};
use tamis::filter::quality::QualityFilterConfig;
use tamis::filter::settings::LangSettings;
use tamis::filter::{BuildCtx, DocFilter};

const MIN_KEEP: f64 = 0.99;
const PARAS_PER_DOC: usize = 5;

fn repo(p: &str) -> PathBuf {
    common::repo().join(p)
}

/// Cut a UDHR file into documents of `PARAS_PER_DOC` non-blank lines.
pub fn documents(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut docs: Vec<Vec<&str>> = lines.chunks(PARAS_PER_DOC).map(<[&str]>::to_vec).collect();
    if docs.len() > 1 && docs.last().is_some_and(|d| d.len() < PARAS_PER_DOC) {
        let tail = docs.pop().unwrap();
        docs.last_mut().unwrap().extend(tail);
    }
    docs.into_iter().map(|d| d.join("\n")).collect()
}

struct Row {
    code: String,
    tag: String,
    name: String,
    bloom: bool,
    docs: usize,
    kept: usize,
    drops: BTreeMap<String, usize>,
    example: Option<String>,
}

#[test]
fn default_settings_keep_real_prose_in_every_language() {
    let data = shared_data();
    let index = std::fs::read_to_string(data.join("udhr/index.tsv")).unwrap_or_else(|e| {
        panic!(
            "cannot read {}/udhr/index.tsv ({e}); set TAMIS_SHARED_DATA",
            data.display()
        )
    });
    let ctx = BuildCtx {
        settings: LangSettings::load(&repo("filters")).expect("filters/ loads"),
        assets: repo("assets"),
        list_cache: None,
    };
    let cfg = QualityFilterConfig {
        stopwords_dir: repo("lists/stopwords"),
        ..QualityFilterConfig::default()
    };
    let filter = cfg.build(&ctx).expect("quality filter builds");

    let mut rows = Vec::new();
    for line in index.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (code, bloom, name) = (f[0], f[1] == "yes", f[2]);
        let tag =
            tamis::lang::canonical(code).unwrap_or_else(|| panic!("no canonical tag for {code}"));
        let text = std::fs::read_to_string(data.join(format!("udhr/{code}.txt"))).unwrap();
        let mut row = Row {
            code: code.into(),
            tag: tag.clone(),
            name: name.into(),
            bloom,
            docs: 0,
            kept: 0,
            drops: BTreeMap::new(),
            example: None,
        };
        for (i, t) in documents(&text).into_iter().enumerate() {
            let mut doc = Doc {
                id: format!("{code}#{i}"),
                text: t,
                lang: Some(tag.clone()),
                ..Doc::default()
            };
            row.docs += 1;
            match filter.check(&mut doc) {
                Verdict::Keep => row.kept += 1,
                Verdict::Drop { reason, detail } => {
                    if std::env::var_os("TAMIS_KEEP_RATE_VERBOSE").is_some() {
                        println!("DROP {code} doc {i}: {detail}");
                    }
                    *row.drops.entry(reason).or_default() += 1;
                    row.example.get_or_insert(format!("doc {i}: {detail}"));
                }
            }
        }
        rows.push(row);
    }
    assert!(
        rows.len() >= 100,
        "expected the 109 UDHR languages, found {}",
        rows.len()
    );
    assert!(
        rows.iter().filter(|r| r.bloom).count() >= 42,
        "BLOOM-language files missing"
    );

    let table = render(&rows);
    println!("{table}");
    if std::env::var_os("TAMIS_UPDATE_DATASHEETS").is_some() {
        std::fs::write(repo("datasheets/quality_keep_rate.md"), &table).unwrap();
    }
    let failing: Vec<String> = rows
        .iter()
        .filter(|r| (r.kept as f64) < MIN_KEEP * r.docs as f64)
        .map(|r| {
            format!(
                "{} ({}): {}/{} kept, {:?}, {}",
                r.code,
                r.tag,
                r.kept,
                r.docs,
                r.drops,
                r.example.as_deref().unwrap_or("")
            )
        })
        .collect();
    assert!(
        failing.is_empty(),
        "languages under {:.0} % kept:\n{}",
        MIN_KEEP * 100.0,
        failing.join("\n")
    );
}

fn render(rows: &[Row]) -> String {
    let docs: usize = rows.iter().map(|r| r.docs).sum();
    let kept: usize = rows.iter().map(|r| r.kept).sum();
    let min = rows
        .iter()
        .min_by(|a, b| (a.kept as f64 / a.docs as f64).total_cmp(&(b.kept as f64 / b.docs as f64)))
        .unwrap();
    let mut s = String::new();
    s.push_str("# Quality filter: keep rate of real prose per language\n\n");
    s.push_str(
        "Generated by `TAMIS_UPDATE_DATASHEETS=1 cargo test --test quality_keep_rate` (tests/quality_keep_rate.rs).\n\
         Input: the UDHR (preamble and articles 1–20) of every language in `shared/data/udhr/`, cut into documents\n\
         of 5 consecutive paragraphs (the last one 5–9); settings: `filters/` and `lists/stopwords/` as shipped (the defaults).\n\
         Aim: at least 99 % kept in every language.\n\n",
    );
    s.push_str(&format!(
        "Total: {kept}/{docs} documents kept ({:.1} %) over {} languages; lowest: {} ({}) {:.1} %.\n\n",
        100.0 * kept as f64 / docs as f64,
        rows.len(),
        min.code,
        min.tag,
        100.0 * min.kept as f64 / min.docs as f64
    ));
    s.push_str("| code | tag | language | BLOOM | docs | kept | keep % | drops by rule |\n|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        let drops = r
            .drops
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ");
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {:.1} | {} |\n",
            r.code,
            r.tag,
            r.name,
            if r.bloom { "yes" } else { "" },
            r.docs,
            r.kept,
            100.0 * r.kept as f64 / r.docs as f64,
            drops
        ));
    }
    s
}
