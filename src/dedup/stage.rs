//! The four dedup steps over an output directory, each unit of each step finished by a marker.

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::cluster::{cluster, Decision};
use super::meta::{write_meta, RowMeta};
use super::minhash::MinHasher;
use super::normalize::{normalise_and_hash_tokens, shingle_hashes};
use super::records::{doc_ref, merge_sorted_mapped, unit_row, write_records, RecordWriter};
use super::{DedupConfig, Scope};
use crate::batch::Batcher;
use crate::config::ReadConfig;
use crate::doc::{Doc, Removed};
use crate::out::parquet::{read_docs, DocColumns, DocWriter, RemovedWriter};
use crate::out::{part_name, OutDir};
use crate::read::{self, InputFile, Item};
use crate::stats::StageStats;

/// Where a unit's documents come from.
#[derive(Debug, Clone)]
pub enum UnitInput {
    /// A documents shard written by an earlier stage, and its path relative to the output
    /// directory (shown in locations, so they do not depend on where OUT is).
    Shard(PathBuf, String),
    /// An input file read by the readers (`tamis dedup` on JSONL/Parquet).
    File(InputFile),
}

/// Walk a unit's items in their fixed order.
fn for_each_item(
    input: &UnitInput,
    read_cfg: &ReadConfig,
    columns: DocColumns,
    mut f: impl FnMut(Item) -> io::Result<()>,
) -> io::Result<()> {
    match input {
        UnitInput::Shard(path, display) => {
            for (i, doc) in read_docs(path, columns)?.enumerate() {
                f(Item::Doc {
                    doc: doc?,
                    location: format!("{display}[{i}]"),
                })?;
            }
            Ok(())
        }
        UnitInput::File(file) => {
            for item in read::open(file, read_cfg)? {
                f(item)?;
            }
            Ok(())
        }
    }
}

/// Counts of a whole dedup run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DedupSummary {
    /// Documents considered.
    pub docs: u64,
    /// Clusters with two or more documents.
    pub clusters: u64,
    /// Documents removed.
    pub removed: u64,
    /// Of which exact duplicates (same normalised text as their survivor).
    pub exact: u64,
    /// Of which near copies of documents of an earlier release.
    pub previous: u64,
    /// Documents without any token (never duplicates).
    pub no_tokens: u64,
    /// Cluster sizes: size → number of clusters.
    pub cluster_sizes: std::collections::BTreeMap<u32, u64>,
}

fn scope_hash(cfg: &DedupConfig, doc: &Doc) -> u64 {
    match cfg.scope {
        Scope::Global => 0,
        Scope::Lang => xxh3_64(doc.lang.as_deref().unwrap_or("und").as_bytes()),
        Scope::Source => xxh3_64(doc.source.as_bytes()),
    }
}

fn unit_done(out: &OutDir, step: &str, unit: usize) -> bool {
    out.is_done(&format!("dedup_{step}"), unit)
}

fn mark(out: &OutDir, step: &str, unit: usize, seconds: f64) -> io::Result<()> {
    out.mark_done(
        &format!("dedup_{step}"),
        unit,
        format!("{{\"seconds\": {seconds}}}\n").as_bytes(),
    )
}

/// Buffers one thread reuses from document to document.
#[derive(Default)]
struct SignatureScratch {
    norm: Vec<u8>,
    tokens: Vec<u64>,
    shingles: Vec<u64>,
    sig: Vec<u32>,
}

/// What a document adds to the key spaces.
struct DocSignature {
    /// One key per band; `None` for a document without any token (never a duplicate).
    keys: Option<Vec<u64>>,
    /// Hash of the normalised text (odd), 0 without tokens.
    exact: u64,
}

fn doc_signature(
    doc: &Doc,
    cfg: &DedupConfig,
    hasher: &MinHasher,
    scratch: &mut SignatureScratch,
) -> DocSignature {
    normalise_and_hash_tokens(&doc.text, cfg.seed, &mut scratch.norm, &mut scratch.tokens);
    let norm = &scratch.norm;
    if scratch.tokens.is_empty() {
        return DocSignature {
            keys: None,
            exact: 0,
        };
    }
    let scope = scope_hash(cfg, doc);
    shingle_hashes(&scratch.tokens, cfg.ngram, cfg.seed, &mut scratch.shingles);
    hasher.signature(&scratch.shingles, &mut scratch.sig);
    let mut keys = Vec::with_capacity(cfg.bands);
    hasher.band_keys(&scratch.sig, scope, &mut keys);
    DocSignature {
        keys: Some(keys),
        exact: xxh3_64_with_seed(norm, cfg.seed ^ scope) | 1,
    }
}

/// Step 1 for one unit.
fn signature_unit(
    out: &OutDir,
    unit: usize,
    input: &UnitInput,
    read_cfg: &ReadConfig,
    cfg: &DedupConfig,
    hasher: &MinHasher,
) -> io::Result<u64> {
    let spaces = cfg.key_spaces();
    // Runs of an earlier, interrupted attempt at this unit must not be merged: remove them.
    for space in 0..spaces {
        let dir = out.path(format!("dedup/runs/band-{space:02}"));
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let prefix = format!("part-{unit:05}-");
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().starts_with(&prefix) {
                    std::fs::remove_file(e.path())?;
                }
            }
        }
    }
    let budget_records = (cfg.max_memory_mb << 20) / 16;
    // Every document adds one record to each key space: reserve each space's share of the
    // budget at once, so growing buffers never hold old and new copies side by side.
    let mut buffers: Vec<Vec<(u64, u64)>> = (0..spaces)
        .map(|_| Vec::with_capacity(budget_records / spaces + 1))
        .collect();
    let mut buffered = 0usize;
    let mut chunk = 0usize;
    let mut metas = Vec::new();
    let mut no_tokens = 0u64;

    let flush = |buffers: &mut Vec<Vec<(u64, u64)>>, chunk: &mut usize| -> io::Result<()> {
        for (space, buf) in buffers.iter_mut().enumerate() {
            buf.sort_unstable();
            write_records(
                out,
                &format!(
                    "dedup/runs/band-{space:02}/part-{unit:05}-{:04}.bin",
                    *chunk
                ),
                buf,
            )?;
            buf.clear();
        }
        *chunk += 1;
        Ok(())
    };

    let mut row: u32 = 0;
    // Signatures of a batch on every core, then its records in row order: same runs for any
    // thread count.
    let mut add_batch = |batch: Vec<Doc>| -> io::Result<()> {
        let sigs: Vec<(DocSignature, Doc)> = batch
            .into_par_iter()
            .map_init(SignatureScratch::default, |scratch, doc| {
                (doc_signature(&doc, cfg, hasher, scratch), doc)
            })
            .collect();
        for (sig, doc) in sigs {
            let d = doc_ref(unit, row);
            match &sig.keys {
                None => no_tokens += 1,
                Some(keys) => {
                    for (band, key) in keys.iter().enumerate() {
                        buffers[band].push((*key, d));
                    }
                    if cfg.exact {
                        buffers[cfg.bands].push((sig.exact, d));
                    }
                    buffered += spaces;
                }
            }
            metas.push(RowMeta {
                date: doc.date,
                exact: sig.exact,
                id: doc.id,
            });
            row = row
                .checked_add(1)
                .ok_or_else(|| io::Error::other("more than 2^32 documents in one unit"))?;
            if buffered >= budget_records {
                flush(&mut buffers, &mut chunk)?;
                buffered = 0;
            }
        }
        Ok(())
    };
    let mut batcher = Batcher::default();
    for_each_item(input, read_cfg, DocColumns::Signature, |item| {
        let Item::Doc { doc, .. } = item else {
            return Ok(());
        };
        let bytes = doc.text.len();
        match batcher.push(doc, bytes) {
            Some(batch) => add_batch(batch),
            None => Ok(()),
        }
    })?;
    add_batch(batcher.take())?;
    if buffered > 0 || chunk == 0 {
        flush(&mut buffers, &mut chunk)?;
    }
    write_meta(
        out,
        &format!("dedup/meta/{}", part_name(unit, "bin")),
        &metas,
    )?;
    Ok(no_tokens)
}

/// Unit field of a document reference for unit `u` of earlier release `r`: the high bit marks
/// earlier releases, so their documents never collide with this run's units.
pub(super) fn previous_unit(r: usize, u: usize) -> u32 {
    0x8000_0000 | ((r as u32) << 20) | u as u32
}

/// The run files of one key space, with the release each comes from (`None` = this run).
fn space_runs(
    out: &OutDir,
    previous: &[PathBuf],
    space: usize,
) -> io::Result<Vec<(PathBuf, Option<usize>)>> {
    let list = |dir: PathBuf| -> io::Result<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "bin"))
            .collect();
        v.sort();
        Ok(v)
    };
    let rel = format!("dedup/runs/band-{space:02}");
    let mut runs: Vec<(PathBuf, Option<usize>)> = list(out.path(&rel))?
        .into_iter()
        .map(|p| (p, None))
        .collect();
    for (r, prev) in previous.iter().enumerate() {
        runs.extend(list(prev.join(&rel))?.into_iter().map(|p| (p, Some(r))));
    }
    Ok(runs)
}

/// Step 2 for one key space: equal keys → edges to the group's first document. Streams: memory
/// is one record per run file.
fn bucket_space(out: &OutDir, previous: &[PathBuf], space: usize) -> io::Result<()> {
    let runs = space_runs(out, previous, space)?;
    let paths: Vec<PathBuf> = runs.iter().map(|(p, _)| p.clone()).collect();
    let origin: Vec<Option<usize>> = runs.iter().map(|(_, r)| *r).collect();
    let mut pairs = RecordWriter::create(out, &format!("dedup/pairs/band-{space:02}.bin"))?;
    let mut current: Option<(u64, u64)> = None; // (key, first doc)
    merge_sorted_mapped(
        &paths,
        |i, d| match origin[i] {
            None => d,
            Some(r) => {
                let (u, row) = unit_row(d);
                ((previous_unit(r, u) as u64) << 32) | row as u64
            }
        },
        |key, doc| {
            match current {
                Some((k, first)) if k == key => pairs.push(first, doc)?,
                _ => current = Some((key, doc)),
            }
            Ok(())
        },
    )?;
    pairs.finish()?;
    Ok(())
}

/// Step 4 for one unit.
fn apply_unit(
    out: &OutDir,
    unit: usize,
    input: &UnitInput,
    read_cfg: &ReadConfig,
    docs_dir: &str,
) -> io::Result<StageStats> {
    let path = out.path(format!("dedup/decisions/{}", part_name(unit, "jsonl")));
    let mut decisions: HashMap<u32, Decision> = HashMap::new();
    for (i, line) in io::BufReader::new(std::fs::File::open(&path)?)
        .lines()
        .enumerate()
    {
        let d: Decision = serde_json::from_str(&line?).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}:{}: {e}", path.display(), i + 1),
            )
        })?;
        decisions.insert(d.row, d);
    }
    let mut docs =
        DocWriter::new(out.create_file(format!("{docs_dir}/{}", part_name(unit, "parquet")))?)?;
    let mut removed = RemovedWriter::new(
        out.create_file(format!("removed/dedup/{}", part_name(unit, "parquet")))?,
    )?;
    let mut stats = StageStats::default();
    let mut row: u32 = 0;
    for_each_item(input, read_cfg, DocColumns::All, |item| {
        match item {
            Item::Doc { mut doc, location } => {
                stats.docs_in += 1;
                stats.text_bytes_in += doc.text.len() as u64;
                match decisions.get(&row) {
                    Some(Decision {
                        survivor: Some(survivor),
                        cluster_size,
                        exact,
                        previous,
                        ..
                    }) => {
                        let reason = match (previous, exact) {
                            (Some(_), _) => "previous_release",
                            (None, true) => "exact_duplicate",
                            (None, false) => "near_duplicate",
                        };
                        stats.count_removed("dedup", reason);
                        let detail = match previous {
                            Some(release) => format!("copy of {survivor} released in {release} (cluster of {cluster_size})"),
                            None => format!("survivor {survivor} (cluster of {cluster_size})"),
                        };
                        removed.push(Removed::of_doc(
                            &doc,
                            "dedup",
                            reason.into(),
                            detail,
                            location,
                        ))?;
                    }
                    other => {
                        doc.cluster_size = Some(other.map(|d| d.cluster_size).unwrap_or(1));
                        stats.docs_out += 1;
                        stats.text_bytes_out += doc.text.len() as u64;
                        *stats
                            .kept_by_lang
                            .entry(doc.lang.clone().unwrap_or_else(|| "und".into()))
                            .or_default() += 1;
                        *stats.kept_by_source.entry(doc.source.clone()).or_default() += 1;
                        docs.push(doc)?;
                    }
                }
                row += 1;
            }
            Item::Removed(r) => {
                stats.count_removed(&r.stage, &r.reason);
                removed.push(r)?;
            }
            Item::Skipped(kind) => *stats.skipped_records.entry(kind).or_default() += 1,
        }
        Ok(())
    })?;
    docs.finish()?;
    removed.finish()?;
    let json = serde_json::to_vec_pretty(&stats).map_err(io::Error::other)?;
    out.write_file(format!("stats/dedup/{}", part_name(unit, "json")), &json)?;
    Ok(stats)
}

fn timed<T>(f: impl FnOnce() -> io::Result<T>) -> io::Result<(T, f64)> {
    let t = std::time::Instant::now();
    f().map(|v| (v, t.elapsed().as_secs_f64()))
}

/// The settings that make signatures comparable across runs.
#[derive(Serialize)]
struct SignatureParams {
    format: u32,
    ngram: usize,
    bands: usize,
    rows: usize,
    seed: u64,
    exact: bool,
    scope: Scope,
}

impl SignatureParams {
    fn of(cfg: &DedupConfig) -> SignatureParams {
        SignatureParams {
            // 2: 32-bit permutations (format 1 was mod 2^61 - 1; its signatures do not compare).
            format: 2,
            ngram: cfg.ngram,
            bands: cfg.bands,
            rows: cfg.rows,
            seed: cfg.seed,
            exact: cfg.exact,
            scope: cfg.scope,
        }
    }
}

/// The steps of the dedup stage, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DedupStep {
    /// One task per unit.
    Signature,
    /// One task per key space (bands, plus exact).
    Bucket,
    /// One task.
    Cluster,
    /// One task per unit.
    Apply,
}

impl DedupStep {
    /// Every step in order.
    pub const ALL: [DedupStep; 4] = [
        DedupStep::Signature,
        DedupStep::Bucket,
        DedupStep::Cluster,
        DedupStep::Apply,
    ];

    /// Name used in markers and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            DedupStep::Signature => "signature",
            DedupStep::Bucket => "bucket",
            DedupStep::Cluster => "cluster",
            DedupStep::Apply => "apply",
        }
    }
}

/// Everything the dedup steps need.
pub struct DedupJob<'a> {
    /// Output directory.
    pub out: &'a OutDir,
    /// One input per unit.
    pub inputs: &'a [UnitInput],
    /// Reader settings (for file inputs).
    pub read_cfg: &'a ReadConfig,
    /// Dedup settings.
    pub cfg: &'a DedupConfig,
    /// Where kept documents go, under OUT.
    pub docs_dir: &'a str,
}

impl DedupJob<'_> {
    /// Units of work of a step.
    pub fn units(&self, step: DedupStep) -> usize {
        match step {
            DedupStep::Signature | DedupStep::Apply => self.inputs.len(),
            DedupStep::Bucket => self.cfg.key_spaces(),
            DedupStep::Cluster => 1,
        }
    }

    /// Check earlier releases' settings and pin ours (idempotent; every task may call it).
    pub fn prepare(&self) -> io::Result<()> {
        let params =
            serde_json::to_vec_pretty(&SignatureParams::of(self.cfg)).map_err(io::Error::other)?;
        for prev in &self.cfg.previous {
            let theirs = std::fs::read(prev.join("dedup/params.json")).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!(
                        "earlier release {}: no dedup/params.json ({e})",
                        prev.display()
                    ),
                )
            })?;
            if theirs != params {
                return Err(io::Error::other(format!(
                    "earlier release {} was deduplicated with other signature settings (ngram, bands, rows, seed, exact, scope): signatures cannot be compared",
                    prev.display()
                )));
            }
        }
        if std::fs::read(self.out.path("dedup/params.json"))
            .ok()
            .as_deref()
            != Some(&params[..])
        {
            self.out.write_file("dedup/params.json", &params)?;
        }
        Ok(())
    }

    /// Run one unit of a step unless its marker exists; write the marker after.
    pub fn run_unit(&self, step: DedupStep, unit: usize) -> io::Result<()> {
        if unit_done(self.out, step.name(), unit) {
            return Ok(());
        }
        let out = self.out;
        let cfg = self.cfg;
        let ((), secs) = timed(|| match step {
            DedupStep::Signature => {
                let hasher = MinHasher::new(cfg.seed, cfg.bands, cfg.rows);
                let n = signature_unit(out, unit, &self.inputs[unit], self.read_cfg, cfg, &hasher)?;
                let json = format!("{{\"no_tokens\": {n}}}\n");
                out.write_file(
                    format!("stats/dedup_signature/{}", part_name(unit, "json")),
                    json.as_bytes(),
                )
            }
            DedupStep::Bucket => bucket_space(out, &cfg.previous, unit),
            DedupStep::Cluster => {
                let mut summary = DedupSummary::default();
                for u in 0..self.inputs.len() {
                    let bytes = std::fs::read(
                        out.path(format!("stats/dedup_signature/{}", part_name(u, "json"))),
                    )?;
                    let v: serde_json::Value =
                        serde_json::from_slice(&bytes).map_err(io::Error::other)?;
                    summary.no_tokens += v["no_tokens"].as_u64().unwrap_or(0);
                }
                cluster(out, self.inputs.len(), &cfg.previous, cfg, &mut summary)?;
                out.write_file(
                    "dedup/summary.json",
                    &serde_json::to_vec_pretty(&summary).map_err(io::Error::other)?,
                )
            }
            DedupStep::Apply => {
                apply_unit(out, unit, &self.inputs[unit], self.read_cfg, self.docs_dir).map(|_| ())
            }
        })?;
        mark(out, step.name(), unit, secs)
    }

    /// Merge the stats of every unit (after the last step) into `stats/dedup.json`.
    pub fn finish(&self) -> io::Result<(StageStats, DedupSummary)> {
        let bytes = std::fs::read(self.out.path("dedup/summary.json"))?;
        let summary: DedupSummary = serde_json::from_slice(&bytes).map_err(io::Error::other)?;
        let mut merged = StageStats::default();
        for u in 0..self.inputs.len() {
            let bytes = std::fs::read(
                self.out
                    .path(format!("stats/dedup/{}", part_name(u, "json"))),
            )?;
            let s: StageStats = serde_json::from_slice(&bytes).map_err(io::Error::other)?;
            merged.merge(&s);
        }
        merged
            .counters
            .insert("dedup/clusters".into(), summary.clusters);
        merged
            .counters
            .insert("dedup/no_tokens".into(), summary.no_tokens);
        self.out.write_file(
            "stats/dedup.json",
            &serde_json::to_vec_pretty(&merged).map_err(io::Error::other)?,
        )?;
        Ok((merged, summary))
    }
}

/// Run every dedup step over `inputs` (one unit each), writing kept documents to `docs_dir`
/// (relative to `out`). Steps and units finished earlier are skipped. Returns the merged stats.
pub fn run_dedup(
    out: &OutDir,
    inputs: &[UnitInput],
    read_cfg: &ReadConfig,
    cfg: &DedupConfig,
    docs_dir: &str,
) -> io::Result<(StageStats, DedupSummary)> {
    let job = DedupJob {
        out,
        inputs,
        read_cfg,
        cfg,
        docs_dir,
    };
    job.prepare()?;
    for step in DedupStep::ALL {
        (0..job.units(step))
            .into_par_iter()
            .try_for_each(|u| job.run_unit(step, u))?;
    }
    job.finish()
}
