//! HTTP response → main-content text: status line, headers, chunked and compressed bodies,
//! charsets, then the HTML extraction itself. Errors are fine, panics and hangs are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tamis::read::html::{extract_response, main_content, ExtractConfig};

fuzz_target!(|data: &[u8]| {
    let cfg = ExtractConfig {
        max_record_bytes: 1 << 20,
        max_html_elements: 5_000,
    };
    let _ = extract_response(data, Some("http://fuzz.example/page"), &cfg);
    // The extractor alone, on the bytes as text (no HTTP framing needed to reach it).
    let html = String::from_utf8_lossy(data);
    let _ = main_content(&html, None, cfg.max_html_elements);
});
