//! `[filters.words]`: banned/flagged words per language (LDNOOBW, BigScience ROOTS-style lists,
//! our own), as a ratio of flagged-word occurrences to words, or zero tolerance.
//!
//! - **Lists**: `[filters.words] lists` names word-list sources (folders of per-language files,
//!   see [`load`]); every list that has a file for a language applies to it, unless the
//!   language's settings name a subset.
//! - **Thresholds** live in the `filters/` settings folder, table `[words]`: `max_ratio`
//!   (drop when one list's occurrences / words > `max_ratio`), `min_count` (occurrences needed
//!   before the ratio counts; `max_ratio = 0` with `min_count = 1` is C4's rule, any occurrence
//!   drops), `lists`, `ignore`, `enabled`. `filters/default.toml` holds the defaults, `filters/<tag>.toml`
//!   per-language overrides.
//! - **Matching**: one automaton per language, entries and text folded alike (case, width,
//!   compatibility forms, whitespace), matches only on word boundaries in spaced scripts and on
//!   characters in scripts without spaces ([`fold`], [`matcher`]). A phrase counts as one
//!   occurrence.
//! - **Words**: runs of letters/digits in spaced scripts; each character in scripts without
//!   spaces (Han, kana, Thai, …), so their ratios are per character ([`fold::count_words`]).
//! - Documents whose language has no list are **kept** (`tamis check` lists the languages that
//!   have one). Documents without a language (no language ID in the pipeline) are checked
//!   against the lists of `untagged_languages` (default English). Code documents are not
//!   checked.
//!
//! Reason `banned_words`, detail `<list>/<lang>: <n> of <words> words (<ratio> > <max>): w1, w2`.

pub mod fold;
pub mod load;
pub mod matcher;

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use self::fold::{count_words, fold_into};
use self::load::{load_source, Source};
use self::matcher::{ListHits, Matcher, MAX_LISTS};
use super::lists::resolve;
use super::{BuildCtx, DocFilter};
use crate::config::ConfigProblem;
use crate::doc::{Doc, Kind, Verdict};

/// `[filters.words]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordsFilterConfig {
    /// Word-list sources, in order: a name (shown in drop details) and a folder of per-language
    /// files (`fr.txt`, `fra_Latn.txt`, the npm `naughty-words` package's `fr.json`) or one
    /// such file. `assets:<path>` is inside the assets folder. Default: LDNOOBW from the npm
    /// package `naughty-words@1.2.0`, unpacked by set-up into `assets/naughty-words`.
    #[serde(default = "default_lists")]
    pub lists: Vec<WordListConfig>,
    /// Languages whose lists apply to documents that have no language (language ID not in
    /// the pipeline); any form `lang::canonical` accepts.
    #[serde(default = "default_untagged")]
    pub untagged_languages: Vec<String>,
    /// Most matched words quoted in a drop detail.
    #[serde(default = "default_detail_words")]
    pub max_detail_words: usize,
}

/// One `[[filters.words.lists]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordListConfig {
    /// Name in drop details and in the `lists` setting of `filters/*.toml` (`ldnoobw`, `roots`).
    pub name: String,
    /// Folder of per-language files, or one file named by its language.
    pub path: PathBuf,
}

fn default_lists() -> Vec<WordListConfig> {
    vec![WordListConfig {
        name: "ldnoobw".into(),
        path: PathBuf::from("assets:naughty-words"),
    }]
}

fn default_untagged() -> Vec<String> {
    vec!["eng_Latn".into()]
}

fn default_detail_words() -> usize {
    8
}

impl Default for WordsFilterConfig {
    fn default() -> Self {
        WordsFilterConfig {
            lists: default_lists(),
            untagged_languages: default_untagged(),
            max_detail_words: default_detail_words(),
        }
    }
}

/// `[words]` of the `filters/` settings (default, then per language).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WordsSettings {
    /// Whether the filter checks documents of this language at all.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The lists (by name) that apply to this language; absent: every list with a file for it.
    #[serde(default)]
    pub lists: Option<Vec<String>>,
    /// Drop when the occurrences of one list's entries / words > `max_ratio`; `0` with
    /// `min_count = 1` drops on any occurrence (C4's rule).
    #[serde(default = "default_max_ratio")]
    pub max_ratio: f64,
    /// Occurrences needed before the ratio is considered (1: the ratio alone decides, as in
    /// ROOTS; 2 spares short documents with one ambiguous word, such as "sex" in "race, colour,
    /// sex").
    #[serde(default = "one")]
    pub min_count: usize,
    /// Entries not matched for this language, whichever list holds them: ordinary words of the
    /// language that a list flags (compared after folding).
    #[serde(default)]
    pub ignore: Vec<String>,
}

fn yes() -> bool {
    true
}

fn one() -> usize {
    1
}

fn default_max_ratio() -> f64 {
    0.01
}

fn problem(at: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        at: at.into(),
        message: message.into(),
    }
}

impl WordsFilterConfig {
    /// Problems visible without reading any file.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if self.lists.is_empty() {
            out.push(problem(
                "filters.words.lists",
                "no word list: add one or remove [filters.words]",
            ));
        }
        if self.lists.len() > MAX_LISTS {
            out.push(problem(
                "filters.words.lists",
                format!("at most {MAX_LISTS} lists"),
            ));
        }
        for (i, l) in self.lists.iter().enumerate() {
            if l.name.is_empty() || l.name.contains(['/', ' ', ':']) {
                out.push(problem(
                    format!("filters.words.lists[{i}].name"),
                    format!("{:?}: use letters, digits, '-', '_' and '.'", l.name),
                ));
            } else if self.lists[..i].iter().any(|o| o.name == l.name) {
                out.push(problem(
                    format!("filters.words.lists[{i}].name"),
                    format!("{:?} is used twice", l.name),
                ));
            }
        }
        for (i, t) in self.untagged_languages.iter().enumerate() {
            if crate::lang::canonical(t).is_none() {
                out.push(problem(
                    format!("filters.words.untagged_languages[{i}]"),
                    format!("{t:?} is not a language tag"),
                ));
            }
        }
        out
    }

    /// Load the lists, read the per-language settings and build one automaton per language.
    pub fn build(&self, ctx: &BuildCtx) -> Result<WordsFilter, Vec<ConfigProblem>> {
        let mut problems = self.problems();
        let mut sources: Vec<(String, Source)> = Vec::new();
        for (i, l) in self.lists.iter().enumerate() {
            let path = resolve(&l.path, &ctx.assets);
            match load_source(&path) {
                Ok(s) if s.per_lang.is_empty() => problems.push(problem(
                    format!("filters.words.lists[{i}].path"),
                    format!(
                        "{}: no file named by a language code (fr.txt, fra_Latn.txt, fr.json)",
                        path.display()
                    ),
                )),
                Ok(s) => sources.push((l.name.clone(), s)),
                Err(e) => {
                    let hint = if l.path.to_string_lossy().starts_with("assets:") {
                        " (third-party lists are put in the assets folder by set-up; see lists/README.md)"
                    } else {
                        ""
                    };
                    problems.push(problem(
                        format!("filters.words.lists[{i}].path"),
                        format!("{e}{hint}"),
                    ));
                }
            }
        }
        let mut notes = Vec::new();
        for (name, s) in &sources {
            for f in &s.skipped {
                notes.push(format!(
                    "words: list {name}: skipped {} (its name is not a language code)",
                    f.display()
                ));
            }
        }
        let langs: BTreeSet<&String> = sources
            .iter()
            .flat_map(|(_, s)| s.per_lang.keys())
            .collect();
        let mut rules: HashMap<String, LangRule> = HashMap::new();
        for lang in langs {
            let st: WordsSettings = match ctx.settings.section(Some(lang), "words") {
                Ok(s) => s,
                Err(p) => {
                    problems.push(p);
                    continue;
                }
            };
            if !(0.0..=1.0).contains(&st.max_ratio) {
                let file = if ctx.settings.languages().any(|l| l == lang) {
                    lang.as_str()
                } else {
                    "default"
                };
                problems.push(problem(
                    format!(
                        "{}/{file}.toml [words] max_ratio",
                        ctx.settings.dir().display()
                    ),
                    format!("{} for {lang}: must be between 0 and 1", st.max_ratio),
                ));
                continue;
            }
            if !st.enabled {
                notes.push(format!(
                    "words: {lang}: disabled in the settings; its documents are kept"
                ));
                continue;
            }
            if let Some(wanted) = &st.lists {
                for w in wanted {
                    if !sources.iter().any(|(n, _)| n == w) {
                        notes.push(format!("words: {lang}: settings name list {w:?}, which this pipeline does not load"));
                    }
                }
            }
            let chosen: Vec<&(String, Source)> = sources
                .iter()
                .filter(|(n, s)| {
                    st.lists.as_ref().is_none_or(|w| w.contains(n)) && s.per_lang.contains_key(lang)
                })
                .collect();
            let ignore: HashSet<String> = st.ignore.iter().map(|e| fold::fold(e)).collect();
            let mut ignored: HashSet<String> = HashSet::new();
            let entries: Vec<Vec<String>> = chosen
                .iter()
                .map(|(_, s)| {
                    let mut v = s.per_lang[lang].clone();
                    v.retain(|e| {
                        let f = fold::fold(e);
                        let keep = !ignore.contains(&f);
                        if !keep {
                            ignored.insert(f);
                        }
                        keep
                    });
                    v
                })
                .collect();
            for e in &st.ignore {
                if !ignored.contains(&fold::fold(e)) {
                    notes.push(format!(
                        "words: {lang}: ignore entry {e:?} is in none of its lists"
                    ));
                }
            }
            let Some(matcher) = Matcher::new(&entries) else {
                continue;
            };
            let names: Vec<String> = chosen.iter().map(|(n, _)| n.clone()).collect();
            notes.push(format!(
                "words: {lang}: {} ({} distinct entries, {} ignored), max_ratio {}, min_count {}",
                names
                    .iter()
                    .zip(&entries)
                    .map(|(n, e)| format!("{n} {}", e.len()))
                    .collect::<Vec<_>>()
                    .join(" + "),
                matcher.len(),
                ignored.len(),
                fmt_ratio(st.max_ratio),
                st.min_count.max(1)
            ));
            rules.insert(
                lang.clone(),
                LangRule {
                    lang: lang.clone(),
                    matcher,
                    names,
                    max_ratio: st.max_ratio,
                    min_count: st.min_count.max(1),
                },
            );
        }
        let untagged: Vec<String> = self
            .untagged_languages
            .iter()
            .filter_map(|t| crate::lang::canonical(t))
            .collect();
        for t in &untagged {
            if !rules.contains_key(t) {
                notes.push(format!("words: untagged_languages: {t} has no list"));
            }
        }
        let mut covered: Vec<&String> = rules.keys().collect();
        covered.sort();
        notes.push(format!(
            "words: {} languages have a list ({}); documents in any other language are kept; documents without a language are checked as {}",
            covered.len(),
            covered.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
            if untagged.is_empty() { "nothing (kept)".to_string() } else { untagged.join(", ") }
        ));
        let mut files: Vec<PathBuf> = sources
            .iter()
            .flat_map(|(_, s)| s.files.values().flatten().cloned())
            .collect();
        files.sort();
        files.dedup();
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(WordsFilter {
            rules,
            untagged,
            max_detail_words: self.max_detail_words,
            notes,
            files,
        })
    }
}

/// Everything the filter found in one text (see [`WordsFilter::report`]).
#[derive(Debug, Clone, PartialEq)]
pub struct WordsReport {
    /// Canonical tag whose lists were used.
    pub lang: String,
    /// Words in the text (characters in scripts without spaces).
    pub words: usize,
    /// The language's threshold.
    pub max_ratio: f64,
    /// Occurrences needed before the ratio counts.
    pub min_count: usize,
    /// Per list: its name and hits.
    pub lists: Vec<(String, ListHits)>,
}

/// A language's automaton and threshold.
struct LangRule {
    lang: String,
    matcher: Matcher,
    /// List names, in the matcher's list order.
    names: Vec<String>,
    max_ratio: f64,
    min_count: usize,
}

/// The built banned-words filter; shared by all threads.
pub struct WordsFilter {
    rules: HashMap<String, LangRule>,
    untagged: Vec<String>,
    max_detail_words: usize,
    notes: Vec<String>,
    /// Every word-list file read (for the release manifest).
    files: Vec<PathBuf>,
}

thread_local! {
    static FOLDED: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Folding buffers above this size are released after use.
const KEEP_BUFFER_BYTES: usize = 4 << 20;

/// A ratio with 4 significant digits and no trailing zeros (`0.025`, `0.008333`, `0`).
pub fn fmt_ratio(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let decimals = (3 - x.abs().log10().floor() as i32).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

impl WordsFilter {
    /// Human-readable facts (languages covered, list sizes), for `tamis check`.
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// Canonical tags that have a list.
    pub fn languages(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.rules.keys().map(String::as_str).collect();
        v.sort();
        v
    }

    fn rule_for(&self, tag: &str) -> Option<&LangRule> {
        if let Some(r) = self.rules.get(tag) {
            return Some(r);
        }
        // Language ID writes canonical tags (`swh_Latn`): a miss is a language without a list.
        // Other forms (`fr`, `__label__fr`, from input fields) are mapped.
        let b = tag.as_bytes();
        if b.len() == 8 && b[3] == b'_' && b[..3].iter().all(u8::is_ascii_lowercase) {
            return None;
        }
        crate::lang::canonical(tag).and_then(|t| self.rules.get(&t))
    }

    /// The verdict for `text` in language `lang` (`None`: the `untagged_languages`).
    pub fn check_text(&self, lang: Option<&str>, text: &str) -> Verdict {
        match lang {
            Some(tag) => match self.rule_for(tag) {
                Some(r) => self.apply(r, text),
                None => Verdict::Keep,
            },
            None => {
                for t in &self.untagged {
                    if let Some(r) = self.rules.get(t) {
                        let v = self.apply(r, text);
                        if v != Verdict::Keep {
                            return v;
                        }
                    }
                }
                Verdict::Keep
            }
        }
    }

    /// What the filter sees in `text` as language `lang` (every list's hits, even below the
    /// threshold), or `None` when the language has no list. For audits and tests.
    pub fn report(&self, lang: &str, text: &str) -> Option<WordsReport> {
        let r = self.rule_for(lang)?;
        let mut folded = String::new();
        fold_into(text, &mut folded);
        let mut hits = r.matcher.scan(&folded);
        hits.resize(r.names.len(), ListHits::default());
        Some(WordsReport {
            lang: r.lang.clone(),
            words: count_words(&folded),
            max_ratio: r.max_ratio,
            min_count: r.min_count,
            lists: r.names.iter().cloned().zip(hits).collect(),
        })
    }

    fn apply(&self, r: &LangRule, text: &str) -> Verdict {
        FOLDED.with(|buf| {
            let mut folded = buf.borrow_mut();
            fold_into(text, &mut folded);
            let v = self.judge(r, &folded);
            if folded.capacity() > KEEP_BUFFER_BYTES {
                *folded = String::new();
            }
            v
        })
    }

    fn judge(&self, r: &LangRule, folded: &str) -> Verdict {
        let hits = r.matcher.scan(folded);
        if hits.iter().all(|h| h.count == 0) {
            return Verdict::Keep;
        }
        let words = count_words(folded).max(1);
        for (name, h) in r.names.iter().zip(&hits) {
            if h.count < r.min_count {
                continue;
            }
            let ratio = h.count as f64 / words as f64;
            if ratio > r.max_ratio {
                let shown = h.words.len().min(self.max_detail_words);
                let mut listed = h.words[..shown].join(", ");
                if h.words.len() > shown {
                    listed.push_str(&format!(", … (+{} more)", h.words.len() - shown));
                }
                return Verdict::drop(
                    "banned_words",
                    format!(
                        "{name}/{}: {} of {words} words ({} > {}): {listed}",
                        r.lang,
                        h.count,
                        fmt_ratio(ratio),
                        fmt_ratio(r.max_ratio)
                    ),
                );
            }
        }
        Verdict::Keep
    }
}

impl DocFilter for WordsFilter {
    fn stage(&self) -> &'static str {
        "words"
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }

    fn assets(&self) -> Vec<PathBuf> {
        self.files.clone()
    }

    fn check(&self, doc: &mut Doc) -> Verdict {
        if doc.kind == Kind::Code {
            return Verdict::Keep;
        }
        self.check_text(doc.lang.as_deref(), &doc.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::settings::LangSettings;

    fn build(
        lists: &[(&str, &[(&str, &str)])],
        settings: &[(&str, &str)],
    ) -> (WordsFilter, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let mut cfg = WordsFilterConfig {
            lists: Vec::new(),
            ..Default::default()
        };
        for (name, files) in lists {
            let d = dir.path().join(name);
            std::fs::create_dir_all(&d).unwrap();
            for (f, text) in *files {
                std::fs::write(d.join(f), text).unwrap();
            }
            cfg.lists.push(WordListConfig {
                name: name.to_string(),
                path: d,
            });
        }
        let sd = dir.path().join("settings");
        std::fs::create_dir_all(&sd).unwrap();
        for (f, text) in settings {
            std::fs::write(sd.join(f), text).unwrap();
        }
        let ctx = BuildCtx {
            settings: LangSettings::load(&sd).unwrap(),
            assets: dir.path().join("assets"),
            list_cache: None,
        };
        (cfg.build(&ctx).unwrap(), dir)
    }

    fn text_of(n: usize, planted: &[&str]) -> String {
        let mut words: Vec<String> = (0..n).map(|i| format!("mot{i}")).collect();
        for (i, p) in planted.iter().enumerate() {
            words[i * 7 + 3] = p.to_string();
        }
        words.join(" ")
    }

    #[test]
    fn ratio_threshold_and_detail() {
        let (f, _d) = build(
            &[(
                "ldnoobw",
                &[("fr.json", r#"["merde", "bite", "brouter le cresson"]"#)],
            )],
            &[("default.toml", "[words]\nmax_ratio = 0.01\n")],
        );
        // 1 of 100 words: ratio 0.01 is not above 0.01.
        assert_eq!(
            f.check_text(Some("fra_Latn"), &text_of(100, &["Merde"])),
            Verdict::Keep
        );
        let v = f.check_text(
            Some("fra_Latn"),
            &text_of(120, &["merde", "MERDE", "brouter le cresson"]),
        );
        assert_eq!(
            v,
            Verdict::drop(
                "banned_words",
                "ldnoobw/fra_Latn: 3 of 122 words (0.02459 > 0.01): merde, brouter le cresson"
            )
        );
        // Accepts any tag form; other languages have no list and are kept.
        assert_ne!(
            f.check_text(Some("fr"), &text_of(20, &["bite", "bite"])),
            Verdict::Keep
        );
        assert_eq!(
            f.check_text(Some("deu_Latn"), "merde merde merde"),
            Verdict::Keep
        );
        // `bite` inside a longer word is not a match.
        assert_eq!(
            f.check_text(Some("fra_Latn"), "bitekorten bitepour"),
            Verdict::Keep
        );
    }

    #[test]
    fn zero_tolerance_per_language_and_untagged_documents() {
        let (f, _d) = build(
            &[("l", &[("en.txt", "darn\n"), ("fr.txt", "zut\n")])],
            &[
                ("default.toml", "[words]\nmax_ratio = 0.5\n"),
                ("eng_Latn.toml", "[words]\nmax_ratio = 0\n"),
            ],
        );
        let long = format!("{} darn", text_of(500, &[]));
        assert!(matches!(
            f.check_text(Some("eng_Latn"), &long),
            Verdict::Drop { .. }
        ));
        // No language: checked as English (the default untagged language).
        assert!(matches!(f.check_text(None, &long), Verdict::Drop { .. }));
        assert_eq!(
            f.check_text(Some("fra_Latn"), &format!("{} zut", text_of(10, &[]))),
            Verdict::Keep
        );
    }

    #[test]
    fn settings_choose_lists_and_can_disable_a_language() {
        let (f, _d) = build(
            &[
                ("a", &[("en.txt", "alpha\n")]),
                ("b", &[("en.txt", "beta\n"), ("de.txt", "gamma\n")]),
            ],
            &[
                ("default.toml", "[words]\nmax_ratio = 0\n"),
                ("eng_Latn.toml", "[words]\nlists = [\"b\"]\n"),
                ("deu_Latn.toml", "[words]\nenabled = false\n"),
            ],
        );
        assert_eq!(f.check_text(Some("eng_Latn"), "alpha"), Verdict::Keep);
        assert_eq!(
            f.check_text(Some("eng_Latn"), "beta"),
            Verdict::drop("banned_words", "b/eng_Latn: 1 of 1 words (1 > 0): beta")
        );
        assert_eq!(f.check_text(Some("deu_Latn"), "gamma"), Verdict::Keep);
        assert_eq!(f.languages(), ["eng_Latn"]);
    }

    #[test]
    fn min_count_spares_a_single_occurrence() {
        let (f, _d) = build(
            &[("l", &[("en.txt", "sex\n")])],
            &[("default.toml", "[words]\nmax_ratio = 0.01\nmin_count = 2\n")],
        );
        assert_eq!(
            f.check_text(Some("eng_Latn"), "distinction of race, colour, sex"),
            Verdict::Keep
        );
        assert!(matches!(
            f.check_text(Some("eng_Latn"), "sex sex and more"),
            Verdict::Drop { .. }
        ));
    }

    #[test]
    fn ignored_entries_never_match() {
        let (f, _d) = build(
            &[("l", &[("zh.txt", "性\n做爱\n")])],
            &[
                ("default.toml", "[words]\nmax_ratio = 0\n"),
                ("zho_Hans.toml", "[words]\nignore = [\"性\"]\n"),
            ],
        );
        assert_eq!(
            f.check_text(Some("zho_Hans"), "人人不分性别"),
            Verdict::Keep
        );
        assert!(matches!(
            f.check_text(Some("zho_Hans"), "他们做爱"),
            Verdict::Drop { .. }
        ));
        assert!(
            f.notes().iter().any(|n| n.contains("1 ignored")),
            "{:?}",
            f.notes()
        );
    }

    #[test]
    fn detail_caps_the_words_listed() {
        let (f, _d) = build(
            &[("l", &[("en.txt", "a1\na2\na3\na4\n")])],
            &[("default.toml", "[words]\nmax_ratio = 0\n")],
        );
        let f = WordsFilter {
            max_detail_words: 2,
            ..f
        };
        let Verdict::Drop { detail, .. } = f.check_text(Some("eng_Latn"), "a1 a2 a3 a4 a1") else {
            panic!()
        };
        assert_eq!(
            detail,
            "l/eng_Latn: 5 of 5 words (1 > 0): a1, a2, … (+2 more)"
        );
    }

    #[test]
    fn bad_settings_and_missing_lists_are_problems() {
        let dir = tempfile::tempdir().unwrap();
        let sd = dir.path().join("settings");
        std::fs::create_dir_all(&sd).unwrap();
        std::fs::write(sd.join("default.toml"), "[words]\nmax_ratio = 2.0\n").unwrap();
        let l = dir.path().join("l");
        std::fs::create_dir_all(&l).unwrap();
        std::fs::write(l.join("en.txt"), "x\n").unwrap();
        let cfg = WordsFilterConfig {
            lists: vec![
                WordListConfig {
                    name: "l".into(),
                    path: l,
                },
                WordListConfig {
                    name: "ldnoobw".into(),
                    path: "assets:naughty-words".into(),
                },
            ],
            untagged_languages: vec!["klingonish".into()],
            max_detail_words: 8,
        };
        let ctx = BuildCtx {
            settings: LangSettings::load(&sd).unwrap(),
            assets: dir.path().join("assets"),
            list_cache: None,
        };
        let problems = cfg.build(&ctx).err().unwrap();
        let ats: Vec<&str> = problems.iter().map(|p| p.at.as_str()).collect();
        assert!(ats.contains(&"filters.words.lists[1].path"), "{problems:?}");
        assert!(
            ats.contains(&"filters.words.untagged_languages[0]"),
            "{problems:?}"
        );
        assert!(
            ats.iter()
                .any(|a| a.ends_with("default.toml [words] max_ratio")),
            "{problems:?}"
        );
    }

    #[test]
    fn ratios_print_short() {
        assert_eq!(fmt_ratio(0.025), "0.025");
        assert_eq!(fmt_ratio(0.01), "0.01");
        assert_eq!(fmt_ratio(1.0 / 120.0), "0.008333");
        assert_eq!(fmt_ratio(0.0), "0");
        assert_eq!(fmt_ratio(1.0), "1");
    }
}
