//! `tamis tokenizer train` and `tamis tokenizer fertility`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::config::{InputConfig, ReadConfig};
use crate::read::fields::FieldsSpec;
use crate::read::{expand_inputs, InputFile};
use crate::tokenize::fertility::Fertility;
use crate::tokenize::train::{balance_key, train_bpe, BalancedSampler, TrainConfig};
use crate::tokenize::{fold_docs, ReadReport, Tokenizer, TokenizerSpec};

/// Train a tokenizer on the curated corpus, or measure tokenizers per language.
#[derive(Debug, Args)]
pub struct TokenizerArgs {
    #[command(subcommand)]
    command: TokenizerCommand,
}

#[derive(Debug, Subcommand)]
enum TokenizerCommand {
    Train(TrainArgs),
    Fertility(FertilityArgs),
}

/// Where the documents come from (shared by both subcommands).
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Input files or globs: JSONL (.gz/.zst) or Parquet documents, e.g. OUT/docs/*.parquet.
    #[arg(long = "input", short, required = true, value_name = "GLOB")]
    pub inputs: Vec<String>,
    /// Field mapping preset (tamis, fineweb, dolma, redpajama, redpajama-v1, text). The
    /// language is taken from a `lang`, `language` or `source_lang` field when there is one.
    #[arg(long, default_value = "tamis")]
    pub fields: String,
    /// Source name stored on the documents (the balancing group of documents without a
    /// language, unless the input records its own source).
    #[arg(long, default_value = "input")]
    pub source: String,
    /// Worker threads (0 = all cores).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
}

impl InputArgs {
    fn files(&self) -> anyhow::Result<Vec<InputFile>> {
        let input = InputConfig {
            fields: FieldsSpec::Preset(self.fields.clone()),
            ..InputConfig::of_paths(self.inputs.clone(), &self.source)
        };
        expand_inputs(&[input]).map_err(|p| anyhow::anyhow!("{}", p.join("\n")))
    }

    fn pool(&self) -> anyhow::Result<rayon::ThreadPool> {
        Ok(rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()?)
    }
}

/// Train a byte-level BPE tokenizer on a language-balanced sample of documents.
///
/// Each language (or source, for documents without a language) gives at most
/// --max-bytes-per-group bytes: a seeded uniform sample of its documents, so small languages
/// are not drowned by large ones. The output tokenizer.json is byte-identical for the same
/// inputs and options, whatever the thread count.
#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Where to write tokenizer.json.
    #[arg(long, short, value_name = "FILE")]
    pub output: PathBuf,
    /// Vocabulary size (special tokens and the 256 byte symbols included).
    #[arg(long, default_value_t = TrainConfig::default().vocab_size)]
    pub vocab_size: u32,
    /// Minimum count of a pair to be merged.
    #[arg(long, default_value_t = TrainConfig::default().min_frequency)]
    pub min_frequency: u64,
    /// Special token (repeatable; default <|endoftext|>, the end-of-document token).
    #[arg(long = "special-token", value_name = "TOKEN")]
    pub special_tokens: Vec<String>,
    /// Bytes of text per language at most (suffixes K, M, G: 32M).
    #[arg(long, default_value = "32M", value_parser = parse_bytes)]
    pub max_bytes_per_group: u64,
    /// Seed of the sampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// Tokens per word per language (tokens per character for scripts without spaces), as a
/// Markdown table; with --against, two tokenizers side by side.
#[derive(Debug, Args)]
pub struct FertilityArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// The tokenizer: tiktoken:o200k_base, hf:PATH/tokenizer.json, or a .json/.json.gz path.
    #[arg(long, value_name = "SPEC")]
    pub tokenizer: String,
    /// A second tokenizer to compare with.
    #[arg(long, value_name = "SPEC")]
    pub against: Option<String>,
    /// Column label of a tokenizer (repeatable: the first names --tokenizer, the second
    /// --against); default: the tokenizer's name (`tiktoken:o200k_base`, `hf:DIR/FILE`).
    #[arg(long = "label", value_name = "NAME")]
    pub labels: Vec<String>,
    /// Write the table to this file (atomically) instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `32M`, `1G`, `4096`, `512K`.
fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.chars().last().map(|c| c.to_ascii_uppercase()) {
        Some('K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M') => (&t[..t.len() - 1], 1 << 20),
        Some('G') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    num.trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is not a byte count (e.g. 4096, 512K, 32M, 1G)"))
}

/// `tamis tokenizer …`.
pub fn run(args: TokenizerArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        TokenizerCommand::Train(a) => train(a),
        TokenizerCommand::Fertility(a) => fertility(a),
    }
}

fn report_problems(report: &ReadReport) -> ExitCode {
    for u in &report.unreadable {
        eprintln!("tamis: unreadable input: {u}");
    }
    if report.removed > 0 {
        eprintln!(
            "tamis: {} unreadable records skipped (see `tamis read` for details)",
            report.removed
        );
    }
    if report.unreadable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let cfg = TrainConfig {
        vocab_size: args.vocab_size,
        min_frequency: args.min_frequency,
        special_tokens: if args.special_tokens.is_empty() {
            TrainConfig::default().special_tokens
        } else {
            args.special_tokens.clone()
        },
        max_bytes_per_group: args.max_bytes_per_group,
        seed: args.seed,
    };
    let problems = cfg.problems();
    if !problems.is_empty() {
        anyhow::bail!("{}", crate::config::join_problems(&problems, "\n"));
    }
    let files = args.input.files()?;
    let pool = args.input.pool()?;
    let (cap, seed) = (cfg.max_bytes_per_group, cfg.seed);
    let (sampler, report) = pool.install(|| {
        fold_docs(
            &files,
            &ReadConfig::default(),
            || BalancedSampler::new(cap, seed),
            |s, doc| s.add_doc(&doc),
            |a, b| a.merge(b),
        )
    });
    let sample = sampler.finish();
    let json = pool.install(|| train_bpe(&sample, &cfg))?;
    // Check that it loads and names its end-of-document token before writing it.
    let tok = Tokenizer::from_hf_json(json.as_bytes(), "trained", None)?;
    crate::out::write_atomic(&args.output, json.as_bytes())
        .with_context(|| format!("write {}", args.output.display()))?;
    print!(
        "Trained a byte-level BPE tokenizer of {} ids (end-of-document {:?} = {}) on {} bytes of {} documents read from {} files; sample per group:\n\n{}",
        tok.vocab_size(),
        tok.eod_token(),
        tok.eod_id(),
        sample.bytes(),
        report.docs,
        report.files,
        sample.markdown()
    );
    println!("\nWrote {}", args.output.display());
    Ok(report_problems(&report))
}

fn fertility(args: FertilityArgs) -> anyhow::Result<ExitCode> {
    let mut toks = Vec::new();
    for spec in std::iter::once(&args.tokenizer).chain(args.against.as_ref()) {
        let parsed = TokenizerSpec::parse_cli(spec).map_err(|m| anyhow::anyhow!("{m}"))?;
        toks.push(Tokenizer::load(&parsed)?);
    }
    if args.labels.len() > toks.len() {
        anyhow::bail!(
            "--label: {} labels for {} tokenizers",
            args.labels.len(),
            toks.len()
        );
    }
    let names: Vec<String> = toks
        .iter()
        .enumerate()
        .map(|(i, t)| {
            args.labels
                .get(i)
                .cloned()
                .unwrap_or_else(|| t.name().to_string())
        })
        .collect();
    let files = args.input.files()?;
    let pool = args.input.pool()?;
    let (table, report) = pool.install(|| {
        fold_docs(
            &files,
            &ReadConfig::default(),
            || Fertility::new(names.clone()),
            |f, doc| {
                let counts: Vec<u64> = toks
                    .iter()
                    .map(|t| t.encode(&doc.text).len() as u64)
                    .collect();
                f.add(&balance_key(&doc), &doc.text, &counts);
            },
            |a, b| a.merge(&b),
        )
    });
    let described: Vec<String> = names
        .iter()
        .zip(&toks)
        .map(|(n, t)| {
            format!(
                "{n} ({}, {} ids, sha256 {})",
                t.name(),
                t.vocab_size(),
                &t.sha256()[..12]
            )
        })
        .collect();
    let mut md = format!(
        "Fertility of {} on {} documents from {} input files.\n\n",
        described.join(" vs "),
        report.docs,
        report.files
    );
    md += &table.markdown();
    match &args.output {
        None => print!("{md}"),
        Some(path) => crate::out::write_atomic(path, md.as_bytes())
            .with_context(|| format!("write {}", path.display()))?,
    }
    for t in &toks {
        if t.fallbacks() > 0 {
            eprintln!(
                "tamis: {}: {} texts had to be cut to encode (the pre-tokenizer failed on them)",
                t.name(),
                t.fallbacks()
            );
        }
    }
    Ok(report_problems(&report))
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("512k"), Ok(512 << 10));
        assert_eq!(parse_bytes("32M"), Ok(32 << 20));
        assert_eq!(parse_bytes("1G"), Ok(1 << 30));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("99999999999G").is_err());
    }
}
