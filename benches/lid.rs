//! Language ID with lid.176 (`assets/models/lid.176.ftz` from set-up), the engine alone, one
//! core, k = 1, on the texts of `tamis bench gen` (real UDHR prose of 100+ languages and code):
//! - `lid/documents`: whole crawl-like documents (multi-line, 0.1–100 KB);
//! - `lid/short`: their first ≤ 200 bytes (cut at a character boundary).
//!
//! Reported in bytes and in texts per second. The word cache is warm after the first iteration
//! (a `tamis lid` run starts cold: `benches/lid_vs_reference.sh` measures that, side by side with
//! the C++ CLI). Every iteration checks its answer (the sum of the top labels' indices).

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tamis_fasttext::{Model, Scratch};

fn short(text: &str) -> String {
    let mut end = text.len().min(200);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// Sum of the top label's index over `texts`.
fn answer(model: &Model, texts: &[String], scratch: &mut Scratch) -> usize {
    let mut out = Vec::new();
    texts
        .iter()
        .map(|t| {
            model.predict_into(t, 1, 0.0, scratch, &mut out);
            out.first().map_or(0, |p| p.index)
        })
        .sum()
}

fn lid(c: &mut Criterion) {
    let path = common::repo().join("assets/models/lid.176.ftz");
    let model = Model::load(path).expect("lid.176.ftz: run ./setup --assets-only");
    let docs: Vec<String> = common::generated_documents(4)
        .into_iter()
        .map(|d| d.text)
        .collect();
    let shorts: Vec<String> = docs.iter().map(|t| short(t)).collect();
    let mut g = c.benchmark_group("lid");
    g.sample_size(10);
    for (name, texts) in [("documents", &docs), ("short", &shorts)] {
        let bytes: u64 = texts.iter().map(|t| t.len() as u64).sum();
        let mut scratch = Scratch::new();
        let want = answer(&model, texts, &mut scratch);
        eprintln!(
            "lid/{name}: {} texts, {} B average",
            texts.len(),
            bytes / texts.len().max(1) as u64
        );
        g.throughput(Throughput::Bytes(bytes));
        g.bench_function(format!("{name}/bytes"), |b| {
            b.iter(|| assert_eq!(answer(&model, texts, &mut scratch), want))
        });
        g.throughput(Throughput::Elements(texts.len() as u64));
        g.bench_function(format!("{name}/texts"), |b| {
            b.iter(|| assert_eq!(answer(&model, texts, &mut scratch), want))
        });
    }
    g.finish();
}

criterion_group!(benches, lid);
criterion_main!(benches);
