//! A streaming WARC 1.0/1.1 record parser that reports damage instead of stopping: a truncated
//! record, a missing or absurd Content-Length, garbage between records and corrupt gzip members
//! each become one [`WarcEvent::Bad`] and parsing resumes at the next `WARC/` header.

use std::io::{self, BufRead, BufReader, Read};

use super::gz::{as_corrupt_gzip, Decompressed};

/// Longest header block accepted (WARC headers are a few hundred bytes in practice).
const MAX_HEADER_BYTES: usize = 256 << 10;

/// One WARC record.
#[derive(Debug)]
pub struct WarcRecord {
    /// Header fields in file order (names as written).
    pub headers: Vec<(String, String)>,
    /// The record block (`Content-Length` bytes).
    pub body: Vec<u8>,
    /// Offset of the record in the decompressed stream.
    pub offset: u64,
}

impl WarcRecord {
    /// First value of a header, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `WARC-Type`, lower-cased.
    pub fn warc_type(&self) -> String {
        self.header("WARC-Type").unwrap_or("").to_ascii_lowercase()
    }
}

/// What the parser found next.
#[derive(Debug)]
pub enum WarcEvent {
    /// A whole record.
    Record(WarcRecord),
    /// Damage: `reason` is machine-readable, `detail` says where and what.
    Bad {
        /// Offset (decompressed stream) where the damage was seen.
        offset: u64,
        /// `truncated_record`, `corrupt_gzip`, `malformed_warc_header`, `record_too_large`, …
        reason: &'static str,
        /// Specifics, including the WARC-Record-ID when it was read.
        detail: String,
        /// The record id if the header was read before the damage.
        record_id: Option<String>,
        /// The target URI if the header was read before the damage.
        target_uri: Option<String>,
    },
}

/// Streaming parser over a decompressed input.
pub struct WarcReader {
    input: BufReader<Decompressed>,
    offset: u64,
    max_record_bytes: u64,
    done: bool,
    /// Set after a gzip error: the next bad event caused by the same damage is not reported twice.
    just_resynced: bool,
    line: Vec<u8>,
    /// A record parsed while reporting the garbage before it.
    pending: Option<io::Result<WarcEvent>>,
}

enum Step {
    Event(WarcEvent),
    Eof,
}

impl WarcReader {
    /// Parse `input`; records whose block exceeds `max_record_bytes` are skipped and reported.
    pub fn new(input: Decompressed, max_record_bytes: u64) -> WarcReader {
        WarcReader {
            input: BufReader::with_capacity(1 << 16, input),
            offset: 0,
            max_record_bytes,
            done: false,
            just_resynced: false,
            line: Vec::new(),
            pending: None,
        }
    }

    /// Read one line (with its `\n`) into `self.line`, keeping at most `cap` bytes of it;
    /// returns the line's full length (0 at end of input).
    fn read_line(&mut self, cap: usize) -> io::Result<usize> {
        self.line.clear();
        let mut total = 0usize;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let (chunk, found) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..=i], true),
                None => (buf, false),
            };
            let keep = cap.saturating_sub(self.line.len()).min(chunk.len());
            self.line.extend_from_slice(&chunk[..keep]);
            let n = chunk.len();
            total += n;
            self.input.consume(n);
            if found {
                break;
            }
        }
        self.offset += total as u64;
        Ok(total)
    }

    fn skip_bytes(&mut self, n: u64) -> io::Result<u64> {
        let copied = io::copy(&mut (&mut self.input).take(n), &mut io::sink())?;
        self.offset += copied;
        Ok(copied)
    }

    fn next_step(&mut self) -> io::Result<Step> {
        // 1. Find a version line, reporting whatever garbage stands before it.
        let mut garbage: u64 = 0;
        let garbage_start = self.offset;
        let record_start;
        loop {
            let at = self.offset;
            let n = self.read_line(64)?;
            if n == 0 {
                if garbage > 0 {
                    return Ok(Step::Event(self.bad(
                        garbage_start,
                        "malformed_warc",
                        format!("{garbage} bytes of non-WARC data before end of input"),
                        None,
                        None,
                    )));
                }
                return Ok(Step::Eof);
            }
            if self.line.starts_with(b"WARC/") {
                record_start = at;
                break;
            }
            if self.line.iter().all(|b| b.is_ascii_whitespace()) && garbage == 0 {
                continue; // record separators
            }
            garbage += n as u64;
        }
        if garbage > 0 {
            // Report the garbage, then parse the record we just found on the next call: rewind is
            // impossible on a stream, so parse it now and report both in order.
            let bad = self.bad(
                garbage_start,
                "malformed_warc",
                format!(
                    "{garbage} bytes of non-WARC data skipped before the record at {record_start}"
                ),
                None,
                None,
            );
            self.pending = Some(self.parse_record(record_start));
            return Ok(Step::Event(bad));
        }
        self.parse_record(record_start).map(Step::Event)
    }

    fn bad(
        &mut self,
        offset: u64,
        reason: &'static str,
        detail: String,
        record_id: Option<String>,
        target_uri: Option<String>,
    ) -> WarcEvent {
        WarcEvent::Bad {
            offset,
            reason,
            detail,
            record_id,
            target_uri,
        }
    }

    /// Parse headers and block after the version line at `start`.
    fn parse_record(&mut self, start: u64) -> io::Result<WarcEvent> {
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut header_bytes = 0usize;
        loop {
            let n = self.read_line(MAX_HEADER_BYTES)?;
            if n == 0 {
                let (id, uri) = ids(&headers);
                return Ok(self.bad(
                    start,
                    "truncated_record",
                    "input ends inside the WARC header".into(),
                    id,
                    uri,
                ));
            }
            header_bytes += n;
            if header_bytes > MAX_HEADER_BYTES {
                let (id, uri) = ids(&headers);
                return Ok(self.bad(
                    start,
                    "malformed_warc_header",
                    format!("header block longer than {MAX_HEADER_BYTES} bytes"),
                    id,
                    uri,
                ));
            }
            let line = trim_eol(&self.line);
            if line.is_empty() {
                break;
            }
            let text = String::from_utf8_lossy(line);
            if (line[0] == b' ' || line[0] == b'\t') && !headers.is_empty() {
                // Folded continuation line (allowed by WARC 1.0).
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(text.trim());
                }
                continue;
            }
            match text.split_once(':') {
                Some((k, v)) => headers.push((k.trim().to_string(), v.trim().to_string())),
                None => {
                    let (id, uri) = ids(&headers);
                    return Ok(self.bad(
                        start,
                        "malformed_warc_header",
                        format!("header line without a colon: {:?}", truncate(&text, 80)),
                        id,
                        uri,
                    ));
                }
            }
        }
        let (id, uri) = ids(&headers);
        let length = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
            .map(|(_, v)| v.trim().parse::<u64>());
        let length = match length {
            Some(Ok(n)) => n,
            Some(Err(_)) | None => {
                return Ok(self.bad(
                    start,
                    "malformed_warc_header",
                    "missing or unparsable Content-Length".into(),
                    id,
                    uri,
                ))
            }
        };
        if length > self.max_record_bytes {
            let skipped = self.skip_bytes(length)?;
            let detail = format!(
                "record block of {length} bytes exceeds max_record_bytes = {}",
                self.max_record_bytes
            );
            if skipped < length {
                return Ok(self.bad(start, "truncated_record", detail, id, uri));
            }
            return Ok(self.bad(start, "record_too_large", detail, id, uri));
        }
        let mut body = Vec::with_capacity(length as usize);
        let got = (&mut self.input).take(length).read_to_end(&mut body)? as u64;
        self.offset += got;
        if got < length {
            return Ok(self.bad(
                start,
                "truncated_record",
                format!("input ends after {got} of {length} block bytes"),
                id,
                uri,
            ));
        }
        Ok(WarcEvent::Record(WarcRecord {
            headers,
            body,
            offset: start,
        }))
    }
}

fn ids(headers: &[(String, String)]) -> (Option<String>, Option<String>) {
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    (get("WARC-Record-ID"), get("WARC-Target-URI"))
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let mut l = line;
    while let [rest @ .., b'\n' | b'\r'] = l {
        l = rest;
    }
    l
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

impl Iterator for WarcReader {
    type Item = WarcEvent;

    fn next(&mut self) -> Option<WarcEvent> {
        if let Some(p) = self.pending.take() {
            return self.after_io(p);
        }
        if self.done {
            return None;
        }
        match self.next_step() {
            Ok(Step::Eof) => {
                self.done = true;
                None
            }
            Ok(Step::Event(e)) => {
                if matches!(e, WarcEvent::Record(_)) {
                    self.just_resynced = false;
                }
                Some(e)
            }
            Err(e) => self.after_io(Err(e)),
        }
    }
}

impl WarcReader {
    fn after_io(&mut self, r: io::Result<WarcEvent>) -> Option<WarcEvent> {
        match r {
            Ok(e) => Some(e),
            Err(e) => {
                let offset = self.offset;
                let (reason, detail) = match as_corrupt_gzip(&e) {
                    Some(c) => ("corrupt_gzip", c.to_string()),
                    None => ("read_error", e.to_string()),
                };
                // Drop what the buffer held from before the damage, then try to go on.
                let n = self.input.buffer().len();
                self.input.consume(n);
                let resumed = self.input.get_mut().resync().unwrap_or_default();
                if !resumed {
                    self.done = true;
                }
                let repeat = self.just_resynced && reason == "corrupt_gzip";
                self.just_resynced = reason == "corrupt_gzip";
                if repeat {
                    // The same damaged region again (a false member header inside it): one
                    // quarantine record per damaged region is enough.
                    return self.next();
                }
                Some(WarcEvent::Bad {
                    offset,
                    reason,
                    detail,
                    record_id: None,
                    target_uri: None,
                })
            }
        }
    }
}
