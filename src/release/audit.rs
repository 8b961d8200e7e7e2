//! Audits from the run's own records: why a URL or id is (not) in a release, and what changed
//! between two releases.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;
use std::path::Path;

use serde::Serialize;

use super::scan::{parquet_files, scan_strings};

/// Where a document was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Finding {
    /// In the release.
    Kept {
        /// Document id.
        id: String,
        /// URL.
        url: Option<String>,
        /// Shard (relative to OUT) and row.
        shard: String,
        /// Row in the shard.
        row: u64,
    },
    /// In the removed log.
    Removed {
        /// Document id.
        id: String,
        /// URL.
        url: Option<String>,
        /// Stage that removed it.
        stage: String,
        /// Reason.
        reason: String,
        /// The list entry, word, rule or duplicate that caused it.
        detail: String,
        /// Where the record was in the input.
        location: String,
    },
}

/// Spellings of a URL that name the same page (scheme, `www.`, trailing slash).
fn url_variants(q: &str) -> Vec<String> {
    let mut v = vec![q.to_string()];
    let bare = q
        .trim_start_matches("https://")
        .trim_start_matches("http://");
    for scheme in ["http://", "https://"] {
        for www in ["", "www."] {
            let host = bare.trim_start_matches("www.");
            let base = format!("{scheme}{www}{host}");
            v.push(base.clone());
            if let Some(s) = base.strip_suffix('/') {
                v.push(s.to_string());
            } else {
                v.push(format!("{base}/"));
            }
        }
    }
    v.sort();
    v.dedup();
    v
}

/// Every record of `query` (a URL or an id) in the release and its removed log.
pub fn why(out: &Path, query: &str) -> io::Result<Vec<Finding>> {
    let variants: HashSet<String> = url_variants(query).into_iter().collect();
    let hit = |id: Option<&str>, url: Option<&str>| {
        id == Some(query) || url.is_some_and(|u| variants.contains(u))
    };
    let mut found = Vec::new();
    for f in parquet_files(&out.join("docs")) {
        let shard = f
            .strip_prefix(out)
            .map(crate::out::slash_path)
            .unwrap_or_default();
        scan_strings(&f, &["id", "url"], |row, v| {
            if hit(v[0], v[1]) {
                found.push(Finding::Kept {
                    id: v[0].unwrap_or_default().to_string(),
                    url: v[1].map(str::to_string),
                    shard: shard.clone(),
                    row,
                });
            }
            true
        })?;
    }
    for f in parquet_files(&out.join("removed")) {
        scan_strings(
            &f,
            &["id", "url", "stage", "reason", "detail", "location"],
            |_, v| {
                if hit(v[0], v[1]) {
                    found.push(Finding::Removed {
                        id: v[0].unwrap_or_default().to_string(),
                        url: v[1].map(str::to_string),
                        stage: v[2].unwrap_or_default().to_string(),
                        reason: v[3].unwrap_or_default().to_string(),
                        detail: v[4].unwrap_or_default().to_string(),
                        location: v[5].unwrap_or_default().to_string(),
                    });
                }
                true
            },
        )?;
    }
    Ok(found)
}

/// Explain findings in words.
pub fn explain(query: &str, findings: &[Finding]) -> String {
    if findings.is_empty() {
        return format!("{query}: not in this run at all: no input record had this URL or id (it was never crawled or read)\n");
    }
    let mut t = String::new();
    for f in findings {
        match f {
            Finding::Kept { id, url, shard, row } => t.push_str(&format!(
                "{query}: IN the release as {id} ({}) in {shard}, row {row}\n",
                url.as_deref().unwrap_or("no URL")
            )),
            Finding::Removed { id, url, stage, reason, detail, location } => t.push_str(&format!(
                "{query}: NOT in the release: removed by stage {stage}, reason {reason}: {detail}\n    id {id}, url {}, read from {location}\n",
                url.as_deref().unwrap_or("none")
            )),
        }
    }
    t
}

/// What entered and left between two releases.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ReleaseDiff {
    /// Documents in both.
    pub unchanged: u64,
    /// Ids only in the new release.
    pub entered: Vec<String>,
    /// Ids only in the old release, with why they left (`stage/reason`, or `not_in_inputs`).
    pub left: Vec<(String, String)>,
    /// Left documents by reason.
    pub left_by_reason: BTreeMap<String, u64>,
}

fn ids(out: &Path) -> io::Result<Vec<String>> {
    let mut v = Vec::new();
    for f in parquet_files(&out.join("docs")) {
        scan_strings(&f, &["id"], |_, x| {
            v.push(x[0].unwrap_or_default().to_string());
            true
        })?;
    }
    Ok(v)
}

/// Compare two releases by document id.
pub fn diff(old: &Path, new: &Path) -> io::Result<ReleaseDiff> {
    let old_ids = ids(old)?;
    let new_ids = ids(new)?;
    let old_set: HashSet<&str> = old_ids.iter().map(String::as_str).collect();
    let new_set: HashSet<&str> = new_ids.iter().map(String::as_str).collect();
    let mut d = ReleaseDiff::default();
    let mut left: Vec<&str> = old_ids
        .iter()
        .map(String::as_str)
        .filter(|i| !new_set.contains(i))
        .collect();
    left.sort_unstable();
    left.dedup();
    let wanted: HashSet<&str> = left.iter().copied().collect();
    let mut reasons: HashMap<String, String> = HashMap::new();
    for f in parquet_files(&new.join("removed")) {
        scan_strings(&f, &["id", "stage", "reason"], |_, v| {
            if let Some(id) = v[0] {
                if wanted.contains(id) {
                    reasons.insert(
                        id.to_string(),
                        format!("{}/{}", v[1].unwrap_or_default(), v[2].unwrap_or_default()),
                    );
                }
            }
            true
        })?;
    }
    for id in left {
        let r = reasons.remove(id).unwrap_or_else(|| "not_in_inputs".into());
        *d.left_by_reason.entry(r.clone()).or_default() += 1;
        d.left.push((id.to_string(), r));
    }
    let mut entered: Vec<String> = new_ids
        .iter()
        .filter(|i| !old_set.contains(i.as_str()))
        .cloned()
        .collect();
    entered.sort_unstable();
    entered.dedup();
    d.entered = entered;
    d.unchanged = new_set.intersection(&old_set).count() as u64;
    Ok(d)
}
