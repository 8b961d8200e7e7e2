//! `[filters.url]`: drop documents by their URL — UT1 category block lists, our own block and
//! allow lists, an opt-out list that always wins, and FineWeb's URL word rules.
//!
//! Decision order for a document with a URL:
//! 1. the URL must parse and have a host, else `invalid_url`;
//! 2. **opt-out** (domains or URLs whose owners asked to be left out): `opt_out`, even when
//!    allow-listed;
//! 3. **allow lists**: keep, skipping every rule below;
//! 4. block lists of domains (UT1 categories in the order given, then `block_domains`):
//!    `blocked_domain`; then URL lists (UT1 `urls` files, then `block_urls`): `blocked_url`;
//! 5. URL words (`[filters.url.words]`): `url_banned_word`, `url_soft_banned_words`,
//!    `url_banned_subword`.
//!
//! A document without a URL is kept, unless `require_url = true` (then `invalid_url`).
//! Matching rules are in [`parse`]; list storage in [`hashset`].
//!
//! Lists are loaded once per process: a second filter built on the same file (same path, size
//! and modification time) shares the first one's tables.

pub mod compiled;
pub mod hashset;
pub mod parse;
pub mod words;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Instant, SystemTime};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use self::compiled::CopyUse;
use self::hashset::{key_hash, HashedSet};
use self::parse::{
    is_plain_domain, normalize_domain_entry, normalize_plain_domain, normalize_url_entry,
    parse_doc_url,
};
use self::words::{UrlWords, WordLists};
use super::lists::{fold_entries_par, list_name, resolve, text_entry, BadLines, ListError};
use super::{BuildCtx, DocFilter};
use crate::config::ConfigProblem;
use crate::doc::{Doc, Verdict};

/// `[filters.url]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlFilterConfig {
    /// UT1 blacklist folder: each category as `<category>/domains` and `<category>/urls`
    /// (plain or `.gz`, as the UT1 archive unpacks) or `<category>.domains.gz` and
    /// `<category>.urls.gz`. `assets:ut1` is inside the assets folder; other relative paths are
    /// taken from the working directory.
    #[serde(default)]
    pub ut1: Option<PathBuf>,
    /// UT1 categories to block (`adult`, `phishing`, `malware`, …); each needs a `domains` or a
    /// `urls` file in `ut1`.
    #[serde(default)]
    pub categories: Vec<String>,
    /// Extra files of domains to block, one per line (`#` comments; plain or gzip); a domain
    /// also blocks its sub-domains.
    #[serde(default)]
    pub block_domains: Vec<PathBuf>,
    /// Extra files of URLs to block (`example.com/path`, scheme optional); a URL also blocks
    /// the pages below it.
    #[serde(default)]
    pub block_urls: Vec<PathBuf>,
    /// Files of domains never blocked by the lists or URL words (opt-out still applies).
    #[serde(default)]
    pub allow_domains: Vec<PathBuf>,
    /// Files of URLs never blocked by the lists or URL words (opt-out still applies).
    #[serde(default)]
    pub allow_urls: Vec<PathBuf>,
    /// Opt-out files: domains or URLs (entries with a `/`) whose owners asked to be left out.
    /// They drop a document with reason `opt_out` even when it is allow-listed.
    #[serde(default)]
    pub opt_out: Vec<PathBuf>,
    /// Drop documents without a URL (`invalid_url`); by default they pass.
    #[serde(default)]
    pub require_url: bool,
    /// FineWeb's URL word rules; on when the table is present.
    #[serde(default)]
    pub words: Option<UrlWordsConfig>,
}

/// `[filters.url.words]`: FineWeb's URL word rules (datatrove `URLFilter`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UrlWordsConfig {
    /// Use FineWeb's lists compiled into tamis (datatrove 0.10.1, `lists/fineweb_url/`).
    #[serde(default = "yes")]
    pub builtin: bool,
    /// Extra banned words: a URL with one of these among its words is dropped.
    #[serde(default)]
    pub banned_words: Vec<PathBuf>,
    /// Extra soft-banned words: a URL with `soft_threshold` distinct ones is dropped.
    #[serde(default)]
    pub soft_banned_words: Vec<PathBuf>,
    /// Extra banned sub-words, matched anywhere in the URL stripped of non-alphanumerics.
    #[serde(default)]
    pub banned_subwords: Vec<PathBuf>,
    /// Distinct soft-banned words that drop a URL (FineWeb: 2).
    #[serde(default = "two")]
    pub soft_threshold: usize,
}

fn yes() -> bool {
    true
}

fn two() -> usize {
    2
}

impl Default for UrlWordsConfig {
    fn default() -> Self {
        UrlWordsConfig {
            builtin: true,
            banned_words: Vec::new(),
            soft_banned_words: Vec::new(),
            banned_subwords: Vec::new(),
            soft_threshold: 2,
        }
    }
}

fn problem(at: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        at: at.into(),
        message: message.into(),
    }
}

impl UrlFilterConfig {
    /// Problems visible without reading any file.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if !self.categories.is_empty() && self.ut1.is_none() {
            out.push(problem(
                "filters.url.categories",
                "categories need `ut1`, the folder of the UT1 lists",
            ));
        }
        if self.ut1.is_some() && self.categories.is_empty() {
            out.push(problem(
                "filters.url.ut1",
                "no `categories` chosen: name the UT1 categories to block (e.g. [\"adult\", \"phishing\", \"malware\"])",
            ));
        }
        for (i, c) in self.categories.iter().enumerate() {
            if c.is_empty() || c.contains(['/', '\\']) || c == "." || c == ".." {
                out.push(problem(
                    format!("filters.url.categories[{i}]"),
                    format!("{c:?} is not a category name"),
                ));
            } else if self.categories[..i].contains(c) {
                out.push(problem(
                    format!("filters.url.categories[{i}]"),
                    format!("{c:?} is listed twice"),
                ));
            }
        }
        if let Some(w) = &self.words {
            if w.soft_threshold == 0 {
                out.push(problem(
                    "filters.url.words.soft_threshold",
                    "must be at least 1",
                ));
            }
            if !w.builtin
                && w.banned_words.is_empty()
                && w.soft_banned_words.is_empty()
                && w.banned_subwords.is_empty()
            {
                out.push(problem(
                    "filters.url.words",
                    "builtin = false and no list files: give lists or remove the table",
                ));
            }
        }
        out
    }

    /// Load every list (in parallel) and build the filter; every unusable list is reported.
    pub fn build(&self, ctx: &BuildCtx) -> Result<UrlFilter, Vec<ConfigProblem>> {
        let started = Instant::now();
        let mut problems = self.problems();
        let mut specs: Vec<Spec> = Vec::new();
        if let Some(dir) = &self.ut1 {
            let dir = resolve(dir, &ctx.assets);
            for (i, cat) in self.categories.iter().enumerate() {
                let domains = find_ut1_file(&dir, cat, "domains");
                let urls = find_ut1_file(&dir, cat, "urls");
                if domains.is_none() && urls.is_none() {
                    problems.push(problem(
                        format!("filters.url.categories[{i}]"),
                        format!(
                            "no {cat}/domains, {cat}/urls, {cat}.domains.gz or {cat}.urls.gz (plain or .gz) in {}",
                            dir.display()
                        ),
                    ));
                }
                let name = format!("ut1/{cat}");
                let at = format!("filters.url.categories[{i}]");
                if let Some(p) = domains {
                    specs.push(Spec::new(&name, Role::Block, Kind::Domains, p, &at));
                }
                if let Some(p) = urls {
                    specs.push(Spec::new(&name, Role::Block, Kind::Urls, p, &at));
                }
            }
        }
        let groups: [(&str, &Vec<PathBuf>, Role, Kind); 5] = [
            (
                "block_domains",
                &self.block_domains,
                Role::Block,
                Kind::Domains,
            ),
            ("block_urls", &self.block_urls, Role::Block, Kind::Urls),
            (
                "allow_domains",
                &self.allow_domains,
                Role::Allow,
                Kind::Domains,
            ),
            ("allow_urls", &self.allow_urls, Role::Allow, Kind::Urls),
            ("opt_out", &self.opt_out, Role::OptOut, Kind::Mixed),
        ];
        for (key, paths, role, kind) in groups {
            for (i, p) in paths.iter().enumerate() {
                let path = resolve(p, &ctx.assets);
                specs.push(Spec::new(
                    &list_name(&path),
                    role,
                    kind,
                    path,
                    &format!("filters.url.{key}[{i}]"),
                ));
            }
        }
        let words = self.words.as_ref().map(|w| {
            let mut lists = if w.builtin {
                WordLists::builtin()
            } else {
                WordLists::default()
            };
            let mut read = |into: &mut Vec<String>, key: &str, paths: &[PathBuf]| {
                for (i, p) in paths.iter().enumerate() {
                    if let Err(e) = WordLists::read_file(into, &resolve(p, &ctx.assets)) {
                        problems.push(problem(
                            format!("filters.url.words.{key}[{i}]"),
                            e.to_string(),
                        ));
                    }
                }
            };
            read(&mut lists.banned, "banned_words", &w.banned_words);
            read(&mut lists.soft, "soft_banned_words", &w.soft_banned_words);
            read(&mut lists.subwords, "banned_subwords", &w.banned_subwords);
            let builtin_only = w.builtin
                && w.banned_words.is_empty()
                && w.soft_banned_words.is_empty()
                && w.banned_subwords.is_empty();
            UrlWords::new(lists, w.soft_threshold, builtin_only)
        });

        let mut files: Vec<PathBuf> = specs.iter().map(|s| s.path.clone()).collect();
        if let Some(w) = &self.words {
            for p in w
                .banned_words
                .iter()
                .chain(&w.soft_banned_words)
                .chain(&w.banned_subwords)
            {
                files.push(resolve(p, &ctx.assets));
            }
        }
        files.sort();
        files.dedup();
        let loaded: Vec<Result<Arc<LoadedPair>, ConfigProblem>> = specs
            .par_iter()
            .map(|s| {
                load_cached(&s.path, s.kind, ctx.list_cache.as_deref())
                    .map_err(|e| problem(s.at.clone(), e.to_string()))
            })
            .collect();
        let mut filter = UrlFilter {
            domain_lists: Vec::new(),
            url_lists: Vec::new(),
            words,
            require_url: self.require_url,
            notes: Vec::new(),
            files,
        };
        for (spec, set) in specs.into_iter().zip(loaded) {
            match set {
                Err(p) => problems.push(p),
                Ok(set) => {
                    let (domains, urls) = split_mixed(&set, spec.kind);
                    if let Some(d) = domains {
                        filter.domain_lists.push(Named {
                            name: spec.name.clone(),
                            role: spec.role,
                            set: d,
                        });
                    }
                    if let Some(u) = urls {
                        filter.url_lists.push(Named {
                            name: spec.name,
                            role: spec.role,
                            set: u,
                        });
                    }
                }
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        filter.notes = filter.describe(started.elapsed().as_secs_f64());
        Ok(filter)
    }
}

fn find_ut1_file(dir: &Path, cat: &str, kind: &str) -> Option<PathBuf> {
    [
        dir.join(cat).join(kind),
        dir.join(cat).join(format!("{kind}.gz")),
        dir.join(format!("{cat}.{kind}")),
        dir.join(format!("{cat}.{kind}.gz")),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

/// What a list does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Block,
    Allow,
    OptOut,
}

/// What a list file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// One domain per line.
    Domains,
    /// One URL per line.
    Urls,
    /// Either (opt-out lists): an entry with a `/` is a URL.
    Mixed,
}

struct Spec {
    name: String,
    role: Role,
    kind: Kind,
    path: PathBuf,
    at: String,
}

impl Spec {
    fn new(name: &str, role: Role, kind: Kind, path: PathBuf, at: &str) -> Spec {
        Spec {
            name: name.to_string(),
            role,
            kind,
            path,
            at: at.to_string(),
        }
    }
}

/// Cache key of a loaded file: canonical path, size, modification time, how it was read.
type CacheKey = (PathBuf, u64, Option<SystemTime>, Kind);

fn cache() -> &'static Mutex<HashMap<CacheKey, Weak<LoadedPair>>> {
    static CACHE: OnceLock<Mutex<HashMap<CacheKey, Weak<LoadedPair>>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Domains and URL keys of one file (one of them empty unless the file is mixed).
struct LoadedPair {
    domains: HashedSet,
    urls: HashedSet,
    /// Whether the sets came from a compiled copy (`compiled.rs`).
    copy: CopyUse,
}

/// One of the two sets of a loaded file; keeps the file's tables alive.
struct SetRef {
    pair: Arc<LoadedPair>,
    urls: bool,
}

impl std::ops::Deref for SetRef {
    type Target = HashedSet;
    fn deref(&self) -> &HashedSet {
        if self.urls {
            &self.pair.urls
        } else {
            &self.pair.domains
        }
    }
}

fn split_mixed(pair: &Arc<LoadedPair>, kind: Kind) -> (Option<SetRef>, Option<SetRef>) {
    let d = || SetRef {
        pair: pair.clone(),
        urls: false,
    };
    let u = || SetRef {
        pair: pair.clone(),
        urls: true,
    };
    match kind {
        Kind::Domains => (Some(d()), None),
        Kind::Urls => (None, Some(u())),
        Kind::Mixed => (Some(d()), Some(u())),
    }
}

/// Load a list file, or share the copy another filter of this process already loaded, or read
/// the compiled copy an earlier process left in `copies` (large lists only).
fn load_cached(
    path: &Path,
    kind: Kind,
    copies: Option<&Path>,
) -> Result<Arc<LoadedPair>, ListError> {
    let meta = std::fs::metadata(path).map_err(|source| ListError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let canon = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let key: CacheKey = (canon, meta.len(), meta.modified().ok(), kind);
    if let Some(hit) = cache()
        .lock()
        .expect("list cache")
        .get(&key)
        .and_then(Weak::upgrade)
    {
        return Ok(hit);
    }
    // Loading happens outside the lock: two threads may load the same new file at once (the
    // second result wins the cache slot); other files are not held up.
    let loaded = Arc::new(match copies {
        Some(dir) if meta.len() >= compiled::MIN_SOURCE_BYTES => {
            compiled::load_or_parse(dir, path, kind, || load_list(path, kind))?
        }
        _ => load_list(path, kind)?,
    });
    let mut c = cache().lock().expect("list cache");
    c.retain(|_, w| w.strong_count() > 0);
    c.insert(key, Arc::downgrade(&loaded));
    Ok(loaded)
}

/// What one piece of a list file gives.
#[derive(Default)]
struct ListPiece {
    domains: Vec<u64>,
    urls: Vec<u64>,
    bad: BadLines,
    scratch: Vec<u8>,
}

impl ListPiece {
    fn add(&mut self, kind: Kind, line: usize, e: &[u8]) {
        // A plain domain (ASCII letters, digits, `-_.`: nearly every line of UT1) is valid text
        // by construction; every other entry is checked as text first.
        let plain = is_plain_domain(e);
        if !plain {
            if let Err(m) = text_entry(e) {
                self.bad.push(line, m);
                return;
            }
        }
        let is_url = match kind {
            Kind::Domains => false,
            Kind::Urls => true,
            Kind::Mixed => !plain && e.contains(&b'/'),
        };
        if is_url {
            match text_entry(e).and_then(normalize_url_entry) {
                Ok(k) => self.urls.push(key_hash(k.as_bytes())),
                Err(m) => self.bad.push(line, m),
            }
        } else {
            let normalized = if plain {
                normalize_plain_domain(e, &mut self.scratch)
            } else {
                normalize_domain_entry(e, &mut self.scratch)
            };
            match normalized {
                Ok(()) => self.domains.push(key_hash(&self.scratch)),
                Err(m) => self.bad.push(line, m),
            }
        }
    }
}

/// Read one list file into hashed sets, its pieces on every core of the current pool. Bad
/// entries are reported with their line numbers, the first ones of the file first.
fn load_list(path: &Path, kind: Kind) -> Result<LoadedPair, ListError> {
    let pieces = fold_entries_par(path, ListPiece::default, |piece, line, e| {
        piece.add(kind, line, e)
    })?;
    let mut bad = BadLines::default();
    let (mut n_domains, mut n_urls) = (0, 0);
    for p in &pieces {
        n_domains += p.domains.len();
        n_urls += p.urls.len();
    }
    let mut domains: Vec<u64> = Vec::with_capacity(n_domains);
    let mut urls: Vec<u64> = Vec::with_capacity(n_urls);
    for p in pieces {
        domains.extend_from_slice(&p.domains);
        urls.extend_from_slice(&p.urls);
        bad.extend(p.bad);
    }
    bad.finish(path)?;
    if domains.is_empty() && urls.is_empty() {
        return Err(ListError::Format {
            path: path.to_path_buf(),
            message: "no entries".into(),
        });
    }
    Ok(LoadedPair {
        domains: HashedSet::from_hashes(domains),
        urls: HashedSet::from_hashes(urls),
        copy: CopyUse::NotUsed,
    })
}

struct Named {
    name: String,
    role: Role,
    set: SetRef,
}

/// The built URL filter; shared by all threads.
pub struct UrlFilter {
    domain_lists: Vec<Named>,
    url_lists: Vec<Named>,
    words: Option<UrlWords>,
    require_url: bool,
    notes: Vec<String>,
    /// Every list file read (for the release manifest); FineWeb's built-in lists are part of tamis.
    files: Vec<PathBuf>,
}

/// Longest URL quoted in an `invalid_url` detail.
const MAX_QUOTED_URL: usize = 200;

fn quote_url(raw: &str) -> String {
    if raw.len() <= MAX_QUOTED_URL {
        return format!("{raw:?}");
    }
    let mut end = MAX_QUOTED_URL;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}…", &raw[..end])
}

impl UrlFilter {
    fn describe(&self, secs: f64) -> Vec<String> {
        let mut notes = Vec::new();
        let mut bytes = 0usize;
        let mut seen: Vec<*const LoadedPair> = Vec::new();
        let (mut from_copies, mut written, mut copy_problems) = (0, 0, Vec::new());
        for (lists, what) in [(&self.domain_lists, "domains"), (&self.url_lists, "URLs")] {
            for l in lists {
                let role = match l.role {
                    Role::Block => "block",
                    Role::Allow => "allow",
                    Role::OptOut => "opt-out",
                };
                notes.push(format!(
                    "url: {role} list {}: {} {what}",
                    l.name,
                    l.set.len()
                ));
                let p = Arc::as_ptr(&l.set.pair);
                if !seen.contains(&p) {
                    seen.push(p);
                    bytes += l.set.pair.domains.heap_bytes() + l.set.pair.urls.heap_bytes();
                    match &l.set.pair.copy {
                        CopyUse::NotUsed => {}
                        CopyUse::Read => from_copies += 1,
                        CopyUse::Written => written += 1,
                        CopyUse::Failed(why) => copy_problems.push(format!("url: {why}")),
                    }
                }
            }
        }
        if self.words.is_some() {
            notes.push(
                "url: URL word rules on (banned words, soft-banned words, banned sub-words)".into(),
            );
        }
        let n_copies = |n: usize| match n {
            1 => "1 compiled copy".to_string(),
            n => format!("{n} compiled copies"),
        };
        let copies = match (from_copies, written) {
            (0, 0) => String::new(),
            (r, 0) => format!(" (from {})", n_copies(r)),
            (0, w) => format!(" ({} written)", n_copies(w)),
            (r, w) => format!(" (from {}; {} written)", n_copies(r), n_copies(w)),
        };
        notes.extend(copy_problems);
        notes.push(format!(
            "url: lists take {:.1} MB, loaded in {secs:.2} s{copies}; documents without a URL {}",
            bytes as f64 / 1e6,
            if self.require_url {
                "are dropped (require_url)"
            } else {
                "pass"
            }
        ));
        notes
    }

    /// Human-readable facts about the loaded lists, for `tamis check`.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// (list name, `domains` or `urls`, distinct entries) of every loaded list, in check order.
    pub fn list_sizes(&self) -> Vec<(String, &'static str, usize)> {
        let d = self
            .domain_lists
            .iter()
            .map(|l| (l.name.clone(), "domains", l.set.len()));
        let u = self
            .url_lists
            .iter()
            .map(|l| (l.name.clone(), "urls", l.set.len()));
        d.chain(u).collect()
    }

    /// The verdict for a URL (`None` = no URL).
    pub fn check_url(&self, url: Option<&str>) -> Verdict {
        let Some(raw) = url else {
            return if self.require_url {
                Verdict::drop("invalid_url", "document has no URL (require_url = true)")
            } else {
                Verdict::Keep
            };
        };
        let parsed = match parse_doc_url(raw) {
            Ok(p) => p,
            Err(e) => return Verdict::drop("invalid_url", format!("{}: {e}", quote_url(raw))),
        };
        let hosts: Vec<(u64, &str)> = parsed
            .host_suffixes()
            .map(|s| (key_hash(s.as_bytes()), s))
            .collect();
        let keys: Vec<(u64, &str)> = parsed
            .url_keys
            .iter()
            .map(|k| (key_hash(k.as_bytes()), k.as_str()))
            .collect();
        let first_hit = |l: &Named, candidates: &[(u64, &str)]| -> Option<String> {
            candidates
                .iter()
                .find(|(h, _)| l.set.contains(*h))
                .map(|(_, s)| (*s).to_string())
        };
        let hit = |role: Role| -> Option<(String, String, bool)> {
            for l in self.domain_lists.iter().filter(|l| l.role == role) {
                if let Some(s) = first_hit(l, &hosts) {
                    return Some((l.name.clone(), s, false));
                }
            }
            for l in self.url_lists.iter().filter(|l| l.role == role) {
                if let Some(s) = first_hit(l, &keys) {
                    return Some((l.name.clone(), s, true));
                }
            }
            None
        };
        if let Some((name, entry, _)) = hit(Role::OptOut) {
            return Verdict::drop("opt_out", format!("{name}: {entry}"));
        }
        if hit(Role::Allow).is_some() {
            return Verdict::Keep;
        }
        if let Some((name, entry, is_url)) = hit(Role::Block) {
            let reason = if is_url {
                "blocked_url"
            } else {
                "blocked_domain"
            };
            return Verdict::drop(reason, format!("{name}: {entry}"));
        }
        if let Some(w) = &self.words {
            if let Some(v) = w.check(raw) {
                return v;
            }
        }
        Verdict::Keep
    }
}

impl DocFilter for UrlFilter {
    fn stage(&self) -> &'static str {
        "url"
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn assets(&self) -> Vec<PathBuf> {
        self.files.clone()
    }

    fn check(&self, doc: &mut Doc) -> Verdict {
        self.check_url(doc.url.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> BuildCtx {
        BuildCtx {
            settings: Default::default(),
            assets: PathBuf::from("/nonexistent-assets"),
            list_cache: None,
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn verdict(f: &UrlFilter, url: &str) -> (String, String) {
        match f.check_url(Some(url)) {
            Verdict::Keep => ("keep".into(), String::new()),
            Verdict::Drop { reason, detail } => (reason, detail),
        }
    }

    #[test]
    fn compiled_copies_answer_as_the_list_and_damaged_ones_are_parsed_again() {
        let dir = tempfile::tempdir().unwrap();
        let copies = dir.path().join("copies");
        // A mixed opt-out list above the size at which copies are kept: domains in odd forms,
        // URL entries, an IDN.
        let mut text = String::from("# opt-outs\nWWW.Upper.Example\nbücher.example\n");
        for i in 0..70_000 {
            text.push_str(&format!("site{i}.example\npages{i}.example/private/\n"));
        }
        let list = write(dir.path(), "optout.txt", &text);
        assert!(std::fs::metadata(&list).unwrap().len() >= compiled::MIN_SOURCE_BYTES);
        let cfg = UrlFilterConfig {
            opt_out: vec![list.clone()],
            ..Default::default()
        };
        let probes = [
            "https://site0.example/a",
            "https://blog.site69999.example/",
            "https://site70000.example/",
            "https://pages123.example/private/x.html",
            "https://pages123.example/public/",
            "https://upper.example/",
            "https://xn--bcher-kva.example/",
            "https://example/",
        ];
        let answers = |copies: Option<&Path>| {
            let ctx = BuildCtx {
                list_cache: copies.map(Path::to_path_buf),
                ..ctx()
            };
            let f = cfg.build(&ctx).unwrap();
            let v: Vec<_> = probes.iter().map(|u| verdict(&f, u)).collect();
            (v, f.notes().join("\n"))
        };
        let (want, notes) = answers(None);
        assert!(!notes.contains("compiled"), "{notes}");
        assert_eq!(want[0].0, "opt_out");
        assert_eq!(want[2].0, "keep");
        assert_eq!(want[3].0, "opt_out");
        assert_eq!(want[6].0, "opt_out");

        let (got, notes) = answers(Some(&copies));
        assert_eq!(got, want);
        assert!(notes.contains("(1 compiled copy written)"), "{notes}");
        let (got, notes) = answers(Some(&copies));
        assert_eq!(got, want);
        assert!(notes.contains("(from 1 compiled copy)"), "{notes}");

        let copy = std::fs::read_dir(&copies)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.extension().is_some_and(|e| e == "set"))
            .unwrap();
        let sound = std::fs::read(&copy).unwrap();
        // A flipped bit in the keys, a wrong checksum, a cut file: each is noticed, the list is
        // parsed again and the copy rewritten.
        let mut flipped = sound.clone();
        flipped[sound.len() / 3] ^= 0x10;
        let mut bad_sum = sound.clone();
        *bad_sum.last_mut().unwrap() ^= 1;
        for damaged in [flipped, bad_sum, sound[..sound.len() / 2].to_vec()] {
            std::fs::write(&copy, &damaged).unwrap();
            let (got, notes) = answers(Some(&copies));
            assert_eq!(got, want);
            assert!(notes.contains("damaged compiled list"), "{notes}");
            assert_eq!(std::fs::read(&copy).unwrap(), sound, "rewritten");
        }

        // A changed list never finds the old copy.
        text.push_str("site70000.example\n");
        std::fs::write(&list, &text).unwrap();
        let (got, notes) = answers(Some(&copies));
        assert_eq!(got[2].0, "opt_out");
        assert!(notes.contains("(1 compiled copy written)"), "{notes}");
        assert_eq!(std::fs::read_dir(&copies).unwrap().count(), 2);
    }

    #[test]
    fn opt_out_beats_allow_beats_block() {
        let dir = tempfile::tempdir().unwrap();
        let ut1 = dir.path().join("ut1");
        std::fs::create_dir_all(ut1.join("adult")).unwrap();
        write(
            &ut1.join("adult"),
            "domains",
            "bad.example\nshared.example\n",
        );
        write(&ut1.join("adult"), "urls", "pages.example/private/\n");
        let allow = write(dir.path(), "allow.txt", "shared.example\nowner.example\n");
        let opt = write(
            dir.path(),
            "optout.txt",
            "# asked 2026-01-01\nowner.example\nnews.example/archive\n",
        );
        let cfg = UrlFilterConfig {
            ut1: Some(ut1),
            categories: vec!["adult".into()],
            allow_domains: vec![allow],
            opt_out: vec![opt],
            ..Default::default()
        };
        let f = cfg.build(&ctx()).unwrap();
        assert_eq!(
            verdict(&f, "https://www.bad.example/x"),
            ("blocked_domain".into(), "ut1/adult: bad.example".into())
        );
        assert_eq!(
            verdict(&f, "https://shared.example/"),
            ("keep".into(), String::new()),
            "allow-listed"
        );
        assert_eq!(
            verdict(&f, "https://blog.owner.example/"),
            ("opt_out".into(), "optout: owner.example".into())
        );
        assert_eq!(
            verdict(&f, "https://news.example/archive/2020/a.html"),
            ("opt_out".into(), "optout: news.example/archive".into())
        );
        assert_eq!(
            verdict(&f, "https://news.example/today"),
            ("keep".into(), String::new())
        );
        assert_eq!(
            verdict(&f, "http://pages.example/private/a?b=c"),
            (
                "blocked_url".into(),
                "ut1/adult: pages.example/private".into()
            )
        );
        assert_eq!(
            verdict(&f, "http://pages.example/public"),
            ("keep".into(), String::new())
        );
    }

    #[test]
    fn missing_and_invalid_urls() {
        let f = UrlFilterConfig::default().build(&ctx()).unwrap();
        assert_eq!(f.check_url(None), Verdict::Keep);
        let (r, d) = verdict(&f, "http://");
        assert_eq!(r, "invalid_url");
        assert!(d.starts_with("\"http://\""), "{d}");
        let strict = UrlFilterConfig {
            require_url: true,
            ..Default::default()
        }
        .build(&ctx())
        .unwrap();
        assert!(
            matches!(strict.check_url(None), Verdict::Drop { reason, .. } if reason == "invalid_url")
        );
    }

    #[test]
    fn bad_lists_are_reported_with_their_config_path_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(dir.path(), "mine.txt", "ok.example\nnot a domain\n");
        let cfg = UrlFilterConfig {
            ut1: Some(dir.path().join("ut1")),
            categories: vec!["adult".into(), "adult".into()],
            block_domains: vec![bad, dir.path().join("missing.txt")],
            ..Default::default()
        };
        let problems = cfg.build(&ctx()).err().unwrap();
        let ats: Vec<&str> = problems.iter().map(|p| p.at.as_str()).collect();
        assert!(ats.contains(&"filters.url.categories[1]"), "{problems:?}");
        assert!(
            ats.contains(&"filters.url.categories[0]"),
            "no files: {problems:?}"
        );
        let mine = problems
            .iter()
            .find(|p| p.at == "filters.url.block_domains[0]")
            .unwrap();
        assert!(mine.message.contains("line 2"), "{}", mine.message);
        assert!(problems
            .iter()
            .any(|p| p.at == "filters.url.block_domains[1]"));
    }

    #[test]
    fn same_file_is_loaded_once_per_process() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "shared.txt", "a.example\n");
        let a = load_cached(&p, Kind::Domains, None).unwrap();
        let b = load_cached(&p, Kind::Domains, None).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn url_words_run_after_lists_and_respect_allow() {
        let dir = tempfile::tempdir().unwrap();
        let allow = write(dir.path(), "allow.txt", "sexed.example\n");
        let cfg = UrlFilterConfig {
            allow_domains: vec![allow],
            words: Some(UrlWordsConfig::default()),
            ..Default::default()
        };
        let f = cfg.build(&ctx()).unwrap();
        assert_eq!(
            verdict(&f, "https://x.example/bukkake").0,
            "url_banned_word"
        );
        assert_eq!(verdict(&f, "https://sexed.example/bukkake").0, "keep");
    }
}
