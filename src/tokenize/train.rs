//! Training a byte-level BPE tokenizer on a language-balanced sample of the corpus, as BLOOM
//! and Lucie did.
//!
//! **Sampling.** Documents are grouped by language (`Doc::lang`, else a `lang`, `source_lang` or
//! `language` metadata field, as our own shards and the FineWeb-style presets carry it) and,
//! for documents without one, by source. Each group contributes at most
//! [`TrainConfig::max_bytes_per_group`] bytes: the documents with the smallest seeded hash of
//! their id, in hash order, until the cap is reached (the last one cut at a character
//! boundary). Small languages give everything they have; large ones a uniform random sample
//! of the cap's size, so no language drowns the others. The sample is a pure function of the
//! set of documents and the seed: input order, file count and thread count do not change it,
//! and memory is bounded by the cap times the number of groups.
//!
//! **Model.** BPE over bytes: the pre-tokenizer splits with the o200k pattern (letters keep
//! their combining marks, so Indic and other abugida words are not cut at every vowel sign as
//! GPT-2's pattern does), then maps bytes to printable characters (byte-level, all 256 bytes
//! in the initial alphabet: every text is encodable and `decode(encode(x)) == x`). No
//! normalizer. Merges are chosen by count with ties broken by the pair's ids, so the trained
//! `tokenizer.json` is byte-identical for the same sample.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap};

use serde::{Deserialize, Serialize};
use tokenizers::decoders::DecoderWrapper;
use tokenizers::models::bpe::{BpeTrainerBuilder, BPE};
use tokenizers::normalizers::NormalizerWrapper;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::split::Split;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::{AddedToken, SplitDelimiterBehavior, TokenizerBuilder};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::doc::Doc;

/// The pre-tokenizer's split pattern: o200k's (GPT-4o), which keeps combining marks inside
/// words and numbers in groups of at most three digits.
pub const SPLIT_PATTERN: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Errors of sampling and training.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A setting is out of range.
    #[error("{option}: {message}")]
    Config {
        /// The option at fault (`vocab_size`).
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// The sample is empty: no document had text.
    #[error("no text to train on: the inputs gave no document with text")]
    EmptySample,
    /// The trainer failed.
    #[error("BPE training failed: {0}")]
    Trainer(String),
}

/// Settings of `tamis tokenizer train`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Vocabulary size, special tokens and the 256 byte symbols included.
    pub vocab_size: u32,
    /// A merge needs a pair seen at least this many times.
    pub min_frequency: u64,
    /// Special tokens, given the first ids in this order. The end-of-document token the shards
    /// use is found among them (`<|endoftext|>` or `</s>`).
    pub special_tokens: Vec<String>,
    /// Bytes of text taken at most from each language (or source, for documents without a
    /// language).
    pub max_bytes_per_group: u64,
    /// Seed of the sampling hash.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            vocab_size: 32_000,
            min_frequency: 2,
            special_tokens: vec!["<|endoftext|>".into()],
            max_bytes_per_group: 32 << 20,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// Every problem of the settings.
    pub fn problems(&self) -> Vec<TrainError> {
        let mut p = Vec::new();
        let min_vocab = 256 + self.special_tokens.len() as u32;
        if self.vocab_size < min_vocab {
            p.push(TrainError::Config {
                option: "vocab_size",
                message: format!(
                    "{} is smaller than the 256 byte symbols plus {} special tokens",
                    self.vocab_size,
                    self.special_tokens.len()
                ),
            });
        }
        if self.max_bytes_per_group == 0 {
            p.push(TrainError::Config {
                option: "max_bytes_per_group",
                message: "must be positive".into(),
            });
        }
        if let Some(t) = self.special_tokens.iter().find(|t| t.is_empty()) {
            p.push(TrainError::Config {
                option: "special_tokens",
                message: format!("empty special token {t:?}"),
            });
        }
        p
    }
}

/// The language of a document: `Doc::lang` (set by language ID), else a `lang`, `source_lang`
/// or `language` string in its metadata (our own shards read as input, FineWeb-style files),
/// normalised to the canonical tag when known.
pub fn doc_language(doc: &Doc) -> Option<String> {
    let raw = doc.lang.clone().or_else(|| {
        ["lang", "source_lang", "language"]
            .iter()
            .find_map(|k| doc.metadata.get(*k).and_then(|v| v.as_str()))
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    })?;
    Some(crate::lang::canonical(&raw).unwrap_or(raw))
}

/// The balancing group of a document: its language, else `source=NAME` (the source recorded in
/// our own shards when read back as input, else the input's source).
pub fn balance_key(doc: &Doc) -> String {
    if let Some(l) = doc_language(doc) {
        return l;
    }
    let source = doc
        .metadata
        .get("original_source")
        .and_then(|v| v.as_str())
        .unwrap_or(&doc.source);
    format!("source={source}")
}

#[derive(Debug, PartialEq, Eq)]
struct Entry {
    hash: u64,
    id: String,
    text: String,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.hash, &self.id, &self.text).cmp(&(other.hash, &other.id, &other.text))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Default)]
struct Group {
    /// Max-heap by (hash, id): the kept documents.
    kept: BinaryHeap<Entry>,
    kept_bytes: u64,
    seen_docs: u64,
    seen_bytes: u64,
}

/// A bounded, order-independent, per-group sample of documents (see the module documentation).
#[derive(Debug)]
pub struct BalancedSampler {
    cap: u64,
    seed: u64,
    groups: BTreeMap<String, Group>,
}

impl BalancedSampler {
    /// A sampler keeping at most `max_bytes_per_group` bytes per group.
    pub fn new(max_bytes_per_group: u64, seed: u64) -> BalancedSampler {
        BalancedSampler {
            cap: max_bytes_per_group.max(1),
            seed,
            groups: BTreeMap::new(),
        }
    }

    /// Offer a document (grouped by [`balance_key`]).
    pub fn add_doc(&mut self, doc: &Doc) {
        self.add(&balance_key(doc), &doc.id, &doc.text);
    }

    /// Offer a text of `group` with a stable `id`.
    pub fn add(&mut self, group: &str, id: &str, text: &str) {
        let g = match self.groups.get_mut(group) {
            Some(g) => g,
            None => self.groups.entry(group.to_string()).or_default(),
        };
        g.seen_docs += 1;
        g.seen_bytes += text.len() as u64;
        let hash = xxh3_64_with_seed(id.as_bytes(), self.seed);
        Self::offer(g, self.cap, hash, id, text);
    }

    fn offer(g: &mut Group, cap: u64, hash: u64, id: &str, text: &str) {
        if text.is_empty() {
            return;
        }
        // Cheap rejection: the kept prefix already reaches the cap without its last document
        // and this one would come after that last one.
        if let Some(top) = g.kept.peek() {
            let without_top = g.kept_bytes - top.text.len() as u64;
            if without_top >= cap && (hash, id) > (top.hash, top.id.as_str()) {
                return;
            }
        }
        g.kept.push(Entry {
            hash,
            id: id.to_string(),
            text: text.to_string(),
        });
        g.kept_bytes += text.len() as u64;
        // Keep the shortest hash-order prefix that reaches the cap.
        while let Some(top) = g.kept.peek() {
            let len = top.text.len() as u64;
            if g.kept_bytes - len >= cap {
                g.kept_bytes -= len;
                g.kept.pop();
            } else {
                break;
            }
        }
    }

    /// Fold another sampler (of the same cap and seed, e.g. one per input file) into this one.
    pub fn merge(&mut self, other: BalancedSampler) {
        for (key, og) in other.groups {
            let g = self.groups.entry(key).or_default();
            g.seen_docs += og.seen_docs;
            g.seen_bytes += og.seen_bytes;
            for e in og.kept {
                Self::offer(g, self.cap, e.hash, &e.id, &e.text);
            }
        }
    }

    /// The sample: groups in key order, documents in hash order, the last one cut so that a
    /// group holds at most the cap.
    pub fn finish(self) -> Sample {
        let cap = self.cap;
        let groups = self
            .groups
            .into_iter()
            .map(|(key, g)| {
                let mut texts: Vec<String> = g
                    .kept
                    .into_sorted_vec()
                    .into_iter()
                    .map(|e| e.text)
                    .collect();
                let mut bytes = 0u64;
                for t in &mut texts {
                    let room = cap.saturating_sub(bytes) as usize;
                    if t.len() > room {
                        let mut cut = room;
                        while !t.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        t.truncate(cut);
                    }
                    bytes += t.len() as u64;
                }
                texts.retain(|t| !t.is_empty());
                GroupSample {
                    key,
                    texts,
                    bytes,
                    available_docs: g.seen_docs,
                    available_bytes: g.seen_bytes,
                }
            })
            .collect();
        Sample { groups }
    }
}

/// What one group contributed.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSample {
    /// Language tag, or `source=NAME`.
    pub key: String,
    /// The sampled texts, in hash order.
    pub texts: Vec<String>,
    /// Their bytes.
    pub bytes: u64,
    /// Documents the group had.
    pub available_docs: u64,
    /// Bytes the group had.
    pub available_bytes: u64,
}

/// A training sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Per group, in key order.
    pub groups: Vec<GroupSample>,
}

impl Sample {
    /// Every text, group by group.
    pub fn texts(&self) -> impl Iterator<Item = &str> + Send {
        self.groups
            .iter()
            .flat_map(|g| g.texts.iter().map(String::as_str))
    }

    /// Total bytes.
    pub fn bytes(&self) -> u64 {
        self.groups.iter().map(|g| g.bytes).sum()
    }

    /// A Markdown table of what each group gave.
    pub fn markdown(&self) -> String {
        let mut s = String::from(
            "| group | documents | bytes available | bytes sampled | share |\n|---|---:|---:|---:|---:|\n",
        );
        let total = self.bytes().max(1) as f64;
        for g in &self.groups {
            s += &format!(
                "| {} | {} | {} | {} | {:.1} % |\n",
                g.key,
                g.available_docs,
                g.available_bytes,
                g.bytes,
                100.0 * g.bytes as f64 / total
            );
        }
        s
    }
}

/// Train a byte-level BPE tokenizer on a sample; returns the `tokenizer.json` text (compact
/// JSON), byte-identical for the same sample and settings.
pub fn train_bpe(sample: &Sample, cfg: &TrainConfig) -> Result<String, TrainError> {
    if let Some(p) = cfg.problems().into_iter().next() {
        return Err(p);
    }
    if sample.bytes() == 0 {
        return Err(TrainError::EmptySample);
    }
    let err = |e: tokenizers::Error| TrainError::Trainer(e.to_string());
    let mut trainer = BpeTrainerBuilder::new()
        .show_progress(false)
        .vocab_size(cfg.vocab_size as usize)
        .min_frequency(cfg.min_frequency)
        .special_tokens(
            cfg.special_tokens
                .iter()
                .map(|t| AddedToken::from(t.clone(), true))
                .collect(),
        )
        .initial_alphabet(ByteLevel::alphabet().into_iter().collect())
        .build();
    let split = Split::new(
        tokenizers::pre_tokenizers::split::SplitPattern::Regex(SPLIT_PATTERN.into()),
        SplitDelimiterBehavior::Removed,
        true,
    )
    .map_err(err)?;
    let pre = Sequence::new(vec![
        PreTokenizerWrapper::Split(split),
        PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, false)),
    ]);
    let mut tok = TokenizerBuilder::<
        BPE,
        NormalizerWrapper,
        PreTokenizerWrapper,
        PostProcessorWrapper,
        DecoderWrapper,
    >::new()
    .with_model(BPE::default())
    .with_normalizer(None)
    .with_pre_tokenizer(Some(PreTokenizerWrapper::Sequence(pre)))
    .with_post_processor(None)
    .with_decoder(Some(DecoderWrapper::ByteLevel(ByteLevel::default())))
    .build()
    .map_err(err)?;
    tok.train(&mut trainer, sample.texts()).map_err(err)?;
    let tok: tokenizers::Tokenizer = tok.into();
    tok.to_string(false).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenize::test_support::udhr_lines;
    use crate::tokenize::Tokenizer;

    const LANGS: [(&str, &str); 10] = [
        ("en", "eng_Latn"),
        ("fr", "fra_Latn"),
        ("zh-Hans", "zho_Hans"),
        ("ar", "arb_Arab"),
        ("hi", "hin_Deva"),
        ("yo", "yor_Latn"),
        ("sw", "swh_Latn"),
        ("ta", "tam_Taml"),
        ("vi", "vie_Latn"),
        ("bn", "ben_Beng"),
    ];

    fn udhr_docs() -> Vec<Doc> {
        let mut docs = Vec::new();
        for (code, tag) in LANGS {
            for (i, line) in udhr_lines(code).into_iter().enumerate() {
                docs.push(Doc {
                    id: format!("udhr/{code}#{i}"),
                    text: line,
                    source: "udhr".into(),
                    lang: Some(tag.into()),
                    ..Doc::default()
                });
            }
        }
        docs
    }

    fn sample_of(docs: &[Doc], cap: u64) -> Sample {
        let mut s = BalancedSampler::new(cap, 7);
        for d in docs {
            s.add_doc(d);
        }
        s.finish()
    }

    #[test]
    fn sample_is_capped_per_language_and_order_free() {
        let docs = udhr_docs();
        let cap = 6_000;
        let a = sample_of(&docs, cap);
        assert_eq!(a.groups.len(), 10);
        for g in &a.groups {
            if g.available_bytes <= cap {
                assert_eq!(
                    g.bytes, g.available_bytes,
                    "{}: small groups give all",
                    g.key
                );
            } else {
                // Cut at a character boundary: at most 3 bytes short.
                assert!(
                    g.bytes <= cap && g.bytes + 3 >= cap,
                    "{}: {}",
                    g.key,
                    g.bytes
                );
            }
        }
        // zho_Hans has ~5 KB of UTF-8: all of it; eng_Latn ~6.5 KB: capped.
        let zh = a.groups.iter().find(|g| g.key == "zho_Hans").unwrap();
        assert!(zh.available_bytes < cap && zh.bytes == zh.available_bytes);

        // Reversed input, and two samplers merged: the same sample.
        let mut rev = docs.clone();
        rev.reverse();
        assert_eq!(sample_of(&rev, cap), a);
        let (x, y) = docs.split_at(docs.len() / 3);
        let mut s1 = BalancedSampler::new(cap, 7);
        y.iter().for_each(|d| s1.add_doc(d));
        let mut s2 = BalancedSampler::new(cap, 7);
        x.iter().for_each(|d| s2.add_doc(d));
        s1.merge(s2);
        assert_eq!(s1.finish(), a);
        // Another seed, another sample of the capped groups.
        let mut s3 = BalancedSampler::new(cap, 8);
        docs.iter().for_each(|d| s3.add_doc(d));
        assert_ne!(s3.finish(), a);
    }

    #[test]
    fn balance_key_falls_back_to_metadata_then_source() {
        let mut d = Doc {
            source: "cc".into(),
            ..Doc::default()
        };
        assert_eq!(balance_key(&d), "source=cc");
        d.metadata
            .insert("original_source".into(), "wikipedia-fr".into());
        assert_eq!(balance_key(&d), "source=wikipedia-fr");
        d.metadata.insert("source_lang".into(), "fr".into());
        assert_eq!(balance_key(&d), "fra_Latn");
        d.lang = Some("deu_Latn".into());
        assert_eq!(balance_key(&d), "deu_Latn");
    }

    #[test]
    fn trains_a_deterministic_round_tripping_tokenizer_on_udhr() {
        let docs = udhr_docs();
        let cfg = TrainConfig {
            vocab_size: 2_000,
            max_bytes_per_group: 8_000,
            ..TrainConfig::default()
        };
        let sample = sample_of(&docs, cfg.max_bytes_per_group);
        let json = train_bpe(&sample, &cfg).unwrap();
        // Same sample from reversed input, trained on one and on two threads: identical bytes.
        let mut rev = docs.clone();
        rev.reverse();
        let sample2 = sample_of(&rev, cfg.max_bytes_per_group);
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let again = pool.install(|| train_bpe(&sample2, &cfg)).unwrap();
            assert!(
                again == json,
                "training is not deterministic ({threads} threads)"
            );
        }

        let tok = Tokenizer::from_hf_json(json.as_bytes(), "trained", None).unwrap();
        assert_eq!(tok.vocab_size(), 2_000);
        assert_eq!((tok.eod_id(), tok.eod_token()), (0, "<|endoftext|>"));
        // Round trip on every UDHR line of the training languages and of unseen ones.
        for code in [
            "en", "fr", "zh-Hans", "ar", "hi", "yo", "ta", "bn", "ja", "am", "ru", "th",
        ] {
            for line in udhr_lines(code) {
                let ids = tok.encode(&line);
                assert!(ids.iter().all(|&i| i < tok.vocab_size()));
                assert_eq!(tok.decode(&ids).unwrap(), line, "{code}");
            }
        }
        for text in [
            "",
            " ",
            "  leading and trailing  ",
            "tab\tand\r\nnewlines\n\n",
            "emoji 🦀🏳️‍🌈",
            "<|endoftext|> inside",
        ] {
            let ids = tok.encode(text);
            assert!(!ids.contains(&tok.eod_id()));
            assert_eq!(tok.decode(&ids).unwrap(), text);
        }
        // It learned something: French UDHR takes far fewer tokens than bytes.
        let fr: String = udhr_lines("fr").join("\n");
        let n = tok.encode(&fr).len();
        assert!(n * 5 < fr.len() * 2, "{n} tokens for {} bytes", fr.len());
    }

    #[test]
    fn config_problems_name_the_option() {
        let cfg = TrainConfig {
            vocab_size: 100,
            max_bytes_per_group: 0,
            ..TrainConfig::default()
        };
        let p: Vec<String> = cfg.problems().iter().map(|e| e.to_string()).collect();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].starts_with("vocab_size: 100 is smaller"));
        assert!(p[1].starts_with("max_bytes_per_group:"));
        let empty = Sample { groups: vec![] };
        assert!(matches!(
            train_bpe(&empty, &TrainConfig::default()),
            Err(TrainError::EmptySample)
        ));
    }
}
