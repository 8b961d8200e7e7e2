//! Column scans over the parquet shards of a run (projection: only the columns asked for).

use std::io;
use std::path::Path;

pub use super::files::parquet_files;

use arrow_array::cast::AsArray;
use arrow_array::Array;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

/// Call `f(row, values)` for every row of `path`, with the string columns `cols` (None = null).
pub fn scan_strings(
    path: &Path,
    cols: &[&str],
    mut f: impl FnMut(u64, &[Option<&str>]) -> bool,
) -> io::Result<()> {
    let file = std::fs::File::open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(io::Error::other)?;
    let schema = builder.parquet_schema();
    let mut indices = Vec::new();
    for c in cols {
        let i = (0..schema.num_columns())
            .find(|&i| schema.column(i).name() == *c)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: no column {c}", path.display()),
                )
            })?;
        indices.push(i);
    }
    let mask = ProjectionMask::leaves(schema, indices);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(8192)
        .build()
        .map_err(io::Error::other)?;
    let mut row = 0u64;
    for batch in reader {
        let batch = batch.map_err(io::Error::other)?;
        let arrays: Vec<_> = cols
            .iter()
            .map(|c| {
                batch
                    .column_by_name(c)
                    .map(|a| a.as_string::<i32>().clone())
            })
            .collect();
        let mut vals: Vec<Option<&str>> = Vec::with_capacity(cols.len());
        for i in 0..batch.num_rows() {
            vals.clear();
            for a in &arrays {
                vals.push(a.as_ref().and_then(|a| (!a.is_null(i)).then(|| a.value(i))));
            }
            if !f(row, &vals) {
                return Ok(());
            }
            row += 1;
        }
    }
    Ok(())
}

/// Number of rows of a parquet file (from its footer).
pub fn row_count(path: &Path) -> io::Result<u64> {
    let file = std::fs::File::open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(io::Error::other)?;
    Ok(builder.metadata().file_metadata().num_rows() as u64)
}

/// For every document of a shard: (date µs, url, lang, source).
pub type DocFacts = (Option<i64>, Option<String>, Option<String>, String);

/// Read the date, url, lang and source columns of a documents shard.
pub fn scan_doc_facts(path: &Path, mut f: impl FnMut(DocFacts)) -> io::Result<()> {
    use arrow_array::types::TimestampMicrosecondType;
    let file = std::fs::File::open(path)?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(io::Error::other)?;
    let schema = builder.parquet_schema();
    let wanted = ["url", "date", "lang", "source"];
    let indices: Vec<usize> = (0..schema.num_columns())
        .filter(|&i| wanted.contains(&schema.column(i).name()))
        .collect();
    let mask = ProjectionMask::leaves(schema, indices);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(8192)
        .build()
        .map_err(io::Error::other)?;
    for batch in reader {
        let batch = batch.map_err(io::Error::other)?;
        let col = |n: &str| {
            batch.column_by_name(n).cloned().ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{}: no column {n}", path.display()),
                )
            })
        };
        let url = col("url")?;
        let url = url.as_string::<i32>();
        let lang = col("lang")?;
        let lang = lang.as_string::<i32>();
        let source = col("source")?;
        let source = source.as_string::<i32>();
        let date = col("date")?;
        let date = date.as_primitive::<TimestampMicrosecondType>();
        for i in 0..batch.num_rows() {
            f((
                (!date.is_null(i)).then(|| date.value(i)),
                (!url.is_null(i)).then(|| url.value(i).to_string()),
                (!lang.is_null(i)).then(|| lang.value(i).to_string()),
                source.value(i).to_string(),
            ));
        }
    }
    Ok(())
}
