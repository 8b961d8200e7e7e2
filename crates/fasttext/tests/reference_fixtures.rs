//! Small models trained and quantized by the reference C++ CLI (Debian fastText 0.9.2), with
//! its `predict-prob` output on held-out text (see tests/fixtures/README.md).

mod common;

use std::path::Path;

use common::fixtures;
use tamis_fasttext::{LossName, Model, Scratch};

/// The CLI prints six significant digits.
const TOLERANCE: f64 = 1e-4;

struct Case {
    model: &'static str,
    input: &'static str,
    predictions: &'static str,
    /// `None` = the CLI's `-1` (every label).
    k: Option<usize>,
    threshold: f32,
}

const CASES: &[Case] = &[
    Case {
        model: "hs.bin",
        input: "test.txt",
        predictions: "predictions_hs_bin_k3.txt",
        k: Some(3),
        threshold: 0.0,
    },
    Case {
        model: "hs.bin",
        input: "test.txt",
        predictions: "predictions_hs_bin_all_t0.001.txt",
        k: None,
        threshold: 0.001,
    },
    Case {
        model: "hs.ftz",
        input: "test.txt",
        predictions: "predictions_hs_ftz_k3.txt",
        k: Some(3),
        threshold: 0.0,
    },
    Case {
        model: "softmax.bin",
        input: "test.txt",
        predictions: "predictions_softmax_bin_k3.txt",
        k: Some(3),
        threshold: 0.0,
    },
    Case {
        model: "softmax.bin",
        input: "test.txt",
        predictions: "predictions_softmax_bin_all_t0.01.txt",
        k: None,
        threshold: 0.01,
    },
    Case {
        model: "softmax.ftz",
        input: "test.txt",
        predictions: "predictions_softmax_ftz_k3.txt",
        k: Some(3),
        threshold: 0.0,
    },
    Case {
        model: "ova.bin",
        input: "test.txt",
        predictions: "predictions_ova_bin_k3.txt",
        k: Some(3),
        threshold: 0.0,
    },
    Case {
        model: "ns.ftz",
        input: "test.txt",
        predictions: "predictions_ns_ftz_k3.txt",
        k: Some(3),
        threshold: 0.0,
    },
    Case {
        model: "many.ftz",
        input: "many_test.txt",
        predictions: "predictions_many_ftz_k3.txt",
        k: Some(3),
        threshold: 0.0,
    },
];

/// The CLI's lines: a text per `\n`-terminated line.
fn lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut v: Vec<String> = text.split('\n').map(str::to_string).collect();
    assert_eq!(
        v.pop().as_deref(),
        Some(""),
        "{} must end with a newline",
        path.display()
    );
    v
}

fn parse_cli_line(line: &str) -> Vec<(String, f64)> {
    let parts: Vec<&str> = line.split(' ').filter(|s| !s.is_empty()).collect();
    parts
        .chunks(2)
        .map(|c| (c[0].to_string(), c[1].parse::<f64>().expect("probability")))
        .collect()
}

#[test]
fn fixtures_match_reference_cli() {
    let dir = fixtures();
    let mut scratch = Scratch::new();
    for case in CASES {
        let model =
            Model::load(dir.join(case.model)).unwrap_or_else(|e| panic!("{}: {e}", case.model));
        let mut out = Vec::new();
        let texts = lines(&dir.join(case.input));
        let expected = lines(&dir.join(case.predictions));
        assert_eq!(texts.len(), expected.len(), "{}", case.predictions);
        let (mut max_abs, mut max_rel, mut n_labels) = (0.0f64, 0.0f64, 0);
        for (i, (text, exp)) in texts.iter().zip(&expected).enumerate() {
            let exp = parse_cli_line(exp);
            model.predict_into(
                text,
                case.k.unwrap_or(usize::MAX),
                case.threshold,
                &mut scratch,
                &mut out,
            );
            let got: Vec<(&str, f64)> = out.iter().map(|p| (p.label, p.prob as f64)).collect();
            let labels_got: Vec<&str> = got.iter().map(|g| g.0).collect();
            let labels_exp: Vec<&str> = exp.iter().map(|e| e.0.as_str()).collect();
            assert_eq!(
                labels_got,
                labels_exp,
                "{} line {}: {text:?}\n got {got:?}\n exp {exp:?}",
                case.predictions,
                i + 1
            );
            for (g, e) in got.iter().zip(&exp) {
                let d = (g.1 - e.1).abs();
                max_abs = max_abs.max(d);
                max_rel = max_rel.max(d / e.1.abs().max(1e-30));
                assert!(
                    d <= TOLERANCE,
                    "{} line {}: {} {} vs {}",
                    case.predictions,
                    i + 1,
                    g.0,
                    g.1,
                    e.1
                );
                n_labels += 1;
            }
        }
        eprintln!(
            "{:<12} {:<40} {} texts, {n_labels} labels identical, max |Δp| {max_abs:.1e}, max rel {max_rel:.1e}",
            case.model, case.predictions, texts.len()
        );
    }
}

#[test]
fn fixture_metadata() {
    let dir = fixtures();
    let hs = Model::load(dir.join("hs.bin")).expect("hs.bin");
    assert_eq!(hs.loss(), LossName::HierarchicalSoftmax);
    assert_eq!(
        (hs.dim(), hs.nlabels(), hs.args().minn, hs.args().maxn),
        (16, 6, 2, 4)
    );
    assert_eq!((hs.args().word_ngrams, hs.args().bucket), (2, 1000));
    assert!(!hs.is_quantized() && !hs.is_pruned());
    assert_eq!(hs.word(0), Some(&b"</s>"[..]));
    let ftz = Model::load(dir.join("hs.ftz")).expect("hs.ftz");
    assert!(ftz.is_quantized() && ftz.is_pruned() && !ftz.has_quantized_output());
    let many = Model::load(dir.join("many.ftz")).expect("many.ftz");
    assert!(many.has_quantized_output());
    assert_eq!(many.nlabels(), 532);
    assert_eq!(
        Model::load(dir.join("ova.bin")).expect("ova").loss_name(),
        "ova"
    );
    assert_eq!(
        Model::load(dir.join("ns.ftz")).expect("ns").loss_name(),
        "ns"
    );
    assert_eq!(
        Model::load(dir.join("softmax.ftz"))
            .expect("sm")
            .loss_name(),
        "softmax"
    );
}
