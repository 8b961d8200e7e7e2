//! Counts kept by the runner (filters never count themselves): plain values merged with `+=`.
//! Everything here is deterministic for the same inputs and config; timings live apart, in the
//! completion markers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts of one stage over one unit of work, or merged over many.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StageStats {
    /// Input files read.
    pub files: u64,
    /// Bytes of input files (as stored, compressed or not).
    pub input_bytes: u64,
    /// Documents that entered the stage (read successfully).
    pub docs_in: u64,
    /// Documents kept.
    pub docs_out: u64,
    /// UTF-8 bytes of text in.
    pub text_bytes_in: u64,
    /// UTF-8 bytes of text kept.
    pub text_bytes_out: u64,
    /// Removed documents and records by `stage/reason`.
    pub removed: BTreeMap<String, u64>,
    /// Records that are not documents (warcinfo, request, …) by type.
    pub skipped_records: BTreeMap<String, u64>,
    /// Kept documents by language tag (`und` when no language ID ran).
    pub kept_by_lang: BTreeMap<String, u64>,
    /// Kept documents by source.
    pub kept_by_source: BTreeMap<String, u64>,
    /// Kept text bytes by language tag.
    pub kept_bytes_by_lang: BTreeMap<String, u64>,
    /// Kept documents by year of their date (`none` without date).
    pub kept_by_year: BTreeMap<String, u64>,
    /// Other counters filters report through annotations (`pii/email`, …).
    pub counters: BTreeMap<String, u64>,
}

fn add_map(into: &mut BTreeMap<String, u64>, from: &BTreeMap<String, u64>) {
    for (k, v) in from {
        *into.entry(k.clone()).or_default() += v;
    }
}

impl StageStats {
    /// Add `other` into `self`.
    pub fn merge(&mut self, other: &StageStats) {
        self.files += other.files;
        self.input_bytes += other.input_bytes;
        self.docs_in += other.docs_in;
        self.docs_out += other.docs_out;
        self.text_bytes_in += other.text_bytes_in;
        self.text_bytes_out += other.text_bytes_out;
        add_map(&mut self.removed, &other.removed);
        add_map(&mut self.skipped_records, &other.skipped_records);
        add_map(&mut self.kept_by_lang, &other.kept_by_lang);
        add_map(&mut self.kept_by_source, &other.kept_by_source);
        add_map(&mut self.kept_bytes_by_lang, &other.kept_bytes_by_lang);
        add_map(&mut self.kept_by_year, &other.kept_by_year);
        add_map(&mut self.counters, &other.counters);
    }

    /// Count one removal.
    pub fn count_removed(&mut self, stage: &str, reason: &str) {
        *self.removed.entry(format!("{stage}/{reason}")).or_default() += 1;
    }

    /// Count one kept document: documents, text bytes, and by language, source and year.
    pub fn count_kept(&mut self, doc: &crate::doc::Doc) {
        self.docs_out += 1;
        self.text_bytes_out += doc.text.len() as u64;
        let lang = doc.lang.clone().unwrap_or_else(|| "und".into());
        *self.kept_bytes_by_lang.entry(lang.clone()).or_default() += doc.text.len() as u64;
        *self.kept_by_lang.entry(lang).or_default() += 1;
        *self.kept_by_source.entry(doc.source.clone()).or_default() += 1;
        let year = doc
            .date
            .and_then(|d| {
                crate::read::date::format_date(d)
                    .get(..4)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "none".into());
        *self.kept_by_year.entry(year).or_default() += 1;
    }

    /// Total removed rows (documents and unreadable records).
    pub fn removed_total(&self) -> u64 {
        self.removed.values().sum()
    }
}
