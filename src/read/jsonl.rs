//! JSON lines (`.jsonl`, `.jsonl.gz`, `.jsonl.zst`) with a configurable field mapping.

use std::io::{BufRead, BufReader};

use serde_json::Value;

use super::fields::lookup;
use super::gz::{as_corrupt_gzip, Decompressed};
use super::{date, new_doc, position_id, quarantine, text_from_bytes, InputFile, Item};
use crate::config::{BadDatePolicy, ReadConfig};

/// Documents of one JSONL file.
pub struct JsonlDocs {
    file: InputFile,
    cfg: ReadConfig,
    input: BufReader<Decompressed>,
    line_no: u64,
    buf: Vec<u8>,
    done: bool,
}

enum Line {
    Eof,
    Ok,
    TooLong(u64),
}

impl JsonlDocs {
    /// Open the file.
    pub fn open(file: InputFile, cfg: ReadConfig) -> std::io::Result<JsonlDocs> {
        let input = BufReader::with_capacity(1 << 16, Decompressed::open(&file.path)?);
        Ok(JsonlDocs {
            file,
            cfg,
            input,
            line_no: 0,
            buf: Vec::new(),
            done: false,
        })
    }

    /// Read one line into `buf` (without the newline), keeping at most `max_record_bytes`.
    fn read_line(&mut self) -> std::io::Result<Line> {
        self.buf.clear();
        let cap = self.cfg.max_record_bytes as usize;
        let mut content: u64 = 0;
        let mut any = false;
        loop {
            let chunk = self.input.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (part, found) = match memchr::memchr(b'\n', chunk) {
                Some(i) => (&chunk[..i], true),
                None => (chunk, false),
            };
            let keep = cap.saturating_sub(self.buf.len()).min(part.len());
            self.buf.extend_from_slice(&part[..keep]);
            content += part.len() as u64;
            let used = part.len() + usize::from(found);
            self.input.consume(used);
            if found {
                break;
            }
        }
        if !any {
            return Ok(Line::Eof);
        }
        if content > cap as u64 {
            return Ok(Line::TooLong(content));
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        Ok(Line::Ok)
    }

    fn location(&self) -> String {
        format!("{}:{}", self.file.display, self.line_no)
    }

    fn line_to_item(&mut self) -> Option<Item> {
        let location = self.location();
        let pos_id = || position_id(&self.file.source, &self.file.display, self.line_no);
        if self.buf.iter().all(|b| b.is_ascii_whitespace()) {
            return None; // blank lines separate nothing in JSONL
        }
        let line = std::mem::take(&mut self.buf);
        let (line, repaired) = match text_from_bytes(line, self.cfg.invalid_utf8) {
            Ok(x) => x,
            Err(d) => {
                return Some(quarantine(
                    &self.file,
                    Some(pos_id()),
                    None,
                    location,
                    "invalid_utf8",
                    d,
                ))
            }
        };
        let value: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => {
                return Some(quarantine(
                    &self.file,
                    Some(pos_id()),
                    None,
                    location,
                    "invalid_json",
                    e.to_string(),
                ))
            }
        };
        let mut item = json_to_item(&self.file, &self.cfg, value, location, pos_id());
        if let (true, Item::Doc { doc, .. }) = (repaired, &mut item) {
            doc.metadata
                .insert("utf8_repaired".into(), Value::Bool(true));
        }
        Some(item)
    }
}

/// Map one JSON object to a document (shared with other JSON-shaped inputs).
pub fn json_to_item(
    file: &InputFile,
    cfg: &ReadConfig,
    mut value: Value,
    location: String,
    fallback_id: String,
) -> Item {
    let f = &file.fields;
    if !value.is_object() {
        return quarantine(
            file,
            Some(fallback_id),
            None,
            location,
            "invalid_json",
            "the line is not a JSON object".into(),
        );
    }
    let id =
        f.id.as_deref()
            .and_then(|p| lookup(&value, p))
            .and_then(scalar_string)
            .filter(|s| !s.is_empty());
    let id = id.unwrap_or(fallback_id);
    let url = f
        .url
        .as_deref()
        .and_then(|p| lookup(&value, p))
        .and_then(scalar_string);
    let text = match take_top_level_text(&mut value, f) {
        Some(text) => text,
        None => match lookup(&value, &f.text) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => {
                return quarantine(
                    file,
                    Some(id),
                    url,
                    location,
                    "missing_field",
                    format!("no {:?} field", f.text),
                )
            }
            Some(other) => {
                return quarantine(
                    file,
                    Some(id),
                    url,
                    location,
                    "bad_field_type",
                    format!("{:?} is a {}, not a string", f.text, json_type(other)),
                )
            }
        },
    };
    if cfg.drop_empty && text.trim().is_empty() {
        return quarantine(
            file,
            Some(id),
            url,
            location,
            "empty_text",
            format!("{:?} is empty", f.text),
        );
    }
    let mut metadata = serde_json::Map::new();
    let mut date_value = None;
    if let Some(p) = f.date.as_deref() {
        match lookup(&value, p) {
            None | Some(Value::Null) => {}
            Some(v) => {
                let parsed = match v {
                    Value::String(s) => date::parse_date(s),
                    Value::Number(n) => n.as_f64().and_then(date::epoch),
                    _ => None,
                };
                if parsed.is_none() {
                    if cfg.bad_date == BadDatePolicy::Quarantine {
                        return quarantine(
                            file,
                            Some(id),
                            url,
                            location,
                            "bad_date",
                            format!("{p:?} = {v} does not parse as a date"),
                        );
                    }
                    metadata.insert("unparsed_date".into(), v.clone());
                }
                date_value = parsed;
            }
        }
    }
    if let Some(p) = f.lang.as_deref() {
        if let Some(l) = lookup(&value, p).and_then(scalar_string) {
            metadata.insert("source_lang".into(), Value::String(l));
        }
    }
    // Everything not mapped stays with the document.
    if let Value::Object(map) = value {
        let mapped = |k: &str| k == f.text || f.other_paths().any(|p| p == k);
        for (k, v) in map {
            if !mapped(&k) && !v.is_null() {
                metadata.entry(k).or_insert(v);
            }
        }
    }
    let mut doc = new_doc(file, id, text);
    doc.url = url;
    doc.date = date_value;
    doc.metadata = metadata;
    Item::Doc { doc, location }
}

/// The text moved out of the line when `f.text` is a top-level string key that no other mapping
/// names (the text is most of a line's bytes; its key never reaches the metadata). `None`
/// otherwise: a nested text stays inside its parent object, which the metadata keeps, and a text
/// that is also the id, url, date or lang is still needed there; the caller copies those.
/// A literal top-level key is what [`lookup`] finds first too, so both agree on which value is
/// the text.
fn take_top_level_text(value: &mut Value, f: &super::fields::FieldMap) -> Option<String> {
    if f.other_paths().any(|p| p == f.text) {
        return None;
    }
    match value.get_mut(&f.text) {
        Some(Value::String(s)) => Some(std::mem::take(s)),
        _ => None,
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl Iterator for JsonlDocs {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if self.done {
                return None;
            }
            self.line_no += 1;
            match self.read_line() {
                Ok(Line::Eof) => {
                    self.done = true;
                    return None;
                }
                Ok(Line::TooLong(n)) => {
                    let location = self.location();
                    let id = position_id(&self.file.source, &self.file.display, self.line_no);
                    return Some(quarantine(
                        &self.file,
                        Some(id),
                        None,
                        location,
                        "record_too_large",
                        format!(
                            "line of {n} bytes exceeds max_record_bytes = {}",
                            self.cfg.max_record_bytes
                        ),
                    ));
                }
                Ok(Line::Ok) => {
                    if let Some(item) = self.line_to_item() {
                        return Some(item);
                    }
                }
                Err(e) => {
                    let location = self.location();
                    let (reason, detail) = match as_corrupt_gzip(&e) {
                        Some(c) => ("corrupt_gzip", c.to_string()),
                        None => ("read_error", e.to_string()),
                    };
                    let n = self.input.buffer().len();
                    self.input.consume(n);
                    if !self.input.get_mut().resync().unwrap_or(false) {
                        self.done = true;
                    }
                    return Some(quarantine(&self.file, None, None, location, reason, detail));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::InputKind;
    use crate::read::fields::FieldMap;
    use crate::read::Format;
    use serde_json::json;

    fn item(fields: FieldMap, line: Value) -> crate::doc::Doc {
        let file = InputFile {
            path: "x.jsonl".into(),
            display: "x.jsonl".into(),
            source: "s".into(),
            format: Format::Jsonl,
            fields,
            kind: InputKind::Text,
            bytes: 0,
        };
        match json_to_item(
            &file,
            &ReadConfig::default(),
            line,
            "x:1".into(),
            "x-1".into(),
        ) {
            Item::Doc { doc, .. } => doc,
            other => panic!("not a document: {other:?}"),
        }
    }

    #[test]
    fn the_text_is_moved_out_only_where_no_other_mapping_or_metadata_sees_it() {
        let line = json!({"text": "Bonjour", "id": "a", "url": "https://e.fr/", "dump": "CC-1"});
        let doc = item(FieldMap::preset("fineweb").unwrap(), line);
        assert_eq!((doc.text.as_str(), doc.id.as_str()), ("Bonjour", "a"));
        assert_eq!(doc.url.as_deref(), Some("https://e.fr/"));
        assert_eq!(Value::Object(doc.metadata), json!({"dump": "CC-1"}));

        // A nested text stays inside its parent, which the metadata keeps whole.
        let mut fields = FieldMap::preset("text").unwrap();
        fields.text = "meta.body".into();
        let doc = item(fields, json!({"meta": {"body": "Hallo", "n": 1}}));
        assert_eq!(doc.text, "Hallo");
        assert_eq!(
            Value::Object(doc.metadata),
            json!({"meta": {"body": "Hallo", "n": 1}})
        );

        // The text field also named as the upstream language: both see it.
        let mut fields = FieldMap::preset("text").unwrap();
        fields.lang = Some("text".into());
        let doc = item(fields, json!({"text": "fr"}));
        assert_eq!(doc.text, "fr");
        assert_eq!(Value::Object(doc.metadata), json!({"source_lang": "fr"}));
    }
}
