//! One unit of the fused per-document pass: read one input file, run every filter on every
//! document, write kept documents, the removed log and the unit's counts.

use std::io;

use rayon::prelude::*;

use super::progress::Progress;
use super::FILTER_STAGE;
use crate::config::ReadConfig;
use crate::doc::{Doc, Removed};
use crate::filter::FilterChain;
use crate::out::parquet::{DocWriter, RemovedWriter};
use crate::out::{part_name, OutDir};
use crate::read::{self, InputFile, Item};
use crate::stats::StageStats;

/// Documents counted before the shared progress counters are touched (keeps atomics off the hot path).
const PROGRESS_EVERY: u64 = 256;

/// Items read before the batch's documents are checked: the filters of one file run on every
/// core (a run of fewer files than threads, or one large file, still uses them all), and the
/// batch is then written in input order, so the outputs do not depend on the thread count.
const BATCH_ITEMS: usize = 512;
/// Text bytes that close a batch early, bounding memory per unit whatever the documents' size.
const BATCH_TEXT_BYTES: usize = 16 << 20;

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
    let mut docs =
        DocWriter::new(out.create_file(format!("{docs_dir}/{}", part_name(unit, "parquet")))?)?;
    let mut removed = RemovedWriter::new(out.create_file(format!(
        "removed/{FILTER_STAGE}/{}",
        part_name(unit, "parquet")
    ))?)?;
    let mut stats = StageStats {
        files: 1,
        input_bytes: file.bytes,
        ..StageStats::default()
    };
    let mut pending = (0u64, 0u64);

    let log_removed =
        |row: Removed, stats: &mut StageStats, removed: &mut RemovedWriter| -> io::Result<()> {
            stats.count_removed(&row.stage, &row.reason);
            removed.push(row)
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
            let row = Removed {
                id: file.display.clone(),
                url: None,
                source: file.source.clone(),
                lang: None,
                stage: "read".into(),
                reason: "unreadable_file".into(),
                detail: e.to_string(),
                location: file.display.clone(),
            };
            log_removed(row, &mut stats, &mut removed)?;
        }
        Ok(items) => {
            let mut batch: Vec<Item> = Vec::with_capacity(BATCH_ITEMS);
            let mut batch_text = 0usize;
            let mut items = items.peekable();
            while let Some(item) = items.next() {
                if let Item::Doc { doc, .. } = &item {
                    batch_text += doc.text.len();
                }
                batch.push(item);
                let full = batch.len() >= BATCH_ITEMS || batch_text >= BATCH_TEXT_BYTES;
                if !full && items.peek().is_some() {
                    continue;
                }
                batch_text = 0;
                let checked: Vec<Checked> = std::mem::take(&mut batch)
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
                    .collect();
                for Checked {
                    item,
                    verdict,
                    read: (text_bytes, unparsed_date),
                } in checked
                {
                    match item {
                        Item::Skipped(kind) => *stats.skipped_records.entry(kind).or_default() += 1,
                        Item::Removed(row) => log_removed(row, &mut stats, &mut removed)?,
                        Item::Doc { doc, location } => {
                            stats.docs_in += 1;
                            stats.text_bytes_in += text_bytes;
                            if unparsed_date {
                                *stats
                                    .counters
                                    .entry("read/unparsed_date".into())
                                    .or_default() += 1;
                            }
                            pending.0 += 1;
                            pending.1 += text_bytes;
                            if pending.0 >= PROGRESS_EVERY {
                                progress.docs(pending.0, pending.1);
                                pending = (0, 0);
                            }
                            match verdict {
                                Some((stage, reason, detail)) => {
                                    let row =
                                        Removed::of_doc(&doc, stage, reason, detail, location);
                                    log_removed(row, &mut stats, &mut removed)?;
                                }
                                None => {
                                    count_kept(&mut stats, &doc);
                                    docs.push(doc)?;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    progress.docs(pending.0, pending.1);
    docs.finish()?;
    removed.finish()?;
    let json = serde_json::to_vec_pretty(&stats).map_err(io::Error::other)?;
    out.write_file(
        format!("stats/{FILTER_STAGE}/{}", part_name(unit, "json")),
        &json,
    )?;
    Ok(())
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
