//! `tamis-sql OUT QUERY`: SQL (polars) over the tables of a tamis release. `tamis audit sql`
//! runs this binary; it is its own crate so that polars never enters the core build.
//!
//! Tables (each registered only when its files exist):
//! - `docs`: `OUT/docs/*.parquet`, the kept documents;
//! - `removed`: `OUT/removed/*/*.parquet`, the removed log of every stage;
//! - `stats`: the merged counts `OUT/stats/<stage>.json`, one row per number:
//!   `stage`, `metric` (`docs_in`, `removed`, `kept_by_lang`, …), `key` (the reason, language,
//!   source, year… of a per-key count; null for a total) and `value`.
//!
//! Parquet tables are lazy scans: only the columns and row groups a query needs are read (the
//! `docs` table holds the full texts). Exit status: 0 answered, 2 a bad query, a missing table
//! or OUT.

// Finding the shards is shared with the core crate (std only) without depending on it.
#[path = "../../../src/release/files.rs"]
mod files;
mod output;
mod tables;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use polars::prelude::*;
use polars::sql::SQLContext;

/// SQL over a tamis release's tables: docs, removed, stats.
#[derive(Debug, Parser)]
#[command(name = "tamis-sql", version)]
struct Args {
    /// The output directory of a run.
    out: PathBuf,
    /// One SELECT statement over `docs`, `removed` and `stats`.
    query: String,
    /// `table` (aligned), `csv` or `json` (an array of objects).
    #[arg(long, default_value = "table")]
    format: output::Format,
    /// Rows printed in `table` format (csv and json print every row).
    #[arg(long, default_value_t = 100)]
    max_rows: usize,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tamis-sql: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &Args) -> std::io::Result<()> {
    let tables = tables::open(&args.out)?;
    let mut ctx = SQLContext::new();
    for (name, lf) in &tables.frames {
        ctx.register(name, lf.clone());
    }
    let df = ctx
        .execute(&args.query)
        .and_then(LazyFrame::collect)
        .map_err(|e| {
            let mut msg = format!("SQL: {e}");
            let s = e.to_string();
            if s.contains("not found") || s.contains("no table") || s.contains("relation") {
                msg.push_str(&format!(
                    "\n  tables of {}: {}",
                    args.out.display(),
                    tables.describe()
                ));
            }
            std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
        })?;
    output::print(&df, args.format, args.max_rows)
}
