//! Per-document filters, fused in one streaming pass. Each filter is a config struct (serde,
//! in the pipeline's `[filters.<name>]` table) plus a runtime object built from it; at run time
//! it sees one document and returns keep or drop-with-reason, possibly annotating the document
//! (language, scores) or rewriting it (PII redaction). The runner counts and logs; filters don't.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::ConfigProblem;
use crate::doc::{Doc, Verdict};

/// A per-document stage.
pub trait DocFilter: Send + Sync {
    /// Stage name written in the removed log and stats (`url`, `lid`, `words`, `quality`, `pii`).
    fn stage(&self) -> &'static str;
    /// Decide on one document; may annotate or rewrite it.
    fn check(&self, doc: &mut Doc) -> Verdict;
}

/// Where set-up put third-party assets (models, lists): `$TAMIS_ASSETS`, else `./assets`.
pub fn assets_dir() -> PathBuf {
    std::env::var_os("TAMIS_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("assets"))
}

/// `[filters]`: which filters run, and their settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiltersConfig {}

impl FiltersConfig {
    /// Every configuration problem of the filters.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        Vec::new()
    }

    /// Build the runtime filters, in pass order (loading models and lists); fails with every
    /// problem found.
    pub fn build(&self) -> Result<FilterChain, Vec<ConfigProblem>> {
        let filters: Vec<Box<dyn DocFilter>> = Vec::new();
        Ok(FilterChain { filters })
    }
}

/// The filters of one pass, in order; shared by all threads.
pub struct FilterChain {
    filters: Vec<Box<dyn DocFilter>>,
}

impl FilterChain {
    /// A chain of the given filters.
    pub fn new(filters: Vec<Box<dyn DocFilter>>) -> FilterChain {
        FilterChain { filters }
    }

    /// Run every filter until one drops the document; returns the dropping stage and verdict.
    pub fn check(&self, doc: &mut Doc) -> Option<(&'static str, String, String)> {
        for f in &self.filters {
            if let Verdict::Drop { reason, detail } = f.check(doc) {
                return Some((f.stage(), reason, detail));
            }
        }
        None
    }

    /// Stage names in order.
    pub fn stages(&self) -> Vec<&'static str> {
        self.filters.iter().map(|f| f.stage()).collect()
    }
}
