//! Quality heuristics for every language: Gopher document and repetition rules, C4 line cleaning
//! and FineWeb document rules, each switchable and with its threshold per language in `filters/`
//! (`[quality]` of `default.toml`, overridden key by key in `<tag>.toml`). Words are counted per
//! script ([`text`]); stop words come from `lists/stopwords/<tag>.txt`. Code documents skip these
//! natural-language rules. A drop's `reason` is the rule's name and its `detail` the measured
//! value against the threshold (`gopher_dup_line_frac: 0.42 > 0.30`).

pub mod c4;
pub mod fineweb;
pub mod gopher;
pub mod repetition;
pub mod settings;
pub mod stopwords;
pub mod text;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::{BuildCtx, DocFilter};
use crate::config::ConfigProblem;
use crate::doc::{Doc, Kind, Verdict};
use settings::{Limit, QualitySettings, WordUnit};
use stopwords::StopWords;
use text::{Unit, Word};

/// `[filters.quality]` in a pipeline: whether and how the quality rules run. Thresholds live in
/// the per-language settings (`filters/*.toml`, table `[quality]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityFilterConfig {
    /// Code documents (`kind = code`) skip the natural-language rules.
    pub skip_code: bool,
    /// Folder of stop-word lists (`<tag>.txt`), relative to the working directory.
    pub stopwords_dir: PathBuf,
    /// Write the C4 line-removal counts into `metadata.quality` of kept documents.
    pub annotate: bool,
}

impl Default for QualityFilterConfig {
    fn default() -> Self {
        QualityFilterConfig {
            skip_code: true,
            stopwords_dir: PathBuf::from("lists/stopwords"),
            annotate: true,
        }
    }
}

impl QualityFilterConfig {
    /// Problems visible without loading anything.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        Vec::new()
    }

    /// Build the filter: resolve the settings and stop words of every language that has a
    /// settings file or a stop-word list, plus the default.
    pub fn build(&self, ctx: &BuildCtx) -> Result<QualityFilter, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let mut langs: Vec<String> = ctx.settings.languages().map(String::from).collect();
        if let Ok(rd) = std::fs::read_dir(&self.stopwords_dir) {
            for e in rd.flatten() {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "txt") {
                    if let Some(stem) = p.file_stem().and_then(|s| s.to_str()) {
                        if crate::lang::canonical(stem).as_deref() == Some(stem) {
                            langs.push(stem.to_string());
                        }
                    }
                }
            }
        }
        langs.sort();
        langs.dedup();
        let default = match Profile::build(self, ctx, None) {
            Ok(p) => Some(Arc::new(p)),
            Err(e) => {
                problems.extend(e);
                None
            }
        };
        let mut profiles = HashMap::new();
        for l in &langs {
            match Profile::build(self, ctx, Some(l)) {
                Ok(p) => {
                    profiles.insert(l.clone(), Arc::new(p));
                }
                Err(e) => problems.extend(e),
            }
        }
        match default {
            Some(default) if problems.is_empty() => Ok(QualityFilter {
                cfg: self.clone(),
                default,
                profiles,
            }),
            _ => Err(problems),
        }
    }
}

/// The section of `filters/*.toml` the quality rules read.
pub const SECTION: &str = "quality";
/// Sub-table of `[quality]` applied on top when words are counted as characters (scripts
/// without spaces): `[quality.spaceless]`.
pub const SPACELESS: &str = "spaceless";

/// Merge `over` into `into`, key by key (tables recursively).
fn merge(into: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (into.get_mut(k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The raw `[quality]` table in force for `lang` with words counted as `unit`: `default.toml`,
/// then (for character units) its `[quality.spaceless]`, then the language's file, then (for
/// character units) the language's `[quality.spaceless]`.
pub fn raw_settings(
    ls: &super::settings::LangSettings,
    lang: Option<&str>,
    unit: Unit,
) -> toml::Table {
    let mut t = ls.default_section(SECTION).cloned().unwrap_or_default();
    let sub = |t: &toml::Table| match t.get(SPACELESS) {
        Some(toml::Value::Table(x)) => Some(x.clone()),
        _ => None,
    };
    let default_sub = sub(&t);
    if let (Unit::Chars, Some(x)) = (unit, &default_sub) {
        merge(&mut t, x);
    }
    if let Some(own) = lang.and_then(|l| ls.own_section(l, SECTION)) {
        merge(&mut t, own);
        if let (Unit::Chars, Some(x)) = (unit, sub(own)) {
            merge(&mut t, &x);
        }
    }
    t.remove(SPACELESS);
    t
}

/// The resolved settings of one language, for words and for character units.
#[derive(Debug)]
pub struct Profile {
    /// Rules when words are whitespace-separated.
    pub words: Rules,
    /// Rules when words are counted as characters.
    pub chars: Rules,
}

/// Settings and the objects built from them.
#[derive(Debug)]
pub struct Rules {
    /// The merged `[quality]` table.
    pub settings: QualitySettings,
    /// Stop words, when the language has a list and the rule is on.
    pub stopwords: Option<StopWords>,
    /// Where the stop words came from.
    pub stopwords_path: Option<PathBuf>,
    extra_terminal: Vec<char>,
    matcher: AhoCorasick,
}

impl Profile {
    /// Resolve the settings of `lang` (`None`: the default).
    pub fn build(
        cfg: &QualityFilterConfig,
        ctx: &BuildCtx,
        lang: Option<&str>,
    ) -> Result<Profile, Vec<ConfigProblem>> {
        let at = |unit: Unit| {
            let file = lang
                .filter(|l| ctx.settings.own_section(l, SECTION).is_some())
                .unwrap_or("default");
            let table = if unit == Unit::Chars {
                "[quality] + [quality.spaceless]"
            } else {
                "[quality]"
            };
            format!("{}/{file}.toml {table}", ctx.settings.dir().display())
        };
        let mut problems = Vec::new();
        let mut rules = Vec::new();
        for unit in [Unit::Words, Unit::Chars] {
            let raw = raw_settings(&ctx.settings, lang, unit);
            let r = toml::Value::Table(raw)
                .try_into::<QualitySettings>()
                .map_err(|e| {
                    vec![ConfigProblem {
                        at: at(unit),
                        message: e.to_string(),
                    }]
                })
                .and_then(|s| Rules::new(s, &cfg.stopwords_dir, lang, &at(unit)));
            match r {
                Ok(r) => rules.push(r),
                Err(e) => problems.extend(e),
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let chars = rules.pop().expect("two units");
        let words = rules.pop().expect("two units");
        Ok(Profile { words, chars })
    }

    fn unit(&self, lang: Option<&str>, text: &str) -> Unit {
        match self.words.settings.word_unit {
            WordUnit::Words => Unit::Words,
            WordUnit::Chars => Unit::Chars,
            WordUnit::Auto => match lang.and_then(crate::lang::script_part) {
                Some(script) if crate::lang::script_without_spaces(script) => Unit::Chars,
                Some(_) => Unit::Words,
                None => text::guess_unit(text),
            },
        }
    }

    /// The rules for a unit.
    pub fn rules(&self, unit: Unit) -> &Rules {
        match unit {
            Unit::Words => &self.words,
            Unit::Chars => &self.chars,
        }
    }
}

impl Rules {
    /// Rules from merged settings; `at` names the settings for error messages.
    pub fn new(
        settings: QualitySettings,
        stopwords_dir: &Path,
        lang: Option<&str>,
        at: &str,
    ) -> Result<Rules, Vec<ConfigProblem>> {
        let problem = |message: String| {
            vec![ConfigProblem {
                at: at.to_string(),
                message,
            }]
        };
        let path = match settings.stopwords.as_str() {
            "none" => None,
            "auto" => lang
                .map(|l| stopwords_dir.join(format!("{l}.txt")))
                .filter(|p| p.is_file()),
            p => Some(PathBuf::from(p)),
        };
        let stopwords = match (&path, settings.gopher_min_stop_words) {
            (Some(p), Limit::At(_)) => {
                Some(StopWords::load(p).map_err(|e| problem(format!("stopwords: {e}")))?)
            }
            _ => None,
        };
        let matcher = c4::boilerplate_matcher(&settings)
            .map_err(|e| problem(format!("c4_policy_phrases: {e}")))?;
        Ok(Rules {
            extra_terminal: settings.extra_terminal_punctuation.chars().collect(),
            settings,
            stopwords,
            stopwords_path: path,
            matcher,
        })
    }
}

/// A rule that failed: its name and the measured value against the threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Fail {
    /// The rule's name (the drop reason).
    pub rule: &'static str,
    /// `rule: value > threshold`.
    pub detail: String,
}

/// A number as written in details: integers plain, ratios with two decimals at least.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        return format!("{x:.0}");
    }
    let s = format!("{x:.3}");
    let t = s.trim_end_matches('0');
    if t.len() < s.len() - 1 {
        format!("{x:.2}")
    } else {
        t.to_string()
    }
}

/// Fail when `value > limit`.
pub(crate) fn above(rule: &'static str, value: f64, limit: Limit) -> Result<(), Fail> {
    match limit {
        Limit::At(t) if value > t => Err(Fail {
            rule,
            detail: format!("{rule}: {} > {}", num(value), num(t)),
        }),
        _ => Ok(()),
    }
}

/// Fail when `value < limit`.
pub(crate) fn below(rule: &'static str, value: f64, limit: Limit) -> Result<(), Fail> {
    match limit {
        Limit::At(t) if value < t => Err(Fail {
            rule,
            detail: format!("{rule}: {} < {}", num(value), num(t)),
        }),
        _ => Ok(()),
    }
}

/// One document prepared for the rules.
pub struct View<'a> {
    /// The text.
    pub text: &'a str,
    /// Its length in characters.
    pub chars: usize,
    /// Non-blank lines.
    pub lines: Vec<&'a str>,
    /// Words (or character units).
    pub words: Vec<Word<'a>>,
    /// How words were counted.
    pub unit: Unit,
}

impl<'a> View<'a> {
    /// Measure a text.
    pub fn new(text: &'a str, unit: Unit) -> View<'a> {
        let mut words = Vec::new();
        text::words_into(text, unit, &mut words);
        View {
            text,
            chars: if text.is_ascii() {
                text.len()
            } else {
                text.chars().count()
            },
            lines: text::lines(text).collect(),
            words,
            unit,
        }
    }
}

/// The outcome of the rules on one text.
#[derive(Debug)]
pub struct Outcome {
    /// Cleaned text when C4 removed lines or citation marks.
    pub text: Option<String>,
    /// Lines removed per C4 line rule.
    pub removed: [u32; 5],
    /// Citation marks removed.
    pub citations: u32,
}

impl Profile {
    /// Run every rule on `text` (already known to be natural language).
    pub fn evaluate(&self, lang: Option<&str>, text: &str) -> Result<Outcome, Fail> {
        let unit = self.unit(lang, text);
        self.rules(unit).evaluate(unit, text)
    }
}

impl Rules {
    /// Run every rule on `text` with words counted as `unit`.
    pub fn evaluate(&self, unit: Unit, text: &str) -> Result<Outcome, Fail> {
        let s = &self.settings;
        let v = View::new(text, unit);
        gopher::check(&v, s, self.stopwords.as_ref())?;
        repetition::check(&v, s)?;
        let cleaned = c4::check(text, unit, s, &self.extra_terminal, &self.matcher)?;
        match &cleaned.text {
            Some(t) => {
                let lines: Vec<&str> = text::lines(t).collect();
                fineweb::check(
                    t,
                    &lines,
                    text::count_words(t, unit),
                    s,
                    &self.extra_terminal,
                )?
            }
            None => fineweb::check(text, &v.lines, v.words.len(), s, &self.extra_terminal)?,
        }
        Ok(Outcome {
            text: cleaned.text,
            removed: cleaned.removed,
            citations: cleaned.citations,
        })
    }
}

/// The quality filter: per-language profiles resolved at build time.
pub struct QualityFilter {
    cfg: QualityFilterConfig,
    default: Arc<Profile>,
    profiles: HashMap<String, Arc<Profile>>,
}

impl QualityFilter {
    /// The profile in force for a language.
    pub fn profile(&self, lang: Option<&str>) -> &Profile {
        lang.and_then(|l| self.profiles.get(l))
            .unwrap_or(&self.default)
    }
}

impl DocFilter for QualityFilter {
    fn stage(&self) -> &'static str {
        "quality"
    }

    fn assets(&self) -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::iter::once(&self.default)
            .chain(self.profiles.values())
            .flat_map(|p| [&p.words, &p.chars])
            .filter_map(|r| r.stopwords_path.clone())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    fn check(&self, doc: &mut Doc) -> Verdict {
        if doc.kind == Kind::Code && self.cfg.skip_code {
            return Verdict::Keep;
        }
        let lang = doc.lang.as_deref();
        let out = match self.profile(lang).evaluate(lang, &doc.text) {
            Ok(o) => o,
            Err(f) => return Verdict::drop(f.rule, f.detail),
        };
        if let Some(t) = out.text {
            doc.text = t;
            if self.cfg.annotate {
                let mut m = Map::new();
                for (rule, n) in c4::LINE_RULES.iter().zip(out.removed) {
                    if n > 0 {
                        m.insert((*rule).to_string(), json!(n));
                    }
                }
                if out.citations > 0 {
                    m.insert("c4_citations".into(), json!(out.citations));
                }
                doc.metadata.insert("quality".into(), Value::Object(m));
            }
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests;
