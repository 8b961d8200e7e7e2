//! Tokenization and token-shard throughput on real multilingual text: every UDHR translation in
//! ../shared/data/udhr (109 languages, documents of ≈1.4 KB), on one core.
//!
//! - `encode/o200k_hf`: the real o200k `tokenizer.json` through the `tokenizers` crate
//!   (fancy-regex backend); `encode/o200k_tiktoken`: o200k through `tiktoken-rs`. Both produce
//!   the same ids (asserted). Reported twice: per byte of text (`bytes` group) and per token
//!   (`tokens` group).
//! - `megatron/write_int32`: `MegatronWriter` writing the o200k ids of the whole set (+ EOD) as
//!   an int32 shard, `.idx` and fsync + rename included.
//!
//! Note: the `tokenizers` BPE keeps a cache of recent words, so repeated passes over the same
//! text flatter it a little compared with a fresh corpus.
//!
//! Measured here (2 cores shared with other builds, load ≈ 4, so on the low side), 979 568
//! bytes in 614 documents, 250 792 tokens (3.91 bytes/token):
//! o200k via tokenizers ≈ 3.5 MiB/s ≈ 0.92 M tokens/s per core; via tiktoken-rs ≈ 13.3 MiB/s
//! ≈ 3.6 M tokens/s per core (the same ids, ≈ 3.8× faster: prefer `type = "tiktoken"` for
//! o200k/cl100k); MegatronWriter int32 ≈ 12.5 M tokens/s ≈ 50 MB/s including fsync and rename.

use std::io::Read;

mod common;

use common::shared_data;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rayon::prelude::*;
use tamis::out::OutDir;
use tamis::tokenize::{DType, MegatronWriter, TiktokenEncoding, Tokenizer};

/// The o200k tokenizer.json, decompressed into a temporary directory as a user would have it.
fn o200k_hf(dir: &std::path::Path) -> Tokenizer {
    let gz = shared_data().join("tokenizers/gpt-4o_o200k/tokenizer.json.gz");
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(gz).expect("o200k tokenizer.json.gz"))
        .read_to_end(&mut json)
        .expect("gunzip");
    let path = dir.join("tokenizer.json");
    std::fs::write(&path, json).expect("write tokenizer.json");
    Tokenizer::from_hf_file(&path, None).expect("load tokenizer.json")
}

fn tokenize(c: &mut Criterion) {
    let docs = common::udhr_documents();
    let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
    let tmp = tempfile::tempdir().expect("tempdir");
    let hf = o200k_hf(tmp.path());
    let tk = Tokenizer::from_tiktoken(TiktokenEncoding::O200kBase, None).expect("tiktoken");
    let ids: Vec<Vec<u32>> = docs.iter().map(|d| tk.encode(d)).collect();
    for (d, i) in docs.iter().zip(&ids) {
        assert_eq!(&hf.encode(d), i);
    }
    let tokens: u64 = ids.iter().map(|i| i.len() as u64).sum();
    eprintln!(
        "{} documents, {bytes} bytes, {tokens} o200k tokens ({:.2} bytes/token)",
        docs.len(),
        bytes as f64 / tokens as f64
    );

    for (group, throughput) in [
        ("bytes", Throughput::Bytes(bytes)),
        ("tokens", Throughput::Elements(tokens)),
    ] {
        let mut g = c.benchmark_group(format!("encode_{group}"));
        g.sample_size(10);
        g.throughput(throughput);
        for (name, t) in [("o200k_hf", &hf), ("o200k_tiktoken", &tk)] {
            g.bench_function(BenchmarkId::from_parameter(name), |b| {
                b.iter(|| {
                    let n: usize = docs.iter().map(|d| t.encode(d).len()).sum();
                    assert_eq!(n as u64, tokens);
                })
            });
        }
        g.finish();
    }

    // Scaling across cores: the same documents through tiktoken on rayon pools of 1 and 2
    // threads (documents are independent, as the units of the tokens stage are).
    let mut g = c.benchmark_group("encode_threads");
    g.sample_size(10);
    g.throughput(Throughput::Elements(tokens));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        g.bench_function(BenchmarkId::from_parameter(threads), |b| {
            b.iter(|| {
                let n: usize = pool.install(|| docs.par_iter().map(|d| tk.encode(d).len()).sum());
                assert_eq!(n as u64, tokens);
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("megatron");
    g.sample_size(10);
    let written = tokens + docs.len() as u64;
    g.throughput(Throughput::Elements(written));
    g.bench_function("write_int32", |b| {
        let out = OutDir::create(tmp.path().join("out")).expect("out dir");
        b.iter(|| {
            let mut w = MegatronWriter::create(&out, "tokens/bench", DType::I32, Some(tk.eod_id()))
                .expect("writer");
            for i in &ids {
                w.push(i).expect("push");
            }
            let s = w.finish().expect("finish");
            assert_eq!(s.tokens, written);
        })
    });
    g.finish();
}

criterion_group!(benches, tokenize);
criterion_main!(benches);
