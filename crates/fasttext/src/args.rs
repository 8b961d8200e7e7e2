//! The hyper-parameters stored at the head of a model file.

use crate::error::Error;
use crate::reader::{Reader, Writer};

/// The training loss, which decides how the output layer turns a hidden vector into labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LossName {
    /// Hierarchical softmax over a Huffman tree of the labels (lid.176 uses it).
    HierarchicalSoftmax,
    /// Negative sampling; prediction scores each label with a sigmoid.
    NegativeSampling,
    /// Full softmax over the labels.
    Softmax,
    /// One-vs-all: an independent sigmoid per label.
    OneVsAll,
}

impl LossName {
    /// The name the fastText CLI uses (`hs`, `ns`, `softmax`, `ova`).
    pub fn as_str(self) -> &'static str {
        match self {
            LossName::HierarchicalSoftmax => "hs",
            LossName::NegativeSampling => "ns",
            LossName::Softmax => "softmax",
            LossName::OneVsAll => "ova",
        }
    }

    pub(crate) fn code(self) -> i32 {
        match self {
            LossName::HierarchicalSoftmax => 1,
            LossName::NegativeSampling => 2,
            LossName::Softmax => 3,
            LossName::OneVsAll => 4,
        }
    }

    fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            1 => LossName::HierarchicalSoftmax,
            2 => LossName::NegativeSampling,
            3 => LossName::Softmax,
            4 => LossName::OneVsAll,
            _ => return None,
        })
    }
}

impl std::fmt::Display for LossName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The model's arguments as saved by the reference (`Args::save`): 12 `int32` and one `double`.
///
/// Only `dim`, `word_ngrams`, `loss`, `model`, `bucket`, `minn` and `maxn` matter for
/// prediction; the others are kept so that a model can be described and re-saved.
#[derive(Clone, Debug, PartialEq)]
pub struct Args {
    /// Vector dimension.
    pub dim: i32,
    /// Context window (unsupervised models only).
    pub ws: i32,
    /// Training epochs.
    pub epoch: i32,
    /// Minimum word count kept in the dictionary.
    pub min_count: i32,
    /// Negatives sampled per positive (`ns` loss).
    pub neg: i32,
    /// Longest word n-gram (1 = words only).
    pub word_ngrams: i32,
    /// Loss the model was trained with.
    pub loss: LossName,
    /// Model kind code: 1 = cbow, 2 = skipgram, 3 = supervised.
    pub model: i32,
    /// Number of hash buckets shared by character and word n-grams.
    pub bucket: i32,
    /// Shortest character n-gram.
    pub minn: i32,
    /// Longest character n-gram (0 = no character n-grams).
    pub maxn: i32,
    /// Learning-rate update period in tokens.
    pub lr_update_rate: i32,
    /// Sampling threshold (unsupervised models only).
    pub t: f64,
}

/// Longest character or word n-gram accepted (fastText's defaults are 3–6 and 1–5).
pub(crate) const MAX_NGRAM: i32 = 64;

/// Model-kind code of supervised models.
pub(crate) const MODEL_SUPERVISED: i32 = 3;

impl Args {
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, Error> {
        const S: &str = "arguments";
        let dim = r.i32(S)?;
        let ws = r.i32(S)?;
        let epoch = r.i32(S)?;
        let min_count = r.i32(S)?;
        let neg = r.i32(S)?;
        let word_ngrams = r.i32(S)?;
        let loss_code = r.i32(S)?;
        let model = r.i32(S)?;
        let bucket = r.i32(S)?;
        let minn = r.i32(S)?;
        let maxn = r.i32(S)?;
        let lr_update_rate = r.i32(S)?;
        let t = r.f64(S)?;
        let loss = LossName::from_code(loss_code).ok_or_else(|| {
            Error::malformed(
                S,
                format!("unknown loss code {loss_code} (expected 1 to 4)"),
            )
        })?;
        if !(1..=3).contains(&model) {
            return Err(Error::malformed(
                S,
                format!("unknown model kind {model} (expected 1 to 3)"),
            ));
        }
        if model != MODEL_SUPERVISED {
            return Err(Error::NotSupervised { model });
        }
        if dim <= 0 {
            return Err(Error::malformed(S, format!("dim is {dim}")));
        }
        if bucket < 0 {
            return Err(Error::malformed(S, format!("bucket is {bucket}")));
        }
        // Real models use n-grams of a few units. Larger or negative values (the reference reads
        // a negative maxn as "to the end of the word") make each word or text quadratic, so they
        // can only come from a corrupt or hostile file.
        if minn < 0 || !(0..=MAX_NGRAM).contains(&maxn) || word_ngrams > MAX_NGRAM {
            return Err(Error::malformed(
                S,
                format!(
                    "minn {minn}, maxn {maxn}, wordNgrams {word_ngrams}: this reader accepts \
                     minn >= 0, maxn 0 to {MAX_NGRAM} and wordNgrams up to {MAX_NGRAM}"
                ),
            ));
        }
        Ok(Args {
            dim,
            ws,
            epoch,
            min_count,
            neg,
            word_ngrams,
            loss,
            model,
            bucket,
            minn,
            maxn,
            lr_update_rate,
            t,
        })
    }

    pub(crate) fn write(&self, w: &mut Writer) {
        for v in [
            self.dim,
            self.ws,
            self.epoch,
            self.min_count,
            self.neg,
            self.word_ngrams,
            self.loss.code(),
            self.model,
            self.bucket,
            self.minn,
            self.maxn,
            self.lr_update_rate,
        ] {
            w.i32(v);
        }
        w.f64(self.t);
    }
}
