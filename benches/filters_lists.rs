//! URL and banned-word filters on real data of ../shared/data, one core:
//! - `words/<lang>`: the banned-word filter on a UDHR translation (LDNOOBW + ROOTS lists), and on
//!   the English pages of a real Common Crawl WET slice; throughput in bytes of text per second.
//! - `url/check`: the URL filter (UT1 adult + phishing + malware, FineWeb URL words) on real UT1
//!   URLs (all blocked) and the same URLs moved to a host that is not listed (full host walk and
//!   word rules); throughput in URLs per second.
//! - `url/load_ut1_adult`: loading the 4.56 M-domain UT1 adult list from gzip.
//!
//! Every iteration checks its answer (verdict counts), as tantivy's benches do.

mod common;

use common::shared_data as shared;
use std::io::Read;
use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tamis::config::{InputConfig, ReadConfig};
use tamis::doc::Verdict;
use tamis::filter::settings::LangSettings;
use tamis::filter::url::{UrlFilterConfig, UrlWordsConfig};
use tamis::filter::words::{WordListConfig, WordsFilterConfig};
use tamis::filter::BuildCtx;
use tamis::read::{expand_inputs, open, Item};

fn ctx() -> BuildCtx {
    BuildCtx {
        settings: LangSettings::load(&common::repo().join("filters")).expect("filters/"),
        assets: PathBuf::from("assets"),
        list_cache: None,
    }
}

fn words(c: &mut Criterion) {
    let bw = shared().join("banned_words");
    let cfg = WordsFilterConfig {
        lists: vec![
            WordListConfig {
                name: "ldnoobw".into(),
                path: bw.join("ldnoobw"),
            },
            WordListConfig {
                name: "roots".into(),
                path: bw.join("bigscience_roots"),
            },
        ],
        ..Default::default()
    };
    let f = cfg.build(&ctx()).expect("words filter");
    let mut g = c.benchmark_group("words");
    for (code, tag) in [
        ("en", "eng_Latn"),
        ("fr", "fra_Latn"),
        ("ru", "rus_Cyrl"),
        ("ar", "arb_Arab"),
        ("hi", "hin_Deva"),
        ("zh-Hans", "zho_Hans"),
        ("ja", "jpn_Jpan"),
        ("th", "tha_Thai"),
    ] {
        let text = std::fs::read_to_string(shared().join("udhr").join(format!("{code}.txt")))
            .expect("udhr");
        // Ten copies: a 50–100 KB document, long enough that per-call costs do not dominate.
        let text = text.repeat(10);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(code, |b| {
            b.iter(|| assert_eq!(f.check_text(Some(tag), &text), Verdict::Keep));
        });
    }
    // Real crawl pages (English WET records, 25 documents).
    let wet = shared().join("crawl/ccscalatools_CC-MAIN-2016-50.warc.wet.gz");
    let input = InputConfig::of_paths(vec![wet.to_string_lossy().into_owned()], "bench");
    let files = expand_inputs(&[input]).expect("input");
    let docs: Vec<String> = open(&files[0], &ReadConfig::default())
        .expect("open")
        .filter_map(|i| match i {
            Item::Doc { doc, .. } => Some(doc.text),
            _ => None,
        })
        .collect();
    let kept = docs
        .iter()
        .filter(|d| f.check_text(Some("eng_Latn"), d) == Verdict::Keep)
        .count();
    g.throughput(Throughput::Bytes(docs.iter().map(|d| d.len() as u64).sum()));
    g.bench_function("wet_pages_en", |b| {
        b.iter(|| {
            let n = docs
                .iter()
                .filter(|d| f.check_text(Some("eng_Latn"), d) == Verdict::Keep)
                .count();
            assert_eq!(n, kept);
        });
    });
    g.finish();
}

fn gz_lines(path: &Path) -> Vec<String> {
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).expect("list"))
        .read_to_string(&mut s)
        .expect("gzip");
    s.lines().map(str::to_string).collect()
}

fn url(c: &mut Criterion) {
    let ut1 = shared().join("url_blocklists/ut1");
    let cfg = UrlFilterConfig {
        ut1: Some(ut1.clone()),
        categories: vec!["adult".into(), "phishing".into(), "malware".into()],
        words: Some(UrlWordsConfig::default()),
        ..Default::default()
    };
    let f = cfg.build(&ctx()).expect("url filter");
    let listed: Vec<String> = gz_lines(&ut1.join("adult.urls.gz"))
        .iter()
        .map(|e| format!("http://{e}"))
        .collect();
    // The same paths on a host no list names: every host level and word rule is tried.
    let unlisted: Vec<String> = gz_lines(&ut1.join("adult.urls.gz"))
        .iter()
        .map(|e| match e.split_once('/') {
            Some((host, path)) => format!("https://www.{host}.tamis-example.org/{path}"),
            None => format!("https://www.{e}.tamis-example.org/"),
        })
        .collect();
    let blocked = |urls: &[String]| {
        urls.iter()
            .filter(|u| f.check_url(Some(u)) != Verdict::Keep)
            .count()
    };
    let (b_listed, b_unlisted) = (blocked(&listed), blocked(&unlisted));
    assert_eq!(b_listed, listed.len(), "every UT1 URL is blocked");
    let mut g = c.benchmark_group("url");
    g.throughput(Throughput::Elements(listed.len() as u64));
    g.bench_function("check_listed", |b| {
        b.iter(|| assert_eq!(blocked(&listed), b_listed))
    });
    g.throughput(Throughput::Elements(unlisted.len() as u64));
    g.bench_function("check_unlisted", |b| {
        b.iter(|| assert_eq!(blocked(&unlisted), b_unlisted))
    });
    drop(f);
    g.sample_size(10);
    g.throughput(Throughput::Elements(4_558_940));
    g.bench_function("load_ut1_adult", |b| {
        b.iter(|| {
            // Nothing else holds the list, so every build reads and sorts it again.
            let f = UrlFilterConfig {
                ut1: Some(ut1.clone()),
                categories: vec!["adult".into()],
                ..Default::default()
            }
            .build(&ctx())
            .expect("load");
            assert_eq!(f.list_sizes()[0].2, 4_558_940);
        })
    });
    g.finish();
}

criterion_group!(benches, words, url);
criterion_main!(benches);
