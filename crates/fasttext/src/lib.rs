//! fastText supervised-model inference that gives the C++ reference's answers, fast.
//!
//! Loads `.bin` (dense) and `.ftz` (product-quantized, optionally norm-quantized, pruned
//! dictionary, optionally quantized output) models written by fastText 0.9 (format versions 11
//! and 12), and predicts labels with the model's own loss: hierarchical softmax (`hs`, e.g.
//! lid.176), `softmax`, one-vs-all (`ova`) and negative sampling (`ns`).
//!
//! ```no_run
//! use tamis_fasttext::{Model, Scratch};
//!
//! let model = Model::load("lid.176.ftz")?;
//! let top = model.predict("Bonjour tout le monde", 1, 0.0);
//! assert_eq!(top[0].label, "__label__fr");
//!
//! // Hot loop: one Scratch per thread, the Model shared by reference.
//! let mut scratch = Scratch::new();
//! let mut out = Vec::new();
//! for text in ["Guten Tag", "Good morning"] {
//!     model.predict_into(text, 3, 0.0, &mut scratch, &mut out);
//! }
//! # Ok::<(), tamis_fasttext::Error>(())
//! ```
//!
//! # Input convention
//!
//! A text is one document, as in datatrove / FineWeb:
//! - it is split into tokens on the reference's `readWord` separators only: space, `\t`, `\n`,
//!   `\r`, `\v`, `\f` and NUL (bytes, not Unicode: NBSP or the ideographic space stay inside
//!   words). Newlines are therefore ordinary separators, and the whole text gives **one**
//!   prediction (the C++ CLI would instead make one prediction per line);
//! - **one** end-of-sentence token `</s>` is appended, as both reference front ends do (the CLI
//!   through the line's `\n`, Python's `predict` by appending `\n`). A literal `</s>` token in
//!   the text ends the text there, as it does in the reference;
//! - tokens equal to a label of the model, and unknown tokens starting with `__label__`, are
//!   ignored;
//! - an empty text, or one whose tokens all lack rows, is predicted from `</s>` alone (for
//!   lid.176: `__label__en` with probability ≈ 0.12450). If even `</s>` has no row the result
//!   is empty, as in the reference.
//!
//! # Exactness
//!
//! Token and n-gram hashing, dictionary lookup, the Huffman tree, the tree search, the sigmoid
//! table, the top-k heap (ties included) and the float/double mix of the reference are
//! reproduced. The hidden vector is summed per word (in-vocabulary words use a table built at
//! load, others a per-thread cache) rather than row by row, and dot products use several
//! partial sums; both change only the last bits of a probability (measured against lid.176's
//! oracle: |Δp| ≤ 1e-6), which can reorder labels only where the reference itself has a
//! near-tie.
//!
//! # Speed
//!
//! See `examples/bench.rs` (single core, lid.176, UDHR text in 109 languages, C++ CLI load time
//! subtracted): about 10× the C++ CLI on texts of at most 200 bytes, 20× on ~1 KB texts and 23×
//! on ~8 KB texts with a warm word cache (`BENCHMARKS.md`, "Language ID", for one cold pass and
//! for `tamis lid` against the CLI). What makes the difference:
//! - each word's summed rows come from a per-thread cache ([`Scratch`]: an arena filled in
//!   arrival order, so a short run touches only the pages its words need, CLOCK replacement),
//!   else from a table of all dictionary words built at load, else are computed from its
//!   n-grams;
//! - n-gram hashes are extended byte by byte, without allocating, and reduced modulo `bucket`
//!   without a division;
//! - for a pruned model, a word's n-gram ids are mapped to rows in a batch through a bitset with
//!   a rank directory (branch-free compaction, so cache misses overlap), and the rows are summed
//!   in registers;
//! - quantized rows are decoded on the fly from their 8-byte codes (400 KB for lid.176, which
//!   stays in L2; decoding the matrix to 3.2 MB of floats at load was no faster);
//! - with hierarchical softmax and k = 1 the tree is searched best-first (about 5 nodes instead
//!   of 13 on lid.176), and the answer kept only where it provably is the reference's (else the
//!   reference's depth-first search runs: ~10% of texts); that search skips a child's `log`
//!   when even the largest one would be pruned.
//!
//! What remains is mostly memory latency: the cache's index and entry on a hit, the n-grams of
//! words not yet cached, and the `exp` and `log`s of the tree search.
//!
//! # Training
//!
//! [`train()`] fits a supervised model (softmax, `hs` or `ova`; word and character n-grams;
//! linearly decaying SGD like the reference) on one thread, deterministically for a seed, and
//! returns a `.bin` the reference CLI loads. See the [`train`](mod@train) module.

mod args;
mod cache;
mod dictionary;
mod error;
mod heap;
mod loss;
mod matrix;
mod model;
mod reader;
pub mod train;

pub use args::{Args, LossName};
pub use dictionary::{hash, EOS, LABEL_PREFIX};
pub use error::Error;
pub use model::{Model, Prediction, Scratch, MAGIC, VERSION};
pub use train::{train, TrainOptions, Trained};
