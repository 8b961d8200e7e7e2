//! The per-document filters on a crawl-like corpus (`tamis bench gen`: real UDHR prose of 100+
//! languages, real code, UT1-blocked URLs, LDNOOBW words, duplicates), one core:
//! - `filter/<name>`: each filter alone on every document (words and quality get the documents
//!   already labelled by language ID, as in the fused pass);
//! - `filter/fused`: url → lid (+ supplement) → words → quality → pii, as `tamis run` runs them,
//!   each document stopping at the first filter that drops it.
//!
//! Each is reported twice, in bytes of text per second and in documents per second. Every
//! iteration checks its answer (the number of documents kept).

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tamis::doc::Doc;
use tamis::filter::{FilterChain, FiltersConfig};

/// The quickstart's filters, with the UT1 adult list.
fn filters_config() -> FiltersConfig {
    let text = format!(
        r#"
[url]
ut1 = {:?}
categories = ["adult"]
[url.words]
[lid]
supplement = "assets:models/lid-supplement.bin"
supplement_min_score = 0.4
[words]
[quality]
[pii]
"#,
        common::shared_data()
            .join("url_blocklists/ut1")
            .to_string_lossy()
    );
    toml::from_str(&text).expect("filters config")
}

fn kept(chain: &FilterChain, docs: &[Doc]) -> usize {
    docs.iter()
        .filter(|d| {
            let mut d = (*d).clone();
            chain.check(&mut d).is_none()
        })
        .count()
}

fn filters(c: &mut Criterion) {
    std::env::set_current_dir(common::repo()).expect("repo root");
    let docs = common::generated_documents(4);
    let bytes: u64 = docs.iter().map(|d| d.text.len() as u64).sum();
    let full = filters_config();
    // Documents as the fused pass hands them to words and quality: labelled by language ID.
    let lid_only = FiltersConfig {
        lid: full.lid.clone(),
        ..FiltersConfig::default()
    }
    .build()
    .expect("lid");
    let labelled: Vec<Doc> = docs
        .iter()
        .map(|d| {
            let mut d = d.clone();
            let _ = lid_only.check(&mut d);
            d
        })
        .collect();
    let single = |name: &str| -> FiltersConfig {
        let mut c = FiltersConfig {
            settings: full.settings.clone(),
            ..FiltersConfig::default()
        };
        match name {
            "url" => c.url = full.url.clone(),
            "lid" => c.lid = full.lid.clone(),
            "words" => c.words = full.words.clone(),
            "quality" => c.quality = full.quality.clone(),
            "pii" => c.pii = full.pii.clone(),
            _ => unreachable!(),
        }
        c
    };
    let mut g = c.benchmark_group("filter");
    g.sample_size(10);
    let mut cases: Vec<(String, FilterChain, &[Doc])> = Vec::new();
    for name in ["url", "lid", "words", "quality", "pii"] {
        let input: &[Doc] = if matches!(name, "words" | "quality") {
            &labelled
        } else {
            &docs
        };
        cases.push((name.into(), single(name).build().expect(name), input));
    }
    cases.push(("fused".into(), full.build().expect("fused"), &docs));
    for (name, chain, input) in &cases {
        let want = kept(chain, input);
        eprintln!("filter/{name}: keeps {want} of {} documents", input.len());
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(format!("{name}/bytes"), |b| {
            b.iter(|| assert_eq!(kept(chain, input), want))
        });
        g.throughput(Throughput::Elements(input.len() as u64));
        g.bench_function(format!("{name}/docs"), |b| {
            b.iter(|| assert_eq!(kept(chain, input), want))
        });
    }
    g.finish();
}

criterion_group!(benches, filters);
criterion_main!(benches);
