//! Unit tests of the quality filter as a whole.

use super::*;
use crate::filter::settings::LangSettings;

fn filter_with(default_toml: &str, lang_files: &[(&str, &str)]) -> QualityFilter {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("default.toml"), default_toml).unwrap();
    for (tag, body) in lang_files {
        std::fs::write(dir.path().join(format!("{tag}.toml")), body).unwrap();
    }
    let stop = dir.path().join("stop");
    std::fs::create_dir(&stop).unwrap();
    std::fs::write(stop.join("eng_Latn.txt"), "# test list\nthe\nof\nand\nto\n").unwrap();
    let ctx = BuildCtx {
        settings: LangSettings::load(dir.path()).unwrap(),
        assets: dir.path().into(),
        list_cache: None,
    };
    let cfg = QualityFilterConfig {
        stopwords_dir: stop,
        ..QualityFilterConfig::default()
    };
    cfg.build(&ctx).unwrap()
}

fn doc(lang: &str, text: &str) -> Doc {
    Doc {
        id: "d".into(),
        text: text.into(),
        lang: Some(lang.into()),
        ..Doc::default()
    }
}

const PROSE: &str = "The history of the town goes back to the twelfth century, when a small abbey was founded on the bank of the river.\n\
Over the following centuries the settlement grew into a market town and later an industrial centre known for its textiles.\n\
Today it is home to about forty thousand people, a university and a museum devoted to the story of the local weavers.";

#[test]
fn prose_is_kept_and_reasons_name_the_rule() {
    let f = filter_with("", &[]);
    let mut d = doc("eng_Latn", PROSE);
    assert_eq!(f.check(&mut d), Verdict::Keep);
    let mut rep = doc("eng_Latn", &format!("{PROSE}\n\n{PROSE}\n\n{PROSE}"));
    let expected = Verdict::drop("gopher_dup_para_frac", "gopher_dup_para_frac: 0.667 > 0.30");
    assert_eq!(f.check(&mut rep), expected);
    let mut lines = doc("eng_Latn", &format!("{PROSE}\n{PROSE}"));
    assert_eq!(
        f.check(&mut lines),
        Verdict::drop("gopher_dup_line_frac", "gopher_dup_line_frac: 0.50 > 0.30")
    );
}

#[test]
fn thresholds_come_from_the_language_file_and_can_be_switched_off() {
    let f = filter_with(
        "[quality]\ngopher_min_words = 10\n",
        &[("fra_Latn", "[quality]\ngopher_min_words = false\n")],
    );
    let mut en = doc("eng_Latn", "Too short of a text to pass.");
    assert!(
        matches!(f.check(&mut en), Verdict::Drop { ref reason, ref detail } if reason == "gopher_min_words" && detail == "gopher_min_words: 7 < 10")
    );
    let mut fr = doc("fra_Latn", "Un texte court mais bien formé.");
    assert_eq!(f.check(&mut fr), Verdict::Keep);
}

#[test]
fn stop_words_only_where_a_list_exists() {
    let f = filter_with("", &[]);
    // 60 distinct made-up words, no English function word.
    let no_stop: String = (0..60u8)
        .map(|i| format!("{}{}lo", (b'b' + i % 20) as char, (b'a' + i / 20) as char))
        .collect::<Vec<_>>()
        .join(" ")
        + ".";
    let mut en = doc("eng_Latn", &no_stop);
    assert!(
        matches!(f.check(&mut en), Verdict::Drop { ref reason, .. } if reason == "gopher_min_stop_words"),
        "{:?}",
        f.check(&mut en.clone())
    );
    // No list for this language: the rule is skipped.
    let mut xx = doc("ell_Latn", &no_stop);
    assert!(
        !matches!(f.check(&mut xx), Verdict::Drop { ref reason, .. } if reason == "gopher_min_stop_words")
    );
}

#[test]
fn code_skips_and_lines_are_cleaned_with_counts() {
    let f = filter_with("", &[]);
    let mut code = doc("code_rust", "fn main() { println!(\"{}\", 1); }");
    code.kind = Kind::Code;
    assert_eq!(f.check(&mut code), Verdict::Keep);
    let mut d = doc(
        "eng_Latn",
        &format!("{PROSE}\nThis website uses cookies to improve your experience.\nHome"),
    );
    assert_eq!(f.check(&mut d), Verdict::Keep);
    assert_eq!(d.text, PROSE);
    assert_eq!(
        d.metadata["quality"],
        json!({"c4_line_min_words": 1, "c4_line_policy": 1})
    );
}

#[test]
fn chinese_counts_characters() {
    let f = filter_with("", &[]);
    let zh = "人人生而自由,在尊严和权利上一律平等。他们赋有理性和良心,并应以兄弟关系的精神相对待。\n人人有资格享有本宣言所载的一切权利和自由,不分种族、肤色、性别、语言、宗教、政治或其他见解、国籍或社会出身、财产、出生或其他身分等任何区别。";
    let mut d = doc("zho_Hans", zh);
    assert_eq!(f.check(&mut d), Verdict::Keep);
}

#[test]
fn numbers_in_details() {
    assert_eq!(num(0.42), "0.42");
    assert_eq!(num(0.3), "0.30");
    assert_eq!(num(0.4217), "0.422");
    assert_eq!(num(50.0), "50");
}

#[test]
fn shipped_default_toml_equals_the_built_in_defaults() {
    let text =
        std::fs::read_to_string(crate::test_paths::repo().join("filters/default.toml")).unwrap();
    let mut table: toml::Table = text.parse().unwrap();
    let mut q = table.remove("quality").unwrap().as_table().unwrap().clone();
    assert!(
        q.remove(SPACELESS).is_some(),
        "default.toml has [quality.spaceless]"
    );
    let shipped: QualitySettings = toml::Value::Table(q.clone()).try_into().unwrap();
    assert_eq!(shipped, QualitySettings::default());
    // Every rule is written out (with its source comment), not left to the built-in value.
    let builtin = toml::Table::try_from(QualitySettings::default()).unwrap();
    for k in builtin.keys() {
        assert!(q.contains_key(k), "filters/default.toml lacks {k}");
    }
}

#[test]
fn pipeline_tables_parse_and_reject_unknown_keys() {
    let cfg: crate::filter::FiltersConfig = toml::from_str(
        "[quality]\nannotate = false\n[pii]\nkinds = [\"email\", \"iban\"]\n[pii.replace]\nemail = \"[mail]\"\n",
    )
    .unwrap();
    assert_eq!(cfg.quality.as_ref().map(|q| q.annotate), Some(false));
    let pii = cfg.pii.unwrap();
    assert_eq!(pii.replace.email, "[mail]");
    assert_eq!(pii.replace.iban, "<IBAN>");
    let f = pii.build().unwrap();
    assert_eq!(
        f.redact("a@b.example x 8.8.8.8").unwrap().0,
        "[mail] x 8.8.8.8"
    );
    assert!(toml::from_str::<crate::filter::FiltersConfig>("[quality]\nthreshold = 1\n").is_err());
    assert!(
        toml::from_str::<crate::filter::FiltersConfig>("[pii]\nkinds = []\n")
            .unwrap()
            .problems()
            .len()
            == 1
    );
}
