//! The four dedup steps over an output directory, each unit of each step finished by a marker.

use std::collections::HashMap;
use std::io::{self, BufRead};
use std::path::PathBuf;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::meta::{meta_rows, read_meta, write_meta, RowMeta};
use super::minhash::MinHasher;
use super::normalize::{normalise, shingle_hashes, token_hashes};
use super::records::{doc_ref, merge_sorted, unit_row, write_records, RecordReader};
use super::unionfind::UnionFind;
use super::{DedupConfig, Scope, Survivor};
use crate::config::ReadConfig;
use crate::doc::{Doc, Removed};
use crate::out::parquet::{read_docs, DocWriter, RemovedWriter};
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
    mut f: impl FnMut(Item) -> io::Result<()>,
) -> io::Result<()> {
    match input {
        UnitInput::Shard(path, display) => {
            for (i, doc) in read_docs(path)?.enumerate() {
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
    let mut buffers: Vec<Vec<(u64, u64)>> = vec![Vec::new(); spaces];
    let mut buffered = 0usize;
    let mut chunk = 0usize;
    let mut metas = Vec::new();
    let mut no_tokens = 0u64;
    let (mut tokens, mut shingles, mut sig, mut keys) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());

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
    for_each_item(input, read_cfg, |item| {
        let Item::Doc { doc, .. } = item else {
            return Ok(());
        };
        let norm = normalise(&doc.text);
        token_hashes(&norm, cfg.seed, &mut tokens);
        let scope = scope_hash(cfg, &doc);
        let d = doc_ref(unit, row);
        let exact = if tokens.is_empty() {
            no_tokens += 1;
            0
        } else {
            shingle_hashes(&tokens, cfg.ngram, cfg.seed, &mut shingles);
            hasher.signature(&shingles, &mut sig);
            hasher.band_keys(&sig, scope, &mut keys);
            for (band, key) in keys.iter().enumerate() {
                buffers[band].push((*key, d));
            }
            let exact = xxh3_64_with_seed(norm.as_bytes(), cfg.seed ^ scope) | 1;
            if cfg.exact {
                buffers[cfg.bands].push((exact, d));
            }
            buffered += spaces;
            exact
        };
        metas.push(RowMeta {
            date: doc.date,
            exact,
            id: doc.id,
        });
        row = row
            .checked_add(1)
            .ok_or_else(|| io::Error::other("more than 2^32 documents in one unit"))?;
        if buffered >= budget_records {
            flush(&mut buffers, &mut chunk)?;
            buffered = 0;
        }
        Ok(())
    })?;
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

/// Step 2 for one key space: equal keys → edges to the group's first (smallest) document.
fn bucket_space(out: &OutDir, space: usize) -> io::Result<()> {
    let dir = out.path(format!("dedup/runs/band-{space:02}"));
    let mut runs: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "bin"))
        .collect();
    runs.sort();
    let mut pairs = Vec::new();
    let mut current: Option<(u64, u64)> = None; // (key, first doc)
    merge_sorted(&runs, |key, doc| {
        match current {
            Some((k, first)) if k == key => pairs.push((first, doc)),
            _ => current = Some((key, doc)),
        }
        Ok(())
    })?;
    write_records(out, &format!("dedup/pairs/band-{space:02}.bin"), &pairs)
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Decision {
    row: u32,
    cluster_size: u32,
    /// The survivor's id when this document is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    survivor: Option<String>,
    /// Removed as an exact duplicate of the survivor (same normalised text).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    exact: bool,
}

/// The ordering key of the survivor rule (smaller wins).
fn survivor_key(rule: Survivor, m: &RowMeta) -> (i64, String) {
    match rule {
        Survivor::Oldest => (m.date.unwrap_or(i64::MAX), m.id.clone()),
        Survivor::Newest => (m.date.map(|d| -d).unwrap_or(i64::MAX), m.id.clone()),
        Survivor::Id => (0, m.id.clone()),
    }
}

/// Step 3: union-find over every edge, survivors by rule, one decision file per unit.
fn cluster(
    out: &OutDir,
    units: usize,
    cfg: &DedupConfig,
    summary: &mut DedupSummary,
) -> io::Result<()> {
    let mut offsets = Vec::with_capacity(units + 1);
    let mut total: u64 = 0;
    for u in 0..units {
        offsets.push(total);
        total += meta_rows(&out.path(format!("dedup/meta/{}", part_name(u, "bin"))))?;
    }
    offsets.push(total);
    if total >= u32::MAX as u64 {
        return Err(io::Error::other(
            "more than 2^32 documents in one dedup run: split it by scope",
        ));
    }
    summary.docs = total;
    let dense = |d: u64| -> u32 {
        let (u, r) = unit_row(d);
        (offsets[u] + r as u64) as u32
    };
    let uf = UnionFind::new(total as usize);
    let pair_files: Vec<PathBuf> = (0..cfg.key_spaces())
        .map(|s| out.path(format!("dedup/pairs/band-{s:02}.bin")))
        .collect();
    pair_files.par_iter().try_for_each(|p| -> io::Result<()> {
        let mut r = RecordReader::open(p)?;
        while let Some((a, b)) = r.next_record()? {
            uf.union(dense(a), dense(b));
        }
        Ok(())
    })?;
    let roots: Vec<u32> = (0..total as u32)
        .into_par_iter()
        .map(|x| uf.find(x))
        .collect();
    drop(uf);
    let mut sizes = vec![0u32; total as usize];
    for &r in &roots {
        sizes[r as usize] += 1;
    }
    // Survivor of each multi-document cluster: (rule key, exact hash).
    let mut best: HashMap<u32, ((i64, String), u64)> = HashMap::new();
    let unit_of_cluster_rows =
        |u: usize| (offsets[u]..offsets[u + 1]).any(|x| sizes[roots[x as usize] as usize] > 1);
    for u in 0..units {
        if !unit_of_cluster_rows(u) {
            continue;
        }
        let metas = read_meta(&out.path(format!("dedup/meta/{}", part_name(u, "bin"))))?;
        for (r, m) in metas.iter().enumerate() {
            let x = offsets[u] as usize + r;
            let root = roots[x];
            if sizes[root as usize] < 2 {
                continue;
            }
            let key = survivor_key(cfg.survivor, m);
            match best.get(&root) {
                Some((k, _)) if *k <= key => {}
                _ => {
                    best.insert(root, (key, m.exact));
                }
            }
        }
    }
    summary.clusters = best.len() as u64;
    for (root, _) in best.iter() {
        *summary
            .cluster_sizes
            .entry(sizes[*root as usize])
            .or_default() += 1;
    }
    for u in 0..units {
        let mut lines = Vec::new();
        if unit_of_cluster_rows(u) {
            let metas = read_meta(&out.path(format!("dedup/meta/{}", part_name(u, "bin"))))?;
            for (r, m) in metas.iter().enumerate() {
                let root = roots[offsets[u] as usize + r];
                let size = sizes[root as usize];
                if size < 2 {
                    continue;
                }
                let (key, exact) = &best[&root];
                let d = if key.1 == m.id && survivor_key(cfg.survivor, m) == *key {
                    Decision {
                        row: r as u32,
                        cluster_size: size,
                        survivor: None,
                        exact: false,
                    }
                } else {
                    summary.removed += 1;
                    let is_exact = *exact == m.exact && m.exact != 0;
                    summary.exact += u64::from(is_exact);
                    Decision {
                        row: r as u32,
                        cluster_size: size,
                        survivor: Some(key.1.clone()),
                        exact: is_exact,
                    }
                };
                lines.push(serde_json::to_string(&d).map_err(io::Error::other)?);
            }
        }
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        out.write_file(
            format!("dedup/decisions/{}", part_name(u, "jsonl")),
            text.as_bytes(),
        )?;
    }
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
    for_each_item(input, read_cfg, |item| {
        match item {
            Item::Doc { mut doc, location } => {
                stats.docs_in += 1;
                stats.text_bytes_in += doc.text.len() as u64;
                match decisions.get(&row) {
                    Some(Decision {
                        survivor: Some(survivor),
                        cluster_size,
                        exact,
                        ..
                    }) => {
                        let reason = if *exact {
                            "exact_duplicate"
                        } else {
                            "near_duplicate"
                        };
                        stats.count_removed("dedup", reason);
                        let detail = format!("survivor {survivor} (cluster of {cluster_size})");
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

/// Run every dedup step over `inputs` (one unit each), writing kept documents to `docs_dir`
/// (relative to `out`). Steps and units finished earlier are skipped. Returns the merged stats.
pub fn run_dedup(
    out: &OutDir,
    inputs: &[UnitInput],
    read_cfg: &ReadConfig,
    cfg: &DedupConfig,
    docs_dir: &str,
) -> io::Result<(StageStats, DedupSummary)> {
    let hasher = MinHasher::new(cfg.seed, cfg.bands, cfg.rows);
    let units = inputs.len();
    let mut summary = DedupSummary::default();
    let no_tokens: Vec<u64> = (0..units)
        .into_par_iter()
        .map(|u| -> io::Result<u64> {
            if unit_done(out, "signature", u) {
                return Ok(0);
            }
            let (n, secs) = timed(|| signature_unit(out, u, &inputs[u], read_cfg, cfg, &hasher))?;
            mark(out, "signature", u, secs)?;
            Ok(n)
        })
        .collect::<io::Result<_>>()?;
    summary.no_tokens = no_tokens.iter().sum();
    (0..cfg.key_spaces())
        .into_par_iter()
        .try_for_each(|space| -> io::Result<()> {
            if unit_done(out, "bucket", space) {
                return Ok(());
            }
            let ((), secs) = timed(|| bucket_space(out, space))?;
            mark(out, "bucket", space, secs)
        })?;
    let summary_path = "dedup/summary.json";
    if unit_done(out, "cluster", 0) {
        if let Ok(bytes) = std::fs::read(out.path(summary_path)) {
            summary = serde_json::from_slice(&bytes).unwrap_or(summary);
        }
    } else {
        let ((), secs) = timed(|| cluster(out, units, cfg, &mut summary))?;
        out.write_file(
            summary_path,
            &serde_json::to_vec_pretty(&summary).map_err(io::Error::other)?,
        )?;
        mark(out, "cluster", 0, secs)?;
    }
    (0..units)
        .into_par_iter()
        .try_for_each(|u| -> io::Result<()> {
            if unit_done(out, "apply", u) {
                return Ok(());
            }
            let (_, secs) = timed(|| apply_unit(out, u, &inputs[u], read_cfg, docs_dir))?;
            mark(out, "apply", u, secs)
        })?;
    let mut merged = StageStats::default();
    for u in 0..units {
        let bytes = std::fs::read(out.path(format!("stats/dedup/{}", part_name(u, "json"))))?;
        let s: StageStats = serde_json::from_slice(&bytes).map_err(io::Error::other)?;
        merged.merge(&s);
    }
    merged
        .counters
        .insert("dedup/clusters".into(), summary.clusters);
    merged
        .counters
        .insert("dedup/no_tokens".into(), summary.no_tokens);
    out.write_file(
        "stats/dedup.json",
        &serde_json::to_vec_pretty(&merged).map_err(io::Error::other)?,
    )?;
    Ok((merged, summary))
}
