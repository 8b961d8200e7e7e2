//! The command line. `main` parses, calls `run`, maps the result to an exit code
//! (0 success, 1 the run finished with failed units, 2 usage or configuration error) and prints
//! the error chain once.

mod bench_cmd;
mod dedup_cmd;
mod filters_cmd;
mod lid_cmd;
mod lid_json;
mod read_cmd;
mod release_cmd;
mod run_cmd;
mod shards_cmd;
mod slurm_cmd;
mod tokenizer_cmd;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// tamis — sieve web crawls and code dumps into clean, deduplicated, tokenized training corpora.
///
/// Data flows one way: read → filter (URL blocklists, language ID, banned words, quality, PII)
/// → dedup → order → weight → tokenize → release. Every dropped document keeps its reason in the
/// removed log; outputs are byte-identical for the same inputs and config, whatever the thread count.
#[derive(Debug, Parser)]
#[command(name = "tamis", version, about, long_about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Run(run_cmd::RunArgs),
    Check(run_cmd::CheckArgs),
    Stages(run_cmd::StagesArgs),
    Read(read_cmd::ReadArgs),
    Dedup(dedup_cmd::DedupArgs),
    Lid(lid_cmd::LidArgs),
    Verify(release_cmd::VerifyArgs),
    Audit(release_cmd::AuditArgs),
    Diff(release_cmd::DiffArgs),
    Datasheet(release_cmd::DatasheetArgs),
    Release(release_cmd::ReleaseArgs),
    Bench(bench_cmd::BenchArgs),
    Filters(filters_cmd::FiltersArgs),
    Slurm(slurm_cmd::SlurmArgs),
    Tokenizer(tokenizer_cmd::TokenizerArgs),
    Shards(shards_cmd::ShardsArgs),
}

/// Process entry point.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => run_cmd::run(a),
        Command::Check(a) => run_cmd::check(a),
        Command::Stages(a) => run_cmd::stages(a),
        Command::Read(a) => read_cmd::run(a),
        Command::Dedup(a) => dedup_cmd::run(a),
        Command::Lid(a) => lid_cmd::run(a),
        Command::Verify(a) => release_cmd::verify(a),
        Command::Audit(a) => release_cmd::audit(a),
        Command::Diff(a) => release_cmd::diff(a),
        Command::Datasheet(a) => release_cmd::datasheet(a),
        Command::Release(a) => release_cmd::release(a),
        Command::Bench(a) => bench_cmd::run(a),
        Command::Filters(a) => filters_cmd::run(a),
        Command::Slurm(a) => slurm_cmd::run(a),
        Command::Tokenizer(a) => tokenizer_cmd::run(a),
        Command::Shards(a) => shards_cmd::run(a),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            eprintln!("tamis: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Whether stderr is a terminal (progress bar) or a log (plain lines).
pub fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}
