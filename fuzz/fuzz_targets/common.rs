//! Shared by the reader targets: the readers take files, so each input is written to one scratch
//! file per process (in `$TMPDIR`, ideally a tmpfs) and read back through `tamis::read::open`.

use std::path::PathBuf;

use tamis::config::{InputKind, ReadConfig};
use tamis::read::fields::FieldMap;
use tamis::read::{open, Format, InputFile, Item};

/// Read `data` as a file named `*.{ext}` in `format`, draining every item. Small caps keep
/// each execution fast; the caps themselves are part of what is exercised.
pub fn read_all(data: &[u8], ext: &str, format: Format, fields: FieldMap) {
    let path = scratch(ext);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let file = InputFile {
        display: "fuzz".into(),
        path,
        source: "fuzz".into(),
        format,
        fields,
        kind: InputKind::Text,
        bytes: data.len() as u64,
    };
    let cfg = ReadConfig {
        max_record_bytes: 1 << 20,
        max_html_elements: 5_000,
        ..ReadConfig::default()
    };
    let Ok(items) = open(&file, &cfg) else {
        return;
    };
    for item in items {
        match item {
            Item::Doc { doc, location } => {
                assert!(!location.is_empty());
                assert!(!doc.id.is_empty());
            }
            Item::Removed(r) => {
                assert!(!r.reason.is_empty(), "a quarantine row without a reason");
            }
            Item::Skipped(_) => {}
        }
    }
}

fn scratch(ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tamis-fuzz-{}.{ext}", std::process::id()))
}
