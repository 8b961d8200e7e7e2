//! Parquet reader: a file that is not Parquet (or is damaged) is refused or quarantined; nothing
//! panics past the reader.
//!
//! The parquet and arrow crates panic on some damaged files; tamis catches those panics and
//! turns them into `corrupt_parquet` rows (tests/hostile.rs). libFuzzer's panic hook aborts on
//! every panic, caught or not, so here a panic raised inside those crates is left to tamis's
//! `catch_unwind`; any other panic still aborts and is reported.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use tamis::read::fields::FieldMap;
use tamis::read::Format;

fn caught_by_tamis(info: &std::panic::PanicHookInfo<'_>) -> bool {
    info.location().is_some_and(|l| {
        let f = l.file();
        f.contains("/parquet-") || f.contains("/arrow-")
    })
}

fuzz_target!(
    init: {
        let abort_on_panic = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !caught_by_tamis(info) {
                abort_on_panic(info);
            }
        }));
    },
    |data: &[u8]| {
        common::read_all(
            data,
            "parquet",
            Format::Parquet,
            FieldMap::preset("tamis").unwrap(),
        );
    }
);
