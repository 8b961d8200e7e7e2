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

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::config::ConfigProblem;
use crate::out::OutDir;

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

const MAGIC: &[u8; 8] = b"TAMISOR\x01";

/// Sorts entries within a memory budget, spilling sorted runs under `OUT/<dir>/`.
pub struct ExternalSorter<'a> {
    out: &'a OutDir,
    dir: String,
    budget: usize,
    buf: Vec<Entry>,
    bytes: usize,
    runs: Vec<PathBuf>,
}

impl<'a> ExternalSorter<'a> {
    /// A sorter spilling to `OUT/dir/run-NNNNN.bin` beyond `max_memory_mb`.
    pub fn new(out: &'a OutDir, dir: &str, max_memory_mb: usize) -> ExternalSorter<'a> {
        ExternalSorter {
            out,
            dir: dir.to_string(),
            budget: max_memory_mb.max(1) << 20,
            buf: Vec::new(),
            bytes: 0,
            runs: Vec::new(),
        }
    }

    /// Add an entry.
    pub fn push(&mut self, e: Entry) -> io::Result<()> {
        self.bytes += std::mem::size_of::<Entry>() + e.id.len();
        self.buf.push(e);
        if self.bytes >= self.budget {
            self.spill()?;
        }
        Ok(())
    }

    /// Runs spilled so far.
    pub fn runs(&self) -> usize {
        self.runs.len()
    }

    fn spill(&mut self) -> io::Result<()> {
        self.buf.sort_unstable();
        let rel = format!("{}/run-{:05}.bin", self.dir, self.runs.len());
        let mut f = self.out.create_file(&rel)?;
        {
            let mut w = BufWriter::with_capacity(1 << 20, &mut f);
            w.write_all(MAGIC)?;
            w.write_all(&(self.buf.len() as u64).to_le_bytes())?;
            for e in &self.buf {
                w.write_all(&e.key.to_le_bytes())?;
                w.write_all(&e.tie.to_le_bytes())?;
                w.write_all(&e.copy.to_le_bytes())?;
                w.write_all(&e.unit.to_le_bytes())?;
                w.write_all(&e.row.to_le_bytes())?;
                w.write_all(&(e.id.len() as u32).to_le_bytes())?;
                w.write_all(e.id.as_bytes())?;
            }
            w.flush()?;
        }
        f.finish()?;
        self.runs.push(self.out.path(&rel));
        self.buf.clear();
        self.bytes = 0;
        Ok(())
    }

    /// Every entry in order.
    pub fn finish(mut self, mut f: impl FnMut(Entry) -> io::Result<()>) -> io::Result<()> {
        if self.runs.is_empty() {
            self.buf.sort_unstable();
            for e in self.buf.drain(..) {
                f(e)?;
            }
            return Ok(());
        }
        if !self.buf.is_empty() {
            self.spill()?;
        }
        let mut readers = Vec::with_capacity(self.runs.len());
        for p in &self.runs {
            readers.push(RunReader::open(p)?);
        }
        let mut heap = BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some(e) = r.next_entry()? {
                heap.push(Reverse((e, i)));
            }
        }
        while let Some(Reverse((e, i))) = heap.pop() {
            f(e)?;
            if let Some(n) = readers[i].next_entry()? {
                heap.push(Reverse((n, i)));
            }
        }
        for p in &self.runs {
            let _ = std::fs::remove_file(p);
        }
        Ok(())
    }
}

struct RunReader {
    input: BufReader<File>,
    left: u64,
    path: PathBuf,
}

impl RunReader {
    fn open(path: &PathBuf) -> io::Result<RunReader> {
        let mut input = BufReader::with_capacity(1 << 16, File::open(path)?);
        let mut head = [0u8; 16];
        input.read_exact(&mut head)?;
        if &head[..8] != MAGIC {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a tamis order run", path.display()),
            ));
        }
        let mut n = [0u8; 8];
        n.copy_from_slice(&head[8..]);
        Ok(RunReader {
            input,
            left: u64::from_le_bytes(n),
            path: path.clone(),
        })
    }

    fn next_entry(&mut self) -> io::Result<Option<Entry>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let mut b = [0u8; 32];
        self.input
            .read_exact(&mut b)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", self.path.display())))?;
        let i64_at = |o: usize| i64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
        let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or([0; 4]));
        let len = u32_at(28) as usize;
        let mut id = vec![0u8; len];
        self.input.read_exact(&mut id)?;
        Ok(Some(Entry {
            key: i64_at(0),
            tie: u64_at(8),
            copy: u32_at(16),
            unit: u32_at(20),
            row: u32_at(24),
            id: String::from_utf8(id)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "id is not UTF-8"))?,
        }))
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
            })
            .collect()
    }

    #[test]
    fn external_sort_equals_in_memory_sort() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::create(dir.path()).unwrap();
        let input = entries(50_000);
        let mut expected = input.clone();
        expected.sort();
        let mut sorter = ExternalSorter::new(&out, "order", 1);
        for e in input {
            sorter.push(e).unwrap();
        }
        assert!(sorter.runs() >= 2, "the 1 MB budget must spill");
        let mut got = Vec::new();
        sorter
            .finish(|e| {
                got.push(e);
                Ok(())
            })
            .unwrap();
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
