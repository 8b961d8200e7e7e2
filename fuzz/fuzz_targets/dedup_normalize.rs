//! The dedup text normaliser and shingling, for any Unicode text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tamis::dedup::normalize::{normalise, shingle_hashes, token_hashes};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let n = normalise(&text);
    let mut tokens = Vec::new();
    token_hashes(&n, 7, &mut tokens);
    let mut shingles = Vec::new();
    shingle_hashes(&tokens, 5, 7, &mut shingles);
    shingle_hashes(&tokens, 1, 7, &mut shingles);
});
