//! Parquet inputs (FineWeb schema, our own shards, any table with a text column), read batch by
//! batch so memory is bounded by the batch, not the file.

use std::fs::File;

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Float32Type, Float64Type, Int32Type, Int64Type,
    TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use serde_json::Value;

use super::{date, new_doc, position_id, quarantine, InputFile, Item};
use crate::config::{BadDatePolicy, ReadConfig};
use crate::doc::Kind;

const BATCH_ROWS: usize = 1024;

/// Documents of one Parquet file.
pub struct ParquetDocs {
    file: InputFile,
    cfg: ReadConfig,
    reader: Option<ParquetRecordBatchReader>,
    batch: Option<RecordBatch>,
    row_in_batch: usize,
    row: u64,
    pending: Vec<Item>,
}

/// Decode the footer with parquet 60 before parquet 57 reads it: 57 reserves memory from the list
/// lengths a footer announces (a 26-byte file asked for 178 GB and aborted the process), 60
/// checks each against the bytes left. Then every page header is checked too
/// ([`super::parquet_pages`]). A file refused here is a fact about the data: `InvalidData`,
/// quarantined by the caller.
fn check_footer(f: &File) -> std::io::Result<()> {
    use parquet_footer::errors::ParquetError;
    use parquet_footer::file::metadata::ParquetMetaDataReader;
    match ParquetMetaDataReader::new().parse_and_finish(f) {
        Ok(meta) => super::parquet_pages::check_page_headers(f, &meta),
        Err(ParquetError::External(e)) => match e.downcast::<std::io::Error>() {
            Ok(io) => Err(*io),
            Err(e) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
        },
        Err(e) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not a readable Parquet file: {e}"),
        )),
    }
}

/// The message of a caught panic.
fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panicked".into())
}

impl ParquetDocs {
    /// Open the file (a file that is not Parquet fails here and is quarantined whole by the caller).
    pub fn open(file: InputFile, cfg: ReadConfig) -> std::io::Result<ParquetDocs> {
        let f = File::open(&file.path)?;
        check_footer(&f)?;
        // Not Parquet (or a damaged footer) is a fact about the data: `InvalidData`, which the
        // caller quarantines; I/O errors keep their kind and fail the unit (a rerun retries).
        let parquet_err = |e: parquet::errors::ParquetError| match e {
            parquet::errors::ParquetError::External(inner) => {
                match inner.downcast::<std::io::Error>() {
                    Ok(io) => *io,
                    Err(other) => std::io::Error::new(std::io::ErrorKind::InvalidData, other),
                }
            }
            e => std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        };
        // The arrow schema a writer embeds is not needed (columns are found by name and cast),
        // and arrow-ipc 57 panics on some damaged ones (fuzz/): read the Parquet schema only.
        let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
        let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ParquetRecordBatchReaderBuilder::try_new_with_options(f, options)
                .and_then(|b| b.with_batch_size(BATCH_ROWS).build())
        }))
        .map_err(|p| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the Parquet decoder failed: {}", panic_message(p.as_ref())),
            )
        })?;
        let reader = opened.map_err(parquet_err)?;
        Ok(ParquetDocs {
            file,
            cfg,
            reader: Some(reader),
            batch: None,
            row_in_batch: 0,
            row: 0,
            pending: Vec::new(),
        })
    }

    fn column(&self, batch: &RecordBatch, name: Option<&str>) -> Option<ArrayRef> {
        let name = name?;
        batch.column_by_name(name).cloned()
    }

    fn row_item(&self, batch: &RecordBatch, i: usize) -> Item {
        let f = &self.file.fields;
        let location = format!("{}[{}]", self.file.display, self.row);
        let fallback = position_id(&self.file.source, &self.file.display, self.row);
        let id = self
            .column(batch, f.id.as_deref())
            .and_then(|c| string_at(&c, i))
            .filter(|s| !s.is_empty())
            .unwrap_or(fallback);
        let url = self
            .column(batch, f.url.as_deref())
            .and_then(|c| string_at(&c, i));
        let Some(text_col) = batch.column_by_name(&f.text) else {
            return quarantine(
                &self.file,
                Some(id),
                url,
                location,
                "missing_field",
                format!("no {:?} column", f.text),
            );
        };
        let text = match string_at(text_col, i) {
            Some(t) => t,
            None if text_col.is_null(i) => {
                return quarantine(
                    &self.file,
                    Some(id),
                    url,
                    location,
                    "missing_field",
                    format!("{:?} is null", f.text),
                )
            }
            None => {
                return quarantine(
                    &self.file,
                    Some(id),
                    url,
                    location,
                    "bad_field_type",
                    format!(
                        "{:?} is a {} column, not a string",
                        f.text,
                        text_col.data_type()
                    ),
                )
            }
        };
        if self.cfg.drop_empty && text.trim().is_empty() {
            return quarantine(
                &self.file,
                Some(id),
                url,
                location,
                "empty_text",
                format!("{:?} is empty", f.text),
            );
        }
        let mut metadata = serde_json::Map::new();
        let mut doc_date = None;
        if let Some(c) = self.column(batch, f.date.as_deref()) {
            if !c.is_null(i) {
                doc_date = date_at(&c, i);
                if doc_date.is_none() {
                    let raw = string_at(&c, i).unwrap_or_else(|| format!("<{}>", c.data_type()));
                    if self.cfg.bad_date == BadDatePolicy::Quarantine {
                        return quarantine(
                            &self.file,
                            Some(id),
                            url,
                            location,
                            "bad_date",
                            format!("date {raw:?} does not parse"),
                        );
                    }
                    metadata.insert("unparsed_date".into(), Value::String(raw));
                }
            }
        }
        if let Some(l) = self
            .column(batch, f.lang.as_deref())
            .and_then(|c| string_at(&c, i))
        {
            metadata.insert("source_lang".into(), Value::String(l));
        }
        let mapped = [
            Some(f.text.as_str()),
            f.id.as_deref(),
            f.url.as_deref(),
            f.date.as_deref(),
            f.lang.as_deref(),
        ];
        let schema = batch.schema();
        let mut doc = new_doc(&self.file, id, text);
        for (field, col) in schema.fields().iter().zip(batch.columns()) {
            let name = field.name().as_str();
            if mapped.contains(&Some(name)) || col.is_null(i) {
                continue;
            }
            // Our own shards round-trip: restore their typed columns.
            match name {
                "source" => {
                    if let Some(s) = string_at(col, i) {
                        metadata.insert("original_source".into(), Value::String(s));
                    }
                    continue;
                }
                "kind" => {
                    if let Some(k) = string_at(col, i).as_deref().and_then(Kind::parse) {
                        doc.kind = k;
                    }
                    continue;
                }
                "metadata" => {
                    if let Some(Ok(Value::Object(m))) =
                        string_at(col, i).map(|s| serde_json::from_str::<Value>(&s))
                    {
                        for (k, v) in m {
                            metadata.entry(k).or_insert(v);
                        }
                        continue;
                    }
                }
                _ => {}
            }
            if let Some(v) = scalar_at(col, i) {
                metadata.insert(name.to_string(), v);
            }
        }
        doc.url = url;
        doc.date = doc_date;
        doc.metadata = metadata;
        Item::Doc { doc, location }
    }
}

fn string_at(col: &ArrayRef, i: usize) -> Option<String> {
    if col.is_null(i) {
        return None;
    }
    match col.data_type() {
        DataType::Utf8 => Some(col.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Some(col.as_string::<i64>().value(i).to_string()),
        DataType::Utf8View => Some(col.as_string_view().value(i).to_string()),
        DataType::Int64 => Some(col.as_primitive::<Int64Type>().value(i).to_string()),
        DataType::Int32 => Some(col.as_primitive::<Int32Type>().value(i).to_string()),
        DataType::UInt64 => Some(col.as_primitive::<UInt64Type>().value(i).to_string()),
        _ => None,
    }
}

fn scalar_at(col: &ArrayRef, i: usize) -> Option<Value> {
    Some(match col.data_type() {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            Value::String(string_at(col, i)?)
        }
        DataType::Int64 => Value::from(col.as_primitive::<Int64Type>().value(i)),
        DataType::Int32 => Value::from(col.as_primitive::<Int32Type>().value(i)),
        DataType::UInt32 => Value::from(col.as_primitive::<UInt32Type>().value(i)),
        DataType::UInt64 => Value::from(col.as_primitive::<UInt64Type>().value(i)),
        DataType::Float64 => Value::from(col.as_primitive::<Float64Type>().value(i)),
        DataType::Float32 => Value::from(col.as_primitive::<Float32Type>().value(i) as f64),
        DataType::Boolean => Value::Bool(col.as_boolean().value(i)),
        _ => return None,
    })
}

fn date_at(col: &ArrayRef, i: usize) -> Option<i64> {
    match col.data_type() {
        DataType::Timestamp(unit, _) => {
            let micros = match unit {
                TimeUnit::Second => col
                    .as_primitive::<TimestampSecondType>()
                    .value(i)
                    .checked_mul(1_000_000),
                TimeUnit::Millisecond => col
                    .as_primitive::<TimestampMillisecondType>()
                    .value(i)
                    .checked_mul(1000),
                TimeUnit::Microsecond => {
                    Some(col.as_primitive::<TimestampMicrosecondType>().value(i))
                }
                TimeUnit::Nanosecond => {
                    Some(col.as_primitive::<TimestampNanosecondType>().value(i) / 1000)
                }
            }?;
            date::epoch(micros as f64 / 1e6).map(|_| micros)
        }
        DataType::Date32 => Some(col.as_primitive::<Date32Type>().value(i) as i64 * 86_400_000_000),
        DataType::Date64 => Some(col.as_primitive::<Date64Type>().value(i) * 1000),
        DataType::Int64 => date::epoch(col.as_primitive::<Int64Type>().value(i) as f64),
        DataType::Float64 => date::epoch(col.as_primitive::<Float64Type>().value(i)),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            date::parse_date(&string_at(col, i)?)
        }
        _ => None,
    }
}

impl Iterator for ParquetDocs {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        if let Some(p) = self.pending.pop() {
            return Some(p);
        }
        loop {
            if let Some(batch) = &self.batch {
                if self.row_in_batch < batch.num_rows() {
                    let item = self.row_item(batch, self.row_in_batch);
                    self.row_in_batch += 1;
                    self.row += 1;
                    return Some(item);
                }
            }
            self.batch = None;
            self.row_in_batch = 0;
            let reader = self.reader.as_mut()?;
            // The parquet and arrow crates panic on some damaged files; a panic here must not
            // take the run down with it.
            let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reader.next()))
                .unwrap_or_else(|p| {
                    Some(Err(arrow_schema::ArrowError::ExternalError(
                        format!("the Parquet decoder failed: {}", panic_message(p.as_ref())).into(),
                    )))
                });
            match next {
                None => {
                    self.reader = None;
                    return None;
                }
                Some(Ok(b)) => self.batch = Some(b),
                Some(Err(e)) => {
                    // A damaged row group or page: report it and stop this file (the decoder
                    // cannot resume inside a column chunk).
                    self.reader = None;
                    let location = format!("{}[{}]", self.file.display, self.row);
                    return Some(quarantine(
                        &self.file,
                        None,
                        None,
                        location,
                        "corrupt_parquet",
                        e.to_string(),
                    ));
                }
            }
        }
    }
}
