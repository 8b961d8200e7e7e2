//! Parquet shards of documents and of the removed log (zstd, fixed schema, deterministic bytes).

use std::io;
use std::sync::Arc;

use arrow_array::builder::{
    Float32Builder, StringBuilder, TimestampMicrosecondBuilder, UInt32Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;

use super::AtomicFile;
use crate::doc::{Doc, Removed};

/// Rows buffered before a record batch is handed to the parquet writer.
const BATCH_ROWS: usize = 4096;
/// Bytes of text buffered before a batch is flushed, whatever the row count (keeps memory flat
/// when documents are large).
const BATCH_TEXT_BYTES: usize = 32 << 20;
/// Rows per row group: large enough for good compression, small enough for parallel readers.
const ROW_GROUP_ROWS: usize = 65_536;

/// Schema of the kept-documents shards.
pub fn docs_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("text", DataType::Utf8, false),
        Field::new("url", DataType::Utf8, true),
        Field::new(
            "date",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("source", DataType::Utf8, false),
        Field::new("lang", DataType::Utf8, true),
        Field::new("lang_score", DataType::Float32, true),
        Field::new("kind", DataType::Utf8, false),
        Field::new("metadata", DataType::Utf8, false),
        Field::new("cluster_size", DataType::UInt32, true),
    ]))
}

/// Schema of the removed-log shards.
pub fn removed_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("url", DataType::Utf8, true),
        Field::new("source", DataType::Utf8, false),
        Field::new("lang", DataType::Utf8, true),
        Field::new("stage", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("detail", DataType::Utf8, false),
        Field::new("location", DataType::Utf8, false),
    ]))
}

fn writer_props() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_max_row_group_size(ROW_GROUP_ROWS)
        // A fixed creator string: the file bytes must not depend on the library build.
        .set_created_by(concat!("tamis ", env!("CARGO_PKG_VERSION")).to_string())
        .build()
}

/// Row `i` of a primitive column, `None` when the value is null or the column was not read.
fn value_at<T: arrow_array::ArrowPrimitiveType>(
    column: &Option<arrow_array::PrimitiveArray<T>>,
    i: usize,
) -> Option<T::Native> {
    use arrow_array::Array;
    column
        .as_ref()
        .filter(|c| !c.is_null(i))
        .map(|c| c.value(i))
}

fn parquet_err(e: parquet::errors::ParquetError) -> io::Error {
    io::Error::other(e)
}

fn arrow_err(e: arrow_schema::ArrowError) -> io::Error {
    io::Error::other(e)
}

/// Writes documents to one parquet shard, atomically.
pub struct DocWriter {
    writer: ArrowWriter<AtomicFile>,
    rows: Vec<Doc>,
    text_bytes: usize,
    written: u64,
}

impl DocWriter {
    /// Start a shard at `file` (nothing visible until [`DocWriter::finish`]).
    pub fn new(file: AtomicFile) -> io::Result<DocWriter> {
        let writer =
            ArrowWriter::try_new(file, docs_schema(), Some(writer_props())).map_err(parquet_err)?;
        Ok(DocWriter {
            writer,
            rows: Vec::with_capacity(BATCH_ROWS),
            text_bytes: 0,
            written: 0,
        })
    }

    /// Add one document.
    pub fn push(&mut self, doc: Doc) -> io::Result<()> {
        self.text_bytes += doc.text.len();
        self.rows.push(doc);
        if self.rows.len() >= BATCH_ROWS || self.text_bytes >= BATCH_TEXT_BYTES {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let batch = docs_batch(&self.rows)?;
        self.writer.write(&batch).map_err(parquet_err)?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        self.text_bytes = 0;
        Ok(())
    }

    /// Finish the shard and move it into place; returns the number of rows.
    pub fn finish(mut self) -> io::Result<u64> {
        self.flush_batch()?;
        let file = self.writer.into_inner().map_err(parquet_err)?;
        file.finish()?;
        Ok(self.written)
    }
}

/// One record batch of documents in [`docs_schema`].
pub fn docs_batch(rows: &[Doc]) -> io::Result<RecordBatch> {
    let n = rows.len();
    let text_len: usize = rows.iter().map(|d| d.text.len()).sum();
    let mut id = StringBuilder::with_capacity(n, n * 40);
    let mut text = StringBuilder::with_capacity(n, text_len);
    let mut url = StringBuilder::with_capacity(n, n * 60);
    let mut date = TimestampMicrosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut source = StringBuilder::with_capacity(n, n * 16);
    let mut lang = StringBuilder::with_capacity(n, n * 8);
    let mut score = Float32Builder::with_capacity(n);
    let mut kind = StringBuilder::with_capacity(n, n * 4);
    let mut meta = StringBuilder::with_capacity(n, n * 32);
    let mut cluster = UInt32Builder::with_capacity(n);
    for d in rows {
        id.append_value(&d.id);
        text.append_value(&d.text);
        url.append_option(d.url.as_deref());
        date.append_option(d.date);
        source.append_value(&d.source);
        lang.append_option(d.lang.as_deref());
        score.append_option(d.lang_score);
        kind.append_value(d.kind.as_str());
        // serde_json::Map is a BTreeMap here (no preserve_order feature): keys come out sorted,
        // so the bytes are deterministic. Written as `Value::Object(map).to_string()` would write
        // it, without copying the map first.
        let json = serde_json::to_string(&d.metadata).map_err(io::Error::other)?;
        meta.append_value(json);
        cluster.append_option(d.cluster_size);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(text.finish()),
        Arc::new(url.finish()),
        Arc::new(date.finish()),
        Arc::new(source.finish()),
        Arc::new(lang.finish()),
        Arc::new(score.finish()),
        Arc::new(kind.finish()),
        Arc::new(meta.finish()),
        Arc::new(cluster.finish()),
    ];
    RecordBatch::try_new(docs_schema(), cols).map_err(arrow_err)
}

/// Writes removed-log rows to one parquet shard, atomically.
pub struct RemovedWriter {
    writer: ArrowWriter<AtomicFile>,
    rows: Vec<Removed>,
    written: u64,
}

impl RemovedWriter {
    /// Start a shard at `file`.
    pub fn new(file: AtomicFile) -> io::Result<RemovedWriter> {
        let writer = ArrowWriter::try_new(file, removed_schema(), Some(writer_props()))
            .map_err(parquet_err)?;
        Ok(RemovedWriter {
            writer,
            rows: Vec::new(),
            written: 0,
        })
    }

    /// Add one row.
    pub fn push(&mut self, row: Removed) -> io::Result<()> {
        self.rows.push(row);
        if self.rows.len() >= BATCH_ROWS {
            self.flush_batch()?;
        }
        Ok(())
    }

    fn flush_batch(&mut self) -> io::Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let n = self.rows.len();
        let mut b: Vec<StringBuilder> = (0..8)
            .map(|_| StringBuilder::with_capacity(n, n * 32))
            .collect();
        for r in &self.rows {
            b[0].append_value(&r.id);
            b[1].append_option(r.url.as_deref());
            b[2].append_value(&r.source);
            b[3].append_option(r.lang.as_deref());
            b[4].append_value(&r.stage);
            b[5].append_value(&r.reason);
            b[6].append_value(&r.detail);
            b[7].append_value(&r.location);
        }
        let cols: Vec<ArrayRef> = b
            .iter_mut()
            .map(|c| Arc::new(c.finish()) as ArrayRef)
            .collect();
        let batch = RecordBatch::try_new(removed_schema(), cols).map_err(arrow_err)?;
        self.writer.write(&batch).map_err(parquet_err)?;
        self.written += n as u64;
        self.rows.clear();
        Ok(())
    }

    /// Finish the shard and move it into place; returns the number of rows.
    pub fn finish(mut self) -> io::Result<u64> {
        self.flush_batch()?;
        let file = self.writer.into_inner().map_err(parquet_err)?;
        file.finish()?;
        Ok(self.written)
    }
}

/// Which columns [`read_docs`] decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocColumns {
    /// Every column: documents exactly as written.
    All,
    /// What a dedup signature reads (id, text, date, source, language): the url, score, kind,
    /// metadata and cluster size are neither decompressed nor decoded, and are left empty.
    Signature,
}

/// Read back a shard written by [`DocWriter`], batch by batch.
pub fn read_docs(
    path: &std::path::Path,
    columns: DocColumns,
) -> io::Result<impl Iterator<Item = io::Result<Doc>>> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float32Type, TimestampMicrosecondType, UInt32Type};
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ProjectionMask;

    let file = std::fs::File::open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(parquet_err)?;
    if builder.schema().fields() != docs_schema().fields() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: not a tamis documents shard (schema differs)",
                path.display()
            ),
        ));
    }
    let builder = match columns {
        DocColumns::All => builder,
        DocColumns::Signature => {
            let schema = docs_schema();
            let roots = ["id", "text", "date", "source", "lang"]
                .iter()
                .filter_map(|name| schema.index_of(name).ok());
            let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
            builder.with_projection(mask)
        }
    };
    let reader = builder.with_batch_size(1024).build().map_err(parquet_err)?;
    let path = path.to_path_buf();
    Ok(reader.flat_map(move |batch| -> Vec<io::Result<Doc>> {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => return vec![Err(io::Error::other(format!("{}: {e}", path.display())))],
        };
        // Columns left out by the projection read as absent.
        let column = |name: &str| batch.column_by_name(name);
        let string = |name: &str| column(name).map(|c| c.as_string::<i32>().clone());
        let (Some(id), Some(text), Some(source)) = (string("id"), string("text"), string("source"))
        else {
            return vec![Err(io::Error::other(format!(
                "{}: a required column was not read",
                path.display()
            )))];
        };
        let (url, lang, kind, meta) = (
            string("url"),
            string("lang"),
            string("kind"),
            string("metadata"),
        );
        let date = column("date").map(|c| c.as_primitive::<TimestampMicrosecondType>().clone());
        let score = column("lang_score").map(|c| c.as_primitive::<Float32Type>().clone());
        let cluster = column("cluster_size").map(|c| c.as_primitive::<UInt32Type>().clone());
        (0..batch.num_rows())
            .map(|i| {
                let metadata = match &meta {
                    None => serde_json::Map::new(),
                    Some(meta) => match serde_json::from_str::<serde_json::Value>(meta.value(i)) {
                        Ok(serde_json::Value::Object(m)) => m,
                        _ => {
                            return Err(io::Error::new(
                                io::ErrorKind::InvalidData,
                                format!(
                                    "{}: row {i}: metadata is not a JSON object",
                                    path.display()
                                ),
                            ))
                        }
                    },
                };
                let text_at = |a: &Option<arrow_array::StringArray>| {
                    a.as_ref()
                        .filter(|a| !a.is_null(i))
                        .map(|a| a.value(i).to_string())
                };
                Ok(Doc {
                    id: id.value(i).to_string(),
                    text: text.value(i).to_string(),
                    url: text_at(&url),
                    date: value_at(&date, i),
                    source: source.value(i).to_string(),
                    lang: text_at(&lang),
                    lang_score: value_at(&score, i),
                    kind: kind
                        .as_ref()
                        .and_then(|k| crate::doc::Kind::parse(k.value(i)))
                        .unwrap_or_default(),
                    metadata,
                    cluster_size: value_at(&cluster, i),
                })
            })
            .collect()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::out::OutDir;

    #[test]
    fn documents_round_trip_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::create(dir.path()).unwrap();
        let mut docs = Vec::new();
        for i in 0..5000u32 {
            let mut d = Doc {
                id: format!("doc-{i}"),
                text: format!("text {i} é 中"),
                url: (i % 2 == 0).then(|| format!("https://x.example/{i}")),
                date: (i % 3 != 0).then_some(i as i64 * 1_000_000),
                source: "s".into(),
                lang: (i % 5 != 0).then(|| "fra_Latn".into()),
                lang_score: (i % 5 != 0).then_some(0.5),
                kind: if i % 7 == 0 {
                    crate::doc::Kind::Code
                } else {
                    crate::doc::Kind::Text
                },
                cluster_size: (i % 4 == 0).then_some(i),
                ..Doc::default()
            };
            d.metadata.insert("k".into(), serde_json::Value::from(i));
            docs.push(d);
        }
        let mut w = DocWriter::new(out.create_file("d.parquet").unwrap()).unwrap();
        for d in &docs {
            w.push(d.clone()).unwrap();
        }
        assert_eq!(w.finish().unwrap(), 5000);
        let back: Vec<Doc> = read_docs(&dir.path().join("d.parquet"), DocColumns::All)
            .unwrap()
            .map(|d| d.unwrap())
            .collect();
        assert_eq!(back, docs);
        // The signature's columns, and nothing else.
        let lean: Vec<Doc> = read_docs(&dir.path().join("d.parquet"), DocColumns::Signature)
            .unwrap()
            .map(|d| d.unwrap())
            .collect();
        let expected: Vec<Doc> = docs
            .into_iter()
            .map(|d| Doc {
                id: d.id,
                text: d.text,
                date: d.date,
                source: d.source,
                lang: d.lang,
                ..Doc::default()
            })
            .collect();
        assert_eq!(lean, expected);
    }
}
