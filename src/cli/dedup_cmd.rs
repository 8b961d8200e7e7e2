//! `tamis dedup`: near-duplicate removal alone, on JSONL or Parquet documents.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::config::{InputConfig, ReadConfig};
use crate::dedup::{run_dedup, DedupConfig, Scope, Survivor, UnitInput};
use crate::out::OutDir;
use crate::read::expand_inputs;
use crate::read::fields::FieldsSpec;

/// Remove near-duplicate documents (MinHash LSH) from JSONL or Parquet documents, alone.
///
/// Writes OUT/docs/part-NNNNN.parquet (one shard per input file, survivors with cluster_size),
/// OUT/removed/dedup/… (each removed document with its survivor's id), OUT/stats/dedup.json and
/// the intermediates under OUT/dedup/. A rerun resumes from the finished steps.
#[derive(Debug, Args)]
pub struct DedupArgs {
    /// Input files or globs (JSONL, JSONL.gz/zst, Parquet; WARC/WET work too).
    #[arg(long = "input", short, required = true, value_name = "GLOB")]
    pub inputs: Vec<String>,
    /// Output directory.
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,
    /// Field mapping preset (fineweb, dolma, redpajama, redpajama-v1, tamis, text).
    #[arg(long, default_value = "fineweb")]
    pub fields: String,
    /// Source name stored on the documents.
    #[arg(long, default_value = "input")]
    pub source: String,
    /// Compare all documents (global), or only within a language (lang) or a source.
    #[arg(long, value_enum, default_value = "global")]
    pub scope: ScopeArg,
    /// Which document of a cluster stays.
    #[arg(long, value_enum, default_value = "oldest")]
    pub survivor: SurvivorArg,
    /// Shingle length in tokens.
    #[arg(long, default_value_t = 5)]
    pub ngram: usize,
    /// LSH bands.
    #[arg(long, default_value_t = 14)]
    pub bands: usize,
    /// Hashes per band.
    #[arg(long, default_value_t = 8)]
    pub rows: usize,
    /// Output directory of an earlier release (repeatable): documents that are near copies of
    /// documents it considered are removed with reason previous_release.
    #[arg(long, value_name = "DIR")]
    pub previous: Vec<PathBuf>,
    /// Memory for each signature task's band-key buffers and for each sort of the clustering
    /// step, in MiB; past it they spill sorted runs to disk (the clustering step holds 12 bytes
    /// per document in memory only while they fit in it).
    #[arg(long, default_value_t = DedupConfig::default().max_memory_mb)]
    pub max_memory_mb: usize,
    /// Worker threads (0 = all cores).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
}

/// `--scope`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ScopeArg {
    /// Every document against every other.
    Global,
    /// Within a language.
    Lang,
    /// Within a source.
    Source,
}

/// `--survivor`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SurvivorArg {
    /// Oldest date, then smallest id.
    Oldest,
    /// Newest date, then smallest id.
    Newest,
    /// Smallest id.
    Id,
}

/// `tamis dedup`.
pub fn run(args: DedupArgs) -> anyhow::Result<ExitCode> {
    let input = InputConfig {
        fields: FieldsSpec::Preset(args.fields.clone()),
        ..InputConfig::of_paths(args.inputs.clone(), &args.source)
    };
    let files = expand_inputs(&[input]).map_err(|p| anyhow::anyhow!("{}", p.join("\n")))?;
    let cfg = DedupConfig {
        ngram: args.ngram,
        bands: args.bands,
        rows: args.rows,
        scope: match args.scope {
            ScopeArg::Global => Scope::Global,
            ScopeArg::Lang => Scope::Lang,
            ScopeArg::Source => Scope::Source,
        },
        survivor: match args.survivor {
            SurvivorArg::Oldest => Survivor::Oldest,
            SurvivorArg::Newest => Survivor::Newest,
            SurvivorArg::Id => Survivor::Id,
        },
        previous: args.previous.clone(),
        max_memory_mb: args.max_memory_mb,
        ..DedupConfig::default()
    };
    let problems = cfg.problems();
    if !problems.is_empty() {
        anyhow::bail!("{}", crate::config::join_problems(&problems, "\n"));
    }
    let out = OutDir::create(&args.output)?;
    let inputs: Vec<UnitInput> = files.into_iter().map(UnitInput::File).collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()?;
    let (stats, summary) =
        pool.install(|| run_dedup(&out, &inputs, &ReadConfig::default(), &cfg, "docs"))?;
    print!("{}", crate::exec::dedup_summary_text(&stats, &summary));
    Ok(ExitCode::SUCCESS)
}
