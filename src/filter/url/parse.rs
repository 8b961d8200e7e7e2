//! URL normalisation, shared by list entries and documents so both sides agree byte for byte.
//!
//! - **Hosts**: parsed by the `url` crate (WHATWG: lowercase, IDN → punycode, IPv4 forms
//!   canonicalised), trailing dot removed. A host matches a domain entry when the host or one of
//!   its parent domains is listed, walking up to the registered domain of the public-suffix list
//!   (`psl`, compiled in) and no further: an entry `co.uk` or `blogspot.com` never blocks the
//!   sites under it. IP addresses match only themselves.
//! - **URL keys** (UT1/squidGuard `urls` files): no scheme, host without a leading `www.`/`wwwN.`
//!   (UT1 writes none), `:port` only when not the default, path as the `url` crate serialises it
//!   (percent-encoded, dot segments resolved, case kept), trailing `/` removed, no fragment, then
//!   `?query` when present. A document URL is looked up under its key with and without the query
//!   and under every parent path (`host/a/b` also tries `host/a` and `host`): a `urls` entry
//!   blocks the page and everything below it, as squidGuard does.

use url::{Host, Url};

/// Parent-path keys tried at most (deeper paths only try their longest prefixes).
const MAX_PATH_KEYS: usize = 16;

/// A document URL, parsed once for every list.
#[derive(Debug, Clone)]
pub struct ParsedUrl {
    /// Lowercase ASCII host, no trailing dot (`[::1]` for IPv6).
    pub host: String,
    /// Byte offset in `host` where the registered domain starts; `None` for IP addresses and
    /// hosts that are themselves public suffixes (then only the host itself is looked up).
    reg_start: Option<usize>,
    /// URL keys, most specific first.
    pub url_keys: Vec<String>,
}

impl ParsedUrl {
    /// The host, then each parent domain down to the registered domain.
    pub fn host_suffixes(&self) -> impl Iterator<Item = &str> {
        let host = self.host.as_str();
        let stop = self.reg_start.unwrap_or(0);
        let mut next = Some(0usize);
        std::iter::from_fn(move || {
            let i = next?;
            next = if i < stop {
                host[i..]
                    .find('.')
                    .map(|d| i + d + 1)
                    .filter(|&j| j <= stop)
            } else {
                None
            };
            Some(&host[i..])
        })
    }
}

/// Parse a document's URL. A URL without a scheme (`example.com/page`) is read as `http://`.
pub fn parse_doc_url(raw: &str) -> Result<ParsedUrl, String> {
    let url = parse_lenient(raw.trim())?;
    let host = host_of(&url)?;
    let reg_start = match url.host() {
        Some(Host::Domain(_)) => psl::domain_str(&host).map(|d| host.len() - d.len()),
        _ => None,
    };
    let url_keys = url_keys(&url, &host);
    Ok(ParsedUrl {
        host,
        reg_start,
        url_keys,
    })
}

fn parse_lenient(s: &str) -> Result<Url, String> {
    match Url::parse(s) {
        Ok(u) => Ok(u),
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            Url::parse(&format!("http://{s}")).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

fn host_of(url: &Url) -> Result<String, String> {
    let host = match url.host() {
        None => return Err("no host".into()),
        Some(Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        Some(Host::Ipv4(ip)) => ip.to_string(),
        Some(Host::Ipv6(ip)) => format!("[{ip}]"),
    };
    if host.is_empty() {
        return Err("empty host".into());
    }
    Ok(host)
}

/// `www.example.com` → `example.com` (also `www2.`…), as squidGuard/UT1 `urls` entries are written.
fn strip_www(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix("www") {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Some(after) = rest[digits..].strip_prefix('.') {
            if after.contains('.') {
                return after;
            }
        }
    }
    host
}

fn key_base(url: &Url, host: &str) -> String {
    let mut base = strip_www(host).to_string();
    if let Some(p) = url.port() {
        base.push(':');
        base.push_str(&p.to_string());
    }
    base
}

fn url_keys(url: &Url, host: &str) -> Vec<String> {
    let base = key_base(url, host);
    let path = url.path().trim_end_matches('/');
    let mut keys = Vec::with_capacity(4);
    if let Some(q) = url.query().filter(|q| !q.is_empty()) {
        keys.push(format!("{base}{path}?{q}"));
    }
    keys.push(format!("{base}{path}"));
    let mut p = path;
    while let Some(i) = p.rfind('/') {
        if keys.len() >= MAX_PATH_KEYS {
            break;
        }
        p = &p[..i];
        keys.push(format!("{base}{p}"));
    }
    keys
}

/// Normalise a `urls` list entry (`example.com/path`, with or without scheme) to its URL key.
pub fn normalize_url_entry(entry: &str) -> Result<String, String> {
    let with_scheme = if entry.contains("://") {
        entry.to_string()
    } else {
        format!("http://{entry}")
    };
    let url = Url::parse(&with_scheme).map_err(|e| e.to_string())?;
    let host = host_of(&url)?;
    let base = key_base(&url, &host);
    let path = url.path().trim_end_matches('/');
    Ok(match url.query().filter(|q| !q.is_empty()) {
        Some(q) => format!("{base}{path}?{q}"),
        None => format!("{base}{path}"),
    })
}

/// Whether an entry is only ASCII letters, digits, `-`, `_` and `.`: the common case, valid
/// text by construction.
#[inline]
pub fn is_plain_domain(e: &[u8]) -> bool {
    /// Bytes of a plain domain: one lookup per byte (the UT1 load checks 124 MB of them).
    const PLAIN: [bool; 256] = {
        let mut t = [false; 256];
        let mut b = 0;
        while b < 256 {
            let c = b as u8;
            t[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.';
            b += 1;
        }
        t
    };
    e.iter().all(|&b| PLAIN[b as usize])
}

/// [`normalize_domain_entry`] of an entry known to be plain ([`is_plain_domain`]: nearly every
/// line of UT1), in one pass: leading and trailing dots dropped, lower-cased, an empty label
/// refused.
pub fn normalize_plain_domain(entry: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    let start = entry.iter().position(|&b| b != b'.').unwrap_or(entry.len());
    let end = entry
        .iter()
        .rposition(|&b| b != b'.')
        .map_or(start, |i| i + 1);
    let e = &entry[start..end.max(start)];
    if e.is_empty() {
        return Err("empty domain".into());
    }
    let (mut prev, mut empty_label) = (0u8, false);
    out.extend(e.iter().map(|&b| {
        empty_label |= b == b'.' && prev == b'.';
        prev = b;
        b.to_ascii_lowercase()
    }));
    if empty_label {
        return Err("empty label".into());
    }
    Ok(())
}

/// Normalise a `domains` list entry into `out`: lowercase, IDN → punycode, leading `*.`/`.` and
/// trailing `.` removed. The common case (ASCII letters, digits, `-`, `_`, `.`) takes no
/// allocation.
pub fn normalize_domain_entry(entry: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    out.clear();
    let mut e = entry;
    if let Some(rest) = e.strip_prefix(b"*.") {
        e = rest;
    }
    while let Some(rest) = e.strip_prefix(b".") {
        e = rest;
    }
    while let Some(rest) = e.strip_suffix(b".") {
        e = rest;
    }
    if e.is_empty() {
        return Err("empty domain".into());
    }
    if is_plain_domain(e) {
        return normalize_plain_domain(e, out);
    }
    let s = std::str::from_utf8(e).map_err(|_| "not UTF-8".to_string())?;
    if s.contains(['/', ':', ' ', '\t', '?', '#', '@']) {
        return Err(format!("{s:?} is not a domain (URLs go in a urls list)"));
    }
    match Host::parse(s).map_err(|err| format!("{s:?}: {err}"))? {
        Host::Domain(d) => {
            out.extend_from_slice(d.trim_end_matches('.').to_ascii_lowercase().as_bytes())
        }
        Host::Ipv4(ip) => out.extend_from_slice(ip.to_string().as_bytes()),
        Host::Ipv6(ip) => out.extend_from_slice(format!("[{ip}]").as_bytes()),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suffixes(u: &str) -> Vec<String> {
        parse_doc_url(u)
            .unwrap()
            .host_suffixes()
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn host_walks_up_to_the_registered_domain_only() {
        assert_eq!(
            suffixes("https://a.b.example.com/x"),
            ["a.b.example.com", "b.example.com", "example.com"]
        );
        assert_eq!(
            suffixes("http://shop.example.co.uk"),
            ["shop.example.co.uk", "example.co.uk"]
        );
        // blogspot.com is a (private) public suffix: its blogs are registered domains of their own.
        assert_eq!(
            suffixes("http://x.y.blogspot.com/"),
            ["x.y.blogspot.com", "y.blogspot.com"]
        );
        assert_eq!(suffixes("http://co.uk/"), ["co.uk"]);
        assert_eq!(suffixes("http://10.0.0.1:8080/a"), ["10.0.0.1"]);
        assert_eq!(suffixes("http://EXAMPLE.com./"), ["example.com"]);
    }

    #[test]
    fn idn_hosts_become_punycode() {
        assert_eq!(
            suffixes("http://Bücher.example/"),
            ["xn--bcher-kva.example"]
        );
        let mut out = Vec::new();
        normalize_domain_entry("Bücher.example".as_bytes(), &mut out).unwrap();
        assert_eq!(out, b"xn--bcher-kva.example");
    }

    #[test]
    fn url_keys_cover_query_trailing_slash_and_parents() {
        let p = parse_doc_url("https://www.Example.com:443/a/b/?q=1#frag").unwrap();
        assert_eq!(
            p.url_keys,
            [
                "example.com/a/b?q=1",
                "example.com/a/b",
                "example.com/a",
                "example.com"
            ]
        );
        let p = parse_doc_url("http://example.com:8080/").unwrap();
        assert_eq!(p.url_keys, ["example.com:8080"]);
        let p = parse_doc_url("example.com/page").unwrap();
        assert_eq!(p.host, "example.com");
    }

    #[test]
    fn url_entries_normalise_like_documents() {
        for (entry, key) in [
            ("0b1-bofa.org/bofa/", "0b1-bofa.org/bofa"),
            ("141jav.com/tag/Slut", "141jav.com/tag/Slut"),
            ("https://www.example.com/a/?x=1", "example.com/a?x=1"),
            ("EXAMPLE.com/a/./b/../c", "example.com/a/c"),
            ("1.54.99.33/.i", "1.54.99.33/.i"),
        ] {
            assert_eq!(normalize_url_entry(entry).unwrap(), key, "{entry}");
        }
        let doc = parse_doc_url("http://0b1-bofa.org/bofa/wb/index.html").unwrap();
        assert!(doc.url_keys.contains(&"0b1-bofa.org/bofa".to_string()));
    }

    #[test]
    fn domain_entries_normalise_or_fail_clearly() {
        let mut out = Vec::new();
        for (e, want) in [
            ("Example.COM", "example.com"),
            ("*.example.com", "example.com"),
            (".example.com.", "example.com"),
        ] {
            normalize_domain_entry(e.as_bytes(), &mut out).unwrap();
            assert_eq!(out, want.as_bytes());
        }
        assert!(normalize_domain_entry(b"example.com/path", &mut out).is_err());
        assert!(normalize_domain_entry(b"a..b", &mut out).is_err());
        // The one-pass path for plain entries gives what the general one gave.
        for e in [
            "..Example.COM.",
            "a.b_c-d.9",
            "x",
            ".",
            "...",
            "a..b",
            "a...",
            "..a..b..",
        ] {
            let (mut fast, mut slow) = (Vec::new(), Vec::new());
            let f = normalize_plain_domain(e.as_bytes(), &mut fast);
            let mut t = e.as_bytes();
            while let Some(r) = t.strip_prefix(b".") {
                t = r;
            }
            while let Some(r) = t.strip_suffix(b".") {
                t = r;
            }
            slow.extend(t.iter().map(u8::to_ascii_lowercase));
            let want = if t.is_empty() {
                Err("empty domain".to_string())
            } else if slow.windows(2).any(|w| w == b"..") {
                Err("empty label".to_string())
            } else {
                Ok(())
            };
            assert_eq!(f, want, "{e}");
            if f.is_ok() {
                assert_eq!(fast, slow, "{e}");
            }
        }
        assert!(normalize_domain_entry(b".", &mut out).is_err());
    }

    #[test]
    fn bad_urls_are_errors() {
        assert!(parse_doc_url("mailto:someone@example.com").is_err());
        assert!(parse_doc_url("http://").is_err());
        assert!(parse_doc_url("").is_err());
    }
}
