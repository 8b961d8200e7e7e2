//! Text folding and character classes for word matching, the same for list entries and
//! documents.
//!
//! **Folding**: Unicode compatibility caseless form — NFD, full case folding, NFKD, case folding
//! again (the Unicode "compatibility caseless match" of §3.13), then NFC so the result is
//! composed like ordinary text; every run of whitespace becomes one space (so phrases match across
//! line breaks and NBSP). Pure-ASCII words take a fast path (lowercase). Folding never crosses ASCII
//! whitespace, so the text is folded word by word.
//!
//! **Boundaries**: a list entry matches only where it does not cut a word. Word characters are
//! letters and digits (`char::is_alphanumeric`), combining marks (Indic vowel signs and viramas,
//! Thai vowels, Arabic harakat) and the joiners ZWJ/ZWNJ. Between two characters there is a
//! boundary when
//! - the second is a combining mark or joiner: **never** (a grapheme cluster is never split,
//!   so Hindi `क` does not match inside `क्ष`);
//! - either is not a word character: always (`ass` does not match inside `class`, but does in
//!   `ass.`);
//! - either belongs to a script written without spaces (Han, Hiragana, Katakana, Thai, Lao,
//!   Khmer, Myanmar, Tibetan — the scripts of [`crate::lang::script_without_spaces`]): always, so
//!   entries in those scripts match on characters, while Latin words inside Chinese or Japanese
//!   text still need their own boundaries (the Japanese list's `sm` does not match `small`);
//! - otherwise (inside a run of letters of spaced scripts): never.

use caseless::Caseless;
use std::sync::OnceLock;

use unicode_normalization::char::{canonical_combining_class, is_combining_mark};
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Fold `text` into `out` (cleared first). See the module doc.
pub fn fold_into(text: &str, out: &mut String) {
    out.clear();
    out.reserve(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    // Leading whitespace is dropped; a run of whitespace anywhere else becomes one space.
    let mut last_space = true;
    while i < b.len() {
        let start = i;
        // The token runs to the next ASCII whitespace. Plain ASCII (letters, digits,
        // punctuation: nearly every token of Latin-script text) is skipped eight bytes at a
        // time; a control byte is part of the token, a non-ASCII byte makes it a Unicode token.
        let mut ascii = true;
        loop {
            i = next_special(b, i);
            if i >= b.len() || b[i].is_ascii_whitespace() {
                break;
            }
            if b[i] >= 0x80 {
                ascii = false;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                break;
            }
            i += 1;
        }
        let token = &text[start..i];
        if !token.is_empty() {
            if ascii {
                let at = out.len();
                out.push_str(token);
                out[at..].make_ascii_lowercase();
                last_space = false;
            } else if fold_quick(token, out) {
                last_space = false;
            } else {
                fold_full(token, out, &mut last_space);
            }
        }
        if i < b.len() {
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
}

/// The first position from `i` holding a byte ≤ 0x20 (space, whitespace, control) or ≥ 0x80 (not
/// ASCII), else `b.len()`. Eight bytes at a time: a byte's high bit is set in
/// `(x − 0x21…) & !x | x` when it is one of those (a borrow can mark bytes after a marked one,
/// never before it, so the lowest mark is exact).
#[inline]
fn next_special(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let x = u64::from_le_bytes(word);
        let marks = (x.wrapping_sub(ONES * 0x21) & !x | x) & HIGH;
        if marks != 0 {
            return i + (marks.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && (0x21..0x80).contains(&b[i]) {
        i += 1;
    }
    i
}

/// The full pipeline for one token: NFD, case fold, NFKD, case fold, NFC; whitespace runs
/// become one space.
fn fold_full(token: &str, out: &mut String, last_space: &mut bool) {
    for c in token
        .chars()
        .nfd()
        .default_case_fold()
        .nfkd()
        .default_case_fold()
        .nfc()
    {
        if c.is_whitespace() {
            if !*last_space {
                out.push(' ');
                *last_space = true;
            }
        } else {
            out.push(c);
            *last_space = false;
        }
    }
}

/// The common case, without the normalisation iterators: per character, from a table built once
/// for the BMP. A character is copied (it folds to itself and is NFKC), replaced by its folded
/// image when that image does not depend on its neighbours (`É` → `é`, Thai `ำ` → `ํา`), a
/// combining mark is copied when it composes with nothing and keeps canonical order; anything
/// else (decomposed accents, Hangul jamo, non-ASCII whitespace, characters beyond the BMP) sends
/// the whole token to `fold_full`, and false is returned with `out` as it was. Where it succeeds
/// it gives what `fold_full` gives (tested on every BMP character and on every token of the 532
/// UDHR translations and the word lists of shared/data).
fn fold_quick(token: &str, out: &mut String) -> bool {
    let start = out.len();
    let t = table();
    let mut last_ccc = 0u8;
    for c in token.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
            last_ccc = 0;
            continue;
        }
        let u = c as u32;
        let e = if u <= 0xFFFF { t.flags[u as usize] } else { 0 };
        let (f, ccc) = ((e & 0xFF) as u8, (e >> 8) as u8);
        if f & FOLD_COPY != 0 {
            out.push(c);
            last_ccc = 0;
        } else if f & FOLD_MAP != 0 {
            out.push_str(&t.images[&c]);
            last_ccc = 0;
        } else if f & MARK_COPY != 0 && last_ccc <= ccc {
            out.push(c);
            last_ccc = ccc;
        } else {
            out.truncate(start);
            return false;
        }
    }
    true
}

/// Part of a word (letter, digit, combining mark, joiner).
const WORD: u8 = 1;
/// Continues the previous character's cluster (combining mark, joiner).
const CONT: u8 = 2;
/// Of a script written without spaces.
const NOSPACE: u8 = 4;
/// A starter that is NFKC and folds to itself: copied.
const FOLD_COPY: u8 = 8;
/// A starter whose full fold, alone, is a string of "stable" characters (NFKC quick-check Yes,
/// combining class 0, not whitespace): none of them composes or reorders with a neighbour, so the
/// fold in context is the same string.
const FOLD_MAP: u8 = 16;
/// A combining mark (class > 0) that is NFKC quick-check Yes (never composes) and folds to
/// itself: copied while the marks stay in canonical order.
const MARK_COPY: u8 = 32;

/// Flags and canonical combining class (high byte) of every BMP character, and the images of the
/// `FOLD_MAP` ones; built on first use (tens of milliseconds).
struct Table {
    flags: Vec<u16>,
    images: std::collections::HashMap<char, String>,
}

fn full_alone(c: char) -> String {
    let mut out = String::new();
    let mut last_space = true;
    fold_full(c.encode_utf8(&mut [0; 4]), &mut out, &mut last_space);
    out
}

fn stable(c: char) -> bool {
    !c.is_whitespace()
        && canonical_combining_class(c) == 0
        && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes
}

/// Word-class flags of a character, from the Unicode tables.
fn class_flags(c: char) -> u8 {
    let mut f = 0;
    let mark = is_combining_mark(c) || is_joiner(c);
    if c.is_alphanumeric() || mark {
        f |= WORD;
    }
    if mark {
        f |= CONT;
    }
    if nospace_range(c) {
        f |= NOSPACE;
    }
    f
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut images = std::collections::HashMap::new();
        let flags = (0..=0xFFFFu32)
            .map(|u| {
                let Some(c) = char::from_u32(u) else { return 0 };
                let mut f = class_flags(c);
                let ccc = canonical_combining_class(c);
                if !c.is_ascii() && !c.is_whitespace() {
                    let image = full_alone(c);
                    let mut it = image.chars();
                    let identity = it.next() == Some(c) && it.next().is_none();
                    if ccc == 0 {
                        if identity && stable(c) {
                            f |= FOLD_COPY;
                        } else if !image.is_empty() && image.chars().all(stable) {
                            f |= FOLD_MAP;
                            images.insert(c, image);
                        }
                    } else if identity && is_nfkc_quick(std::iter::once(c)) == IsNormalized::Yes {
                        f |= MARK_COPY;
                    }
                }
                f as u16 | (ccc as u16) << 8
            })
            .collect();
        Table { flags, images }
    })
}

#[inline]
fn flags(c: char) -> u8 {
    let u = c as u32;
    if u <= 0xFFFF {
        table().flags[u as usize] as u8
    } else {
        class_flags(c)
    }
}

/// Fold a string (list entries).
pub fn fold(text: &str) -> String {
    let mut s = String::new();
    fold_into(text, &mut s);
    s
}

/// Zero-width joiner / non-joiner: inside words of Indic and Arabic scripts.
#[inline]
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200C}' | '\u{200D}')
}

/// Part of a word: letter, digit, combining mark or joiner.
#[inline]
pub fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    flags(c) & WORD != 0
}

/// Continues the preceding character's cluster (never starts a word or a match).
#[inline]
fn is_cluster_continuation(c: char) -> bool {
    !c.is_ascii() && flags(c) & CONT != 0
}

/// A character of a script written without spaces (see the module doc).
#[inline]
pub fn is_nospace_char(c: char) -> bool {
    !c.is_ascii() && flags(c) & NOSPACE != 0
}

fn nospace_range(c: char) -> bool {
    let u = c as u32;
    if u < 0x0E00 {
        return false;
    }
    matches!(u,
        0x0E00..=0x0EFF          // Thai, Lao
        | 0x0F00..=0x0FFF        // Tibetan
        | 0x1000..=0x109F        // Myanmar
        | 0x1780..=0x17FF        // Khmer
        | 0x19E0..=0x19FF        // Khmer symbols
        | 0x2E80..=0x2FDF        // CJK radicals, Kangxi radicals
        | 0x3005..=0x3007        // 々 〆 〇
        | 0x3021..=0x3029        // Hangzhou numerals
        | 0x3038..=0x303C
        | 0x3040..=0x30FF        // Hiragana, Katakana
        | 0x31F0..=0x31FF        // Katakana phonetic extensions
        | 0x3400..=0x4DBF        // CJK extension A
        | 0x4E00..=0x9FFF        // CJK unified ideographs
        | 0xA9E0..=0xA9FF        // Myanmar extended-B
        | 0xAA60..=0xAA7F        // Myanmar extended-A
        | 0xF900..=0xFAFF        // CJK compatibility ideographs
        | 0xFF66..=0xFF9F        // halfwidth Katakana
        | 0x20000..=0x3FFFF      // CJK extensions B–I
    )
}

/// Whether a match may begin or end between `prev` and `next` (`None` = text edge).
#[inline]
pub fn is_boundary(prev: Option<char>, next: Option<char>) -> bool {
    let (Some(p), Some(n)) = (prev, next) else {
        return true;
    };
    if is_cluster_continuation(n) {
        return false;
    }
    if !is_word_char(p) || !is_word_char(n) {
        return true;
    }
    is_nospace_char(p) || is_nospace_char(n)
}

/// Words in folded text: each run of word characters of spaced scripts is one word, and each
/// character of a no-space script (Han, kana, Thai, …) is one token, since those scripts have
/// no spaces to count by (Latin words inside Chinese text still count once each). Combining marks
/// and joiners belong to the preceding character.
pub fn count_words(text: &str) -> usize {
    let mut count = 0usize;
    let mut in_word = false;
    if text.is_ascii() {
        for &b in text.as_bytes() {
            let w = b.is_ascii_alphanumeric();
            if w && !in_word {
                count += 1;
            }
            in_word = w;
        }
        return count;
    }
    for c in text.chars() {
        if is_cluster_continuation(c) {
            continue;
        }
        if !is_word_char(c) {
            in_word = false;
        } else if is_nospace_char(c) {
            count += 1;
            in_word = false;
        } else if !in_word {
            count += 1;
            in_word = true;
        }
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_width_ligatures_and_whitespace() {
        assert_eq!(fold("  Straße\tGROSS\n\n ﬁne  "), "strasse gross fine");
        assert_eq!(fold("ΣΊΣΥΦΟΣ"), fold("σίσυφος"));
        assert_eq!(fold("ＦＵＬＬ　ｗｉｄｔｈ"), "full width"); // fullwidth letters, ideographic space
        assert_eq!(fold("non\u{a0}breaking"), "non breaking");
        // Decomposed and precomposed accents fold alike.
        assert_eq!(fold("e\u{301}te\u{301}"), fold("été"));
        assert_eq!(fold("ÉTÉ"), "été");
    }

    /// The definition of `fold_into`, token by token, without the fast scan.
    fn fold_reference(text: &str) -> String {
        let mut out = String::new();
        let mut last_space = true;
        for (k, token) in text.split(|c: char| c.is_ascii_whitespace()).enumerate() {
            if k > 0 && !last_space {
                out.push(' ');
                last_space = true;
            }
            if token.is_empty() {
                continue;
            }
            if token.is_ascii() {
                out.push_str(&token.to_ascii_lowercase());
                last_space = false;
            } else if fold_quick(token, &mut out) {
                last_space = false;
            } else {
                fold_full(token, &mut out, &mut last_space);
            }
        }
        out.trim_end_matches(' ').to_string()
    }

    #[test]
    fn the_fast_scan_folds_as_the_definition() {
        let mut texts: Vec<String> = [
            "",
            " ",
            "a",
            "Hello, World!",
            "  lead and trail  ",
            "tabs\tand\r\nCRLF\x0cform feed",
            "ctrl\x01inside\x0bvertical tab\x7fdel",
            "exactly8 12345678 123456789 1234567 ",
            "ÉTÉ à Paris, Ünïcödé\u{a0}nbsp",
            "mixedASCIIthenÜmlautafter8bytes and ascii",
            "日本語のテキストabcdefghij漢字",
            "e\u{301}te\u{301} ﬁne ＦＵＬＬ",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let udhr = crate::test_paths::shared_data().join("udhr");
        for code in ["en", "fr", "ru", "hi", "zh-Hans", "vi"] {
            texts.push(std::fs::read_to_string(udhr.join(format!("{code}.txt"))).unwrap());
        }
        // Every byte value around every position of an eight-byte window.
        for pos in 0..10 {
            for c in (1u8..0x80).map(char::from) {
                let mut t: String = "abcdefghijkl".into();
                t.insert(pos, c);
                texts.push(t);
            }
            let mut t: String = "abcdefghijkl".into();
            t.insert(pos, 'é');
            texts.push(t);
        }
        let mut out = String::new();
        for t in &texts {
            fold_into(t, &mut out);
            assert_eq!(out, fold_reference(t), "{t:?}");
        }
    }

    fn full(token: &str) -> String {
        let mut out = String::new();
        let mut last_space = true;
        fold_full(token, &mut out, &mut last_space);
        out
    }

    #[test]
    fn quick_path_agrees_with_the_full_pipeline_on_real_text() {
        let data = crate::test_paths::shared_data();
        let mut texts: Vec<String> = Vec::new();
        for dir in [
            "udhr",
            "banned_words/ldnoobw",
            "banned_words/bigscience_roots",
            "banned_words/bigscience_data_tooling_extra",
        ] {
            for e in std::fs::read_dir(data.join(dir)).unwrap() {
                let p = e.unwrap().path();
                if p.extension().is_some_and(|x| x == "txt") {
                    texts.push(std::fs::read_to_string(p).unwrap());
                }
            }
        }
        // The 532 translations (many more scripts and orthographies).
        let mut all = String::new();
        std::io::Read::read_to_string(
            &mut flate2::read::GzDecoder::new(
                std::fs::File::open(data.join("udhr/all_translations_preamble_art1-20.tsv.gz"))
                    .unwrap(),
            ),
            &mut all,
        )
        .unwrap();
        texts.push(all);
        // Thai with tone and vowel marks out of canonical order, Hangul jamo, Devanagari nukta.
        texts.push("น่ำ น้ำ ดู่ ดุ่ \u{1100}\u{1161} 가 क़ क\u{93C}".into());
        // Edge cases: decomposed accents, compatibility forms, case pairs that fold unusually.
        texts.push("e\u{301} ﬁ ǰ İstanbul ΐ ẞ Σ ς ᾼ ㎒ Ⅻ ① ｶﾞ ＡＢＣ Ꭰꭰ ŉ և".into());
        let mut quick_tokens = 0;
        for t in &texts {
            for token in t
                .split(|c: char| c.is_ascii_whitespace())
                .filter(|t| !t.is_empty() && !t.is_ascii())
            {
                let mut q = String::new();
                if fold_quick(token, &mut q) {
                    quick_tokens += 1;
                    assert_eq!(q, full(token), "{token:?}");
                }
            }
        }
        assert!(quick_tokens > 50_000, "{quick_tokens}");
        // Every BMP character on its own.
        let mut quick_chars = 0;
        for c in (0x80..=0xFFFFu32).filter_map(char::from_u32) {
            let token = c.to_string();
            let mut q = String::new();
            if fold_quick(&token, &mut q) {
                quick_chars += 1;
                assert_eq!(q, full(&token), "U+{:04X}", c as u32);
            }
        }
        assert!(quick_chars > 40_000, "{quick_chars}");
    }

    #[test]
    fn boundaries_follow_scripts() {
        let b = |p: char, n: char| is_boundary(Some(p), Some(n));
        assert!(!b('l', 'a'), "inside a Latin word");
        assert!(b(' ', 'a') && b('a', '.'));
        assert!(!b('क', '\u{94D}'), "virama continues the cluster");
        assert!(!b('\u{94D}', 'ष'), "after a virama the word goes on");
        assert!(
            b('的', '他') && b('a', '的') && b('的', 'a'),
            "Han characters are their own words"
        );
        assert!(!b('ก', '\u{E39}'), "Thai vowel sign continues the cluster");
        assert!(b('\u{E39}', 'เ'), "between Thai characters");
        assert!(!b('क', '\u{200D}'), "joiner continues");
    }

    #[test]
    fn nospace_chars_agree_with_the_language_table() {
        for (c, script) in [
            ('中', "Hans"),
            ('體', "Hant"),
            ('の', "Jpan"),
            ('カ', "Jpan"),
            ('ก', "Thai"),
            ('ກ', "Laoo"),
            ('ក', "Khmr"),
            ('က', "Mymr"),
            ('ཀ', "Tibt"),
        ] {
            assert!(is_nospace_char(c), "{c}");
            assert!(crate::lang::script_without_spaces(script), "{script}");
        }
        for (c, script) in [
            ('a', "Latn"),
            ('한', "Hang"),
            ('क', "Deva"),
            ('ع', "Arab"),
            ('я', "Cyrl"),
        ] {
            assert!(!is_nospace_char(c), "{c}");
            assert!(!crate::lang::script_without_spaces(script), "{script}");
        }
    }

    #[test]
    fn counts_words_by_script() {
        assert_eq!(count_words("the cat's 2 mats"), 5);
        assert_eq!(count_words("l'été dernier"), 3);
        assert_eq!(count_words("人人生而自由"), 6);
        assert_eq!(count_words("我用iphone拍照"), 5);
        assert_eq!(count_words("क्षत्रिय धर्म"), 2);
        assert_eq!(count_words(""), 0);
    }
}
