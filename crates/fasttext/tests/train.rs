//! Supervised training: deterministic, accurate on held-out UDHR lines, and loadable by the
//! reference CLI (checked when `fasttext` is on PATH).

mod common;

use std::path::Path;
use std::process::Command;

use common::shared_data;
use tamis_fasttext::{train, LossName, Model, Scratch, TrainOptions};

const LANGS: [&str; 6] = ["en", "fr", "de", "es", "ru", "zh-Hans"];

/// Training text (`__label__xx line`) and held-out `(label, line)` pairs, split like the
/// fixtures: every 4th non-empty line is held out.
fn udhr_split(dir: &Path) -> (String, Vec<(String, String)>) {
    let mut train = String::new();
    let mut test = Vec::new();
    for lang in LANGS {
        let text = std::fs::read_to_string(dir.join(format!("udhr/{lang}.txt"))).expect("udhr");
        for (i, line) in text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            if i % 4 == 3 {
                test.push((format!("__label__{lang}"), line.to_string()));
            } else {
                train.push_str(&format!("__label__{lang} {line}\n"));
            }
        }
    }
    (train, test)
}

fn options(loss: LossName) -> TrainOptions {
    TrainOptions {
        dim: 16,
        lr: 0.5,
        epoch: 15,
        minn: 2,
        maxn: 4,
        word_ngrams: 2,
        bucket: 1000,
        loss,
        seed: 1,
        ..TrainOptions::default()
    }
}

#[test]
fn trains_accurate_deterministic_models() {
    let Some(dir) = shared_data() else { return };
    let (text, test) = udhr_split(&dir);
    for loss in [
        LossName::HierarchicalSoftmax,
        LossName::Softmax,
        LossName::OneVsAll,
    ] {
        let a = train(&text, &options(loss)).expect("trains");
        let b = train(&text, &options(loss)).expect("trains");
        assert_eq!(a.bytes, b.bytes, "{loss}: same seed, same model");
        let c = train(
            &text,
            &TrainOptions {
                seed: 2,
                ..options(loss)
            },
        )
        .expect("trains");
        assert_ne!(a.bytes, c.bytes, "{loss}: the seed matters");
        let model = a.model().expect("our .bin loads");
        assert_eq!((model.loss(), model.nlabels(), model.dim()), (loss, 6, 16));
        let mut scratch = Scratch::new();
        let mut out = Vec::new();
        let correct = test
            .iter()
            .filter(|(label, line)| {
                model.predict_into(line, 1, 0.0, &mut scratch, &mut out);
                out.first().is_some_and(|p| p.label == label)
            })
            .count();
        let acc = correct as f64 / test.len() as f64;
        eprintln!(
            "{loss}: held-out accuracy {acc:.3} ({correct}/{}), loss {:.3}",
            test.len(),
            a.loss
        );
        // The reference CLI with the same options reaches 0.80 (hs), 0.83 (softmax), 0.84 (ova).
        assert!(acc >= 0.75, "{loss}: accuracy {acc}");
    }
}

/// The reference CLI loads our `.bin` and predicts what we predict.
#[test]
fn reference_cli_agrees_on_our_models() {
    let Some(dir) = shared_data() else { return };
    if Command::new("fasttext").arg("help").output().is_err() {
        eprintln!(
            "\n!!!!! SKIPPED: the fastText CLI is not installed (apt-get install fasttext) !!!!!\n"
        );
        return;
    }
    let (text, test) = udhr_split(&dir);
    let tmp = std::env::temp_dir().join(format!("tamis-fasttext-train-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("temp dir");
    let input = tmp.join("test.txt");
    let body: String = test.iter().map(|(_, l)| format!("{l}\n")).collect();
    std::fs::write(&input, body).expect("write test text");
    for loss in [
        LossName::HierarchicalSoftmax,
        LossName::Softmax,
        LossName::OneVsAll,
    ] {
        let trained = train(&text, &options(loss)).expect("trains");
        let path = tmp.join(format!("{loss}.bin"));
        trained.save(&path).expect("save");
        let out = Command::new("fasttext")
            .arg("predict-prob")
            .arg(&path)
            .arg(&input)
            .arg("3")
            .output()
            .expect("run fasttext");
        assert!(
            out.status.success(),
            "{loss}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cli = String::from_utf8(out.stdout).expect("utf-8");
        let model = Model::load(&path).expect("loads");
        let mut max_diff = 0.0f64;
        for ((_, line), cli_line) in test.iter().zip(cli.lines()) {
            let ours = model.predict(line, 3, 0.0);
            let theirs: Vec<&str> = cli_line.split(' ').collect();
            let labels: Vec<&str> = theirs.iter().step_by(2).copied().collect();
            assert_eq!(
                ours.iter().map(|p| p.label).collect::<Vec<_>>(),
                labels,
                "{loss}: {line}"
            );
            for (p, prob) in ours.iter().zip(theirs.iter().skip(1).step_by(2)) {
                let d = (p.prob as f64 - prob.parse::<f64>().expect("prob")).abs();
                max_diff = max_diff.max(d);
            }
        }
        eprintln!(
            "{loss}: CLI agrees on {} texts, max |Δp| {max_diff:.1e}",
            test.len()
        );
        assert!(max_diff <= 1e-4);
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

/// `Model::predict` keeps one scratch (and word cache) per model and thread: alternating two
/// models gives each the answers it gives alone.
#[test]
fn alternating_models_on_one_thread_gives_each_its_own_answers() {
    let Some(dir) = shared_data() else { return };
    let (text, test) = udhr_split(&dir);
    let a = train(&text, &options(LossName::Softmax))
        .and_then(|t| t.model())
        .expect("a");
    let b = train(&text, &options(LossName::HierarchicalSoftmax))
        .and_then(|t| t.model())
        .expect("b");
    let alone = |m: &Model| -> Vec<(String, f32)> {
        test.iter()
            .map(|(_, l)| {
                let p = m.predict_into_owned(l);
                (p.0, p.1)
            })
            .collect()
    };
    let (want_a, want_b) = (alone(&a), alone(&b));
    for (i, (_, line)) in test.iter().enumerate() {
        for (m, want) in [(&a, &want_a), (&b, &want_b)] {
            let p = m.predict(line, 1, 0.0);
            assert_eq!(
                (p[0].label.to_string(), p[0].prob),
                want[i].clone(),
                "{line}"
            );
        }
    }
}

/// Top-1 with a fresh scratch of its own: the reference answer for the test above.
trait Top1 {
    fn predict_into_owned(&self, text: &str) -> (String, f32);
}

impl Top1 for Model {
    fn predict_into_owned(&self, text: &str) -> (String, f32) {
        let mut s = Scratch::new();
        let mut out = Vec::new();
        self.predict_into(text, 1, 0.0, &mut s, &mut out);
        (out[0].label.to_string(), out[0].prob)
    }
}
