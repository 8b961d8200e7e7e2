//! Near-duplicate removal across the whole corpus with MinHash LSH, cut like datatrove's into
//! steps that exchange files, so the same code runs on one machine or as Slurm array jobs:
//!
//! 1. `signature` (one task per unit): normalise, shingle, MinHash, band keys → sorted runs
//!    `dedup/runs/band-BB/part-UUUUU-CCCC.bin` (memory bounded by `max_memory_mb`: a unit spills
//!    several runs) and `dedup/meta/part-UUUUU.bin` (date, exact hash and id of each row).
//! 2. `bucket` (one task per band, plus one for exact duplicates): streaming k-way merge of the
//!    band's runs; documents sharing a key become edges → `dedup/pairs/band-BB.bin`.
//! 3. `cluster` (one task, parallel inside): connected components, each labelled by its smallest
//!    member whatever the order of edges (a union-find while 12 bytes per document fit in two
//!    thirds of `max_memory_mb`, else an out-of-core star contraction over external sorts: same result);
//!    the survivor of each cluster is chosen by a rule (default: oldest date, then smallest id)
//!    → `dedup/decisions/part-UUUUU.jsonl`. Memory is bounded by the setting, not the corpus.
//! 4. `apply` (one task per unit): kept documents with `cluster_size`, removed ones to the
//!    removed log with their survivor's id.

mod cluster;
mod meta;
pub mod minhash;
pub mod normalize;
pub mod records;
mod stage;
pub mod unionfind;

pub use stage::{run_dedup, DedupJob, DedupStep, DedupSummary, UnitInput};

use serde::{Deserialize, Serialize};

use crate::config::ConfigProblem;

/// What is compared with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Every document against every other.
    #[default]
    Global,
    /// Only documents of the same language (`lang`).
    Lang,
    /// Only documents of the same source.
    Source,
}

/// Which document of a cluster stays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Survivor {
    /// The oldest `date` (documents without a date count as newest), then the smallest id.
    #[default]
    Oldest,
    /// The newest `date` (documents without a date count as oldest), then the smallest id.
    Newest,
    /// The smallest id.
    Id,
}

/// `[dedup]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupConfig {
    /// Method; only `minhash` for now.
    #[serde(rename = "type")]
    pub kind: String,
    /// Shingle length in tokens (words, or characters of scripts without spaces).
    pub ngram: usize,
    /// LSH bands.
    pub bands: usize,
    /// Hashes per band (bands × rows hashes per signature).
    pub rows: usize,
    /// Seed of the hash family; keep it fixed across releases to compare signatures.
    pub seed: u64,
    /// `global`, `lang` or `source`.
    pub scope: Scope,
    /// Also join documents whose normalised text is identical (exact fast path).
    pub exact: bool,
    /// Survivor rule.
    pub survivor: Survivor,
    /// Memory for band-key buffers per signature task before spilling a sorted run, and for each
    /// sort of the clustering step (which keeps a union-find in memory only while it fits).
    pub max_memory_mb: usize,
    /// Output directories of earlier releases (incremental releases): documents of this run
    /// that are near copies of documents those releases considered are removed with reason
    /// `previous_release`. Their signature settings must be the same.
    pub previous: Vec<std::path::PathBuf>,
}

impl Default for DedupConfig {
    fn default() -> Self {
        DedupConfig {
            kind: "minhash".into(),
            ngram: 5,
            bands: 14,
            rows: 8,
            seed: 0x7a6d_6973,
            scope: Scope::Global,
            exact: true,
            survivor: Survivor::Oldest,
            max_memory_mb: 512,
            previous: Vec::new(),
        }
    }
}

impl DedupConfig {
    /// Every problem, with its TOML path.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut push = |at: &str, m: String| {
            out.push(ConfigProblem {
                at: format!("dedup.{at}"),
                message: m,
            })
        };
        if self.kind != "minhash" {
            push(
                "type",
                format!("{:?} is not a dedup method; use \"minhash\"", self.kind),
            );
        }
        if self.ngram == 0 || self.ngram > 32 {
            push("ngram", "must be between 1 and 32".into());
        }
        if self.bands == 0 || self.bands > 99 {
            push("bands", "must be between 1 and 99".into());
        }
        if self.rows == 0 || self.rows > 64 {
            push("rows", "must be between 1 and 64".into());
        }
        if self.max_memory_mb < 16 {
            push("max_memory_mb", "must be at least 16".into());
        }
        out
    }

    /// Number of key spaces: the bands, plus one for exact duplicates.
    pub fn key_spaces(&self) -> usize {
        self.bands + usize::from(self.exact)
    }
}
