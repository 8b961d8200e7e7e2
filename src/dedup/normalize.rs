//! Text normalisation and shingling for near-duplicate detection, for every script.
//!
//! Normalisation (as FineWeb's `simplify_text`): lower-case, decompose (NFD) and drop combining
//! marks of Latin/Greek/Cyrillic letters (accents), digits → `0`, punctuation and symbols →
//! space. Marks of Brahmic and other abugidas are kept: there they are vowels, not accents.
//! Tokens are runs of word characters; a character of a script written without spaces (Han,
//! kana, Thai, Lao, Khmer, Myanmar, Tibetan) is a token by itself, so shingles over those scripts
//! are character n-grams and mixed text works.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// Whether `c` belongs to a script written without spaces between words.
pub fn is_unspaced_char(c: char) -> bool {
    matches!(c as u32,
        0x0E00..=0x0EFF      // Thai, Lao
        | 0x0F00..=0x0FFF    // Tibetan
        | 0x1000..=0x109F    // Myanmar
        | 0x1780..=0x17FF    // Khmer
        | 0x3040..=0x30FF    // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0x20000..=0x3134F  // CJK extensions B–G
    )
}

/// Scripts whose combining marks are accents that can be dropped (Latin, Greek, Cyrillic and
/// the combining diacritics blocks).
fn accents_droppable(base: char) -> bool {
    (base as u32) < 0x0530
}

/// Push the normalised form of `c` into `out` (a space for separators).
#[inline]
fn push_normalised(c: char, out: &mut String) {
    if c.is_ascii() {
        let b = c as u8;
        if b.is_ascii_alphabetic() {
            out.push(b.to_ascii_lowercase() as char);
        } else if b.is_ascii_digit() {
            out.push('0');
        } else {
            out.push(' ');
        }
        return;
    }
    if c.is_numeric() {
        out.push('0');
        return;
    }
    if !(c.is_alphanumeric() || is_combining_mark(c)) {
        out.push(' ');
        return;
    }
    if accents_droppable(c) || (0x1E00..=0x1FFF).contains(&(c as u32)) {
        // Latin/Greek/Cyrillic with accents: decompose and keep the base letters only.
        decompose_canonical(c, |d| {
            if !is_combining_mark(d) {
                for l in d.to_lowercase() {
                    out.push(l);
                }
            }
        });
        return;
    }
    if is_combining_mark(c) {
        // A mark on an abugida consonant (Devanagari vowel sign, virama…): part of the word.
        out.push(c);
        return;
    }
    for l in c.to_lowercase() {
        out.push(l);
    }
}

/// The normalised form of every character of the Basic Multilingual Plane, made once by
/// [`push_normalised`] itself: one lookup instead of std's and unicode-normalization's table
/// searches per character (which took ≈ 60 % of a signature before this table).
struct BmpForms {
    /// Per character: offset in `pool` << 8 | class << 6 | length in bytes.
    spans: Vec<u32>,
    pool: String,
}

/// What a character's form does to the tokens (two bits of its span).
mod class {
    /// A separator: the form is one space.
    pub const SEPARATOR: u32 = 0;
    /// Letters, digits or marks of spaced scripts: the form extends the current token.
    pub const WORD: u32 = 1;
    /// One character of a script written without spaces: a token of its own.
    pub const UNSPACED: u32 = 2;
    /// Anything else (never in the BMP today, kept for safety): taken character by character.
    pub const MIXED: u32 = 3;
}

fn bmp_forms() -> &'static BmpForms {
    static FORMS: std::sync::OnceLock<BmpForms> = std::sync::OnceLock::new();
    FORMS.get_or_init(|| {
        let mut forms = BmpForms {
            spans: vec![0; 0x1_0000],
            pool: String::with_capacity(0x3_0000),
        };
        for c in (0x80..0x1_0000).filter_map(char::from_u32) {
            let start = forms.pool.len();
            push_normalised(c, &mut forms.pool);
            let form = &forms.pool[start..];
            let class = if form == " " {
                class::SEPARATOR
            } else if !form.chars().any(|d| is_unspaced_char(d) || d == ' ') {
                class::WORD
            } else if form.chars().count() == 1 {
                class::UNSPACED
            } else {
                class::MIXED
            };
            assert!(form.len() < 64 && start < 1 << 24, "BMP form table layout");
            forms.spans[c as usize] = ((start as u32) << 8) | class << 6 | form.len() as u32;
        }
        forms
    })
}

impl BmpForms {
    /// The form of a BMP character outside ASCII, and its class.
    #[inline]
    fn form(&self, c: u32) -> (&[u8], u32) {
        let span = self.spans[c as usize];
        let start = (span >> 8) as usize;
        let form = &self.pool.as_bytes()[start..start + (span & 0x3F) as usize];
        (form, (span >> 6) & 3)
    }
}

/// The normalised text (lower-case, no accents, digits → 0, separators → single spaces).
pub fn normalise(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    normalise_and_hash_tokens(text, 0, &mut out, &mut Vec::new());
    // Only whole characters' forms are ever pushed: the bytes are UTF-8.
    String::from_utf8_lossy(&out).into_owned()
}

/// The normalised form of an ASCII byte: its lower case, `0` for a digit, a space otherwise.
const ASCII_FORMS: [u8; 128] = {
    let mut t = [b' '; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        if c.is_ascii_alphabetic() {
            t[b] = c.to_ascii_lowercase();
        } else if c.is_ascii_digit() {
            t[b] = b'0';
        }
        b += 1;
    }
    t
};

/// The normalised text being written and the token being read in it.
struct Normalised<'a> {
    norm: &'a mut Vec<u8>,
    tokens: &'a mut Vec<u64>,
    seed: u64,
    /// Where the current token started in `norm`.
    start: Option<usize>,
}

impl Normalised<'_> {
    /// End the current token (if any) at `end` (exclusive) and hash it.
    #[inline]
    fn end_token(&mut self, end: usize) {
        if let Some(s) = self.start.take() {
            self.tokens
                .push(xxh3_64_with_seed(&self.norm[s..end], self.seed));
        }
    }

    /// A separator: runs of them collapse to one space, none at the start.
    #[inline]
    fn separator(&mut self) {
        if self.norm.last().is_some_and(|&b| b != b' ') {
            self.end_token(self.norm.len());
            self.norm.push(b' ');
        }
    }

    /// Extend the current token (or start one) with word bytes.
    #[inline]
    fn word(&mut self, bytes: impl IntoIterator<Item = u8>) {
        if self.start.is_none() {
            self.start = Some(self.norm.len());
        }
        self.norm.extend(bytes);
    }

    /// A character of an unspaced script: a token of its own.
    #[inline]
    fn unspaced(&mut self, form: &[u8]) {
        self.end_token(self.norm.len());
        let at = self.norm.len();
        self.norm.extend_from_slice(form);
        self.tokens
            .push(xxh3_64_with_seed(&self.norm[at..], self.seed));
    }

    /// Any other form, character by character (characters outside the BMP).
    fn mixed(&mut self, form: &str) {
        for d in form.chars() {
            let mut buf = [0u8; 4];
            let bytes = d.encode_utf8(&mut buf).as_bytes();
            if d == ' ' {
                self.separator();
            } else if is_unspaced_char(d) {
                self.unspaced(bytes);
            } else {
                self.word(bytes.iter().copied());
            }
        }
    }
}

/// [`normalise`] into `norm` and [`token_hashes`] of the result into `tokens`, in one pass over
/// the text (the signature's hot path: normalising, then splitting and scanning each word again
/// for unspaced characters, was over half of a signature). Runs of ASCII letters and digits are
/// copied at once; other characters take their form and class from the BMP table. Both outputs
/// are cleared first.
pub fn normalise_and_hash_tokens(text: &str, seed: u64, norm: &mut Vec<u8>, tokens: &mut Vec<u64>) {
    norm.clear();
    tokens.clear();
    norm.reserve(text.len());
    let forms = bmp_forms();
    let mut out = Normalised {
        norm,
        tokens,
        seed,
        start: None,
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b < 0x80 {
            if ASCII_FORMS[b as usize] == b' ' {
                out.separator();
                i += 1;
                continue;
            }
            let run = i;
            i += 1;
            while i < bytes.len() && bytes[i] < 0x80 && ASCII_FORMS[bytes[i] as usize] != b' ' {
                i += 1;
            }
            out.word(bytes[run..i].iter().map(|&b| ASCII_FORMS[b as usize]));
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break; // unreachable: `i` is on a character boundary of a str
        };
        i += c.len_utf8();
        if (c as u32) >= 0x1_0000 {
            let mut form = String::new();
            push_normalised(c, &mut form);
            out.mixed(&form);
            continue;
        }
        match forms.form(c as u32) {
            (_, class::SEPARATOR) => out.separator(),
            (form, class::WORD) => out.word(form.iter().copied()),
            (form, class::UNSPACED) => out.unspaced(form),
            (form, _) => out.mixed(std::str::from_utf8(form).unwrap_or(" ")),
        }
    }
    if out.norm.last() == Some(&b' ') {
        out.norm.pop();
    }
    out.end_token(out.norm.len());
}

/// 64-bit hashes of the tokens of normalised text, in order.
pub fn token_hashes(normalised: &str, seed: u64, out: &mut Vec<u64>) {
    out.clear();
    for word in normalised.split(' ') {
        if word.is_empty() {
            continue;
        }
        if !word.chars().any(is_unspaced_char) {
            out.push(xxh3_64_with_seed(word.as_bytes(), seed));
            continue;
        }
        // Split unspaced characters into tokens of their own; runs of other characters inside
        // the same word (Latin letters between ideographs) stay one token.
        let mut start = None;
        for (i, c) in word.char_indices() {
            if is_unspaced_char(c) {
                if let Some(s) = start.take() {
                    out.push(xxh3_64_with_seed(&word.as_bytes()[s..i], seed));
                }
                out.push(xxh3_64_with_seed(
                    &word.as_bytes()[i..i + c.len_utf8()],
                    seed,
                ));
            } else if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(s) = start {
            out.push(xxh3_64_with_seed(&word.as_bytes()[s..], seed));
        }
    }
}

/// Hashes of the `n`-token shingles of a token sequence. A document with fewer than `n` tokens
/// (but at least one) has exactly one shingle: all its tokens, so short documents match only
/// documents with the same short text, instead of all sharing one empty signature.
pub fn shingle_hashes(tokens: &[u64], n: usize, seed: u64, out: &mut Vec<u64>) {
    out.clear();
    if tokens.is_empty() {
        return;
    }
    let n = n.max(1).min(tokens.len());
    let mut buf = [0u8; 8 * 32];
    for window in tokens.windows(n) {
        let mut len = 0;
        for (j, t) in window.iter().enumerate().take(32) {
            buf[j * 8..j * 8 + 8].copy_from_slice(&t.to_le_bytes());
            len = j * 8 + 8;
        }
        out.push(xxh3_64_with_seed(&buf[..len], seed ^ n as u64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation_folds_case_accents_digits_and_punctuation() {
        assert_eq!(
            normalise("  Héllo, WORLD!! 2024 — Ça va? "),
            "hello world 0000 ca va"
        );
        assert_eq!(normalise("Ünïcödé"), "unicode");
        assert_eq!(normalise(" \t\n"), "");
        assert_eq!(normalise("a\u{3000}\u{a0}b  c\u{2028}"), "a b c");
        // Devanagari vowel signs are marks but stay.
        assert_eq!(normalise("नमस्ते दुनिया"), "नमस्ते दुनिया");
    }

    #[test]
    fn the_bmp_table_gives_what_each_character_normalises_to() {
        let forms = bmp_forms();
        for c in (0x80..0x1_0000).filter_map(char::from_u32) {
            let mut slow = String::new();
            push_normalised(c, &mut slow);
            let (fast, class) = forms.form(c as u32);
            assert_eq!(fast, slow.as_bytes(), "U+{:04X}", c as u32);
            let want = match slow.as_str() {
                " " => class::SEPARATOR,
                f if f.chars().count() == 1 && f.chars().all(is_unspaced_char) => class::UNSPACED,
                f => {
                    assert!(
                        !f.chars().any(|d| is_unspaced_char(d) || d == ' '),
                        "U+{:04X}",
                        c as u32
                    );
                    class::WORD
                }
            };
            assert_eq!(class, want, "U+{:04X}", c as u32);
        }
    }

    /// The normalised text as the definition gives it: each character's form, runs of
    /// separators as one space, none at either end.
    fn normalise_reference(text: &str) -> String {
        let mut out = String::new();
        for c in text.chars() {
            let mut form = String::new();
            push_normalised(c, &mut form);
            if form == " " {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            } else {
                out.push_str(&form);
            }
        }
        out.trim_end_matches(' ').to_string()
    }

    /// The one-pass tokens are those of the reference tokenizer over the normalised text, on
    /// real text of every script the shared data has (the UDHR in 109 languages) and odd strings.
    #[test]
    fn one_pass_tokens_equal_token_hashes_of_the_normalised_text() {
        let udhr = crate::test_paths::shared_data().join("udhr");
        let mut texts: Vec<String> = std::fs::read_dir(&udhr)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        assert!(texts.len() >= 100, "UDHR texts in {}", udhr.display());
        for odd in [
            "",
            " ",
            "  a  ",
            "A1b2",
            "我用Rust写代码。",
            "x今y",
            "ǅemal Ǉ",
            "\u{1F600}😀a",
            "ﬁne ﬂow",
            "Straße ΣΊΣΥΦΟΣ",
            "a\u{0301}\u{0301} b",
            "\u{2028}x\u{3000}",
        ] {
            texts.push(odd.to_string());
        }
        let (mut norm, mut tokens, mut want) = (Vec::new(), Vec::new(), Vec::new());
        for t in &texts {
            normalise_and_hash_tokens(t, 7, &mut norm, &mut tokens);
            let norm = std::str::from_utf8(&norm).unwrap();
            assert_eq!(norm, normalise_reference(t));
            token_hashes(norm, 7, &mut want);
            assert_eq!(tokens, want, "{:?}", t.chars().take(60).collect::<String>());
            assert!(!norm.starts_with(' ') && !norm.ends_with(' ') && !norm.contains("  "));
        }
    }

    #[test]
    fn unspaced_scripts_become_character_tokens() {
        let mut t = Vec::new();
        token_hashes(&normalise("今天天气很好"), 0, &mut t);
        assert_eq!(t.len(), 6);
        token_hashes(&normalise("我用Rust写代码"), 0, &mut t);
        assert_eq!(t.len(), 6, "我 用 rust 写 代 码");
        token_hashes(&normalise("the quick brown fox"), 0, &mut t);
        assert_eq!(t.len(), 4);
    }

    #[test]
    fn short_documents_get_one_shingle_of_their_own() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        let mut sa = Vec::new();
        let mut sb = Vec::new();
        token_hashes("hello world", 0, &mut a);
        token_hashes("goodbye world", 0, &mut b);
        shingle_hashes(&a, 5, 0, &mut sa);
        shingle_hashes(&b, 5, 0, &mut sb);
        assert_eq!(sa.len(), 1);
        assert_ne!(sa, sb);
    }
}
