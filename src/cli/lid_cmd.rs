//! `tamis lid`: label JSONL documents with their language.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use rayon::prelude::*;
use serde_json::Value;
use sha2::Digest;

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

fn label_line(id: &Identifier, line: &str, args: &LidArgs) -> Result<String, String> {
    let line = line.trim_end_matches(['\n', '\r']);
    if line.trim().is_empty() {
        return Err(String::new());
    }
    let mut v: Value = serde_json::from_str(line).map_err(|e| format!("not JSON: {e}"))?;
    let obj = v.as_object_mut().ok_or("not a JSON object")?;
    let text = match obj.get(&args.field) {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(format!("no string field {:?}", args.field)),
    };
    let (tag, label, prob) = if args.model.is_some() {
        let p = id.main().predict(&text, args.top_k.max(1), 0.0);
        if args.top_k > 0 {
            let top: Vec<Value> = p
                .iter()
                .map(|x| serde_json::json!([x.label, short(x.prob)]))
                .collect();
            obj.insert("lang_top_k".into(), Value::Array(top));
        }
        match p.first() {
            Some(x) => (
                script_checked(tag_of_label(x.label), &text),
                x.label.to_string(),
                x.prob,
            ),
            None => return Err("the model gave no label".into()),
        }
    } else {
        if args.top_k > 0 {
            let p = id.main().predict(&text, args.top_k, 0.0);
            let top: Vec<Value> = p
                .iter()
                .map(|x| serde_json::json!([x.label, short(x.prob)]))
                .collect();
            obj.insert("lang_top_k".into(), Value::Array(top));
        }
        match id.identify(&text) {
            Some(g) => (g.tag, g.label, g.score),
            None => return Err("the model gave no label".into()),
        }
    };
    obj.insert("lang".into(), Value::String(tag));
    obj.insert("lang_label".into(), Value::String(label));
    obj.insert("lang_score".into(), serde_json::json!(short(prob)));
    Ok(v.to_string())
}

/// An f32 as the f64 with the same shortest decimal form (0.62305528, not 0.6230552792549133).
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
