//! Temporal order: documents (and their weighted copies) sorted oldest → newest, ties by id, so
//! a model trained on the token shards sees recent text last. The sort is external: entries are
//! buffered up to `max_memory_mb`, spilled as sorted runs, and merged, so memory is bounded by
//! the setting, not by the corpus.
//!
//! Where repeated copies go: a document with `n` copies keeps copy 0 at its own date; copy `k`
//! (1 ≤ k < n) is placed at `first + (date − first) · k / n`, where `first` is the oldest date of
//! the corpus. Copies are spread evenly over the time before the document, never after it, so
//! upsampling never moves text later than it was written and never puts two copies side by side.
//! Undated documents go first (or last, or are dropped: `undated`); among them, entries are
//! ordered by a hash of (id, copy), which spreads their copies too.

use std::cmp::Ordering;
use std::io::{self, Read};

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::config::ConfigProblem;
use crate::extsort::{read_string, read_u32, read_u64, write_string, SortRecord};

/// Where undated documents go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Undated {
    /// Before every dated document (they are usually reference text: encyclopedias, books).
    #[default]
    First,
    /// After every dated document.
    Last,
    /// Left out of the token stream (counted).
    Drop,
}

/// `[order]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OrderConfig {
    /// Policy for documents without a date.
    pub undated: Undated,
    /// Memory for sort buffers before spilling a sorted run.
    pub max_memory_mb: usize,
}

impl Default for OrderConfig {
    fn default() -> Self {
        OrderConfig {
            undated: Undated::First,
            max_memory_mb: 512,
        }
    }
}

impl OrderConfig {
    /// Every problem, with its TOML path.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        if self.max_memory_mb < 1 {
            return vec![ConfigProblem {
                at: "order.max_memory_mb".into(),
                message: "must be at least 1".into(),
            }];
        }
        Vec::new()
    }
}

/// One entry of the token stream: copy `copy` of the document at `row` of `unit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Position date (µs), `i64::MIN`/`MAX` for undated documents.
    pub key: i64,
    /// Tie-break before the id (0 for dated documents; hash of id and copy for undated ones).
    pub tie: u64,
    /// Document id.
    pub id: String,
    /// Copy number.
    pub copy: u32,
    /// Unit the document is in.
    pub unit: u32,
    /// Row within the unit.
    pub row: u32,
    /// Payload for the writer, not part of the order ((unit, row, copy) is unique already):
    /// the document's token count,
    pub tokens: u32,
    /// its offset in its unit's token cache (in tokens),
    pub offset: u64,
    /// and its (language, source) pair, as an index into the writer's table.
    pub group: u32,
}

impl Ord for Entry {
    fn cmp(&self, o: &Self) -> Ordering {
        (self.key, self.tie, &self.id, self.copy, self.unit, self.row)
            .cmp(&(o.key, o.tie, &o.id, o.copy, o.unit, o.row))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// The stream position of copy `copy` of `copies` of a document; `None` when undated documents
/// are dropped.
pub fn position(
    date: Option<i64>,
    id: &str,
    copy: u32,
    copies: u32,
    first: i64,
    undated: Undated,
) -> Option<(i64, u64)> {
    match date {
        Some(d) => {
            if copy == 0 || copies == 0 || d <= first {
                return Some((d, 0));
            }
            let span = (d as i128 - first as i128) * copy as i128 / copies as i128;
            Some(((first as i128 + span) as i64, 0))
        }
        None => {
            let tie = xxh3_64_with_seed(id.as_bytes(), copy as u64);
            match undated {
                Undated::First => Some((i64::MIN, tie)),
                Undated::Last => Some((i64::MAX, tie)),
                Undated::Drop => None,
            }
        }
    }
}

impl SortRecord for Entry {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.key.to_le_bytes());
        out.extend_from_slice(&self.tie.to_le_bytes());
        write_string(&self.id, out);
        out.extend_from_slice(&self.copy.to_le_bytes());
        out.extend_from_slice(&self.unit.to_le_bytes());
        out.extend_from_slice(&self.row.to_le_bytes());
        out.extend_from_slice(&self.tokens.to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.group.to_le_bytes());
    }
    fn decode(input: &mut impl Read) -> io::Result<Self> {
        Ok(Entry {
            key: read_u64(input)? as i64,
            tie: read_u64(input)?,
            id: read_string(input)?,
            copy: read_u32(input)?,
            unit: read_u32(input)?,
            row: read_u32(input)?,
            tokens: read_u32(input)?,
            offset: read_u64(input)?,
            group: read_u32(input)?,
        })
    }
    fn heap_bytes(&self) -> usize {
        self.id.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(n: u32) -> Vec<Entry> {
        (0..n)
            .map(|i| Entry {
                key: ((i as i64 * 7919) % 1000) * 1_000_000,
                tie: 0,
                id: format!("doc-{:05}", (i as u64 * 104_729) % n as u64),
                copy: i % 3,
                unit: i % 4,
                row: i,
                tokens: i % 7,
                offset: i as u64 * 3,
                group: i % 2,
            })
            .collect()
    }

    #[test]
    fn external_sort_equals_in_memory_sort() {
        let dir = tempfile::tempdir().unwrap();
        let scratch = crate::extsort::Scratch::new(dir.path(), "order", 1 << 20).unwrap();
        let input = entries(50_000);
        let mut expected = input.clone();
        expected.sort();
        let mut sorter = scratch.sorter();
        for e in input {
            sorter.push(e).unwrap();
        }
        assert!(sorter.spilled_runs() >= 2, "the 1 MB budget must spill");
        let got: Vec<Entry> = sorter.finish().unwrap().collect::<io::Result<_>>().unwrap();
        assert_eq!(got, expected);
    }

    #[test]
    fn copies_are_spread_before_the_original_and_undated_go_first() {
        let first = 0;
        let d = 1_000_000;
        let p: Vec<i64> = (0..4)
            .map(|k| {
                position(Some(d), "x", k, 4, first, Undated::First)
                    .unwrap()
                    .0
            })
            .collect();
        assert_eq!(p, [1_000_000, 250_000, 500_000, 750_000]);
        let (k, _) = position(None, "x", 0, 1, first, Undated::First).unwrap();
        assert_eq!(k, i64::MIN);
        assert_eq!(position(None, "x", 0, 1, first, Undated::Drop), None);
        let a = position(None, "x", 0, 2, first, Undated::Last).unwrap();
        let b = position(None, "x", 1, 2, first, Undated::Last).unwrap();
        assert_ne!(a.1, b.1, "copies of undated documents get different ties");
    }
}
