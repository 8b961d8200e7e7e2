//! The output directory of a run: every file under `OUT/` is written through [`OutDir`], so every
//! file is finished atomically (temp name in the same directory → fsync → rename) and a reader never
//! sees a partial file under its final name.
//!
//! Layout (see DESIGN.md):
//! ```text
//! OUT/docs/part-NNNNN.parquet          kept documents of the last document stage
//! OUT/stages/<stage>/part-NNNNN.parquet intermediate documents of earlier stages
//! OUT/removed/<stage>/part-NNNNN.parquet removed log
//! OUT/stats/<stage>/part-NNNNN.json     per-unit counts (deterministic)
//! OUT/stats/<stage>.json                merged counts
//! OUT/_tasks/<stage>/part-NNNNN.done    completion markers, holding run metadata (timings)
//! ```

mod atomic;
pub mod parquet;

pub use atomic::{write_atomic, AtomicFile};

use std::io;
use std::path::{Path, PathBuf};

/// A path as records show it (manifests, run records, locations, audits): `/` between
/// components on every system, so records made on one compare equal to records made on another.
pub fn slash_path(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

/// The file name of work unit `unit` (one input file of a stage).
pub fn part_name(unit: usize, ext: &str) -> String {
    format!("part-{unit:05}.{ext}")
}

/// Handle on `OUT/`.
#[derive(Debug, Clone)]
pub struct OutDir {
    root: PathBuf,
}

impl OutDir {
    /// Open (and create) the output directory.
    pub fn create(root: impl Into<PathBuf>) -> io::Result<OutDir> {
        let root = root.into();
        std::fs::create_dir_all(&root)?;
        Ok(OutDir { root })
    }

    /// The root path.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of a file below the root; the relative path comes from our own code, never from data.
    pub fn path(&self, rel: impl AsRef<Path>) -> PathBuf {
        self.root.join(rel)
    }

    /// Start writing `rel` atomically; nothing is visible under that name before `finish`.
    pub fn create_file(&self, rel: impl AsRef<Path>) -> io::Result<AtomicFile> {
        AtomicFile::create(self.path(rel))
    }

    /// Write a whole small file atomically.
    pub fn write_file(&self, rel: impl AsRef<Path>, bytes: &[u8]) -> io::Result<()> {
        let mut f = self.create_file(rel)?;
        io::Write::write_all(&mut f, bytes)?;
        f.finish()
    }

    /// Completion marker of a unit of a stage.
    pub fn marker(&self, stage: &str, unit: usize) -> PathBuf {
        self.path(format!("_tasks/{stage}/{}", part_name(unit, "done")))
    }

    /// Whether a unit of a stage has finished in an earlier run.
    pub fn is_done(&self, stage: &str, unit: usize) -> bool {
        self.marker(stage, unit).is_file()
    }

    /// Write the completion marker (last, after every output of the unit is in place).
    pub fn mark_done(&self, stage: &str, unit: usize, run_metadata: &[u8]) -> io::Result<()> {
        let rel = format!("_tasks/{stage}/{}", part_name(unit, "done"));
        self.write_file(rel, run_metadata)
    }
}
