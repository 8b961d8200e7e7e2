//! Parquet reader: a file that is not Parquet (or is damaged) is refused or quarantined; nothing
//! panics.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use tamis::read::fields::FieldMap;
use tamis::read::Format;

fuzz_target!(|data: &[u8]| {
    common::read_all(data, "parquet", Format::Parquet, FieldMap::preset("tamis").unwrap());
});
