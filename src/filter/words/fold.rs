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
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

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
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i += 1;
        }
        let token = &text[start..i];
        if !token.is_empty() {
            if token.is_ascii() {
                out.extend(token.bytes().map(|c| c.to_ascii_lowercase() as char));
                last_space = false;
            } else {
                for c in token
                    .chars()
                    .nfd()
                    .default_case_fold()
                    .nfkd()
                    .default_case_fold()
                    .nfc()
                {
                    if c.is_whitespace() {
                        if !last_space {
                            out.push(' ');
                            last_space = true;
                        }
                    } else {
                        out.push(c);
                        last_space = false;
                    }
                }
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
    c.is_alphanumeric() || is_combining_mark(c) || is_joiner(c)
}

/// Continues the preceding character's cluster (never starts a word or a match).
#[inline]
fn is_cluster_continuation(c: char) -> bool {
    !c.is_ascii() && (is_combining_mark(c) || is_joiner(c))
}

/// A character of a script written without spaces between words (see the module doc).
#[inline]
pub fn is_nospace_char(c: char) -> bool {
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
