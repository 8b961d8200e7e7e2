//! One unit of the fused per-document pass: read one input file, run every filter on every
//! document, write kept documents, the removed log and the unit's counts.

use std::io;

use rayon::prelude::*;

use super::progress::Progress;
use super::FILTER_STAGE;
use crate::batch::Batcher;
use crate::config::ReadConfig;
use crate::doc::{Doc, Removed};
use crate::filter::FilterChain;
use crate::out::parquet::{DocWriter, RemovedWriter};
use crate::out::{part_name, OutDir};
use crate::read::{self, InputFile, Item};
use crate::stats::StageStats;

/// Documents counted before the shared progress counters are touched (keeps atomics off the hot path).
const PROGRESS_EVERY: u64 = 256;

/// One item of a batch after the filters: their verdict on a document, and what it was as read
/// (text bytes, whether its date did not parse) before a filter could rewrite it.
struct Checked {
    item: Item,
    verdict: Option<(&'static str, String, String)>,
    read: (u64, bool),
}

/// Process unit `unit` (input file `file`): outputs `<docs_dir>/part-<unit>.parquet`,
/// `removed/filter/part-<unit>.parquet`, `stats/filter/part-<unit>.json`. The marker is the
/// caller's job, after this returns Ok.
pub fn run_filter_unit(
    out: &OutDir,
    unit: usize,
    file: &InputFile,
    cfg: &ReadConfig,
    chain: &FilterChain,
    progress: &Progress,
    docs_dir: &str,
) -> io::Result<()> {
    let mut unit_out = UnitOutput {
        docs: DocWriter::new(
            out.create_file(format!("{docs_dir}/{}", part_name(unit, "parquet")))?,
        )?,
        removed: RemovedWriter::new(out.create_file(format!(
            "removed/{FILTER_STAGE}/{}",
            part_name(unit, "parquet")
        ))?)?,
        stats: StageStats {
            files: 1,
            input_bytes: file.bytes,
            ..StageStats::default()
        },
        pending: (0, 0),
        progress,
    };
    match read::open(file, cfg) {
        Err(e) if e.kind() != io::ErrorKind::InvalidData => {
            // The file cannot be read now (vanished, replaced by a directory, permission, I/O):
            // the unit fails without a marker, so a rerun after the fix reads it. A quarantine
            // row here would be marked done and never retried.
            return Err(io::Error::new(
                e.kind(),
                format!("cannot read the input file: {e}"),
            ));
        }
        Err(e) => {
            // The whole file is not in its format (not Parquet, say): one row says so.
            unit_out.log_removed(Removed {
                id: file.display.clone(),
                url: None,
                source: file.source.clone(),
                lang: None,
                stage: "read".into(),
                reason: "unreadable_file".into(),
                detail: e.to_string(),
                location: file.display.clone(),
            })?;
        }
        Ok(items) => {
            let mut batcher = Batcher::default();
            for item in items {
                let bytes = match &item {
                    Item::Doc { doc, .. } => doc.text.len(),
                    _ => 0,
                };
                if let Some(batch) = batcher.push(item, bytes) {
                    unit_out.write(check_batch(batch, chain))?;
                }
            }
            unit_out.write(check_batch(batcher.take(), chain))?;
        }
    }
    unit_out.finish(out, unit)
}

/// Run the filters on a batch's documents, on every core.
fn check_batch(batch: Vec<Item>, chain: &FilterChain) -> Vec<Checked> {
    batch
        .into_par_iter()
        .with_min_len(4)
        .map(|mut item| {
            let (verdict, read) = match &mut item {
                Item::Doc { doc, .. } => {
                    let read = (
                        doc.text.len() as u64,
                        doc.metadata.contains_key("unparsed_date"),
                    );
                    (chain.check(doc), read)
                }
                _ => (None, (0, false)),
            };
            Checked {
                item,
                verdict,
                read,
            }
        })
        .collect()
}

/// Where a unit's items go, in input order.
struct UnitOutput<'a> {
    docs: DocWriter,
    removed: RemovedWriter,
    stats: StageStats,
    /// Documents and bytes not yet reported to the progress counters.
    pending: (u64, u64),
    progress: &'a Progress,
}

impl UnitOutput<'_> {
    fn write(&mut self, checked: Vec<Checked>) -> io::Result<()> {
        for Checked {
            item,
            verdict,
            read: (text_bytes, unparsed_date),
        } in checked
        {
            let (doc, location) = match item {
                Item::Skipped(kind) => {
                    *self.stats.skipped_records.entry(kind).or_default() += 1;
                    continue;
                }
                Item::Removed(row) => {
                    self.log_removed(row)?;
                    continue;
                }
                Item::Doc { doc, location } => (doc, location),
            };
            self.stats.docs_in += 1;
            self.stats.text_bytes_in += text_bytes;
            if unparsed_date {
                *self
                    .stats
                    .counters
                    .entry("read/unparsed_date".into())
                    .or_default() += 1;
            }
            self.pending.0 += 1;
            self.pending.1 += text_bytes;
            if self.pending.0 >= PROGRESS_EVERY {
                self.progress.docs(self.pending.0, self.pending.1);
                self.pending = (0, 0);
            }
            match verdict {
                Some((stage, reason, detail)) => {
                    self.log_removed(Removed::of_doc(&doc, stage, reason, detail, location))?
                }
                None => {
                    count_kept(&mut self.stats, &doc);
                    self.docs.push(doc)?;
                }
            }
        }
        Ok(())
    }

    /// Finish the unit's files: documents, removed log, counts.
    fn finish(self, out: &OutDir, unit: usize) -> io::Result<()> {
        self.progress.docs(self.pending.0, self.pending.1);
        self.docs.finish()?;
        self.removed.finish()?;
        let json = serde_json::to_vec_pretty(&self.stats).map_err(io::Error::other)?;
        out.write_file(
            format!("stats/{FILTER_STAGE}/{}", part_name(unit, "json")),
            &json,
        )
    }

    fn log_removed(&mut self, row: Removed) -> io::Result<()> {
        self.stats.count_removed(&row.stage, &row.reason);
        self.removed.push(row)
    }
}

fn count_kept(stats: &mut StageStats, doc: &Doc) {
    stats.count_kept(doc);
    // Filters report counts through annotations: `metadata.pii = {"email": 2}` → `pii/email`.
    if let Some(serde_json::Value::Object(pii)) = doc.metadata.get("pii") {
        for (kind, n) in pii {
            if let Some(n) = n.as_u64() {
                *stats.counters.entry(format!("pii/{kind}")).or_default() += n;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pii_annotations_become_counters() {
        let mut stats = StageStats::default();
        let mut doc = Doc::default();
        let counts = serde_json::json!({"email": 2, "iban": 1});
        doc.metadata.insert("pii".into(), counts);
        count_kept(&mut stats, &doc);
        count_kept(&mut stats, &doc);
        assert_eq!(stats.counters.get("pii/email"), Some(&4));
        assert_eq!(stats.counters.get("pii/iban"), Some(&2));
    }
}
