//! Reading list files (block lists, word lists): paths that may point into the assets folder,
//! plain or gzip files read line by line without a `String` per line, and errors that name the
//! file and line at fault.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

/// A path in a config: `assets:<rel>` is inside the assets folder (`$TAMIS_ASSETS`, else
/// `./assets`), anything else is taken from the working directory.
pub fn resolve(path: &Path, assets: &Path) -> PathBuf {
    resolve_prefixed(path, "assets:", || assets.to_path_buf())
}

/// `<prefix><rel>` → `<rel>` inside the folder `base` gives; any other path as it is.
pub fn resolve_prefixed(path: &Path, prefix: &str, base: impl FnOnce() -> PathBuf) -> PathBuf {
    match path.to_str().and_then(|s| s.strip_prefix(prefix)) {
        Some(rel) => base().join(rel.trim_start_matches('/')),
        None => path.to_path_buf(),
    }
}

/// A list that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The file could not be opened or read (including a corrupt gzip stream).
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Bad entries (the first few, with their line numbers).
    #[error("{}: {}", path.display(), describe_bad(bad, *more))]
    BadEntries {
        /// The file.
        path: PathBuf,
        /// (line number from 1, message) of the first bad entries.
        bad: Vec<(usize, String)>,
        /// How many more bad entries were not kept.
        more: usize,
    },
    /// The file is not in a format we read.
    #[error("{}: {message}", path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

fn describe_bad(bad: &[(usize, String)], more: usize) -> String {
    let mut s = bad
        .iter()
        .map(|(line, m)| format!("line {line}: {m}"))
        .collect::<Vec<_>>()
        .join("; ");
    if more > 0 {
        s.push_str(&format!("; and {more} more bad lines"));
    }
    s
}

/// Collects bad entries of one file, keeping the first few.
#[derive(Debug, Default)]
pub struct BadLines {
    bad: Vec<(usize, String)>,
    more: usize,
}

impl BadLines {
    const KEEP: usize = 5;

    /// Record a bad entry at `line` (from 1).
    pub fn push(&mut self, line: usize, message: impl Into<String>) {
        if self.bad.len() < Self::KEEP {
            self.bad.push((line, message.into()));
        } else {
            self.more += 1;
        }
    }

    /// Append `later`'s entries, which come after this one's in the file.
    pub fn extend(&mut self, later: BadLines) {
        for (line, message) in later.bad {
            self.push(line, message);
        }
        self.more += later.more;
    }

    /// `Ok` when nothing was bad.
    pub fn finish(self, path: &Path) -> Result<(), ListError> {
        if self.bad.is_empty() {
            Ok(())
        } else {
            Err(ListError::BadEntries {
                path: path.to_path_buf(),
                bad: self.bad,
                more: self.more,
            })
        }
    }
}

/// Open a file for reading, decompressing it when it starts with the gzip magic bytes (whatever
/// its name).
pub fn open(path: &Path) -> Result<Box<dyn Read + Send>, ListError> {
    let io_err = |source| ListError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = File::open(path).map_err(io_err)?;
    let mut magic = [0u8; 2];
    let n = read_up_to(&mut f, &mut magic).map_err(io_err)?;
    let head = io::Cursor::new(magic[..n].to_vec());
    let chained = head.chain(f);
    if n == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            chained,
        ))))
    } else {
        Ok(Box::new(chained))
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Call `f(line_number, entry)` for every entry of a list file (plain or gzip): lines are
/// trimmed of ASCII whitespace (`\r` included); empty lines and lines starting with `#` are
/// skipped. No allocation per line.
pub fn for_each_entry(path: &Path, mut f: impl FnMut(usize, &[u8])) -> Result<(), ListError> {
    for_each_block(path, 1 << 20, |before, block| {
        entries_of_block(block, before, &mut f)
    })
}

/// [`for_each_entry`] on every core: the file is read in blocks of whole lines, each block is
/// cut into pieces at line ends, and each piece is folded into its own `init()` by `f` on the
/// current rayon pool. The pieces' results come back in file order, so a caller that merges
/// them in order sees what one sequential pass would have seen (the first bad lines, say). For
/// multi-million-line lists (UT1's 4.6 M domains), where parsing the entries is the load.
pub fn fold_entries_par<T: Send>(
    path: &Path,
    init: impl Fn() -> T + Sync,
    f: impl Fn(&mut T, usize, &[u8]) + Sync,
) -> Result<Vec<T>, ListError> {
    use rayon::prelude::*;
    let pieces = 4 * rayon::current_num_threads().max(1);
    let mut out = Vec::new();
    for_each_block(path, 8 << 20, |before, block| {
        let mut spans: Vec<(usize, &[u8])> = Vec::with_capacity(pieces);
        let (mut from, mut lines) = (0usize, before);
        for i in 1..=pieces {
            let target = (block.len() * i / pieces).max(from);
            let to = if i == pieces {
                block.len()
            } else {
                memchr::memchr(b'\n', &block[target..]).map_or(block.len(), |p| target + p + 1)
            };
            if to > from {
                spans.push((lines, &block[from..to]));
                lines += memchr::memchr_iter(b'\n', &block[from..to]).count();
                from = to;
            }
        }
        out.par_extend(spans.into_par_iter().map(|(before, piece)| {
            let mut acc = init();
            entries_of_block(piece, before, &mut |line, e| f(&mut acc, line, e));
            acc
        }));
        lines - before
    })?;
    Ok(out)
}

/// Read a list file (plain or gzip) in blocks of whole lines of about `block_bytes` (longer
/// when one line is) and call `f(lines_before, block)`, which returns the block's number of
/// `\n` (its callers count them anyway): every line of a block ends with `\n` but the file's
/// unterminated last line.
fn for_each_block(
    path: &Path,
    block_bytes: usize,
    mut f: impl FnMut(usize, &[u8]) -> usize,
) -> Result<(), ListError> {
    let mut r = open(path)?;
    let mut buf = vec![0u8; block_bytes];
    let mut filled = 0usize;
    let mut lines = 0usize;
    loop {
        let n = loop {
            match r.read(&mut buf[filled..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(source) => {
                    return Err(ListError::Io {
                        path: path.to_path_buf(),
                        source,
                    })
                }
            }
        };
        let end = filled + n;
        if n == 0 {
            if end > 0 {
                f(lines, &buf[..end]);
            }
            return Ok(());
        }
        // Hand over the whole lines once the buffer is full; keep the partial last line.
        if end < buf.len() {
            filled = end;
            continue;
        }
        match memchr::memrchr(b'\n', &buf[..end]) {
            Some(last) => {
                lines += f(lines, &buf[..=last]);
                buf.copy_within(last + 1..end, 0);
                filled = end - last - 1;
            }
            // One line fills the buffer: grow it.
            None => {
                filled = end;
                buf.resize(buf.len() * 2, 0);
            }
        }
    }
}

/// The entries of `block` (whole lines, the first being line `before + 1`); returns its number
/// of `\n`.
fn entries_of_block(block: &[u8], before: usize, f: &mut impl FnMut(usize, &[u8])) -> usize {
    let mut line_no = before;
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', block) {
        line_no += 1;
        entry(&block[start..nl], line_no, f);
        start = nl + 1;
    }
    if start < block.len() {
        entry(&block[start..], line_no + 1, f);
    }
    line_no - before
}

fn entry(line: &[u8], line_no: usize, f: &mut impl FnMut(usize, &[u8])) {
    let t = line.trim_ascii();
    if !t.is_empty() && t[0] != b'#' {
        f(line_no, t);
    }
}

/// An entry of a text list as UTF-8 text, or why it is refused: invalid UTF-8 (a Latin-1 or
/// UTF-16 file), a NUL or another control character (a binary or UTF-16 file). Tabs are allowed.
pub fn text_entry(e: &[u8]) -> Result<&str, String> {
    if let Some(i) = e.iter().position(|&b| b < 0x20 && b != b'\t') {
        let what = if e[i] == 0 {
            "a NUL byte".to_string()
        } else {
            format!("control byte 0x{:02x}", e[i])
        };
        return Err(format!(
            "{what} at byte {} (a binary or UTF-16 file? lists are UTF-8 text)",
            i + 1
        ));
    }
    std::str::from_utf8(e).map_err(|err| {
        format!(
            "not UTF-8 at byte {} (a Latin-1 or UTF-16 file? lists are UTF-8 text)",
            err.valid_up_to() + 1
        )
    })
}

/// A short name for a list file: its name without `.gz`, `.txt`, `.json`, `.list` extensions.
pub fn list_name(path: &Path) -> String {
    let mut name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    for ext in [".gz", ".txt", ".json", ".list"] {
        if let Some(s) = name.strip_suffix(ext) {
            name = s.to_string();
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(path: &Path) -> Vec<(usize, String)> {
        let mut v = Vec::new();
        for_each_entry(path, |n, e| {
            v.push((n, String::from_utf8(e.to_vec()).unwrap()))
        })
        .unwrap();
        v
    }

    #[test]
    fn plain_and_gzip_read_the_same_entries() {
        let dir = tempfile::tempdir().unwrap();
        let text = b"# comment\r\nexample.com\r\n\n  spaced.org  \nlast.net";
        let plain = dir.path().join("a.txt");
        std::fs::write(&plain, text).unwrap();
        let gz = dir.path().join("a.gz");
        let mut e =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        e.write_all(text).unwrap();
        e.finish().unwrap();
        let want = vec![
            (2, "example.com".to_string()),
            (4, "spaced.org".to_string()),
            (5, "last.net".to_string()),
        ];
        assert_eq!(collect(&plain), want);
        assert_eq!(collect(&gz), want);
    }

    #[test]
    fn lines_longer_than_the_buffer_survive() {
        let dir = tempfile::tempdir().unwrap();
        let long = "x".repeat(3 << 20);
        let p = dir.path().join("long.txt");
        std::fs::write(&p, format!("a\n{long}\nb\n")).unwrap();
        let got = collect(&p);
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].1.len(), long.len());
        assert_eq!(got[2], (3, "b".to_string()));
    }

    #[test]
    fn blocks_of_any_size_and_parallel_pieces_see_every_entry_once_in_order() {
        // Odd line ends, comments, blank lines, a long line, no final newline.
        let mut text = String::new();
        for i in 0..5000 {
            match i % 7 {
                0 => text.push_str("# comment\n"),
                1 => text.push_str("\r\n"),
                2 => text.push_str(&format!("  site{i}.example  \r\n")),
                3 if i % 700 == 3 => text.push_str(&format!("{}\n", "y".repeat(300))),
                _ => text.push_str(&format!("site{i}.example\n")),
            }
        }
        text.push_str("last.example");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("l.txt");
        std::fs::write(&p, &text).unwrap();
        let want = collect(&p);
        assert_eq!(want.last().unwrap(), &(5001, "last.example".to_string()));
        for block in [1, 7, 64, 4096] {
            let mut got = Vec::new();
            for_each_block(&p, block, |before, b| {
                entries_of_block(b, before, &mut |n, e: &[u8]| {
                    got.push((n, String::from_utf8(e.to_vec()).unwrap()))
                })
            })
            .unwrap();
            assert_eq!(got, want, "blocks of {block} bytes");
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let pieces = pool
            .install(|| {
                fold_entries_par(&p, Vec::new, |v: &mut Vec<(usize, String)>, n, e| {
                    v.push((n, String::from_utf8(e.to_vec()).unwrap()))
                })
            })
            .unwrap();
        assert!(pieces.len() > 1, "cut into pieces");
        assert_eq!(pieces.concat(), want);
    }

    #[test]
    fn bad_lines_merged_in_file_order_keep_the_first_ones() {
        let mut first = BadLines::default();
        first.push(3, "a");
        let mut later = BadLines::default();
        for line in 10..20 {
            later.push(line, "b");
        }
        first.extend(later);
        let Err(ListError::BadEntries { bad, more, .. }) = first.finish(Path::new("x")) else {
            panic!("bad entries expected");
        };
        let lines: Vec<usize> = bad.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![3, 10, 11, 12, 13]);
        assert_eq!(more, 6);
    }

    #[test]
    fn text_entries_refuse_odd_bytes() {
        assert_eq!(text_entry(b"caf\xc3\xa9\tok"), Ok("caf\u{e9}\tok"));
        let e = text_entry(b"caf\xe9").unwrap_err();
        assert!(e.contains("not UTF-8 at byte 4"), "{e}");
        let e = text_entry(b"e\0x\0").unwrap_err();
        assert!(e.contains("a NUL byte at byte 2"), "{e}");
        let e = text_entry(b"a\x1bb").unwrap_err();
        assert!(e.contains("control byte 0x1b"), "{e}");
    }

    #[test]
    fn assets_prefix_resolves_into_the_assets_folder() {
        assert_eq!(
            resolve(Path::new("assets:naughty-words"), Path::new("/x/a")),
            PathBuf::from("/x/a/naughty-words")
        );
        assert_eq!(
            resolve(Path::new("lists/a.txt"), Path::new("/x/a")),
            PathBuf::from("lists/a.txt")
        );
        assert_eq!(
            list_name(Path::new("lists/my_blocklist.txt.gz")),
            "my_blocklist"
        );
    }
}
