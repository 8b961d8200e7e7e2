//! Language ID and code identification on real data: lid.176 through the filter maps labels to
//! canonical tags and drops by keep-list and per-language threshold; the 69 real source files of
//! ../shared/data/code are labelled with their programming language by extension, and mostly
//! by content alone when the name is hidden.

mod common;

use tamis::doc::{Doc, Kind, Verdict};
use tamis::filter::code;
use tamis::filter::lid::{tag_of_label, Identifier};

fn identifier() -> Identifier {
    Identifier::load(&common::shared_data().join("models/lid.176.ftz"), None, 0.5).expect("lid.176")
}

#[test]
fn lid176_labels_become_canonical_tags() {
    let id = identifier();
    for (file, tag) in [
        ("fr", "fra_Latn"),
        ("de", "deu_Latn"),
        ("zh-Hans", "zho_Hans"),
        ("ar", "arb_Arab"),
        ("hi", "hin_Deva"),
        ("ru", "rus_Cyrl"),
        ("ja", "jpn_Jpan"),
    ] {
        let text = std::fs::read_to_string(common::shared_data().join(format!("udhr/{file}.txt")))
            .unwrap();
        let para = text
            .lines()
            .filter(|l| l.chars().count() > 40)
            .nth(2)
            .unwrap();
        let g = id.identify(para).unwrap();
        assert_eq!(g.tag, tag, "{file}: {g:?}");
        assert!(g.score > 0.5, "{file}: {g:?}");
    }
    assert_eq!(tag_of_label("__label__als"), "gsw_Latn");
    // Empty text predicts from EOS alone, as the reference does.
    let g = id.identify("").unwrap();
    assert_eq!(g.label, "__label__en");
    assert!((g.score - 0.1245).abs() < 1e-3, "{g:?}");
}

#[test]
fn code_files_are_labelled_by_extension_and_mostly_by_content() {
    let root = common::shared_data().join("code");
    let index = std::fs::read_to_string(root.join("index.tsv")).unwrap();
    let mut files = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap().flatten() {
        if !dir.path().is_dir() || dir.file_name() == "LICENSES" {
            continue;
        }
        let lang = dir.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            files.push((lang.clone(), f.path()));
        }
    }
    files.sort();
    assert!(
        files.len() >= 60,
        "{} files; index has {} lines",
        files.len(),
        index.lines().count()
    );
    let mut by_content_ok = 0;
    for (lang, path) in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let mut doc = Doc {
            text: text.clone(),
            kind: Kind::Code,
            ..Doc::default()
        };
        doc.metadata
            .insert("path".into(), path.to_string_lossy().into_owned().into());
        let (got, _) = code::identify(&doc).unwrap();
        assert_eq!(got, lang, "{}", path.display());
        if code::by_content(&text) == Some(lang.as_str()) {
            by_content_ok += 1;
        } else {
            eprintln!(
                "content alone: {} → {:?}",
                path.display(),
                code::by_content(&text)
            );
        }
    }
    let rate = by_content_ok as f64 / files.len() as f64;
    eprintln!(
        "by content alone: {by_content_ok} of {} ({rate:.3})",
        files.len()
    );
    assert!(rate >= 0.8, "content-only accuracy {rate}");
}

#[test]
fn the_filter_keeps_code_and_drops_by_keep_list_and_threshold() {
    use tamis::filter::DocFilter;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("default.toml"), "[lid]\nmin_score = 0.5\n").unwrap();
    std::fs::write(
        dir.path().join("eng_Latn.toml"),
        "[lid]\nmin_score = 0.99\n",
    )
    .unwrap();
    let cfg = tamis::filter::lid::LidFilterConfig {
        model: Some(common::shared_data().join("models/lid.176.ftz")),
        languages: vec!["fr".into(), "en".into()],
        ..Default::default()
    };
    let ctx = tamis::filter::BuildCtx {
        settings: tamis::filter::settings::LangSettings::load(dir.path()).unwrap(),
        assets: dir.path().to_path_buf(),
        list_cache: None,
    };
    let f = cfg.build(&ctx).unwrap();
    let mut fr = Doc { text: "Le marché du samedi matin a retrouvé ses habitués, et les maraîchers installent leurs étals.".into(), ..Doc::default() };
    assert_eq!(f.check(&mut fr), Verdict::Keep);
    assert_eq!(fr.lang.as_deref(), Some("fra_Latn"));
    let mut de = Doc {
        text: "Der Stadtrat hat beschlossen, den alten Bahnhof in ein Kulturzentrum umzubauen."
            .into(),
        ..Doc::default()
    };
    match f.check(&mut de) {
        Verdict::Drop { reason, detail } => {
            assert_eq!(reason, "unwanted_language");
            assert!(detail.starts_with("deu_Latn"), "{detail}");
        }
        v => panic!("{v:?}"),
    }
    let mut en = Doc {
        text: "ok then".into(),
        ..Doc::default()
    };
    match f.check(&mut en) {
        Verdict::Drop { reason, .. } => {
            assert!(reason == "low_lang_score" || reason == "unwanted_language")
        }
        v => panic!("short English must fail the 0.99 threshold: {v:?}"),
    }
    let mut code = Doc {
        text: "def f(x):\n    return x\n".into(),
        kind: Kind::Code,
        ..Doc::default()
    };
    assert_eq!(f.check(&mut code), Verdict::Keep);
    assert_eq!(code.lang.as_deref(), Some("code_python"));
}
