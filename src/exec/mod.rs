//! Execution: a stage is cut into units of work (one input file each) grouped into tasks by a
//! pure rule; the local executor runs them on a rayon pool. Every unit writes only its own
//! files and finishes with a completion marker, so a rerun skips finished units and a crash
//! never leaves a partial file under a final name.

pub mod failpoint;
mod filter_stage;
mod progress;
pub mod run_record;
pub mod slurm;
pub mod tokens_stage;

pub use filter_stage::run_filter_unit;
pub use progress::Progress;

use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::Pipeline;
use crate::filter::FilterChain;
use crate::out::OutDir;
use crate::read::InputFile;
use crate::stats::StageStats;

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Output directory.
    pub output: PathBuf,
    /// Worker threads (0 = all cores).
    pub threads: usize,
    /// Run only this stage (as one Slurm array job does); `None` runs every stage in order.
    pub stage: Option<String>,
    /// Run only task `index` of `count` of the stage (Slurm array jobs); `None` runs every task.
    /// Without `stage`, it applies to the filter stage and nothing else runs.
    pub task: Option<(usize, usize)>,
    /// Draw a progress bar (else log lines).
    pub progress: bool,
}

/// Units of work of task `index` out of `count`: every `count`-th unit, starting at `index`.
pub fn units_of_task(units: usize, index: usize, count: usize) -> Vec<usize> {
    (0..units).filter(|u| u % count.max(1) == index).collect()
}

/// What a completion marker records: enough to tell whether it still matches the input, and the
/// run metadata (timings) that must stay out of the deterministic outputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitMarker {
    /// The input file of the unit.
    pub input: String,
    /// Its size when it was processed.
    pub input_bytes: u64,
    /// Wall time of the unit, seconds.
    pub seconds: f64,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub struct RunSummary {
    /// Merged counts of the filter stage (after `finalize`).
    pub filter: Option<StageStats>,
    /// Merged counts of the dedup stage, when it ran.
    pub dedup: Option<(StageStats, crate::dedup::DedupSummary)>,
    /// Per stage run now: (name, units run, units already done).
    pub stages: Vec<(String, usize, usize)>,
    /// Units that failed (I/O errors writing outputs); the run reports them and exits non-zero.
    pub failures: Vec<String>,
    /// Wall time.
    pub seconds: f64,
}

/// Stage name of the fused per-document pass.
pub const FILTER_STAGE: &str = "filter";

/// Where the filter stage writes its documents: `docs/` when it is the last document stage,
/// else `stages/filter/` for the next stage to read.
pub fn filter_docs_dir(pipeline: &Pipeline) -> &'static str {
    if pipeline.dedup.is_some() {
        "stages/filter"
    } else {
        "docs"
    }
}

/// The stages of a pipeline, in order. Each is cut into units; tasks take units by
/// [`units_of_task`]; a stage starts when the previous one has finished every unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Read → fused per-document filters, one unit per input file.
    Filter,
    /// A step of near-dedup.
    Dedup(crate::dedup::DedupStep),
    /// Tokenize the kept documents, one unit per document shard.
    TokensTokenize,
    /// Weight, order and write the token shards (one unit).
    TokensWrite,
    /// Merge counts, write the summary and the release manifest (one unit).
    Finalize,
}

impl Stage {
    /// Name on the command line and in markers (`filter`, `dedup-signature`, …, `finalize`).
    pub fn name(self) -> String {
        match self {
            Stage::Filter => FILTER_STAGE.into(),
            Stage::Dedup(s) => format!("dedup-{}", s.name()),
            Stage::TokensTokenize => "tokens-tokenize".into(),
            Stage::TokensWrite => "tokens-write".into(),
            Stage::Finalize => "finalize".into(),
        }
    }
}

/// Everything the stages of one pipeline need.
pub struct Plan<'a> {
    /// The pipeline.
    pub pipeline: &'a Pipeline,
    /// Input files, sorted: unit `u` of the per-file stages is file `u`.
    pub files: &'a [InputFile],
    /// The built filters; `None` in a process that runs no filter stage (they are not loaded).
    pub chain: Option<&'a FilterChain>,
    /// Output directory.
    pub out: OutDir,
    dedup_inputs: Vec<crate::dedup::UnitInput>,
    tokenizer: std::sync::OnceLock<Result<crate::tokenize::Tokenizer, String>>,
}

impl<'a> Plan<'a> {
    /// Plan `pipeline` over `files` into `output`.
    pub fn new(
        pipeline: &'a Pipeline,
        files: &'a [InputFile],
        chain: Option<&'a FilterChain>,
        output: &Path,
    ) -> std::io::Result<Plan<'a>> {
        let out = OutDir::create(output)?;
        let dedup_inputs = (0..files.len())
            .map(|u| {
                let rel = format!(
                    "stages/{FILTER_STAGE}/{}",
                    crate::out::part_name(u, "parquet")
                );
                crate::dedup::UnitInput::Shard(out.path(&rel), rel)
            })
            .collect();
        Ok(Plan {
            pipeline,
            files,
            chain,
            out,
            dedup_inputs,
            tokenizer: std::sync::OnceLock::new(),
        })
    }

    /// The stages in order.
    pub fn stages(&self) -> Vec<Stage> {
        let mut v = vec![Stage::Filter];
        if self.pipeline.dedup.is_some() {
            v.extend(crate::dedup::DedupStep::ALL.map(Stage::Dedup));
        }
        if self.pipeline.tokens.is_some() {
            v.push(Stage::TokensTokenize);
            v.push(Stage::TokensWrite);
        }
        v.push(Stage::Finalize);
        v
    }

    /// The stage called `name`.
    pub fn stage(&self, name: &str) -> Option<Stage> {
        self.stages().into_iter().find(|s| s.name() == name)
    }

    fn dedup_job(&self) -> Option<crate::dedup::DedupJob<'_>> {
        self.pipeline
            .dedup
            .as_ref()
            .map(|cfg| crate::dedup::DedupJob {
                out: &self.out,
                inputs: &self.dedup_inputs,
                read_cfg: &self.pipeline.read,
                cfg,
                docs_dir: "docs",
            })
    }

    /// Units of work of a stage.
    pub fn units(&self, stage: Stage) -> usize {
        match stage {
            Stage::Filter => self.files.len(),
            Stage::Dedup(step) => self.dedup_job().map(|j| j.units(step)).unwrap_or(0),
            Stage::TokensTokenize => self.files.len(),
            Stage::TokensWrite | Stage::Finalize => 1,
        }
    }

    fn filter_unit_done(&self, u: usize) -> bool {
        let marker = self.out.marker(FILTER_STAGE, u);
        match std::fs::read(&marker)
            .ok()
            .and_then(|b| serde_json::from_slice::<UnitMarker>(&b).ok())
        {
            Some(m) => m.input == self.files[u].display && m.input_bytes == self.files[u].bytes,
            None => false,
        }
    }

    /// Whether a unit of a stage has finished.
    pub fn unit_done(&self, stage: Stage, u: usize) -> bool {
        match stage {
            Stage::Filter => self.filter_unit_done(u),
            Stage::Dedup(step) => self.out.is_done(&format!("dedup_{}", step.name()), u),
            Stage::TokensTokenize => self.out.is_done("tokens_tokenize", u),
            Stage::TokensWrite => self.out.is_done("tokens_write", u),
            Stage::Finalize => self.out.is_done("finalize", u),
        }
    }

    /// Run `units` of `stage` on the current rayon pool; returns (run, already done, failures).
    pub fn run_stage(
        &self,
        stage: Stage,
        units: &[usize],
        progress_bar: bool,
    ) -> (usize, usize, Vec<String>) {
        let todo: Vec<usize> = if stage == Stage::Finalize {
            units.to_vec() // always redone: cheap, and it reflects every unit finished so far
        } else {
            units
                .iter()
                .copied()
                .filter(|&u| !self.unit_done(stage, u))
                .collect()
        };
        let skipped = units.len() - todo.len();
        // Failure injection for tests (inert unless $TAMIS_FAILPOINT names this stage's unit).
        let (injected, todo): (Vec<usize>, Vec<usize>) = todo
            .into_iter()
            .partition(|&u| failpoint::hit(&stage.name(), u));
        let mut failures: Vec<String> = match stage {
            Stage::Filter => {
                let total_bytes: u64 = todo.iter().map(|&u| self.files[u].bytes).sum();
                let progress = Progress::new(progress_bar, total_bytes, todo.len());
                let f = todo
                    .par_iter()
                    .filter_map(|&u| {
                        let r = self
                            .filter_unit(u, &progress)
                            .err()
                            .map(|e| format!("{}: {e}", self.files[u].display));
                        progress.unit_done(self.files[u].bytes);
                        r
                    })
                    .collect();
                progress.finish();
                f
            }
            Stage::Dedup(step) => match self.dedup_job() {
                Some(job) => {
                    let prep = job.prepare().err().map(|e| format!("dedup: {e}"));
                    match prep {
                        Some(e) => vec![e],
                        None => todo
                            .par_iter()
                            .filter_map(|&u| {
                                job.run_unit(step, u)
                                    .err()
                                    .map(|e| format!("{} unit {u}: {e}", stage.name()))
                            })
                            .collect(),
                    }
                }
                None => Vec::new(),
            },
            Stage::TokensTokenize | Stage::TokensWrite => match self.tokens_stage(stage, &todo) {
                Ok(f) => f,
                Err(e) => vec![format!("{}: {e}", stage.name())],
            },
            Stage::Finalize => self
                .finalize()
                .err()
                .map(|e| format!("finalize: {e:#}"))
                .into_iter()
                .collect(),
        };
        failures.extend(injected.iter().map(|u| {
            format!(
                "{} unit {u}: injected failure (${})",
                stage.name(),
                failpoint::FAILPOINT_VAR
            )
        }));
        (todo.len() + injected.len(), skipped, failures)
    }

    /// The tokenizer, loaded once.
    fn tokenizer(&self) -> Result<&crate::tokenize::Tokenizer, String> {
        let cfg = self.pipeline.tokens.as_ref().ok_or("no [tokens] table")?;
        self.tokenizer
            .get_or_init(|| {
                crate::tokenize::Tokenizer::load(&cfg.tokenizer).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn tokens_stage(&self, stage: Stage, todo: &[usize]) -> Result<Vec<String>, String> {
        let cfg = self.pipeline.tokens.as_ref().ok_or("no [tokens] table")?;
        let tok = self.tokenizer()?;
        let dtype = crate::tokenize::DType::for_vocab(tok.vocab_size());
        let out = &self.out;
        let make_sink = move |prefix: &str| -> std::io::Result<Box<dyn tokens_stage::ShardSink>> {
            let w = crate::tokenize::MegatronWriter::create(out, prefix, dtype, None)
                .map_err(std::io::Error::from)?;
            Ok(Box::new(w))
        };
        let sharding = tokens_stage::ShardingConfig {
            shard_tokens: cfg.shard_tokens,
        };
        let job = tokens_stage::TokensJob {
            out,
            units: self.files.len(),
            docs_dir: "docs",
            enc: tok,
            weights: &self.pipeline.weights,
            order: &self.pipeline.order,
            sharding: &sharding,
            make_sink: &make_sink,
        };
        Ok(match stage {
            Stage::TokensTokenize => todo
                .par_iter()
                .filter_map(|&u| {
                    job.tokenize_unit(u)
                        .err()
                        .map(|e| format!("{} unit {u}: {e}", stage.name()))
                })
                .collect(),
            _ => job
                .write()
                .err()
                .map(|e| format!("{}: {e}", stage.name()))
                .into_iter()
                .collect(),
        })
    }

    fn filter_unit(&self, u: usize, progress: &Progress) -> std::io::Result<()> {
        let t = Instant::now();
        let file = &self.files[u];
        let chain = self
            .chain
            .ok_or_else(|| std::io::Error::other("the filters were not loaded"))?;
        run_filter_unit(
            &self.out,
            u,
            file,
            &self.pipeline.read,
            chain,
            progress,
            filter_docs_dir(self.pipeline),
        )?;
        let marker = UnitMarker {
            input: file.display.clone(),
            input_bytes: file.bytes,
            seconds: t.elapsed().as_secs_f64(),
        };
        let bytes = serde_json::to_vec_pretty(&marker).map_err(std::io::Error::other)?;
        self.out.mark_done(FILTER_STAGE, u, &bytes)
    }

    /// Merge the filter counts, finish dedup's, write the summary and the manifest.
    fn finalize(&self) -> anyhow::Result<()> {
        // Every stage has finished: a temporary file now is one a killed writer left behind.
        run_record::remove_abandoned_temp_files(&self.out)?;
        let merged = self.merged_filter_stats();
        self.out.write_file(
            format!("stats/{FILTER_STAGE}.json"),
            &serde_json::to_vec_pretty(&merged)?,
        )?;
        let mut text = summary_text(self.pipeline, &merged);
        if let Some(job) = self.dedup_job() {
            let (stats, summary) = job.finish()?;
            text.push_str(&dedup_summary_text(&stats, &summary));
        }
        self.out.write_file("stats/summary.txt", text.as_bytes())?;
        // The files the filters loaded, as the run that loaded them recorded them.
        let record = run_record::RunRecord::load(&self.out)?.ok_or_else(|| {
            anyhow::anyhow!(
                "{} has no {} (an older tamis made it): rerun the whole pipeline, without --stage",
                self.out.root().display(),
                run_record::RUN_RECORD
            )
        })?;
        write_manifest(&self.out, self.pipeline, self.files, &record.asset_paths())?;
        self.out.mark_done("finalize", 0, b"{}\n")?;
        Ok(())
    }

    fn merged_filter_stats(&self) -> StageStats {
        let mut merged = StageStats::default();
        for u in 0..self.files.len() {
            let path = self.out.path(format!(
                "stats/{FILTER_STAGE}/{}",
                crate::out::part_name(u, "json")
            ));
            if let Ok(bytes) = std::fs::read(&path) {
                if let Ok(s) = serde_json::from_slice::<StageStats>(&bytes) {
                    merged.merge(&s);
                }
            }
        }
        merged
    }
}

/// Run a pipeline: every stage in order, or one stage (or one task of it) as `opts` says.
///
/// `chain` is `None` when no selected stage runs the filters. OUT must hold nothing but this
/// run's outputs ([`run_record::reconcile`]).
pub fn run_pipeline(
    pipeline: &Pipeline,
    files: &[InputFile],
    chain: Option<&FilterChain>,
    opts: &RunOptions,
) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    let plan = Plan::new(pipeline, files, chain, &opts.output)?;
    let assets = chain.map(|c| run_record::all_assets(pipeline, c));
    let now = run_record::RunRecord::current(pipeline, files, assets.as_deref())?;
    run_record::reconcile(&plan.out, now, assets.is_some())?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        // HTML parsing recurses over the document tree: room beyond MAX_HTML_DEPTH levels.
        .stack_size(16 << 20)
        .build()?;
    let selected: Vec<Stage> = match (&opts.stage, opts.task) {
        (Some(name), _) => vec![plan.stage(name).ok_or_else(|| {
            anyhow::anyhow!(
                "no stage {name:?} in this pipeline; its stages are: {}",
                plan.stages()
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?],
        (None, Some(_)) => vec![Stage::Filter],
        (None, None) => plan.stages(),
    };
    let mut summary = RunSummary {
        filter: None,
        dedup: None,
        stages: Vec::new(),
        failures: Vec::new(),
        seconds: 0.0,
    };
    for stage in selected {
        let n = plan.units(stage);
        let units = match opts.task {
            Some((i, count)) => units_of_task(n, i, count),
            None => (0..n).collect(),
        };
        let (run, done, failures) = pool.install(|| plan.run_stage(stage, &units, opts.progress));
        summary.stages.push((stage.name(), run, done));
        if !failures.is_empty() {
            summary.failures = failures;
            break; // later stages need every unit of this one
        }
    }
    if summary.failures.is_empty() && plan.out.is_done("finalize", 0) {
        let read = |p: &str| std::fs::read(plan.out.path(p)).ok();
        summary.filter = read("stats/filter.json").and_then(|b| serde_json::from_slice(&b).ok());
        if let (Some(s), Some(d)) = (read("stats/dedup.json"), read("dedup/summary.json")) {
            if let (Ok(s), Ok(d)) = (serde_json::from_slice(&s), serde_json::from_slice(&d)) {
                summary.dedup = Some((s, d));
            }
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// Pin the release: inputs, assets and outputs by sha256, counts per stage.
fn write_manifest(
    out: &OutDir,
    pipeline: &Pipeline,
    files: &[InputFile],
    assets: &[(String, PathBuf)],
) -> anyhow::Result<()> {
    let mut resolved = pipeline.clone();
    resolved.output = None; // where OUT is does not change the release
    let inputs: Vec<(String, PathBuf)> = files
        .iter()
        .map(|f| (f.display.clone(), f.path.clone()))
        .collect();
    let manifest =
        crate::release::build_manifest(out, serde_json::to_value(&resolved)?, &inputs, assets)?;
    out.write_file("manifest.json", &serde_json::to_vec_pretty(&manifest)?)?;
    Ok(())
}

/// A readable summary of a stage's counts.
pub fn summary_text(pipeline: &Pipeline, s: &StageStats) -> String {
    use std::fmt::Write;
    let mut t = String::new();
    let _ = writeln!(t, "pipeline {}", pipeline.name);
    let _ = writeln!(t, "files read        {}", s.files);
    let _ = writeln!(t, "documents read    {}", s.docs_in);
    let _ = writeln!(
        t,
        "documents kept    {} ({:.1} %)",
        s.docs_out,
        pct(s.docs_out, s.docs_in)
    );
    let _ = writeln!(
        t,
        "text bytes kept   {} of {}",
        s.text_bytes_out, s.text_bytes_in
    );
    if !s.removed.is_empty() {
        let _ = writeln!(t, "removed, by stage/reason:");
        for (k, v) in &s.removed {
            let _ = writeln!(t, "  {k:<40} {v}");
        }
    }
    if !s.skipped_records.is_empty() {
        let _ = writeln!(t, "non-document records skipped:");
        for (k, v) in &s.skipped_records {
            let _ = writeln!(t, "  {k:<40} {v}");
        }
    }
    if !s.kept_by_lang.is_empty() {
        let _ = writeln!(t, "kept, by language:");
        let mut langs: Vec<_> = s.kept_by_lang.iter().collect();
        langs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (k, v) in langs {
            let _ = writeln!(t, "  {k:<40} {v}");
        }
    }
    if !s.counters.is_empty() {
        let _ = writeln!(t, "counters:");
        for (k, v) in &s.counters {
            let _ = writeln!(t, "  {k:<40} {v}");
        }
    }
    t
}

/// A readable summary of the dedup stage.
pub fn dedup_summary_text(stats: &StageStats, summary: &crate::dedup::DedupSummary) -> String {
    let mut t = String::new();
    t.push_str(&format!(
        "dedup: {} documents, {} clusters, {} removed ({} exact), {} kept\n",
        summary.docs, summary.clusters, summary.removed, summary.exact, stats.docs_out
    ));
    t
}

fn pct(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        100.0 * a as f64 / b as f64
    }
}
