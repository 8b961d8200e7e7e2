//! `tamis release optout`: the next release of a finished one, less the documents an opt-out
//! list names, without reading, filtering or deduplicating again.
//!
//! Matching is the URL filter's own (`[filters.url] opt_out`): a domain entry covers its
//! sub-domains, a URL entry the pages below it. The new release holds
//! - `docs/`: the old shards less the opted-out documents (same shard names and order);
//! - `removed/`: the old log, plus `removed/optout/` rows (stage `optout`, reason `opt_out`,
//!   detail `<list>: <entry>`, location `docs/part-NNNNN.parquet[row]` of the old release);
//! - `stats/optout.json` (and per shard), `stats/summary.txt` with an opt-out section;
//! - token shards rebuilt from the old token cache (tokens copied, never re-tokenized), with the
//!   weights and order of the old pipeline;
//! - a manifest that pins the old manifest's sha256 and the lists' (`optout` rounds).
//!
//! Applying lists to a release that was itself made this way adds a round: the old opt-out rows
//! come first in each `removed/optout/` shard and the counts add up.
//!
//! Duplicates of an opted-out survivor stay removed (dedup does not run again): the removed log
//! still names the survivor they were copies of.
//!
//! Each old document shard is one unit with its own outputs and marker (`_tasks/optout/`), so a
//! rerun after a crash redoes only unfinished units and gives the same bytes, whatever the thread
//! count.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::manifest::{manifest_of, pin_files, release_outputs, sha256_file, FileEntry};
use super::manifest::{Manifest, OptOutRound};
use super::scan::{parquet_files, scan_strings};
use crate::doc::{Removed, Verdict};
use crate::exec::tokens_stage::{filter_cache, write_shards, ShardSink, ShardingConfig};
use crate::filter::url::{UrlFilter, UrlFilterConfig};
use crate::filter::BuildCtx;
use crate::out::parquet::{read_docs, DocColumns, DocWriter, RemovedWriter};
use crate::out::{part_name, OutDir};
use crate::stats::StageStats;

/// Stage name of the rows this writes.
pub const OPTOUT_STAGE: &str = "optout";
/// Reason of those rows (the URL filter's).
const OPTOUT_REASON: &str = "opt_out";

/// What one application did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct OptOutSummary {
    /// Documents of the old release.
    pub documents_before: u64,
    /// Documents of the new one.
    pub documents: u64,
    /// Opted-out documents removed, by `<list>: <entry>` (this round).
    pub by_entry: BTreeMap<String, u64>,
    /// Document shards processed now / already done by an earlier, interrupted run.
    pub units_run: usize,
    /// See `units_run`.
    pub units_skipped: usize,
    /// Token shards written, when the release has tokens.
    pub token_shards: Option<usize>,
}

/// What a new release was made from: a rerun into the same folder must be the same job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Params {
    previous_manifest_sha256: String,
    lists: Vec<FileEntry>,
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

/// Apply the opt-out `lists` (paths as given; `assets:` works) to the release in `old`, writing
/// the next release into `new` with `threads` workers (0 = all cores).
pub fn apply(
    old: &Path,
    lists: &[PathBuf],
    new: &Path,
    threads: usize,
) -> io::Result<OptOutSummary> {
    let manifest_path = old.join("manifest.json");
    let manifest_bytes = std::fs::read(&manifest_path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "{}: no manifest.json ({e}): not a finished release",
                old.display()
            ),
        )
    })?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| invalid(format!("{}: {e}", manifest_path.display())))?;
    if lists.is_empty() {
        return Err(invalid("no opt-out list given (--list FILE)".into()));
    }
    if let (Ok(a), Ok(b)) = (old.canonicalize(), new.canonicalize()) {
        if a == b {
            return Err(invalid(format!(
                "{}: the new release must go to another folder than the old one",
                new.display()
            )));
        }
    }
    let filter = build_filter(lists)?;
    let shown: Vec<(String, PathBuf)> = lists
        .iter()
        .map(|p| (crate::out::slash_path(p), p.clone()))
        .collect();
    let params = Params {
        previous_manifest_sha256: sha256_file(&manifest_path)?.1,
        lists: pin_files(&shown)?,
    };
    let units = doc_units(old)?;
    let has_tokens = manifest.tokens.is_some();
    if has_tokens {
        check_token_cache(old, units)?;
    }
    let job = Job {
        old: OutDir::create(old)?,
        new: OutDir::create(new)?,
        filter,
        has_tokens,
    };
    job.claim(&params)?;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(io::Error::other)?;
    let todo: Vec<usize> = (0..units)
        .filter(|&u| !job.new.is_done(OPTOUT_STAGE, u))
        .collect();
    let mut summary = OptOutSummary {
        documents_before: manifest.documents,
        units_run: todo.len(),
        units_skipped: units - todo.len(),
        ..OptOutSummary::default()
    };
    pool.install(|| {
        todo.par_iter().try_for_each(|&u| {
            job.unit(u).map_err(|e| {
                io::Error::new(e.kind(), format!("docs/{}: {e}", part_name(u, "parquet")))
            })
        })
    })?;
    if has_tokens {
        summary.token_shards = Some(pool.install(|| job.tokens(&manifest, units))?);
    }
    let merged = job.merge_stats(units)?;
    job.copy_unchanged()?;
    job.write_summary_text(&merged, &params)?;
    let mut assets = manifest.assets.clone();
    assets.extend(params.lists.iter().cloned());
    assets.sort_by(|a, b| a.path.cmp(&b.path));
    assets.dedup_by(|a, b| a.path == b.path);
    let mut rounds = manifest.optout.clone();
    rounds.push(OptOutRound {
        previous_manifest_sha256: params.previous_manifest_sha256.clone(),
        lists: params.lists.clone(),
        removed: manifest.documents.saturating_sub(merged.docs_out),
    });
    let next = pool.install(|| {
        manifest_of(
            &job.new,
            manifest.pipeline.clone(),
            manifest.inputs.clone(),
            assets,
            rounds,
        )
    })?;
    job.new.write_file(
        "manifest.json",
        &serde_json::to_vec_pretty(&next).map_err(io::Error::other)?,
    )?;
    job.new.mark_done("optout_finalize", 0, b"{}\n")?;
    summary.documents = next.documents;
    summary.by_entry = job.by_entry()?;
    Ok(summary)
}

/// The URL filter with only the opt-out lists: the same loading, normalisation and matching as
/// `[filters.url] opt_out`.
fn build_filter(lists: &[PathBuf]) -> io::Result<UrlFilter> {
    let cfg = UrlFilterConfig {
        opt_out: lists.to_vec(),
        ..UrlFilterConfig::default()
    };
    let ctx = BuildCtx {
        settings: Default::default(),
        assets: crate::filter::assets_dir(),
        list_cache: crate::filter::url::compiled::cache_dir(),
    };
    cfg.build(&ctx).map_err(|problems| {
        let named: Vec<String> = problems
            .iter()
            .map(|p| {
                // `filters.url.opt_out[i]` is the i-th --list here.
                let at =
                    p.at.strip_prefix("filters.url.opt_out[")
                        .and_then(|r| r.strip_suffix(']'))
                        .and_then(|i| i.parse::<usize>().ok())
                        .and_then(|i| lists.get(i))
                        .map(|l| format!("--list {}", l.display()))
                        .unwrap_or_else(|| p.at.clone());
                format!("{at}: {}", p.message)
            })
            .collect();
        invalid(crate::config::join_problems(&named, "; "))
    })
}

/// The old release's document shards must be `docs/part-00000.parquet` … without gaps (one per
/// unit of its run): the token cache is keyed by the same unit numbers.
fn doc_units(old: &Path) -> io::Result<usize> {
    let files = parquet_files(&old.join("docs"));
    for (u, f) in files.iter().enumerate() {
        let want = old.join("docs").join(part_name(u, "parquet"));
        if *f != want {
            return Err(invalid(format!(
                "{}: unexpected document shard (expected {} in this position): not the layout of a tamis release",
                f.display(),
                want.display()
            )));
        }
    }
    Ok(files.len())
}

/// Token shards are rebuilt from the run's token cache (never re-tokenized): it must be there.
fn check_token_cache(old: &Path, units: usize) -> io::Result<()> {
    for u in 0..units {
        for ext in ["rows", "tok"] {
            let p = old.join("tokens/cache").join(part_name(u, ext));
            if !p.is_file() {
                return Err(invalid(format!(
                    "{}: missing; the token shards of the new release are rebuilt from the old \
                     release's token cache (tokens/cache/), which must be kept with it",
                    p.display()
                )));
            }
        }
    }
    Ok(())
}

struct Job {
    old: OutDir,
    new: OutDir,
    filter: UrlFilter,
    has_tokens: bool,
}

impl Job {
    /// Record what `new` is made from, or check that an earlier run into it was the same job.
    fn claim(&self, params: &Params) -> io::Result<()> {
        let rel = "_tasks/optout/params.json";
        let bytes = serde_json::to_vec_pretty(params).map_err(io::Error::other)?;
        match std::fs::read(self.new.path(rel)) {
            Ok(had) if had == bytes => Ok(()),
            Ok(_) => Err(invalid(format!(
                "{}: holds an opt-out of another release or list (see {rel}); give a new folder",
                self.new.root().display()
            ))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                if self.new.path("manifest.json").exists() || self.new.path("docs").exists() {
                    return Err(invalid(format!(
                        "{}: already holds a release; give a new folder",
                        self.new.root().display()
                    )));
                }
                self.new.write_file(rel, &bytes)
            }
            Err(e) => Err(e),
        }
    }

    /// One document shard: kept documents, opt-out rows, counts, token cache; marker last.
    fn unit(&self, u: usize) -> io::Result<()> {
        let shard = part_name(u, "parquet");
        let docs_rel = format!("docs/{shard}");
        let removed_rel = format!("removed/{OPTOUT_STAGE}/{shard}");
        let stats_rel = format!("stats/{OPTOUT_STAGE}/{}", part_name(u, "json"));
        let mut docs = DocWriter::new(self.new.create_file(&docs_rel)?)?;
        let mut removed = RemovedWriter::new(self.new.create_file(&removed_rel)?)?;
        // An earlier round's rows and counts come first.
        let (mut stats, first_round) = match std::fs::read(self.old.path(&stats_rel)) {
            Ok(b) => {
                let prior: StageStats = serde_json::from_slice(&b).map_err(io::Error::other)?;
                let carried = StageStats {
                    docs_in: prior.docs_in,
                    text_bytes_in: prior.text_bytes_in,
                    removed: prior.removed,
                    ..StageStats::default()
                };
                (carried, false)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => (StageStats::default(), true),
            Err(e) => return Err(e),
        };
        for row in old_removed_rows(&self.old.path(&removed_rel))? {
            removed.push(row)?;
        }
        let (mut ids, mut keep) = (Vec::new(), Vec::new());
        for (row, doc) in read_docs(&self.old.path(&docs_rel), DocColumns::All)?.enumerate() {
            let doc = doc?;
            if first_round {
                stats.docs_in += 1;
                stats.text_bytes_in += doc.text.len() as u64;
            }
            let verdict = self.filter.check_url(doc.url.as_deref());
            ids.push(doc.id.clone());
            match verdict {
                // Only opt-out decides here: a URL the filter cannot parse stays (it passed the
                // run's own URL rules, or the run had none).
                Verdict::Drop { reason, detail } if reason == OPTOUT_REASON => {
                    keep.push(false);
                    stats.count_removed(OPTOUT_STAGE, OPTOUT_REASON);
                    removed.push(Removed::of_doc(
                        &doc,
                        OPTOUT_STAGE,
                        reason,
                        detail,
                        format!("{docs_rel}[{row}]"),
                    ))?;
                }
                _ => {
                    keep.push(true);
                    stats.count_kept(&doc);
                    docs.push(doc)?;
                }
            }
        }
        if self.has_tokens {
            filter_cache(&self.old, &self.new, u, &ids, &keep)?;
        }
        docs.finish()?;
        removed.finish()?;
        self.new.write_file(
            &stats_rel,
            &serde_json::to_vec_pretty(&stats).map_err(io::Error::other)?,
        )?;
        self.new.mark_done(OPTOUT_STAGE, u, b"{}\n")
    }

    /// Token shards from the filtered caches, with the old pipeline's weights, order and shard
    /// size, and the old shards' token width.
    fn tokens(&self, manifest: &Manifest, units: usize) -> io::Result<usize> {
        if self.new.is_done("tokens_write", 0) {
            let b = std::fs::read(self.new.path("tokens/summary.json"))?;
            let s: crate::exec::tokens_stage::TokensSummary =
                serde_json::from_slice(&b).map_err(io::Error::other)?;
            return Ok(s.shards.len());
        }
        let pipeline: crate::config::Pipeline =
            serde_json::from_value(manifest.pipeline.clone())
                .map_err(|e| invalid(format!("manifest.json: the pipeline does not parse: {e}")))?;
        let tokens = pipeline
            .tokens
            .as_ref()
            .ok_or_else(|| invalid("manifest.json: token shards but no [tokens] table".into()))?;
        let dtype = self.token_dtype(manifest)?;
        let out = &self.new;
        let make_sink = move |prefix: &str| -> io::Result<Box<dyn ShardSink>> {
            let w = crate::tokenize::MegatronWriter::create(out, prefix, dtype, None)
                .map_err(io::Error::from)?;
            Ok(Box::new(w))
        };
        let sharding = ShardingConfig {
            shard_tokens: tokens.shard_tokens,
        };
        let s = write_shards(
            &self.new,
            units,
            &pipeline.weights,
            &pipeline.order,
            &sharding,
            &make_sink,
        )?;
        Ok(s.shards.len())
    }

    /// The token width of the old shards (the tokenizer's, without loading it).
    fn token_dtype(&self, manifest: &Manifest) -> io::Result<crate::tokenize::DType> {
        let first = manifest
            .tokens
            .as_ref()
            .and_then(|t| t.get("shards"))
            .and_then(|s| s.get(0))
            .and_then(|s| s.as_str());
        match first {
            Some(prefix) => crate::tokenize::MegatronReader::open(self.old.path(prefix))
                .map(|r| r.dtype())
                .map_err(io::Error::from),
            // No shard was written: any width writes none either.
            None => Ok(crate::tokenize::DType::for_vocab(u16::MAX as u32)),
        }
    }

    fn merge_stats(&self, units: usize) -> io::Result<StageStats> {
        let mut merged = StageStats::default();
        for u in 0..units {
            let p = self
                .new
                .path(format!("stats/{OPTOUT_STAGE}/{}", part_name(u, "json")));
            let s: StageStats =
                serde_json::from_slice(&std::fs::read(&p)?).map_err(io::Error::other)?;
            merged.merge(&s);
        }
        self.new.write_file(
            format!("stats/{OPTOUT_STAGE}.json"),
            &serde_json::to_vec_pretty(&merged).map_err(io::Error::other)?,
        )?;
        Ok(merged)
    }

    /// Every release output of the old release this job does not rewrite, copied as it is.
    fn copy_unchanged(&self) -> io::Result<()> {
        let rewritten = |rel: &str| {
            rel.starts_with("docs/")
                || rel.starts_with(&format!("removed/{OPTOUT_STAGE}/"))
                || rel.starts_with(&format!("stats/{OPTOUT_STAGE}"))
                || rel.starts_with("tokens/")
                || rel == "stats/summary.txt"
        };
        release_outputs(self.old.root())
            .par_iter()
            .filter(|rel| !rewritten(rel))
            .try_for_each(|rel| {
                let mut from = std::fs::File::open(self.old.path(rel))?;
                let mut to = self.new.create_file(rel)?;
                io::copy(&mut from, &mut to)?;
                to.finish()
            })
    }

    fn write_summary_text(&self, merged: &StageStats, params: &Params) -> io::Result<()> {
        use std::fmt::Write as _;
        let mut text =
            std::fs::read_to_string(self.old.path("stats/summary.txt")).unwrap_or_default();
        let lists: Vec<&str> = params.lists.iter().map(|l| l.path.as_str()).collect();
        let _ = writeln!(
            text,
            "opt-out ({}): {} documents removed in all, {} kept",
            lists.join(", "),
            merged.removed_total(),
            merged.docs_out
        );
        self.new.write_file("stats/summary.txt", text.as_bytes())
    }

    /// This round's removals by list entry (rows of `removed/optout/` that the old release did not
    /// have).
    fn by_entry(&self) -> io::Result<BTreeMap<String, u64>> {
        let mut before: BTreeMap<String, u64> = BTreeMap::new();
        for f in parquet_files(&self.old.path(format!("removed/{OPTOUT_STAGE}"))) {
            scan_strings(&f, &["detail"], |_, v| {
                *before
                    .entry(v[0].unwrap_or_default().to_string())
                    .or_default() += 1;
                true
            })?;
        }
        let mut now: BTreeMap<String, u64> = BTreeMap::new();
        for f in parquet_files(&self.new.path(format!("removed/{OPTOUT_STAGE}"))) {
            scan_strings(&f, &["detail"], |_, v| {
                *now.entry(v[0].unwrap_or_default().to_string()).or_default() += 1;
                true
            })?;
        }
        for (k, n) in before {
            if let Some(v) = now.get_mut(&k) {
                *v = v.saturating_sub(n);
            }
        }
        now.retain(|_, v| *v > 0);
        Ok(now)
    }
}

/// The rows of an earlier round's opt-out shard (none when that release had no such round).
fn old_removed_rows(path: &Path) -> io::Result<Vec<Removed>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let mut rows = Vec::new();
    let cols = [
        "id", "url", "source", "lang", "stage", "reason", "detail", "location",
    ];
    scan_strings(path, &cols, |_, v| {
        let s = |i: usize| v[i].unwrap_or_default().to_string();
        rows.push(Removed {
            id: s(0),
            url: v[1].map(str::to_string),
            source: s(2),
            lang: v[3].map(str::to_string),
            stage: s(4),
            reason: s(5),
            detail: s(6),
            location: s(7),
        });
        true
    })?;
    Ok(rows)
}
