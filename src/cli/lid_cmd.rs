//! `tamis lid`: label JSONL documents with their language.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use rayon::prelude::*;
use serde_json::value::RawValue;
use serde_json::Value;
use sha2::Digest;
use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::filter::lid::{script_checked, tag_of_label, Identifier};

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

const BATCH_LINES: usize = 4096;

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
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut line_no = 0usize;
    let mut bad = 0usize;
    let mut batch: Vec<String> = Vec::with_capacity(BATCH_LINES);
    loop {
        batch.clear();
        for _ in 0..BATCH_LINES {
            let mut line = String::new();
            if input.read_line(&mut line)? == 0 {
                break;
            }
            batch.push(line);
        }
        if batch.is_empty() {
            break;
        }
        let results: Vec<Result<String, String>> = pool.install(|| {
            batch
                .par_iter()
                .map(|line| label_line(&id, line, &args))
                .collect()
        });
        for r in results {
            line_no += 1;
            match r {
                Ok(s) => {
                    out.write_all(s.as_bytes())?;
                    out.write_all(b"\n")?;
                }
                Err(e) if e.is_empty() => {} // blank line
                Err(e) => {
                    bad += 1;
                    eprintln!("tamis lid: line {line_no}: {e}");
                }
            }
        }
    }
    out.flush()?;
    Ok(if bad > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The fields of one input object, values left as they are (only the text is decoded).
#[derive(serde::Deserialize)]
struct Fields<'a>(#[serde(borrow)] BTreeMap<Cow<'a, str>, &'a RawValue>);

/// Fields `tamis lid` writes.
const OUTPUT_FIELDS: [&str; 4] = ["lang", "lang_label", "lang_score", "lang_top_k"];

fn label_line(id: &Identifier, line: &str, args: &LidArgs) -> Result<String, String> {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() {
        return Err(String::new());
    }
    let fields: Fields = serde_json::from_str(line).map_err(|e| {
        if line.trim_start().starts_with('{') {
            format!("not JSON: {e}")
        } else {
            "not a JSON object".to_string()
        }
    })?;
    let text: Cow<str> = fields
        .0
        .get(args.field.as_str())
        .and_then(|raw| serde_json::from_str(raw.get()).ok())
        .ok_or_else(|| format!("no string field {:?}", args.field))?;
    let (top, tag, label, prob) = if args.model.is_some() {
        let p = id.main().predict(&text, args.top_k.max(1), 0.0);
        let top = (args.top_k > 0).then(|| top_k(&p));
        match p.first() {
            Some(x) => (
                top,
                script_checked(tag_of_label(x.label), &text),
                x.label.to_string(),
                x.prob,
            ),
            None => return Err("the model gave no label".into()),
        }
    } else {
        let top = (args.top_k > 0).then(|| top_k(&id.main().predict(&text, args.top_k, 0.0)));
        match id.identify(&text) {
            Some(g) => (top, g.tag, g.label, g.score),
            None => return Err("the model gave no label".into()),
        }
    };
    let mut added = serde_json::Map::new();
    if let Some(t) = top {
        added.insert("lang_top_k".into(), t);
    }
    added.insert("lang".into(), Value::String(tag));
    added.insert("lang_label".into(), Value::String(label));
    added.insert("lang_score".into(), serde_json::json!(short(prob)));
    if fields.0.keys().any(|k| OUTPUT_FIELDS.contains(&k.as_ref())) {
        // The input has some of our fields already: rebuild the object, ours replacing theirs.
        let mut v: serde_json::Map<String, Value> =
            serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
        for k in OUTPUT_FIELDS {
            v.remove(k);
        }
        v.extend(added);
        return Ok(Value::Object(v).to_string());
    }
    // The input line as it is, our fields appended: no re-encoding of the (long) text.
    let body = line.trim_end();
    let body = body[..body.len() - 1].trim_end(); // without its closing brace
    let mut out = String::with_capacity(body.len() + 96);
    out.push_str(body);
    for (i, (k, v)) in added.iter().enumerate() {
        if i > 0 || !fields.0.is_empty() {
            out.push(',');
        }
        out.push_str(&Value::String(k.clone()).to_string());
        out.push(':');
        out.push_str(&v.to_string());
    }
    out.push('}');
    Ok(out)
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
