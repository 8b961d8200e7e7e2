//! Tokenizer fertility: tokens per word, per language, for one tokenizer or two side by side.
//!
//! Words are Unicode word-bounded segments that contain a letter or digit (UAX #29, through
//! `unicode-segmentation`'s `unicode_words`). For scripts written without spaces (Han, kana,
//! Thai, Lao, Khmer, Myanmar, Tibetan) there are no words to count, so fertility is tokens per
//! character (non-whitespace characters) instead; the table says which unit each row uses.
//! A language's unit comes from the script of its tag (`zho_Hans` → characters), or, for groups
//! without a script, from the text itself (mostly unspaced letters → characters).

use std::collections::BTreeMap;

use unicode_segmentation::UnicodeSegmentation;

use crate::dedup::normalize::is_unspaced_char;

/// What fertility is counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    /// Tokens per word.
    Word,
    /// Tokens per non-whitespace character.
    Char,
}

impl Unit {
    /// `word` or `char`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Word => "word",
            Unit::Char => "char",
        }
    }
}

/// Counts of one language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LangCounts {
    /// Documents.
    pub docs: u64,
    /// UTF-8 bytes.
    pub bytes: u64,
    /// Words (UAX #29).
    pub words: u64,
    /// Non-whitespace characters.
    pub chars: u64,
    /// Letters of unspaced scripts (decides the unit of groups without a script).
    pub unspaced_letters: u64,
    /// Letters.
    pub letters: u64,
    /// Tokens, one count per tokenizer.
    pub tokens: Vec<u64>,
}

impl LangCounts {
    /// Count one text and its token counts (one per tokenizer).
    pub fn add(&mut self, text: &str, tokens: &[u64]) {
        self.docs += 1;
        self.bytes += text.len() as u64;
        self.words += text.unicode_words().count() as u64;
        for c in text.chars() {
            if !c.is_whitespace() {
                self.chars += 1;
            }
            if c.is_alphabetic() {
                self.letters += 1;
                if is_unspaced_char(c) {
                    self.unspaced_letters += 1;
                }
            }
        }
        if self.tokens.len() < tokens.len() {
            self.tokens.resize(tokens.len(), 0);
        }
        for (a, b) in self.tokens.iter_mut().zip(tokens) {
            *a += b;
        }
    }

    /// Fold in another count.
    pub fn merge(&mut self, o: &LangCounts) {
        self.docs += o.docs;
        self.bytes += o.bytes;
        self.words += o.words;
        self.chars += o.chars;
        self.unspaced_letters += o.unspaced_letters;
        self.letters += o.letters;
        if self.tokens.len() < o.tokens.len() {
            self.tokens.resize(o.tokens.len(), 0);
        }
        for (a, b) in self.tokens.iter_mut().zip(&o.tokens) {
            *a += b;
        }
    }
}

/// The unit of a language group: from the tag's script, else from its letters.
pub fn unit_of(key: &str, counts: &LangCounts) -> Unit {
    match crate::lang::script_part(key) {
        Some(script) if crate::lang::script_without_spaces(script) => Unit::Char,
        Some(_) => Unit::Word,
        None if counts.unspaced_letters * 2 > counts.letters => Unit::Char,
        None => Unit::Word,
    }
}

/// Fertility of one or more tokenizers over language groups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fertility {
    /// Tokenizer names, in column order.
    pub tokenizers: Vec<String>,
    /// Counts per language group.
    pub langs: BTreeMap<String, LangCounts>,
}

impl Fertility {
    /// An empty table for these tokenizers.
    pub fn new(tokenizers: Vec<String>) -> Fertility {
        Fertility {
            tokenizers,
            langs: BTreeMap::new(),
        }
    }

    /// Count a text of group `key` with its token count under each tokenizer.
    pub fn add(&mut self, key: &str, text: &str, tokens: &[u64]) {
        match self.langs.get_mut(key) {
            Some(c) => c.add(text, tokens),
            None => self
                .langs
                .entry(key.to_string())
                .or_default()
                .add(text, tokens),
        }
    }

    /// Fold in another table of the same tokenizers.
    pub fn merge(&mut self, other: &Fertility) {
        for (k, c) in &other.langs {
            self.langs.entry(k.clone()).or_default().merge(c);
        }
    }

    /// Tokens per unit of tokenizer `t` in a group.
    pub fn fertility(&self, key: &str, t: usize) -> Option<f64> {
        let c = self.langs.get(key)?;
        let units = match unit_of(key, c) {
            Unit::Word => c.words,
            Unit::Char => c.chars,
        };
        let tokens = *c.tokens.get(t)?;
        (units > 0).then(|| tokens as f64 / units as f64)
    }

    /// The Markdown table: one row per language, tokens per unit and bytes per token for each
    /// tokenizer, and with two tokenizers the ratio of the first's token count to the second's;
    /// then the means over word and over character languages and the totals.
    pub fn markdown(&self) -> String {
        let names = &self.tokenizers;
        let mut s = String::from("| language | unit | docs | units | bytes |");
        let mut rule = String::from("|---|---|---:|---:|---:|");
        for n in names {
            s += &format!(" {n} tokens | {n} tok/unit | {n} bytes/tok |");
            rule += "---:|---:|---:|";
        }
        if names.len() == 2 {
            s += &format!(" {} / {} |", names[0], names[1]);
            rule += "---:|";
        }
        s += "\n";
        s += &rule;
        s += "\n";
        let ratio = |a: u64, b: u64| {
            if b == 0 {
                "–".to_string()
            } else {
                format!("{:.2}", a as f64 / b as f64)
            }
        };
        let mut sums: BTreeMap<Unit, (Vec<f64>, usize)> = BTreeMap::new();
        let mut total = LangCounts::default();
        for (key, c) in &self.langs {
            let unit = unit_of(key, c);
            let units = match unit {
                Unit::Word => c.words,
                Unit::Char => c.chars,
            };
            s += &format!(
                "| {key} | {} | {} | {units} | {} |",
                unit.as_str(),
                c.docs,
                c.bytes
            );
            let entry = sums
                .entry(unit)
                .or_insert_with(|| (vec![0.0; names.len()], 0));
            entry.1 += 1;
            for t in 0..names.len() {
                let tokens = c.tokens.get(t).copied().unwrap_or(0);
                s += &format!(
                    " {tokens} | {} | {} |",
                    ratio(tokens, units),
                    ratio(c.bytes, tokens)
                );
                if units > 0 {
                    entry.0[t] += tokens as f64 / units as f64;
                }
            }
            if names.len() == 2 {
                let (a, b) = (
                    c.tokens.first().copied().unwrap_or(0),
                    c.tokens.get(1).copied().unwrap_or(0),
                );
                s += &format!(" {} |", ratio(a, b));
            }
            s += "\n";
            total.merge(c);
        }
        s += "\n";
        for (unit, (fert, n)) in &sums {
            let per: Vec<String> = names
                .iter()
                .zip(fert)
                .map(|(name, f)| format!("{name} {:.2}", f / *n as f64))
                .collect();
            s += &format!(
                "- Mean tokens per {} over the {n} languages counted in {}s: {}.\n",
                unit.as_str(),
                unit.as_str(),
                per.join(", ")
            );
        }
        let per: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(t, name)| {
                let tokens = total.tokens.get(t).copied().unwrap_or(0);
                format!(
                    "{name} {tokens} tokens ({} bytes/token)",
                    ratio(total.bytes, tokens)
                )
            })
            .collect();
        s += &format!(
            "- All {} documents, {} bytes: {}.\n",
            total.docs,
            total.bytes,
            per.join(", ")
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_chars_and_units() {
        let mut f = Fertility::new(vec!["a".into(), "b".into()]);
        f.add("fra_Latn", "L'homme est né libre, 1948.", &[9, 6]);
        f.add("zho_Hans", "人人生而自由。", &[7, 5]);
        f.add("source=web", "日本語の文章です", &[4, 4]);
        let fr = &f.langs["fra_Latn"];
        assert_eq!(fr.words, 5); // L'homme est né libre 1948
        assert_eq!(unit_of("fra_Latn", fr), Unit::Word);
        assert_eq!(unit_of("zho_Hans", &f.langs["zho_Hans"]), Unit::Char);
        assert_eq!(unit_of("source=web", &f.langs["source=web"]), Unit::Char);
        assert_eq!(f.langs["zho_Hans"].chars, 7);
        assert_eq!(f.fertility("fra_Latn", 0), Some(9.0 / 5.0));
        assert_eq!(f.fertility("zho_Hans", 1), Some(5.0 / 7.0));
        let md = f.markdown();
        assert!(
            md.contains(
                "| fra_Latn | word | 1 | 5 | 28 | 9 | 1.80 | 3.11 | 6 | 1.20 | 4.67 | 1.50 |"
            ),
            "{md}"
        );
        assert!(
            md.contains("| zho_Hans | char | 1 | 7 | 21 | 7 | 1.00 |"),
            "{md}"
        );
        assert!(
            md.contains(
                "Mean tokens per word over the 1 languages counted in words: a 1.80, b 1.20."
            ),
            "{md}"
        );
        let mut g = Fertility::new(f.tokenizers.clone());
        g.merge(&f);
        g.merge(&f);
        assert_eq!(g.fertility("fra_Latn", 0), Some(9.0 / 5.0));
        assert_eq!(g.langs["fra_Latn"].docs, 2);
    }
}
