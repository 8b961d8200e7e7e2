//! tamis — sieve web crawls and code dumps into clean, deduplicated, tokenized training corpora.
//!
//! Data flows one way, and the modules follow it:
//! [`read`] → [`filter`] → dedup → order → weight → tokenize → release.
//! [`doc`], [`config`] and [`out`] are shared by every stage, [`batch`] by the per-document ones, [`extsort`] by the global ones; [`exec`] cuts stages into tasks
//! and runs them; [`cli`] is the command line.
#![warn(missing_docs)]

pub mod batch;
pub mod bench;
pub mod cli;
pub mod config;
pub mod dedup;
pub mod doc;
pub mod exec;
pub mod extsort;
pub mod filter;
pub mod lang;
pub mod order;
pub mod out;
pub mod read;
pub mod release;
pub mod stats;
pub mod tokenize;
pub mod weight;

/// Where unit tests find the repository and the shared data.
#[cfg(test)]
pub(crate) mod test_paths {
    use std::path::PathBuf;

    /// The repository. Cargo sets `CARGO_MANIFEST_DIR` when it runs a test; the value compiled
    /// in is only the fallback, because a target folder shared by several clones (CI's) reuses a
    /// test binary built in another clone (cargo does not rebuild for a moved checkout), and that
    /// clone may be gone.
    pub fn repo() -> PathBuf {
        std::env::var_os("CARGO_MANIFEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
    }

    /// The shared real data (`../shared/data`, or `$TAMIS_SHARED_DATA`).
    pub fn shared_data() -> PathBuf {
        std::env::var_os("TAMIS_SHARED_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| repo().join("../shared/data"))
    }
}
