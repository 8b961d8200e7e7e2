//! Loading a model and predicting labels.

use std::cell::RefCell;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::args::{Args, LossName};
use crate::cache::WordCache;
use crate::dictionary::{self, BucketMap, Dictionary, EOS, LABEL_PREFIX};
use crate::error::Error;
use crate::heap::Scored;
use crate::loss::{HuffmanTree, Loss, SigmoidTable};
use crate::matrix::{add_assign, DenseMatrix, Matrix};
use crate::reader::Reader;

/// First four bytes of every fastText model.
pub const MAGIC: i32 = 793_712_314;
/// The format version fastText 0.9 writes.
pub const VERSION: i32 = 12;

/// Precompute the summed rows of in-vocabulary words up to this many bytes (most frequent words
/// first: the dictionary is sorted by count).
const WORD_TABLE_LIMIT_BYTES: usize = 64 << 20;

static NEXT_MODEL_ID: AtomicU64 = AtomicU64::new(1);

/// One predicted label.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prediction<'m> {
    /// The label as stored in the model, e.g. `__label__en`.
    pub label: &'m str,
    /// The label's index in [`Model::labels`].
    pub index: usize,
    /// Its probability. With hierarchical softmax this is `exp` of a sum of `log(p + 1e-5)`
    /// terms, exactly as the reference reports it: it can exceed 1 by up to ~1e-4, and 1e-5 is
    /// its floor.
    pub prob: f32,
}

/// A loaded supervised fastText model (`.bin` or quantized `.ftz`).
///
/// Immutable after loading, so `Model` is `Send + Sync`: share one by reference across threads
/// and give each thread its own [`Scratch`].
pub struct Model {
    id: u64,
    version: i32,
    args: Args,
    dict: Dictionary,
    quantized: bool,
    quantized_output: bool,
    /// Input rows: words, then n-gram buckets (reordered to the bucket map's order when pruned).
    input: Matrix,
    output: Matrix,
    loss: Loss,
    /// Sum of each in-vocabulary word's rows (its own plus its character n-grams) for the first
    /// `word_rows.len()` words, so a known word costs one vector addition.
    word_table: DenseMatrix,
    word_rows: Vec<u32>,
    words_have_subwords: bool,
    eos_hash: u32,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("version", &self.version)
            .field("args", &self.args)
            .field("nwords", &self.dict.nwords())
            .field("nlabels", &self.dict.nlabels())
            .field("quantized", &self.quantized)
            .field("quantized_output", &self.quantized_output)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// Loads a model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Model, Error> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| Error::Io {
            path: Some(path.to_path_buf()),
            source,
        })?;
        Model::from_bytes(&bytes)
    }

    /// Loads a model from a reader (read to the end first).
    pub fn from_reader(mut reader: impl Read) -> Result<Model, Error> {
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|source| Error::Io { path: None, source })?;
        Model::from_bytes(&bytes)
    }

    /// Parses a model from its bytes. Every size is checked against the bytes that remain, so
    /// a truncated or hostile file gives an [`Error`], never a panic or a huge allocation.
    pub fn from_bytes(bytes: &[u8]) -> Result<Model, Error> {
        let mut r = Reader::new(bytes);
        let magic = r.i32("header")?;
        if magic != MAGIC {
            return Err(Error::BadMagic { found: magic });
        }
        let version = r.i32("header")?;
        if !(11..=VERSION).contains(&version) {
            return Err(Error::UnsupportedVersion { found: version });
        }
        let mut args = Args::read(&mut r)?;
        if version == 11 {
            // As the reference: supervised models of version 11 had no character n-grams.
            args.maxn = 0;
        }
        let (mut dict, prune) =
            Dictionary::read(&mut r, args.bucket, args.minn, args.maxn, args.word_ngrams)?;
        let quantized = r.bool("input matrix flag")?;
        let input = Matrix::read(&mut r, quantized, "input matrix")?;
        if !quantized && dict.pruned {
            return Err(Error::malformed(
                "input matrix",
                "dense input matrix with a pruned dictionary (the reference rejects these \
                 old models, fastText issue #332)",
            ));
        }
        let qout = r.bool("output matrix flag")?;
        // The reference reads a quantized output only when the input is quantized too.
        let quantized_output = quantized && qout;
        let output = Matrix::read(&mut r, quantized_output, "output matrix")?;
        if r.remaining() > 0 {
            return Err(Error::TrailingBytes {
                offset: r.position(),
                count: r.remaining(),
            });
        }
        let order = dict_with_buckets(&mut dict, prune.pairs.as_deref(), &input, bytes.len())?;
        Model::assemble(
            version,
            args,
            order,
            dict,
            input,
            output,
            quantized,
            quantized_output,
        )
    }

    /// Validates shapes and builds the prediction structures.
    #[allow(clippy::too_many_arguments)]
    fn assemble(
        version: i32,
        args: Args,
        order: Option<Vec<u32>>,
        dict: Dictionary,
        input: Matrix,
        output: Matrix,
        quantized: bool,
        quantized_output: bool,
    ) -> Result<Model, Error> {
        let dim = args.dim as usize;
        if input.cols() != dim || output.cols() != dim {
            return Err(Error::malformed(
                "matrices",
                format!(
                    "dim is {dim} but the input matrix has {} columns and the output {}",
                    input.cols(),
                    output.cols()
                ),
            ));
        }
        if output.rows() != dict.nlabels() {
            return Err(Error::malformed(
                "output matrix",
                format!("{} rows for {} labels", output.rows(), dict.nlabels()),
            ));
        }
        let nwords = dict.nwords();
        let input = match (order, input) {
            (Some(order), Matrix::Quant(q)) => Matrix::Quant(q.reorder(nwords, &order)),
            (Some(_), Matrix::Dense(_)) => {
                return Err(Error::malformed(
                    "input matrix",
                    "dense input matrix with a pruned dictionary",
                ))
            }
            (None, m) => m,
        };
        let loss = match args.loss {
            LossName::HierarchicalSoftmax => {
                Loss::HierarchicalSoftmax(HuffmanTree::new(dict.label_counts()))
            }
            LossName::Softmax => Loss::Softmax,
            LossName::OneVsAll | LossName::NegativeSampling => Loss::Sigmoid(SigmoidTable::new()),
        };
        let words_have_subwords = dict.words_have_subwords();
        let mut model = Model {
            id: NEXT_MODEL_ID.fetch_add(1, Ordering::Relaxed),
            version,
            args,
            dict,
            quantized,
            quantized_output,
            input,
            output,
            loss,
            word_table: DenseMatrix::zeros(0, dim),
            word_rows: Vec::new(),
            words_have_subwords,
            eos_hash: dictionary::hash(EOS.as_bytes()),
        };
        model.build_word_table();
        Ok(model)
    }

    /// Sums each in-vocabulary word's rows once (the reference's `initNgrams` computes the
    /// same row lists at load).
    fn build_word_table(&mut self) {
        if !self.words_have_subwords {
            return; // a known word is its own row: nothing to precompute
        }
        let dim = self.dim();
        let n = self.dict.nwords().min(WORD_TABLE_LIMIT_BYTES / (dim * 4));
        let mut table = DenseMatrix::zeros(n, dim);
        let mut rows = Vec::with_capacity(n);
        let (mut buf, mut ngrams) = (Vec::new(), Vec::new());
        for id in 0..n {
            let out = table.row_mut(id);
            self.input.add_row_to(id, out);
            ngrams.clear();
            let word = self.dict.entry(id);
            if word != EOS.as_bytes() {
                self.dict.subword_rows(word, &mut buf, &mut ngrams);
            }
            for &row in &ngrams {
                self.input.add_row_to(row as usize, out);
            }
            rows.push(1 + ngrams.len() as u32);
        }
        self.word_table = table;
        self.word_rows = rows;
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.args.dim as usize
    }

    /// The labels, in the model's order (by decreasing training count).
    pub fn labels(&self) -> &[String] {
        self.dict.labels()
    }

    /// Label `index` (as in [`Prediction::index`]).
    pub fn label(&self, index: usize) -> Option<&str> {
        self.dict.labels().get(index).map(String::as_str)
    }

    /// Number of labels.
    pub fn nlabels(&self) -> usize {
        self.dict.nlabels()
    }

    /// Number of words in the dictionary.
    pub fn nwords(&self) -> usize {
        self.dict.nwords()
    }

    /// Word `id` of the dictionary, as raw bytes (fastText does not require UTF-8).
    pub fn word(&self, id: usize) -> Option<&[u8]> {
        (id < self.dict.nwords()).then(|| self.dict.entry(id))
    }

    /// Training count of dictionary entry `id` (words, then labels).
    pub fn count(&self, id: usize) -> Option<i64> {
        self.dict.counts().get(id).copied()
    }

    /// Number of tokens seen in training.
    pub fn ntokens(&self) -> i64 {
        self.dict.ntokens()
    }

    /// The loss the model was trained with.
    pub fn loss(&self) -> LossName {
        self.args.loss
    }

    /// The loss's CLI name: `hs`, `ns`, `softmax` or `ova`.
    pub fn loss_name(&self) -> &'static str {
        self.args.loss.as_str()
    }

    /// The stored hyper-parameters (`maxn` is 0 for version-11 models, as the reference sets it).
    pub fn args(&self) -> &Args {
        &self.args
    }

    /// The file format version (11 or 12).
    pub fn version(&self) -> i32 {
        self.version
    }

    /// Whether the input matrix was product-quantized (an `.ftz`).
    pub fn is_quantized(&self) -> bool {
        self.quantized
    }

    /// Whether the output matrix was quantized too (`-qout`).
    pub fn has_quantized_output(&self) -> bool {
        self.quantized_output
    }

    /// Whether the dictionary was pruned (`-cutoff`): only some n-gram buckets have rows.
    pub fn is_pruned(&self) -> bool {
        self.dict.pruned
    }

    /// The `k` most probable labels of `text` with probability at least `threshold`, best
    /// first. See the crate documentation for how `text` is tokenised. Uses a per-thread
    /// [`Scratch`]; [`Model::predict_into`] avoids the allocation of the result too.
    pub fn predict(&self, text: &str, k: usize, threshold: f32) -> Vec<Prediction<'_>> {
        // One scratch per model and thread: a caller that alternates two models (language ID
        // with a supplement) keeps both word caches warm instead of rebuilding one per call.
        thread_local! {
            static SCRATCHES: RefCell<Vec<Scratch>> = const { RefCell::new(Vec::new()) };
        }
        let mut out = Vec::new();
        SCRATCHES.with(|cell| match cell.try_borrow_mut() {
            Ok(mut list) => {
                let at = match list.iter().position(|s| s.model_id == self.id) {
                    Some(i) => i,
                    None => {
                        if list.len() >= SCRATCHES_PER_THREAD {
                            list.remove(0); // the least recently added model
                        }
                        list.push(Scratch::new());
                        list.len() - 1
                    }
                };
                self.predict_into(text, k, threshold, &mut list[at], &mut out);
            }
            Err(_) => self.predict_into(text, k, threshold, &mut Scratch::new(), &mut out),
        });
        out
    }

    /// [`Model::predict`] into `out` (cleared first), with the caller's [`Scratch`]: no
    /// allocation once the buffers have grown.
    pub fn predict_into<'m>(
        &'m self,
        text: &str,
        k: usize,
        threshold: f32,
        scratch: &mut Scratch,
        out: &mut Vec<Prediction<'m>>,
    ) {
        self.predict_bytes_into(text.as_bytes(), k, threshold, scratch, out)
    }

    /// [`Model::predict_into`] for text that may not be UTF-8 (fastText works on bytes).
    pub fn predict_bytes_into<'m>(
        &'m self,
        text: &[u8],
        k: usize,
        threshold: f32,
        scratch: &mut Scratch,
        out: &mut Vec<Prediction<'m>>,
    ) {
        out.clear();
        let k = k.min(self.nlabels());
        if k == 0 || !self.compute_hidden(text, scratch) {
            return;
        }
        let s = scratch;
        self.loss.predict(
            &self.output,
            &s.hidden,
            k,
            threshold,
            &mut s.heap,
            &mut s.scores,
            &mut s.stack,
            &mut s.queue,
        );
        let labels = self.dict.labels();
        out.extend(s.heap.iter().map(|&(score, index)| Prediction {
            label: &labels[index as usize],
            index: index as usize,
            prob: score.exp(),
        }));
    }

    /// The averaged input vector of `text` (the reference's `getSentenceVector` for supervised
    /// models, i.e. the hidden layer), or `None` if no token has a row.
    pub fn sentence_vector(&self, text: &str) -> Option<Vec<f32>> {
        let mut s = Scratch::new();
        self.compute_hidden(text.as_bytes(), &mut s)
            .then(|| s.hidden.clone())
    }

    /// Fills `scratch.hidden` with the average of the rows of `text`'s tokens and n-grams;
    /// false if there is no row at all (the reference then predicts nothing).
    fn compute_hidden(&self, text: &[u8], s: &mut Scratch) -> bool {
        s.prepare(self);
        s.hidden.fill(0.0);
        s.hashes.clear();
        let mut nrows: u64 = 0;
        let mut i = 0;
        let n = text.len();
        let mut saw_eos = false;
        while i < n {
            while i < n && IS_SPACE[text[i] as usize] {
                i += 1;
            }
            if i == n {
                break;
            }
            let start = i;
            let mut h = 2_166_136_261u32;
            while i < n && !IS_SPACE[text[i] as usize] {
                h = dictionary::fnv_step(h, text[i]);
                i += 1;
            }
            let token = &text[start..i];
            nrows += self.add_token(token, h, s);
            if token == EOS.as_bytes() {
                saw_eos = true;
                break;
            }
        }
        if !saw_eos {
            nrows += self.add_token(EOS.as_bytes(), self.eos_hash, s);
        }
        if self.args.word_ngrams > 1 {
            let Scratch {
                hashes,
                hidden,
                rows,
                ..
            } = s;
            rows.clear();
            self.dict.word_ngram_rows(hashes, rows);
            for &row in rows.iter() {
                self.input.add_row_to(row as usize, hidden);
            }
            nrows += rows.len() as u64;
        }
        if nrows == 0 {
            return false;
        }
        // `x.mul(1.0 / rows.size())`: the inverse in double, rounded to float, then multiplied.
        let inv = (1.0 / nrows as f64) as f32;
        for x in &mut s.hidden {
            *x *= inv;
        }
        true
    }

    /// Adds one token's rows to the hidden sum (the reference's `getLine` body); returns how
    /// many rows it added.
    ///
    /// Word tokens go through the scratch's cache first: a hit costs one probe and one vector
    /// addition, and skips the dictionary lookup. On a miss the word's summed rows come from the
    /// precomputed table (known words) or are computed from its n-grams, then are cached.
    #[inline]
    fn add_token(&self, token: &[u8], h: u32, s: &mut Scratch) -> u64 {
        let word_ngrams = self.args.word_ngrams > 1;
        let cached = if token.len() <= ShortWords::KEY_MAX {
            s.cache.add_cached(token, h, &mut s.hidden)
        } else {
            s.long_cache.add_cached(token, h, &mut s.hidden)
        };
        if let Some(rows) = cached {
            if word_ngrams {
                s.hashes.push(h);
            }
            return rows as u64;
        }
        let rows = match self.dict.lookup(token, h) {
            Some(id) if (id as usize) < self.dict.nwords() => {
                let id = id as usize;
                let word = &mut s.word;
                if !self.words_have_subwords {
                    word.fill(0.0);
                    self.input.add_row_to(id, word);
                    1
                } else if id < self.word_rows.len() {
                    word.copy_from_slice(self.word_table.row(id));
                    self.word_rows[id]
                } else {
                    self.word_rows_sum(token, Some(id), s)
                }
            }
            // A label of the model: the reference collects it as a target, not an input.
            Some(_) => return 0,
            // An unknown `__label__…` token is dropped entirely, even from word n-grams.
            None if token.starts_with(LABEL_PREFIX.as_bytes()) => return 0,
            None if token == EOS.as_bytes() => {
                // An out-of-vocabulary EOS has no row, but still counts in word n-grams.
                if word_ngrams {
                    s.hashes.push(h);
                }
                return 0;
            }
            None => self.word_rows_sum(token, None, s),
        };
        if word_ngrams {
            s.hashes.push(h);
        }
        add_assign(&mut s.hidden, &s.word);
        if token.len() <= ShortWords::KEY_MAX {
            s.cache.insert(token, h, &s.word, rows);
        } else {
            s.long_cache.insert(token, h, &s.word, rows);
        }
        rows as u64
    }

    /// Sums into `s.word` the rows of a word missing from the precomputed table: its own row if
    /// it is known, then its character n-grams. Returns how many rows that is.
    fn word_rows_sum(&self, token: &[u8], id: Option<usize>, s: &mut Scratch) -> u32 {
        let Scratch {
            word,
            bow,
            rows: ids,
            ..
        } = s;
        word.fill(0.0);
        let mut count = 0;
        if let Some(id) = id {
            self.input.add_row_to(id, word);
            count = 1;
        }
        if token != EOS.as_bytes() {
            self.dict.for_each_subword_rows(token, bow, ids, |rows| {
                self.input.add_rows_to(rows, word);
                count += rows.len() as u32;
            });
            if bow.capacity() > BIG_TOKEN_BYTES {
                *bow = Vec::new(); // do not keep a giant token's buffer for the next texts
            }
        }
        count
    }
}

/// A token longer than this has its `<token>` buffer freed after use.
const BIG_TOKEN_BYTES: usize = 1 << 20;

/// Builds the dictionary's bucket map and checks the pruned rows against the input matrix.
/// Returns the row order for the input matrix when pruned.
fn dict_with_buckets(
    dict: &mut Dictionary,
    pairs: Option<&[(i32, i32)]>,
    input: &Matrix,
    file_len: usize,
) -> Result<Option<Vec<u32>>, Error> {
    let nwords = dict.nwords();
    let rows = input.rows();
    if rows < nwords {
        return Err(Error::malformed(
            "input matrix",
            format!("{rows} rows for {nwords} words"),
        ));
    }
    let bucket = dict.bucket();
    match pairs {
        None => {
            if (rows as u64) < nwords as u64 + bucket as u64 {
                return Err(Error::malformed(
                    "input matrix",
                    format!("{rows} rows for {nwords} words and {bucket} buckets"),
                ));
            }
            Ok(None)
        }
        Some(pairs) => {
            let kept = rows - nwords;
            let (map, order) = BucketMap::pruned(pairs, bucket, nwords as u32, file_len);
            if let Some(bad) = order.iter().find(|&&o| o as usize >= kept) {
                return Err(Error::malformed(
                    "pruneidx",
                    format!(
                        "bucket row {} is beyond the {kept} n-gram rows",
                        *bad as i32
                    ),
                ));
            }
            dict.buckets = map;
            Ok(Some(order))
        }
    }
}

/// The reference's `readWord` separators: space, `\t`, `\n`, `\v`, `\f`, `\r` and NUL. Other
/// Unicode spaces (NBSP, ideographic space) are part of words, as in fastText.
static IS_SPACE: [bool; 256] = {
    let mut t = [false; 256];
    t[b' ' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[0x0B] = true;
    t[0x0C] = true;
    t[b'\r' as usize] = true;
    t[0] = true;
    t
};

/// Per-thread working memory for [`Model::predict_into`].
///
/// Holds the hidden vector, the search heap, and a cache (8 MiB at most by default, touched only
/// as words arrive) of the summed rows of recently seen words, checked before the dictionary. It
/// matters most for out-of-vocabulary words, whose character n-grams are otherwise hashed and
/// looked up every time (most tokens for lid.176, whose dictionary has 7 235 words). Creating
/// one allocates nothing until first use; keep one per thread and reuse it. A scratch may be
/// used with several models; it resets itself when the model changes.
pub struct Scratch {
    model_id: u64,
    hidden: Vec<f32>,
    word: Vec<f32>,
    bow: Vec<u8>,
    rows: Vec<u32>,
    hashes: Vec<u32>,
    heap: Vec<Scored>,
    scores: Vec<f32>,
    stack: Vec<(u32, f32, f32)>,
    queue: Vec<crate::loss::Open>,
    cache: ShortWords,
    /// Words of 33 to 128 bytes (many in scripts of three bytes a character), apart so that
    /// the common short words keep small entries.
    long_cache: LongWords,
    cache_budget: usize,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch::new()
    }
}

impl std::fmt::Debug for Scratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scratch")
            .field(
                "cache_words",
                &(self.cache.capacity() + self.long_cache.capacity()),
            )
            .finish_non_exhaustive()
    }
}

/// Default memory for the word cache of one [`Scratch`]. Crawl text in a hundred languages has
/// more distinct words than 1 MiB holds (≈ 9 k words): on `tamis bench gen` documents 8 MiB
/// made `tamis lid` faster (`benches/lid_vs_reference.sh`). For lid.176 that is ≈ 57 k words of
/// up to 32 bytes and ≈ 4.7 k longer ones. Pages are only touched as words arrive.
const DEFAULT_CACHE_BYTES: usize = 8 << 20;

/// The word caches of a [`Scratch`]: words of up to 32 bytes, and longer ones up to 128.
type ShortWords = WordCache<8>;
type LongWords = WordCache<32>;
/// The long words' cache gets this fraction of the budget.
const LONG_WORDS_SHARE: usize = 8;

/// Models whose scratch a thread keeps for [`Model::predict`].
const SCRATCHES_PER_THREAD: usize = 4;

impl Scratch {
    /// Scratch space with the default word cache (8 MiB).
    pub fn new() -> Self {
        Scratch::with_cache_bytes(DEFAULT_CACHE_BYTES)
    }

    /// Scratch space whose word cache uses at most about `bytes` (0 disables it).
    pub fn with_cache_bytes(bytes: usize) -> Self {
        Scratch {
            model_id: 0,
            hidden: Vec::new(),
            word: Vec::new(),
            bow: Vec::new(),
            rows: Vec::new(),
            hashes: Vec::new(),
            heap: Vec::new(),
            scores: Vec::new(),
            stack: Vec::new(),
            queue: Vec::new(),
            cache: WordCache::disabled(),
            long_cache: WordCache::disabled(),
            cache_budget: bytes,
        }
    }

    fn prepare(&mut self, model: &Model) {
        if self.model_id == model.id {
            return;
        }
        let dim = model.dim();
        self.model_id = model.id;
        self.hidden = vec![0.0; dim];
        self.word = vec![0.0; dim];
        let long = self.cache_budget / LONG_WORDS_SHARE;
        self.cache = WordCache::new(dim, self.cache_budget - long);
        self.long_cache = WordCache::new(dim, long);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Model>();
        check::<Scratch>();
    }
}
