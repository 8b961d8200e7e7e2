//! WARC/WET records → documents: `conversion` records (WET) carry text already; `response`
//! records (WARC) go through HTTP parsing, charset detection and main-content extraction.

use serde_json::Value;

use super::html::{extract_response, ExtractConfig};
use super::warc::{WarcEvent, WarcReader, WarcRecord};
use super::{date, new_doc, position_id, quarantine, text_from_bytes, InputFile, Item};
use crate::config::{BadDatePolicy, ReadConfig};

/// Documents of one WARC or WET file.
pub struct WarcDocs {
    file: InputFile,
    cfg: ReadConfig,
    extract: ExtractConfig,
    records: WarcReader,
    /// Crawl date from the warcinfo record or the file name, fallback for records without WARC-Date.
    crawl_date: Option<i64>,
}

impl WarcDocs {
    /// Open the file.
    pub fn open(file: InputFile, cfg: ReadConfig) -> std::io::Result<WarcDocs> {
        let input = super::gz::Decompressed::open(&file.path)?;
        let records = WarcReader::new(input, cfg.max_record_bytes);
        let extract = ExtractConfig {
            max_record_bytes: cfg.max_record_bytes,
            max_html_elements: cfg.max_html_elements,
        };
        let crawl_date = date::crawl_date(&file.display);
        Ok(WarcDocs {
            file,
            cfg,
            extract,
            records,
            crawl_date,
        })
    }

    fn location(&self, offset: u64) -> String {
        format!("{}#{offset}", self.file.display)
    }

    fn record_to_item(&mut self, rec: WarcRecord) -> Item {
        let kind = rec.warc_type();
        let location = self.location(rec.offset);
        let id = rec
            .header("WARC-Record-ID")
            .map(|s| {
                s.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| position_id(&self.file.source, &self.file.display, rec.offset));
        let url = rec.header("WARC-Target-URI").map(|u| {
            u.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        });
        match kind.as_str() {
            "warcinfo" => {
                if self.crawl_date.is_none() {
                    let body = String::from_utf8_lossy(&rec.body);
                    self.crawl_date = date::crawl_date(&body);
                }
                return Item::Skipped(kind);
            }
            "conversion" | "response" | "resource" => {}
            "" => {
                return quarantine(
                    &self.file,
                    Some(id),
                    url,
                    location,
                    "malformed_warc_header",
                    "record without WARC-Type".into(),
                )
            }
            _ => return Item::Skipped(kind),
        }
        if url.as_deref().is_none_or(str::is_empty) {
            // Mandatory for these record types (WARC 1.0 §5.6): a header line was lost.
            return quarantine(
                &self.file,
                Some(id),
                None,
                location,
                "missing_field",
                format!("{kind} record without WARC-Target-URI"),
            );
        }
        let raw_date = rec.header("WARC-Date").map(str::to_string);
        let parsed_date = raw_date.as_deref().and_then(date::parse_date);
        if raw_date.is_some()
            && parsed_date.is_none()
            && self.cfg.bad_date == BadDatePolicy::Quarantine
        {
            return quarantine(
                &self.file,
                Some(id),
                url,
                location,
                "bad_date",
                format!(
                    "WARC-Date {:?} does not parse",
                    raw_date.unwrap_or_default()
                ),
            );
        }
        let mut metadata = serde_json::Map::new();
        metadata.insert("warc_type".into(), Value::String(kind.clone()));
        if let Some(l) = rec.header("WARC-Identified-Content-Language") {
            metadata.insert("cc_languages".into(), Value::String(l.to_string()));
        }
        if let (Some(raw), None) = (&raw_date, parsed_date) {
            metadata.insert("unparsed_date".into(), Value::String(raw.clone()));
        }
        let is_html_record = kind == "response"
            || (kind == "resource"
                && rec
                    .header("Content-Type")
                    .is_some_and(|c| c.to_ascii_lowercase().contains("html")));
        let text = if is_html_record {
            let block = if kind == "response" {
                rec.body
            } else {
                // A resource record holds the page without HTTP headers.
                let mut b = b"HTTP/1.1 200 OK\r\nContent-Type: ".to_vec();
                b.extend_from_slice(rec.header("Content-Type").unwrap_or("text/html").as_bytes());
                b.extend_from_slice(b"\r\n\r\n");
                b.extend_from_slice(&rec.body);
                b
            };
            match extract_response(&block, url.as_deref(), &self.extract) {
                Ok(x) => {
                    metadata.insert("charset".into(), Value::String(x.charset.into()));
                    if let Some(t) = x.title {
                        metadata.insert("title".into(), Value::String(t));
                    }
                    x.text
                }
                Err(e) => {
                    return quarantine(&self.file, Some(id), url, location, e.reason, e.detail)
                }
            }
        } else {
            match text_from_bytes(rec.body, self.cfg.invalid_utf8) {
                Ok((t, repaired)) => {
                    if repaired {
                        metadata.insert("utf8_repaired".into(), Value::Bool(true));
                    }
                    t.trim().to_string()
                }
                Err(detail) => {
                    return quarantine(&self.file, Some(id), url, location, "invalid_utf8", detail)
                }
            }
        };
        if self.cfg.drop_empty && text.trim().is_empty() {
            return quarantine(
                &self.file,
                Some(id),
                url,
                location,
                "empty_text",
                "no text in the record".into(),
            );
        }
        let mut doc = new_doc(&self.file, id, text);
        doc.url = url;
        doc.date = parsed_date.or(self.crawl_date);
        if parsed_date.is_none() && doc.date.is_some() {
            metadata.insert("date_from".into(), Value::String("crawl_name".into()));
        }
        doc.metadata = metadata;
        Item::Doc { doc, location }
    }
}

impl Iterator for WarcDocs {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        match self.records.next()? {
            WarcEvent::Record(rec) => Some(self.record_to_item(rec)),
            WarcEvent::Bad {
                offset,
                reason,
                detail,
                record_id,
                target_uri,
            } => {
                let location = self.location(offset);
                let id =
                    record_id.map(|s| s.trim_start_matches('<').trim_end_matches('>').to_string());
                Some(quarantine(
                    &self.file, id, target_uri, location, reason, detail,
                ))
            }
        }
    }
}
