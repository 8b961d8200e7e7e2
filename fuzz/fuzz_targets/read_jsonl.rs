//! JSONL reader with nested field paths (FineWeb's fields plus a dotted `meta.url`), dates and
//! upstream language tags: every line is a document or a quarantine row; nothing panics.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use tamis::read::fields::FieldMap;
use tamis::read::Format;

fuzz_target!(|data: &[u8]| {
    let mut fields = FieldMap::preset("fineweb").unwrap();
    fields.url = Some("meta.url".into());
    common::read_all(data, "jsonl", Format::Jsonl, fields);
});
