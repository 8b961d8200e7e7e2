//! The `file` format: one whole file is one document (source files of a code dump, text files).

use std::io::Read;

use serde_json::Value;

use super::{new_doc, position_id, quarantine, text_from_bytes, InputFile, Item};
use crate::config::ReadConfig;

/// Read the file as one document (or one quarantine row).
pub fn read(file: &InputFile, cfg: &ReadConfig) -> std::io::Result<Vec<Item>> {
    let location = file.display.clone();
    let mut bytes = Vec::new();
    let mut input = super::gz::Decompressed::open(&file.path)?;
    let n = (&mut input)
        .take(cfg.max_record_bytes + 1)
        .read_to_end(&mut bytes);
    let id = position_id(&file.source, &file.display, 0);
    match n {
        Err(e) => {
            return Ok(vec![quarantine(
                file,
                Some(id),
                None,
                location,
                "read_error",
                e.to_string(),
            )]);
        }
        Ok(n) if n as u64 > cfg.max_record_bytes => {
            return Ok(vec![quarantine(
                file,
                Some(id),
                None,
                location,
                "record_too_large",
                format!(
                    "file larger than max_record_bytes = {}",
                    cfg.max_record_bytes
                ),
            )]);
        }
        Ok(_) => {}
    }
    let (text, repaired) = match text_from_bytes(bytes, cfg.invalid_utf8) {
        Ok(t) => t,
        Err(d) => {
            return Ok(vec![quarantine(
                file,
                Some(id),
                None,
                location,
                "invalid_utf8",
                d,
            )])
        }
    };
    if cfg.drop_empty && text.trim().is_empty() {
        return Ok(vec![quarantine(
            file,
            Some(id),
            None,
            location,
            "empty_text",
            "empty file".into(),
        )]);
    }
    let mut doc = new_doc(file, id, text);
    let name = file
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    doc.metadata
        .insert("path".into(), Value::String(file.display.clone()));
    doc.metadata.insert("file_name".into(), Value::String(name));
    if repaired {
        doc.metadata
            .insert("utf8_repaired".into(), Value::Bool(true));
    }
    Ok(vec![Item::Doc { doc, location }])
}
