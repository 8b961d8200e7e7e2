//! FineWeb's URL word rules (datatrove `URLFilter`, datatrove 0.10.1), on the raw URL string:
//!
//! - the URL's words are its runs of ASCII letters and digits, lowercased (datatrove splits on
//!   `[^a-zA-Z0-9]+` but does not lowercase, so `PORN` escaped its banned-word check; we fold);
//! - **banned word**: any URL word in the banned list drops;
//! - **soft banned words**: drops when at least `soft_threshold` (FineWeb: 2) *distinct* soft
//!   words are among the URL's words;
//! - **banned sub-word**: the URL with every non-alphanumeric removed and lowercased contains a
//!   banned sub-word anywhere (`2 girls 1 cup` is listed as `2girls1cup`); one aho-corasick
//!   automaton.
//!
//! List entries are normalised as datatrove does: lines starting with `#` are comments, other
//! characters than ASCII letters and digits are removed, letters lowercased.

use std::collections::HashSet;
use std::path::Path;

use aho_corasick::{AhoCorasick, MatchKind};

use crate::doc::Verdict;
use crate::filter::lists::{for_each_entry, text_entry, BadLines, ListError};

/// FineWeb's lists, as shipped in datatrove 0.10.1 (`lists/fineweb_url/`, see its manifest).
pub const BUILTIN_BANNED_WORDS: &str = include_str!("../../../lists/fineweb_url/banned_words.txt");
/// FineWeb's soft-banned words.
pub const BUILTIN_SOFT_BANNED_WORDS: &str =
    include_str!("../../../lists/fineweb_url/soft_banned_words.txt");
/// FineWeb's banned sub-words.
pub const BUILTIN_BANNED_SUBWORDS: &str =
    include_str!("../../../lists/fineweb_url/banned_subwords.txt");

/// Name shown in drop details for the compiled-in lists.
const BUILTIN_NAME: &str = "fineweb";

fn normalize(entry: &[u8]) -> String {
    entry
        .iter()
        .filter(|b| b.is_ascii_alphanumeric())
        .map(|b| b.to_ascii_lowercase() as char)
        .collect()
}

/// The three word lists, built.
pub struct UrlWords {
    banned: HashSet<String>,
    soft: HashSet<String>,
    soft_threshold: usize,
    subwords: Option<AhoCorasick>,
    subword_list: Vec<String>,
    name: String,
}

/// Entries of one list kind, from the built-in text and extra files.
#[derive(Default)]
pub struct WordLists {
    /// Banned words.
    pub banned: Vec<String>,
    /// Soft-banned words.
    pub soft: Vec<String>,
    /// Banned sub-words.
    pub subwords: Vec<String>,
}

impl WordLists {
    /// FineWeb's lists.
    pub fn builtin() -> WordLists {
        let lines = |text: &str| -> Vec<String> {
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(|l| normalize(l.as_bytes()))
                .filter(|w| !w.is_empty())
                .collect()
        };
        WordLists {
            banned: lines(BUILTIN_BANNED_WORDS),
            soft: lines(BUILTIN_SOFT_BANNED_WORDS),
            subwords: lines(BUILTIN_BANNED_SUBWORDS),
        }
    }

    /// Add the entries of a file to `which` list.
    pub fn read_file(into: &mut Vec<String>, path: &Path) -> Result<(), ListError> {
        let mut bad = BadLines::default();
        for_each_entry(path, |line, e| match text_entry(e) {
            Ok(_) => {
                let w = normalize(e);
                if !w.is_empty() {
                    into.push(w);
                }
            }
            Err(m) => bad.push(line, m),
        })?;
        bad.finish(path)
    }
}

impl UrlWords {
    /// Build the matcher. `name` labels drop details (`fineweb`, or `url_words` with custom lists).
    pub fn new(lists: WordLists, soft_threshold: usize, builtin_only: bool) -> UrlWords {
        let mut subword_list = lists.subwords;
        subword_list.sort();
        subword_list.dedup();
        let subwords = (!subword_list.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(&subword_list)
                .expect("a few hundred ASCII patterns always build")
        });
        UrlWords {
            banned: lists.banned.into_iter().collect(),
            soft: lists.soft.into_iter().collect(),
            soft_threshold: soft_threshold.max(1),
            subwords,
            subword_list,
            name: if builtin_only {
                BUILTIN_NAME
            } else {
                "url_words"
            }
            .to_string(),
        }
    }

    /// The drop verdict for a URL, if any rule fires (banned word, then soft words, then sub-word).
    pub fn check(&self, url: &str) -> Option<Verdict> {
        let mut soft_found: Vec<String> = Vec::new();
        let mut word = String::new();
        let mut words = url
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty());
        for w in words.by_ref() {
            word.clear();
            word.extend(w.chars().map(|c| c.to_ascii_lowercase()));
            if self.banned.contains(&word) {
                return Some(Verdict::drop(
                    "url_banned_word",
                    format!("{}: {word}", self.name),
                ));
            }
            if self.soft.contains(&word) && !soft_found.contains(&word) {
                soft_found.push(word.clone());
            }
        }
        if soft_found.len() >= self.soft_threshold {
            return Some(Verdict::drop(
                "url_soft_banned_words",
                format!(
                    "{}: {} soft-banned words (>= {}): {}",
                    self.name,
                    soft_found.len(),
                    self.soft_threshold,
                    soft_found.join(", ")
                ),
            ));
        }
        if let Some(ac) = &self.subwords {
            let squashed = normalize(url.as_bytes());
            if let Some(m) = ac.find(&squashed) {
                return Some(Verdict::drop(
                    "url_banned_subword",
                    format!(
                        "{}: {} in {}",
                        self.name,
                        self.subword_list[m.pattern().as_usize()],
                        squashed
                    ),
                ));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> UrlWords {
        UrlWords::new(WordLists::builtin(), 2, true)
    }

    fn reason(v: Option<Verdict>) -> Option<(String, String)> {
        v.map(|v| match v {
            Verdict::Drop { reason, detail } => (reason, detail),
            Verdict::Keep => unreachable!(),
        })
    }

    #[test]
    fn builtin_lists_have_fineweb_sizes_without_comments() {
        let l = WordLists::builtin();
        // 216 / 89 / 135 lines (the last without a newline), minus the `#` lines (13, 1, 1).
        assert_eq!(l.banned.len(), 216 - 13);
        assert_eq!(l.soft.len(), 89 - 1);
        assert_eq!(l.subwords.len(), 135 - 1);
        assert!(l.subwords.contains(&"2girls1cup".to_string()));
    }

    #[test]
    fn banned_word_needs_a_whole_url_word() {
        let f = builtin();
        let (r, d) = reason(f.check("https://example.com/Bukkake-videos")).unwrap();
        assert_eq!(
            (r.as_str(), d.as_str()),
            ("url_banned_word", "fineweb: bukkake")
        );
        // `cialis` is a banned word, but inside `specialist` it is not a URL word; no sub-word either.
        assert_eq!(f.check("https://example.com/specialists/cardiology"), None);
    }

    #[test]
    fn soft_words_need_two_distinct() {
        let f = builtin();
        assert_eq!(
            f.check("https://example.com/sexy/sexy/page"),
            None,
            "one distinct soft word"
        );
        let (r, d) = reason(f.check("https://example.com/sexy-nude-page")).unwrap();
        assert_eq!(r, "url_soft_banned_words");
        assert_eq!(d, "fineweb: 2 soft-banned words (>= 2): sexy, nude");
    }

    #[test]
    fn subwords_match_anywhere_in_the_squashed_url() {
        let f = builtin();
        let (r, d) = reason(f.check("https://example.com/2-girls-1-cup.html")).unwrap();
        assert_eq!(r, "url_banned_subword");
        assert!(d.starts_with("fineweb: 2girls1cup in "), "{d}");
        assert_eq!(f.check("https://en.wikipedia.org/wiki/Toulouse"), None);
    }
}
