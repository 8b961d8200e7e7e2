//! Text measurements shared by the quality rules: lines, paragraphs and words counted correctly in
//! every script. Scripts written with spaces are split on whitespace (and the Ethiopic word space);
//! scripts written without spaces (Han, kana, Thai, Lao, Khmer, Myanmar, Tibetan) count each letter
//! as one unit, combining marks staying with their base letter, so a Chinese or Thai document is
//! measured in characters and its thresholds are set accordingly in `filters/<tag>.toml`.

use std::sync::OnceLock;

use unicode_normalization::char::is_combining_mark;
use xxhash_rust::xxh3::xxh3_64;

/// How words are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Whitespace-separated words, trimmed of punctuation.
    Words,
    /// One unit per letter of a script without spaces; runs of other letters count as one word.
    Chars,
}

/// One word (or character unit) of a document.
#[derive(Debug, Clone, Copy)]
pub struct Word<'a> {
    /// The word as written (punctuation trimmed).
    pub text: &'a str,
    /// Its length in code points (as Gopher, datatrove and FineWeb-2 count).
    pub len: u32,
    /// xxh3 of its bytes, for n-gram counting.
    pub hash: u64,
}

/// Character classes of the Basic Multilingual Plane as bitmaps (8 KB each), built once from
/// std's and unicode-normalization's own answers, which binary-search their Unicode tables for
/// every non-ASCII character (≈ 5 % of the fused filter pass on multilingual text).
struct BmpClasses {
    alpha: Vec<u64>,
    alnum: Vec<u64>,
    wordish: Vec<u64>,
}

fn bmp() -> &'static BmpClasses {
    static CLASSES: OnceLock<BmpClasses> = OnceLock::new();
    CLASSES.get_or_init(|| {
        let mut t = BmpClasses {
            alpha: vec![0; 1024],
            alnum: vec![0; 1024],
            wordish: vec![0; 1024],
        };
        for c in (0..0x1_0000).filter_map(char::from_u32) {
            let (w, bit) = ((c as u32 >> 6) as usize, 1u64 << (c as u32 & 63));
            if c.is_alphabetic() {
                t.alpha[w] |= bit;
            }
            if c.is_alphanumeric() {
                t.alnum[w] |= bit;
            }
            if c.is_alphanumeric() || is_combining_mark(c) {
                t.wordish[w] |= bit;
            }
        }
        t
    })
}

#[inline]
fn bmp_bit(table: &[u64], u: u32) -> bool {
    (table[(u >> 6) as usize] >> (u & 63)) & 1 == 1
}

/// `char::is_alphabetic`, from a bitmap in the BMP.
#[inline]
pub fn is_alpha(c: char) -> bool {
    match c as u32 {
        u if u < 0x80 => c.is_ascii_alphabetic(),
        u if u < 0x1_0000 => bmp_bit(&bmp().alpha, u),
        _ => c.is_alphabetic(),
    }
}

/// `char::is_alphanumeric`, from a bitmap in the BMP.
#[inline]
fn is_alnum(c: char) -> bool {
    match c as u32 {
        u if u < 0x80 => c.is_ascii_alphanumeric(),
        u if u < 0x1_0000 => bmp_bit(&bmp().alnum, u),
        _ => c.is_alphanumeric(),
    }
}

/// Whether `c` belongs to a script written without spaces between words.
pub fn is_spaceless_char(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x0F00..=0x0FFF    // Tibetan
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF | 0x19E0..=0x19FF // Khmer
        | 0x2E80..=0x2FDF    // CJK radicals
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3100..=0x312F | 0x31A0..=0x31FF // Bopomofo
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF // Han
        | 0xFF66..=0xFF9F    // half-width Katakana
        | 0x20000..=0x3FFFF) // Han extensions
}

/// Guess the unit from the text when the language does not say: characters when most letters are
/// in scripts without spaces.
pub fn guess_unit(text: &str) -> Unit {
    let (mut spaceless, mut letters) = (0usize, 0usize);
    for c in text.chars().take(2000) {
        if is_alpha(c) {
            letters += 1;
            if is_spaceless_char(c) {
                spaceless += 1;
            }
        }
    }
    if letters > 0 && spaceless * 2 > letters {
        Unit::Chars
    } else {
        Unit::Words
    }
}

fn is_word_sep(c: char) -> bool {
    c.is_whitespace() || c == '\u{1361}' // Ethiopic word space ፡
}

/// Length of a word in code points.
pub fn char_len(s: &str) -> u32 {
    if s.is_ascii() {
        return s.len() as u32;
    }
    s.chars().count() as u32
}

/// A letter, digit or combining mark: what a word is made of.
fn is_wordish(c: char) -> bool {
    match c as u32 {
        u if u < 0x80 => c.is_ascii_alphanumeric(),
        u if u < 0x1_0000 => bmp_bit(&bmp().wordish, u),
        _ => c.is_alphanumeric() || is_combining_mark(c),
    }
}

/// Whitespace tokens: (all, with at least one letter). Gopher's "words with an alphabetic
/// character" share uses these.
pub fn token_counts(text: &str) -> (usize, usize) {
    let (mut all, mut alpha) = (0, 0);
    for tok in text.split(is_word_sep).filter(|t| !t.is_empty()) {
        all += 1;
        if tok.chars().any(is_alpha) {
            alpha += 1;
        }
    }
    (all, alpha)
}

/// Push the words of `text` into `out` (cleared first).
pub fn words_into<'a>(text: &'a str, unit: Unit, out: &mut Vec<Word<'a>>) {
    out.clear();
    match unit {
        Unit::Words => {
            for tok in text.split(is_word_sep) {
                let w = tok.trim_matches(|c: char| !is_wordish(c));
                if !w.is_empty() {
                    out.push(Word {
                        text: w,
                        len: char_len(w),
                        hash: xxh3_64(w.as_bytes()),
                    });
                }
            }
        }
        Unit::Chars => chars_into(text, out),
    }
}

/// Count words without keeping them.
pub fn count_words(text: &str, unit: Unit) -> usize {
    match unit {
        Unit::Words => text
            .split(is_word_sep)
            .filter(|t| t.chars().any(is_wordish))
            .count(),
        Unit::Chars => {
            let mut v = Vec::new();
            chars_into(text, &mut v);
            v.len()
        }
    }
}

fn chars_into<'a>(text: &'a str, out: &mut Vec<Word<'a>>) {
    // A unit is one spaceless letter plus its marks, or a run of other word characters.
    let mut start: Option<usize> = None;
    let mut run_spaceless = false;
    let flush = |out: &mut Vec<Word<'a>>, s: usize, e: usize| {
        let w = &text[s..e];
        out.push(Word {
            text: w,
            len: char_len(w),
            hash: xxh3_64(w.as_bytes()),
        });
    };
    for (i, c) in text.char_indices() {
        if is_combining_mark(c) {
            continue; // stays with the current unit (or is dropped after a separator)
        }
        let wordish = is_alnum(c);
        let spaceless = wordish && is_spaceless_char(c);
        match start {
            Some(s) if wordish && !spaceless && !run_spaceless => {
                let _ = s; // extend the run of spaced letters
            }
            Some(s) => {
                flush(out, s, i);
                start = wordish.then_some(i);
                run_spaceless = spaceless;
            }
            None => {
                if wordish {
                    start = Some(i);
                    run_spaceless = spaceless;
                }
            }
        }
    }
    if let Some(s) = start {
        flush(out, s, text.len());
    }
}

/// Non-blank lines, without their line ending.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .filter(|l| !l.trim().is_empty())
}

/// Characters that close a quotation or bracket and may follow the final punctuation.
fn is_closer(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '”'
            | '’'
            | '»'
            | '›'
            | ')'
            | ']'
            | '」'
            | '』'
            | '）'
            | '】'
            | '》'
            | '〉'
            | '*'
            | '_'
    )
}

/// Sentence-final punctuation of every script (Unicode Sentence_Terminal, Basic Multilingual
/// Plane, plus the Tibetan shad).
pub fn is_terminal(c: char) -> bool {
    matches!(
        c,
        '.' | '!'
            | '?'
            | '։'
            | '؞'
            | '؟'
            | '۔'
            | '܀'
            | '܁'
            | '܂'
            | '߹'
            | '।'
            | '॥'
            | '၊'
            | '။'
            | '።'
            | '፧'
            | '፨'
            | '᙮'
            | '᜵'
            | '᜶'
            | '។'
            | '៕'
            | '᠃'
            | '᠉'
            | '᥄'
            | '᥅'
            | '᪨'
            | '᪩'
            | '᪪'
            | '᪫'
            | '᭚'
            | '᭛'
            | '᭞'
            | '᭟'
            | '᰻'
            | '᰼'
            | '᱾'
            | '᱿'
            | '‼'
            | '‽'
            | '⁇'
            | '⁈'
            | '⁉'
            | '⸮'
            | '⸼'
            | '。'
            | '꓿'
            | '꘎'
            | '꘏'
            | '꛳'
            | '꛷'
            | '꡶'
            | '꡷'
            | '꣎'
            | '꣏'
            | '꤯'
            | '꧈'
            | '꧉'
            | '꩝'
            | '꩞'
            | '꩟'
            | '꫰'
            | '꫱'
            | '꯫'
            | '﹒'
            | '﹖'
            | '﹗'
            | '！'
            | '．'
            | '？'
            | '｡'
            | '།'
            | '༎'
            | '…'
            | '․'
    ) // ONE DOT LEADER, the usual stand-in for the Armenian full stop ։
}

/// Clause punctuation that ends a line of running prose (`,` `;` `:` in every script).
pub fn is_clause_punct(c: char) -> bool {
    matches!(
        c,
        ',' | ';' | ':' | '،' | '؛' | '、' | '，' | '；' | '：' | '፣' | '፤' | '፥' | '༔' | '་'
    )
}

/// The last character of a line that is not a closing quote or bracket.
pub fn last_significant(line: &str) -> Option<char> {
    line.trim_end().chars().rev().find(|&c| !is_closer(c))
}

/// Whether the line ends a sentence (terminal punctuation, possibly followed by closing quotes);
/// an ellipsis does not end one.
pub fn ends_with_terminal(line: &str, extra: &[char]) -> bool {
    let l = line.trim_end().trim_end_matches(is_closer);
    if l.ends_with("...") || l.ends_with('…') {
        return false;
    }
    // Ethiopic text often writes the full stop as two word spaces (፡፡).
    if l.ends_with("፡፡") {
        return true;
    }
    l.chars()
        .next_back()
        .is_some_and(|c| is_terminal(c) || extra.contains(&c))
}

/// Sentences in a line: runs of terminal punctuation that end the line or are followed by a
/// non-word character (a `.` directly followed by a letter or digit, as in `3.5` or `e.g`, does
/// not count; `。` does), at least 1.
pub fn sentences_in_line(line: &str, extra: &[char]) -> usize {
    let mut n = 0;
    let mut in_run = false;
    let mut run_only_dots = true;
    let mut open = false; // words since the last counted sentence end
    for c in line.chars() {
        if is_terminal(c) || extra.contains(&c) {
            in_run = true;
            run_only_dots &= c == '.';
            continue;
        }
        if in_run && !is_closer(c) {
            if !is_alnum(c) || !run_only_dots {
                n += 1;
                open = false;
            }
            in_run = false;
            run_only_dots = true;
        }
        open |= is_alnum(c);
    }
    if in_run || open {
        n += 1;
    }
    n.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_classes_are_std_s_for_every_char() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            assert_eq!(is_alpha(c), c.is_alphabetic(), "{c:?}");
            assert_eq!(is_alnum(c), c.is_alphanumeric(), "{c:?}");
            let wordish = c.is_alphanumeric() || is_combining_mark(c);
            assert_eq!(is_wordish(c), wordish, "{c:?}");
        }
    }

    fn words(t: &str, u: Unit) -> Vec<&str> {
        let mut v = Vec::new();
        words_into(t, u, &mut v);
        v.into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn words_are_trimmed_of_punctuation() {
        assert_eq!(
            words("Hello, world! — «oui» 42.", Unit::Words),
            ["Hello", "world", "oui", "42"]
        );
        assert_eq!(words("ሰው፡ሁሉ", Unit::Words), ["ሰው", "ሁሉ"]);
    }

    #[test]
    fn spaceless_scripts_count_letters() {
        assert_eq!(
            words("人人生而自由。iPhone 15", Unit::Chars),
            ["人", "人", "生", "而", "自", "由", "iPhone", "15"]
        );
        // Thai vowel marks stay with their consonant.
        let th = words("สิทธิ", Unit::Chars);
        assert_eq!(th.len(), 3, "{th:?}");
        assert_eq!(
            guess_unit("人人生而自由,在尊严和权利上一律平等。"),
            Unit::Chars
        );
        assert_eq!(
            guess_unit("Tous les êtres humains naissent libres."),
            Unit::Words
        );
        assert_eq!(count_words("人人生而自由", Unit::Chars), 6);
    }

    #[test]
    fn terminal_punctuation_of_many_scripts() {
        for l in [
            "End.",
            "¿Qué?",
            "终。",
            "समाप्त।",
            "ختم؟",
            "ختم۔",
            "ያበቃል።",
            "ያበቃል፡፡",
            "«Fin.»",
            "He said \"no.\"",
            "ཚར།",
            "Վերջ․",
        ] {
            assert!(ends_with_terminal(l, &[]), "{l}");
        }
        for l in ["Menu", "Read more...", "and so…", "whereas,"] {
            assert!(!ends_with_terminal(l, &[]), "{l}");
        }
        assert_eq!(sentences_in_line("One. Two! Three", &[]), 3);
        assert_eq!(sentences_in_line("一。二。", &[]), 2);
        assert_eq!(sentences_in_line("Pi is 3.14, e.g. here.", &[]), 2);
        assert_eq!(sentences_in_line("No punctuation", &[]), 1);
    }
}
