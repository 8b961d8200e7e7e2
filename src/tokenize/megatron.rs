//! Megatron indexed datasets (`PREFIX.bin` + `PREFIX.idx`), the format Megatron-LM /
//! Megatron-Core's `IndexedDataset` reads.
//!
//! - `.bin`: the token ids of every sequence, concatenated, little-endian, no header.
//! - `.idx`: `b"MMIDIDX\x00\x00"`, u64 version = 1, u8 dtype code, u64 S (sequences),
//!   u64 D (documents + 1), int32\[S\] sequence lengths (tokens), int64\[S\] byte offsets of the
//!   sequences in `.bin`, int64\[D\] document indices (the first sequence of each document, then
//!   S). All little-endian, no padding: the file is `34 + 12·S + 8·D` bytes.
//!
//! tamis writes one document per sequence, so the document indices are `0, 1, …, S`.
//!
//! [`MegatronWriter`] streams: tokens go straight to `.bin` (through a 1 MiB buffer); only the
//! sequence lengths are kept (4 bytes per document) until [`MegatronWriter::finish`] writes the
//! `.idx`. Both files are written under temporary names and renamed into place by
//! [`OutDir`]'s atomic files, `.bin` first, so a visible `.idx` always has its whole `.bin`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::out::{AtomicFile, OutDir};

/// The magic bytes that start every `.idx`.
pub const MAGIC: &[u8; 9] = b"MMIDIDX\x00\x00";
/// The index format version tamis writes and reads.
pub const VERSION: u64 = 1;
/// Size of the `.idx` header: magic, version, dtype, S, D.
pub const HEADER_BYTES: u64 = 9 + 8 + 1 + 8 + 8;

/// Element type of the `.bin`, with Megatron's dtype codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    /// `numpy.uint8`, code 1.
    U8,
    /// `numpy.int8`, code 2.
    I8,
    /// `numpy.int16`, code 3.
    I16,
    /// `numpy.int32`, code 4.
    I32,
    /// `numpy.int64`, code 5.
    I64,
    /// `numpy.float64`, code 6 (never used for tokens; recognised when reading).
    F64,
    /// `numpy.float32`, code 7 (never used for tokens; recognised when reading).
    F32,
    /// `numpy.uint16`, code 8.
    U16,
}

impl DType {
    /// Megatron's rule: `uint16` when the vocabulary has fewer than 65 500 ids, else `int32`.
    pub fn for_vocab(vocab_size: u32) -> DType {
        if vocab_size < 65_500 {
            DType::U16
        } else {
            DType::I32
        }
    }

    /// The code stored in the `.idx`.
    pub fn code(self) -> u8 {
        match self {
            DType::U8 => 1,
            DType::I8 => 2,
            DType::I16 => 3,
            DType::I32 => 4,
            DType::I64 => 5,
            DType::F64 => 6,
            DType::F32 => 7,
            DType::U16 => 8,
        }
    }

    /// The dtype of a code.
    pub fn from_code(code: u8) -> Option<DType> {
        Some(match code {
            1 => DType::U8,
            2 => DType::I8,
            3 => DType::I16,
            4 => DType::I32,
            5 => DType::I64,
            6 => DType::F64,
            7 => DType::F32,
            8 => DType::U16,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            DType::U8 | DType::I8 => 1,
            DType::I16 | DType::U16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }

    /// The numpy name (`uint16`).
    pub fn name(self) -> &'static str {
        match self {
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F64 => "float64",
            DType::F32 => "float32",
            DType::U16 => "uint16",
        }
    }

    /// The largest token id this dtype holds, or `None` for float types.
    pub fn max_token(self) -> Option<u64> {
        match self {
            DType::U8 => Some(u8::MAX as u64),
            DType::I8 => Some(i8::MAX as u64),
            DType::I16 => Some(i16::MAX as u64),
            DType::U16 => Some(u16::MAX as u64),
            DType::I32 => Some(i32::MAX as u64),
            DType::I64 => Some(i64::MAX as u64),
            DType::F32 | DType::F64 => None,
        }
    }
}

/// Errors of writing or reading a Megatron indexed dataset; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum MegatronError {
    /// Reading or writing failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A token does not fit the shard's dtype.
    #[error("{}: token {token} of document {document} does not fit dtype {} (max {max})", path.display(), dtype.name())]
    TokenOutOfRange {
        /// The `.bin` being written.
        path: PathBuf,
        /// Index of the document in the shard.
        document: u64,
        /// The token id.
        token: u32,
        /// The shard's dtype.
        dtype: DType,
        /// The largest id it holds.
        max: u64,
    },
    /// A sequence longer than an int32 length can say.
    #[error("{}: document {document} has {tokens} tokens, more than an int32 sequence length holds", path.display())]
    SequenceTooLong {
        /// The `.bin` being written.
        path: PathBuf,
        /// Index of the document in the shard.
        document: u64,
        /// Its token count.
        tokens: usize,
    },
    /// The writer's dtype cannot hold token ids.
    #[error("{}: dtype {} cannot hold token ids", path.display(), dtype.name())]
    NotATokenDtype {
        /// The shard.
        path: PathBuf,
        /// The dtype.
        dtype: DType,
    },
    /// The `.idx` or `.bin` is not a valid Megatron indexed dataset (foreign, truncated or
    /// inconsistent).
    #[error("{}: not a valid Megatron indexed dataset: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the expected and found values.
        message: String,
    },
    /// A sequence or document index past the end.
    #[error("{}: no {what} {index} (it has {count})", path.display())]
    OutOfBounds {
        /// The `.idx`.
        path: PathBuf,
        /// `sequence` or `document`.
        what: &'static str,
        /// The index asked for.
        index: u64,
        /// How many there are.
        count: u64,
    },
}

impl From<MegatronError> for io::Error {
    /// For callers that speak `io::Result` (the stage's shard sinks): the message keeps the
    /// path; `Io` errors keep their kind, format errors are `InvalidData`.
    fn from(e: MegatronError) -> io::Error {
        let kind = match &e {
            MegatronError::Io { source, .. } => source.kind(),
            MegatronError::OutOfBounds { .. } => io::ErrorKind::InvalidInput,
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, e.to_string())
    }
}

/// The `.bin` and `.idx` paths of a prefix (`tokens/part-00000` → `tokens/part-00000.bin`, …).
pub fn shard_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |ext: &str| {
        let mut s = prefix.as_os_str().to_os_string();
        s.push(ext);
        PathBuf::from(s)
    };
    (with(".bin"), with(".idx"))
}

/// The size an `.idx` of `sequences` sequences and `documents` documents must have.
pub fn idx_size(sequences: u64, documents: u64) -> u64 {
    HEADER_BYTES + 12 * sequences + 8 * (documents + 1)
}

/// What a finished shard holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MegatronSummary {
    /// Sequences (= documents).
    pub sequences: u64,
    /// Tokens, end-of-document tokens included.
    pub tokens: u64,
    /// Size of `.bin`.
    pub bin_bytes: u64,
    /// Size of `.idx`.
    pub idx_bytes: u64,
}

/// Writes one shard, one document per sequence.
///
/// **End-of-document:** when the writer is created with `eod = Some(id)`, it appends `id` after
/// each document passed to [`MegatronWriter::push`] (the pipeline does this, with
/// [`crate::tokenize::Tokenizer::eod_id`]); with `None`, sequences are written exactly as given.
///
/// Nothing is visible under the final names before [`MegatronWriter::finish`]; dropping an
/// unfinished writer removes its temporary file.
#[derive(Debug)]
pub struct MegatronWriter {
    out: OutDir,
    idx_rel: PathBuf,
    bin_path: PathBuf,
    bin: AtomicFile,
    dtype: DType,
    max: u64,
    eod: Option<u32>,
    lengths: Vec<i32>,
    tokens: u64,
    buf: Vec<u8>,
}

impl MegatronWriter {
    /// Start writing `PREFIX.bin` / `PREFIX.idx` under `out` (`prefix` relative to its root,
    /// e.g. `tokens/part-00000`). `eod`: see the type's documentation; it must fit `dtype`.
    pub fn create(
        out: &OutDir,
        prefix: impl AsRef<Path>,
        dtype: DType,
        eod: Option<u32>,
    ) -> Result<MegatronWriter, MegatronError> {
        let (bin_rel, idx_rel) = shard_paths(prefix.as_ref());
        let bin_path = out.path(&bin_rel);
        let Some(max) = dtype.max_token() else {
            return Err(MegatronError::NotATokenDtype {
                path: bin_path,
                dtype,
            });
        };
        if let Some(e) = eod {
            if e as u64 > max {
                return Err(MegatronError::TokenOutOfRange {
                    path: bin_path,
                    document: 0,
                    token: e,
                    dtype,
                    max,
                });
            }
        }
        let bin = out
            .create_file(&bin_rel)
            .map_err(|source| MegatronError::Io {
                path: bin_path.clone(),
                source,
            })?;
        Ok(MegatronWriter {
            out: out.clone(),
            idx_rel,
            bin_path,
            bin,
            dtype,
            max,
            eod,
            lengths: Vec::new(),
            tokens: 0,
            buf: Vec::new(),
        })
    }

    /// Append one document (plus the end-of-document id when the writer has one).
    pub fn push(&mut self, tokens: &[u32]) -> Result<(), MegatronError> {
        let document = self.lengths.len() as u64;
        let n = tokens.len() + usize::from(self.eod.is_some());
        let len = i32::try_from(n).map_err(|_| MegatronError::SequenceTooLong {
            path: self.bin_path.clone(),
            document,
            tokens: n,
        })?;
        if let Some(&bad) = tokens.iter().find(|&&t| t as u64 > self.max) {
            return Err(MegatronError::TokenOutOfRange {
                path: self.bin_path.clone(),
                document,
                token: bad,
                dtype: self.dtype,
                max: self.max,
            });
        }
        self.buf.clear();
        self.buf.reserve(n * self.dtype.size());
        let all = tokens.iter().copied().chain(self.eod);
        match self.dtype {
            DType::U8 | DType::I8 => self.buf.extend(all.map(|t| t as u8)),
            DType::U16 | DType::I16 => all.for_each(|t| self.buf.extend((t as u16).to_le_bytes())),
            DType::I32 => all.for_each(|t| self.buf.extend((t as i32).to_le_bytes())),
            DType::I64 => all.for_each(|t| self.buf.extend((t as i64).to_le_bytes())),
            DType::F32 | DType::F64 => unreachable!("rejected in create"),
        }
        self.bin
            .write_all(&self.buf)
            .map_err(|source| MegatronError::Io {
                path: self.bin_path.clone(),
                source,
            })?;
        self.lengths.push(len);
        self.tokens += n as u64;
        Ok(())
    }

    /// Documents written so far.
    pub fn documents(&self) -> u64 {
        self.lengths.len() as u64
    }

    /// Tokens written so far (end-of-document ids included).
    pub fn tokens(&self) -> u64 {
        self.tokens
    }

    /// The shard's dtype.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Finish `.bin`, then write `.idx`; both appear under their final names.
    pub fn finish(self) -> Result<MegatronSummary, MegatronError> {
        let size = self.dtype.size() as u64;
        let bin_bytes = self.tokens * size;
        self.bin.finish().map_err(|source| MegatronError::Io {
            path: self.bin_path.clone(),
            source,
        })?;
        let idx_path = self.out.path(&self.idx_rel);
        let io_err = |source| MegatronError::Io {
            path: idx_path.clone(),
            source,
        };
        let s = self.lengths.len() as u64;
        let mut idx = self.out.create_file(&self.idx_rel).map_err(io_err)?;
        let mut w = |b: &[u8]| idx.write_all(b);
        let header = (|| {
            w(MAGIC)?;
            w(&VERSION.to_le_bytes())?;
            w(&[self.dtype.code()])?;
            w(&s.to_le_bytes())?;
            w(&(s + 1).to_le_bytes())
        })();
        header.map_err(io_err)?;
        let mut chunk = Vec::with_capacity(64 << 10);
        let flush = |chunk: &mut Vec<u8>, idx: &mut AtomicFile, force: bool| {
            if force || chunk.len() >= 60 << 10 {
                idx.write_all(chunk)?;
                chunk.clear();
            }
            Ok::<_, io::Error>(())
        };
        for l in &self.lengths {
            chunk.extend(l.to_le_bytes());
            flush(&mut chunk, &mut idx, false).map_err(io_err)?;
        }
        let mut offset = 0i64;
        for &l in &self.lengths {
            chunk.extend(offset.to_le_bytes());
            offset += l as i64 * size as i64;
            flush(&mut chunk, &mut idx, false).map_err(io_err)?;
        }
        for d in 0..=s as i64 {
            chunk.extend(d.to_le_bytes());
            flush(&mut chunk, &mut idx, false).map_err(io_err)?;
        }
        flush(&mut chunk, &mut idx, true).map_err(io_err)?;
        idx.finish().map_err(io_err)?;
        Ok(MegatronSummary {
            sequences: s,
            tokens: self.tokens,
            bin_bytes,
            idx_bytes: idx_size(s, s),
        })
    }
}

/// An opened shard: the whole `.idx` in memory (12 bytes per sequence), `.bin` read on demand.
/// Opening validates the header, the sizes of both files and the consistency of lengths,
/// offsets and document indices.
#[derive(Debug)]
pub struct MegatronReader {
    idx_path: PathBuf,
    bin_path: PathBuf,
    bin: File,
    dtype: DType,
    lengths: Vec<i32>,
    offsets: Vec<i64>,
    doc_idx: Vec<i64>,
    tokens: u64,
}

impl MegatronReader {
    /// Open `PREFIX.idx` and `PREFIX.bin`.
    pub fn open(prefix: impl AsRef<Path>) -> Result<MegatronReader, MegatronError> {
        let (bin_path, idx_path) = shard_paths(prefix.as_ref());
        let invalid = |path: &Path, message: String| MegatronError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let io_idx = |source| MegatronError::Io {
            path: idx_path.clone(),
            source,
        };
        let mut f = File::open(&idx_path).map_err(io_idx)?;
        let actual = f.metadata().map_err(io_idx)?.len();
        let mut header = [0u8; HEADER_BYTES as usize];
        if actual < HEADER_BYTES {
            return Err(invalid(
                &idx_path,
                format!("{actual} bytes, shorter than the {HEADER_BYTES}-byte header"),
            ));
        }
        f.read_exact(&mut header).map_err(io_idx)?;
        if &header[..9] != MAGIC {
            return Err(invalid(
                &idx_path,
                format!(
                    "magic is {:?}, expected \"MMIDIDX\\0\\0\"",
                    String::from_utf8_lossy(&header[..9])
                ),
            ));
        }
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&header[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let version = u64_at(9);
        if version != VERSION {
            return Err(invalid(
                &idx_path,
                format!("version {version}, expected {VERSION}"),
            ));
        }
        let dtype = DType::from_code(header[17])
            .ok_or_else(|| invalid(&idx_path, format!("unknown dtype code {}", header[17])))?;
        let s = u64_at(18);
        let d = u64_at(26);
        if d == 0 {
            return Err(invalid(
                &idx_path,
                "document count D is 0 (it is documents + 1)".into(),
            ));
        }
        let expected = s
            .checked_mul(12)
            .and_then(|x| x.checked_add(d.checked_mul(8)?))
            .and_then(|x| x.checked_add(HEADER_BYTES));
        if expected != Some(actual) {
            return Err(invalid(
                &idx_path,
                format!(
                    "{actual} bytes, but S = {s} sequences and D = {d} document indices need 34 + 12·S + 8·D = {} ({})",
                    expected.map_or("overflow".to_string(), |e| e.to_string()),
                    if expected.is_some_and(|e| e > actual) { "truncated" } else { "foreign or corrupt" }
                ),
            ));
        }
        let mut rest = Vec::with_capacity((actual - HEADER_BYTES) as usize);
        f.read_to_end(&mut rest).map_err(io_idx)?;
        let (s, d) = (s as usize, d as usize);
        let lengths: Vec<i32> = rest[..4 * s]
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let i64s = |b: &[u8]| -> Vec<i64> {
            b.chunks_exact(8)
                .map(|c| i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
                .collect()
        };
        let offsets = i64s(&rest[4 * s..12 * s]);
        let doc_idx = i64s(&rest[12 * s..12 * s + 8 * d]);
        let size = dtype.size() as i64;
        let mut expected_offset = 0i64;
        for (i, (&l, &o)) in lengths.iter().zip(&offsets).enumerate() {
            if l < 0 {
                return Err(invalid(
                    &idx_path,
                    format!("sequence {i} has negative length {l}"),
                ));
            }
            if o != expected_offset {
                return Err(invalid(
                    &idx_path,
                    format!("sequence {i} starts at byte {o}, expected {expected_offset} (sequences are contiguous)"),
                ));
            }
            expected_offset += l as i64 * size;
        }
        if doc_idx.first() != Some(&0) || doc_idx.last() != Some(&(s as i64)) {
            return Err(invalid(
                &idx_path,
                format!(
                    "document indices must run from 0 to S = {s}, found {:?} … {:?}",
                    doc_idx.first(),
                    doc_idx.last()
                ),
            ));
        }
        if let Some(w) = doc_idx.windows(2).position(|w| w[1] < w[0]) {
            return Err(invalid(
                &idx_path,
                format!("document index {} decreases", w + 1),
            ));
        }
        let bin = File::open(&bin_path).map_err(|source| MegatronError::Io {
            path: bin_path.clone(),
            source,
        })?;
        let bin_len = bin
            .metadata()
            .map_err(|source| MegatronError::Io {
                path: bin_path.clone(),
                source,
            })?
            .len();
        if bin_len != expected_offset as u64 {
            return Err(invalid(
                &bin_path,
                format!(
                    "{bin_len} bytes, but its .idx describes {} tokens of {} = {expected_offset} bytes ({})",
                    expected_offset / size,
                    dtype.name(),
                    if (bin_len as i64) < expected_offset { "truncated" } else { "trailing bytes" }
                ),
            ));
        }
        Ok(MegatronReader {
            idx_path,
            bin_path,
            bin,
            dtype,
            tokens: (expected_offset / size) as u64,
            lengths,
            offsets,
            doc_idx,
        })
    }

    /// The element type.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Number of sequences (S).
    pub fn sequence_count(&self) -> u64 {
        self.lengths.len() as u64
    }

    /// Number of documents (D − 1).
    pub fn document_count(&self) -> u64 {
        self.doc_idx.len() as u64 - 1
    }

    /// Total tokens in `.bin`.
    pub fn token_count(&self) -> u64 {
        self.tokens
    }

    /// Sequence lengths in tokens.
    pub fn lengths(&self) -> &[i32] {
        &self.lengths
    }

    /// Byte offsets of the sequences in `.bin`.
    pub fn offsets(&self) -> &[i64] {
        &self.offsets
    }

    /// Document indices (first sequence of each document, then S).
    pub fn doc_indices(&self) -> &[i64] {
        &self.doc_idx
    }

    /// The tokens of sequence `i`.
    pub fn sequence(&mut self, i: u64) -> Result<Vec<u32>, MegatronError> {
        let count = self.sequence_count();
        if i >= count {
            return Err(MegatronError::OutOfBounds {
                path: self.idx_path.clone(),
                what: "sequence",
                index: i,
                count,
            });
        }
        let (len, off) = (self.lengths[i as usize] as usize, self.offsets[i as usize]);
        let mut raw = vec![0u8; len * self.dtype.size()];
        let io = |source| MegatronError::Io {
            path: self.bin_path.clone(),
            source,
        };
        self.bin.seek(SeekFrom::Start(off as u64)).map_err(io)?;
        self.bin.read_exact(&mut raw).map_err(io)?;
        decode_tokens(&raw, self.dtype).map_err(|message| MegatronError::Invalid {
            path: self.bin_path.clone(),
            message: format!("sequence {i}: {message}"),
        })
    }

    /// The tokens of document `n` (its sequences, concatenated).
    pub fn document(&mut self, n: u64) -> Result<Vec<u32>, MegatronError> {
        let count = self.document_count();
        if n >= count {
            return Err(MegatronError::OutOfBounds {
                path: self.idx_path.clone(),
                what: "document",
                index: n,
                count,
            });
        }
        let (a, b) = (self.doc_idx[n as usize], self.doc_idx[n as usize + 1]);
        let mut out = Vec::new();
        for i in a..b {
            out.extend(self.sequence(i as u64)?);
        }
        Ok(out)
    }
}

/// Little-endian elements of `dtype` → token ids.
fn decode_tokens(raw: &[u8], dtype: DType) -> Result<Vec<u32>, String> {
    let neg = |v: i64| format!("negative token {v}");
    Ok(match dtype {
        DType::U8 => raw.iter().map(|&b| b as u32).collect(),
        DType::I8 => raw
            .iter()
            .map(|&b| u32::try_from(b as i8).map_err(|_| neg(b as i8 as i64)))
            .collect::<Result<_, _>>()?,
        DType::U16 => raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]) as u32)
            .collect(),
        DType::I16 => raw
            .chunks_exact(2)
            .map(|c| {
                let v = i16::from_le_bytes([c[0], c[1]]);
                u32::try_from(v).map_err(|_| neg(v as i64))
            })
            .collect::<Result<_, _>>()?,
        DType::I32 => raw
            .chunks_exact(4)
            .map(|c| {
                let v = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                u32::try_from(v).map_err(|_| neg(v as i64))
            })
            .collect::<Result<_, _>>()?,
        DType::I64 => raw
            .chunks_exact(8)
            .map(|c| {
                let v = i64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
                u32::try_from(v).map_err(|_| format!("token {v} does not fit 32 bits"))
            })
            .collect::<Result<_, _>>()?,
        DType::F32 | DType::F64 => {
            return Err(format!("dtype {} does not hold token ids", dtype.name()))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of DESIGN.md ("Token shards"), written by hand from the spec.
    fn golden_idx() -> Vec<u8> {
        let mut b = Vec::new();
        b.extend(b"MMIDIDX\x00\x00");
        b.extend(1u64.to_le_bytes()); // version
        b.push(8); // uint16
        b.extend(3u64.to_le_bytes()); // S
        b.extend(4u64.to_le_bytes()); // D = documents + 1
        for l in [4i32, 2, 5] {
            b.extend(l.to_le_bytes());
        }
        for o in [0i64, 8, 12] {
            b.extend(o.to_le_bytes());
        }
        for d in [0i64, 1, 2, 3] {
            b.extend(d.to_le_bytes());
        }
        assert_eq!(b.len(), 34 + 12 * 3 + 8 * 4);
        b
    }

    const DOCS: [&[u32]; 3] = [&[1, 2, 3, 4], &[5, 65_535], &[0, 7, 8, 9, 10]];

    fn golden_bin() -> Vec<u8> {
        DOCS.iter()
            .flat_map(|d| d.iter().flat_map(|&t| (t as u16).to_le_bytes()))
            .collect()
    }

    #[test]
    fn worked_example_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::create(dir.path()).unwrap();
        let mut w = MegatronWriter::create(&out, "tokens/a", DType::U16, None).unwrap();
        for d in DOCS {
            w.push(d).unwrap();
        }
        assert!(!dir.path().join("tokens/a.bin").exists());
        let s = w.finish().unwrap();
        assert_eq!(
            s,
            MegatronSummary {
                sequences: 3,
                tokens: 11,
                bin_bytes: 22,
                idx_bytes: 34 + 36 + 32
            }
        );
        assert_eq!(
            std::fs::read(dir.path().join("tokens/a.idx")).unwrap(),
            golden_idx()
        );
        assert_eq!(
            std::fs::read(dir.path().join("tokens/a.bin")).unwrap(),
            golden_bin()
        );
        // Only the two finished files: no temporary left behind.
        assert_eq!(
            std::fs::read_dir(dir.path().join("tokens"))
                .unwrap()
                .count(),
            2
        );

        let mut r = MegatronReader::open(dir.path().join("tokens/a")).unwrap();
        assert_eq!(r.dtype(), DType::U16);
        assert_eq!(
            (r.sequence_count(), r.document_count(), r.token_count()),
            (3, 3, 11)
        );
        assert_eq!(r.lengths(), &[4, 2, 5]);
        assert_eq!(r.offsets(), &[0, 8, 12]);
        assert_eq!(r.doc_indices(), &[0, 1, 2, 3]);
        for (i, d) in DOCS.iter().enumerate() {
            assert_eq!(r.sequence(i as u64).unwrap(), *d);
            assert_eq!(r.document(i as u64).unwrap(), *d);
        }
        assert!(matches!(
            r.sequence(3),
            Err(MegatronError::OutOfBounds { .. })
        ));
    }

    #[test]
    fn writer_appends_eod() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::create(dir.path()).unwrap();
        let mut w = MegatronWriter::create(&out, "b", DType::U16, Some(65_535)).unwrap();
        for d in [&[1u32, 2, 3][..], &[5], &[0, 7, 8, 9]] {
            w.push(d).unwrap();
        }
        w.finish().unwrap();
        // Documents of 3, 1, 4 tokens + EOD: the worked example's lengths 4, 2, 5.
        let idx = std::fs::read(dir.path().join("b.idx")).unwrap();
        assert_eq!(&idx[34..34 + 12], &[4, 0, 0, 0, 2, 0, 0, 0, 5, 0, 0, 0]);
        let mut r = MegatronReader::open(dir.path().join("b")).unwrap();
        assert_eq!(r.sequence(1).unwrap(), vec![5, 65_535]);
    }

    #[test]
    fn int32_and_empty_shards() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::create(dir.path()).unwrap();
        let dtype = DType::for_vocab(200_019);
        assert_eq!(dtype, DType::I32);
        assert_eq!(DType::for_vocab(65_499), DType::U16);
        assert_eq!(DType::for_vocab(65_500), DType::I32);
        let mut w = MegatronWriter::create(&out, "c", dtype, Some(199_999)).unwrap();
        w.push(&[200_018, 0]).unwrap();
        w.push(&[]).unwrap();
        w.finish().unwrap();
        let mut r = MegatronReader::open(dir.path().join("c")).unwrap();
        assert_eq!(r.dtype(), DType::I32);
        assert_eq!(r.lengths(), &[3, 1]);
        assert_eq!(r.offsets(), &[0, 12]);
        assert_eq!(r.sequence(0).unwrap(), vec![200_018, 0, 199_999]);
        assert_eq!(r.sequence(1).unwrap(), vec![199_999]);

        let w = MegatronWriter::create(&out, "empty", DType::U16, None).unwrap();
        let s = w.finish().unwrap();
        assert_eq!((s.sequences, s.idx_bytes), (0, 42));
        let r = MegatronReader::open(dir.path().join("empty")).unwrap();
        assert_eq!((r.sequence_count(), r.document_count()), (0, 0));
        assert_eq!(r.doc_indices(), &[0]);
    }

    #[test]
    fn writer_rejects_tokens_that_do_not_fit() {
        let dir = tempfile::tempdir().unwrap();
        let out = OutDir::create(dir.path()).unwrap();
        let mut w = MegatronWriter::create(&out, "d", DType::U16, None).unwrap();
        w.push(&[1]).unwrap();
        let e = w.push(&[3, 70_000]).unwrap_err();
        assert!(
            e.to_string().ends_with(
                "d.bin: token 70000 of document 1 does not fit dtype uint16 (max 65535)"
            ),
            "{e}"
        );
        let io: io::Error = e.into();
        assert_eq!(io.kind(), io::ErrorKind::InvalidData);
        assert!(io.to_string().contains("token 70000"), "{io}");
        assert!(MegatronWriter::create(&out, "e", DType::U16, Some(100_000)).is_err());
        assert!(MegatronWriter::create(&out, "f", DType::F32, None).is_err());
        drop(w);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "temporary files removed"
        );
    }

    fn write_golden(dir: &Path) -> PathBuf {
        std::fs::write(dir.join("g.idx"), golden_idx()).unwrap();
        std::fs::write(dir.join("g.bin"), golden_bin()).unwrap();
        dir.join("g")
    }

    fn open_err(prefix: &Path) -> String {
        MegatronReader::open(prefix).unwrap_err().to_string()
    }

    #[test]
    fn reader_rejects_truncated_and_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = write_golden(dir.path());
        assert!(MegatronReader::open(&prefix).is_ok());
        let idx = golden_idx();
        let put = |b: &[u8]| std::fs::write(dir.path().join("g.idx"), b).unwrap();

        put(&idx[..idx.len() - 3]);
        let e = open_err(&prefix);
        assert!(
            e.contains("99 bytes") && e.contains("= 102 (truncated)"),
            "{e}"
        );
        put(&idx[..20]);
        assert!(open_err(&prefix).contains("shorter than the 34-byte header"));
        put(b"PK\x03\x04 this is a zip file, not an index at all......");
        assert!(open_err(&prefix).contains("magic is"));
        let mut v = idx.clone();
        v[9] = 2;
        put(&v);
        assert!(open_err(&prefix).contains("version 2, expected 1"));
        let mut v = idx.clone();
        v[17] = 9;
        put(&v);
        assert!(open_err(&prefix).contains("unknown dtype code 9"));
        let mut v = idx.clone();
        v[34 + 12 + 8] = 9; // second offset 8 → 9
        put(&v);
        assert!(open_err(&prefix).contains("sequence 1 starts at byte 9, expected 8"));
        let mut v = idx.clone();
        v.extend([0u8; 8]);
        put(&v);
        assert!(open_err(&prefix).contains("(foreign or corrupt)"));
        let mut v = idx.clone();
        v[18] = 0xff; // S = 255
        put(&v);
        assert!(open_err(&prefix).contains("(truncated)"));
        let mut v = idx.clone();
        v[25] = 0x7f; // S ≈ 2⁶³: the size overflows
        put(&v);
        assert!(open_err(&prefix).contains("overflow (foreign or corrupt)"));
        put(&idx);

        std::fs::write(dir.path().join("g.bin"), &golden_bin()[..21]).unwrap();
        let e = open_err(&prefix);
        assert!(
            e.contains("g.bin") && e.contains("21 bytes") && e.contains("(truncated)"),
            "{e}"
        );
        std::fs::remove_file(dir.path().join("g.bin")).unwrap();
        assert!(open_err(&prefix).contains("g.bin"));
        let e = open_err(&dir.path().join("missing"));
        assert!(e.contains("missing.idx"), "{e}");
    }

    #[test]
    fn shard_paths_keep_dots_in_prefix() {
        let (b, i) = shard_paths(Path::new("out/tokens/cc.2024.part-00001"));
        assert_eq!(b, Path::new("out/tokens/cc.2024.part-00001.bin"));
        assert_eq!(i, Path::new("out/tokens/cc.2024.part-00001.idx"));
    }
}
