//! Gopher repetition rules (Rae et al. 2021, table A1): duplicated lines and paragraphs (by count
//! and by characters), the most frequent 2–4-grams, and duplicated 5–10-grams, all as shares of
//! the document's characters. n-grams are over words, or over characters for scripts without
//! spaces.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use super::settings::{Limit, QualitySettings};
use super::text::Word;
use super::{above, Fail, View};

/// (duplicated elements, characters in duplicated elements): an element counts as duplicated
/// from its second occurrence on.
pub fn find_duplicates<'a>(items: impl Iterator<Item = &'a str>) -> (usize, usize) {
    let mut seen = HashSet::new();
    let (mut n, mut chars) = (0, 0);
    for it in items {
        if !seen.insert(it) {
            n += 1;
            chars += it.chars().count();
        }
    }
    (n, chars)
}

/// Paragraphs: runs of non-blank lines separated by blank lines.
fn paragraphs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut end = 0;
    let mut pos = 0;
    for line in text.split('\n') {
        let line_end = pos + line.len();
        if line.trim().is_empty() {
            if let Some(s) = start.take() {
                out.push(&text[s..end]);
            }
        } else {
            if start.is_none() {
                start = Some(pos);
            }
            end = line_end;
        }
        pos = line_end + 1;
    }
    if let Some(s) = start {
        out.push(&text[s..end]);
    }
    out
}

/// n-gram keys are already xxh3-based hashes: hash them as themselves (SipHash would cost more
/// than the rest of the rule).
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ b as u64;
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = x;
    }
}

type KeyMap<V> = HashMap<u64, V, BuildHasherDefault<KeyHasher>>;
type KeySet = HashSet<u64, BuildHasherDefault<KeyHasher>>;

/// The key of an n-gram: words folded in order from a fixed start.
const GRAM_KEY_START: u64 = 0x243F_6A88_85A3_08D3;

fn gram_key_step(h: u64, word: &Word) -> u64 {
    (h.rotate_left(23) ^ word.hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The n-grams of a document for one n at a time, n = 1, 2, …: the key and the length (code
/// points, words joined by single spaces) of the n-gram starting at each word. An (n+1)-gram's
/// key and length extend the n-gram's by one word, so each step costs one fold per position
/// instead of n.
struct Grams {
    n: usize,
    keys: Vec<u64>,
    lens: Vec<u32>,
}

impl Grams {
    fn unigrams(words: &[Word]) -> Grams {
        Grams {
            n: 1,
            keys: words
                .iter()
                .map(|w| gram_key_step(GRAM_KEY_START, w))
                .collect(),
            lens: words.iter().map(|w| w.len).collect(),
        }
    }

    /// Extend to n-grams.
    fn grow_to(&mut self, words: &[Word], n: usize) {
        while self.n < n {
            self.n += 1;
            let count = (words.len() + 1).saturating_sub(self.n);
            self.keys.truncate(count);
            self.lens.truncate(count);
            let last = words.get(self.n - 1..).unwrap_or_default();
            for ((k, l), w) in self.keys.iter_mut().zip(&mut self.lens).zip(last) {
                *k = gram_key_step(*k, w);
                *l += 1 + w.len;
            }
        }
    }
}

/// Characters covered by the most frequent n-gram (its length with single spaces, times its
/// count); an n-gram that occurs once is no repetition and counts 0 (Gopher counts it too, which
/// only matters for documents of a few words).
fn top_gram_chars(grams: &Grams) -> usize {
    let mut counts: KeyMap<(u32, u32)> =
        KeyMap::with_capacity_and_hasher(grams.keys.len(), Default::default());
    let mut best = 0usize;
    for (&key, &len) in grams.keys.iter().zip(&grams.lens) {
        let e = counts.entry(key).or_insert((0, len));
        e.0 += 1;
        if e.0 > 1 {
            best = best.max(e.0 as usize * e.1 as usize);
        }
    }
    best
}

/// Characters of n-grams that repeat an earlier n-gram (Gopher's "duplicate n-gram character
/// fraction"; a repeated n-gram's words are not counted twice, nor the spaces between them).
fn dup_gram_chars(grams: &Grams, seen: &mut KeySet) -> usize {
    seen.clear();
    let n = grams.n;
    let mut chars = 0usize;
    let mut i = 0;
    while i < grams.keys.len() {
        if seen.insert(grams.keys[i]) {
            i += 1;
        } else {
            chars += (grams.lens[i] as usize) - (n - 1);
            i += n;
        }
    }
    chars
}

/// Apply the repetition rules.
pub fn check(v: &View, s: &QualitySettings) -> Result<(), Fail> {
    let chars = v.chars.max(1) as f64;
    if s.gopher_dup_para_frac.get().is_some() || s.gopher_dup_para_char_frac.get().is_some() {
        let paras = paragraphs(v.text);
        let (n, c) = find_duplicates(paras.iter().copied());
        above(
            "gopher_dup_para_frac",
            n as f64 / paras.len().max(1) as f64,
            s.gopher_dup_para_frac,
        )?;
        above(
            "gopher_dup_para_char_frac",
            c as f64 / chars,
            s.gopher_dup_para_char_frac,
        )?;
    }
    if s.gopher_dup_line_frac.get().is_some() || s.gopher_dup_line_char_frac.get().is_some() {
        let (n, c) = find_duplicates(v.lines.iter().copied());
        above(
            "gopher_dup_line_frac",
            n as f64 / v.lines.len().max(1) as f64,
            s.gopher_dup_line_frac,
        )?;
        above(
            "gopher_dup_line_char_frac",
            c as f64 / chars,
            s.gopher_dup_line_char_frac,
        )?;
    }
    if v.words.len() < s.gopher_ngram_min_words as usize {
        return Ok(());
    }
    let top: [(&'static str, usize, Limit); 3] = [
        ("gopher_top_2gram_frac", 2, s.gopher_top_2gram_frac),
        ("gopher_top_3gram_frac", 3, s.gopher_top_3gram_frac),
        ("gopher_top_4gram_frac", 4, s.gopher_top_4gram_frac),
    ];
    let mut grams = Grams::unigrams(&v.words);
    for (rule, n, limit) in top {
        if limit.get().is_some() {
            grams.grow_to(&v.words, n);
            above(rule, top_gram_chars(&grams) as f64 / chars, limit)?;
        }
    }
    let dup: [(&'static str, usize, Limit); 6] = [
        ("gopher_dup_5gram_frac", 5, s.gopher_dup_5gram_frac),
        ("gopher_dup_6gram_frac", 6, s.gopher_dup_6gram_frac),
        ("gopher_dup_7gram_frac", 7, s.gopher_dup_7gram_frac),
        ("gopher_dup_8gram_frac", 8, s.gopher_dup_8gram_frac),
        ("gopher_dup_9gram_frac", 9, s.gopher_dup_9gram_frac),
        ("gopher_dup_10gram_frac", 10, s.gopher_dup_10gram_frac),
    ];
    let mut seen = KeySet::with_capacity_and_hasher(v.words.len(), Default::default());
    for (rule, n, limit) in dup {
        if limit.get().is_some() {
            grams.grow_to(&v.words, n);
            above(
                rule,
                dup_gram_chars(&grams, &mut seen) as f64 / chars,
                limit,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::quality::text::{words_into, Unit};

    #[test]
    fn paragraphs_split_on_blank_lines() {
        assert_eq!(paragraphs("a\nb\n\n \nc\n"), ["a\nb", "c"]);
        assert_eq!(
            find_duplicates(["x", "yy", "x", "yy", "yy"].into_iter()),
            (3, 5)
        );
    }

    #[test]
    fn ngram_shares_match_the_definition() {
        let text = "a b c d e a b c d e";
        let mut w = Vec::new();
        words_into(text, Unit::Words, &mut w);
        let mut g = Grams::unigrams(&w);
        g.grow_to(&w, 2);
        // "a b" twice, 3 chars each.
        assert_eq!(top_gram_chars(&g), 6);
        g.grow_to(&w, 5);
        // The second "a b c d e" repeats the first 5-gram: its 5 letters.
        assert_eq!(dup_gram_chars(&g, &mut KeySet::default()), 5);
        g.grow_to(&w, 11);
        assert_eq!((g.keys.len(), top_gram_chars(&g)), (0, 0));
    }

    /// The grown keys and lengths are those of each window folded from scratch, the way the
    /// rules defined them before keys were grown.
    #[test]
    fn grown_grams_equal_grams_folded_from_scratch() {
        let text = "Le chat dort. Le chat dort encore, et le chien aussi; le chat dort.";
        let mut w = Vec::new();
        words_into(text, Unit::Words, &mut w);
        let mut g = Grams::unigrams(&w);
        for n in 1..=w.len() + 2 {
            g.grow_to(&w, n);
            let want: Vec<(u64, u32)> = w
                .windows(n)
                .map(|win| {
                    let key = win.iter().fold(GRAM_KEY_START, gram_key_step);
                    let len = win.iter().map(|x| x.len).sum::<u32>() + (n as u32 - 1);
                    (key, len)
                })
                .collect();
            let got: Vec<(u64, u32)> = g.keys.iter().copied().zip(g.lens.iter().copied()).collect();
            assert_eq!(got, want, "n = {n}");
        }
    }
}
