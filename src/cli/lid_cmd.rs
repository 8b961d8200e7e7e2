//! `tamis lid`: label JSONL documents with their language.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use rayon::prelude::*;
use serde_json::Value;
use sha2::Digest;
use std::borrow::Cow;

use super::lid_json::TextAt;
use crate::filter::lid::Identifier;

/// Label JSON-lines documents with their language: reads documents with a text field on stdin,
/// writes them back on stdout with `lang` (canonical tag, e.g. fra_Latn), `lang_label` (the
/// model's own top-1 label, e.g. __label__fr) and `lang_score` (its probability) added.
///
/// Input convention (as datatrove/FineWeb, and as the C++ reference gives when fed one line):
/// the whole text is one input; newlines and other fastText separators (space, tab, CR, VT, FF,
/// NUL) split words; one end-of-sentence token </s> is appended; an empty text, or one whose
/// words are all unknown to the model, is predicted from </s> alone (lid.176: __label__en,
/// 0.12450). Probabilities are the reference's, hierarchical-softmax quirks included (they may
/// exceed 1 by ~1e-4; 1e-5 is their floor).
///
/// With --model, that model is used alone: no supplementary model, no thresholds. Lines that
/// are not JSON objects with a string text field are reported on stderr and left out; the exit
/// code is then 1.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct LidArgs {
    #[command(subcommand)]
    command: Option<LidCommand>,
    /// fastText model (.bin or .ftz); default assets/models/lid.176.ftz from set-up.
    #[arg(long, value_name = "PATH")]
    pub model: Option<PathBuf>,
    /// Supplementary model (from `tamis lid train`), used only without --model.
    #[arg(long, value_name = "PATH")]
    pub supplement: Option<PathBuf>,
    /// Also write the K best labels as `lang_top_k`: [[label, prob], …].
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub top_k: usize,
    /// The JSON field holding the text.
    #[arg(long, default_value = "text")]
    pub field: String,
    /// Worker threads (0 = all cores).
    #[arg(long, short = 'j', default_value_t = 0)]
    pub threads: usize,
}

#[derive(Debug, Subcommand)]
enum LidCommand {
    Train(TrainArgs),
}

/// Train a supplementary language-ID model from a recipe (folders of per-language text, an
/// `other` class, fastText options) and report per-language accuracy on held-out text, for the
/// main model alone and combined with the supplement. Deterministic: the same recipe and text
/// give the same model bytes (checked against the recipe's expect_sha256 when set).
#[derive(Debug, Args)]
struct TrainArgs {
    /// The recipe (TOML), e.g. lists/lid_supplement.toml.
    recipe: PathBuf,
    /// Where to write the model (.bin).
    #[arg(long, short = 'o', value_name = "PATH")]
    out: PathBuf,
    /// Write the held-out accuracy table (Markdown) here.
    #[arg(long, value_name = "PATH")]
    report: Option<PathBuf>,
}

/// Most lines per batch.
const BATCH_LINES: usize = 4096;
/// Input buffer.
const IN_BUFFER_BYTES: usize = 64 << 10;
/// A chunk's output buffer is kept for the next batch up to this capacity.
const KEEP_CHUNK_BYTES: usize = 1 << 20;
/// Lines per parallel work item: one output buffer each, so short texts do not pay for an
/// allocation per line.
const CHUNK_LINES: usize = 64;

/// The output of a chunk of lines, and the errors of its bad lines (index in the chunk).
type LabelledChunk = (Vec<u8>, Vec<(usize, String)>);

/// `tamis lid`.
pub fn run(args: LidArgs) -> anyhow::Result<ExitCode> {
    if let Some(c) = args.command {
        return match c {
            LidCommand::Train(t) => train(t),
        };
    }
    let (model, supplement) = match &args.model {
        Some(m) => (m.clone(), None),
        None => (
            crate::filter::assets_dir().join("models/lid.176.ftz"),
            args.supplement.clone(),
        ),
    };
    let id = Identifier::load(&model, supplement.as_deref(), 0.5)
        .map_err(anyhow::Error::msg)
        .context("loading the language-ID model")?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build()?;
    let stdin = std::io::stdin();
    // Larger reads than stdin's own 8 KiB buffer (which a larger read bypasses).
    let mut input = std::io::BufReader::with_capacity(IN_BUFFER_BYTES, stdin.lock());
    let stdout = std::io::stdout();
    // Not buffered again: each chunk's output is whole lines, which stdout's line writer
    // passes straight to the file (a copy less).
    let mut out = stdout.lock();
    let mut line_no = 0usize;
    let mut bad = 0usize;
    // Enough lines per batch for every thread to get several chunks, few enough that a short
    // run does not touch (page-fault) megabytes of buffers it hardly needs.
    let batch_lines = (CHUNK_LINES * 16 * pool.current_num_threads()).clamp(1024, BATCH_LINES);
    // One buffer of whole lines per batch; lines are ranges into it.
    let mut batch: Vec<u8> = Vec::new();
    let mut lines: Vec<std::ops::Range<usize>> = Vec::with_capacity(batch_lines);
    // The output of each chunk of a batch, kept from batch to batch with its capacity.
    let mut chunks: Vec<LabelledChunk> = Vec::new();
    loop {
        batch.clear();
        lines.clear();
        while lines.len() < batch_lines {
            let start = batch.len();
            if input.read_until(b'\n', &mut batch)? == 0 {
                break;
            }
            lines.push(start..batch.len());
        }
        if lines.is_empty() {
            break;
        }
        let n = lines.len().div_ceil(CHUNK_LINES);
        if chunks.len() < n {
            chunks.resize_with(n, Default::default);
        }
        pool.install(|| {
            chunks[..n]
                .par_iter_mut()
                .zip(lines.par_chunks(CHUNK_LINES))
                .for_each_init(String::new, |decoded, ((text, errors), chunk)| {
                    text.clear();
                    errors.clear();
                    text.reserve(chunk.iter().map(|r| r.len() + 80).sum());
                    for (i, r) in chunk.iter().enumerate() {
                        let line = &batch[r.clone()];
                        let result = std::str::from_utf8(line)
                            .map_err(|e| format!("not UTF-8: {e}"))
                            .and_then(|line| label_line(&id, line, &args, text, decoded));
                        match result {
                            Ok(()) => text.push(b'\n'),
                            Err(e) if e.is_empty() => {} // blank line
                            Err(e) => errors.push((i, e)),
                        }
                    }
                })
        });
        for (c, (text, errors)) in chunks[..n].iter_mut().enumerate() {
            out.write_all(text)?;
            if text.capacity() > KEEP_CHUNK_BYTES {
                *text = Vec::new(); // the output of huge lines is not kept for the next batch
            }
            for (i, e) in errors.drain(..) {
                bad += 1;
                eprintln!("tamis lid: line {}: {e}", line_no + c * CHUNK_LINES + i + 1);
            }
        }
        line_no += lines.len();
    }
    out.flush()?;
    Ok(if bad > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Fields `tamis lid` writes, in the order it writes them.
const OUTPUT_FIELDS: [&str; 4] = ["lang", "lang_label", "lang_score", "lang_top_k"];

/// What `label_line` needs of an input object, found in one pass without building it: the text
/// field if it is a string (its last occurrence, as a map would keep; borrowed from the line
/// unless it has escapes), the number of fields, and whether some of our fields are there
/// already.
struct Scanned<'a> {
    text: Option<Cow<'a, str>>,
    fields: usize,
    has_ours: bool,
}

struct ScanVisitor<'f>(&'f str);

impl<'de> serde::de::Visitor<'de> for ScanVisitor<'_> {
    type Value = Scanned<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Scanned<'de>, A::Error> {
        let mut s = Scanned {
            text: None,
            fields: 0,
            has_ours: false,
        };
        while let Some(key) = map.next_key::<Text<'de>>()? {
            s.fields += 1;
            match key.0 {
                Some(k) if k == self.0 => s.text = map.next_value::<Text<'de>>()?.0,
                Some(k) => {
                    s.has_ours |= OUTPUT_FIELDS.contains(&k.as_ref());
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(s)
    }
}

/// A JSON value that is kept if it is a string (borrowed unless it has escapes) and skipped
/// otherwise.
struct Text<'a>(Option<Cow<'a, str>>);

impl<'de> serde::Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess};
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Some(Cow::Owned(v))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_unit<E>(self) -> Result<Text<'de>, E> {
                Ok(Text(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Text<'de>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text<'de>, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Text(None))
            }
        }
        d.deserialize_any(V)
    }
}

fn scan<'a>(line: &'a str, field: &str) -> serde_json::Result<Scanned<'a>> {
    use serde::Deserializer;
    let mut de = serde_json::Deserializer::from_str(line);
    let s = (&mut de).deserialize_map(ScanVisitor(field))?;
    de.end()?;
    Ok(s)
}

/// Append the labelled line (without its newline) to `out`; `Err("")` for a blank line.
/// `decoded` is reused from line to line for a text with escapes.
fn label_line(
    id: &Identifier,
    line: &str,
    args: &LidArgs,
    out: &mut Vec<u8>,
    decoded: &mut String,
) -> Result<(), String> {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() {
        return Err(String::new());
    }
    if args.top_k == 0 && args.model.is_some() {
        if let Some(s) = super::lid_json::scan(line, &args.field, &OUTPUT_FIELDS, decoded) {
            if !s.has_ours {
                let text = match s.text {
                    TextAt::Line(r) => &line[r],
                    TextAt::Buffer => decoded.as_str(),
                    TextAt::Absent => return Err(format!("no string field {:?}", args.field)),
                };
                let (tag, label, prob) = id
                    .identify_main_ref(text)
                    .ok_or("the model gave no label")?;
                append_fields(out, line, s.fields, tag, label, prob);
                return Ok(());
            }
        }
    }
    let fields = scan(line, &args.field).map_err(|e| {
        if line.trim_start().starts_with('{') {
            format!("not JSON: {e}")
        } else {
            "not a JSON object".to_string()
        }
    })?;
    let text = fields
        .text
        .ok_or_else(|| format!("no string field {:?}", args.field))?;
    let guess = if args.model.is_some() && args.top_k == 0 {
        id.identify_main(&text).map(|g| (None, g))
    } else if args.model.is_some() {
        let p = id.main().predict(&text, args.top_k, 0.0);
        p.first()
            .map(|x| (Some(top_k(&p)), id.main_guess(x, &text)))
    } else {
        let top = (args.top_k > 0).then(|| top_k(&id.main().predict(&text, args.top_k, 0.0)));
        id.identify(&text).map(|g| (top, g))
    };
    let (top, guess) = guess.ok_or("the model gave no label")?;
    let (tag, label, prob) = (guess.tag, guess.label, guess.score);
    let score = serde_json::json!(short(prob));
    if fields.has_ours {
        // The input has some of our fields already: rebuild the object, ours replacing theirs.
        let mut v: serde_json::Map<String, Value> =
            serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
        for k in OUTPUT_FIELDS {
            v.remove(k);
        }
        v.insert("lang".into(), Value::String(tag));
        v.insert("lang_label".into(), Value::String(label));
        v.insert("lang_score".into(), score);
        if let Some(t) = top {
            v.insert("lang_top_k".into(), t);
        }
        let json = Value::Object(v).to_string();
        out.extend_from_slice(json.as_bytes());
        return Ok(());
    }
    // The input line as it is, our fields appended: no re-encoding of the (long) text.
    let body = line.trim_end();
    let body = body[..body.len() - 1].trim_end(); // without its closing brace
    out.extend_from_slice(body.as_bytes());
    let sep = if fields.fields > 0 { "," } else { "" };
    let written = (|| -> serde_json::Result<()> {
        out.extend_from_slice(format!("{sep}\"lang\":").as_bytes());
        serde_json::to_writer(&mut *out, &tag)?;
        out.extend_from_slice(b",\"lang_label\":");
        serde_json::to_writer(&mut *out, &label)?;
        out.extend_from_slice(b",\"lang_score\":");
        serde_json::to_writer(&mut *out, &score)?;
        if let Some(t) = &top {
            out.extend_from_slice(b",\"lang_top_k\":");
            serde_json::to_writer(&mut *out, t)?;
        }
        Ok(())
    })();
    written.map_err(|e| format!("writing the output: {e}"))?;
    out.push(b'}');
    Ok(())
}

/// Whether serde_json writes `x` as an `f32` with the same bytes as the `f64` that `short` makes
/// of it, which saves formatting and parsing the number. True from 1e-5 to 2 except for the
/// `f32`s with at most 20 fractional bits: among those are ties between two shortest decimals,
/// where the two formatters round differently (2^-12: `0.00024414062` as an `f32`,
/// `0.00024414063` through `short`); a tie needs a decimal expansion of at most 10 significant
/// digits, which an `f32` of at least 1e-5 with more fractional bits cannot have. Below 1e-5 the
/// layout differs (`0.000009999935` against `9.999935e-6`). Checked for all 148 388 437 `f32`s
/// from 1e-5 to 2 (none differs where this is true; 128 differ where it is false), and on a
/// spread of them in the test below.
fn f32_as_short(x: f32) -> bool {
    (SCORE_F32_MIN..=SCORE_F32_MAX).contains(&x) && (x as f64 * 1048576.0).fract() != 0.0
}
const SCORE_F32_MIN: f32 = 1e-5;
const SCORE_F32_MAX: f32 = 2.0;

/// The fast path's output: the line as it is, our three fields appended; the same bytes as the
/// general path.
fn append_fields(out: &mut Vec<u8>, line: &str, fields: usize, tag: &str, label: &str, prob: f32) {
    let body = line.trim_end();
    let body = body[..body.len() - 1].trim_end(); // without its closing brace
    out.extend_from_slice(body.as_bytes());
    if fields > 0 {
        out.push(b',');
    }
    out.extend_from_slice(b"\"lang\":");
    json_str(out, tag);
    out.extend_from_slice(b",\"lang_label\":");
    json_str(out, label);
    out.extend_from_slice(b",\"lang_score\":");
    // Writing to a Vec cannot fail.
    let _ = if f32_as_short(prob) {
        serde_json::to_writer(&mut *out, &prob)
    } else {
        serde_json::to_writer(&mut *out, &serde_json::json!(short(prob)))
    };
    out.push(b'}');
}

/// `s` as a JSON string.
fn json_str(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|c| c >= 0x20 && c != b'"' && c != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        let _ = serde_json::to_writer(&mut *out, s);
    }
}

fn top_k(p: &[tamis_fasttext::Prediction<'_>]) -> Value {
    Value::Array(
        p.iter()
            .map(|x| serde_json::json!([x.label, short(x.prob)]))
            .collect(),
    )
}

fn short(x: f32) -> f64 {
    format!("{x}").parse().unwrap_or(x as f64)
}

/// `tamis lid train`.
fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    use crate::filter::lid_train::{report_markdown, Recipe};
    let recipe = Recipe::load(&args.recipe)?;
    let set = recipe.training_set()?;
    let started = std::time::Instant::now();
    let bytes = recipe.train_model(&set)?;
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    eprintln!(
        "tamis lid train: {} languages, model {} bytes, sha256 {sha}, trained in {:.1} s",
        set.languages.len(),
        bytes.len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(want) = &recipe.expect_sha256 {
        if !want.eq_ignore_ascii_case(&sha) {
            anyhow::bail!(
                "the model's sha256 is {sha}, the recipe expects {want} (training is \
                 deterministic: the text or the recipe changed)"
            );
        }
    }
    crate::out::write_atomic(&args.out, &bytes)
        .with_context(|| format!("writing {}", args.out.display()))?;
    if let Some(report) = &args.report {
        let main = recipe
            .main_model
            .clone()
            .unwrap_or_else(|| crate::filter::assets_dir().join("models/lid.176.ftz"));
        let eval = recipe.evaluate(&set, &main)?;
        let langs: Vec<String> = set.languages.keys().cloned().collect();
        let md = report_markdown(&recipe.title, &eval, &langs, &recipe.describe(&set, &sha));
        crate::out::write_atomic(report, md.as_bytes())
            .with_context(|| format!("writing {}", report.display()))?;
        eprintln!("tamis lid train: report in {}", report.display());
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path writes a score from 1e-5 to 2 as an `f32`; the general path as
    /// `json!(short(x))`. Same bytes for a spread of those `f32`s (every one of them was checked
    /// once, off line: 148 388 437 values, none differ).
    #[test]
    fn f32_scores_are_written_as_short_f64s() {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut bits = SCORE_F32_MIN.to_bits();
        let mut tested = 0;
        while bits <= SCORE_F32_MAX.to_bits() {
            let x = f32::from_bits(bits);
            bits += 997;
            if !f32_as_short(x) {
                continue;
            }
            tested += 1;
            a.clear();
            b.clear();
            serde_json::to_writer(&mut a, &x).unwrap();
            serde_json::to_writer(&mut b, &serde_json::json!(short(x))).unwrap();
            assert_eq!(a, b, "{x:e}");
        }
        assert!(tested > 140_000, "{tested}");
        // The ties are left to the general path.
        assert!(!f32_as_short(f32::from_bits(0x3980_0000)) && !f32_as_short(1.0));
        for x in [SCORE_F32_MIN, 0.12450, 0.99999, 0.1, 0.3] {
            assert!(f32_as_short(x), "{x}");
            a.clear();
            b.clear();
            serde_json::to_writer(&mut a, &x).unwrap();
            serde_json::to_writer(&mut b, &serde_json::json!(short(x))).unwrap();
            assert_eq!(a, b, "{x:e}");
        }
    }
}
