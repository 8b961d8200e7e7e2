//! WARC/WET reader (plain or gzip members, chosen by the input's magic bytes): every record
//! becomes a document, a skip or a quarantine row with a reason; nothing panics.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use tamis::read::fields::FieldMap;
use tamis::read::Format;

fuzz_target!(|data: &[u8]| {
    common::read_all(
        data,
        "warc",
        Format::Warc,
        FieldMap::preset("text").unwrap(),
    );
});
