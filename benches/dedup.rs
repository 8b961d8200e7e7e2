//! MinHash signature throughput on real multilingual text (documents of ≈1.4 KB cut from the
//! UDHR translations in ../shared/data/udhr): normalise, tokenise, shingle, 112 hashes, 14 band
//! keys. Reported in bytes of text per second on one core. datatrove's MinHash signature step
//! takes ≈10 ms per 1.4 KB document here (spaCy tokenisation dominating).

mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tamis::dedup::minhash::MinHasher;
use tamis::dedup::normalize::{normalise_and_hash_tokens, shingle_hashes};
use tamis::dedup::DedupConfig;

fn signatures(c: &mut Criterion) {
    let docs = common::udhr_documents();
    let bytes: usize = docs.iter().map(String::len).sum();
    let cfg = DedupConfig::default();
    let hasher = MinHasher::new(cfg.seed, cfg.bands, cfg.rows);
    let mut g = c.benchmark_group("dedup");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function(format!("signature_{}_docs", docs.len()), |b| {
        let (mut norm, mut t, mut s) = (Vec::new(), Vec::new(), Vec::new());
        let (mut sig, mut keys) = (Vec::new(), Vec::new());
        b.iter(|| {
            let mut n = 0;
            for d in &docs {
                // The stage's path: normalise and hash tokens in one pass.
                normalise_and_hash_tokens(d, cfg.seed, &mut norm, &mut t);
                shingle_hashes(&t, cfg.ngram, cfg.seed, &mut s);
                hasher.signature(&s, &mut sig);
                hasher.band_keys(&sig, 0, &mut keys);
                n += keys.len();
            }
            assert_eq!(n, docs.len() * cfg.bands);
        })
    });
    g.finish();
}

criterion_group!(benches, signatures);
criterion_main!(benches);
