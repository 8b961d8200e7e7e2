//! Every page header of a Parquet file, checked before parquet 57 decodes the file.
//!
//! parquet 57 (and 60) read page headers through a `Read`-based Thrift decoder whose `skip_bytes`
//! succeeds at end of file, so a header announcing a list of 2³¹ doubles is skipped one element
//! at a time, a read system call each: a 3.8 KB file took 97 s (fuzz/, `read_parquet`). Here each
//! column chunk's headers are walked with a Thrift compact-protocol skipper bounded by the chunk:
//! a header or page running past its chunk (a list longer than the bytes left does at once), a
//! nesting deeper than parquet's own limit, an unknown type, is a damaged file, refused before
//! the decoder sees it. The walk reads
//! headers only (a window at a time), not the pages' data.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use parquet_footer::file::metadata::ParquetMetaData;

/// parquet's own limit on nested Thrift structures.
const MAX_DEPTH: u32 = 64;

/// First read of a page header; doubled while the header does not fit.
const HEADER_WINDOW: usize = 4 << 10;

/// The largest page header read. Writers keep headers small (parquet-cpp drops statistics over
/// 4 KB); one that does not fit in this is damaged, and the window's memory stays bounded.
const MAX_HEADER: usize = 16 << 20;

fn damaged(message: String) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not a readable Parquet file: {message}"),
    )
}

/// Check the page headers of every column chunk of `meta` in `f`.
pub fn check_page_headers(f: &File, meta: &ParquetMetaData) -> io::Result<()> {
    let file_len = f.metadata()?.len();
    let mut window = Vec::new();
    for (g, group) in meta.row_groups().iter().enumerate() {
        for (c, column) in group.columns().iter().enumerate() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or(column.data_page_offset());
            let len = column.compressed_size();
            let (Ok(start), Ok(len)) = (u64::try_from(start), u64::try_from(len)) else {
                return Err(damaged(format!(
                    "row group {g}, column {c}: negative offset or size"
                )));
            };
            let end = start
                .checked_add(len)
                .filter(|&e| e <= file_len)
                .ok_or_else(|| {
                    damaged(format!(
                        "row group {g}, column {c}: chunk runs past the end of the file"
                    ))
                })?;
            check_chunk(f, start, end, &mut window)
                .map_err(|e| damaged(format!("row group {g}, column {c}: {e}")))?;
        }
    }
    Ok(())
}

/// Walk the pages of the chunk `[start, end)`: header, then its data, up to `end` exactly.
fn check_chunk(f: &File, start: u64, end: u64, window: &mut Vec<u8>) -> Result<(), String> {
    let mut pos = start;
    while pos < end {
        let left = usize::try_from(end - pos).unwrap_or(usize::MAX);
        let mut size = HEADER_WINDOW.min(left);
        let (header_len, data_len) = loop {
            window.resize(size, 0);
            f.read_exact_at(window, pos)
                .map_err(|e| format!("page header at byte {pos}: {e}"))?;
            match page_header(window) {
                Ok(found) => break found,
                // The header may go on past the window: read more, up to the chunk's end.
                Err(Skip::Eof) if size < left.min(MAX_HEADER) => {
                    size = size.saturating_mul(2).min(left).min(MAX_HEADER)
                }
                Err(Skip::Eof) if size == MAX_HEADER => {
                    return Err(format!(
                        "page header at byte {pos}: over {MAX_HEADER} bytes"
                    ))
                }
                Err(e) => return Err(format!("page header at byte {pos}: {}", e.describe())),
            }
        };
        let data_len = u64::try_from(data_len)
            .map_err(|_| format!("page at byte {pos}: negative size {data_len}"))?;
        pos = pos
            .checked_add(header_len as u64)
            .and_then(|p| p.checked_add(data_len))
            .filter(|&p| p <= end)
            .ok_or_else(|| format!("page at byte {pos} runs past the end of its column chunk"))?;
    }
    Ok(())
}

/// Why a header could not be skipped.
#[derive(Debug, PartialEq)]
enum Skip {
    /// Ran out of bytes.
    Eof,
    /// Something no writer produces.
    Bad(&'static str),
}

impl Skip {
    fn describe(&self) -> &'static str {
        match self {
            Skip::Eof => "runs past the end of its column chunk",
            Skip::Bad(what) => what,
        }
    }
}

/// A page header at the start of `buf`: its length and the page's `compressed_page_size`.
fn page_header(buf: &[u8]) -> Result<(usize, i64), Skip> {
    let mut r = Reader { buf, pos: 0 };
    let mut compressed = None;
    let mut last_id = 0i16;
    while let Some((id, kind)) = r.field_begin(&mut last_id)? {
        // PageHeader field 3: `required i32 compressed_page_size`.
        if id == 3 && kind == I32 {
            compressed = Some(r.zigzag()?);
        } else {
            r.skip(kind, MAX_DEPTH)?;
        }
    }
    let compressed = compressed.ok_or(Skip::Bad("no compressed_page_size"))?;
    Ok((r.pos, compressed))
}

// Thrift compact protocol type codes.
const BOOL_TRUE: u8 = 1;
const BOOL_FALSE: u8 = 2;
const BYTE: u8 = 3;
const I16: u8 = 4;
const I32: u8 = 5;
const I64: u8 = 6;
const DOUBLE: u8 = 7;
const BINARY: u8 = 8;
const LIST: u8 = 9;
const SET: u8 = 10;
const MAP: u8 = 11;
const STRUCT: u8 = 12;
const UUID: u8 = 13;

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn left(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn byte(&mut self) -> Result<u8, Skip> {
        let b = *self.buf.get(self.pos).ok_or(Skip::Eof)?;
        self.pos += 1;
        Ok(b)
    }

    fn bytes(&mut self, n: u64) -> Result<(), Skip> {
        match usize::try_from(n) {
            Ok(n) if n <= self.left() => {
                self.pos += n;
                Ok(())
            }
            _ => Err(Skip::Eof),
        }
    }

    fn varint(&mut self) -> Result<u64, Skip> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Skip::Bad("varint longer than 10 bytes"))
    }

    fn zigzag(&mut self) -> Result<i64, Skip> {
        let v = self.varint()?;
        Ok((v >> 1) as i64 ^ -((v & 1) as i64))
    }

    /// A field header: `None` at the struct's end.
    fn field_begin(&mut self, last_id: &mut i16) -> Result<Option<(i16, u8)>, Skip> {
        let b = self.byte()?;
        if b == 0 {
            return Ok(None);
        }
        let (delta, kind) = (b >> 4, b & 0x0f);
        let id = if delta == 0 {
            i16::try_from(self.zigzag()?).map_err(|_| Skip::Bad("field id out of range"))?
        } else {
            last_id.wrapping_add(i16::from(delta))
        };
        *last_id = id;
        Ok(Some((id, kind)))
    }

    /// Skip a value of type `kind`, nested at most `depth` deep.
    fn skip(&mut self, kind: u8, depth: u32) -> Result<(), Skip> {
        if depth == 0 {
            return Err(Skip::Bad("nested too deep"));
        }
        match kind {
            BOOL_TRUE | BOOL_FALSE => Ok(()),
            BYTE => self.bytes(1),
            I16 | I32 | I64 => self.varint().map(drop),
            DOUBLE => self.bytes(8),
            UUID => self.bytes(16),
            BINARY => {
                let n = self.varint()?;
                self.bytes(n)
            }
            LIST | SET => {
                let b = self.byte()?;
                let (short, elem) = (b >> 4, b & 0x0f);
                let n = if short == 15 {
                    self.varint()?
                } else {
                    u64::from(short)
                };
                // Every element takes at least one byte (a boolean in a list takes one): a
                // longer list ends past these bytes, whatever its elements.
                if n > self.left() as u64 {
                    return Err(Skip::Eof);
                }
                for _ in 0..n {
                    match elem {
                        BOOL_TRUE | BOOL_FALSE => self.bytes(1)?,
                        _ => self.skip(elem, depth - 1)?,
                    }
                }
                Ok(())
            }
            MAP => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let types = self.byte()?;
                if n > self.left() as u64 {
                    return Err(Skip::Eof);
                }
                for _ in 0..n {
                    self.skip(types >> 4, depth - 1)?;
                    self.skip(types & 0x0f, depth - 1)?;
                }
                Ok(())
            }
            STRUCT => {
                let mut last_id = 0i16;
                while let Some((_, k)) = self.field_begin(&mut last_id)? {
                    self.skip(k, depth - 1)?;
                }
                Ok(())
            }
            _ => Err(Skip::Bad("unknown Thrift type")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// A data page header: type, uncompressed and compressed sizes, then `extra` fields.
    fn header(compressed: i64, extra: &[u8]) -> Vec<u8> {
        let mut h = vec![0x15, 0x00]; // field 1 (i32): type DATA_PAGE (0)
        h.push(0x15); // field 2 (i32)
        varint(((compressed << 1) ^ (compressed >> 63)) as u64, &mut h);
        h.push(0x15); // field 3 (i32): compressed_page_size
        varint(((compressed << 1) ^ (compressed >> 63)) as u64, &mut h);
        h.extend_from_slice(extra);
        h.push(0); // stop
        h
    }

    #[test]
    fn a_header_gives_its_length_and_page_size() {
        let h = header(300, &[]);
        assert_eq!(page_header(&h), Ok((h.len(), 300)));
        // A nested struct (field 5: data_page_header) with a binary and a boolean list inside.
        let mut extra = vec![0x2c, 0x18, 3, b'a', b'b', b'c', 0x19, 0x21, 1, 2, 0x00];
        extra.extend([0x16, 0x02]); // field 6 (i64)
        let h = header(7, &extra);
        assert_eq!(page_header(&h), Ok((h.len(), 7)));
    }

    #[test]
    fn a_list_longer_than_the_bytes_left_ends_the_walk_at_once() {
        // Field 4 (list of 2^31 doubles): what made parquet's skipper read to end of file
        // 2^31 times. Here: out of bytes, without looking at a single element.
        let mut extra = vec![0x19, 0xf7];
        varint(1 << 31, &mut extra);
        let h = header(10, &extra);
        assert_eq!(page_header(&h), Err(Skip::Eof));
    }

    #[test]
    fn truncated_deep_and_unknown_headers_are_errors() {
        let h = header(10, &[]);
        assert_eq!(page_header(&h[..h.len() - 1]), Err(Skip::Eof));
        let deep: Vec<u8> = std::iter::once(0x1c)
            .chain(std::iter::repeat_n(0x1c, 100))
            .collect();
        assert_eq!(page_header(&deep), Err(Skip::Bad("nested too deep")));
        assert_eq!(
            page_header(&[0x1e, 0x00]),
            Err(Skip::Bad("unknown Thrift type"))
        );
        assert_eq!(
            page_header(&[0x00]),
            Err(Skip::Bad("no compressed_page_size"))
        );
    }
}
