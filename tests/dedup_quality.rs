//! Near-dedup quality on real text: documents cut from the UDHR translations in
//! ../shared/data/udhr (109 languages, many scripts), near copies made by realistic edits
//! (boilerplate added, lines swapped or dropped, whitespace and punctuation changed,
//! truncation), exact Jaccard of every pair computed by brute force on the same shingles.
//! Aim (issue #4): precision ≥ 0.99 (no unique document removed), recall ≥ 0.98 on pairs with
//! Jaccard ≥ 0.8. The table by Jaccard band is printed (`cargo test --test dedup_quality -- --nocapture`).

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};

use tamis::bench::gen::Rng;
use tamis::config::{InputConfig, ReadConfig};
use tamis::dedup::normalize::{normalise, shingle_hashes, token_hashes};
use tamis::dedup::{run_dedup, DedupConfig, UnitInput};
use tamis::out::OutDir;
use tamis::read::expand_inputs;
use tamis::read::fields::FieldsSpec;

fn edit(lines: &[String], kind: usize, rng: &mut Rng) -> Vec<String> {
    let mut l = lines.to_vec();
    match kind {
        0 => {
            l.insert(0, "Home | News | About us | Contact".into());
            l.push("© 2024 All rights reserved · Privacy policy · Cookies".into());
        }
        1 if l.len() >= 2 => {
            let i = rng.below(l.len() - 1);
            l.swap(i, i + 1);
        }
        2 if l.len() >= 4 => {
            l.remove(rng.below(l.len()));
        }
        3 => {
            for line in &mut l {
                *line = line
                    .replace(", ", " ,  ")
                    .replace('.', " . ")
                    .replace("  ", "   ");
                if rng.below(2) == 0 {
                    *line = line.to_uppercase();
                }
            }
        }
        _ => {
            let total: usize = l.iter().map(|s| s.chars().count()).sum();
            let mut keep = total * 9 / 10;
            let mut out = Vec::new();
            for line in l {
                let n = line.chars().count();
                if keep >= n {
                    keep -= n;
                    out.push(line);
                } else {
                    out.push(line.chars().take(keep).collect());
                    break;
                }
            }
            l = out;
        }
    }
    l
}

fn shingles(text: &str) -> HashSet<u64> {
    let cfg = DedupConfig::default();
    let (mut t, mut s) = (Vec::new(), Vec::new());
    token_hashes(&normalise(text), cfg.seed, &mut t);
    shingle_hashes(&t, cfg.ngram, cfg.seed, &mut s);
    s.into_iter().collect()
}

fn jaccard(a: &HashSet<u64>, b: &HashSet<u64>) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let inter = a.intersection(b).count();
    inter as f64 / (a.len() + b.len() - inter) as f64
}

#[test]
fn precision_and_recall_by_jaccard_band_on_real_text() {
    let udhr = common::shared_data().join("udhr");
    let mut names: Vec<_> = std::fs::read_dir(&udhr)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 100,
        "UDHR files missing in {}",
        udhr.display()
    );
    let mut rng = Rng::new(42);
    // (id, text)
    let mut docs: Vec<(String, String)> = Vec::new();
    for path in &names {
        let lang = path.file_stem().unwrap().to_string_lossy().into_owned();
        let lines: Vec<String> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(str::trim)
            .filter(|l| l.chars().count() > 20)
            .map(String::from)
            .collect();
        // Documents of 4 consecutive paragraphs, at most 4 per language.
        for (k, chunk) in lines.chunks(4).take(4).enumerate() {
            if chunk.len() < 3 {
                continue;
            }
            let base_id = format!("{lang}-{k}");
            docs.push((base_id.clone(), chunk.join("\n")));
            if k % 2 == 0 {
                for v in 0..1 + rng.below(2) {
                    let kind = rng.below(5);
                    let mut edited = edit(chunk, kind, &mut rng);
                    if rng.below(3) == 0 {
                        edited = edit(&edited, rng.below(5), &mut rng);
                    }
                    docs.push((format!("{base_id}-v{v}"), edited.join("\n")));
                }
            }
        }
    }
    let n = docs.len();
    assert!(n > 500, "{n} documents");

    // Write the corpus as three JSONL units, dates increasing with position.
    let dir = tempfile::tempdir().unwrap();
    let mut lines: Vec<Vec<String>> = vec![Vec::new(); 3];
    for (i, (id, text)) in docs.iter().enumerate() {
        let j = serde_json::json!({"id": id, "text": text, "date": format!("20{:02}-01-01", 10 + i % 15)});
        lines[i % 3].push(j.to_string());
    }
    for (u, l) in lines.iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("in-{u}.jsonl")),
            l.join("\n") + "\n",
        )
        .unwrap();
    }
    let input = InputConfig {
        fields: FieldsSpec::Preset("fineweb".into()),
        ..InputConfig::of_paths(
            vec![dir.path().join("in-*.jsonl").to_string_lossy().into_owned()],
            "udhr",
        )
    };
    let files = expand_inputs(&[input]).unwrap();
    let out = OutDir::create(dir.path().join("out")).unwrap();
    let inputs: Vec<UnitInput> = files.into_iter().map(UnitInput::File).collect();
    let cfg = DedupConfig::default();
    let (_, summary) = run_dedup(&out, &inputs, &ReadConfig::default(), &cfg, "docs").unwrap();

    // Clusters from the decisions: removed document → its survivor.
    let mut cluster_of: HashMap<String, String> = docs
        .iter()
        .map(|(id, _)| (id.clone(), id.clone()))
        .collect();
    let mut removed = Vec::new();
    for u in 0..3 {
        let path = dir
            .path()
            .join(format!("out/removed/dedup/part-{u:05}.parquet"));
        let rows = tamis_removed(&path);
        for (id, detail) in rows {
            let survivor = detail.split_whitespace().nth(1).unwrap().to_string();
            cluster_of.insert(id.clone(), survivor);
            removed.push(id);
        }
    }
    assert_eq!(removed.len() as u64, summary.removed);

    let sets: Vec<HashSet<u64>> = docs.iter().map(|(_, t)| shingles(t)).collect();
    let index: HashMap<&str, usize> = docs
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (id.as_str(), i))
        .collect();
    let bands = [0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 1.000_001];
    let mut table: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
    let mut best_neighbour = vec![0.0f64; n];
    for i in 0..n {
        for j in i + 1..n {
            let jac = jaccard(&sets[i], &sets[j]);
            best_neighbour[i] = best_neighbour[i].max(jac);
            best_neighbour[j] = best_neighbour[j].max(jac);
            let band = bands
                .windows(2)
                .position(|w| jac >= w[0] && jac < w[1])
                .unwrap();
            let same = cluster_of[&docs[i].0] == cluster_of[&docs[j].0];
            let e = table.entry(band).or_default();
            e.0 += 1;
            e.1 += u64::from(same);
        }
    }
    // A removed document is correct when some other document is a true near copy (J ≥ 0.5).
    let wrong: Vec<&String> = removed
        .iter()
        .filter(|id| best_neighbour[index[id.as_str()]] < 0.5)
        .collect();
    let precision = 1.0 - wrong.len() as f64 / removed.len().max(1) as f64;
    println!(
        "{n} documents, {} removed, precision {precision:.4}",
        removed.len()
    );
    println!("| Jaccard | pairs | same cluster |");
    println!("|---|---|---|");
    for (b, (pairs, same)) in &table {
        println!(
            "| {:.1}–{:.1} | {pairs} | {:.4} |",
            bands[*b],
            bands[b + 1].min(1.0),
            *same as f64 / *pairs as f64
        );
    }
    let (hp, hs) = table
        .range(4..)
        .fold((0, 0), |a, (_, (p, s))| (a.0 + p, a.1 + s));
    let recall = hs as f64 / hp.max(1) as f64;
    println!("recall on pairs with J ≥ 0.8: {recall:.4} ({hs} of {hp})");
    assert!(hp >= 100, "the generator made too few near copies: {hp}");
    assert!(precision >= 0.99, "unique documents removed: {wrong:?}");
    assert!(recall >= 0.98, "recall {recall}");
    // Unrelated pairs are never joined.
    let (lp, ls) = table
        .range(..2)
        .fold((0, 0), |a, (_, (p, s))| (a.0 + p, a.1 + s));
    assert!(
        ls as f64 / lp as f64 <= 0.001,
        "{ls} of {lp} pairs with J < 0.3 joined"
    );
}

fn tamis_removed(path: &std::path::Path) -> Vec<(String, String)> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let file = std::fs::File::open(path).unwrap();
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut out = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let ids = batch.column_by_name("id").unwrap();
        let details = batch.column_by_name("detail").unwrap();
        let ids = ids
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        let details = details
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .unwrap();
        for i in 0..batch.num_rows() {
            out.push((ids.value(i).to_string(), details.value(i).to_string()));
        }
    }
    out
}
