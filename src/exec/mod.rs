//! Execution: a stage is cut into units of work (one input file each) grouped into tasks by a
//! pure rule; the local executor runs them on a rayon pool. Every unit writes only its own
//! files and finishes with a completion marker, so a rerun skips finished units and a crash
//! never leaves a partial file under a final name.

mod filter_stage;
mod progress;
pub mod tokens_stage;

pub use filter_stage::run_filter_unit;
pub use progress::Progress;

use std::path::PathBuf;
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
    /// Run only task `index` of `count` (Slurm array jobs); `None` runs every task.
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
    /// Merged counts of the filter stage (over all units, finished now or before).
    pub filter: StageStats,
    /// Units processed now.
    pub units_run: usize,
    /// Units skipped because an earlier run finished them.
    pub units_skipped: usize,
    /// Units that failed (I/O errors writing outputs); the run reports them and exits non-zero.
    pub failures: Vec<String>,
    /// Merged counts of the dedup stage, when it ran.
    pub dedup: Option<(StageStats, crate::dedup::DedupSummary)>,
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

/// Run a pipeline's per-document pass over `files`.
pub fn run_pipeline(
    pipeline: &Pipeline,
    files: &[InputFile],
    chain: &FilterChain,
    opts: &RunOptions,
) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    let out = OutDir::create(&opts.output)?;
    let units: Vec<usize> = match opts.task {
        Some((i, n)) => units_of_task(files.len(), i, n),
        None => (0..files.len()).collect(),
    };
    let is_done = |u: usize| -> bool {
        let marker = out.marker(FILTER_STAGE, u);
        match std::fs::read(&marker)
            .ok()
            .and_then(|b| serde_json::from_slice::<UnitMarker>(&b).ok())
        {
            Some(m) => m.input == files[u].display && m.input_bytes == files[u].bytes,
            None => false,
        }
    };
    let todo: Vec<usize> = units.iter().copied().filter(|&u| !is_done(u)).collect();
    let skipped = units.len() - todo.len();
    let total_bytes: u64 = todo.iter().map(|&u| files[u].bytes).sum();
    let progress = Progress::new(opts.progress, total_bytes, todo.len());

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()?;
    let results: Vec<(usize, Result<(), String>)> = pool.install(|| {
        todo.par_iter()
            .map(|&u| {
                let t = Instant::now();
                let r = run_filter_unit(
                    &out,
                    u,
                    &files[u],
                    &pipeline.read,
                    chain,
                    &progress,
                    filter_docs_dir(pipeline),
                )
                .and_then(|_| {
                    let marker = UnitMarker {
                        input: files[u].display.clone(),
                        input_bytes: files[u].bytes,
                        seconds: t.elapsed().as_secs_f64(),
                    };
                    let bytes =
                        serde_json::to_vec_pretty(&marker).map_err(std::io::Error::other)?;
                    out.mark_done(FILTER_STAGE, u, &bytes)
                })
                .map_err(|e| format!("{}: {e}", files[u].display));
                progress.unit_done(files[u].bytes);
                (u, r)
            })
            .collect()
    });
    progress.finish();
    let failures: Vec<String> = results.into_iter().filter_map(|(_, r)| r.err()).collect();

    // Merge the per-unit stats of every unit of this run's scope, whenever it was processed.
    let mut merged = StageStats::default();
    for &u in &units {
        let path = out.path(format!(
            "stats/{FILTER_STAGE}/{}",
            crate::out::part_name(u, "json")
        ));
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(s) = serde_json::from_slice::<StageStats>(&bytes) {
                merged.merge(&s);
            }
        }
    }
    let mut dedup = None;
    if opts.task.is_none() && failures.is_empty() {
        out.write_file(
            format!("stats/{FILTER_STAGE}.json"),
            &serde_json::to_vec_pretty(&merged)?,
        )?;
        if let Some(cfg) = &pipeline.dedup {
            let inputs: Vec<crate::dedup::UnitInput> = (0..files.len())
                .map(|u| {
                    let rel = format!(
                        "stages/{FILTER_STAGE}/{}",
                        crate::out::part_name(u, "parquet")
                    );
                    crate::dedup::UnitInput::Shard(out.path(&rel), rel)
                })
                .collect();
            dedup =
                Some(pool.install(|| {
                    crate::dedup::run_dedup(&out, &inputs, &pipeline.read, cfg, "docs")
                })?);
        }
        let mut text = summary_text(pipeline, &merged);
        if let Some((stats, summary)) = &dedup {
            text.push_str(&dedup_summary_text(stats, summary));
        }
        out.write_file("stats/summary.txt", text.as_bytes())?;
        write_manifest(&out, pipeline, files, chain)?;
    }
    Ok(RunSummary {
        filter: merged,
        units_run: todo.len(),
        units_skipped: skipped,
        failures,
        dedup,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Pin the release: inputs, assets and outputs by sha256, counts per stage.
fn write_manifest(
    out: &OutDir,
    pipeline: &Pipeline,
    files: &[InputFile],
    chain: &FilterChain,
) -> anyhow::Result<()> {
    let mut resolved = pipeline.clone();
    resolved.output = None; // where OUT is does not change the release
    let inputs: Vec<(String, PathBuf)> = files
        .iter()
        .map(|f| (f.display.clone(), f.path.clone()))
        .collect();
    let mut assets: Vec<(String, PathBuf)> = chain
        .assets()
        .into_iter()
        .map(|p| (p.to_string_lossy().replace('\\', "/"), p))
        .collect();
    if !chain.stages().is_empty() {
        if let Ok(entries) = std::fs::read_dir(&pipeline.filters.settings) {
            for e in entries.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "toml") {
                    assets.push((p.to_string_lossy().replace('\\', "/"), p));
                }
            }
        }
    }
    let manifest =
        crate::release::build_manifest(out, serde_json::to_value(&resolved)?, &inputs, &assets)?;
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
