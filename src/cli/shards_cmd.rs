//! `tamis shards inspect`: what a Megatron token shard holds, and a document decoded back.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::tokenize::{MegatronReader, Tokenizer, TokenizerSpec};

/// Look into token shards (Megatron .bin/.idx).
#[derive(Debug, Args)]
pub struct ShardsArgs {
    #[command(subcommand)]
    command: ShardsCommand,
}

#[derive(Debug, Subcommand)]
enum ShardsCommand {
    Inspect(InspectArgs),
}

/// Print the counts of a shard (sequences, documents, tokens, dtype, lengths); with --doc,
/// a document's tokens, decoded back to text when --tokenizer is given.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The shard: PREFIX of PREFIX.bin and PREFIX.idx (a path ending in .idx or .bin works too).
    pub prefix: PathBuf,
    /// Show document N (from 0).
    #[arg(long, value_name = "N")]
    pub doc: Option<u64>,
    /// Decode with this tokenizer (tiktoken:o200k_base, hf:PATH, or a .json/.json.gz path),
    /// and count the sequences that end with its end-of-document token.
    #[arg(long, value_name = "SPEC")]
    pub tokenizer: Option<String>,
}

/// `tamis shards …`.
pub fn run(args: ShardsArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ShardsCommand::Inspect(a) => inspect(a),
    }
}

fn inspect(args: InspectArgs) -> anyhow::Result<ExitCode> {
    let mut prefix = args.prefix.clone();
    if matches!(
        prefix.extension().and_then(|e| e.to_str()),
        Some("idx" | "bin")
    ) {
        prefix.set_extension("");
    }
    let tok = match &args.tokenizer {
        Some(s) => Some(Tokenizer::load(
            &TokenizerSpec::parse_cli(s).map_err(|m| anyhow::anyhow!("{m}"))?,
        )?),
        None => None,
    };
    let mut r = MegatronReader::open(&prefix)?;
    let lengths = r.lengths();
    let (min, max) = (
        lengths.iter().min().copied().unwrap_or(0),
        lengths.iter().max().copied().unwrap_or(0),
    );
    let mean = r.token_count() as f64 / r.sequence_count().max(1) as f64;
    println!("shard      {}", prefix.display());
    println!(
        "dtype      {} (code {}, {} bytes per token)",
        r.dtype().name(),
        r.dtype().code(),
        r.dtype().size()
    );
    println!("sequences  {}", r.sequence_count());
    println!("documents  {}", r.document_count());
    println!("tokens     {}", r.token_count());
    println!("length     min {min}, mean {mean:.1}, max {max}");
    let mut code = ExitCode::SUCCESS;
    if let Some(t) = &tok {
        if (t.vocab_size() as u64) > r.dtype().max_token().unwrap_or(0) + 1 {
            println!(
                "warning    {} has {} ids, more than dtype {} holds",
                t.name(),
                t.vocab_size(),
                r.dtype().name()
            );
        }
        let mut ending = 0u64;
        let mut too_big = 0u64;
        for i in 0..r.sequence_count() {
            let seq = r.sequence(i)?;
            if seq.last() == Some(&t.eod_id()) {
                ending += 1;
            }
            too_big += seq.iter().filter(|&&id| id >= t.vocab_size()).count() as u64;
        }
        println!(
            "eod        {ending} of {} sequences end with {:?} (id {} of {})",
            r.sequence_count(),
            t.eod_token(),
            t.eod_id(),
            t.name()
        );
        if too_big > 0 {
            println!(
                "warning    {too_big} tokens are not ids of {} (vocabulary {})",
                t.name(),
                t.vocab_size()
            );
            code = ExitCode::from(1);
        }
    }
    if let Some(n) = args.doc {
        let ids = r.document(n)?;
        println!("\ndocument {n}: {} tokens", ids.len());
        match &tok {
            Some(t) => {
                let (body, eod) = match ids.split_last() {
                    Some((&last, body)) if last == t.eod_id() => (body, true),
                    _ => (&ids[..], false),
                };
                println!("{}", t.decode(body)?);
                if eod {
                    println!("[{}]", t.eod_token());
                }
            }
            None => println!(
                "{}",
                ids.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }
    Ok(code)
}
