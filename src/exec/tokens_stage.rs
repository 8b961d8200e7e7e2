//! The output end: tokenize the kept documents, weight them, order them oldest → newest and write
//! token shards (Megatron indexed datasets) with a JSON summary.
//!
//! 1. `tokenize` (one task per unit, parallel): each document's tokens plus EOD go to
//!    `tokens/cache/part-UUUUU.tok` (u32, little-endian), with per-row offsets and the facts the
//!    plan needs (date, language, source, id, cluster size) in `part-UUUUU.rows`.
//! 2. `plan` (one task): token counts per language → weights (epochs or solved target shares) →
//!    copies per document → stream entries sorted by [`crate::order`] within a memory budget.
//! 3. `write` (same task): entries in order, tokens copied from the unit caches into shards of at
//!    most `shard_tokens` tokens: `tokens/part-NNNNN.bin/.idx`, and `tokens/summary.json`.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::extsort::Scratch;
use crate::order::{position, Entry, OrderConfig};
use crate::out::parquet::{read_docs, DocColumns};
use crate::out::{part_name, OutDir};
use crate::weight::{copies, WeightPlan, WeightsConfig};

/// Turns text into token ids (the tokenizer, seen from this stage).
pub trait Encoder: Send + Sync {
    /// Token ids of a text, without special tokens.
    fn encode(&self, text: &str) -> Vec<u32>;
    /// The end-of-document token appended after each document.
    fn eod(&self) -> u32;
}

/// Writes one output shard.
pub trait ShardSink {
    /// Append one document's tokens (EOD included).
    fn push(&mut self, tokens: &[u32]) -> io::Result<()>;
    /// Finish the shard atomically.
    fn finish(self: Box<Self>) -> io::Result<()>;
}

const ROWS_MAGIC: &[u8; 8] = b"TAMISTR\x01";

/// What the plan needs of one document.
#[derive(Debug, Clone, PartialEq)]
struct RowFacts {
    date: Option<i64>,
    lang: String,
    source: String,
    id: String,
    cluster_size: u32,
    offset: u64,
    tokens: u32,
}

fn write_str(w: &mut impl Write, s: &str) -> io::Result<()> {
    w.write_all(&(s.len() as u32).to_le_bytes())?;
    w.write_all(s.as_bytes())
}

fn read_u32(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn read_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn read_str(r: &mut impl Read, max: u64) -> io::Result<String> {
    let n = read_u32(r)? as u64;
    if n > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "string longer than the file",
        ));
    }
    let mut b = vec![0u8; n as usize];
    r.read_exact(&mut b)?;
    String::from_utf8(b)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "string is not UTF-8"))
}

/// Step 1 for one unit.
fn tokenize_unit(out: &OutDir, unit: usize, docs_dir: &str, enc: &dyn Encoder) -> io::Result<()> {
    let docs = out.path(format!("{docs_dir}/{}", part_name(unit, "parquet")));
    let mut tok = out.create_file(format!("tokens/cache/{}", part_name(unit, "tok")))?;
    let mut rows = out.create_file(format!("tokens/cache/{}", part_name(unit, "rows")))?;
    let mut facts = Vec::new();
    let mut offset: u64 = 0;
    {
        let mut tw = BufWriter::with_capacity(1 << 20, &mut tok);
        for doc in read_docs(&docs, DocColumns::All)? {
            let doc = doc?;
            let mut ids = enc.encode(&doc.text);
            ids.push(enc.eod());
            for t in &ids {
                tw.write_all(&t.to_le_bytes())?;
            }
            facts.push(RowFacts {
                date: doc.date,
                lang: doc.lang.unwrap_or_else(|| "und".into()),
                source: doc.source,
                id: doc.id,
                cluster_size: doc.cluster_size.unwrap_or(1),
                offset,
                tokens: ids.len() as u32,
            });
            offset += ids.len() as u64;
        }
        tw.flush()?;
    }
    tok.finish()?;
    write_rows(&mut rows, &facts)?;
    rows.finish()
}

fn write_rows(rows: &mut crate::out::AtomicFile, facts: &[RowFacts]) -> io::Result<()> {
    let mut w = BufWriter::new(rows);
    w.write_all(ROWS_MAGIC)?;
    w.write_all(&(facts.len() as u64).to_le_bytes())?;
    for f in facts {
        w.write_all(&f.date.unwrap_or(i64::MIN).to_le_bytes())?;
        w.write_all(&f.cluster_size.to_le_bytes())?;
        w.write_all(&f.offset.to_le_bytes())?;
        w.write_all(&f.tokens.to_le_bytes())?;
        write_str(&mut w, &f.lang)?;
        write_str(&mut w, &f.source)?;
        write_str(&mut w, &f.id)?;
    }
    w.flush()
}

/// The token cache of unit `unit` of `from`, less some documents, written into `to`: the tokens
/// of the rows where `keep` is true, copied (never re-tokenized), with offsets recomputed. `ids`
/// are the ids of the unit's document shard in order; the cache must hold exactly those rows,
/// else it does not belong to that shard and nothing is written.
pub fn filter_cache(
    from: &OutDir,
    to: &OutDir,
    unit: usize,
    ids: &[String],
    keep: &[bool],
) -> io::Result<()> {
    let rows_path = from.path(format!("tokens/cache/{}", part_name(unit, "rows")));
    let rows = read_rows(&rows_path)?;
    let aligned = rows.len() == ids.len() && rows.iter().zip(ids).all(|(r, id)| &r.id == id);
    if !aligned || keep.len() != ids.len() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: the token cache does not match docs/{} ({} cached rows, {} documents)",
                rows_path.display(),
                part_name(unit, "parquet"),
                rows.len(),
                ids.len()
            ),
        ));
    }
    let cache = File::open(from.path(format!("tokens/cache/{}", part_name(unit, "tok"))))?;
    let mut tok = to.create_file(format!("tokens/cache/{}", part_name(unit, "tok")))?;
    let mut kept = Vec::with_capacity(rows.len());
    let mut offset = 0u64;
    let mut buf = Vec::new();
    {
        let mut tw = BufWriter::with_capacity(1 << 20, &mut tok);
        for (r, _) in rows.into_iter().zip(keep).filter(|(_, k)| **k) {
            buf.resize(r.tokens as usize * 4, 0);
            cache.read_exact_at(&mut buf, r.offset * 4)?;
            tw.write_all(&buf)?;
            let tokens = r.tokens;
            kept.push(RowFacts { offset, ..r });
            offset += tokens as u64;
        }
        tw.flush()?;
    }
    tok.finish()?;
    let mut out_rows = to.create_file(format!("tokens/cache/{}", part_name(unit, "rows")))?;
    write_rows(&mut out_rows, &kept)?;
    out_rows.finish()
}

fn read_rows(path: &std::path::Path) -> io::Result<Vec<RowFacts>> {
    let len = std::fs::metadata(path)?.len();
    let mut r = BufReader::new(File::open(path)?);
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)?;
    if &magic != ROWS_MAGIC {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not a tamis token rows file", path.display()),
        ));
    }
    let n = read_u64(&mut r)?;
    if n > len / 24 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: row count larger than the file", path.display()),
        ));
    }
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let date = read_u64(&mut r)? as i64;
        let cluster_size = read_u32(&mut r)?;
        let offset = read_u64(&mut r)?;
        let tokens = read_u32(&mut r)?;
        let lang = read_str(&mut r, len)?;
        let source = read_str(&mut r, len)?;
        let id = read_str(&mut r, len)?;
        out.push(RowFacts {
            date: (date != i64::MIN).then_some(date),
            lang,
            source,
            id,
            cluster_size,
            offset,
            tokens,
        });
    }
    Ok(out)
}

/// What the token shards hold, written as `tokens/summary.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TokensSummary {
    /// Documents tokenized.
    pub documents: u64,
    /// Sequences written (documents × copies).
    pub sequences: u64,
    /// Tokens written (EOD included).
    pub tokens: u64,
    /// Documents left out: weight 0 or undated with `undated = "drop"`.
    pub left_out: u64,
    /// Output shards (prefixes relative to OUT).
    pub shards: Vec<String>,
    /// Tokens measured per language before weighting.
    pub measured_tokens_by_lang: BTreeMap<String, u64>,
    /// Tokens written per language.
    pub tokens_by_lang: BTreeMap<String, u64>,
    /// Tokens written per source.
    pub tokens_by_source: BTreeMap<String, u64>,
    /// The weights applied.
    pub plan: Option<WeightPlan>,
    /// With target shares: group → (target share, achieved share).
    pub targets: BTreeMap<String, (f64, f64)>,
}

/// `[tokens]` settings the stage needs besides the tokenizer.
#[derive(Debug, Clone)]
pub struct ShardingConfig {
    /// Largest shard, in tokens (a document never straddles two shards).
    pub shard_tokens: u64,
}

/// Opens an output shard at a prefix relative to OUT.
pub type MakeSink<'a> = &'a (dyn Fn(&str) -> io::Result<Box<dyn ShardSink>> + Sync);

/// Everything the stage needs.
pub struct TokensJob<'a> {
    /// Output directory.
    pub out: &'a OutDir,
    /// Number of document shards to read.
    pub units: usize,
    /// Their folder under OUT.
    pub docs_dir: &'a str,
    /// The tokenizer.
    pub enc: &'a dyn Encoder,
    /// Weights.
    pub weights: &'a WeightsConfig,
    /// Order.
    pub order: &'a OrderConfig,
    /// Shard sizes.
    pub sharding: &'a ShardingConfig,
    /// Shard writer factory.
    pub make_sink: MakeSink<'a>,
}

impl TokensJob<'_> {
    /// Step 1 for one unit (skipped when its marker exists).
    pub fn tokenize_unit(&self, u: usize) -> io::Result<()> {
        if self.out.is_done("tokens_tokenize", u) {
            return Ok(());
        }
        let t = std::time::Instant::now();
        tokenize_unit(self.out, u, self.docs_dir, self.enc)?;
        let meta = format!("{{\"seconds\": {}}}\n", t.elapsed().as_secs_f64());
        self.out.mark_done("tokens_tokenize", u, meta.as_bytes())
    }

    /// Steps 2 and 3 (one task; skipped when its marker exists).
    pub fn write(&self) -> io::Result<TokensSummary> {
        if self.out.is_done("tokens_write", 0) {
            let bytes = std::fs::read(self.out.path("tokens/summary.json"))?;
            return serde_json::from_slice(&bytes).map_err(io::Error::other);
        }
        write_shards(
            self.out,
            self.units,
            self.weights,
            self.order,
            self.sharding,
            self.make_sink,
        )
    }
}

/// Steps 2 and 3 from the token caches of `units` units already in `out` (written by
/// [`TokensJob::tokenize_unit`] or [`filter_cache`]): shards, `tokens/summary.json`, marker.
pub fn write_shards(
    out: &OutDir,
    units: usize,
    weights: &WeightsConfig,
    order: &OrderConfig,
    sharding: &ShardingConfig,
    make_sink: MakeSink<'_>,
) -> io::Result<TokensSummary> {
    let t = std::time::Instant::now();
    let summary = plan_and_write(out, units, weights, order, sharding, make_sink)?;
    out.write_file(
        "tokens/summary.json",
        &serde_json::to_vec_pretty(&summary).map_err(io::Error::other)?,
    )?;
    let meta = format!("{{\"seconds\": {}}}\n", t.elapsed().as_secs_f64());
    out.mark_done("tokens_write", 0, meta.as_bytes())?;
    Ok(summary)
}

/// Run the three steps.
pub fn run_tokens(job: &TokensJob<'_>) -> io::Result<TokensSummary> {
    (0..job.units)
        .into_par_iter()
        .try_for_each(|u| job.tokenize_unit(u))?;
    job.write()
}

fn plan_and_write(
    out: &OutDir,
    units: usize,
    weights: &WeightsConfig,
    order: &OrderConfig,
    sharding: &ShardingConfig,
    make_sink: &(dyn Fn(&str) -> io::Result<Box<dyn ShardSink>> + Sync),
) -> io::Result<TokensSummary> {
    let mut summary = TokensSummary::default();
    let mut first = i64::MAX;
    // Two passes over the units' rows, one unit in memory at a time: measure, then place. The
    // sort entries carry what writing needs (token count, cache offset, language and source as
    // indices into a small table), so memory is the sort's budget, not the corpus.
    let rows_of = |u: usize| read_rows(&out.path(format!("tokens/cache/{}", part_name(u, "rows"))));
    for u in 0..units {
        let rows = rows_of(u)?;
        for r in &rows {
            *summary
                .measured_tokens_by_lang
                .entry(r.lang.clone())
                .or_default() += r.tokens as u64;
            if let Some(d) = r.date {
                first = first.min(d);
            }
        }
        summary.documents += rows.len() as u64;
    }
    let plan = weights.plan(&summary.measured_tokens_by_lang);
    let scratch = Scratch::new(&out.path("tokens"), "order", order.max_memory_mb << 20)?;
    let mut sorter = scratch.sorter::<Entry>();
    let mut groups: Vec<(String, String)> = Vec::new();
    let mut group_index: std::collections::HashMap<(String, String), u32> = Default::default();
    for u in 0..units {
        for (row, r) in rows_of(u)?.into_iter().enumerate() {
            let w = plan.weight(Some(&r.lang), &r.source, Some(r.cluster_size));
            let n = copies(w, &r.id, plan.seed);
            let key = (r.lang, r.source);
            let group = match group_index.get(&key) {
                Some(&g) => g,
                None => {
                    let g = groups.len() as u32;
                    groups.push(key.clone());
                    group_index.insert(key, g);
                    g
                }
            };
            let mut placed = 0;
            for k in 0..n {
                if let Some((key, tie)) = position(r.date, &r.id, k, n, first, order.undated) {
                    sorter.push(Entry {
                        key,
                        tie,
                        id: r.id.clone(),
                        copy: k,
                        unit: u as u32,
                        row: row as u32,
                        tokens: r.tokens,
                        offset: r.offset,
                        group,
                    })?;
                    placed += 1;
                }
            }
            if placed == 0 {
                summary.left_out += 1;
            }
        }
    }
    let caches: Vec<File> = (0..units)
        .map(|u| File::open(out.path(format!("tokens/cache/{}", part_name(u, "tok")))))
        .collect::<io::Result<_>>()?;
    let mut sink: Option<Box<dyn ShardSink>> = None;
    let mut in_shard: u64 = 0;
    let mut buf: Vec<u8> = Vec::new();
    let mut ids: Vec<u32> = Vec::new();
    for e in sorter.finish()? {
        let e = e?;
        let (lang, source) = &groups[e.group as usize];
        let n = e.tokens as u64;
        if sink.is_none() || (in_shard > 0 && in_shard + n > sharding.shard_tokens) {
            if let Some(s) = sink.take() {
                s.finish()?;
            }
            let prefix = format!("tokens/part-{:05}", summary.shards.len());
            sink = Some(make_sink(&prefix)?);
            summary.shards.push(prefix);
            in_shard = 0;
        }
        buf.resize(n as usize * 4, 0);
        caches[e.unit as usize].read_exact_at(&mut buf, e.offset * 4)?;
        ids.clear();
        ids.extend(
            buf.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
        if let Some(s) = sink.as_mut() {
            s.push(&ids)?;
        }
        in_shard += n;
        summary.sequences += 1;
        summary.tokens += n;
        *summary.tokens_by_lang.entry(lang.clone()).or_default() += n;
        *summary.tokens_by_source.entry(source.clone()).or_default() += n;
    }
    if let Some(s) = sink.take() {
        s.finish()?;
    }
    for g in &plan.groups {
        let got: u64 = summary
            .tokens_by_lang
            .iter()
            .filter(|(l, _)| {
                g.members
                    .iter()
                    .any(|m| m == *l || (m == "code" && l.starts_with("code_")))
            })
            .map(|(_, t)| t)
            .sum();
        let achieved = if summary.tokens == 0 {
            0.0
        } else {
            got as f64 / summary.tokens as f64
        };
        summary
            .targets
            .insert(g.name.clone(), (g.target_share, achieved));
    }
    summary.plan = Some(plan);
    Ok(summary)
}

impl Encoder for crate::tokenize::Tokenizer {
    fn encode(&self, text: &str) -> Vec<u32> {
        crate::tokenize::Tokenizer::encode(self, text)
    }

    fn eod(&self) -> u32 {
        self.eod_id()
    }
}

impl ShardSink for crate::tokenize::MegatronWriter {
    fn push(&mut self, tokens: &[u32]) -> io::Result<()> {
        crate::tokenize::MegatronWriter::push(self, tokens).map_err(Into::into)
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        crate::tokenize::MegatronWriter::finish(*self)
            .map(|_| ())
            .map_err(Into::into)
    }
}
