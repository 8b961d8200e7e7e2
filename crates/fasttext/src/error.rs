//! The one error type of the crate.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Why a model could not be loaded (or, for training, built or written).
///
/// Every variant names the part of the file that is wrong, so that a message such as
/// "truncated fastText model: dictionary entry 17 needs 8 bytes at offset 4242 …" points straight
/// at the problem. Loading never panics on bad input: every count read from the file is checked
/// against the bytes that remain before anything is allocated.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be read (or written).
    Io {
        /// The file, when the error came from a path.
        path: Option<PathBuf>,
        /// The underlying error.
        source: io::Error,
    },
    /// The first four bytes are not fastText's magic number 793712314.
    BadMagic {
        /// The number found instead.
        found: i32,
    },
    /// The format version is not one this crate reads (11 and 12).
    UnsupportedVersion {
        /// The version found.
        found: i32,
    },
    /// The file ends inside `section`.
    Truncated {
        /// The part being read.
        section: &'static str,
        /// Byte offset where that part starts.
        offset: usize,
        /// Bytes it needs.
        needed: u64,
        /// Bytes that remain in the file.
        available: usize,
    },
    /// A value in `section` is impossible or inconsistent with the rest of the file.
    Malformed {
        /// The part being read.
        section: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// The model is an unsupervised (cbow / skipgram) word-vector model: it has no labels to
    /// predict.
    NotSupervised {
        /// The model kind found (1 = cbow, 2 = skipgram).
        model: i32,
    },
    /// The file goes on after the output matrix.
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
        /// How many extra bytes there are.
        count: usize,
    },
    /// Training was asked for something impossible (no examples, no labels, a bad option).
    Training(String),
}

impl Error {
    pub(crate) fn malformed(section: &'static str, detail: impl Into<String>) -> Self {
        Error::Malformed {
            section,
            detail: detail.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                path: Some(path),
                source,
            } => write!(f, "cannot read or write {}: {source}", path.display()),
            Error::Io { path: None, source } => write!(f, "I/O error: {source}"),
            Error::BadMagic { found } => write!(
                f,
                "not a fastText model: magic number is {found} (0x{:08x}), expected 793712314",
                *found as u32
            ),
            Error::UnsupportedVersion { found } => write!(
                f,
                "unsupported fastText model version {found} (this reader handles 11 and 12)"
            ),
            Error::Truncated {
                section,
                offset,
                needed,
                available,
            } => write!(
                f,
                "truncated fastText model: {section} needs {needed} bytes at offset {offset} \
                 but only {available} remain"
            ),
            Error::Malformed { section, detail } => {
                write!(f, "malformed fastText model: {section}: {detail}")
            }
            Error::NotSupervised { model } => write!(
                f,
                "fastText model kind {model} is an unsupervised word-vector model \
                 (1 = cbow, 2 = skipgram); only supervised models (3) can predict labels"
            ),
            Error::TrailingBytes { offset, count } => write!(
                f,
                "malformed fastText model: {count} unexpected bytes after the output matrix \
                 (at offset {offset})"
            ),
            Error::Training(msg) => write!(f, "fastText training: {msg}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
