//! Printing a result: an aligned table for people, CSV or JSON for scripts.

use std::io::{self, Write};

use polars::prelude::*;

/// Output format.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Aligned table (polars' own layout).
    Table,
    /// RFC 4180 CSV with a header line.
    Csv,
    /// One JSON array of objects, column name → value.
    Json,
}

fn err(e: PolarsError) -> io::Error {
    io::Error::other(e.to_string())
}

/// A value as text: strings as they are, null as nothing, the rest as polars shows them.
fn text(v: &AnyValue) -> Option<String> {
    match v {
        AnyValue::Null => None,
        AnyValue::String(s) => Some(s.to_string()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    }
}

fn json(v: &AnyValue) -> serde_json::Value {
    use serde_json::Value;
    match v {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::Int8(x) => (*x).into(),
        AnyValue::Int16(x) => (*x).into(),
        AnyValue::Int32(x) => (*x).into(),
        AnyValue::Int64(x) => (*x).into(),
        AnyValue::UInt8(x) => (*x).into(),
        AnyValue::UInt16(x) => (*x).into(),
        AnyValue::UInt32(x) => (*x).into(),
        AnyValue::UInt64(x) => (*x).into(),
        AnyValue::Float32(x) => serde_json::Number::from_f64(*x as f64)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        AnyValue::Float64(x) => serde_json::Number::from_f64(*x)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        other => text(other).map(Value::String).unwrap_or(Value::Null),
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Print `df` to stdout.
pub fn print(df: &DataFrame, format: Format, max_rows: usize) -> io::Result<()> {
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    let columns = df.columns();
    let names: Vec<String> = columns.iter().map(|c| c.name().to_string()).collect();
    match format {
        Format::Table => {
            // polars reads its table layout from the environment; set before the first print.
            // SAFETY of the call: one thread, before polars formats anything.
            std::env::set_var("POLARS_FMT_MAX_ROWS", max_rows.to_string());
            std::env::set_var("POLARS_FMT_MAX_COLS", "-1");
            std::env::set_var("POLARS_FMT_STR_LEN", "60");
            writeln!(w, "{df}")?;
        }
        Format::Csv => {
            let header: Vec<String> = names.iter().map(|n| csv_field(n)).collect();
            writeln!(w, "{}", header.join(","))?;
            for i in 0..df.height() {
                let mut row = Vec::with_capacity(columns.len());
                for c in columns {
                    let v = c.get(i).map_err(err)?;
                    row.push(text(&v).map(|s| csv_field(&s)).unwrap_or_default());
                }
                writeln!(w, "{}", row.join(","))?;
            }
        }
        Format::Json => {
            let mut rows = Vec::with_capacity(df.height());
            for i in 0..df.height() {
                let mut obj = serde_json::Map::new();
                for (c, n) in columns.iter().zip(&names) {
                    obj.insert(n.clone(), json(&c.get(i).map_err(err)?));
                }
                rows.push(serde_json::Value::Object(obj));
            }
            serde_json::to_writer_pretty(&mut w, &rows).map_err(io::Error::other)?;
            writeln!(w)?;
        }
    }
    w.flush()
}
