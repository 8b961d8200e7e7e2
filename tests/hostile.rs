//! Hostile input: every item of a damaged or absurd file is either a document or a quarantine row
//! with a reason; nothing panics or hangs, and memory stays bounded by the record cap.

mod common;

use std::io::Write;

use tamis::config::{FormatName, InputConfig, InputKind, ReadConfig};
use tamis::read::fields::FieldsSpec;
use tamis::read::{expand_inputs, open, Item};

fn read_all(
    path: &std::path::Path,
    cfg: &ReadConfig,
) -> (Vec<tamis::doc::Doc>, Vec<(String, String)>) {
    let input = InputConfig {
        paths: vec![path.to_string_lossy().into_owned()],
        format: FormatName::Auto,
        source: "hostile".into(),
        fields: FieldsSpec::default(),
        kind: InputKind::Text,
    };
    let files = expand_inputs(&[input]).unwrap();
    let mut docs = Vec::new();
    let mut bad = Vec::new();
    match open(&files[0], cfg) {
        Err(e) => bad.push(("unreadable_file".into(), e.to_string())),
        Ok(items) => {
            for item in items {
                match item {
                    Item::Doc { doc, .. } => docs.push(doc),
                    Item::Removed(r) => bad.push((r.reason, r.detail)),
                    Item::Skipped(_) => {}
                }
            }
        }
    }
    (docs, bad)
}

#[test]
fn a_warc_truncated_at_every_byte_offset_never_panics_and_loses_nothing_silently() {
    let bytes =
        std::fs::read(common::shared_data().join("crawl/whirlwind_CC-MAIN-2024-22.warc.wet.gz"))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.warc.wet.gz");
    let (full_docs, _) = read_all(
        &common::shared_data().join("crawl/whirlwind_CC-MAIN-2024-22.warc.wet.gz"),
        &ReadConfig::default(),
    );
    assert_eq!(full_docs.len(), 1);
    for cut in 0..bytes.len() {
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let (docs, bad) = read_all(&path, &ReadConfig::default());
        // Either the one document came through whole, or its loss is reported with a reason.
        // A cut exactly between gzip members leaves a valid, shorter WARC (nothing to detect);
        // any other cut inside the record must be reported.
        let whole_members = {
            use std::io::Read;
            let mut v = Vec::new();
            flate2::read::MultiGzDecoder::new(&bytes[..cut])
                .read_to_end(&mut v)
                .is_ok()
        };
        if cut > 0 && docs.is_empty() && !whole_members {
            assert!(
                !bad.is_empty(),
                "cut at {cut}: document lost without a trace"
            );
        }
        for d in &docs {
            assert_eq!(
                d.text, full_docs[0].text,
                "cut at {cut}: a partial document passed as whole"
            );
        }
    }
}

#[test]
fn gzip_bomb_and_huge_lines_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    // A WARC record announcing 200 MB of zeros, compressed to a few hundred KB.
    let path = dir.path().join("bomb.warc.gz");
    let n: usize = 200 << 20;
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    write!(enc, "WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: http://bomb.example/\r\nWARC-Record-ID: <urn:uuid:bomb>\r\nContent-Length: {n}\r\n\r\n").unwrap();
    let zeros = vec![b'a'; 1 << 20];
    for _ in 0..200 {
        enc.write_all(&zeros).unwrap();
    }
    enc.write_all(b"\r\n\r\n").unwrap();
    enc.finish().unwrap();
    let cfg = ReadConfig {
        max_record_bytes: 8 << 20,
        ..ReadConfig::default()
    };
    let (docs, bad) = read_all(&path, &cfg);
    assert!(docs.is_empty());
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].0, "record_too_large", "{bad:?}");

    // A 20 MB single-line JSON document over an 8 MB cap, then a good line.
    let path = dir.path().join("long.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    write!(f, "{{\"text\": \"").unwrap();
    f.write_all(&vec![b'x'; 20 << 20]).unwrap();
    writeln!(f, "\"}}").unwrap();
    writeln!(f, "{{\"text\": \"after the long line\"}}").unwrap();
    drop(f);
    let (docs, bad) = read_all(&path, &cfg);
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].0, "record_too_large");
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].text, "after the long line");
}

#[test]
fn odd_bytes_dates_urls_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.jsonl");
    let long_url = format!("https://{}.example/{}", "a".repeat(60), "p".repeat(10_000));
    let mut lines: Vec<Vec<u8>> = vec![
        br#"{"id": "1", "text": "nul \u0000 inside", "date": "0000-01-01"}"#.to_vec(),
        br#"{"id": "2", "text": "year 9999", "date": "9999-12-31T23:59:59Z"}"#.to_vec(),
        format!(r#"{{"id": "3", "text": "long url", "url": "{long_url}"}}"#).into_bytes(),
        r#"{"id": "4", "text": "IDN", "url": "https://bücher.example/straße"}"#
            .as_bytes()
            .to_vec(),
        br#"{"id": "1", "text": "duplicate id"}"#.to_vec(),
        br#"{"id": "6", "text": 42}"#.to_vec(),
        br#"{"id": "7"}"#.to_vec(),
        br#"[1, 2, 3]"#.to_vec(),
    ];
    let mut bad_utf8 = br#"{"id": "8", "text": "caf"#.to_vec();
    bad_utf8.extend_from_slice(b"\xe9\xff\"}");
    lines.push(bad_utf8);
    let body: Vec<u8> = lines.join(&b'\n');
    std::fs::write(&path, body).unwrap();
    let (docs, bad) = read_all(&path, &ReadConfig::default());
    let reasons: Vec<&str> = bad.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "bad_field_type",
            "missing_field",
            "invalid_json",
            "invalid_utf8"
        ],
        "{bad:?}"
    );
    assert_eq!(docs.len(), 5);
    assert_eq!(docs[0].date, None, "year 0 is not a date");
    assert!(docs[0].metadata.contains_key("unparsed_date"));
    assert!(docs[1].date.is_some(), "year 9999 is");
    assert_eq!(docs[2].url.as_deref(), Some(long_url.as_str()));
    assert_eq!(
        docs.iter().filter(|d| d.id == "1").count(),
        2,
        "duplicate ids are kept; dedup decides"
    );

    for name in ["empty.jsonl", "empty.warc.gz", "empty.parquet"] {
        let p = dir.path().join(name);
        std::fs::write(&p, b"").unwrap();
        let (docs, bad) = read_all(&p, &ReadConfig::default());
        assert!(docs.is_empty(), "{name}");
        if name.ends_with(".parquet") {
            assert_eq!(bad.len(), 1, "an empty file is not Parquet: {bad:?}");
        }
    }
}

#[test]
fn deeply_nested_html_is_refused_or_parsed_without_crashing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep.warc");
    let depth = 50_000;
    let html = format!(
        "<html><body>{}<p>deep text</p>{}</body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let block = format!("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n{html}");
    let record = format!(
        "WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://deep.example/\r\nWARC-Record-ID: <urn:uuid:deep>\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
        block.len()
    );
    std::fs::write(&path, record).unwrap();
    let (docs, bad) = read_all(&path, &ReadConfig::default());
    assert_eq!(docs.len() + bad.len(), 1, "{bad:?}");
    if let Some((reason, _)) = bad.first() {
        assert_eq!(reason, "html_too_complex");
    }
}
