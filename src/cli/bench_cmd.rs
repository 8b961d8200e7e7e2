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
        /// Share of documents on a blocked domain.
        #[arg(long, default_value_t = 0.02)]
        blocked_share: f64,
        /// Share of documents with planted banned words.
        #[arg(long, default_value_t = 0.01)]
        banned_share: f64,
        /// Documents per output file (one file is one unit of work of a run: a corpus needs at
        /// least as many files as threads for a run to use them all).
        #[arg(long, default_value_t = 20_000)]
        docs_per_shard: usize,
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
            blocked_share,
            banned_share,
            docs_per_shard,
        } => {
            for (name, v) in [("blocked", blocked_share), ("banned", banned_share)] {
                if !(0.0..=1.0).contains(&v) {
                    anyhow::bail!("--{name}-share must be between 0 and 1, got {v}");
                }
            }
            if docs_per_shard == 0 {
                anyhow::bail!("--docs-per-shard must be at least 1");
            }
            let mut cfg = crate::bench::gen::GenConfig::new(shared, mb, seed);
            cfg.docs_per_shard = docs_per_shard;
            cfg.blocked_share = blocked_share;
            cfg.banned_share = banned_share;
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
