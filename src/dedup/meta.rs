//! Per-unit document facts the clustering step needs without rereading the documents: date,
//! exact-text hash and id of every row, in row order.

use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::out::OutDir;

const MAGIC: &[u8; 8] = b"TAMISDM\x01";

/// One row's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowMeta {
    /// Date, µs since the epoch.
    pub date: Option<i64>,
    /// Hash of the normalised text (0 when the text has no token).
    pub exact: u64,
    /// Document id.
    pub id: String,
}

/// Write the facts of a unit.
pub fn write_meta(out: &OutDir, rel: &str, rows: &[RowMeta]) -> io::Result<()> {
    let mut f = out.create_file(rel)?;
    {
        let mut w = BufWriter::new(&mut f);
        w.write_all(MAGIC)?;
        w.write_all(&(rows.len() as u64).to_le_bytes())?;
        for r in rows {
            w.write_all(&r.date.unwrap_or(i64::MIN).to_le_bytes())?;
            w.write_all(&r.exact.to_le_bytes())?;
            w.write_all(&(r.id.len() as u32).to_le_bytes())?;
            w.write_all(r.id.as_bytes())?;
        }
        w.flush()?;
    }
    f.finish()
}

fn bad(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("{}: {what}", path.display()),
    )
}

/// Number of rows of a unit (reads the header only).
pub fn meta_rows(path: &Path) -> io::Result<u64> {
    let mut r = std::fs::File::open(path)?;
    let mut head = [0u8; 16];
    r.read_exact(&mut head)
        .map_err(|e| bad(path, &e.to_string()))?;
    if &head[..8] != MAGIC {
        return Err(bad(path, "not a tamis dedup meta file"));
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&head[8..]);
    Ok(u64::from_le_bytes(n))
}

/// The rows of a unit, one at a time (the clustering step walks every unit in bounded memory).
pub struct MetaReader {
    input: BufReader<std::fs::File>,
    left: u64,
    len: u64,
    path: std::path::PathBuf,
}

impl MetaReader {
    /// Open and check the header.
    pub fn open(path: &Path) -> io::Result<MetaReader> {
        let n = meta_rows(path)?;
        let len = std::fs::metadata(path)?.len();
        if n > len / 20 {
            return Err(bad(path, "row count larger than the file"));
        }
        let mut input = BufReader::new(std::fs::File::open(path)?);
        let mut skip = [0u8; 16];
        input.read_exact(&mut skip)?;
        Ok(MetaReader {
            input,
            left: n,
            len,
            path: path.to_path_buf(),
        })
    }

    fn row(&mut self) -> io::Result<RowMeta> {
        let path = &self.path;
        let r = &mut self.input;
        let mut b8 = [0u8; 8];
        let mut b4 = [0u8; 4];
        r.read_exact(&mut b8)
            .map_err(|e| bad(path, &e.to_string()))?;
        let date = i64::from_le_bytes(b8);
        r.read_exact(&mut b8)
            .map_err(|e| bad(path, &e.to_string()))?;
        let exact = u64::from_le_bytes(b8);
        r.read_exact(&mut b4)
            .map_err(|e| bad(path, &e.to_string()))?;
        let l = u32::from_le_bytes(b4) as u64;
        if l > self.len {
            return Err(bad(path, "id longer than the file"));
        }
        let mut id = vec![0u8; l as usize];
        r.read_exact(&mut id)
            .map_err(|e| bad(path, &e.to_string()))?;
        Ok(RowMeta {
            date: (date != i64::MIN).then_some(date),
            exact,
            id: String::from_utf8(id).map_err(|_| bad(path, "id is not UTF-8"))?,
        })
    }
}

impl Iterator for MetaReader {
    type Item = io::Result<RowMeta>;
    fn next(&mut self) -> Option<io::Result<RowMeta>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        Some(self.row())
    }
}
