//! `tamis run` and `tamis check`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;

use crate::config::Pipeline;
use crate::exec::{run_pipeline, RunOptions};
use crate::read::expand_inputs;

/// Run a pipeline: read the inputs, run the fused filter pass and write OUT/.
///
/// Relative input globs and the output directory are taken from the working directory. A rerun
/// skips the units (input files) an earlier run finished, so an interrupted run resumes; the
/// outputs are byte-identical whatever the thread count.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The pipeline file (TOML), e.g. pipelines/quickstart.toml.
    pub pipeline: PathBuf,
    /// Replace the input globs of the pipeline's single [[inputs]] table (repeatable).
    #[arg(long = "input", value_name = "GLOB")]
    pub inputs: Vec<String>,
    /// Output directory (overrides `output` in the pipeline).
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Worker threads; 0 = all cores (overrides `threads` in the pipeline).
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,
    /// Run only task I of N (as a Slurm array job does): the units I, I+N, I+2N, …
    #[arg(long, value_name = "I/N", value_parser = parse_task)]
    pub task: Option<(usize, usize)>,
    /// Never draw a progress bar (log lines instead).
    #[arg(long)]
    pub no_progress: bool,
}

fn parse_task(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 0/4")?;
    let i: usize = i.trim().parse().map_err(|_| "I must be a number")?;
    let n: usize = n.trim().parse().map_err(|_| "N must be a number")?;
    if n == 0 || i >= n {
        return Err(format!("need 0 <= I < N, got {i}/{n}"));
    }
    Ok((i, n))
}

/// Validate a pipeline without running it: syntax, options, input globs, models and lists.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The pipeline file (TOML).
    pub pipeline: PathBuf,
}

fn load(path: &std::path::Path, inputs: &[String]) -> anyhow::Result<Pipeline> {
    let mut p = Pipeline::load(path)?;
    if !inputs.is_empty() {
        if p.inputs.len() != 1 {
            bail!(
                "--input replaces the globs of a pipeline with exactly one [[inputs]] table; {} has {}",
                path.display(),
                p.inputs.len()
            );
        }
        p.inputs[0].paths = inputs.to_vec();
    }
    p.validate(path)?;
    Ok(p)
}

/// `tamis check`.
pub fn check(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let p = load(&args.pipeline, &[])?;
    let files =
        expand_inputs(&p.inputs).map_err(|problems| anyhow::anyhow!("{}", problems.join("\n")))?;
    p.filters.build().map_err(|problems| {
        anyhow::anyhow!(
            "{}",
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    println!(
        "{}: ok, {} input files",
        args.pipeline.display(),
        files.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `tamis run`.
pub fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let p = load(&args.pipeline, &args.inputs)?;
    let files = expand_inputs(&p.inputs).map_err(|problems| {
        anyhow::anyhow!(
            "inputs of {}:\n  - {}",
            args.pipeline.display(),
            problems.join("\n  - ")
        )
    })?;
    let chain = p.filters.build().map_err(|problems| {
        anyhow::anyhow!(
            "filters of {}:\n  - {}",
            args.pipeline.display(),
            problems
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join("\n  - ")
        )
    })?;
    let output = args
        .output
        .or_else(|| p.output.clone())
        .context("no output directory: set `output` in the pipeline or pass --output")?;
    let opts = RunOptions {
        output: output.clone(),
        threads: args.threads.unwrap_or(p.threads),
        task: args.task,
        progress: !args.no_progress && super::stderr_is_tty(),
    };
    let summary = run_pipeline(&p, &files, &chain, &opts)?;
    if opts.task.is_none() {
        print!("{}", crate::exec::summary_text(&p, &summary.filter));
        if let Some((stats, d)) = &summary.dedup {
            print!("{}", crate::exec::dedup_summary_text(stats, d));
        }
    }
    eprintln!(
        "tamis: {} units run, {} already done, output in {}",
        summary.units_run,
        summary.units_skipped,
        output.display()
    );
    if !summary.failures.is_empty() {
        for f in &summary.failures {
            eprintln!("tamis: failed: {f}");
        }
        eprintln!(
            "tamis: {} units failed; rerun the same command to retry them",
            summary.failures.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
