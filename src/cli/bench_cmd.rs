//! `tamis bench`: benchmark helpers.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// Benchmark helpers.
#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, Subcommand)]
enum BenchCommand {
    /// Generate a deterministic crawl-like corpus from the real text in ../shared/data
    /// (part-NNNNN.jsonl.gz with FineWeb field names, and truth.jsonl listing every planted
    /// document: code, blocked URLs, banned words, exact and near duplicates).
    Gen {
        /// Output directory.
        #[arg(long, short)]
        output: PathBuf,
        /// Megabytes of text.
        #[arg(long, default_value_t = 10)]
        mb: u64,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The shared real data.
        #[arg(long, default_value = "../shared/data")]
        shared: PathBuf,
    },
}

/// `tamis bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        BenchCommand::Gen {
            output,
            mb,
            seed,
            shared,
        } => {
            let cfg = crate::bench::gen::GenConfig::new(shared, mb, seed);
            let (docs, bytes) = crate::bench::gen::generate(&cfg, &output)?;
            println!(
                "{docs} documents, {:.1} MB of text in {}",
                bytes as f64 / 1e6,
                output.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
