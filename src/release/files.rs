//! The parquet shards of a run, found on disk. Standard library only: `crates/sql` (the
//! `tamis-sql` binary, which does not depend on this crate) compiles this file too.

use std::path::{Path, PathBuf};

/// Every `.parquet` file below `dir` (any depth), sorted; temporary files of an interrupted write
/// (`.NAME.PID.tmp`, and any name starting with a dot) are left out.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet")
                && !e.file_name().to_string_lossy().starts_with('.')
            {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
