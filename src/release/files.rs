//! Files of a run, found on disk. Standard library only: `crates/sql` (the `tamis-sql` binary,
//! which does not depend on this crate) compiles this file too.

use std::path::{Path, PathBuf};

/// Every file below `dir` (any depth, hidden ones included), sorted; a missing folder has none.
/// Symbolic links are not followed (a link to a folder is listed as a file).
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(e.path());
            } else {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Whether a file name is hidden: temporary files of an interrupted write (`.NAME.PID.tmp`)
/// and any other name starting with a dot, which never belong to a release.
pub fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

/// Every `.parquet` file below `dir` (any depth), sorted, hidden ones left out.
pub fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    files_below(dir)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "parquet") && !is_hidden(p))
        .collect()
}
