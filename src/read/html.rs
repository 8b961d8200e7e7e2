//! From a WARC `response` block to clean main-content text: strip the HTTP header, undo transfer
//! and content encodings, detect the charset, and extract the readable main content with
//! `dom_smoothie` (a readability.js port) so that menus, footers and cookie banners stay out.

use std::io::Read;

use encoding_rs::Encoding;

/// Why a response did not yield a document.
#[derive(Debug, Clone, PartialEq)]
pub struct NotText {
    /// Machine-readable reason (`http_status`, `not_html`, `no_main_content`, …).
    pub reason: &'static str,
    /// Specifics.
    pub detail: String,
}

fn not_text(reason: &'static str, detail: impl Into<String>) -> NotText {
    NotText {
        reason,
        detail: detail.into(),
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct HttpResponse<'a> {
    /// Status code.
    pub status: u16,
    /// Header fields.
    pub headers: Vec<(String, String)>,
    /// Body bytes (still transfer/content encoded).
    pub body: &'a [u8],
}

impl HttpResponse<'_> {
    /// First value of a header, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Split an HTTP/1.x response block into status, headers and body.
pub fn parse_http(block: &[u8]) -> Result<HttpResponse<'_>, NotText> {
    let end = find_header_end(block)
        .ok_or_else(|| not_text("malformed_http", "no end of HTTP header (blank line) found"))?;
    let head = String::from_utf8_lossy(&block[..end.0]);
    let mut lines = head.split('\n').map(|l| l.trim_end_matches('\r'));
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.split_whitespace();
    let proto = parts.next().unwrap_or("");
    if !proto.starts_with("HTTP/") {
        return Err(not_text(
            "malformed_http",
            format!(
                "status line does not start with HTTP/: {:?}",
                short(status_line)
            ),
        ));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| {
            not_text(
                "malformed_http",
                format!("bad status line {:?}", short(status_line)),
            )
        })?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body: &block[end.1..],
    })
}

fn short(s: &str) -> &str {
    match s.char_indices().nth(60) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// (end of header text, start of body)
fn find_header_end(block: &[u8]) -> Option<(usize, usize)> {
    let crlf = memchr::memmem::find(block, b"\r\n\r\n").map(|i| (i, i + 4));
    let lf = memchr::memmem::find(block, b"\n\n").map(|i| (i, i + 2));
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// Decode `Transfer-Encoding: chunked`.
fn dechunk(body: &[u8], cap: usize) -> Result<Vec<u8>, NotText> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    loop {
        let line_end = memchr::memchr(b'\n', rest)
            .ok_or_else(|| not_text("malformed_http", "chunked body: missing chunk size line"))?;
        let size_text = String::from_utf8_lossy(&rest[..line_end]);
        let size_hex = size_text.trim().split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_hex, 16).map_err(|_| {
            not_text(
                "malformed_http",
                format!("chunked body: bad chunk size {size_hex:?}"),
            )
        })?;
        rest = &rest[line_end + 1..];
        if size == 0 {
            return Ok(out);
        }
        if size > rest.len() {
            // Truncated last chunk: keep what is there (crawlers cut long bodies).
            out.extend_from_slice(rest);
            return Ok(out);
        }
        out.extend_from_slice(&rest[..size]);
        if out.len() > cap {
            return Err(not_text(
                "record_too_large",
                "chunked body larger than max_record_bytes",
            ));
        }
        rest = &rest[size..];
        rest = rest
            .strip_prefix(b"\r\n")
            .or_else(|| rest.strip_prefix(b"\n"))
            .unwrap_or(rest);
    }
}

fn decompress(body: &[u8], coding: &str, cap: u64) -> Result<Vec<u8>, NotText> {
    let mut out = Vec::new();
    let res = match coding {
        "gzip" | "x-gzip" => flate2::read::MultiGzDecoder::new(body)
            .take(cap + 1)
            .read_to_end(&mut out),
        "deflate" => flate2::read::ZlibDecoder::new(body)
            .take(cap + 1)
            .read_to_end(&mut out),
        other => {
            return Err(not_text(
                "unsupported_encoding",
                format!("Content-Encoding {other:?} is not supported"),
            ))
        }
    };
    match res {
        Ok(_) if out.len() as u64 > cap => Err(not_text(
            "record_too_large",
            format!("{coding} body inflates past max_record_bytes = {cap}"),
        )),
        Ok(_) => Ok(out),
        Err(e) => Err(not_text(
            "corrupt_body",
            format!("{coding} body does not decode: {e}"),
        )),
    }
}

/// The charset named by a Content-Type value.
fn charset_param(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

/// The charset declared by a `<meta>` in the first 4 KB of the document.
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let n = head.len().min(4096);
    let lower: Vec<u8> = head[..n].to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&lower[from..], b"charset") {
        let at = from + i + "charset".len();
        let rest = &lower[at..];
        let rest = rest
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .copied()
            .collect::<Vec<u8>>();
        if let Some(rest) = rest.strip_prefix(b"=") {
            let value: Vec<u8> = rest
                .iter()
                .skip_while(|b| b.is_ascii_whitespace() || **b == b'"' || **b == b'\'')
                .take_while(|b| {
                    b.is_ascii_alphanumeric() || matches!(**b, b'-' | b'_' | b':' | b'.')
                })
                .copied()
                .collect();
            if let Some(enc) = Encoding::for_label(&value) {
                return Some(enc);
            }
        }
        from = at;
    }
    None
}

/// Decode HTML bytes to a String: the declared charset (HTTP header, then `<meta>`), else UTF-8
/// when the bytes are valid UTF-8, else chardetng's guess. Returns the text and the encoding name.
pub fn decode_html(bytes: &[u8], content_type: Option<&str>) -> (String, &'static str) {
    let declared = content_type
        .and_then(charset_param)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .or_else(|| meta_charset(bytes));
    let enc = match declared {
        Some(e) => e,
        None if std::str::from_utf8(bytes).is_ok() => encoding_rs::UTF_8,
        None => {
            let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Allow);
            det.feed(bytes, true);
            det.guess(None, chardetng::Utf8Detection::Allow)
        }
    };
    // decode() sniffs a BOM first, as browsers do.
    let (text, used, _had_errors) = enc.decode(bytes);
    (text.into_owned(), used.name())
}

/// Extraction settings.
#[derive(Debug, Clone)]
pub struct ExtractConfig {
    /// Largest decoded body accepted.
    pub max_record_bytes: u64,
    /// Pages with more elements are reported instead of parsed (bounded time and memory).
    pub max_html_elements: usize,
}

/// Text extracted from one response.
#[derive(Debug)]
pub struct Extracted {
    /// Main-content text, paragraphs separated by newlines.
    pub text: String,
    /// Page title when found.
    pub title: Option<String>,
    /// Encoding the page was decoded from.
    pub charset: &'static str,
}

/// From a WARC response block to the page's main-content text.
pub fn extract_response(
    block: &[u8],
    url: Option<&str>,
    cfg: &ExtractConfig,
) -> Result<Extracted, NotText> {
    let http = parse_http(block)?;
    if http.status != 200 {
        return Err(not_text(
            "http_status",
            format!("HTTP status {}", http.status),
        ));
    }
    let content_type = http.header("Content-Type").map(str::to_string);
    let mime = content_type
        .as_deref()
        .map(|c| {
            c.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    let looks_html = mime.is_empty() && sniff_html(http.body);
    if !(mime == "text/html" || mime == "application/xhtml+xml" || looks_html) {
        return Err(not_text("not_html", format!("Content-Type {mime:?}")));
    }
    let mut body: Vec<u8> = match http.header("Transfer-Encoding") {
        Some(te) if te.to_ascii_lowercase().contains("chunked") => {
            dechunk(http.body, cfg.max_record_bytes as usize)?
        }
        _ => http.body.to_vec(),
    };
    if let Some(ce) = http.header("Content-Encoding") {
        let ce = ce.trim().to_ascii_lowercase();
        if !ce.is_empty() && ce != "identity" {
            body = decompress(&body, &ce, cfg.max_record_bytes)?;
        }
    }
    let (html, charset) = decode_html(&body, content_type.as_deref());
    let (text, title) = main_content(&html, url, cfg.max_html_elements)?;
    Ok(Extracted {
        text,
        title,
        charset,
    })
}

fn sniff_html(body: &[u8]) -> bool {
    let head = &body[..body.len().min(512)];
    let lower = head.to_ascii_lowercase();
    memchr::memmem::find(&lower, b"<html").is_some()
        || memchr::memmem::find(&lower, b"<!doctype html").is_some()
}

/// Deepest element nesting the extractor is given: the HTML parser and readability recurse over
/// the tree, and a page of 50 000 nested `<div>`s (hostile, or broken markup) would overflow the
/// stack. Real pages stay far below (deep templates reach a few dozen levels).
pub const MAX_HTML_DEPTH: usize = 512;

/// Elements that never take a closing tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "!doctype", "!--",
];

/// An upper estimate of the element nesting depth, by counting open and close tags (no parse).
pub fn nesting_depth(html: &str) -> usize {
    let b = html.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let at = i + off + 1;
        i = at;
        if at >= b.len() {
            break;
        }
        if b[at] == b'/' {
            depth = depth.saturating_sub(1);
            continue;
        }
        if !b[at].is_ascii_alphabetic() {
            continue;
        }
        let end = b[at..]
            .iter()
            .position(|c| !c.is_ascii_alphanumeric())
            .map_or(b.len(), |p| at + p);
        let name = html[at..end].to_ascii_lowercase();
        let close = memchr::memchr(b'>', &b[end..]).map_or(b.len(), |p| end + p);
        let self_closing =
            close > 0 && close <= b.len() && b.get(close.wrapping_sub(1)) == Some(&b'/');
        if !VOID.contains(&name.as_str()) && !self_closing {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

/// Readability main content of an HTML page.
pub fn main_content(
    html: &str,
    url: Option<&str>,
    max_elements: usize,
) -> Result<(String, Option<String>), NotText> {
    let depth = nesting_depth(html);
    if depth > MAX_HTML_DEPTH {
        return Err(not_text(
            "html_too_complex",
            format!("elements nested {depth} deep (more than {MAX_HTML_DEPTH})"),
        ));
    }
    let cfg = dom_smoothie::Config {
        max_elements_to_parse: max_elements,
        text_mode: dom_smoothie::TextMode::Formatted,
        ..Default::default()
    };
    // dom_smoothie wants an absolute URL or none.
    let url = url.filter(|u| url::Url::parse(u).is_ok());
    let mut r = dom_smoothie::Readability::new(html, url, Some(cfg))
        .map_err(|e| not_text("html_error", e.to_string()))?;
    let article = r.parse().map_err(|e| match e {
        dom_smoothie::ReadabilityError::TooManyElements(found, max) => not_text(
            "html_too_complex",
            format!("{found} elements, max_html_elements = {max}"),
        ),
        other => not_text("no_main_content", other.to_string()),
    })?;
    let text = normalise_extracted(&article.text_content);
    if text.is_empty() {
        return Err(not_text("no_main_content", "the main content has no text"));
    }
    let title = Some(article.title.trim().to_string()).filter(|t| !t.is_empty());
    Ok((text, title))
}

/// Trim every line, collapse runs of blank lines to one, and trim the whole.
fn normalise_extracted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank_run = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            blank_run += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
        }
        blank_run = 0;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_from_header_meta_and_guess() {
        assert_eq!(
            decode_html(b"caf\xe9", Some("text/html; charset=ISO-8859-1")).0,
            "café"
        );
        let meta = b"<html><head><meta charset=\"windows-1251\"></head><body>\xcf\xf0\xe8\xe2\xe5\xf2</body></html>";
        assert!(decode_html(meta, None).0.contains("Привет"));
        let (t, enc) = decode_html("déjà vu".as_bytes(), None);
        assert_eq!((t.as_str(), enc), ("déjà vu", "UTF-8"));
    }

    #[test]
    fn chunked_bodies_are_joined() {
        assert_eq!(
            dechunk(b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n", 100).unwrap(),
            b"Wikipedia"
        );
        assert!(dechunk(b"zz\r\nabc", 100).is_err());
    }

    #[test]
    fn non_200_and_non_html_are_not_documents() {
        let cfg = ExtractConfig {
            max_record_bytes: 1 << 20,
            max_html_elements: 10_000,
        };
        let r = extract_response(b"HTTP/1.1 404 Not Found\r\n\r\n<html></html>", None, &cfg);
        assert_eq!(r.unwrap_err().reason, "http_status");
        let r = extract_response(
            b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n\x89PNG",
            None,
            &cfg,
        );
        assert_eq!(r.unwrap_err().reason, "not_html");
    }
}

#[cfg(test)]
mod depth_tests {
    use super::nesting_depth;

    #[test]
    fn depth_counts_open_elements_not_void_ones() {
        assert_eq!(
            nesting_depth("<html><body><p>a<br>b<img src=x></p></body></html>"),
            3
        );
        assert_eq!(nesting_depth(&"<div>".repeat(1000)), 1000);
        assert_eq!(nesting_depth("<!doctype html><p>a < b</p><x/>"), 1);
    }
}
