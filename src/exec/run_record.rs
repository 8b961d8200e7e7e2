//! `OUT/_tasks/run.json`: what a run's outputs were made from, so that a rerun into the same
//! OUT resumes only the same run.
//!
//! Completion markers say a unit finished; they do not say from what. Without this record a
//! rerun after editing the pipeline, replacing an input or updating a list would skip the
//! finished units and mix outputs of two runs (dedup decisions of the old documents, a manifest
//! pinning files no stage read). The record holds a hash of the resolved pipeline (less what
//! cannot change an output: the output path, threads, dedup's memory budget), and the size and
//! modification time of every input and asset. A run whose record differs is refused with what
//! changed; `tamis run --restart` clears the run's outputs and starts again.
//!
//! Assets (models, lists, settings files, a tokenizer file, earlier releases) are known in full
//! only to a process that built the filter chain; the others re-stat the files the record names.
//! Finalize takes the list from here to pin them in the manifest instead of loading every model
//! and list again.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Pipeline;
use crate::out::{slash_path, OutDir};
use crate::read::InputFile;

/// Where the record lives, relative to OUT.
pub const RUN_RECORD: &str = "_tasks/run.json";

/// Folders and files of OUT that a run writes, and `--restart` removes.
pub const RUN_OUTPUTS: &[&str] = &[
    "_tasks",
    "docs",
    "stages",
    "removed",
    "stats",
    "dedup",
    "tokens",
    "manifest.json",
];

/// A file as the run saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// The path as configured (relative to the working directory) or as the glob matched it.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Modification time, nanoseconds since the Unix epoch (0 when the platform has none).
    pub modified_ns: u128,
}

impl FileStamp {
    /// Stamp `path` now; `display` is what the record shows.
    pub fn of(display: &str, path: &Path) -> std::io::Result<FileStamp> {
        let meta = std::fs::metadata(path)?;
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Ok(FileStamp {
            path: display.to_string(),
            bytes: meta.len(),
            modified_ns,
        })
    }
}

/// The record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Record format.
    pub format: u32,
    /// `tamis <version>` that started the run.
    pub tool: String,
    /// sha256 of the resolved pipeline (see [`pipeline_sha256`]).
    pub pipeline_sha256: String,
    /// Input files, in unit order.
    pub inputs: Vec<FileStamp>,
    /// Models, lists, settings files, tokenizer files and earlier releases' manifests.
    pub assets: Vec<FileStamp>,
}

const FORMAT: u32 = 1;

fn tool() -> String {
    format!("tamis {}", env!("CARGO_PKG_VERSION"))
}

/// sha256 of the pipeline as resolved, less what does not change any output.
pub fn pipeline_sha256(pipeline: &Pipeline) -> anyhow::Result<String> {
    let mut p = pipeline.clone();
    p.output = None;
    p.threads = 0;
    if let Some(d) = p.dedup.as_mut() {
        // Same decisions in memory or out of core (tests/dedup_scale, cluster.rs): a run that
        // ran out of memory may resume with a larger budget.
        d.max_memory_mb = 0;
    }
    let bytes = serde_json::to_vec(&p)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Files the run depends on besides the inputs that any process can list without loading the
/// filters: per-language settings (when filters run), a Hugging Face tokenizer (and the
/// `tokenizer_config.json` beside it, which may name its end-of-document token), the manifests
/// of earlier releases that dedup compares against.
pub fn plain_assets(pipeline: &Pipeline, filters_run: bool) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if filters_run {
        if let Ok(entries) = std::fs::read_dir(&pipeline.filters.settings) {
            let mut settings: Vec<PathBuf> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            settings.sort();
            out.extend(settings.into_iter().map(|p| (slash_path(&p), p)));
        }
    }
    if let Some(tokens) = &pipeline.tokens {
        if let crate::tokenize::TokenizerSpec::HuggingFace { path, .. } = &tokens.tokenizer {
            out.push((slash_path(path), path.clone()));
            let config = path.with_file_name("tokenizer_config.json");
            if config.is_file() {
                out.push((slash_path(&config), config));
            }
        }
    }
    if let Some(d) = &pipeline.dedup {
        for prev in &d.previous {
            let m = prev.join("manifest.json");
            out.push((slash_path(&m), m));
        }
    }
    out
}

/// The assets of a run whose filter chain was built: the files the filters loaded, then
/// [`plain_assets`].
pub fn all_assets(
    pipeline: &Pipeline,
    chain: &crate::filter::FilterChain,
) -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = chain
        .assets()
        .into_iter()
        .map(|p| (slash_path(&p), p))
        .collect();
    out.extend(plain_assets(pipeline, !chain.stages().is_empty()));
    out
}

/// Stamp `(display, path)` pairs, in order.
fn stamp_all<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a Path)>,
) -> anyhow::Result<Vec<FileStamp>> {
    files
        .into_iter()
        .map(|(d, p)| FileStamp::of(d, p).with_context(|| format!("{d}: cannot read its size")))
        .collect()
}

impl RunRecord {
    /// The record of the run about to start. `assets` is the full list when the filter chain
    /// was built ([`all_assets`]), else `None`.
    pub fn current(
        pipeline: &Pipeline,
        files: &[InputFile],
        assets: Option<&[(String, PathBuf)]>,
    ) -> anyhow::Result<RunRecord> {
        Ok(RunRecord {
            format: FORMAT,
            tool: tool(),
            pipeline_sha256: pipeline_sha256(pipeline)?,
            inputs: stamp_all(files.iter().map(|f| (f.display.as_str(), f.path.as_path())))?,
            assets: stamp_all(
                assets
                    .unwrap_or_default()
                    .iter()
                    .map(|(d, p)| (d.as_str(), p.as_path())),
            )?,
        })
    }

    /// The record of OUT, if a run wrote one.
    pub fn load(out: &OutDir) -> anyhow::Result<Option<RunRecord>> {
        let path = out.path(RUN_RECORD);
        match std::fs::read(&path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .with_context(|| format!("{}: not a run record", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// What differs between the run that made `self` and `now` (empty: the same run). When `now`
    /// has no asset list (the filters were not loaded), the recorded assets are stamped again.
    pub fn changes(&self, now: &RunRecord, assets_known: bool) -> Vec<String> {
        let mut out = Vec::new();
        if self.tool != now.tool {
            out.push(format!("made by {}, this is {}", self.tool, now.tool));
        }
        if self.pipeline_sha256 != now.pipeline_sha256 {
            out.push("the pipeline's settings changed".into());
        }
        diff_stamps("input", &self.inputs, &now.inputs, &mut out);
        if assets_known {
            diff_stamps("asset", &self.assets, &now.assets, &mut out);
        } else {
            for a in &self.assets {
                match FileStamp::of(&a.path, Path::new(&a.path)) {
                    Ok(s) => diff_stamps("asset", std::slice::from_ref(a), &[s], &mut out),
                    Err(e) => out.push(format!("asset {}: {e}", a.path)),
                }
            }
        }
        out
    }

    /// The assets as paths (finalize pins them in the manifest).
    pub fn asset_paths(&self) -> Vec<(String, PathBuf)> {
        self.assets
            .iter()
            .map(|a| (a.path.clone(), PathBuf::from(&a.path)))
            .collect()
    }
}

fn diff_stamps(kind: &str, old: &[FileStamp], new: &[FileStamp], out: &mut Vec<String>) {
    let before = out.len();
    let old_by: std::collections::BTreeMap<&str, &FileStamp> =
        old.iter().map(|s| (s.path.as_str(), s)).collect();
    let new_by: std::collections::BTreeMap<&str, &FileStamp> =
        new.iter().map(|s| (s.path.as_str(), s)).collect();
    for (path, o) in &old_by {
        match new_by.get(path) {
            None => out.push(format!("{kind} {path} is no longer part of the run")),
            Some(n) if n.bytes != o.bytes => out.push(format!(
                "{kind} {path} changed size: {} → {} bytes",
                o.bytes, n.bytes
            )),
            Some(n) if n.modified_ns != o.modified_ns => {
                out.push(format!("{kind} {path} was modified since"))
            }
            Some(_) => {}
        }
    }
    for path in new_by.keys().filter(|p| !old_by.contains_key(*p)) {
        out.push(format!("{kind} {path} is new"));
    }
    if out.len() == before && old.iter().map(|s| &s.path).ne(new.iter().map(|s| &s.path)) {
        out.push(format!("the {kind}s are in another order"));
    }
}

/// Check OUT against the run about to start: a new OUT (or one an older tamis made) gets the
/// record, the same run resumes, another run is refused with what changed. Returns the record
/// in force. Only a process that knows the full asset list (`assets_known`) writes a record.
pub fn reconcile(out: &OutDir, now: RunRecord, assets_known: bool) -> anyhow::Result<RunRecord> {
    match RunRecord::load(out)? {
        Some(old) => {
            let changes = old.changes(&now, assets_known);
            if changes.is_empty() {
                return Ok(old);
            }
            anyhow::bail!(
                "{} holds the outputs of another run, which this one would mix with its own:\n  \
                 - {}\nRerun with --restart to clear them and start again, or choose another \
                 --output.",
                out.root().display(),
                changes.join("\n  - ")
            )
        }
        None => {
            if assets_known {
                out.write_file(RUN_RECORD, &serde_json::to_vec_pretty(&now)?)?;
            }
            Ok(now)
        }
    }
}

/// Remove what a run wrote in OUT ([`RUN_OUTPUTS`]); anything else there stays.
pub fn clear_run_outputs(out: &OutDir) -> std::io::Result<()> {
    for name in RUN_OUTPUTS {
        let p = out.path(name);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p)?,
            Ok(_) => std::fs::remove_file(&p)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Remove the temporary files (`.NAME.ID.tmp`) that killed writers and sorts left in the run's
/// folders; returns how many. Only when no writer runs: finalize calls it, once every unit of
/// every stage has finished.
pub fn remove_abandoned_temp_files(out: &OutDir) -> std::io::Result<usize> {
    let is_temp =
        |p: &Path| p.extension().is_some_and(|x| x == "tmp") && crate::release::files::is_hidden(p);
    // In the run's folders, and beside OUT's own files (`.manifest.json.PID.tmp`).
    let mut temps: Vec<PathBuf> = Vec::new();
    for name in RUN_OUTPUTS {
        temps.extend(crate::release::files::files_below(&out.path(name)));
    }
    if let Ok(entries) = std::fs::read_dir(out.root()) {
        temps.extend(entries.flatten().map(|e| e.path()).filter(|p| {
            let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
            name.is_some_and(|n| RUN_OUTPUTS.iter().any(|o| n.starts_with(&format!(".{o}."))))
        }));
    }
    let mut removed = 0;
    for p in temps.iter().filter(|p| is_temp(p)) {
        match std::fs::remove_file(p) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(path: &str, bytes: u64, t: u128) -> FileStamp {
        FileStamp {
            path: path.into(),
            bytes,
            modified_ns: t,
        }
    }

    #[test]
    fn stamps_differ_by_size_time_presence_and_order() {
        let a = [stamp("a", 1, 1), stamp("b", 2, 2)];
        let mut out = Vec::new();
        diff_stamps("input", &a, &a, &mut out);
        assert!(out.is_empty());
        diff_stamps("input", &a, &[stamp("a", 3, 1), stamp("c", 2, 2)], &mut out);
        assert_eq!(
            out,
            [
                "input a changed size: 1 → 3 bytes",
                "input b is no longer part of the run",
                "input c is new"
            ]
        );
        out.clear();
        diff_stamps("asset", &a, &[stamp("a", 1, 9), stamp("b", 2, 2)], &mut out);
        assert_eq!(out, ["asset a was modified since"]);
        out.clear();
        diff_stamps("input", &a, &[stamp("b", 2, 2), stamp("a", 1, 1)], &mut out);
        assert_eq!(out, ["the inputs are in another order"]);
    }
}
