//! The per-language `[quality]` table of `filters/default.toml` and `filters/<tag>.toml`: every
//! rule's switch and threshold. A threshold is a number, or `false` to switch the rule off.
//! The defaults here are the ones `filters/default.toml` writes out with their sources; a test
//! keeps the two equal.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A rule's threshold, or off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Limit {
    /// The rule is switched off (`false` in TOML).
    Off,
    /// The rule is on with this threshold.
    At(f64),
}

impl Limit {
    /// The threshold when the rule is on.
    pub fn get(self) -> Option<f64> {
        match self {
            Limit::Off => None,
            Limit::At(x) => Some(x),
        }
    }
}

impl Serialize for Limit {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Limit::Off => s.serialize_bool(false),
            Limit::At(x) => s.serialize_f64(*x),
        }
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Limit, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Limit;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number (the threshold) or false (rule off)")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Limit, E> {
                if b {
                    Err(E::custom("`true` needs a threshold: give a number, or `false` to switch the rule off"))
                } else {
                    Ok(Limit::Off)
                }
            }
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<Limit, E> {
                self.visit_f64(x as f64)
            }
            fn visit_u64<E: de::Error>(self, x: u64) -> Result<Limit, E> {
                self.visit_f64(x as f64)
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Limit, E> {
                if x.is_finite() && x >= 0.0 {
                    Ok(Limit::At(x))
                } else {
                    Err(E::custom(format!(
                        "threshold {x} must be a non-negative number"
                    )))
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// How words are counted for a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum WordUnit {
    /// From the script of the language tag (characters for Han, kana, Thai, Lao, Khmer, Myanmar,
    /// Tibetan; words otherwise), or guessed from the text when the document has no language.
    #[default]
    Auto,
    /// Whitespace-separated words.
    Words,
    /// Letters of scripts written without spaces.
    Chars,
}

/// `[quality]` in `filters/`: switches and thresholds of every quality rule, for one language.
/// The key is the rule's name, which is also the `reason` of a drop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualitySettings {
    /// How words are counted: `auto`, `words` or `chars`.
    pub word_unit: WordUnit,
    /// Stop-word list: `auto` (`<stopwords_dir>/<tag>.txt` when it exists, else the rule is
    /// skipped), `none`, or a path to a list (one word per line, `#` comments).
    pub stopwords: String,
    /// Extra sentence-final punctuation of this language, on top of Unicode's Sentence_Terminal set.
    pub extra_terminal_punctuation: String,

    /// Gopher: drop below this many words.
    pub gopher_min_words: Limit,
    /// Gopher: drop above this many words.
    pub gopher_max_words: Limit,
    /// Gopher: drop when the mean word length (letters) is below this (not applied to character units).
    pub gopher_min_mean_word_len: Limit,
    /// Gopher: drop when the mean word length (letters) is above this (not applied to character units).
    pub gopher_max_mean_word_len: Limit,
    /// Gopher: drop when `#` per word is above this.
    pub gopher_hash_word_ratio: Limit,
    /// Gopher: drop when ellipses (`...`, `…`) per word are above this.
    pub gopher_ellipsis_word_ratio: Limit,
    /// Gopher: drop when the share of lines starting with a bullet is above this.
    pub gopher_bullet_lines: Limit,
    /// tamis: bulleted lines that end with sentence or clause punctuation are prose and do not
    /// count for `gopher_bullet_lines`.
    pub gopher_bullet_prose_exempt: bool,
    /// Gopher: drop when the share of lines ending with an ellipsis is above this.
    pub gopher_ellipsis_lines: Limit,
    /// Gopher: drop when the share of words with an alphabetic character is below this.
    pub gopher_alpha_words: Limit,
    /// Gopher: drop when fewer distinct stop words than this occur (skipped without a list).
    pub gopher_min_stop_words: Limit,

    /// Gopher repetition: drop when the share of duplicated lines is above this.
    pub gopher_dup_line_frac: Limit,
    /// Gopher repetition: drop when the share of duplicated paragraphs is above this.
    pub gopher_dup_para_frac: Limit,
    /// Gopher repetition: drop when the share of characters in duplicated lines is above this.
    pub gopher_dup_line_char_frac: Limit,
    /// Gopher repetition: drop when the share of characters in duplicated paragraphs is above this.
    pub gopher_dup_para_char_frac: Limit,
    /// tamis: the n-gram share rules below apply from this many words on (their Gopher thresholds
    /// were set for documents of at least 50 words; in shorter ones one repeated phrase is a
    /// large share).
    pub gopher_ngram_min_words: u32,
    /// Gopher repetition: drop when the most frequent word 2-gram covers more than this share of characters.
    pub gopher_top_2gram_frac: Limit,
    /// Gopher repetition: same for 3-grams.
    pub gopher_top_3gram_frac: Limit,
    /// Gopher repetition: same for 4-grams.
    pub gopher_top_4gram_frac: Limit,
    /// Gopher repetition: drop when duplicated 5-grams cover more than this share of characters.
    pub gopher_dup_5gram_frac: Limit,
    /// Gopher repetition: same for 6-grams.
    pub gopher_dup_6gram_frac: Limit,
    /// Gopher repetition: same for 7-grams.
    pub gopher_dup_7gram_frac: Limit,
    /// Gopher repetition: same for 8-grams.
    pub gopher_dup_8gram_frac: Limit,
    /// Gopher repetition: same for 9-grams.
    pub gopher_dup_9gram_frac: Limit,
    /// Gopher repetition: same for 10-grams.
    pub gopher_dup_10gram_frac: Limit,

    /// C4 (line removal): strip Wikipedia-style citation marks (`[1]`, `[edit]`, `[citation needed]`).
    pub c4_remove_citations: bool,
    /// C4 (line removal): remove lines with a word longer than this many characters.
    pub c4_line_max_word_chars: Limit,
    /// C4 (line removal): remove lines that do not end with sentence-final punctuation.
    pub c4_line_terminal_punct: bool,
    /// C4 (line removal): remove lines with fewer words than this.
    pub c4_line_min_words: Limit,
    /// C4 (line removal): remove lines that mention javascript.
    pub c4_line_javascript: bool,
    /// C4 (line removal): remove lines containing a phrase of `c4_policy_phrases`.
    pub c4_line_policy: bool,
    /// Cookie/terms/privacy boilerplate phrases (matched lower-cased).
    pub c4_policy_phrases: Vec<String>,
    /// C4: drop documents containing "lorem ipsum".
    pub c4_lorem_ipsum: bool,
    /// C4: drop documents containing a curly bracket `{`.
    pub c4_curly_bracket: bool,
    /// C4: drop documents with fewer sentences than this after line removal.
    pub c4_min_sentences: Limit,

    /// FineWeb: drop when the share of lines ending with punctuation is below this.
    pub fineweb_line_punct_ratio: Limit,
    /// datatrove's `line_punct_exclude_zero`: a document with no punctuated line at all is not
    /// judged by `fineweb_line_punct_ratio` (scripts and styles without line-final punctuation).
    pub fineweb_line_punct_exclude_zero: bool,
    /// tamis: lines of prose ending with clause punctuation (`,` `;` `:` and script equivalents)
    /// count as punctuated for `fineweb_line_punct_ratio`.
    pub fineweb_line_punct_clause: bool,
    /// FineWeb: drop when the share of short lines is above this.
    pub fineweb_short_line_ratio: Limit,
    /// FineWeb: a line of at most this many characters is short.
    pub fineweb_short_line_chars: u32,
    /// FineWeb: drop when the share of characters in duplicated lines is above this.
    pub fineweb_char_dup_ratio: Limit,
    /// FineWeb: drop when newlines per word are above this.
    pub fineweb_newline_ratio: Limit,
}

impl Default for QualitySettings {
    fn default() -> Self {
        use Limit::At;
        QualitySettings {
            word_unit: WordUnit::Auto,
            stopwords: "auto".into(),
            extra_terminal_punctuation: String::new(),
            gopher_min_words: At(20.0),
            gopher_max_words: At(100_000.0),
            gopher_min_mean_word_len: At(3.0),
            gopher_max_mean_word_len: At(10.0),
            gopher_hash_word_ratio: At(0.1),
            gopher_ellipsis_word_ratio: At(0.1),
            gopher_bullet_lines: At(0.9),
            gopher_bullet_prose_exempt: true,
            gopher_ellipsis_lines: At(0.3),
            gopher_alpha_words: At(0.8),
            gopher_min_stop_words: At(2.0),
            gopher_dup_line_frac: At(0.30),
            gopher_dup_para_frac: At(0.30),
            gopher_dup_line_char_frac: At(0.20),
            gopher_dup_para_char_frac: At(0.20),
            gopher_ngram_min_words: 50,
            gopher_top_2gram_frac: At(0.20),
            gopher_top_3gram_frac: At(0.18),
            gopher_top_4gram_frac: At(0.16),
            gopher_dup_5gram_frac: At(0.15),
            gopher_dup_6gram_frac: At(0.14),
            gopher_dup_7gram_frac: At(0.13),
            gopher_dup_8gram_frac: At(0.12),
            gopher_dup_9gram_frac: At(0.11),
            gopher_dup_10gram_frac: At(0.10),
            c4_remove_citations: true,
            c4_line_max_word_chars: At(1000.0),
            c4_line_terminal_punct: false,
            c4_line_min_words: At(3.0),
            c4_line_javascript: true,
            c4_line_policy: true,
            c4_policy_phrases: [
                "terms of use",
                "privacy policy",
                "cookie policy",
                "uses cookies",
                "use of cookies",
                "use cookies",
            ]
            .map(String::from)
            .to_vec(),
            c4_lorem_ipsum: true,
            c4_curly_bracket: true,
            c4_min_sentences: Limit::Off,
            fineweb_line_punct_ratio: At(0.12),
            fineweb_line_punct_exclude_zero: true,
            fineweb_line_punct_clause: false,
            fineweb_short_line_ratio: At(0.67),
            fineweb_short_line_chars: 30,
            fineweb_char_dup_ratio: At(0.01),
            fineweb_newline_ratio: At(0.3),
        }
    }
}
