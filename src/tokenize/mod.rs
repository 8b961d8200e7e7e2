//! Tokenization: load a tokenizer (Hugging Face `tokenizer.json` or a tiktoken encoding), turn
//! documents into token ids, write them as Megatron indexed datasets ([`megatron`]), train a
//! byte-level BPE tokenizer on a language-balanced sample of the corpus ([`train`]) and measure
//! fertility per language ([`fertility`]).
//!
//! A [`Tokenizer`] is `Send + Sync` and every method takes `&self`: load it once and share it
//! (by reference or `Arc`) across the rayon threads of a stage. Nothing here downloads anything.
//!
//! Documents are encoded as plain text: special-token strings that occur *in the text*
//! (`<|endoftext|>` typed in a web page) are encoded as ordinary text, never as the special
//! token, so only the separator the pipeline appends ([`Tokenizer::eod_id`]) ends a document.

pub mod fertility;
pub mod megatron;
pub mod patterns;
mod spec;
pub mod train;

pub use megatron::{DType, MegatronError, MegatronReader, MegatronSummary, MegatronWriter};
pub use spec::{TiktokenEncoding, TokenizerSpec};

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// Errors of loading and running a tokenizer.
#[derive(Debug, thiserror::Error)]
pub enum TokenizeError {
    /// The tokenizer file could not be read or decompressed.
    #[error("{}: cannot read the tokenizer: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a Hugging Face `tokenizer.json`.
    #[error("{}: not a Hugging Face tokenizer.json: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A `tokenizer_config.json` beside the tokenizer could not be used.
    #[error("{}: {message}", path.display())]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A tiktoken encoding could not be built.
    #[error("tiktoken encoding {encoding}: {message}")]
    Tiktoken {
        /// The encoding.
        encoding: TiktokenEncoding,
        /// The cause.
        message: String,
    },
    /// No end-of-document token: the configured one is not in the vocabulary, or no default
    /// candidate is.
    #[error("tokenizer {tokenizer}: {message}; set it with eod = \"<token>\" in the tokenizer spec (`@<token>` on the command line)")]
    NoEod {
        /// The tokenizer's name.
        tokenizer: String,
        /// What was tried.
        message: String,
    },
    /// Encoding failed (the pre-tokenizer's regex gave up on this text).
    #[error("tokenizer {tokenizer}: cannot encode a text of {bytes} bytes: {message}")]
    Encode {
        /// The tokenizer's name.
        tokenizer: String,
        /// Length of the text.
        bytes: usize,
        /// The cause.
        message: String,
    },
    /// A regular expression of the tokenizer could take more than linear time
    /// ([`patterns::backtracking_risk`]).
    #[error("tokenizer {tokenizer}: pattern {pattern:?} is refused: {message}")]
    Pattern {
        /// The tokenizer's name.
        tokenizer: String,
        /// The pattern.
        pattern: String,
        /// Why.
        message: String,
    },
    /// Decoding failed: an id outside the vocabulary.
    #[error("tokenizer {tokenizer}: cannot decode: {message}")]
    Decode {
        /// The tokenizer's name.
        tokenizer: String,
        /// The cause.
        message: String,
    },
}

/// A loaded tokenizer: encode documents to ids, decode ids to text.
pub struct Tokenizer {
    name: String,
    backend: Backend,
    vocab_size: u32,
    eod_id: u32,
    eod_token: String,
    sha256: String,
    fallbacks: std::sync::atomic::AtomicU64,
}

enum Backend {
    /// With the byte length of each id when the tokenizer is byte-level without a normalizer
    /// (then the tokens of a text must cover exactly its bytes).
    Hf(Box<tokenizers::Tokenizer>, Option<Vec<u32>>),
    Tiktoken(Box<tiktoken_rs::CoreBPE>),
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer")
            .field("name", &self.name)
            .field("vocab_size", &self.vocab_size)
            .field("eod_id", &self.eod_id)
            .field("eod_token", &self.eod_token)
            .finish_non_exhaustive()
    }
}

/// End-of-document tokens tried, in order, when a Hugging Face tokenizer names none.
pub const DEFAULT_EOD_CANDIDATES: &[&str] = &["<|endoftext|>", "</s>", "<eos>", "<|end_of_text|>"];

impl Tokenizer {
    /// Load the tokenizer a spec names.
    pub fn load(spec: &TokenizerSpec) -> Result<Tokenizer, TokenizeError> {
        match spec {
            TokenizerSpec::HuggingFace { path, eod } => {
                Tokenizer::from_hf_file(path, eod.as_deref())
            }
            TokenizerSpec::Tiktoken { encoding, eod } => {
                Tokenizer::from_tiktoken(*encoding, eod.as_deref())
            }
        }
    }

    /// Load a Hugging Face `tokenizer.json` (gzip or zstd compressed files are recognised by
    /// their magic bytes). Without `eod`, the `eos_token` of a `tokenizer_config.json` in the
    /// same directory is used if there is one, else the first of [`DEFAULT_EOD_CANDIDATES`] in
    /// the vocabulary.
    pub fn from_hf_file(path: &Path, eod: Option<&str>) -> Result<Tokenizer, TokenizeError> {
        let io = |source| TokenizeError::Io {
            path: path.to_path_buf(),
            source,
        };
        let raw = std::fs::read(path).map_err(io)?;
        let json = decompress(&raw).map_err(io)?;
        let config_eos = match eod {
            Some(_) => None,
            None => config_eos_token(path)?,
        };
        // `hf:gpt-4o_o200k/tokenizer.json.gz`: the file and its directory, which usually names
        // the model.
        let tail: Vec<String> = path
            .components()
            .rev()
            .take(2)
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let name = tail.into_iter().rev().collect::<Vec<_>>().join("/");
        let mut tok =
            Tokenizer::from_hf_json(&json, &format!("hf:{name}"), eod.or(config_eos.as_deref()))
                .map_err(|e| match e {
                    TokenizeError::Parse { message, .. } => TokenizeError::Parse {
                        path: path.to_path_buf(),
                        message,
                    },
                    other => other,
                })?;
        // Pin the file as given (compressed or not): that is what a manifest hashes.
        tok.sha256 = hex::encode(Sha256::digest(&raw));
        Ok(tok)
    }

    /// Build from the bytes of a `tokenizer.json` (uncompressed), e.g. one just trained.
    /// `name` is shown in messages; `eod` as in [`Tokenizer::from_hf_file`] (no config file).
    pub fn from_hf_json(
        json: &[u8],
        name: &str,
        eod: Option<&str>,
    ) -> Result<Tokenizer, TokenizeError> {
        let mut hf = tokenizers::Tokenizer::from_bytes(json).map_err(|e| TokenizeError::Parse {
            path: PathBuf::from(name),
            message: e.to_string(),
        })?;
        // Its regexes come from a file: only linear-time ones run on documents.
        let parts = [
            serde_json::to_value(hf.get_normalizer()),
            serde_json::to_value(hf.get_pre_tokenizer()),
        ];
        for part in parts.into_iter().flatten() {
            for pattern in patterns::regex_patterns(&part) {
                if let Some(message) = patterns::backtracking_risk(&pattern) {
                    return Err(TokenizeError::Pattern {
                        tokenizer: name.to_string(),
                        pattern,
                        message,
                    });
                }
            }
        }
        // Special-token strings inside documents are text, not separators.
        hf.set_encode_special_tokens(true);
        let vocab_size = hf
            .get_vocab(true)
            .values()
            .copied()
            .max()
            .map_or(0, |m| m.saturating_add(1));
        let (eod_token, eod_id) = match eod {
            Some(t) => match hf.token_to_id(t) {
                Some(id) => (t.to_string(), id),
                None => {
                    return Err(TokenizeError::NoEod {
                        tokenizer: name.to_string(),
                        message: format!("the end-of-document token {t:?} is not in the vocabulary"),
                    })
                }
            },
            None => DEFAULT_EOD_CANDIDATES
                .iter()
                .find_map(|t| hf.token_to_id(t).map(|id| (t.to_string(), id)))
                .ok_or_else(|| TokenizeError::NoEod {
                    tokenizer: name.to_string(),
                    message: format!(
                        "no end-of-document token: none of {DEFAULT_EOD_CANDIDATES:?} is in the vocabulary"
                    ),
                })?,
        };
        let byte_lengths = byte_level_lengths(&hf, vocab_size);
        Ok(Tokenizer {
            name: name.to_string(),
            backend: Backend::Hf(Box::new(hf), byte_lengths),
            vocab_size,
            eod_id,
            eod_token,
            sha256: hex::encode(Sha256::digest(json)),
            fallbacks: Default::default(),
        })
    }

    /// Build a tiktoken encoding (embedded: nothing is read or downloaded). The end-of-document
    /// token must be one of the encoding's special tokens; default `<|endoftext|>`.
    pub fn from_tiktoken(
        encoding: TiktokenEncoding,
        eod: Option<&str>,
    ) -> Result<Tokenizer, TokenizeError> {
        let built = match encoding {
            TiktokenEncoding::O200kBase => tiktoken_rs::o200k_base(),
            TiktokenEncoding::Cl100kBase => tiktoken_rs::cl100k_base(),
            TiktokenEncoding::P50kBase => tiktoken_rs::p50k_base(),
            TiktokenEncoding::R50kBase => tiktoken_rs::r50k_base(),
        };
        let bpe = built.map_err(|e| TokenizeError::Tiktoken {
            encoding,
            message: e.to_string(),
        })?;
        let name = format!("tiktoken:{encoding}");
        let eod_token = eod.unwrap_or("<|endoftext|>").to_string();
        let specials = bpe.special_tokens();
        let eod_id = match specials.contains(eod_token.as_str()) {
            true => match bpe.encode_with_special_tokens(&eod_token).as_slice() {
                [id] => Some(*id),
                _ => None,
            },
            false => None,
        };
        let Some(eod_id) = eod_id else {
            let mut known: Vec<&str> = specials.into_iter().collect();
            known.sort_unstable();
            return Err(TokenizeError::NoEod {
                tokenizer: name,
                message: format!(
                    "{eod_token:?} is not a special token of this encoding (it has {known:?})"
                ),
            });
        };
        let sha256 = hex::encode(Sha256::digest(
            format!("tiktoken-rs 0.12 {encoding}").as_bytes(),
        ));
        Ok(Tokenizer {
            name,
            backend: Backend::Tiktoken(Box::new(bpe)),
            vocab_size: encoding.vocab_size(),
            eod_id,
            eod_token,
            sha256,
            fallbacks: Default::default(),
        })
    }

    /// Encode one document's text, without special tokens (append [`Tokenizer::eod_id`] or let
    /// [`MegatronWriter`] do it).
    ///
    /// Never fails. The pre-tokenizers' backtracking regexes can in principle give up on a
    /// pathological text (none of the long whitespace, digit, letter and CJK runs tried in the
    /// tests makes them); then the text is cut in two at a whitespace near its middle (else at a
    /// character boundary) and each half encoded the same way, so every byte of text is still
    /// encoded, with possibly different tokens at the cut. [`Tokenizer::fallbacks`] counts
    /// those cuts; [`Tokenizer::try_encode`] reports the error instead.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        self.encode_into(text, &mut out);
        out
    }

    fn encode_into(&self, text: &str, out: &mut Vec<u32>) {
        match self.try_encode(text) {
            Ok(ids) if out.is_empty() => *out = ids,
            Ok(ids) => out.extend(ids),
            Err(_) if text.chars().nth(1).is_none() => {
                // A single character the tokenizer cannot encode (no known tokenizer does this).
                self.fallbacks
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Err(_) => {
                self.fallbacks
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let (a, b) = text.split_at(split_point(text));
                self.encode_into(a, out);
                self.encode_into(b, out);
            }
        }
    }

    /// How many times [`Tokenizer::encode`] had to cut a text because the tokenizer failed on
    /// it (0 in practice; a stage can report it).
    pub fn fallbacks(&self) -> u64 {
        self.fallbacks.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Encode like [`Tokenizer::encode`], but report a pre-tokenizer failure instead of cutting
    /// the text.
    pub fn try_encode(&self, text: &str) -> Result<Vec<u32>, TokenizeError> {
        match &self.backend {
            Backend::Hf(t, byte_lengths) => {
                let ids = t
                    .encode_fast(text, false)
                    .map(|e| e.get_ids().to_vec())
                    .map_err(|e| self.encode_error(text, e.to_string()))?;
                // The tokenizers crate ends a split at a regex error *silently* (o200k's
                // pattern does so after about a million spaces), dropping the rest of the text:
                // check that the tokens cover every byte.
                if let Some(lens) = byte_lengths {
                    let covered: u64 = ids
                        .iter()
                        .map(|&i| lens.get(i as usize).map_or(u64::MAX / 2, |&l| l as u64))
                        .sum();
                    if covered != text.len() as u64 {
                        return Err(self.encode_error(
                            text,
                            format!(
                                "the tokens cover {covered} of its {} bytes (the pre-tokenizer stopped early)",
                                text.len()
                            ),
                        ));
                    }
                }
                Ok(ids)
            }
            Backend::Tiktoken(b) => b
                .encode(text, &Default::default())
                .map(|(ids, _)| ids)
                .map_err(|e| self.encode_error(text, e.to_string())),
        }
    }

    fn encode_error(&self, text: &str, message: String) -> TokenizeError {
        TokenizeError::Encode {
            tokenizer: self.name.clone(),
            bytes: text.len(),
            message,
        }
    }

    /// Encode many texts on the current rayon pool; results in input order.
    pub fn encode_batch<S: AsRef<str> + Sync>(&self, texts: &[S]) -> Vec<Vec<u32>> {
        texts.par_iter().map(|t| self.encode(t.as_ref())).collect()
    }

    /// Decode ids back to text (special tokens included as their text). Bytes that do not form
    /// valid UTF-8 (a sequence cut inside a character) become U+FFFD. Fails on an id the
    /// vocabulary does not have.
    pub fn decode(&self, ids: &[u32]) -> Result<String, TokenizeError> {
        let err = |message: String| TokenizeError::Decode {
            tokenizer: self.name.clone(),
            message,
        };
        match &self.backend {
            Backend::Hf(t, _) => {
                if let Some(bad) = ids.iter().find(|&&id| t.id_to_token(id).is_none()) {
                    return Err(err(format!("id {bad} is not in the vocabulary")));
                }
                t.decode(ids, false).map_err(|e| err(e.to_string()))
            }
            Backend::Tiktoken(b) => {
                let bytes = b
                    .decode_bytes(ids)
                    .map_err(|e| err(format!("id {} is not in the vocabulary", e.token)))?;
                Ok(match String::from_utf8(bytes) {
                    Ok(s) => s,
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                })
            }
        }
    }

    /// One more than the largest id the tokenizer can produce (special tokens included): every
    /// id is `< vocab_size()`. Decides the shard dtype ([`DType::for_vocab`]).
    pub fn vocab_size(&self) -> u32 {
        self.vocab_size
    }

    /// The id of the end-of-document token appended after each document.
    pub fn eod_id(&self) -> u32 {
        self.eod_id
    }

    /// The end-of-document token's text (`<|endoftext|>`).
    pub fn eod_token(&self) -> &str {
        &self.eod_token
    }

    /// A short name for messages and manifests: `hf:tokenizer.json`, `tiktoken:o200k_base`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// sha256 (hex) of the tokenizer file as read (a Hugging Face file), or of the name and
    /// crate version of an embedded tiktoken encoding: what a release manifest pins.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
}

/// What reading the inputs of a tokenizer command met.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadReport {
    /// Input files.
    pub files: u64,
    /// Documents read.
    pub docs: u64,
    /// Records that could not become documents (the read stage's quarantine).
    pub removed: u64,
    /// Files that could not be opened, with the reason.
    pub unreadable: Vec<String>,
}

impl ReadReport {
    fn merge(&mut self, o: ReadReport) {
        self.files += o.files;
        self.docs += o.docs;
        self.removed += o.removed;
        self.unreadable.extend(o.unreadable);
    }
}

/// Read every document of `files` on the current rayon pool, one file per task: `fold` folds a
/// file's documents into a fresh `T`, and the per-file results are merged in file order.
pub fn fold_docs<T, F, M>(
    files: &[crate::read::InputFile],
    cfg: &crate::config::ReadConfig,
    init: impl Fn() -> T + Sync,
    fold: F,
    merge: M,
) -> (T, ReadReport)
where
    T: Send,
    F: Fn(&mut T, crate::doc::Doc) + Sync,
    M: Fn(&mut T, T),
{
    let parts: Vec<(T, ReadReport)> = files
        .par_iter()
        .map(|file| {
            let mut acc = init();
            let mut report = ReadReport {
                files: 1,
                ..ReadReport::default()
            };
            match crate::read::open(file, cfg) {
                Err(e) => report.unreadable.push(format!("{}: {e}", file.display)),
                Ok(items) => {
                    for item in items {
                        match item {
                            crate::read::Item::Doc { doc, .. } => {
                                report.docs += 1;
                                fold(&mut acc, doc);
                            }
                            crate::read::Item::Removed(_) => report.removed += 1,
                            crate::read::Item::Skipped(_) => {}
                        }
                    }
                }
            }
            (acc, report)
        })
        .collect();
    let mut acc = init();
    let mut report = ReadReport::default();
    for (part, r) in parts {
        merge(&mut acc, part);
        report.merge(r);
    }
    (acc, report)
}

/// For a byte-level tokenizer without a normalizer (GPT-2/4o, Llama 3, BLOOM, ours), the number
/// of text bytes each id stands for: one per character of a vocabulary token (the byte-level
/// alphabet maps each byte to one character), the UTF-8 length of an added token's content.
fn byte_level_lengths(hf: &tokenizers::Tokenizer, vocab_size: u32) -> Option<Vec<u32>> {
    if hf.get_normalizer().is_some()
        || !matches!(
            hf.get_decoder(),
            Some(tokenizers::DecoderWrapper::ByteLevel(_))
        )
    {
        return None;
    }
    let added = hf.get_added_tokens_decoder();
    let mut lens = vec![u32::MAX / 4; vocab_size as usize];
    for (token, id) in hf.get_vocab(true) {
        if let Some(slot) = lens.get_mut(id as usize) {
            *slot = match added.get(&id) {
                Some(a) => a.content.len() as u32,
                None => token.chars().count() as u32,
            };
        }
    }
    Some(lens)
}

/// Where to cut a text that failed to encode: the whitespace nearest its middle, else the
/// character boundary at or before the middle (never 0 or the end for a text of 2+ characters).
fn split_point(text: &str) -> usize {
    let mid = text.len() / 2;
    let ws = |i: &usize| text[*i..].starts_with(char::is_whitespace);
    let after = (mid..text.len())
        .filter(|i| text.is_char_boundary(*i))
        .find(ws);
    let before = (1..mid)
        .rev()
        .filter(|i| text.is_char_boundary(*i))
        .find(ws);
    let pick = match (before, after) {
        (Some(b), Some(a)) => Some(if mid - b <= a - mid { b } else { a }),
        (b, a) => b.or(a),
    };
    match pick.filter(|&p| p > 0 && p < text.len()) {
        Some(p) => p,
        None => {
            let mut p = mid.max(1);
            while !text.is_char_boundary(p) {
                p -= 1;
            }
            if p == 0 {
                // The first character is wider than half the text: cut after it.
                p = text.chars().next().map_or(text.len(), char::len_utf8);
            }
            p
        }
    }
}

/// Gunzip or un-zstd `raw` when its magic bytes say so.
fn decompress(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::MultiGzDecoder::new(raw).read_to_end(&mut out)?;
        Ok(out)
    } else if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        zstd::decode_all(raw)
    } else {
        Ok(raw.to_vec())
    }
}

/// The `eos_token` of a `tokenizer_config.json` beside `path`, when there is such a file.
fn config_eos_token(path: &Path) -> Result<Option<String>, TokenizeError> {
    let config = path
        .parent()
        .unwrap_or(Path::new("."))
        .join("tokenizer_config.json");
    let bytes = match std::fs::read(&config) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(TokenizeError::Io {
                path: config,
                source,
            })
        }
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| TokenizeError::Config {
            path: config.clone(),
            message: format!("not JSON: {e}"),
        })?;
    Ok(match value.get("eos_token") {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(obj @ serde_json::Value::Object(_)) => obj
            .get("content")
            .and_then(|c| c.as_str())
            .map(str::to_string),
        _ => None,
    })
}

#[cfg(test)]
pub(crate) mod test_support {
    //! The real o200k `tokenizer.json` from `../shared/data`, decompressed once per test binary.

    use std::path::PathBuf;
    use std::sync::OnceLock;

    pub use crate::test_paths::shared_data;

    /// Path of the gzipped o200k tokenizer.json in the shared data.
    pub fn o200k_gz() -> PathBuf {
        shared_data().join("tokenizers/gpt-4o_o200k/tokenizer.json.gz")
    }

    /// A loaded o200k Hugging Face tokenizer, shared by the tests of one binary.
    pub fn o200k_hf() -> &'static super::Tokenizer {
        static T: OnceLock<super::Tokenizer> = OnceLock::new();
        T.get_or_init(|| {
            super::Tokenizer::from_hf_file(&o200k_gz(), None).expect("load o200k tokenizer.json.gz")
        })
    }

    /// Non-empty lines of a UDHR file.
    pub fn udhr_lines(code: &str) -> Vec<String> {
        let path = shared_data().join(format!("udhr/{code}.txt"));
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn tokenizer_is_send_and_sync() {
        assert_send_sync::<Tokenizer>();
    }

    #[test]
    fn hf_o200k_agrees_with_tiktoken_o200k_on_udhr() {
        let hf = o200k_hf();
        let tk = Tokenizer::from_tiktoken(TiktokenEncoding::O200kBase, None).unwrap();
        assert_eq!(hf.vocab_size(), 200_019);
        assert_eq!(tk.vocab_size(), 200_019);
        assert_eq!((hf.eod_id(), hf.eod_token()), (199_999, "<|endoftext|>"));
        assert_eq!(tk.eod_id(), 199_999);
        for code in ["en", "fr", "zh-Hans", "ar", "hi", "yo", "ta", "vi"] {
            for line in udhr_lines(code) {
                let a = hf.encode(&line);
                let b = tk.encode(&line);
                assert_eq!(a, b, "{code}: {line}");
                assert_eq!(hf.decode(&a).unwrap(), line);
                assert_eq!(tk.decode(&b).unwrap(), line);
            }
        }
    }

    #[test]
    fn special_token_text_in_a_document_is_plain_text() {
        let hf = o200k_hf();
        let tk = Tokenizer::from_tiktoken(TiktokenEncoding::O200kBase, None).unwrap();
        let text = "before<|endoftext|>after <|endofprompt|>";
        for t in [hf, &tk] {
            let ids = t.encode(text);
            assert!(!ids.contains(&t.eod_id()), "{}: {ids:?}", t.name());
            assert!(!ids.contains(&200_018), "{}: {ids:?}", t.name());
            assert_eq!(t.decode(&ids).unwrap(), text);
        }
        assert_eq!(hf.encode(text), tk.encode(text));
    }

    #[test]
    fn tiktoken_vocab_sizes_and_eod() {
        for enc in TiktokenEncoding::ALL {
            let t = Tokenizer::from_tiktoken(enc, None).unwrap();
            assert!(t.decode(&[t.vocab_size() - 1]).is_ok(), "{enc}");
            assert!(t.decode(&[t.vocab_size()]).is_err(), "{enc}");
            assert!(t.eod_id() < t.vocab_size());
            assert_eq!(t.decode(&[t.eod_id()]).unwrap(), "<|endoftext|>");
        }
        let e = Tokenizer::from_tiktoken(TiktokenEncoding::Cl100kBase, Some("</s>")).unwrap_err();
        assert!(
            e.to_string().contains("\"</s>\" is not a special token"),
            "{e}"
        );
        let t =
            Tokenizer::from_tiktoken(TiktokenEncoding::Cl100kBase, Some("<|fim_prefix|>")).unwrap();
        assert_eq!(t.eod_id(), 100_258);
    }

    #[test]
    fn backtracking_patterns_are_refused_at_load() {
        let json = |pre: &str| {
            format!(
                r#"{{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
                "normalizer":null,"pre_tokenizer":{pre},"post_processor":null,"decoder":null,
                "model":{{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,
                "end_of_word_suffix":null,"fuse_unk":false,"byte_fallback":false,
                "vocab":{{"a":0,"b":1,"ab":2," ":3}},"merges":["a b"]}}}}"#
            )
        };
        let split = |p: &str| {
            format!(
                r#"{{"type":"Sequence","pretokenizers":[{{"type":"Split","pattern":{{"Regex":{}}},"behavior":"Isolated","invert":false}}]}}"#,
                serde_json::to_string(p).unwrap()
            )
        };
        // The GPT-2 family's white-space lookahead runs; a catastrophic pattern is refused.
        let ok = Tokenizer::from_hf_json(
            json(&split(r"\s+(?!\S)|\s+|[ab]+")).as_bytes(),
            "t",
            Some("ab"),
        )
        .unwrap();
        assert_eq!(ok.encode("ab  ab"), vec![2, 3, 3, 2]);
        let e = Tokenizer::from_hf_json(json(&split("(a+)+(?=b)")).as_bytes(), "t", Some("ab"))
            .err()
            .unwrap();
        assert!(matches!(e, TokenizeError::Pattern { .. }), "{e}");
        assert!(e.to_string().contains("(a+)+(?=b)"), "{e}");
        assert!(e.to_string().contains("backtracking engine"), "{e}");
    }

    #[test]
    fn hf_eod_errors_are_explicit() {
        let dir = tempfile::tempdir().unwrap();
        // A byte-level BPE with no special token at all.
        let json = r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
            "normalizer":null,"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
            "post_processor":null,"decoder":{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true},
            "model":{"type":"BPE","dropout":null,"unk_token":null,"continuing_subword_prefix":null,"end_of_word_suffix":null,
            "fuse_unk":false,"byte_fallback":false,"vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]}}"#;
        let path = dir.path().join("tokenizer.json");
        std::fs::write(&path, json).unwrap();
        let e = Tokenizer::from_hf_file(&path, None).unwrap_err();
        assert!(matches!(e, TokenizeError::NoEod { .. }), "{e}");
        assert!(e.to_string().contains("eod = "), "{e}");
        let t = Tokenizer::from_hf_file(&path, Some("ab")).unwrap();
        assert_eq!((t.eod_id(), t.vocab_size()), (2, 3));
        assert_eq!(t.encode("abab"), vec![2, 2]);
        assert!(t.decode(&[7]).is_err());
        // A tokenizer_config.json beside it names the eos token.
        std::fs::write(
            dir.path().join("tokenizer_config.json"),
            r#"{"eos_token": {"content": "b"}}"#,
        )
        .unwrap();
        assert_eq!(Tokenizer::from_hf_file(&path, None).unwrap().eod_id(), 1);
        std::fs::write(dir.path().join("tokenizer_config.json"), "{").unwrap();
        let e = Tokenizer::from_hf_file(&path, None).unwrap_err();
        assert!(
            e.to_string().contains("tokenizer_config.json: not JSON"),
            "{e}"
        );
        std::fs::remove_file(dir.path().join("tokenizer_config.json")).unwrap();
        // Not a tokenizer at all.
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "[1,2]").unwrap();
        let e = Tokenizer::from_hf_file(&bad, None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with(&format!("{}: not a Hugging Face", bad.display())),
            "{e}"
        );
        let e = Tokenizer::from_hf_file(&dir.path().join("missing.json"), None).unwrap_err();
        assert!(matches!(e, TokenizeError::Io { .. }), "{e}");
    }

    #[test]
    fn a_text_the_regex_gives_up_on_is_cut_not_lost() {
        // o200k's pattern gives up after about a million spaces: tiktoken-rs reports it, the
        // tokenizers crate silently drops the rest of the text. Both are caught and the text
        // is encoded in pieces.
        let hf = Tokenizer::from_hf_file(&o200k_gz(), None).unwrap();
        let tk = Tokenizer::from_tiktoken(TiktokenEncoding::O200kBase, None).unwrap();
        let text = format!("{}a b", " ".repeat(1_100_000));
        for t in [&hf, &tk] {
            let e = t.try_encode(&text).unwrap_err().to_string();
            assert!(e.contains("cannot encode a text of 1100003 bytes"), "{e}");
            let ids = t.encode(&text);
            assert!(t.fallbacks() > 0);
            assert_eq!(t.decode(&ids).unwrap(), text, "{}", t.name());
        }
    }

    #[test]
    fn split_points_cut_near_the_middle_on_whitespace_or_a_char_boundary() {
        assert_eq!(split_point("aaaa bbbb cc"), 4);
        assert_eq!(split_point("abcdef"), 3);
        assert_eq!(split_point("éé"), 2);
        assert_eq!(split_point("人人生"), 3);
        assert_eq!(split_point("😀a"), 4);
        assert_eq!(split_point(" abcdefgh"), 4);
        for t in ["ab", "a b", "人a", "\u{3000}\u{3000}x", "x  "] {
            let p = split_point(t);
            assert!(p > 0 && p < t.len() && t.is_char_boundary(p), "{t:?}: {p}");
        }
    }

    #[test]
    fn pathological_texts_encode_and_round_trip() {
        // Long runs that make backtracking regexes slow or give up; both backends handle them.
        let hf = o200k_hf();
        let tk = Tokenizer::from_tiktoken(TiktokenEncoding::O200kBase, None).unwrap();
        let mut cases = vec![
            format!("{}a", " ".repeat(50_000)),
            format!("{}a", "\n ".repeat(20_000)),
            "\u{3000}".repeat(20_000),
            "a".repeat(50_000),
            "1".repeat(20_000),
            format!("x{}y", "\t \r".repeat(20_000)),
        ];
        cases.push(cases.concat());
        for text in &cases {
            for t in [hf, &tk] {
                let ids = t.try_encode(text).unwrap();
                assert_eq!(t.decode(&ids).unwrap(), *text);
            }
            assert_eq!(hf.encode(text), tk.encode(text));
            assert_eq!((hf.fallbacks(), tk.fallbacks()), (0, 0));
        }
    }
}
