//! Dedup intermediates on disk: files of fixed 16-byte records `(u64, u64)`, little-endian,
//! behind an 8-byte magic and a format version, written atomically through [`OutDir`]. Band-key
//! runs hold `(key, doc)` sorted by key then doc; pair files hold `(doc, doc)` edges.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use crate::out::OutDir;

const MAGIC: &[u8; 8] = b"TAMISDD\x01";
const VERSION: u32 = 1;

/// A global document reference: input unit in the high 32 bits, row within the unit below.
pub type DocRef = u64;

/// Pack a unit and row.
pub fn doc_ref(unit: usize, row: u32) -> DocRef {
    ((unit as u64) << 32) | row as u64
}

/// Unpack a document reference.
pub fn unit_row(d: DocRef) -> (usize, u32) {
    ((d >> 32) as usize, d as u32)
}

/// Streaming writer of a record file (the count is patched into the header at the end).
pub struct RecordWriter {
    file: crate::out::AtomicFile,
    count: u64,
}

impl RecordWriter {
    /// Start `rel` under `out`.
    pub fn create(out: &OutDir, rel: &str) -> io::Result<RecordWriter> {
        let mut file = out.create_file(rel)?;
        file.write_all(MAGIC)?;
        file.write_all(&VERSION.to_le_bytes())?;
        file.write_all(&0u64.to_le_bytes())?;
        Ok(RecordWriter { file, count: 0 })
    }

    /// Append a record.
    pub fn push(&mut self, a: u64, b: u64) -> io::Result<()> {
        self.file.write_all(&a.to_le_bytes())?;
        self.file.write_all(&b.to_le_bytes())?;
        self.count += 1;
        Ok(())
    }

    /// Patch the count and move the file into place.
    pub fn finish(mut self) -> io::Result<u64> {
        self.file.patch_at(12, &self.count.to_le_bytes())?;
        self.file.finish()?;
        Ok(self.count)
    }
}

/// Write `records` (already in the order wanted) to `rel` under `out`.
pub fn write_records(out: &OutDir, rel: &str, records: &[(u64, u64)]) -> io::Result<()> {
    let mut f = out.create_file(rel)?;
    {
        let mut w = BufWriter::with_capacity(1 << 20, &mut f);
        w.write_all(MAGIC)?;
        w.write_all(&VERSION.to_le_bytes())?;
        w.write_all(&(records.len() as u64).to_le_bytes())?;
        for (a, b) in records {
            w.write_all(&a.to_le_bytes())?;
            w.write_all(&b.to_le_bytes())?;
        }
        w.flush()?;
    }
    f.finish()
}

/// Streaming reader of a record file.
pub struct RecordReader {
    input: BufReader<File>,
    left: u64,
    path: PathBuf,
}

impl RecordReader {
    /// Open and check the header.
    pub fn open(path: &Path) -> io::Result<RecordReader> {
        let mut input = BufReader::with_capacity(1 << 16, File::open(path)?);
        let mut head = [0u8; 20];
        input
            .read_exact(&mut head)
            .map_err(|e| bad(path, &format!("header: {e}")))?;
        if &head[..8] != MAGIC {
            return Err(bad(path, "not a tamis dedup file"));
        }
        let version = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
        if version != VERSION {
            return Err(bad(
                path,
                &format!("format version {version}, expected {VERSION}"),
            ));
        }
        let mut n = [0u8; 8];
        n.copy_from_slice(&head[12..20]);
        let left = u64::from_le_bytes(n);
        let len = std::fs::metadata(path)?.len();
        if len != 20 + left * 16 {
            return Err(bad(
                path,
                &format!("{left} records announced but the file has {len} bytes"),
            ));
        }
        Ok(RecordReader {
            input,
            left,
            path: path.to_path_buf(),
        })
    }

    /// Records left.
    pub fn len(&self) -> u64 {
        self.left
    }

    /// Whether no record is left.
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }

    /// Next record.
    pub fn next_record(&mut self) -> io::Result<Option<(u64, u64)>> {
        if self.left == 0 {
            return Ok(None);
        }
        let mut buf = [0u8; 16];
        self.input
            .read_exact(&mut buf)
            .map_err(|e| bad(&self.path, &format!("record: {e}")))?;
        self.left -= 1;
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        a.copy_from_slice(&buf[..8]);
        b.copy_from_slice(&buf[8..]);
        Ok(Some((u64::from_le_bytes(a), u64::from_le_bytes(b))))
    }
}

fn bad(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

/// Merge sorted runs into one sorted stream, calling `f` for each record in order.
pub fn merge_sorted(
    paths: &[PathBuf],
    f: impl FnMut(u64, u64) -> io::Result<()>,
) -> io::Result<()> {
    merge_sorted_mapped(paths, |_, d| d, f)
}

/// [`merge_sorted`], with the second field of file `i`'s records passed through `map(i, value)`
/// (document references of an earlier release are moved into their own unit space this way).
pub fn merge_sorted_mapped(
    paths: &[PathBuf],
    map: impl Fn(usize, u64) -> u64,
    mut f: impl FnMut(u64, u64) -> io::Result<()>,
) -> io::Result<()> {
    let mut readers = Vec::with_capacity(paths.len());
    for p in paths {
        readers.push(RecordReader::open(p)?);
    }
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (i, r) in readers.iter_mut().enumerate() {
        if let Some((k, d)) = r.next_record()? {
            heap.push(Reverse((k, map(i, d), i)));
        }
    }
    while let Some(Reverse((k, d, i))) = heap.pop() {
        f(k, d)?;
        if let Some((k2, d2)) = readers[i].next_record()? {
            heap.push(Reverse((k2, map(i, d2), i)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_round_trip_and_merge_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::create(dir.path()).unwrap();
        write_records(&out, "a.bin", &[(1, 10), (3, 30), (5, 50)]).unwrap();
        write_records(&out, "b.bin", &[(2, 20), (3, 31), (9, 90)]).unwrap();
        let mut got = Vec::new();
        merge_sorted(
            &[dir.path().join("a.bin"), dir.path().join("b.bin")],
            |k, d| {
                got.push((k, d));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(got, [(1, 10), (2, 20), (3, 30), (3, 31), (5, 50), (9, 90)]);
        std::fs::write(
            dir.path().join("c.bin"),
            b"TAMISDD\x01\x01\0\0\0\x05\0\0\0\0\0\0\0",
        )
        .unwrap();
        assert!(
            RecordReader::open(&dir.path().join("c.bin")).is_err(),
            "count does not match size"
        );
    }
}
