//! Every real crawl file in ../shared/data/crawl is read: good records become documents, bad
//! ones become quarantine rows with a reason, and none is lost or crashes the reader.

mod common;

use common::shared_data;
use std::collections::BTreeMap;

use tamis::config::{FormatName, InputConfig, ReadConfig};
use tamis::read::{expand_inputs, open, Item};

#[derive(Debug, Default)]
struct Outcome {
    docs: Vec<(String, Option<String>, usize)>,
    removed: Vec<(String, String)>,
    skipped: BTreeMap<String, u64>,
}

fn read_file(name: &str, format: FormatName) -> Outcome {
    let path = shared_data().join("crawl").join(name);
    assert!(path.is_file(), "missing test data {}", path.display());
    let input = InputConfig {
        format,
        ..InputConfig::of_paths(vec![path.to_string_lossy().into_owned()], "test")
    };
    let files = expand_inputs(&[input]).expect("glob");
    let mut out = Outcome::default();
    for item in open(&files[0], &ReadConfig::default()).expect("open") {
        match item {
            Item::Doc { doc, .. } => out.docs.push((doc.id, doc.url, doc.text.len())),
            Item::Removed(r) => out.removed.push((r.reason, r.detail)),
            Item::Skipped(k) => *out.skipped.entry(k).or_default() += 1,
        }
    }
    out
}

#[test]
fn common_crawl_wet_single_gzip_stream() {
    let o = read_file("ccscalatools_CC-MAIN-2016-50.warc.wet.gz", FormatName::Auto);
    assert_eq!(o.docs.len(), 25, "25 conversion records");
    assert!(o.removed.is_empty(), "{:?}", o.removed);
    assert_eq!(o.skipped.get("warcinfo"), Some(&1));
    assert!(o
        .docs
        .iter()
        .all(|(id, url, len)| id.starts_with("urn:uuid:") && url.is_some() && *len > 0));
}

#[test]
fn warc_responses_become_main_content_text() {
    let o = read_file("resiliparse_CC-MAIN-2020-34.warc.gz", FormatName::Auto);
    // 16 request/response/metadata triples + warcinfo; one extra request record in the file.
    assert_eq!(o.docs.len() + o.removed.len(), 16, "{:?}", o.removed);
    assert!(
        o.docs.len() >= 14,
        "most responses are HTML pages with text: {:?}",
        o.removed
    );
    assert_eq!(o.skipped.get("request"), Some(&17));
    assert_eq!(o.skipped.get("metadata"), Some(&16));

    let w = read_file("whirlwind_CC-MAIN-2024-22.warc.gz", FormatName::Auto);
    assert_eq!(w.docs.len(), 1);
    let wet = read_file("whirlwind_CC-MAIN-2024-22.warc.wet.gz", FormatName::Auto);
    assert_eq!(wet.docs.len(), 1);
    // The same page: readability's main content is shorter than the WET text (menus dropped).
    assert!(
        w.docs[0].2 < wet.docs[0].2,
        "{} vs {}",
        w.docs[0].2,
        wet.docs[0].2
    );
    assert!(w.docs[0].2 > 500);
}

#[test]
fn other_warc_writers_and_record_types() {
    let o = read_file("warcio_example.warc.gz", FormatName::Auto);
    assert_eq!(o.docs.len(), 1);
    assert_eq!(o.skipped.get("revisit"), Some(&1));
    let o = read_file("jwarc_cc.warc.gz", FormatName::Auto);
    assert_eq!(o.docs.len(), 1);
    assert_eq!(o.docs[0].1.as_deref(), Some("http://commoncrawl.org/"));
    let o = read_file("whirlwind_CC-MAIN-2024-22.warc.wat.gz", FormatName::Auto);
    assert!(o.docs.is_empty() && o.removed.is_empty());
    assert_eq!(o.skipped.get("metadata"), Some(&1));
}

#[test]
fn malformed_fixtures_are_quarantined_with_reasons() {
    let o = read_file(
        "malformed/ccscalatools_appended_zip_fragment_unexpected_eof.wet.gz",
        FormatName::Auto,
    );
    assert_eq!(o.docs.len(), 15);
    assert_eq!(o.removed.len(), 1, "{:?}", o.removed);
    assert_eq!(o.removed[0].0, "corrupt_gzip");

    let o = read_file(
        "malformed/ccscalatools_corrupt_two_warcinfo.wet.gz",
        FormatName::Auto,
    );
    assert_eq!(o.docs.len(), 5);
    assert_eq!(o.skipped.get("warcinfo"), Some(&2));

    let o = read_file(
        "malformed/ccscalatools_corrupt_warcconversion_1.wet.gz",
        FormatName::Auto,
    );
    assert_eq!(o.docs.len(), 4);
    assert_eq!(o.removed.len(), 1);
    assert_eq!(o.removed[0].0, "missing_field");
    assert!(o.removed[0].1.contains("WARC-Target-URI"));

    let o = read_file(
        "malformed/ccscalatools_fragment2_no_header.wet.gz",
        FormatName::Auto,
    );
    let reasons: Vec<&str> = o.removed.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(reasons, ["malformed_warc", "truncated_record"]);
    assert_eq!(
        o.docs.len(),
        1,
        "the one whole record after the fragment is read"
    );
}
