//! Readers: crawl dumps and corpus files → a stream of [`Item`]s, never a whole file in memory
//! (except the `file` format, where one file is one document and is capped by `max_record_bytes`).
//!
//! Damage never stops a file early without a trace: each unreadable record becomes a removed-log
//! row with stage `read`, its reason and its location, and reading goes on.

pub mod date;
pub mod fields;
pub mod gz;
pub mod html;
mod jsonl;
mod parquet_in;
mod parquet_pages;
mod single_file;
pub mod warc;
mod warc_docs;

use std::path::{Path, PathBuf};

use crate::config::{FormatName, InputConfig, InputKind, ReadConfig};
use crate::doc::{Doc, Kind, Removed};
use fields::FieldMap;

/// Concrete formats after `auto` is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// WARC or WET (record types decide).
    Warc,
    /// JSON lines.
    Jsonl,
    /// Parquet.
    Parquet,
    /// One whole file is one document (code files, plain text).
    File,
}

impl Format {
    /// Resolve a configured format for `path`.
    pub fn resolve(name: FormatName, path: &Path) -> Option<Format> {
        match name {
            FormatName::Warc | FormatName::Wet => Some(Format::Warc),
            FormatName::Jsonl => Some(Format::Jsonl),
            FormatName::Parquet => Some(Format::Parquet),
            FormatName::File => Some(Format::File),
            FormatName::Auto => Format::from_name(path),
        }
    }

    /// Guess from the file name.
    pub fn from_name(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let stem = name
            .trim_end_matches(".gz")
            .trim_end_matches(".zst")
            .trim_end_matches(".zstd");
        if stem.ends_with(".warc")
            || stem.ends_with(".wet")
            || stem.ends_with(".wat")
            || stem.ends_with(".arc")
        {
            Some(Format::Warc)
        } else if stem.ends_with(".jsonl") || stem.ends_with(".json") || stem.ends_with(".ndjson") {
            Some(Format::Jsonl)
        } else if stem.ends_with(".parquet") {
            Some(Format::Parquet)
        } else {
            None
        }
    }
}

/// One input file with everything needed to read it.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// Path on disk.
    pub path: PathBuf,
    /// The path as shown in locations and ids (as matched by the glob, `/` separators).
    pub display: String,
    /// Source name.
    pub source: String,
    /// Format.
    pub format: Format,
    /// Field mapping (JSONL, Parquet).
    pub fields: FieldMap,
    /// Text or code.
    pub kind: InputKind,
    /// Compressed size on disk, for progress.
    pub bytes: u64,
}

/// What a reader yields.
#[derive(Debug)]
pub enum Item {
    /// A document and where it came from (`path#offset`, `path:line`, `path[row]`).
    Doc {
        /// The document.
        doc: Doc,
        /// Location in the input.
        location: String,
    },
    /// A record that could not become a document (stage `read`).
    Removed(Removed),
    /// A record that is not a document by nature (`warcinfo`, `request`, `metadata`, `revisit`).
    Skipped(String),
}

/// A stable id from source, file and position: 128-bit xxh3, hex.
pub fn position_id(source: &str, display: &str, position: u64) -> String {
    let key = format!("{source}\u{0}{display}\u{0}{position}");
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(key.as_bytes()))
}

/// A quarantine row for `file`.
pub fn quarantine(
    file: &InputFile,
    id: Option<String>,
    url: Option<String>,
    location: String,
    reason: &str,
    detail: String,
) -> Item {
    Item::Removed(Removed {
        id: id.unwrap_or_else(|| location.clone()),
        url,
        source: file.source.clone(),
        lang: None,
        stage: "read".into(),
        reason: reason.into(),
        detail,
        location,
    })
}

/// A new document of `file` (kind from the input).
pub fn new_doc(file: &InputFile, id: String, text: String) -> Doc {
    Doc {
        id,
        text,
        source: file.source.clone(),
        kind: match file.kind {
            InputKind::Text => Kind::Text,
            InputKind::Code => Kind::Code,
        },
        ..Doc::default()
    }
}

/// Open a reader over one input file. Errors here (missing file, not a Parquet file) are
/// reported by the caller as one quarantine row for the whole file.
pub fn open(
    file: &InputFile,
    cfg: &ReadConfig,
) -> std::io::Result<Box<dyn Iterator<Item = Item> + Send>> {
    Ok(match file.format {
        Format::Warc => Box::new(warc_docs::WarcDocs::open(file.clone(), cfg.clone())?),
        Format::Jsonl => Box::new(jsonl::JsonlDocs::open(file.clone(), cfg.clone())?),
        Format::Parquet => Box::new(parquet_in::ParquetDocs::open(file.clone(), cfg.clone())?),
        Format::File => Box::new(single_file::read(file, cfg)?.into_iter()),
    })
}

/// Expand the globs of the inputs into a sorted, de-duplicated file list (the task split is a
/// pure function of this list). Fails with every glob that matched nothing.
pub fn expand_inputs(inputs: &[InputConfig]) -> Result<Vec<InputFile>, Vec<String>> {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let fields = match input.fields.resolve() {
            Ok(f) => f,
            Err(m) => {
                problems.push(format!("inputs[{i}].fields: {m}"));
                continue;
            }
        };
        for pattern in &input.paths {
            let paths = match glob::glob(pattern) {
                Ok(p) => p,
                Err(e) => {
                    problems.push(format!("inputs[{i}].paths: bad glob {pattern:?}: {e}"));
                    continue;
                }
            };
            let mut matched = 0;
            for entry in paths {
                let path = match entry {
                    Ok(p) => p,
                    Err(e) => {
                        problems.push(format!("inputs[{i}].paths: {pattern:?}: {e}"));
                        continue;
                    }
                };
                if path.is_dir() {
                    // A wildcard may match sub-directories; they hold no document themselves.
                    continue;
                }
                if !path.is_file() {
                    // Reading a FIFO would block forever and a broken link reads nothing: refuse
                    // now rather than lose the file silently or hang.
                    let what = match std::fs::symlink_metadata(&path) {
                        Ok(m) if m.file_type().is_symlink() => "a broken symbolic link",
                        Ok(_) => "not a regular file (a FIFO, socket or device)",
                        Err(_) => "gone or unreadable",
                    };
                    problems.push(format!(
                        "inputs[{i}].paths: {pattern:?} matches {}, which is {what}",
                        path.display()
                    ));
                    matched += 1;
                    continue;
                }
                matched += 1;
                let Some(format) = Format::resolve(input.format, &path) else {
                    problems.push(format!(
                        "inputs[{i}].format: cannot tell the format of {} from its name; set format = \"warc\" | \"jsonl\" | \"parquet\" | \"file\"",
                        path.display()
                    ));
                    continue;
                };
                let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                files.push(InputFile {
                    display: crate::out::slash_path(&path),
                    path,
                    source: input.source.clone(),
                    format,
                    fields: fields.clone(),
                    kind: input.kind,
                    bytes,
                });
            }
            if matched == 0 {
                problems.push(format!(
                    "inputs[{i}].paths: {pattern:?} matches no file (relative paths are taken from the working directory {})",
                    std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_default()
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    files.sort_by(|a, b| (&a.display, &a.source).cmp(&(&b.display, &b.source)));
    files.dedup_by(|a, b| a.display == b.display && a.source == b.source);
    Ok(files)
}

/// Decode text bytes by the UTF-8 policy; `Err(detail)` means quarantine.
pub fn text_from_bytes(
    bytes: Vec<u8>,
    policy: crate::config::Utf8Policy,
) -> Result<(String, bool), String> {
    match String::from_utf8(bytes) {
        Ok(s) => Ok((s, false)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            match policy {
                crate::config::Utf8Policy::Quarantine => Err(format!("invalid UTF-8 at byte {at}")),
                crate::config::Utf8Policy::Replace => {
                    Ok((String::from_utf8_lossy(e.as_bytes()).into_owned(), true))
                }
            }
        }
    }
}
