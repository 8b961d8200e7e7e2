//! `tamis read`: print the documents of input files as JSON lines (to inspect a dump or check a
//! field mapping), with unreadable records on stderr.

use std::io::Write;

use std::process::ExitCode;

use clap::Args;
use serde_json::json;

use crate::config::{FormatName, InputConfig, InputKind, ReadConfig};
use crate::read::fields::FieldsSpec;
use crate::read::{expand_inputs, open, Item};

/// Print the documents of input files as JSON lines (id, url, date, source, text, metadata);
/// unreadable records are reported on stderr with their reason and location.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Input files or globs.
    #[arg(required = true)]
    pub paths: Vec<String>,
    /// Format (auto from the file name by default).
    #[arg(long, value_enum, default_value = "auto")]
    pub format: FormatArg,
    /// Field mapping preset for JSONL/Parquet (fineweb, dolma, redpajama, redpajama-v1, tamis, text).
    #[arg(long, default_value = "fineweb")]
    pub fields: String,
    /// Source name stored on the documents.
    #[arg(long, default_value = "cli")]
    pub source: String,
    /// Stop after this many documents.
    #[arg(long)]
    pub limit: Option<u64>,
}

/// Formats on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum FormatArg {
    /// From the file name.
    Auto,
    /// WARC or WET.
    Warc,
    /// JSON lines.
    Jsonl,
    /// Parquet.
    Parquet,
    /// One file, one document.
    File,
}

/// `tamis read`.
pub fn run(args: ReadArgs) -> anyhow::Result<ExitCode> {
    let input = InputConfig {
        paths: args.paths.clone(),
        format: match args.format {
            FormatArg::Auto => FormatName::Auto,
            FormatArg::Warc => FormatName::Warc,
            FormatArg::Jsonl => FormatName::Jsonl,
            FormatArg::Parquet => FormatName::Parquet,
            FormatArg::File => FormatName::File,
        },
        source: args.source.clone(),
        fields: FieldsSpec::Preset(args.fields.clone()),
        kind: InputKind::Text,
    };
    let files = expand_inputs(&[input]).map_err(|p| anyhow::anyhow!("{}", p.join("\n")))?;
    let cfg = ReadConfig::default();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut n = 0u64;
    let mut bad = 0u64;
    for file in &files {
        let items = match open(file, &cfg) {
            Ok(i) => i,
            Err(e) => {
                eprintln!("{}: unreadable: {e}", file.display);
                bad += 1;
                continue;
            }
        };
        for item in items {
            match item {
                Item::Doc { doc, location } => {
                    let line = json!({
                        "id": doc.id,
                        "url": doc.url,
                        "date": doc.date.map(crate::read::date::format_date),
                        "source": doc.source,
                        "location": location,
                        "text": doc.text,
                        "metadata": doc.metadata,
                    });
                    writeln!(out, "{line}")?;
                    n += 1;
                    if args.limit.is_some_and(|l| n >= l) {
                        out.flush()?;
                        return Ok(ExitCode::SUCCESS);
                    }
                }
                Item::Removed(r) => {
                    bad += 1;
                    eprintln!("{}: {} ({})", r.location, r.reason, r.detail);
                }
                Item::Skipped(_) => {}
            }
        }
    }
    out.flush()?;
    eprintln!("tamis: {n} documents, {bad} unreadable records");
    Ok(ExitCode::SUCCESS)
}
