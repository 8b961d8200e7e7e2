//! Per-document filters, fused in one streaming pass. Each filter is a config struct (serde,
//! in the pipeline's `[filters.<name>]` table) plus a runtime object built from it; at run time
//! it sees one document and returns keep or drop-with-reason, possibly annotating the document
//! (language, scores) or rewriting it (PII redaction). The runner counts and logs; filters don't.

pub mod code;
pub mod lid;
pub mod lid_train;
pub mod lists;
pub mod pii;
pub mod quality;
pub mod settings;
pub mod url;
pub mod words;

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
    /// Files the filter loaded (models, lists), pinned in the release manifest.
    fn assets(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    /// Facts worth showing in `tamis check` (lists loaded, languages covered); none by default.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Where set-up put third-party assets (models, lists): `$TAMIS_ASSETS`, else `./assets`.
pub fn assets_dir() -> PathBuf {
    std::env::var_os("TAMIS_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("assets"))
}

/// `[filters]`: which filters run, and their settings. A filter runs when its table is present;
/// the pass order is fixed: url → lid → words → quality → pii (cheap and decisive first; PII
/// redaction last, on the documents that stay).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FiltersConfig {
    /// Folder of per-language settings (`default.toml`, `<tag>.toml`), relative to the working
    /// directory.
    #[serde(default = "default_settings_dir")]
    pub settings: PathBuf,
    // FILTER CONFIG FIELDS (one `Option<…Config>` per filter, in pass order)
    /// `[filters.url]`: UT1 categories, block/allow/opt-out lists, FineWeb URL words.
    #[serde(default)]
    pub url: Option<url::UrlFilterConfig>,
    /// `[filters.lid]`: fastText language ID (and programming language of code documents).
    #[serde(default)]
    pub lid: Option<lid::LidFilterConfig>,
    /// `[filters.words]`: banned/flagged words per language (thresholds in the settings folder).
    #[serde(default)]
    pub words: Option<words::WordsFilterConfig>,
    /// `[filters.quality]`: Gopher, C4 and FineWeb heuristics, thresholds per language in `filters/`.
    #[serde(default)]
    pub quality: Option<quality::QualityFilterConfig>,
    /// `[filters.pii]`: replace e-mails, public IPs, phones, IBANs and card numbers.
    #[serde(default)]
    pub pii: Option<pii::PiiConfig>,
}

fn default_settings_dir() -> PathBuf {
    PathBuf::from("filters")
}

impl Default for FiltersConfig {
    fn default() -> Self {
        FiltersConfig {
            settings: default_settings_dir(),
            // FILTER CONFIG DEFAULTS
            url: None,
            lid: None,
            words: None,
            quality: None,
            pii: None,
        }
    }
}

/// What building a filter may need besides its own config.
pub struct BuildCtx {
    /// Per-language settings from the `filters/` folder.
    pub settings: settings::LangSettings,
    /// Where set-up put models and third-party lists.
    pub assets: PathBuf,
    /// Where compiled copies of large block lists are kept (`None`: parse every time).
    pub list_cache: Option<PathBuf>,
}

impl FiltersConfig {
    /// Every configuration problem of the filters that can be seen without loading anything.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        #[allow(unused_mut)]
        let mut out = Vec::new();
        // FILTER CONFIG PROBLEMS
        if let Some(c) = &self.url {
            out.extend(c.problems());
        }
        if let Some(l) = &self.lid {
            out.extend(l.problems());
        }
        if let Some(c) = &self.words {
            out.extend(c.problems());
        }
        if let Some(q) = &self.quality {
            out.extend(q.problems());
        }
        if let Some(p) = &self.pii {
            out.extend(p.problems());
        }
        out
    }

    /// Whether any filter is configured (the settings folder is only needed then).
    fn any(&self) -> bool {
        #[allow(unused_mut)]
        let mut any = false;
        // FILTER ANY
        any |= self.url.is_some();
        any |= self.lid.is_some();
        any |= self.words.is_some();
        any |= self.quality.is_some();
        any
    }

    /// Build the runtime filters, in pass order (loading models and lists); fails with every
    /// problem found.
    pub fn build(&self) -> Result<FilterChain, Vec<ConfigProblem>> {
        let settings = if self.any() {
            settings::LangSettings::load(&self.settings)?
        } else {
            settings::LangSettings::default()
        };
        #[allow(unused_variables)]
        let ctx = BuildCtx {
            settings,
            assets: assets_dir(),
            list_cache: url::compiled::cache_dir(),
        };
        #[allow(unused_mut)]
        let mut filters: Vec<Box<dyn DocFilter>> = Vec::new();
        #[allow(unused_mut)]
        let mut problems: Vec<ConfigProblem> = Vec::new();
        // FILTER BUILD (push Box<dyn DocFilter> or extend problems, in pass order)
        if let Some(c) = &self.url {
            match c.build(&ctx) {
                Ok(f) => filters.push(Box::new(f)),
                Err(p) => problems.extend(p),
            }
        }
        if let Some(l) = &self.lid {
            match l.build(&ctx) {
                Ok(f) => filters.push(Box::new(f)),
                Err(e) => problems.extend(e),
            }
        }
        if let Some(c) = &self.words {
            match c.build(&ctx) {
                Ok(f) => filters.push(Box::new(f)),
                Err(p) => problems.extend(p),
            }
        }
        if let Some(q) = &self.quality {
            match q.build(&ctx) {
                Ok(f) => filters.push(Box::new(f)),
                Err(e) => problems.extend(e),
            }
        }
        if let Some(p) = &self.pii {
            match p.build() {
                Ok(f) => filters.push(Box::new(f)),
                Err(e) => problems.extend(e),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
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

    /// Every file the filters loaded, for the manifest.
    pub fn assets(&self) -> Vec<PathBuf> {
        self.filters.iter().flat_map(|f| f.assets()).collect()
    }

    /// Stage names in order.
    pub fn stages(&self) -> Vec<&'static str> {
        self.filters.iter().map(|f| f.stage()).collect()
    }

    /// Every filter's notes, in pass order.
    pub fn notes(&self) -> Vec<String> {
        self.filters.iter().flat_map(|f| f.notes()).collect()
    }
}
