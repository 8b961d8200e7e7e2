//! `OUT/manifest.json`: what a release is made of, pinned by sha256, and `tamis verify`.
//!
//! The manifest holds no timestamps, host names or timings (those stay in the completion
//! markers), so the same inputs and config give the same manifest bytes.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::scan::{parquet_files, row_count};
use crate::out::OutDir;
use crate::stats::StageStats;

/// One pinned file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path: inputs and assets as configured (relative to the working directory), outputs
    /// relative to OUT.
    pub path: String,
    /// Size.
    pub bytes: u64,
    /// sha256, hex.
    pub sha256: String,
    /// Rows, for parquet outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
}

/// The release manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Manifest format version.
    pub format: u32,
    /// `tamis <version>`.
    pub tool: String,
    /// Git revision of the tamis build, when it was built from a checkout.
    pub git_revision: Option<String>,
    /// The resolved pipeline (output directory left out: it does not change the release).
    pub pipeline: serde_json::Value,
    /// Input files.
    pub inputs: Vec<FileEntry>,
    /// Models, word and block lists, per-language settings, tokenizers.
    pub assets: Vec<FileEntry>,
    /// Output files (documents, removed log, stats, token shards, dedup decisions).
    pub outputs: Vec<FileEntry>,
    /// Counts per stage (`filter`, `dedup`, …) as the stats hold them.
    pub counts: BTreeMap<String, StageStats>,
    /// Documents in the release.
    pub documents: u64,
    /// Removed-log rows per stage directory.
    pub removed: BTreeMap<String, u64>,
    /// The token shards' summary, when token shards were written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tokens: Option<serde_json::Value>,
    /// Opt-out lists applied to an earlier release to make this one (`tamis release optout`),
    /// oldest first; empty for a release made by `tamis run`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub optout: Vec<OptOutRound>,
}

/// One application of opt-out lists to a finished release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptOutRound {
    /// sha256 of the `manifest.json` of the release the lists were applied to.
    pub previous_manifest_sha256: String,
    /// The opt-out lists, pinned.
    pub lists: Vec<FileEntry>,
    /// Documents of the previous release this round removed.
    pub removed: u64,
}

/// sha256 of a file, streamed.
pub fn sha256_file(path: &Path) -> io::Result<(u64, String)> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex::encode(h.finalize())))
}

fn entry(display: String, path: &Path, with_rows: bool) -> io::Result<FileEntry> {
    let (bytes, sha256) = sha256_file(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let rows = if with_rows && display.ends_with(".parquet") {
        Some(row_count(path)?)
    } else {
        None
    };
    Ok(FileEntry {
        path: display,
        bytes,
        sha256,
        rows,
    })
}

/// Output files that belong to the release (intermediates and run metadata left out).
pub fn release_outputs(root: &Path) -> Vec<String> {
    let keep = |rel: &str| -> bool {
        let top = rel.split('/').next().unwrap_or("");
        match top {
            "docs" | "removed" | "stats" => true,
            "tokens" => !rel.starts_with("tokens/cache/") && !rel.starts_with("tokens/order/"),
            "dedup" => {
                rel.starts_with("dedup/decisions/")
                    || rel == "dedup/params.json"
                    || rel == "dedup/summary.json"
            }
            _ => false,
        }
    };
    let mut out: Vec<String> = super::files::files_below(root)
        .into_iter()
        .filter(|p| !super::files::is_hidden(p)) // temporary files of an interrupted write
        .filter_map(|p| {
            let rel = crate::out::slash_path(p.strip_prefix(root).ok()?);
            keep(&rel).then_some(rel)
        })
        .collect();
    out.sort();
    out
}

fn git_revision() -> Option<String> {
    Some(env!("TAMIS_GIT_REVISION"))
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// sha256 and size of each `(display path, path)`, in parallel.
pub fn pin_files(files: &[(String, PathBuf)]) -> io::Result<Vec<FileEntry>> {
    let jobs: Vec<(String, PathBuf, bool)> = files
        .iter()
        .map(|(d, p)| (d.clone(), p.clone(), false))
        .collect();
    pin_all(&jobs)
}

/// sha256 and size (and rows, where asked) of each `(display path, path, rows)`, one task per
/// file, largest first: a large asset (the 124 MB UT1 list) hashes beside the many small outputs
/// instead of alone after them. Entries come back in the given order.
fn pin_all(files: &[(String, PathBuf, bool)]) -> io::Result<Vec<FileEntry>> {
    let sizes: Vec<u64> = files
        .iter()
        .map(|(_, p, _)| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .collect();
    let mut order: Vec<usize> = (0..files.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let mut pinned: Vec<(usize, FileEntry)> = order
        .par_iter()
        .with_max_len(1)
        .map(|&i| {
            let (display, path, rows) = &files[i];
            entry(display.clone(), path, *rows).map(|e| (i, e))
        })
        .collect::<io::Result<_>>()?;
    pinned.sort_by_key(|(i, _)| *i);
    Ok(pinned.into_iter().map(|(_, e)| e).collect())
}

/// The release outputs of `out` as [`pin_all`] jobs (rows counted).
fn output_jobs(out: &OutDir) -> Vec<(String, PathBuf, bool)> {
    release_outputs(out.root())
        .into_iter()
        .map(|r| {
            let p = out.path(&r);
            (r, p, true)
        })
        .collect()
}

/// Build the manifest of `out` (run after every stage finished).
pub fn build_manifest(
    out: &OutDir,
    pipeline: serde_json::Value,
    inputs: &[(String, PathBuf)],
    assets: &[(String, PathBuf)],
) -> io::Result<Manifest> {
    let mut assets = assets.to_vec();
    assets.sort_by(|a, b| a.0.cmp(&b.0));
    assets.dedup_by(|a, b| a.0 == b.0);
    // Inputs, assets and outputs in one parallel pass.
    let mut jobs: Vec<(String, PathBuf, bool)> = Vec::new();
    for (d, p) in inputs.iter().chain(&assets) {
        jobs.push((d.clone(), p.clone(), false));
    }
    jobs.extend(output_jobs(out));
    let mut pinned = pin_all(&jobs)?;
    let outputs = pinned.split_off(inputs.len() + assets.len());
    let assets = pinned.split_off(inputs.len());
    manifest_with(out, pipeline, pinned, assets, outputs, Vec::new())
}

/// Stages whose merged counts (`stats/<stage>.json`) the manifest holds, in pass order.
const COUNTED_STAGES: [&str; 3] = ["filter", "dedup", "optout"];

/// The manifest of `out` with inputs and assets already pinned: every release output hashed,
/// counts read from the merged stats.
pub fn manifest_of(
    out: &OutDir,
    pipeline: serde_json::Value,
    inputs: Vec<FileEntry>,
    assets: Vec<FileEntry>,
    optout: Vec<OptOutRound>,
) -> io::Result<Manifest> {
    let outputs = pin_all(&output_jobs(out))?;
    manifest_with(out, pipeline, inputs, assets, outputs, optout)
}

/// The manifest of `out` with every file already pinned; counts read from the merged stats.
fn manifest_with(
    out: &OutDir,
    pipeline: serde_json::Value,
    inputs: Vec<FileEntry>,
    assets: Vec<FileEntry>,
    outputs: Vec<FileEntry>,
    optout: Vec<OptOutRound>,
) -> io::Result<Manifest> {
    let mut counts = BTreeMap::new();
    for stage in COUNTED_STAGES {
        if let Ok(bytes) = std::fs::read(out.path(format!("stats/{stage}.json"))) {
            let s: StageStats = serde_json::from_slice(&bytes).map_err(io::Error::other)?;
            counts.insert(stage.to_string(), s);
        }
    }
    let (documents, removed) = row_counts(&outputs);
    let tokens = std::fs::read(out.path("tokens/summary.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    Ok(Manifest {
        format: 1,
        tool: concat!("tamis ", env!("CARGO_PKG_VERSION")).into(),
        git_revision: git_revision(),
        pipeline,
        inputs,
        assets,
        outputs,
        counts,
        documents,
        removed,
        tokens,
        optout,
    })
}

fn row_counts(outputs: &[FileEntry]) -> (u64, BTreeMap<String, u64>) {
    let mut docs = 0;
    let mut removed = BTreeMap::new();
    for o in outputs {
        let Some(rows) = o.rows else { continue };
        if o.path.starts_with("docs/") {
            docs += rows;
        } else if let Some(rest) = o.path.strip_prefix("removed/") {
            let stage = rest.split('/').next().unwrap_or("").to_string();
            *removed.entry(stage).or_default() += rows;
        }
    }
    (docs, removed)
}

/// Recompute every hash and count of a release; each difference is one line.
pub fn verify(out: &Path) -> io::Result<Vec<String>> {
    let bytes = std::fs::read(out.join("manifest.json")).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("{}: no manifest.json ({e})", out.display()),
        )
    })?;
    let m: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("manifest.json: {e}")))?;
    let mut diffs: Vec<String> = Vec::new();
    let check = |kind: &str, list: &[FileEntry], base: Option<&Path>| -> Vec<String> {
        list.par_iter()
            .filter_map(|e| {
                let p = match base {
                    Some(b) => b.join(&e.path),
                    None => PathBuf::from(&e.path),
                };
                match sha256_file(&p) {
                    Err(err) => Some(format!("{kind} {}: cannot be read: {err}", e.path)),
                    Ok((bytes, sha)) if sha != e.sha256 => Some(format!(
                        "{kind} {}: sha256 differs (manifest {}, now {}; {} → {bytes} bytes)",
                        e.path,
                        &e.sha256[..16.min(e.sha256.len())],
                        &sha[..16],
                        e.bytes
                    )),
                    Ok(_) => None,
                }
            })
            .collect()
    };
    diffs.extend(check("input", &m.inputs, None));
    diffs.extend(check("asset", &m.assets, None));
    diffs.extend(check("output", &m.outputs, Some(out)));
    let listed: std::collections::BTreeSet<&str> =
        m.outputs.iter().map(|e| e.path.as_str()).collect();
    for rel in release_outputs(out) {
        if !listed.contains(rel.as_str()) {
            diffs.push(format!("output {rel}: not in the manifest"));
        }
    }
    // Counts: rows as they are now against the manifest's totals and the stage stats.
    let mut now_outputs = Vec::new();
    for f in parquet_files(&out.join("docs"))
        .into_iter()
        .chain(parquet_files(&out.join("removed")))
    {
        let rel = f
            .strip_prefix(out)
            .map(crate::out::slash_path)
            .unwrap_or_default();
        match row_count(&f) {
            Ok(rows) => now_outputs.push(FileEntry {
                path: rel,
                bytes: 0,
                sha256: String::new(),
                rows: Some(rows),
            }),
            Err(e) => diffs.push(format!("output {rel}: not a readable parquet file: {e}")),
        }
    }
    let (docs, removed) = row_counts(&now_outputs);
    if docs != m.documents {
        diffs.push(format!(
            "documents: {} in the manifest, {docs} now",
            m.documents
        ));
    }
    if removed != m.removed {
        diffs.push(format!(
            "removed rows per stage: {:?} in the manifest, {removed:?} now",
            m.removed
        ));
    }
    // The last document stage's counts must agree with the documents of the release.
    let last_stage = COUNTED_STAGES
        .iter()
        .rev()
        .find(|s| m.counts.contains_key(**s));
    if let Some((last_stage, s)) = last_stage.and_then(|l| m.counts.get(*l).map(|s| (l, s))) {
        if s.docs_out != m.documents {
            diffs.push(format!(
                "stats/{last_stage}.json keeps {} documents but the manifest lists {}",
                s.docs_out, m.documents
            ));
        }
    }
    diffs.sort();
    Ok(diffs)
}
