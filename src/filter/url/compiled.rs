//! Compiled copies of large block lists. Parsing, normalising and hashing the 4.56 M lines of
//! the UT1 adult list costs ≈ 0.4 CPU-s in every process that loads it (every filter task of a
//! Slurm array, every run of a release); reading back the sets it gave costs a tenth of that.
//!
//! A copy is named by a 128-bit xxh3 of the list file's bytes, of how the file is read (domains,
//! URLs or mixed) and of the source of the code that turns a list into sets (this folder,
//! `lists.rs` and `Cargo.lock`): a changed list, or a build whose normalisation could differ,
//! never finds an old copy. Copies are written atomically and checked when read (a checksum,
//! then the set's own invariants); a missing or damaged copy only means parsing the list again.
//! Nothing a run writes depends on whether a copy was used.
//!
//! Where: `$TAMIS_CACHE_DIR/lists` (`TAMIS_CACHE_DIR=off` turns copies off), else
//! `$XDG_CACHE_HOME/tamis/lists`, else `~/.cache/tamis/lists`. Removing the folder is always safe.

use std::fs::File;
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use xxhash_rust::xxh3::Xxh3;

use super::hashset::HashedSet;
use super::{Kind, LoadedPair};
use crate::out::AtomicFile;

/// Lists smaller than this are parsed every time: a copy would save nothing measurable.
pub const MIN_SOURCE_BYTES: u64 = 1 << 20;

const MAGIC: &[u8; 8] = b"TAMISSET";
/// Bump with any change to the layout below (the code fingerprint would catch it too).
const FORMAT: u32 = 1;

/// Where compiled copies go, from the environment (see the module doc); `None` when turned off
/// or when no folder can be named.
pub fn cache_dir() -> Option<PathBuf> {
    let base = match std::env::var_os("TAMIS_CACHE_DIR") {
        Some(v) if v.is_empty() || v == "off" => return None,
        Some(v) => PathBuf::from(v),
        None => match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
            Some(x) => PathBuf::from(x).join("tamis"),
            None => PathBuf::from(std::env::var_os("HOME")?).join(".cache/tamis"),
        },
    };
    Some(base.join("lists"))
}

/// What happened to a list's compiled copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyUse {
    /// Not looked for (a small list, or copies turned off).
    NotUsed,
    /// The sets were read from the copy.
    Read,
    /// The list was parsed and a copy written for the next process.
    Written,
    /// The list was parsed; the copy could not be read or written (why).
    Failed(String),
}

/// Load `path` from its compiled copy in `dir` when there is a sound one, else `parse` it and
/// leave a copy for the next process.
pub(super) fn load_or_parse<E>(
    dir: &Path,
    path: &Path,
    kind: Kind,
    parse: impl FnOnce() -> Result<LoadedPair, E>,
) -> Result<LoadedPair, E> {
    let stamp = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    let before = stamp(path);
    let name = match copy_name(path, kind) {
        Ok(n) => n,
        // The parser reports an unreadable list with its own error.
        Err(_) => return parse(),
    };
    let file = dir.join(name);
    let mut problem = None;
    match read_copy(&file) {
        Ok(Some(pair)) => return Ok(pair),
        Ok(None) => {}
        Err(e) => problem = Some(format!("{}: {e}; parsed the list again", file.display())),
    }
    let mut pair = parse()?;
    if stamp(path) != before {
        // Rewritten while it was read: the name may not be that of what was parsed.
        pair.copy = CopyUse::Failed(format!("{}: changed while read; no copy", path.display()));
        return Ok(pair);
    }
    pair.copy = match write_copy(&file, &pair) {
        Ok(()) => problem.map_or(CopyUse::Written, CopyUse::Failed),
        Err(e) => CopyUse::Failed(format!("{}: not written: {e}", file.display())),
    };
    Ok(pair)
}

/// The source of the code that turns a list file into sets.
fn code_fingerprint() -> &'static [u8; 16] {
    static FP: OnceLock<[u8; 16]> = OnceLock::new();
    FP.get_or_init(|| {
        let mut h = Xxh3::new();
        for src in [
            include_bytes!("compiled.rs").as_slice(),
            include_bytes!("mod.rs"),
            include_bytes!("parse.rs"),
            include_bytes!("hashset.rs"),
            include_bytes!("../lists.rs"),
            include_bytes!("../../../Cargo.lock"),
        ] {
            h.update(&(src.len() as u64).to_le_bytes());
            h.update(src);
        }
        h.digest128().to_le_bytes()
    })
}

/// File name of the copy of `path` read as `kind`.
fn copy_name(path: &Path, kind: Kind) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    h.update(&[match kind {
        Kind::Domains => 0,
        Kind::Urls => 1,
        Kind::Mixed => 2,
    }]);
    h.update(&FORMAT.to_le_bytes());
    h.update(code_fingerprint());
    Ok(format!("{:032x}.set", h.digest128()))
}

/// Layout: magic, format, then per set (domains, URLs) index bits (u32), key count (u64),
/// bucket count (u64), keys (u64 each), buckets (u32 each); then the xxh3-64 of all that. Little
/// endian throughout.
fn write_copy(file: &Path, pair: &LoadedPair) -> io::Result<()> {
    let mut out = HashingWriter {
        inner: AtomicFile::create(file)?,
        hash: Xxh3::new(),
    };
    out.write_all(MAGIC)?;
    out.write_all(&FORMAT.to_le_bytes())?;
    for set in [&pair.domains, &pair.urls] {
        let (bits, keys, buckets) = set.parts();
        out.write_all(&bits.to_le_bytes())?;
        out.write_all(&(keys.len() as u64).to_le_bytes())?;
        out.write_all(&(buckets.len() as u64).to_le_bytes())?;
        write_numbers(&mut out, keys, |k| k.to_le_bytes())?;
        write_numbers(&mut out, buckets, |b| b.to_le_bytes())?;
    }
    let sum = out.hash.digest();
    let mut file = out.inner;
    file.write_all(&sum.to_le_bytes())?;
    file.finish()
}

/// `items` as little-endian numbers of `N` bytes each, a block at a time (the reverse of
/// [`HashingReader::numbers`]).
fn write_numbers<T: Copy, const N: usize>(
    out: &mut impl Write,
    items: &[T],
    to: fn(T) -> [u8; N],
) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(1 << 16);
    for chunk in items.chunks((1 << 16) / N) {
        bytes.clear();
        bytes.extend(chunk.iter().flat_map(|&x| to(x)));
        out.write_all(&bytes)?;
    }
    Ok(())
}

/// The copy at `file`: `None` when there is none, an error when it is damaged.
fn read_copy(file: &Path) -> Result<Option<LoadedPair>, String> {
    let f = match File::open(file) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let size = f.metadata().map_err(|e| e.to_string())?.len();
    let mut r = HashingReader {
        inner: BufReader::with_capacity(1 << 20, f),
        hash: Xxh3::new(),
        left: size,
    };
    let mut magic = [0u8; 8];
    r.fill(&mut magic).map_err(|_| damaged("truncated"))?;
    if &magic != MAGIC || r.u32().map_err(|_| damaged("truncated"))? != FORMAT {
        return Err(damaged("not a compiled list of this format"));
    }
    let domains = read_set(&mut r)?;
    let urls = read_set(&mut r)?;
    let sum = r.hash.digest();
    let mut tail = [0u8; 8];
    r.inner
        .read_exact(&mut tail)
        .map_err(|_| damaged("truncated"))?;
    if u64::from_le_bytes(tail) != sum || r.left != 8 {
        return Err(damaged("checksum"));
    }
    Ok(Some(LoadedPair {
        domains,
        urls,
        copy: CopyUse::Read,
    }))
}

fn damaged(what: &str) -> String {
    format!("damaged compiled list ({what})")
}

/// One set as [`write_copy`] lays it out.
fn read_set(r: &mut HashingReader) -> Result<HashedSet, String> {
    let bits = r.u32().map_err(|_| damaged("truncated"))?;
    let n_keys = r.u64().map_err(|_| damaged("truncated"))?;
    let n_buckets = r.u64().map_err(|_| damaged("truncated"))?;
    // Counts are checked against what is left of the file before anything is allocated.
    let need = n_keys
        .checked_mul(8)
        .and_then(|k| n_buckets.checked_mul(4).and_then(|b| k.checked_add(b)));
    if need.is_none_or(|n| n > r.left) {
        return Err(damaged("counts larger than the file"));
    }
    let keys = r
        .numbers(n_keys as usize, u64::from_le_bytes)
        .map_err(|_| damaged("truncated"))?;
    let buckets = r
        .numbers(n_buckets as usize, u32::from_le_bytes)
        .map_err(|_| damaged("truncated"))?;
    HashedSet::from_parts(bits, keys, buckets).map_err(|e| damaged(&e))
}

struct HashingWriter {
    inner: AtomicFile,
    hash: Xxh3,
}

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct HashingReader {
    inner: BufReader<File>,
    hash: Xxh3,
    /// Bytes of the file not read yet.
    left: u64,
}

impl HashingReader {
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buf)?;
        self.hash.update(buf);
        self.left = self.left.saturating_sub(buf.len() as u64);
        Ok(())
    }

    fn u32(&mut self) -> io::Result<u32> {
        let mut b = [0u8; 4];
        self.fill(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn u64(&mut self) -> io::Result<u64> {
        let mut b = [0u8; 8];
        self.fill(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    /// `n` little-endian numbers of `N` bytes each, read a block at a time.
    fn numbers<const N: usize, T>(
        &mut self,
        n: usize,
        from: fn([u8; N]) -> T,
    ) -> io::Result<Vec<T>> {
        const BLOCK: usize = 1 << 16;
        let mut out = Vec::with_capacity(n);
        let mut buf = vec![0u8; BLOCK];
        while out.len() < n {
            let bytes = &mut buf[..((n - out.len()) * N).min(BLOCK / N * N)];
            self.fill(bytes)?;
            out.extend(bytes.chunks_exact(N).map(|c| {
                let mut a = [0u8; N];
                a.copy_from_slice(c);
                from(a)
            }));
        }
        Ok(out)
    }
}
