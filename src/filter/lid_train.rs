//! Training a supplementary language-ID model and measuring it on held-out text.
//!
//! lid.176 has no label for most of BLOOM's Niger-Congo languages (Zulu, Igbo, Wolof, …) and
//! gives low scores to others (Swahili). `tamis lid train` learns those languages from text
//! folders (one file per language, one paragraph per line, named by any tag form: `zu.txt`,
//! `zul_Latn.txt`) plus an `other` class made of everything else, so that the combined
//! [`Identifier`] answers with the supplement when it names one of its languages and defers to
//! the main model otherwise.
//!
//! Held-out text is cut by line: every `n`-th paragraph of each language (and of the `other`
//! text) is kept out of training and scored afterwards, with the main model alone and with the
//! combination, so the report says what the supplement adds and what it takes from others.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use tamis_fasttext::train::{train, TrainOptions};

use tamis_fasttext::Model;

use super::lid::Identifier;

/// Label of the class that defers to the main model.
pub const OTHER_LABEL: &str = "__label__other";

/// Paragraphs at least this long count as paragraphs in the report; shorter lines (titles,
/// "Article 1") are reported apart, since no model is reliable on a couple of words.
pub const PARAGRAPH_MIN_CHARS: usize = 50;

/// Everything a supplement is trained and evaluated on.
#[derive(Debug, Default)]
pub struct TrainingSet {
    /// The supplement's languages, by canonical tag: their lines.
    pub languages: BTreeMap<String, Vec<String>>,
    /// Times each supplement line is repeated in the training text.
    pub repeat: usize,
    /// At most this many lines of each other language are trained on (0: all).
    pub other_cap: usize,
    /// Text of other languages (the `other` class), by canonical tag (`und` when unknown).
    pub other: BTreeMap<String, Vec<String>>,
}

/// Cross-validation folds: line `i` of a supplement language is held out in fold `i % folds`
/// (different paragraphs of the same text); another language is held out whole, in the fold its
/// tag hashes to, so that taking text of unseen languages for one of the supplement's is
/// measured too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fold {
    /// This fold.
    pub index: usize,
    /// Number of folds.
    pub count: usize,
}

impl Fold {
    /// Whether line `i` of a supplement language is held out.
    pub fn holds_line(&self, i: usize) -> bool {
        i % self.count == self.index
    }
    /// Whether another language is held out whole.
    pub fn holds_language(&self, tag: &str) -> bool {
        fold_of_language(tag, self.count) == self.index
    }
}

/// The fold another language is held out in.
pub fn fold_of_language(tag: &str, count: usize) -> usize {
    (xxhash_rust::xxh3::xxh3_64(tag.as_bytes()) % count.max(1) as u64) as usize
}

/// The non-empty lines of a text file, trimmed, with fastText separators turned into spaces
/// (a training line must stay one line).
fn read_lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let bytes = read_maybe_gz(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| anyhow::anyhow!("{}: not UTF-8 ({e})", path.display()))?;
    Ok(text
        .lines()
        .map(clean_line)
        .filter(|l| !l.is_empty())
        .collect())
}

fn clean_line(l: &str) -> String {
    l.split(|c: char| c.is_whitespace() || c == '\0')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A file's bytes, gunzipped when it is gzip (the list files' reader).
fn read_maybe_gz(path: &Path) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    super::lists::open(path)?
        .read_to_end(&mut out)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(out)
}

/// The canonical tag a text file stands for: its name without `.txt` (`zu.txt`, `zul_Latn.txt`).
pub fn tag_of_file(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".txt")?;
    crate::lang::canonical(stem)
}

/// The `*.txt` files of `dir` with the language each stands for, sorted by file name; files
/// whose name is no language tag are left out (e.g. `README.txt`).
pub fn language_files(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        if let Some(tag) = tag_of_file(&path) {
            files.push((tag, path));
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(files)
}

impl TrainingSet {
    /// Adds the text files of `dir` for the languages `only` (canonical tags; empty: every
    /// language file). Two files for one language are appended in file-name order.
    pub fn add_language_dir(&mut self, dir: &Path, only: &[String]) -> anyhow::Result<()> {
        let files = language_files(dir)?;
        for want in only {
            if !files.iter().any(|(t, _)| t == want) {
                bail!("{}: no text file for {want}", dir.display());
            }
        }
        for (tag, path) in files {
            if !only.is_empty() && !only.contains(&tag) {
                continue;
            }
            let lines = read_lines(&path)?;
            self.languages.entry(tag).or_default().extend(lines);
        }
        Ok(())
    }

    /// Adds text of other languages: a folder of language files, a plain text file (language
    /// unknown), or a TSV (optionally gzipped) with a header naming a `text` column and a
    /// language column (`bcp47`, `iso639_3`, `lang` or `language`). Lines in one of the
    /// supplement's languages are skipped, so call this after the language folders.
    pub fn add_other(&mut self, path: &Path) -> anyhow::Result<()> {
        let mut by_tag: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if path.is_dir() {
            for (tag, file) in language_files(path)? {
                by_tag.entry(tag).or_default().extend(read_lines(&file)?);
            }
        } else if is_tsv(path) {
            let bytes = read_maybe_gz(path)?;
            let text = String::from_utf8(bytes)
                .map_err(|e| anyhow::anyhow!("{}: not UTF-8 ({e})", path.display()))?;
            let mut rows = text.lines();
            let header: Vec<&str> = rows.next().unwrap_or("").split('\t').collect();
            let col = |names: &[&str]| header.iter().position(|h| names.contains(h));
            let text_col =
                col(&["text"]).with_context(|| format!("{}: no `text` column", path.display()))?;
            let lang_cols: Vec<usize> = ["bcp47", "iso639_3", "lang", "language"]
                .iter()
                .filter_map(|n| col(&[n]))
                .collect();
            for (i, row) in rows.enumerate() {
                let fields: Vec<&str> = row.split('\t').collect();
                let Some(t) = fields.get(text_col) else {
                    bail!("{}:{}: no text field", path.display(), i + 2);
                };
                let tags: Vec<String> = lang_cols
                    .iter()
                    .filter_map(|&c| fields.get(c).and_then(|v| crate::lang::canonical(v)))
                    .collect();
                if tags.iter().any(|t| self.languages.contains_key(t)) {
                    continue;
                }
                // A language our tag table does not know keeps its own code (held out on its
                // own in cross-validation), or `und`.
                let raw = lang_cols
                    .iter()
                    .filter_map(|&c| fields.get(c))
                    .map(|v| v.trim().to_ascii_lowercase())
                    .find(|v| !v.is_empty());
                let tag = tags
                    .into_iter()
                    .next()
                    .or(raw)
                    .unwrap_or_else(|| "und".into());
                let line = clean_line(t);
                if !line.is_empty() {
                    by_tag.entry(tag).or_default().push(line);
                }
            }
        } else {
            by_tag
                .entry("und".into())
                .or_default()
                .extend(read_lines(path)?);
        }
        for (tag, lines) in by_tag {
            if self.languages.contains_key(&tag) {
                continue;
            }
            self.other.entry(tag).or_default().extend(lines);
        }
        Ok(())
    }

    /// The training text in fastText's format, without what `fold` holds out (`None`: all of
    /// it), lines shuffled by `seed` (SGD over a file sorted by language would end on one
    /// language with the smallest learning rate).
    pub fn fasttext_input(&self, fold: Option<Fold>, seed: u64) -> String {
        let mut lines: Vec<String> = Vec::new();
        for (tag, ls) in &self.languages {
            for (i, l) in ls.iter().enumerate() {
                if !fold.is_some_and(|f| f.holds_line(i)) {
                    for _ in 0..self.repeat.max(1) {
                        lines.push(format!("__label__{tag} {l}"));
                    }
                }
            }
        }
        for (tag, ls) in &self.other {
            if fold.is_some_and(|f| f.holds_language(tag)) {
                continue;
            }
            let cap = if self.other_cap == 0 {
                ls.len()
            } else {
                self.other_cap
            };
            for l in ls.iter().take(cap) {
                lines.push(format!("{OTHER_LABEL} {l}"));
            }
        }
        shuffle(&mut lines, seed);
        let mut out = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
        for l in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out
    }

    /// Trains the supplement without what `fold` holds out.
    pub fn train(&self, fold: Option<Fold>, options: &TrainOptions) -> anyhow::Result<Vec<u8>> {
        if self.languages.is_empty() {
            bail!("no language text to train on");
        }
        let input = self.fasttext_input(fold, options.seed);
        let trained = train(&input, options).map_err(|e| anyhow::anyhow!("training: {e}"))?;
        Ok(trained.bytes)
    }
}

fn is_tsv(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".tsv") || name.ends_with(".tsv.gz")
}

/// Fisher–Yates on the project's SplitMix64: the same order for the same seed on every machine.
fn shuffle<T>(items: &mut [T], seed: u64) {
    let mut rng = crate::bench::gen::Rng::new(seed ^ 0x9E37_79B9_7F4A_7C15);
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// Scores of one language in the report.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LangScore {
    /// Held-out paragraphs (≥ [`PARAGRAPH_MIN_CHARS`]).
    pub paragraphs: usize,
    /// Paragraphs the main model alone gets right.
    pub main_correct: usize,
    /// Paragraphs the combination gets right.
    pub combined_correct: usize,
    /// Paragraphs the combination gets right with Akan and Twi told apart.
    pub strict_correct: usize,
    /// Shorter held-out lines, and how many the combination gets right.
    pub short: usize,
    /// Short lines right.
    pub short_correct: usize,
    /// The most frequent wrong answer of the combination on paragraphs, with its count.
    pub top_confusion: Option<(String, usize)>,
}

impl LangScore {
    /// Accuracy of the combination on paragraphs.
    pub fn combined_accuracy(&self) -> f64 {
        ratio(self.combined_correct, self.paragraphs)
    }
    /// Accuracy of the main model alone on paragraphs.
    pub fn main_accuracy(&self) -> f64 {
        ratio(self.main_correct, self.paragraphs)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Whether a guessed tag counts as the expected one: the same canonical tag, script included,
/// except that Akan (`aka`) and Twi (`twi`) count as one language. ISO 639-3 makes Twi a member
/// of the Akan macrolanguage, and BLOOM's Akan text is Akuapem Twi while its "Twi" is Asante
/// Twi: telling them apart is dialect identification (the strict score is in the report too).
pub fn matches(guess: &str, expected: &str) -> bool {
    guess == expected || (is_akan(guess) && is_akan(expected))
}

fn is_akan(tag: &str) -> bool {
    tag == "aka_Latn" || tag == "twi_Latn"
}

impl LangScore {
    fn add(&mut self, o: &LangScore) {
        self.paragraphs += o.paragraphs;
        self.main_correct += o.main_correct;
        self.combined_correct += o.combined_correct;
        self.strict_correct += o.strict_correct;
        self.short += o.short;
        self.short_correct += o.short_correct;
    }
}

/// What one fold measured.
#[derive(Default)]
struct FoldResult {
    /// Per language: scores and wrong answers with their counts.
    scores: Vec<(String, LangScore, BTreeMap<String, usize>)>,
    taken: usize,
    other_lines: usize,
    taken_by_language: BTreeMap<String, (usize, usize)>,
}

/// Scores lines of one language, and counts its wrong answers on paragraphs.
fn score_lines(
    id: &Identifier,
    tag: &str,
    lines: &[&String],
) -> (LangScore, BTreeMap<String, usize>) {
    let mut s = LangScore::default();
    let mut wrong: BTreeMap<String, usize> = BTreeMap::new();
    for l in lines {
        let combined = id.identify(l).map(|g| g.tag).unwrap_or_default();
        let ok = matches(&combined, tag);
        if l.chars().count() >= PARAGRAPH_MIN_CHARS {
            s.paragraphs += 1;
            let main = id.identify_main(l).map(|g| g.tag).unwrap_or_default();
            s.main_correct += usize::from(matches(&main, tag));
            s.combined_correct += usize::from(ok);
            s.strict_correct += usize::from(combined == tag);
            if combined != tag {
                *wrong.entry(combined).or_default() += 1;
            }
        } else {
            s.short += 1;
            s.short_correct += usize::from(ok);
        }
    }
    (s, wrong)
}

/// What cross-validation measured.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Per language, each line scored by the fold model that did not see it.
    pub scores: BTreeMap<String, LangScore>,
    /// Lines of other languages (held out whole) that the supplement took for one of its own.
    pub taken: usize,
    /// Lines of other languages scored.
    pub other_lines: usize,
    /// Per other language: lines taken, lines scored.
    pub taken_by_language: BTreeMap<String, (usize, usize)>,
}

/// Trains one model per fold and scores what each fold holds out: the supplement's languages
/// line by line, and `extra` (the main model's languages, all their lines) with the fold that
/// holds the language out. Folds train in parallel; the result does not depend on the order.
pub fn cross_validate(
    set: &TrainingSet,
    folds: usize,
    options: &TrainOptions,
    main_model: &Path,
    min_score: f32,
    extra: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<Evaluation> {
    use rayon::prelude::*;
    let per_fold: Vec<anyhow::Result<FoldResult>> = (0..folds)
        .into_par_iter()
        .map(|index| {
            let fold = Fold {
                index,
                count: folds,
            };
            let bytes = set.train(Some(fold), options)?;
            let id = Identifier::from_parts(
                Model::load(main_model)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", main_model.display()))?,
                Some(Model::from_bytes(&bytes).map_err(|e| anyhow::anyhow!("{e}"))?),
                min_score,
            );
            let mut out = FoldResult::default();
            for (tag, lines) in &set.languages {
                let held: Vec<&String> = lines
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| fold.holds_line(*i))
                    .map(|(_, l)| l)
                    .collect();
                let (s, w) = score_lines(&id, tag, &held);
                out.scores.push((tag.clone(), s, w));
            }
            for (tag, lines) in extra {
                if set.languages.contains_key(tag) || !fold.holds_language(tag) {
                    continue;
                }
                let all: Vec<&String> = lines.iter().collect();
                let (s, w) = score_lines(&id, tag, &all);
                out.scores.push((tag.clone(), s, w));
            }
            for (tag, lines) in &set.other {
                if fold.holds_language(tag) {
                    let taken = lines
                        .iter()
                        .filter(|l| id.identify(l).is_some_and(|g| g.from_supplement))
                        .count();
                    out.other_lines += lines.len();
                    out.taken += taken;
                    out.taken_by_language
                        .insert(tag.clone(), (taken, lines.len()));
                }
            }
            Ok(out)
        })
        .collect();
    let mut eval = Evaluation::default();
    let mut wrong: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for fold in per_fold {
        let fold = fold?;
        eval.taken += fold.taken;
        eval.other_lines += fold.other_lines;
        eval.taken_by_language.extend(fold.taken_by_language);
        for (tag, s, w) in fold.scores {
            eval.scores.entry(tag.clone()).or_default().add(&s);
            let ww = wrong.entry(tag).or_default();
            for (t, n) in w {
                *ww.entry(t).or_default() += n;
            }
        }
    }
    for (tag, w) in wrong {
        if let Some(e) = eval.scores.get_mut(&tag) {
            e.top_confusion = w
                .into_iter()
                .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
        }
    }
    Ok(eval)
}

/// The report as Markdown: one row per language, BLOOM's first, with macro averages.
pub fn report_markdown(
    title: &str,
    eval: &Evaluation,
    supplement_langs: &[String],
    recipe: &str,
) -> String {
    let scores = &eval.scores;
    let stolen = (eval.taken, eval.other_lines);
    let bloom: Vec<&str> = crate::lang::BLOOM_LANGUAGES.to_vec();
    let mut out = String::new();
    let _ = writeln!(out, "# {title}\n");
    let _ = writeln!(out, "{recipe}\n");
    let macro_of = |filter: &dyn Fn(&str) -> bool, f: &dyn Fn(&LangScore) -> f64| {
        let v: Vec<f64> = scores
            .iter()
            .filter(|(t, s)| filter(t) && s.paragraphs > 0)
            .map(|(_, s)| f(s))
            .collect();
        (mean(&v), v.len())
    };
    let is_bloom = |t: &str| bloom.contains(&t);
    let (m_comb, n_bloom) = macro_of(&is_bloom, &|s| s.combined_accuracy());
    let (m_main, _) = macro_of(&is_bloom, &|s| s.main_accuracy());
    let (m_strict, _) = macro_of(&is_bloom, &|s| ratio(s.strict_correct, s.paragraphs));
    let (m_sup, n_sup) = macro_of(&|t| supplement_langs.iter().any(|x| x == t), &|s| {
        s.combined_accuracy()
    });
    let _ = writeln!(
        out,
        "**Macro accuracy over the {n_bloom} BLOOM languages with held-out paragraphs: \
         {m_comb:.3} combined** ({m_strict:.3} with Akan and Twi told apart; main model alone: \
         {m_main:.3}); over the supplement's {n_sup} \
         languages: {m_sup:.3}. Held-out lines of other languages taken by the supplement: \
         {} of {} ({:.2} %).\n",
        stolen.0,
        stolen.1,
        100.0 * ratio(stolen.0, stolen.1)
    );
    let mut most: Vec<(&String, &(usize, usize))> = eval
        .taken_by_language
        .iter()
        .filter(|(_, (t, _))| *t > 0)
        .collect();
    most.sort_by(|a, b| (b.1 .0 * a.1 .1).cmp(&(a.1 .0 * b.1 .1)).then(a.0.cmp(b.0)));
    if !most.is_empty() {
        let list: Vec<String> = most
            .iter()
            .take(10)
            .map(|(t, (n, m))| format!("{t} {n}/{m}"))
            .collect();
        let _ = writeln!(
            out,
            "Other languages the supplement takes most often (lines taken / scored): {}.\n",
            list.join(", ")
        );
    }
    let _ = writeln!(
        out,
        "| language | BLOOM | in supplement | paragraphs | main alone | combined | combined, strict | most frequent error | short lines right |"
    );
    let _ = writeln!(out, "|---|---|---|---:|---:|---:|---:|---|---:|");
    let mut rows: Vec<(&String, &LangScore)> = scores.iter().collect();
    rows.sort_by_key(|(t, _)| {
        (
            bloom.iter().position(|b| b == t).unwrap_or(usize::MAX),
            t.to_string(),
        )
    });
    for (tag, s) in rows {
        let conf = s
            .top_confusion
            .as_ref()
            .map(|(t, n)| format!("{} ×{n}", if t.is_empty() { "none" } else { t }))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| {tag} | {} | {} | {} | {:.3} | {:.3} | {:.3} | {conf} | {}/{} |",
            if is_bloom(tag) { "yes" } else { "" },
            if supplement_langs.contains(tag) {
                "yes"
            } else {
                ""
            },
            s.paragraphs,
            s.main_accuracy(),
            s.combined_accuracy(),
            ratio(s.strict_correct, s.paragraphs),
            s.short_correct,
            s.short,
        );
    }
    out
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

/// A supplement's recipe (`tamis lid train RECIPE.toml`): what to learn from and how. Paths
/// are relative to the working directory, as in pipelines; `shared:<rel>` is inside the shared
/// data folder (`$TAMIS_SHARED_DATA`, else `../shared/data`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// What the report is titled.
    #[serde(default = "default_title")]
    pub title: String,
    /// Folders of language files (`zu.txt`, …): the supplement's languages come from here.
    pub languages_dirs: Vec<PathBuf>,
    /// The supplement's languages (any tag form); empty: every language file of the folders.
    #[serde(default)]
    pub languages: Vec<String>,
    /// Text of other languages for the `other` class (folders, text files, TSVs).
    #[serde(default)]
    pub other: Vec<PathBuf>,
    /// Cross-validation folds for the report (line `i` of a supplement language is held out
    /// in fold `i % folds`; other languages whole). The shipped model learns from all the text.
    #[serde(default = "default_folds")]
    pub folds: usize,
    /// Folders of language files scored in the report with all their lines, for the languages
    /// the supplement does not learn (the main model's).
    #[serde(default)]
    pub evaluate_dirs: Vec<PathBuf>,
    /// Main model for the report; default the set-up's lid.176.
    pub main_model: Option<PathBuf>,
    /// The supplement's answer wins at this probability or above.
    #[serde(default = "default_min_score")]
    pub min_score: f32,
    /// Each line of a supplement language appears this many times in the training text (its
    /// languages have far less text than the `other` class).
    #[serde(default = "one")]
    pub repeat_languages: usize,
    /// At most this many lines of each other language go into the `other` class (0: all).
    #[serde(default)]
    pub other_lines_per_language: usize,
    /// fastText options.
    #[serde(default)]
    pub train: RecipeOptions,
    /// Free text for the report (sources, limits).
    #[serde(default)]
    pub notes: String,
    /// sha256 of the model this recipe must give (training is deterministic); checked when set.
    pub expect_sha256: Option<String>,
}

/// `shared:<rel>` → `<rel>` inside `$TAMIS_SHARED_DATA`, else inside `../shared/data`.
fn resolve_shared(path: &Path) -> PathBuf {
    super::lists::resolve_prefixed(path, "shared:", || {
        std::env::var_os("TAMIS_SHARED_DATA")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("../shared/data"))
    })
}

fn default_title() -> String {
    "Language ID on held-out text".into()
}
fn one() -> usize {
    1
}
fn default_folds() -> usize {
    4
}
fn default_min_score() -> f32 {
    0.5
}

/// fastText training options of a recipe (`fasttext supervised` flags).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecipeOptions {
    /// `-dim`.
    pub dim: usize,
    /// `-lr`.
    pub lr: f64,
    /// `-epoch`.
    pub epoch: u32,
    /// `-minn`.
    pub minn: u32,
    /// `-maxn`.
    pub maxn: u32,
    /// `-bucket`.
    pub bucket: u32,
    /// `-wordNgrams`.
    pub word_ngrams: u32,
    /// `-minCount`.
    pub min_count: u64,
    /// `-seed` (also orders the training lines).
    pub seed: u64,
    /// `-loss`: `softmax`, `hs` or `ova`.
    pub loss: String,
}

impl Default for RecipeOptions {
    /// Small and character-based, as language ID wants (lid.176 itself: dim 16, minn 2, maxn 4).
    fn default() -> Self {
        RecipeOptions {
            dim: 16,
            lr: 0.5,
            epoch: 25,
            minn: 2,
            maxn: 4,
            bucket: 200_000,
            word_ngrams: 1,
            min_count: 1,
            seed: 0,
            loss: "softmax".into(),
        }
    }
}

impl RecipeOptions {
    /// As the training crate's options.
    pub fn to_train_options(&self) -> TrainOptions {
        use tamis_fasttext::LossName;
        TrainOptions {
            loss: match self.loss.as_str() {
                "hs" => LossName::HierarchicalSoftmax,
                "ova" => LossName::OneVsAll,
                _ => LossName::Softmax,
            },
            dim: self.dim,
            lr: self.lr,
            epoch: self.epoch,
            minn: self.minn,
            maxn: self.maxn,
            bucket: self.bucket,
            word_ngrams: self.word_ngrams,
            min_count: self.min_count,
            seed: self.seed,
            ..TrainOptions::default()
        }
    }
}

impl Recipe {
    /// Reads a recipe file.
    pub fn load(path: &Path) -> anyhow::Result<Recipe> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut recipe: Recipe = toml::from_str(&text)
            .with_context(|| format!("{}: not a valid recipe", path.display()))?;
        for p in recipe
            .languages_dirs
            .iter_mut()
            .chain(&mut recipe.other)
            .chain(&mut recipe.evaluate_dirs)
            .chain(&mut recipe.main_model)
        {
            *p = resolve_shared(p);
        }
        Ok(recipe)
    }

    /// The supplement's languages as canonical tags.
    pub fn language_tags(&self) -> anyhow::Result<Vec<String>> {
        self.languages
            .iter()
            .map(|l| {
                crate::lang::canonical(l)
                    .with_context(|| format!("languages: {l:?} is not a language tag"))
            })
            .collect()
    }

    /// The training set the recipe describes.
    pub fn training_set(&self) -> anyhow::Result<TrainingSet> {
        let only = self.language_tags()?;
        let mut set = TrainingSet::default();
        for d in &self.languages_dirs {
            set.add_language_dir(d, &only)?;
        }
        for o in &self.other {
            set.add_other(o)?;
        }
        set.repeat = self.repeat_languages;
        set.other_cap = self.other_lines_per_language;
        Ok(set)
    }

    /// The main model's languages to score with all their lines: those of the evaluation
    /// folders that the supplement does not learn.
    pub fn main_languages(
        &self,
        set: &TrainingSet,
    ) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
        let mut eval: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for d in &self.evaluate_dirs {
            for (tag, path) in language_files(d)? {
                if !set.languages.contains_key(&tag) {
                    eval.entry(tag).or_default().extend(read_lines(&path)?);
                }
            }
        }
        Ok(eval)
    }

    /// Cross-validates the recipe on `set` (see [`cross_validate`]).
    pub fn evaluate(&self, set: &TrainingSet, main_model: &Path) -> anyhow::Result<Evaluation> {
        if self.folds < 2 {
            bail!("folds must be at least 2 for a report, got {}", self.folds);
        }
        cross_validate(
            set,
            self.folds,
            &self.train.to_train_options(),
            main_model,
            self.min_score,
            &self.main_languages(set)?,
        )
    }

    /// Trains the supplement on `set` with the recipe's options.
    pub fn train_model(&self, set: &TrainingSet) -> anyhow::Result<Vec<u8>> {
        set.train(None, &self.train.to_train_options())
    }

    /// A line describing the recipe, for the report.
    pub fn describe(&self, set: &TrainingSet, model_sha256: &str) -> String {
        let o = &self.train;
        let train_lines: usize = set.languages.values().map(Vec::len).sum();
        let other_lines: usize = set.other.values().map(Vec::len).sum();
        format!(
            "Supplement trained by `tamis lid train` on {train_lines} lines of {} languages \
             (each repeated {}×) and {other_lines} lines of {} other languages (class `other`; at \
             most {} lines each); {} loss, dim {}, lr {}, epoch {}, char n-grams {}–{}, {} \
             buckets, seed {}; model sha256 `{model_sha256}`. The \
             supplement answers when it names one of its languages with probability ≥ {}; \
             otherwise the main model does.\n\n\
             Scores are from {}-fold cross-validation: line i of a supplement language is scored \
             by the model trained without lines i mod {} (other paragraphs of the same text); \
             the main model's languages and the `other` languages are held out whole, so each is \
             scored by a supplement that never saw it. A paragraph is a line of at least \
             {PARAGRAPH_MIN_CHARS} characters; shorter lines (titles, article numbers) are \
             counted apart. Akan and Twi count as one language under \"combined\" (ISO 639-3 \
             makes Twi part of the Akan macrolanguage; BLOOM's Akan text is Akuapem Twi, its Twi \
             Asante Twi); \"strict\" tells them apart.{}",
            set.languages.len(),
            set.repeat.max(1),
            set.other.len(),
            if set.other_cap == 0 {
                "all".to_string()
            } else {
                set.other_cap.to_string()
            },
            o.loss,
            o.dim,
            o.lr,
            o.epoch,
            o.minn,
            o.maxn,
            o.bucket,
            o.seed,
            self.min_score,
            self.folds,
            self.folds,
            if self.notes.is_empty() {
                String::new()
            } else {
                format!("\n\n{}", self.notes.trim())
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_hold_out_lines_and_whole_languages() {
        let folds: Vec<Fold> = (0..4).map(|index| Fold { index, count: 4 }).collect();
        for i in 0..20 {
            assert_eq!(folds.iter().filter(|f| f.holds_line(i)).count(), 1);
        }
        for tag in ["eng_Latn", "fra_Latn", "und"] {
            assert_eq!(folds.iter().filter(|f| f.holds_language(tag)).count(), 1);
        }
        let mut set = TrainingSet::default();
        set.languages
            .insert("zul_Latn".into(), (0..8).map(|i| format!("z{i}")).collect());
        set.other.insert("eng_Latn".into(), vec!["e".into()]);
        let f = folds[1];
        let input = set.fasttext_input(Some(f), 0);
        assert!(!input.contains(" z1\n") && !input.contains(" z5\n"));
        assert!(input.contains("__label__zul_Latn z0\n"));
        assert_eq!(
            input.contains("__label__other e\n"),
            !f.holds_language("eng_Latn")
        );
        assert_eq!(set.fasttext_input(None, 0).lines().count(), 9);
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let mut a: Vec<u32> = (0..100).collect();
        let mut b = a.clone();
        shuffle(&mut a, 7);
        shuffle(&mut b, 7);
        assert_eq!(a, b);
        let mut c: Vec<u32> = (0..100).collect();
        shuffle(&mut c, 8);
        assert_ne!(a, c);
        a.sort();
        assert_eq!(a, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn file_names_are_language_tags() {
        assert_eq!(
            tag_of_file(Path::new("x/zu.txt")).as_deref(),
            Some("zul_Latn")
        );
        assert_eq!(
            tag_of_file(Path::new("x/zh-Hant.txt")).as_deref(),
            Some("zho_Hant")
        );
        assert_eq!(tag_of_file(Path::new("x/README.md")), None);
        assert_eq!(clean_line(" a\tb\u{0}c  d\r"), "a b c d");
    }
}
