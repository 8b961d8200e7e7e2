//! Document URLs and list entries: parsing, registrable domains, IDN → punycode, list keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tamis::filter::url::parse::{normalize_domain_entry, normalize_url_entry, parse_doc_url};

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    if normalize_domain_entry(data, &mut out).is_ok() {
        assert!(out.is_ascii(), "a normalised domain is ASCII (punycode)");
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(u) = parse_doc_url(s) {
        for suffix in u.host_suffixes() {
            assert!(!suffix.is_empty());
        }
    }
    let _ = normalize_url_entry(s);
});
