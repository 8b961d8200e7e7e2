//! The tables of a release: lazy parquet scans over the shards, and the merged counts as rows.

use std::io;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::files::parquet_files;

/// The tables found in OUT.
pub struct Tables {
    /// Name and lazy frame of each table found.
    pub frames: Vec<(String, LazyFrame)>,
    /// `name (what)` of each table, and of those missing.
    notes: Vec<String>,
}

impl Tables {
    /// One line naming every table, found or not.
    pub fn describe(&self) -> String {
        self.notes.join(", ")
    }
}

fn err(e: PolarsError) -> io::Error {
    io::Error::other(e.to_string())
}

/// One lazy frame over `files` (same schema): each file a scan, concatenated in path order.
fn scan(files: &[PathBuf]) -> io::Result<LazyFrame> {
    let mut frames = Vec::with_capacity(files.len());
    for f in files {
        let path = PlRefPath::try_from_path(f).map_err(err)?;
        let mut args = ScanArgsParquet {
            glob: false, // file names are ours, never patterns
            ..Default::default()
        };
        args.hive_options.enabled = Some(false);
        frames.push(LazyFrame::scan_parquet(path, args).map_err(err)?);
    }
    concat(frames, UnionArgs::default()).map_err(err)
}

/// The merged counts of every stage, one row per number.
fn stats_frame(dir: &Path) -> io::Result<Option<DataFrame>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(None);
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    if files.is_empty() {
        return Ok(None);
    }
    files.sort();
    let (mut stage, mut metric, mut key, mut value) = (vec![], vec![], vec![], vec![]);
    for f in &files {
        let name = f
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let bytes = std::fs::read(f)?;
        let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", f.display()))
        })?;
        let Some(obj) = v.as_object() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a JSON object of counts", f.display()),
            ));
        };
        // serde_json keeps keys sorted: rows come in a stable order.
        for (m, x) in obj {
            match x {
                serde_json::Value::Object(per_key) => {
                    for (k, n) in per_key {
                        if let Some(n) = n.as_u64() {
                            stage.push(name.clone());
                            metric.push(m.clone());
                            key.push(Some(k.clone()));
                            value.push(n);
                        }
                    }
                }
                other => {
                    if let Some(n) = other.as_u64() {
                        stage.push(name.clone());
                        metric.push(m.clone());
                        key.push(None);
                        value.push(n);
                    }
                }
            }
        }
    }
    let df = df!(
        "stage" => stage,
        "metric" => metric,
        "key" => key,
        "value" => value,
    )
    .map_err(err)?;
    Ok(Some(df))
}

/// The tables of `out`; an error when `out` is not the output directory of a run.
pub fn open(out: &Path) -> io::Result<Tables> {
    if !out.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: no such directory (give the output directory of a run)",
                out.display()
            ),
        ));
    }
    let mut t = Tables {
        frames: Vec::new(),
        notes: Vec::new(),
    };
    for (name, dir) in [("docs", "docs"), ("removed", "removed")] {
        let files = parquet_files(&out.join(dir));
        if files.is_empty() {
            t.notes
                .push(format!("{name} (missing: no {dir}/*.parquet)"));
        } else {
            t.notes.push(format!("{name} ({} shards)", files.len()));
            t.frames.push((name.to_string(), scan(&files)?));
        }
    }
    match stats_frame(&out.join("stats"))? {
        Some(df) => {
            t.notes.push(format!("stats ({} counts)", df.height()));
            t.frames.push(("stats".to_string(), df.lazy()));
        }
        None => t.notes.push("stats (missing: no stats/*.json)".into()),
    }
    if t.frames.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!(
                "{}: not the output directory of a run: {}",
                out.display(),
                t.describe()
            ),
        ));
    }
    Ok(t)
}
