//! lid.176.ftz against the reference's predictions (`models/lid176_reference_predictions.jsonl`,
//! made with fastText 0.9.2's Python API, see shared/data/README.md §8).

mod common;

use common::{json, shared_data};
use tamis_fasttext::{Model, Scratch};

/// The oracle rounds probabilities to 5 decimals; allow that plus float noise.
const TOLERANCE: f64 = 1e-4;
/// The reference's probability floor: labels at it are tied and may come in any order.
const FLOOR: f64 = 1e-5;

#[test]
fn lid176_matches_reference_on_all_oracle_texts() {
    let Some(dir) = shared_data() else { return };
    let model = Model::load(dir.join("models/lid.176.ftz")).expect("lid.176.ftz loads");
    assert_eq!(model.nlabels(), 176);
    assert_eq!(model.dim(), 16);
    assert_eq!(model.loss_name(), "hs");
    assert!(model.is_quantized() && model.is_pruned() && !model.has_quantized_output());

    let oracle = std::fs::read_to_string(dir.join("models/lid176_reference_predictions.jsonl"))
        .expect("oracle readable");
    let mut scratch = Scratch::new();
    let mut out = Vec::new();
    let (mut n, mut top1, mut lists, mut max_diff) = (0, 0, 0, 0.0f64);
    let mut failures = Vec::new();
    for (lineno, line) in oracle.lines().enumerate() {
        let v = json::parse(line).unwrap_or_else(|e| panic!("oracle line {}: {e}", lineno + 1));
        let text = v.get("text").and_then(json::Value::as_str).expect("text");
        let source = v.get("source").and_then(json::Value::as_str).unwrap_or("?");
        let expected: Vec<(String, f64)> = v
            .get("top3")
            .and_then(json::Value::as_array)
            .expect("top3")
            .iter()
            .map(|p| {
                let p = p.as_array().expect("pair");
                (
                    p[0].as_str().expect("label").to_string(),
                    p[1].as_f64().expect("prob"),
                )
            })
            .collect();
        model.predict_into(text, 3, 0.0, &mut scratch, &mut out);
        // The convenience API must agree with the scratch one.
        assert_eq!(model.predict(text, 3, 0.0), out, "{source}");
        n += 1;
        let got: Vec<(String, f64)> = out
            .iter()
            .map(|p| (p.label.to_string(), p.prob as f64))
            .collect();
        if got.first().map(|g| &g.0) == expected.first().map(|e| &e.0) {
            top1 += 1;
        } else {
            failures.push(format!("{source}: top-1 {got:?} vs {expected:?}"));
        }
        if got.len() != expected.len() {
            failures.push(format!(
                "{source}: {} labels vs {}",
                got.len(),
                expected.len()
            ));
            continue;
        }
        let mut same_list = true;
        for (g, e) in got.iter().zip(&expected) {
            let d = (g.1 - e.1).abs();
            max_diff = max_diff.max(d);
            if d > TOLERANCE {
                failures.push(format!("{source}: {} p={} vs {} p={}", g.0, g.1, e.0, e.1));
            }
            if g.0 != e.0 {
                same_list = false;
                if e.1 > FLOOR * 1.5 {
                    failures.push(format!("{source}: label order {got:?} vs {expected:?}"));
                }
            }
        }
        if same_list {
            lists += 1;
        }
    }
    eprintln!(
        "lid.176 oracle: {n} texts, top-1 {top1}/{n}, identical top-3 lists {lists}/{n}, \
         max |Δp| {max_diff:.2e}"
    );
    assert_eq!(n, 513);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Empty input predicts from EOS alone, and input made of a literal `</s>` is the same thing.
#[test]
fn lid176_eos_only() {
    let Some(dir) = shared_data() else { return };
    let model = Model::load(dir.join("models/lid.176.ftz")).expect("loads");
    for text in [
        "",
        "   ",
        "\n",
        "</s>",
        "</s> ignored after the end of sentence",
    ] {
        let p = model.predict(text, 1, 0.0);
        assert_eq!(p[0].label, "__label__en", "{text:?}");
        assert!(
            (p[0].prob - 0.12450).abs() < 1e-4,
            "{text:?}: {}",
            p[0].prob
        );
    }
    // Newlines are separators: one prediction for the whole text, one EOS at the end.
    let a = model.predict("Das ist ein Haus.\nEs ist groß.", 3, 0.0);
    let b = model.predict("Das ist ein Haus. Es ist groß.", 3, 0.0);
    assert_eq!(a, b);
    // Threshold and k.
    // k beyond the label count gives every label above the tree search's 1e-5 floor.
    let all = model.predict("", usize::MAX, 0.0);
    assert!(all.len() > 20 && all.len() <= 176, "{}", all.len());
    assert!(all.windows(2).all(|w| w[0].prob >= w[1].prob));
    let high = model.predict("Das ist ein Haus.", usize::MAX, 0.5);
    assert!(high.iter().all(|p| p.prob >= 0.5) && !high.is_empty());
    assert!(model.predict("Das ist ein Haus.", 0, 0.0).is_empty());
}

/// One model shared by reference across threads gives the same answers as serial use.
#[test]
fn lid176_parallel_equals_serial() {
    let Some(dir) = shared_data() else { return };
    let model = Model::load(dir.join("models/lid.176.ftz")).expect("loads");
    let texts = common::udhr_lines(&dir, 400);
    let serial: Vec<_> = texts.iter().map(|t| model.predict(t, 2, 0.0)).collect();
    let model = &model;
    std::thread::scope(|s| {
        let handles: Vec<_> = texts
            .chunks(100)
            .map(|chunk| {
                s.spawn(move || {
                    let mut scratch = Scratch::with_cache_bytes(64 << 10);
                    let mut out = Vec::new();
                    chunk
                        .iter()
                        .map(|t| {
                            model.predict_into(t, 2, 0.0, &mut scratch, &mut out);
                            out.clone()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let parallel: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        assert_eq!(parallel, serial);
    });
}

/// A whitespace-free multi-megabyte token (inline base64 and the like) is handled in bounded
/// chunks and gives the same answer as the same text predicted again.
#[test]
fn lid176_giant_token() {
    let Some(dir) = shared_data() else { return };
    let model = Model::load(dir.join("models/lid.176.ftz")).expect("loads");
    let blob: String = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo".repeat(60_000); // 2.1 MB
    let text = format!("Das ist ein Haus. {blob} Es ist groß.");
    let a = model.predict(&text, 3, 0.0);
    let b = model.predict(&text, 3, 0.0);
    assert!(!a.is_empty());
    assert_eq!(a, b);
}
