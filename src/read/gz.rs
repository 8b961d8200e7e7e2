//! Decompression that survives damage: gzip is decoded member by member, and after a corrupt or
//! truncated member the reader can resynchronise on the next member header instead of giving up
//! on the rest of the file (Common Crawl writes one member per record; other tools write one
//! member for the whole file, and both must read).

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};

use flate2::bufread::GzDecoder;

/// A buffered reader over the compressed file that knows how many bytes it has handed out (for
/// error offsets) and can look a few bytes ahead across refills (to recognise a member header
/// that straddles the buffer's end).
pub struct Tracked<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    pos: u64,
}

impl<R: Read> Tracked<R> {
    fn new(inner: R, capacity: usize) -> Tracked<R> {
        Tracked {
            inner,
            buf: vec![0; capacity.max(16)],
            start: 0,
            end: 0,
            pos: 0,
        }
    }

    /// Make at least `n` bytes available (fewer only at end of input).
    fn fill_at_least(&mut self, n: usize) -> io::Result<&[u8]> {
        if self.end - self.start < n {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
            while self.end < n.min(self.buf.len()) {
                match self.inner.read(&mut self.buf[self.end..]) {
                    Ok(0) => break,
                    Ok(k) => self.end += k,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(&self.buf[self.start..self.end])
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let avail = self.fill_buf()?;
        let n = avail.len().min(out.len());
        out[..n].copy_from_slice(&avail[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for Tracked<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.fill_at_least(1)
    }
    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.end - self.start);
        self.start += amt;
        self.pos += amt as u64;
    }
}

/// The error a damaged gzip stream reports; the WARC and JSONL readers recognise it, quarantine
/// what they were reading and call [`Decompressed::resync`].
#[derive(Debug)]
pub struct CorruptGzip {
    /// Offset in the compressed file where the damaged member starts.
    pub member_offset: u64,
    /// Offset in the compressed file where decoding failed.
    pub offset: u64,
    /// What the decoder said.
    pub message: String,
}

impl fmt::Display for CorruptGzip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "corrupt gzip member starting at byte {} (failed at byte {}): {}",
            self.member_offset, self.offset, self.message
        )
    }
}

impl std::error::Error for CorruptGzip {}

/// If `e` is a [`CorruptGzip`], return it.
pub fn as_corrupt_gzip(e: &io::Error) -> Option<&CorruptGzip> {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<CorruptGzip>())
}

type Input = Tracked<File>;

enum GzState {
    /// Between members.
    Idle(Input),
    /// Inside a member that started at `start`.
    Member {
        dec: Box<GzDecoder<Input>>,
        start: u64,
    },
    /// Decoding failed; waiting for `resync`.
    Failed(Input),
    /// Only while switching states.
    Empty,
}

/// A gzip file decoded member by member.
pub struct GzMembers {
    state: GzState,
}

impl GzMembers {
    fn new(file: File) -> GzMembers {
        let input = Tracked::new(file, 1 << 16);
        GzMembers {
            state: GzState::Idle(input),
        }
    }

    fn resync(&mut self) -> io::Result<bool> {
        let mut input = match std::mem::replace(&mut self.state, GzState::Empty) {
            GzState::Idle(i) | GzState::Failed(i) => i,
            GzState::Member { dec, .. } => dec.into_inner(),
            GzState::Empty => return Ok(false),
        };
        let found = skip_to_gzip_magic(&mut input)?;
        self.state = GzState::Idle(input);
        Ok(found)
    }
}

/// Advance to the next `1f 8b 08` (gzip magic + deflate); false at end of input.
fn skip_to_gzip_magic(input: &mut Input) -> io::Result<bool> {
    loop {
        let buf = input.fill_at_least(3)?;
        if buf.len() < 3 {
            let n = buf.len();
            input.consume(n);
            return Ok(false);
        }
        match memchr::memchr(0x1f, buf) {
            None => {
                let n = buf.len();
                input.consume(n);
            }
            Some(i) if i + 3 > buf.len() => input.consume(i), // look again after a refill
            Some(i) if buf[i + 1] == 0x8b && buf[i + 2] == 0x08 => {
                input.consume(i);
                return Ok(true);
            }
            Some(i) => input.consume(i + 1),
        }
    }
}

impl Read for GzMembers {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            match std::mem::replace(&mut self.state, GzState::Empty) {
                GzState::Empty => return Ok(0),
                GzState::Failed(i) => {
                    self.state = GzState::Failed(i);
                    return Err(io::Error::other(
                        "read after a corrupt gzip member without resync",
                    ));
                }
                GzState::Idle(mut input) => {
                    let at_end = input.fill_buf()?.is_empty();
                    if at_end {
                        self.state = GzState::Idle(input);
                        return Ok(0);
                    }
                    let start = input.pos;
                    self.state = GzState::Member {
                        dec: Box::new(GzDecoder::new(input)),
                        start,
                    };
                }
                GzState::Member { mut dec, start } => match dec.read(out) {
                    Ok(0) => self.state = GzState::Idle(dec.into_inner()),
                    Ok(n) => {
                        self.state = GzState::Member { dec, start };
                        return Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {
                        self.state = GzState::Member { dec, start };
                    }
                    Err(e) => {
                        let input = dec.into_inner();
                        let err = CorruptGzip {
                            member_offset: start,
                            offset: input.pos,
                            message: e.to_string(),
                        };
                        self.state = GzState::Failed(input);
                        return Err(io::Error::other(err));
                    }
                },
            }
        }
    }
}

/// An input file's bytes after decompression.
pub enum Decompressed {
    /// Not compressed.
    Plain(BufReader<File>),
    /// gzip, one or many members.
    Gzip(GzMembers),
    /// zstd (one or many frames).
    Zstd(Box<zstd::Decoder<'static, BufReader<File>>>),
}

impl Decompressed {
    /// Open `file`, decompressing by the file name's extension (`.gz`, `.zst`) or its magic bytes.
    pub fn open(path: &std::path::Path) -> io::Result<Decompressed> {
        let mut file = File::open(path)?;
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut file, &mut magic)?;
        io::Seek::seek(&mut file, io::SeekFrom::Start(0))?;
        let name = path.to_string_lossy();
        if name.ends_with(".gz") || name.ends_with(".gzip") || magic[..n.min(2)] == [0x1f, 0x8b] {
            Ok(Decompressed::Gzip(GzMembers::new(file)))
        } else if name.ends_with(".zst")
            || name.ends_with(".zstd")
            || magic[..n] == [0x28, 0xb5, 0x2f, 0xfd]
        {
            Ok(Decompressed::Zstd(Box::new(zstd::Decoder::new(file)?)))
        } else {
            Ok(Decompressed::Plain(BufReader::with_capacity(1 << 16, file)))
        }
    }

    /// After a [`CorruptGzip`] error: skip to the next gzip member. Returns false when there is
    /// nothing more to read (and always for inputs that cannot resynchronise).
    pub fn resync(&mut self) -> io::Result<bool> {
        match self {
            Decompressed::Gzip(g) => g.resync(),
            _ => Ok(false),
        }
    }
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

impl Read for Decompressed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decompressed::Plain(r) => r.read(buf),
            Decompressed::Gzip(r) => r.read(buf),
            Decompressed::Zstd(r) => r.read(buf),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn member(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn reads_many_members_and_resyncs_after_a_corrupt_one() {
        let mut bytes = member(b"first ");
        let mut bad = member(b"second member is damaged here ");
        let mid = bad.len() / 2;
        for b in &mut bad[10..mid + 4] {
            *b = 0xff;
        }
        bytes.extend_from_slice(&bad);
        bytes.extend_from_slice(&member(b"third"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gz");
        std::fs::write(&path, &bytes).unwrap();

        let mut d = Decompressed::open(&path).unwrap();
        let mut out = Vec::new();
        let err = d.read_to_end(&mut out).unwrap_err();
        assert!(as_corrupt_gzip(&err).is_some(), "{err}");
        assert_eq!(out, b"first ");
        assert!(d.resync().unwrap());
        let mut rest = Vec::new();
        d.read_to_end(&mut rest).unwrap();
        assert_eq!(rest, b"third");
    }

    #[test]
    fn truncated_member_is_reported_not_silently_shortened() {
        let bytes = member(&b"some text that will be cut ".repeat(100));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gz");
        std::fs::write(&path, &bytes[..bytes.len() - 20]).unwrap();
        let mut d = Decompressed::open(&path).unwrap();
        let mut out = Vec::new();
        let err = d.read_to_end(&mut out).unwrap_err();
        assert!(as_corrupt_gzip(&err).is_some(), "{err}");
        assert!(!d.resync().unwrap());
    }
}
