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

fn gram_key(words: &[Word]) -> u64 {
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    for w in words {
        h = (h.rotate_left(23) ^ w.hash).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    h
}

/// Characters covered by the most frequent n-gram (its length with single spaces, times its
/// count); an n-gram that occurs once is no repetition and counts 0 (Gopher counts it too, which
/// only matters for documents of a few words).
fn top_gram_chars(words: &[Word], n: usize) -> usize {
    if words.len() < n {
        return 0;
    }
    let mut counts: KeyMap<(u32, u32)> =
        KeyMap::with_capacity_and_hasher(words.len(), Default::default());
    let mut best = 0usize;
    for g in words.windows(n) {
        let len = g.iter().map(|w| w.len).sum::<u32>() + (n as u32 - 1);
        let e = counts.entry(gram_key(g)).or_insert((0, len));
        e.0 += 1;
        if e.0 > 1 {
            best = best.max(e.0 as usize * e.1 as usize);
        }
    }
    best
}

/// Characters of n-grams that repeat an earlier n-gram (Gopher's "duplicate n-gram character
/// fraction"; a repeated n-gram's words are not counted twice).
fn dup_gram_chars(words: &[Word], n: usize, seen: &mut KeySet) -> usize {
    seen.clear();
    let mut chars = 0usize;
    let mut i = 0;
    while i + n <= words.len() {
        let g = &words[i..i + n];
        if seen.insert(gram_key(g)) {
            i += 1;
        } else {
            chars += g.iter().map(|w| w.len as usize).sum::<usize>();
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
    for (rule, n, limit) in top {
        if limit.get().is_some() {
            above(rule, top_gram_chars(&v.words, n) as f64 / chars, limit)?;
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
            above(
                rule,
                dup_gram_chars(&v.words, n, &mut seen) as f64 / chars,
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
        // "a b" twice, 3 chars each.
        assert_eq!(top_gram_chars(&w, 2), 6);
        // The second "a b c d e" repeats the first 5-gram: its 5 letters.
        assert_eq!(dup_gram_chars(&w, 5, &mut KeySet::default()), 5);
    }
}
