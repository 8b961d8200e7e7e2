//! Stop-word lists (`lists/stopwords/<tag>.txt`): the Gopher rule keeps a document only when it
//! uses at least a few of its language's most common function words.

use std::collections::HashMap;
use std::path::Path;

use aho_corasick::AhoCorasick;

use super::text::{Unit, Word};

/// One language's stop words.
#[derive(Debug)]
pub struct StopWords {
    /// Lower-cased word → index.
    index: HashMap<String, u32>,
    /// For scripts without spaces: substring matcher over the same words.
    matcher: AhoCorasick,
    len: usize,
}

impl StopWords {
    /// Read a list: one word per line, `#` starts a comment.
    pub fn load(path: &Path) -> Result<StopWords, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let words: Vec<String> = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim().to_lowercase())
            .filter(|l| !l.is_empty())
            .collect();
        Self::from_words(words).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// A list from words (lower-cased by the caller).
    pub fn from_words(mut words: Vec<String>) -> Result<StopWords, String> {
        words.sort();
        words.dedup();
        if words.is_empty() {
            return Err("the stop-word list is empty".into());
        }
        let matcher = AhoCorasick::new(&words).map_err(|e| e.to_string())?;
        let index = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.clone(), i as u32))
            .collect();
        Ok(StopWords {
            index,
            matcher,
            len: words.len(),
        })
    }

    /// Number of words in the list.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list is empty (never, once built).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Distinct stop words in the document, counting up to `enough`.
    pub fn distinct(&self, text: &str, words: &[Word], unit: Unit, enough: usize) -> usize {
        let mut seen = vec![false; self.len];
        let mut n = 0;
        match unit {
            Unit::Words => {
                let mut buf = String::new();
                for w in words {
                    let key = if w.text.chars().any(char::is_uppercase) {
                        buf.clear();
                        buf.extend(w.text.chars().flat_map(char::to_lowercase));
                        buf.as_str()
                    } else {
                        w.text
                    };
                    if let Some(&i) = self.index.get(key) {
                        if !seen[i as usize] {
                            seen[i as usize] = true;
                            n += 1;
                            if n >= enough {
                                break;
                            }
                        }
                    }
                }
            }
            Unit::Chars => {
                for m in self.matcher.find_overlapping_iter(text) {
                    let i = m.pattern().as_usize();
                    if !seen[i] {
                        seen[i] = true;
                        n += 1;
                        if n >= enough {
                            break;
                        }
                    }
                }
            }
        }
        n
    }
}
