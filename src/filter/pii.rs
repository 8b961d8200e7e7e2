//! PII redaction: e-mail addresses, public IP addresses, phone numbers, IBANs and payment card
//! numbers are *replaced* (`<EMAIL>`, `<IP>`, …), never the reason to drop a document. The
//! `regex` crate (linear time) finds candidates; code then validates them: IP addresses must be
//! public (private, loopback, link-local, multicast, reserved and documentation ranges are left
//! alone), IBANs must have their country's length and a valid mod-97 check, card numbers a valid
//! Luhn digit and a known issuer prefix, phone numbers an international `+CC` form or a common
//! national layout (North American, or trunk prefix `0` with grouped digits). Counts per kind go
//! to `metadata.pii` (`{"email": 2}`), which the runner adds to the stats as `pii/<kind>`; the
//! values themselves are never logged.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::DocFilter;
use crate::config::ConfigProblem;
use crate::doc::{Doc, Verdict};

/// A kind of personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PiiKind {
    /// E-mail addresses.
    Email,
    /// IBANs with a valid mod-97 check.
    Iban,
    /// Payment card numbers with a valid Luhn digit.
    Card,
    /// Public IPv4 and IPv6 addresses.
    Ip,
    /// Phone numbers.
    Phone,
}

impl PiiKind {
    /// Every kind, in matching priority (an e-mail wins over a phone number inside it).
    pub const ALL: [PiiKind; 5] = [
        PiiKind::Email,
        PiiKind::Iban,
        PiiKind::Card,
        PiiKind::Ip,
        PiiKind::Phone,
    ];

    /// The name used in config, metadata and stats.
    pub fn as_str(self) -> &'static str {
        match self {
            PiiKind::Email => "email",
            PiiKind::Iban => "iban",
            PiiKind::Card => "card",
            PiiKind::Ip => "ip",
            PiiKind::Phone => "phone",
        }
    }
}

/// Replacement strings, per kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Replacements {
    /// Replaces e-mail addresses.
    pub email: String,
    /// Replaces public IP addresses.
    pub ip: String,
    /// Replaces phone numbers.
    pub phone: String,
    /// Replaces IBANs.
    pub iban: String,
    /// Replaces card numbers.
    pub card: String,
}

impl Default for Replacements {
    fn default() -> Self {
        Replacements {
            email: "<EMAIL>".into(),
            ip: "<IP>".into(),
            phone: "<PHONE>".into(),
            iban: "<IBAN>".into(),
            card: "<CARD>".into(),
        }
    }
}

impl Replacements {
    fn get(&self, k: PiiKind) -> &str {
        match k {
            PiiKind::Email => &self.email,
            PiiKind::Ip => &self.ip,
            PiiKind::Phone => &self.phone,
            PiiKind::Iban => &self.iban,
            PiiKind::Card => &self.card,
        }
    }
}

/// `[filters.pii]`: which kinds of personal data are replaced, and by what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PiiConfig {
    /// Kinds to replace: any of `email`, `ip`, `phone`, `iban`, `card` (default: all).
    pub kinds: Vec<PiiKind>,
    /// Replacement strings (`[filters.pii.replace]`).
    pub replace: Replacements,
}

impl Default for PiiConfig {
    fn default() -> Self {
        PiiConfig {
            kinds: PiiKind::ALL.to_vec(),
            replace: Replacements::default(),
        }
    }
}

impl PiiConfig {
    /// Problems visible without loading anything.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        if self.kinds.is_empty() {
            out.push(ConfigProblem {
                at: "filters.pii.kinds".into(),
                message: "no kind of PII selected; remove [filters.pii] to switch redaction off"
                    .into(),
            });
        }
        out
    }

    /// Build the filter.
    pub fn build(&self) -> Result<PiiFilter, Vec<ConfigProblem>> {
        let p = self.problems();
        if !p.is_empty() {
            return Err(p);
        }
        let mut kinds = self.kinds.clone();
        kinds.sort();
        kinds.dedup();
        Ok(PiiFilter {
            kinds,
            replace: self.replace.clone(),
        })
    }
}

/// One detected value: byte span and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start byte.
    pub start: usize,
    /// End byte (exclusive).
    pub end: usize,
    /// What it is.
    pub kind: PiiKind,
}

/// The PII filter.
#[derive(Debug, Clone)]
pub struct PiiFilter {
    kinds: Vec<PiiKind>,
    replace: Replacements,
}

struct Patterns {
    email: Regex,
    ipv4: Regex,
    ipv6: Regex,
    iban: Regex,
    card: Regex,
    phone: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: &str| Regex::new(s).expect("valid PII regex");
        Patterns {
            email: re(r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"),
            ipv4: re(r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}"),
            ipv6: re(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"),
            iban: re(r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,32}"),
            card: re(r"[0-9](?:[ \-]?[0-9]){12,18}"),
            phone: re(r"(?:\+[1-9]|\(0|\(?[0-9])[0-9 ().\-/]{6,24}[0-9]"),
        }
    })
}

/// The char before byte `i`, and the char at byte `j`.
fn around(text: &str, i: usize, j: usize) -> (Option<char>, Option<char>) {
    (text[..i].chars().next_back(), text[j..].chars().next())
}

fn alnum(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric())
}

/// Detect e-mail addresses.
fn emails(text: &str, out: &mut Vec<Span>) {
    if memchr::memchr(b'@', text.as_bytes()).is_none() {
        return;
    }
    for m in patterns().email.find_iter(text) {
        let local = &m.as_str()[..m.as_str().find('@').unwrap_or(0)];
        let (before, after) = around(text, m.start(), m.end());
        if local.ends_with('.')
            || local.contains("..")
            || alnum(after)
            || before.is_some_and(|c| c == '@')
        {
            continue;
        }
        out.push(Span {
            start: m.start(),
            end: m.end(),
            kind: PiiKind::Email,
        });
    }
}

/// Whether an IPv4 address is public (not private, loopback, link-local, multicast, broadcast,
/// unspecified, shared (100.64/10), benchmarking (198.18/15), reserved (240/4) or documentation).
pub fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xC0) == 64)
        || (o[0] == 198 && (o[1] & 0xFE) == 18)
        || o[0] >= 240
        || (o[0] == 192 && o[1] == 0 && o[2] == 0))
}

/// Whether an IPv6 address is public: global unicast (2000::/3) outside the documentation range
/// 2001:db8::/32; IPv4-mapped addresses follow their IPv4 address.
pub fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    (s[0] & 0xE000) == 0x2000 && !(s[0] == 0x2001 && s[1] == 0x0db8)
}

/// Detect public IP addresses.
fn ips(text: &str, out: &mut Vec<Span>) {
    let p = patterns();
    for m in p.ipv4.find_iter(text) {
        let (before, after) = around(text, m.start(), m.end());
        let after2 = text[m.end()..].chars().nth(1);
        if before.is_some_and(|c| c.is_ascii_digit() || c == '.')
            || alnum(after)
            || (after == Some('.') && after2.is_some_and(|c| c.is_ascii_digit()))
        {
            continue;
        }
        // Dotted version numbers ("version 1.2.3.4", "v1.2.3.4") are not addresses.
        let head = text[..m.start()].trim_end();
        let word = head
            .rsplit(|c: char| !c.is_alphabetic())
            .next()
            .unwrap_or("");
        if matches!(
            word.to_ascii_lowercase().as_str(),
            "v" | "ver" | "version" | "release" | "build"
        ) {
            continue;
        }
        if let Ok(ip) = m.as_str().parse::<Ipv4Addr>() {
            if is_public_v4(ip) {
                out.push(Span {
                    start: m.start(),
                    end: m.end(),
                    kind: PiiKind::Ip,
                });
            }
        }
    }
    if memchr::memchr(b':', text.as_bytes()).is_none() {
        return;
    }
    for m in p.ipv6.find_iter(text) {
        let (before, after) = around(text, m.start(), m.end());
        if alnum(before) || before == Some(':') || alnum(after) {
            continue;
        }
        if let Ok(ip) = m.as_str().parse::<Ipv6Addr>() {
            if is_public_v6(ip) {
                out.push(Span {
                    start: m.start(),
                    end: m.end(),
                    kind: PiiKind::Ip,
                });
            }
        }
    }
}

/// IBAN length per country (SWIFT IBAN registry).
fn iban_len(cc: &str) -> Option<usize> {
    Some(match cc {
        "NO" => 15,
        "BE" => 16,
        "DK" | "FI" | "FO" | "GL" | "NL" => 18,
        "MK" | "SI" => 19,
        "AT" | "BA" | "EE" | "KZ" | "LT" | "LU" | "XK" => 20,
        "CH" | "HR" | "LI" | "LV" => 21,
        "BG" | "BH" | "CR" | "DE" | "GB" | "GE" | "IE" | "ME" | "RS" | "VA" => 22,
        "AE" | "GI" | "IL" | "IQ" | "TL" => 23,
        "AD" | "CZ" | "ES" | "MD" | "PK" | "RO" | "SA" | "SE" | "SK" | "TN" | "VG" => 24,
        "PT" | "ST" => 25,
        "IS" | "TR" => 26,
        "FR" | "GR" | "IT" | "MC" | "MR" | "SM" => 27,
        "AL" | "AZ" | "BY" | "CY" | "DO" | "GT" | "HU" | "LB" | "PL" | "SV" => 28,
        "BR" | "EG" | "PS" | "QA" | "UA" => 29,
        "JO" | "KW" | "MU" => 30,
        "MT" | "SC" => 31,
        "LC" => 32,
        _ => return None,
    })
}

/// ISO 13616 check: move the first four characters to the end, letters to numbers, mod 97 = 1.
pub fn iban_valid(compact: &str) -> bool {
    if compact.len() < 15
        || !compact
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return false;
    }
    let (head, tail) = compact.split_at(4);
    let mut r: u32 = 0;
    for b in tail.bytes().chain(head.bytes()) {
        let v = if b.is_ascii_digit() {
            (b - b'0') as u32
        } else {
            (b - b'A') as u32 + 10
        };
        r = if v >= 10 {
            (r * 100 + v) % 97
        } else {
            (r * 10 + v) % 97
        };
    }
    r == 1
}

/// Detect IBANs.
fn ibans(text: &str, out: &mut Vec<Span>) {
    for m in patterns().iban.find_iter(text) {
        let s = m.as_str();
        let Some(len) = iban_len(&s[..2]) else {
            continue;
        };
        // Take exactly the country's length (spaces do not count), then need a boundary.
        let mut n = 0;
        let mut end = None;
        for (i, c) in s.char_indices() {
            if c != ' ' {
                n += 1;
                if n == len {
                    end = Some(i + c.len_utf8());
                    break;
                }
            }
        }
        let Some(end) = end else { continue };
        let (before, after) = around(text, m.start(), m.start() + end);
        if alnum(before) || alnum(after) {
            continue;
        }
        let compact: String = s[..end].chars().filter(|&c| c != ' ').collect();
        if iban_valid(&compact) {
            out.push(Span {
                start: m.start(),
                end: m.start() + end,
                kind: PiiKind::Iban,
            });
        }
    }
}

/// Luhn check over ASCII digits.
pub fn luhn_valid(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, d) in digits.iter().rev().enumerate() {
        let mut v = (d - b'0') as u32;
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

/// Whether the digits start like a payment card of a known network (Visa, Mastercard, Amex,
/// Discover, JCB, Diners, UnionPay, Maestro) with a length that network issues.
fn card_prefix_ok(d: &[u8]) -> bool {
    let n = d.len();
    let p = |k: usize| -> u32 { d[..k].iter().fold(0, |a, b| a * 10 + (b - b'0') as u32) };
    match d[0] {
        b'4' => matches!(n, 13 | 16 | 19),
        b'5' => {
            (51..=55).contains(&p(2)) && n == 16
                || matches!(p(2), 50 | 56..=58) && (12..=19).contains(&n)
        }
        b'2' => (2221..=2720).contains(&p(4)) && n == 16,
        b'3' => {
            matches!(p(2), 34 | 37) && n == 15
                || (3528..=3589).contains(&p(4)) && (16..=19).contains(&n)
                || (matches!(p(2), 36 | 38 | 39) || (300..=305).contains(&p(3)))
                    && (14..=19).contains(&n)
        }
        b'6' => (16..=19).contains(&n),
        _ => false,
    }
}

/// Whether the digit groups look like a card layout: no separators, or one kind of separator with
/// groups of 4 (the last may be shorter) or 4-6-4/4-6-5.
fn card_groups_ok(s: &str) -> bool {
    let seps: Vec<char> = s.chars().filter(|c| !c.is_ascii_digit()).collect();
    if seps.is_empty() {
        return true;
    }
    if seps.iter().any(|&c| c != seps[0]) {
        return false;
    }
    let groups: Vec<usize> = s.split(seps[0]).map(str::len).collect();
    let fours = groups[..groups.len() - 1].iter().all(|&g| g == 4)
        && (1..=4).contains(&groups[groups.len() - 1]);
    fours || groups == [4, 6, 4] || groups == [4, 6, 5]
}

/// Detect payment card numbers.
fn cards(text: &str, out: &mut Vec<Span>) {
    for m in patterns().card.find_iter(text) {
        let mut s = m.as_str();
        let (before, _) = around(text, m.start(), m.end());
        if before
            .is_some_and(|c| c.is_alphanumeric() || c == '.' || c == ',' || c == '-' || c == '+')
        {
            continue;
        }
        // The regex is greedy: a card followed by another number is retried without its trailing groups.
        loop {
            let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).collect();
            let after = text[m.start() + s.len()..].chars().next();
            if (13..=19).contains(&digits.len())
                && !alnum(after)
                && card_groups_ok(s)
                && card_prefix_ok(&digits)
                && luhn_valid(&digits)
            {
                out.push(Span {
                    start: m.start(),
                    end: m.start() + s.len(),
                    kind: PiiKind::Card,
                });
                break;
            }
            match s.rfind([' ', '-']) {
                Some(i) if digits.len() > 13 => s = &s[..i],
                _ => break,
            }
        }
    }
}

/// Whether a candidate (trimmed) is a phone number in a layout we accept.
fn phone_ok(s: &str) -> bool {
    let digits = s.bytes().filter(u8::is_ascii_digit).count();
    if s.contains("  ") || s.contains("..") || s.contains("--") {
        return false;
    }
    let groups: Vec<&str> = s
        .split([' ', '.', '-', '/', '(', ')'])
        .filter(|g| !g.is_empty())
        .collect();
    if let Some(rest) = s.strip_prefix('+') {
        // International: +CC (1–3 digits, or 4 with a NANP area code glued on) then 1–6 groups
        // of 1–8 digits (German subscriber numbers run to 8).
        let _ = rest;
        let ok_groups = groups.len() >= 2
            && groups.len() <= 7
            && groups[0].len() <= 4
            && groups[1..].iter().all(|g| (1..=8).contains(&g.len()));
        let compact = groups.len() == 1 && (10..=15).contains(&digits);
        return (8..=15).contains(&digits) && (ok_groups || compact);
    }
    let seps: Vec<char> = s
        .chars()
        .filter(|c| matches!(c, ' ' | '.' | '-' | '/'))
        .collect();
    // North American: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, NXX NXX XXXX.
    if digits == 10
        && groups.len() == 3
        && groups[0].len() == 3
        && groups[1].len() == 3
        && groups[2].len() == 4
    {
        let paren = s.starts_with('(') && s[1..].find(')') == Some(3);
        let same = seps.windows(2).all(|w| w[0] == w[1]);
        let area_ok = !groups[0].starts_with(['0', '1']) && !groups[1].starts_with(['0', '1']);
        if area_ok && (paren || (same && seps.len() == 2)) {
            return true;
        }
    }
    // National with trunk prefix 0: 0AA[A..] followed by groups of 2–4 digits, 10–12 digits,
    // at least two groups; dotted layouts need 5 groups (01.23.45.67.89), which rules out dates.
    if s.trim_start_matches('(').starts_with('0')
        && (10..=12).contains(&digits)
        && groups.len() >= 2
    {
        let first_ok = (2..=5).contains(&groups[0].len());
        let rest_ok = groups[1..].iter().all(|g| (2..=8).contains(&g.len()));
        let dotted = seps.contains(&'.');
        if first_ok && rest_ok && (!dotted || groups.len() == 5) {
            return true;
        }
    }
    false
}

/// Detect phone numbers.
fn phones(text: &str, out: &mut Vec<Span>) {
    for m in patterns().phone.find_iter(text) {
        let s = m.as_str().trim_end_matches(|c: char| !c.is_ascii_digit());
        let (before, after) = around(text, m.start(), m.start() + s.len());
        if alnum(before)
            || before.is_some_and(|c| matches!(c, '+' | '-' | '.' | '/' | ',' | '$' | '€' | '£'))
            || alnum(after)
            || after.is_some_and(|c| c == '-' || c == '/')
        {
            continue;
        }
        // The 12 bytes before the number, widened to a character boundary (CJK text before a
        // number put the cut inside a character: a panic on a real Common Crawl page).
        let head = &text[..m.start()];
        let mut from = head.len().saturating_sub(12);
        while !head.is_char_boundary(from) {
            from -= 1;
        }
        let ctx = &head[from..];
        if ctx.to_ascii_uppercase().contains("ISBN") {
            continue;
        }
        if phone_ok(s) {
            out.push(Span {
                start: m.start(),
                end: m.start() + s.len(),
                kind: PiiKind::Phone,
            });
        }
    }
}

impl PiiFilter {
    /// Every PII span in `text`, non-overlapping, in order.
    pub fn find(&self, text: &str) -> Vec<Span> {
        let mut all = Vec::new();
        if !text.bytes().any(|b| b.is_ascii_digit() || b == b'@') {
            return all;
        }
        for k in &self.kinds {
            match k {
                PiiKind::Email => emails(text, &mut all),
                PiiKind::Iban => ibans(text, &mut all),
                PiiKind::Card => cards(text, &mut all),
                PiiKind::Ip => ips(text, &mut all),
                PiiKind::Phone => phones(text, &mut all),
            }
        }
        // Earlier start first; at the same start, the kind of higher priority (then the longer).
        all.sort_by_key(|s| (s.start, s.kind, std::cmp::Reverse(s.end)));
        let mut out: Vec<Span> = Vec::with_capacity(all.len());
        for s in all {
            match out.last_mut() {
                Some(last) if s.start < last.end => {
                    // Overlap: keep the higher-priority kind.
                    if s.kind < last.kind {
                        *last = s;
                    }
                }
                _ => out.push(s),
            }
        }
        out
    }

    /// Replace the spans; returns the new text and counts per kind.
    pub fn redact(&self, text: &str) -> Option<(String, Map<String, Value>)> {
        let spans = self.find(text);
        if spans.is_empty() {
            return None;
        }
        let mut t = String::with_capacity(text.len());
        let mut counts = Map::new();
        let mut pos = 0;
        for s in &spans {
            t.push_str(&text[pos..s.start]);
            t.push_str(self.replace.get(s.kind));
            pos = s.end;
            let e = counts.entry(s.kind.as_str()).or_insert(Value::from(0u64));
            *e = Value::from(e.as_u64().unwrap_or(0) + 1);
        }
        t.push_str(&text[pos..]);
        Some((t, counts))
    }
}

impl DocFilter for PiiFilter {
    fn stage(&self) -> &'static str {
        "pii"
    }

    fn check(&self, doc: &mut Doc) -> Verdict {
        if let Some((text, counts)) = self.redact(&doc.text) {
            doc.text = text;
            doc.metadata.insert("pii".into(), Value::Object(counts));
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(t: &str) -> String {
        let f = PiiConfig::default().build().unwrap();
        f.redact(t).map(|(t, _)| t).unwrap_or_else(|| t.to_string())
    }

    #[test]
    fn checks_digits() {
        assert!(iban_valid("DE89370400440532013000"));
        assert!(iban_valid("GB82WEST12345698765432"));
        assert!(!iban_valid("DE89370400440532013001"));
        assert!(luhn_valid(b"4111111111111111"));
        assert!(!luhn_valid(b"4111111111111112"));
    }

    #[test]
    fn a_number_after_multibyte_text_is_checked_without_cutting_a_character() {
        // "最新消息 " is 13 bytes: 12 bytes back falls inside '最'.
        assert_eq!(redact("最新消息 01 23 45 67 89"), "最新消息 <PHONE>");
        assert_eq!(redact("ISBN：最 01 23 45 67 89"), "ISBN：最 01 23 45 67 89");
    }

    #[test]
    fn replaces_values_and_leaves_decoys() {
        assert_eq!(
            redact("Write to jean.dupont@example.org today."),
            "Write to <EMAIL> today."
        );
        assert_eq!(
            redact("IBAN DE89 3704 0044 0532 0130 00, BIC X"),
            "IBAN <IBAN>, BIC X"
        );
        assert_eq!(
            redact("IBAN DE89 3704 0044 0532 0130 01."),
            "IBAN DE89 3704 0044 0532 0130 01."
        );
        assert_eq!(redact("card 4111 1111 1111 1111 exp"), "card <CARD> exp");
        assert_eq!(
            redact("card 4111 1111 1111 1112 exp"),
            "card 4111 1111 1111 1112 exp"
        );
        assert_eq!(
            redact("from 8.8.8.8 and 192.168.1.1 and 203.0.113.5"),
            "from <IP> and 192.168.1.1 and 203.0.113.5"
        );
        assert_eq!(
            redact("v6 2606:4700:4700::1111 not 2001:db8::1 nor fe80::1"),
            "v6 <IP> not 2001:db8::1 nor fe80::1"
        );
        assert_eq!(
            redact("Call +33 1 23 45 67 89 or (212) 555-0143."),
            "Call <PHONE> or <PHONE>."
        );
        assert_eq!(
            redact("Tél. 01 23 45 67 89, fax 030 1234567"),
            "Tél. <PHONE>, fax <PHONE>"
        );
        for decoy in [
            "In 1998 the price was $1,299.99 (about 1 200 €).",
            "Born 12.05.1980, died 2024-05-01; ISBN 978-3-16-148410-0 and ISBN 0-306-40615-2.",
            "Version 1.2.3.4 of the spec, 10:30:45, see 3.14159265358979.",
            "Population 1 234 567 890 in 2020.",
        ] {
            assert_eq!(redact(decoy), decoy);
        }
    }
}
