//! Throughput of the quality and PII passes on real text (the UDHR of every language in
//! shared/data, cut into documents of 5 paragraphs), one thread: the reported rate is per core.
//! The answers are asserted inside the loop. Run: `cargo bench --bench quality_pii`.

mod common;

use common::shared_data;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tamis::filter::pii::PiiConfig;
use tamis::filter::quality::QualityFilterConfig;
use tamis::filter::settings::LangSettings;
use tamis::filter::BuildCtx;

fn corpus() -> Vec<(String, String)> {
    let data = shared_data();
    let index = std::fs::read_to_string(data.join("udhr/index.tsv")).expect("udhr/index.tsv");
    let mut docs = Vec::new();
    for line in index.lines().skip(1) {
        let code = line.split('\t').next().unwrap();
        let tag = tamis::lang::canonical(code).unwrap();
        let text = std::fs::read_to_string(data.join(format!("udhr/{code}.txt"))).unwrap();
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        for chunk in lines.chunks(5) {
            docs.push((tag.clone(), chunk.join("\n")));
        }
    }
    docs
}

fn bench(c: &mut Criterion) {
    let root = common::repo();
    let docs = corpus();
    let bytes: usize = docs.iter().map(|(_, t)| t.len()).sum();
    let ctx = BuildCtx {
        settings: LangSettings::load(&root.join("filters")).unwrap(),
        assets: root.join("assets"),
        list_cache: None,
    };
    let quality = QualityFilterConfig {
        stopwords_dir: root.join("lists/stopwords"),
        ..QualityFilterConfig::default()
    }
    .build(&ctx)
    .unwrap();
    let pii = PiiConfig::default().build().unwrap();
    let kept = docs
        .iter()
        .filter(|(l, t)| quality.profile(Some(l)).evaluate(Some(l), t).is_ok())
        .count();
    // Unmerged 1–4-paragraph tails are short: a few are dropped by the length rule.
    assert!(kept * 100 >= docs.len() * 95, "{kept}/{}", docs.len());

    let mut g = c.benchmark_group("quality_pii");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function("quality_pass", |b| {
        b.iter(|| {
            let n = docs
                .iter()
                .filter(|(l, t)| {
                    quality
                        .profile(Some(l))
                        .evaluate(Some(l), black_box(t))
                        .is_ok()
                })
                .count();
            assert_eq!(n, kept);
        })
    });
    g.bench_function("pii_pass", |b| {
        b.iter(|| {
            let found: usize = docs.iter().map(|(_, t)| pii.find(black_box(t)).len()).sum();
            assert_eq!(found, 0, "the UDHR holds no PII");
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
