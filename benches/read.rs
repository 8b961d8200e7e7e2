//! Reader throughput on the real crawl files of ../shared/data/crawl: WET (text already
//! extracted: gzip + WARC parsing) and WARC (plus HTTP, charset and main-content extraction).
//! Throughput is in uncompressed bytes of the file per second, on one core.

mod common;

use std::io::Read;
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tamis::config::{InputConfig, ReadConfig};
use tamis::read::{expand_inputs, open, Item};

fn crawl(name: &str) -> PathBuf {
    common::shared_data().join("crawl").join(name)
}

fn uncompressed_len(path: &PathBuf) -> u64 {
    let mut d = flate2::read::MultiGzDecoder::new(std::fs::File::open(path).expect("crawl file"));
    let mut v = Vec::new();
    d.read_to_end(&mut v).expect("gzip");
    v.len() as u64
}

fn bench_file(c: &mut Criterion, label: &str, name: &str, expect_docs: usize) {
    let path = crawl(name);
    let input = InputConfig::of_paths(vec![path.to_string_lossy().into_owned()], "bench");
    let files = expand_inputs(&[input]).expect("input");
    let cfg = ReadConfig::default();
    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Bytes(uncompressed_len(&path)));
    g.bench_function(label, |b| {
        b.iter(|| {
            let docs = open(&files[0], &cfg)
                .expect("open")
                .filter(|i| matches!(i, Item::Doc { .. }))
                .count();
            assert_eq!(docs, expect_docs);
        })
    });
    g.finish();
}

fn readers(c: &mut Criterion) {
    bench_file(
        c,
        "wet_single_stream",
        "ccscalatools_CC-MAIN-2016-50.warc.wet.gz",
        25,
    );
    bench_file(
        c,
        "warc_html_extraction",
        "resiliparse_CC-MAIN-2020-34.warc.gz",
        16,
    );
}

criterion_group!(benches, readers);
criterion_main!(benches);
