//! Supervised training, single-threaded and deterministic, writing a `.bin` the reference
//! fastText loads.
//!
//! This follows `fasttext supervised` of fastText 0.9.2 with `-thread 1`:
//! - the dictionary counts every token of the input (words, labels and one `</s>` per line),
//!   keeps words seen `min_count` times and labels seen `min_count_label` times, and orders
//!   words then labels by decreasing count (ties in order of first appearance; the reference's
//!   unstable sort leaves them unspecified);
//! - the input matrix (words, then `bucket` n-gram rows) starts uniform in ±1/dim, the output
//!   matrix at zero. (The reference, with fewer than 10 threads, initialises only the first
//!   `thread/10` of the input matrix and leaves the rest at zero, an artefact of splitting the
//!   initialisation across threads; we initialise it all, as its default 12 threads do.)
//! - examples are the input lines, in order, for `epoch` passes counted in tokens; the learning
//!   rate decays linearly from `lr` to 0 with the tokens processed, updated every
//!   `lr_update_rate` tokens;
//! - one step: average the rows of the line's words, character n-grams and word n-grams into
//!   the hidden vector; the loss (softmax, hierarchical softmax with the table sigmoid, or
//!   one-vs-all) updates the output rows and accumulates the gradient, which is divided by the
//!   number of rows and added to each of them. With several labels on a line, softmax and `hs`
//!   train on one chosen at random, `ova` on all of them.
//!
//! The result is deterministic for a given `seed`, not bit-identical to the reference (whose
//! random streams come from libstdc++'s distributions).

use std::collections::HashMap;
use std::path::Path;

use crate::args::{Args, LossName, MAX_NGRAM, MODEL_SUPERVISED};
use crate::dictionary::{self, Dictionary, EOS};
use crate::error::Error;
use crate::loss::{softmax_in_place, HuffmanTree, SigmoidTable};
use crate::matrix::{dot, DenseMatrix};
use crate::model::{Model, MAGIC, VERSION};
use crate::reader::Writer;

/// Options of [`train`], named and defaulted as the `fasttext supervised` flags.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    /// `-dim`: vector size (default 100).
    pub dim: usize,
    /// `-lr`: initial learning rate (default 0.1).
    pub lr: f64,
    /// `-epoch` (default 5).
    pub epoch: u32,
    /// `-minCount`: minimum count of a word (default 1).
    pub min_count: u64,
    /// `-minCountLabel`: minimum count of a label (default 0).
    pub min_count_label: u64,
    /// `-wordNgrams`: longest word n-gram (default 1).
    pub word_ngrams: u32,
    /// `-minn`: shortest character n-gram (default 0).
    pub minn: u32,
    /// `-maxn`: longest character n-gram; 0 disables them (default 0).
    pub maxn: u32,
    /// `-bucket`: hash buckets for n-grams (default 2 000 000; forced to 0 when there are no
    /// character or word n-grams, as the reference does).
    pub bucket: u32,
    /// `-loss`: `Softmax` (default), `HierarchicalSoftmax` or `OneVsAll`.
    pub loss: LossName,
    /// `-lrUpdateRate`: tokens between learning-rate updates (default 100).
    pub lr_update_rate: u32,
    /// `-label`: prefix of label tokens (default `__label__`; the saved model does not record
    /// it, and loaders assume `__label__`).
    pub label_prefix: String,
    /// `-seed` (default 0).
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            dim: 100,
            lr: 0.1,
            epoch: 5,
            min_count: 1,
            min_count_label: 0,
            word_ngrams: 1,
            minn: 0,
            maxn: 0,
            bucket: 2_000_000,
            loss: LossName::Softmax,
            lr_update_rate: 100,
            label_prefix: dictionary::LABEL_PREFIX.to_string(),
            seed: 0,
        }
    }
}

/// A trained model, as the bytes of a `.bin` file.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The model file (format version 12, dense matrices).
    pub bytes: Vec<u8>,
    /// Average training loss over the last epoch's examples.
    pub loss: f32,
    /// Examples (lines with a label and an input row) trained on, over all epochs.
    pub examples: u64,
}

impl Trained {
    /// Writes the `.bin` file.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        let path = path.as_ref();
        std::fs::write(path, &self.bytes).map_err(|source| Error::Io {
            path: Some(path.to_path_buf()),
            source,
        })
    }

    /// Loads the trained model for prediction.
    pub fn model(&self) -> Result<Model, Error> {
        Model::from_bytes(&self.bytes)
    }
}

/// Trains a supervised model on `text`, fastText's training format: one example per line,
/// label tokens (`__label__xx`, any number, anywhere) among the words.
pub fn train(text: &str, options: &TrainOptions) -> Result<Trained, Error> {
    let o = options;
    let bad = |msg: String| Err(Error::Training(msg));
    if o.dim == 0 || o.dim > i32::MAX as usize {
        return bad(format!("dim must be positive, got {}", o.dim));
    }
    if o.epoch == 0 || !(o.lr > 0.0 && o.lr.is_finite()) {
        return bad(format!(
            "epoch {} and lr {} must be positive",
            o.epoch, o.lr
        ));
    }
    if o.label_prefix.is_empty() {
        return bad("the label prefix must not be empty".to_string());
    }
    if o.loss == LossName::NegativeSampling {
        return bad("loss ns is not supported for training (use softmax, hs or ova)".to_string());
    }
    if o.maxn > MAX_NGRAM as u32 || o.word_ngrams > MAX_NGRAM as u32 {
        return bad(format!(
            "maxn {} and wordNgrams {} must be at most {MAX_NGRAM}",
            o.maxn, o.word_ngrams
        ));
    }
    if o.maxn > 0 && o.minn == 0 {
        return bad("minn must be at least 1 when maxn > 0".to_string());
    }
    let bucket = if o.word_ngrams <= 1 && o.maxn == 0 {
        0
    } else {
        o.bucket
    };
    let limits = [o.word_ngrams, o.minn, o.maxn, bucket, o.lr_update_rate];
    if limits.iter().any(|&v| v > i32::MAX as u32) {
        return bad("an option exceeds the format's 32-bit range".to_string());
    }

    let vocab = Vocabulary::count(text, o)?;
    let dict = Dictionary::from_entries(
        &vocab.words,
        &vocab.labels,
        vocab.ntokens,
        bucket as i32,
        o.minn as i32,
        o.maxn as i32,
        o.word_ngrams as i32,
    )?;
    let args = Args {
        dim: o.dim as i32,
        ws: 5,
        epoch: o.epoch as i32,
        min_count: o.min_count.min(i32::MAX as u64) as i32,
        neg: 5,
        word_ngrams: o.word_ngrams as i32,
        loss: o.loss,
        model: MODEL_SUPERVISED,
        bucket: bucket as i32,
        minn: o.minn as i32,
        maxn: o.maxn as i32,
        lr_update_rate: o.lr_update_rate as i32,
        t: 1e-4,
    };
    let rows = dict.nwords() + bucket as usize;
    let input_len = rows.checked_mul(o.dim);
    if input_len.is_none_or(|n| n > isize::MAX as usize / 4) {
        return bad(format!("input matrix of {rows} × {} is too large", o.dim));
    }
    let corpus = Corpus::build(text, &dict, &o.label_prefix);
    let mut rng = SplitMix64::new(o.seed);
    let mut input = DenseMatrix::zeros(rows, o.dim);
    let a = 1.0 / o.dim as f64;
    for x in &mut input.data {
        *x = (-a + 2.0 * a * rng.next_f64()) as f32;
    }
    let output = DenseMatrix::zeros(dict.nlabels(), o.dim);
    let mut trainer = Trainer::new(o, &dict, input, output);
    let (loss, examples) = trainer.run(&corpus, vocab.ntokens, &mut rng);

    let mut w = Writer::new();
    w.i32(MAGIC);
    w.i32(VERSION);
    args.write(&mut w);
    dict.write(&mut w);
    w.u8(0); // dense input
    trainer.input.write(&mut w);
    w.u8(0); // dense output
    trainer.output.write(&mut w);
    Ok(Trained {
        bytes: w.buf,
        loss,
        examples,
    })
}

/// Lines of `text` as the reference reads them: a line ends at `\n`, which becomes `</s>`; a
/// last line without `\n` gets no `</s>`.
fn lines(text: &str) -> impl Iterator<Item = (&[u8], bool)> {
    let bytes = text.as_bytes();
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.iter().position(|&b| b == b'\n') {
            Some(i) => {
                let line = &rest[..i];
                rest = &rest[i + 1..];
                Some((line, true))
            }
            None => {
                let line = rest;
                rest = &[];
                Some((line, false))
            }
        }
    })
}

/// The tokens of one line (the reference's `readWord` separators), then `</s>` if it ended.
fn tokens(line: &[u8], eos: bool) -> impl Iterator<Item = &[u8]> {
    line.split(|&b| matches!(b, b' ' | b'\t' | b'\r' | 0x0B | 0x0C | 0))
        .filter(|t| !t.is_empty())
        .chain(eos.then_some(EOS.as_bytes()))
}

/// Token counts, thresholded and ordered like `Dictionary::readFromFile`.
struct Vocabulary {
    words: Vec<(Vec<u8>, i64)>,
    labels: Vec<(Vec<u8>, i64)>,
    ntokens: i64,
}

impl Vocabulary {
    fn count(text: &str, o: &TrainOptions) -> Result<Self, Error> {
        let prefix = o.label_prefix.as_bytes();
        let mut index: HashMap<&[u8], usize> = HashMap::new();
        let mut entries: Vec<(&[u8], i64)> = Vec::new();
        let mut ntokens = 0i64;
        for (line, eos) in lines(text) {
            for t in tokens(line, eos) {
                ntokens += 1;
                let i = *index.entry(t).or_insert_with(|| {
                    entries.push((t, 0));
                    entries.len() - 1
                });
                entries[i].1 += 1;
            }
        }
        let mut words = Vec::new();
        let mut labels = Vec::new();
        for (t, c) in entries {
            if t.starts_with(prefix) {
                if c as u64 >= o.min_count_label {
                    labels.push((t.to_vec(), c));
                }
            } else if c as u64 >= o.min_count {
                words.push((t.to_vec(), c));
            }
        }
        // Stable: equal counts keep their order of first appearance.
        words.sort_by_key(|e| std::cmp::Reverse(e.1));
        labels.sort_by_key(|e| std::cmp::Reverse(e.1));
        if labels.is_empty() {
            return Err(Error::Training(format!(
                "no label tokens (prefix {:?}) with at least {} occurrences",
                o.label_prefix, o.min_count_label
            )));
        }
        if words.len() + labels.len() > i32::MAX as usize / 2 {
            return Err(Error::Training("vocabulary too large".to_string()));
        }
        Ok(Vocabulary {
            words,
            labels,
            ntokens,
        })
    }
}

/// The input pre-tokenised once: per line, its tokens (ids into `rows`/`hashes`) and labels.
struct Corpus {
    /// Input rows of each token kind: a dictionary word (its id, then its character n-grams),
    /// or an out-of-vocabulary word (its n-grams only).
    rows: Vec<Vec<u32>>,
    /// FNV hash of each token kind, for word n-grams.
    hashes: Vec<u32>,
    lines: Vec<Line>,
}

struct Line {
    tokens: Vec<u32>,
    labels: Vec<u32>,
    /// Tokens read, as counted by the reference's `getLine` (words, labels, `</s>`).
    ntokens: u32,
}

impl Corpus {
    fn build(text: &str, dict: &Dictionary, prefix: &str) -> Self {
        let nwords = dict.nwords();
        let mut rows: Vec<Vec<u32>> = Vec::with_capacity(nwords);
        let mut hashes = Vec::with_capacity(nwords);
        let mut buf = Vec::new();
        for id in 0..nwords {
            let word = dict.entry(id);
            let mut r = vec![id as u32];
            if dict.words_have_subwords() && word != EOS.as_bytes() {
                dict.subword_rows(word, &mut buf, &mut r);
            }
            rows.push(r);
            hashes.push(dictionary::hash(word));
        }
        let mut oov: HashMap<Vec<u8>, u32> = HashMap::new();
        let mut out = Vec::new();
        for (line, eos) in lines(text) {
            let mut l = Line {
                tokens: Vec::new(),
                labels: Vec::new(),
                ntokens: 0,
            };
            for t in tokens(line, eos) {
                l.ntokens += 1;
                let h = dictionary::hash(t);
                match dict.lookup(t, h) {
                    Some(id) if (id as usize) < nwords => l.tokens.push(id),
                    Some(id) => l.labels.push(id - nwords as u32),
                    None if t.starts_with(prefix.as_bytes()) => {}
                    None => {
                        let kind = *oov.entry(t.to_vec()).or_insert_with(|| {
                            let mut r = Vec::new();
                            if t != EOS.as_bytes() {
                                dict.subword_rows(t, &mut buf, &mut r);
                            }
                            rows.push(r);
                            hashes.push(h);
                            rows.len() as u32 - 1
                        });
                        l.tokens.push(kind);
                    }
                }
            }
            out.push(l);
        }
        Corpus {
            rows,
            hashes,
            lines: out,
        }
    }
}

/// The reference's `t_log_` table, used only for the reported loss.
struct LogTable(Vec<f32>);

impl LogTable {
    fn new() -> Self {
        LogTable(
            (0..=512)
                .map(|i| (((i as f32) as f64 + 1e-5) / 512.0) as f32)
                .map(f32::ln)
                .collect(),
        )
    }

    fn log(&self, x: f32) -> f32 {
        if x > 1.0 {
            return 0.0;
        }
        self.0[((x * 512.0) as usize).min(512)]
    }
}

struct Trainer<'a> {
    o: &'a TrainOptions,
    dict: &'a Dictionary,
    input: DenseMatrix,
    output: DenseMatrix,
    sigmoid: SigmoidTable,
    log: LogTable,
    paths: Vec<Vec<(u32, bool)>>,
    hidden: Vec<f32>,
    grad: Vec<f32>,
    scores: Vec<f32>,
    rows: Vec<u32>,
    hashes: Vec<u32>,
}

impl<'a> Trainer<'a> {
    fn new(
        o: &'a TrainOptions,
        dict: &'a Dictionary,
        input: DenseMatrix,
        output: DenseMatrix,
    ) -> Self {
        let paths = if o.loss == LossName::HierarchicalSoftmax {
            HuffmanTree::new(dict.label_counts()).paths()
        } else {
            Vec::new()
        };
        Trainer {
            o,
            dict,
            input,
            output,
            sigmoid: SigmoidTable::new(),
            log: LogTable::new(),
            paths,
            hidden: vec![0.0; o.dim],
            grad: vec![0.0; o.dim],
            scores: Vec::new(),
            rows: Vec::new(),
            hashes: Vec::new(),
        }
    }

    /// `trainThread` with one thread: returns the average loss of the last epoch's worth of
    /// examples and the number of examples.
    fn run(&mut self, corpus: &Corpus, ntokens: i64, rng: &mut SplitMix64) -> (f32, u64) {
        let total = self.o.epoch as i64 * ntokens;
        if corpus.lines.is_empty() || total <= 0 {
            return (0.0, 0);
        }
        let (mut token_count, mut local) = (0i64, 0i64);
        let (mut loss_sum, mut loss_n, mut examples) = (0.0f64, 0u64, 0u64);
        let mut next = 0usize;
        while token_count < total {
            let progress = token_count as f32 / total as f32;
            let lr = (self.o.lr * (1.0 - progress as f64)) as f32;
            let line = &corpus.lines[next];
            next = (next + 1) % corpus.lines.len();
            local += line.ntokens as i64;
            if let Some(loss) = self.example(corpus, line, lr, rng) {
                examples += 1;
                // Report the loss of the last epoch only.
                if token_count >= total - ntokens {
                    loss_sum += loss as f64;
                    loss_n += 1;
                }
            }
            if local > self.o.lr_update_rate as i64 {
                token_count += local;
                local = 0;
            }
        }
        let avg = if loss_n > 0 {
            (loss_sum / loss_n as f64) as f32
        } else {
            0.0
        };
        (avg, examples)
    }

    /// `FastText::supervised` + `Model::update` for one line; `None` if it has no label or no
    /// input row.
    fn example(
        &mut self,
        corpus: &Corpus,
        line: &Line,
        lr: f32,
        rng: &mut SplitMix64,
    ) -> Option<f32> {
        if line.labels.is_empty() {
            return None;
        }
        self.rows.clear();
        self.hashes.clear();
        for &t in &line.tokens {
            self.rows.extend_from_slice(&corpus.rows[t as usize]);
            self.hashes.push(corpus.hashes[t as usize]);
        }
        self.dict.word_ngram_rows(&self.hashes, &mut self.rows);
        if self.rows.is_empty() {
            return None;
        }
        self.hidden.fill(0.0);
        for &r in &self.rows {
            for (h, &x) in self.hidden.iter_mut().zip(self.input.row(r as usize)) {
                *h += x;
            }
        }
        let inv = (1.0 / self.rows.len() as f64) as f32;
        self.hidden.iter_mut().for_each(|h| *h *= inv);
        self.grad.fill(0.0);
        let loss = match self.o.loss {
            LossName::OneVsAll => self.one_vs_all(&line.labels, lr),
            LossName::HierarchicalSoftmax => {
                let target = line.labels[rng.below(line.labels.len())];
                self.hierarchical(target as usize, lr)
            }
            _ => {
                let target = line.labels[rng.below(line.labels.len())];
                self.softmax(target as usize, lr)
            }
        };
        self.grad.iter_mut().for_each(|g| *g *= inv);
        for &r in &self.rows {
            for (x, &g) in self.input.row_mut(r as usize).iter_mut().zip(&self.grad) {
                *x += g;
            }
        }
        Some(loss)
    }

    /// `BinaryLogisticLoss::binaryLogistic` with backpropagation.
    fn binary_logistic(&mut self, row: usize, positive: bool, lr: f32) -> f32 {
        let score = self
            .sigmoid
            .sigmoid(dot(self.output.row(row), &self.hidden));
        let alpha = lr * (f32::from(u8::from(positive)) - score);
        self.update_output(row, alpha);
        if positive {
            -self.log.log(score)
        } else {
            -self.log.log(1.0 - score)
        }
    }

    /// `grad += alpha * wo[row]; wo[row] += alpha * hidden`, in that order.
    fn update_output(&mut self, row: usize, alpha: f32) {
        let out = self.output.row_mut(row);
        for ((g, o), &h) in self.grad.iter_mut().zip(out.iter_mut()).zip(&self.hidden) {
            *g += alpha * *o;
            *o += alpha * h;
        }
    }

    fn hierarchical(&mut self, target: usize, lr: f32) -> f32 {
        let path = std::mem::take(&mut self.paths[target]);
        let loss = path
            .iter()
            .map(|&(row, code)| self.binary_logistic(row as usize, code, lr))
            .sum();
        self.paths[target] = path;
        loss
    }

    fn one_vs_all(&mut self, targets: &[u32], lr: f32) -> f32 {
        (0..self.output.rows)
            .map(|i| self.binary_logistic(i, targets.contains(&(i as u32)), lr))
            .sum()
    }

    fn softmax(&mut self, target: usize, lr: f32) -> f32 {
        let mut scores = std::mem::take(&mut self.scores);
        scores.clear();
        scores.extend((0..self.output.rows).map(|i| dot(self.output.row(i), &self.hidden)));
        softmax_in_place(&mut scores);
        for (i, &p) in scores.iter().enumerate() {
            let label = if i == target { 1.0 } else { 0.0 };
            self.update_output(i, lr * (label - p));
        }
        let loss = -self.log.log(scores[target]);
        self.scores = scores;
        loss
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): small, fast, and the same everywhere.
struct SplitMix64(u64);

impl SplitMix64 {
    fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`), without modulo bias.
    fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        let zone = u64::MAX - u64::MAX % n;
        loop {
            let x = self.next();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_tokens_follow_read_word() {
        let got: Vec<Vec<&[u8]>> = lines("a b\n\nc\td\x0be\r\nlast")
            .map(|(l, eos)| tokens(l, eos).collect())
            .collect();
        let want: Vec<Vec<&[u8]>> = vec![
            vec![b"a", b"b", b"</s>"],
            vec![b"</s>"],
            vec![b"c", b"d", b"e", b"</s>"],
            vec![b"last"],
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn rejects_impossible_options() {
        let text = "__label__a x\n";
        for o in [
            TrainOptions {
                dim: 0,
                ..TrainOptions::default()
            },
            TrainOptions {
                loss: LossName::NegativeSampling,
                ..TrainOptions::default()
            },
            TrainOptions {
                maxn: 3,
                minn: 0,
                ..TrainOptions::default()
            },
        ] {
            assert!(matches!(train(text, &o), Err(Error::Training(_))), "{o:?}");
        }
        assert!(matches!(
            train("no labels here\n", &TrainOptions::default()),
            Err(Error::Training(_))
        ));
    }

    #[test]
    fn random_below_is_in_range() {
        let mut r = SplitMix64::new(7);
        for n in 1..50 {
            assert!(r.below(n) < n);
        }
        let x = r.next_f64();
        assert!((0.0..1.0).contains(&x));
    }
}
