//! The fast path of `tamis lid`'s input scan: one pass over a JSON-lines object whose values
//! are strings, numbers, `true`, `false` or `null`, decoding the text field into a buffer the
//! caller reuses (no allocation per line).
//!
//! It accepts only lines that are valid JSON by construction (RFC 8259 grammar for the subset;
//! the caller has checked UTF-8) and answers exactly what the serde_json scan answers for them.
//! Anything else (nested values, an escaped key, a text field that is not a string, an invalid
//! escape or a lone surrogate, a control character, trailing bytes) gives `None`, and the caller
//! takes the serde_json path, which gives the same answer or the same error message as before.

use std::ops::Range;

/// Where the text field's value is, when the fast path found one.
#[derive(Debug, PartialEq)]
pub(crate) enum TextAt {
    /// No text field (or it was not the last occurrence that counts: see [`scan`]).
    Absent,
    /// Borrowed from the line: the string had no escapes.
    Line(Range<usize>),
    /// Decoded into the caller's buffer.
    Buffer,
}

/// What the fast path found in an object.
#[derive(Debug, PartialEq)]
pub(crate) struct Scan {
    pub(crate) text: TextAt,
    /// Number of fields (duplicates counted).
    pub(crate) fields: usize,
    /// Whether a key other than the text field is one of `ours`.
    pub(crate) has_ours: bool,
}

/// Scans `line` (one JSON object, without its line break) for the string field `field`; its last
/// occurrence counts, as in a map. `None`: not in the fast path's subset (see the module docs).
pub(crate) fn scan(line: &str, field: &str, ours: &[&str], buf: &mut String) -> Option<Scan> {
    let b = line.as_bytes();
    let mut i = ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = ws(b, i + 1);
    let mut out = Scan {
        text: TextAt::Absent,
        fields: 0,
        has_ours: false,
    };
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            if b.get(i) != Some(&b'"') {
                return None;
            }
            let (end, escaped) = string(line, i + 1, None)?;
            if escaped {
                return None; // an escaped key: serde_json compares it decoded
            }
            let key = &line[i + 1..end];
            i = ws(b, end + 1);
            if b.get(i) != Some(&b':') {
                return None;
            }
            i = ws(b, i + 1);
            out.fields += 1;
            let is_field = key == field;
            if b.get(i) == Some(&b'"') {
                let end = if is_field {
                    buf.clear();
                    let (end, escaped) = string(line, i + 1, Some(buf))?;
                    out.text = if escaped {
                        TextAt::Buffer
                    } else {
                        TextAt::Line(i + 1..end)
                    };
                    end
                } else {
                    string(line, i + 1, None)?.0
                };
                i = end + 1;
            } else if is_field {
                return None; // not a string: serde_json's scan says which error
            } else {
                i = scalar_end(b, i)?;
            }
            if !is_field && ours.contains(&key) {
                out.has_ours = true;
            }
            i = ws(b, i);
            match b.get(i) {
                Some(b',') => i = ws(b, i + 1),
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    (ws(b, i) == b.len()).then_some(out)
}

/// Skips JSON whitespace.
#[inline]
fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// Eight bytes at a time: whether any is `"`, `\` or a control character (< 0x20).
#[inline(always)]
fn special(w: u64) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |x: u64| x.wrapping_sub(LO) & !x & HI;
    // Bytes < 0x20: (b - 0x20) borrows into the high bit, unless b >= 0x80 already.
    let control = w.wrapping_sub(LO * 0x20) & !w & HI;
    (zero(w ^ (LO * b'"' as u64)) | zero(w ^ (LO * b'\\' as u64)) | control) != 0
}

/// Bytes that end a run of plain string contents: `"`, `\` and control characters.
static SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        t[c] = true;
        c += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Value of a hex digit, 0xFF for other bytes.
static HEX: [u8; 256] = {
    let mut t = [0xFF; 256];
    let mut c = 0;
    while c < 10 {
        t[b'0' as usize + c] = c as u8;
        c += 1;
    }
    let mut c = 0;
    while c < 6 {
        t[b'a' as usize + c] = 10 + c as u8;
        t[b'A' as usize + c] = 10 + c as u8;
        c += 1;
    }
    t
};

/// From just after an opening quote: the index of the closing quote, and whether the string
/// had escapes. With `out`, the decoded contents are appended to it. `None` for anything
/// serde_json might judge otherwise: an unterminated string, a control character, an unknown
/// escape, bad hex, a lone surrogate.
#[inline]
fn string(line: &str, mut i: usize, mut out: Option<&mut String>) -> Option<(usize, bool)> {
    let b = line.as_bytes();
    let mut escaped = false;
    loop {
        let run = i;
        while let Some(chunk) = b.get(i..i + 8) {
            if special(u64::from_le_bytes(chunk.try_into().unwrap())) {
                break;
            }
            i += 8;
        }
        while i < b.len() && !SPECIAL[b[i] as usize] {
            i += 1;
        }
        if let Some(o) = out.as_deref_mut() {
            o.push_str(&line[run..i]);
        }
        // Escapes often come in a row (`\u0d15\u0d41…`): decode them without a run between.
        loop {
            match *b.get(i)? {
                b'"' => return Some((i, escaped)),
                b'\\' => {}
                _ => return None, // a control character
            }
            escaped = true;
            let c = match *b.get(i + 1)? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let hi = hex4(b, i + 2)?;
                    i += 4;
                    match hi {
                        0xD800..=0xDBFF => {
                            if b.get(i + 2..i + 4) != Some(b"\\u") {
                                return None;
                            }
                            let lo = hex4(b, i + 4)?;
                            if !(0xDC00..=0xDFFF).contains(&lo) {
                                return None;
                            }
                            i += 6;
                            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))?
                        }
                        0xDC00..=0xDFFF => return None,
                        _ => char::from_u32(hi)?,
                    }
                }
                _ => return None,
            };
            i += 2;
            if let Some(o) = out.as_deref_mut() {
                o.push(c);
            }
            if b.get(i) != Some(&b'\\') {
                break;
            }
        }
    }
}

/// Four hex digits at `i`.
#[inline(always)]
fn hex4(b: &[u8], i: usize) -> Option<u32> {
    let h = b.get(i..i + 4)?;
    let v = [
        HEX[h[0] as usize],
        HEX[h[1] as usize],
        HEX[h[2] as usize],
        HEX[h[3] as usize],
    ];
    if (v[0] | v[1] | v[2] | v[3]) & 0xF0 != 0 {
        return None;
    }
    Some((v[0] as u32) << 12 | (v[1] as u32) << 8 | (v[2] as u32) << 4 | v[3] as u32)
}

/// After a value that is not a string: the end of a number, `true`, `false` or `null`.
fn scalar_end(b: &[u8], i: usize) -> Option<usize> {
    let rest = &b[i..];
    for lit in [&b"true"[..], b"false", b"null"] {
        if rest.starts_with(lit) {
            return Some(i + lit.len());
        }
    }
    // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    let digits = |mut j: usize| {
        let start = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        (j > start).then_some(j)
    };
    let mut j = i + usize::from(b.get(i) == Some(&b'-'));
    j = match b.get(j)? {
        b'0' => j + 1,
        b'1'..=b'9' => digits(j)?,
        _ => return None,
    };
    if b.get(j) == Some(&b'.') {
        j = digits(j + 1)?;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        j += 1;
        if matches!(b.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        j = digits(j)?;
    }
    Some(j)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OURS: [&str; 2] = ["lang", "lang_score"];

    fn found<'a>(line: &'a str, s: &Scan, buf: &'a str) -> Option<&'a str> {
        match &s.text {
            TextAt::Absent => None,
            TextAt::Line(r) => Some(&line[r.clone()]),
            TextAt::Buffer => Some(buf),
        }
    }

    /// On every line the fast path accepts, serde_json accepts the line too and decodes the
    /// same text; lines it declines are left to serde_json.
    #[test]
    fn agrees_with_serde_json() {
        let accepted = [
            r#"{"text": "plain"}"#,
            r#"  {"text":"a\"b\\c\/d\b\f\n\r\t"}  "#,
            r#"{"text": "\u00e9\u0D15 \ud83d\ude00 x\u0000"}"#,
            r#"{"id": -12.5e+3, "ok": true, "no": false, "n": null, "text": "t", "z": 0}"#,
            r#"{"text": "first", "text": "second"}"#,
            r#"{"lang": "x", "text": "y"}"#,
            r#"{"other": "esc\u0041ped", "text": "y"}"#,
            r#"{}"#,
            r#"{"a": 1E5, "b": 0.5, "c": -0}"#,
            "{\"text\": \"caf\u{e9} \u{4e2d}\"}",
        ];
        for line in accepted {
            let mut buf = String::new();
            let s = scan(line, "text", &OURS, &mut buf).unwrap_or_else(|| panic!("{line}"));
            let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
            assert_eq!(
                found(line, &s, &buf),
                v.get("text").and_then(|t| t.as_str()),
                "{line}"
            );
            assert_eq!(s.has_ours, line.contains("\"lang\""), "{line}");
        }
        let declined = [
            r#"{"te\u0078t": "x"}"#,              // escaped key
            r#"{"text": ["a"]}"#,                 // not a string
            r#"{"text": 5}"#,                     // not a string
            r#"{"meta": {"a": 1}, "text": "x"}"#, // nested
            r#"{"text": "x", "l": [1]}"#,         // nested
            r#"{"text": "unterminated"#,          // invalid
            r#"{"text": "x"} trailing"#,          // invalid
            r#"{"text": "x",}"#,                  // invalid
            r#"{"text": "\ud800"}"#,              // lone surrogate
            r#"{"text": "\udc00\ud800"}"#,        // lone surrogates
            r#"{"text": "\ud800\u0041"}"#,        // high surrogate, then no low one
            r#"{"text": "\x"}"#,                  // unknown escape
            r#"{"text": "\u12g4"}"#,              // bad hex
            r#"{"a": 01, "text": "x"}"#,          // invalid number
            r#"{"a": 1., "text": "x"}"#,          // invalid number
            r#"{"a": -, "text": "x"}"#,           // invalid number
            r#"{"a": tru, "text": "x"}"#,         // invalid literal
            "{\"text\": \"tab\tinside\"}",        // control character
            r#"["text"]"#,                        // not an object
            "",
        ];
        for line in declined {
            assert_eq!(
                scan(line, "text", &OURS, &mut String::new()),
                None,
                "{line}"
            );
        }
    }

    /// Random texts, escaped as serde_json writes them and as Python's `json.dumps` does
    /// (`\uXXXX` for every non-ASCII character, surrogate pairs beyond the BMP), decode back.
    #[test]
    fn decodes_random_texts() {
        let pool = [
            'a', 'Z', ' ', '"', '\\', '/', '\n', '\t', '\u{1}', '\u{1f}', 'é', 'ക', '中', '😀',
            '\u{7f}',
        ];
        let mut x = 7u64;
        for n in 0..2000 {
            let text: String = (0..n % 50)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    pool[(x % pool.len() as u64) as usize]
                })
                .collect();
            let mut ascii = String::from("{\"text\": \"");
            for c in text.chars() {
                match c {
                    '"' => ascii.push_str("\\\""),
                    '\\' => ascii.push_str("\\\\"),
                    c if c.is_ascii() && c >= ' ' => ascii.push(c),
                    c => {
                        let mut units = [0u16; 2];
                        for u in c.encode_utf16(&mut units) {
                            ascii.push_str(&format!("\\u{u:04x}"));
                        }
                    }
                }
            }
            ascii.push_str("\"}");
            let plain = serde_json::json!({ "text": text }).to_string();
            for line in [ascii, plain] {
                let mut buf = String::from("left over");
                let s = scan(&line, "text", &OURS, &mut buf).unwrap_or_else(|| panic!("{line}"));
                assert_eq!(found(&line, &s, &buf), Some(text.as_str()), "{line}");
            }
        }
    }

    #[test]
    fn special_bytes_are_found_in_every_lane() {
        for lane in 0..8 {
            for c in [b'"', b'\\', 0, 0x1f] {
                let mut w = [b'a'; 8];
                w[lane] = c;
                assert!(special(u64::from_le_bytes(w)), "{c:#x} at {lane}");
            }
            for c in [b' ', b'!', b'#', b'[', b']', 0x7f, 0x80, 0xff] {
                let mut w = [b'a'; 8];
                w[lane] = c;
                assert!(!special(u64::from_le_bytes(w)), "{c:#x} at {lane}");
            }
        }
    }
}
