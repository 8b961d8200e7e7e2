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
    /// Run only this stage (filter, dedup-signature, dedup-bucket, dedup-cluster, dedup-apply,
    /// finalize; `tamis stages PIPELINE` lists them with their unit counts), as one Slurm array
    /// job does. The previous stages must have finished.
    #[arg(long, value_name = "STAGE")]
    pub stage: Option<String>,
    /// Run only task I of N of the stage (the units I, I+N, I+2N, …), as a Slurm array task
    /// does; without --stage it applies to the filter stage.
    #[arg(long, value_name = "I/N", value_parser = parse_task)]
    pub task: Option<(usize, usize)>,
    /// Never draw a progress bar (log lines instead).
    #[arg(long)]
    pub no_progress: bool,
    /// Remove the outputs of an earlier run in the output directory (documents, removed log,
    /// stats, dedup and token files, markers, manifest) and start again. A rerun into the same
    /// directory resumes only when the pipeline, inputs and assets are those of the run that
    /// made it (`_tasks/run.json`); otherwise it is refused with what changed.
    #[arg(long, conflicts_with_all = ["stage", "task"])]
    pub restart: bool,
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
    /// Replace the input globs of the pipeline's single [[inputs]] table (repeatable), as
    /// `tamis run --input` does.
    #[arg(long = "input", value_name = "GLOB")]
    pub inputs: Vec<String>,
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
    let p = load(&args.pipeline, &args.inputs)?;
    let files =
        expand_inputs(&p.inputs).map_err(|problems| anyhow::anyhow!("{}", problems.join("\n")))?;
    let chain = p
        .filters
        .build()
        .map_err(|problems| anyhow::anyhow!("{}", crate::config::join_problems(&problems, "\n")))?;
    for note in chain.notes() {
        println!("  {note}");
    }
    if let Some(tokens) = &p.tokens {
        // Loaded now so that a missing file or a refused pattern fails here, not at the tokens stage.
        let tok = crate::tokenize::Tokenizer::load(&tokens.tokenizer)
            .map_err(|e| anyhow::anyhow!("tokens.tokenizer: {e}"))?;
        println!("  tokenizer {}: {} ids", tok.name(), tok.vocab_size());
    }
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
    // Only the filter pass runs the filters (finalize pins the files they loaded from the run
    // record). The other stages never use them: loading the UT1 list, the models and the word
    // automata cost ≈ 0.5 CPU-s and 40+ MB per process (per Slurm array task).
    let needs_filters = args
        .stage
        .as_deref()
        .is_none_or(|s| s == crate::exec::FILTER_STAGE);
    let threads = args.threads.unwrap_or(p.threads);
    let chain = if needs_filters {
        // Lists load on the run's threads (UT1's pieces in parallel), not on every core.
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()?;
        Some(pool.install(|| p.filters.build()).map_err(|problems| {
            anyhow::anyhow!(
                "filters of {}:\n  - {}",
                args.pipeline.display(),
                crate::config::join_problems(&problems, "\n  - ")
            )
        })?)
    } else {
        None
    };
    let output = args
        .output
        .or_else(|| p.output.clone())
        .context("no output directory: set `output` in the pipeline or pass --output")?;
    let opts = RunOptions {
        output: output.clone(),
        threads,
        stage: args.stage.clone(),
        task: args.task,
        progress: !args.no_progress && super::stderr_is_tty(),
    };
    if args.restart {
        let out = crate::out::OutDir::create(&output)?;
        crate::exec::run_record::clear_run_outputs(&out)
            .with_context(|| format!("clearing {}", output.display()))?;
    }
    let summary = run_pipeline(&p, &files, chain.as_ref(), &opts)?;
    if let Some(filter) = &summary.filter {
        if opts.stage.is_none() && opts.task.is_none() {
            print!("{}", crate::exec::summary_text(&p, filter));
            if let Some((stats, d)) = &summary.dedup {
                print!("{}", crate::exec::dedup_summary_text(stats, d));
            }
        }
    }
    for (stage, run, done) in &summary.stages {
        eprintln!("tamis: {stage}: {run} units run, {done} already done");
    }
    eprintln!("tamis: output in {}", output.display());
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

/// List the stages of a pipeline in order, with their units of work and, for an output
/// directory, how many are done (what a scheduler needs to submit or resume them).
#[derive(Debug, Args)]
pub struct StagesArgs {
    /// The pipeline file (TOML).
    pub pipeline: PathBuf,
    /// Replace the input globs of the pipeline's single [[inputs]] table (repeatable), as
    /// `tamis run --input` does: the units of the per-file stages are the files it matches.
    #[arg(long = "input", value_name = "GLOB")]
    pub inputs: Vec<String>,
    /// Output directory whose completion markers to count (default: the pipeline's).
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `tamis stages`.
pub fn stages(args: StagesArgs) -> anyhow::Result<ExitCode> {
    let p = load(&args.pipeline, &args.inputs)?;
    let files =
        expand_inputs(&p.inputs).map_err(|problems| anyhow::anyhow!("{}", problems.join("\n")))?;
    let output = args
        .output
        .or_else(|| p.output.clone())
        .context("no output directory")?;
    let plan = crate::exec::Plan::new(&p, &files, None, &output)?;
    // Done counts of another run would mislead: say so (a run there would be refused).
    if let Some(old) = crate::exec::run_record::RunRecord::load(&plan.out)? {
        let now = crate::exec::run_record::RunRecord::current(&p, &files, None)?;
        let changes = old.changes(&now, false);
        if !changes.is_empty() {
            eprintln!(
                "tamis: {} holds the outputs of another run (`tamis run --restart` starts again):\n  - {}",
                output.display(),
                changes.join("\n  - ")
            );
        }
    }
    let mut rows = Vec::new();
    for s in plan.stages() {
        let n = plan.units(s);
        let done = (0..n).filter(|&u| plan.unit_done(s, u)).count();
        rows.push(serde_json::json!({"stage": s.name(), "units": n, "done": done}));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else {
        for r in &rows {
            println!(
                "{:<20} {:>6} units {:>6} done",
                r["stage"].as_str().unwrap_or(""),
                r["units"],
                r["done"]
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
