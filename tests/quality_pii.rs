//! A corpus generated from the real text of shared/data (UDHR paragraphs of several languages,
//! code files) with planted low-quality documents and planted PII beside decoys: every planted
//! document is dropped by the intended rule, every planted value is redacted and counted, decoys
//! and clean documents come through untouched.

mod common;

use common::shared_data;
use std::path::PathBuf;

use tamis::doc::{Doc, Kind};
use tamis::filter::pii::PiiConfig;
use tamis::filter::quality::QualityFilterConfig;
use tamis::filter::{FilterChain, FiltersConfig};

fn repo(p: &str) -> PathBuf {
    common::repo().join(p)
}

// The other filters (url, lid, words) add their fields to FiltersConfig: the update keeps them off.
#[allow(clippy::needless_update)]
fn chain() -> FilterChain {
    let cfg = FiltersConfig {
        settings: repo("filters"),
        quality: Some(QualityFilterConfig {
            stopwords_dir: repo("lists/stopwords"),
            ..QualityFilterConfig::default()
        }),
        pii: Some(PiiConfig::default()),
        ..FiltersConfig::default()
    };
    cfg.build().unwrap_or_else(|p| panic!("{p:?}"))
}

/// Non-blank lines of a UDHR file.
fn udhr(code: &str) -> Vec<String> {
    std::fs::read_to_string(shared_data().join(format!("udhr/{code}.txt")))
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn doc(id: &str, lang: &str, text: String) -> Doc {
    Doc {
        id: id.into(),
        text,
        lang: Some(lang.into()),
        source: "test".into(),
        ..Doc::default()
    }
}

#[test]
fn planted_low_quality_documents_drop_with_the_right_rule() {
    let chain = chain();
    let en = udhr("en");
    let zh = udhr("zh-Hans");
    let prose = en[3..8].join("\n");
    let keywords = [
        "cheap flights to the sun",
        "best hotel in the city",
        "car hire at the airport",
        "deals of the day",
        "holiday homes by the sea",
        "last minute trips",
        "the best spa breaks",
        "city breaks in spring",
        "family rooms for the summer",
        "ski trips in the alps",
        "cruises in the north",
        "the top ten beaches",
    ]
    .join("\n");
    let planted: Vec<(&str, Doc)> = vec![
        ("gopher_dup_line_frac", doc("rep", "eng_Latn", [&en[3..6], &en[3..6], &en[3..6]].concat().join("\n"))),
        ("gopher_dup_line_frac", doc("rep-zh", "zho_Hans", [&zh[3..6], &zh[3..6], &zh[3..6]].concat().join("\n"))),
        ("gopher_dup_para_frac", doc("para", "eng_Latn", [prose.as_str(); 3].join("\n\n"))),
        ("fineweb_short_line_ratio", doc("kw", "eng_Latn", keywords.clone())),
        (
            "gopher_bullet_lines",
            doc("bullets", "eng_Latn", keywords.lines().map(|l| format!("• {l}")).collect::<Vec<_>>().join("\n")),
        ),
        (
            "gopher_ellipsis_lines",
            doc("teasers", "eng_Latn", en[3..9].iter().map(|l| format!("{}...", &l[..l.len().min(60)])).collect::<Vec<_>>().join("\n")),
        ),
        (
            "gopher_hash_word_ratio",
            doc("hashtags", "eng_Latn", format!("{}\n#love #instagood #photooftheday #fashion #beautiful #happy #cute #tbt #like4like #followme #picoftheday #follow #me #selfie #summer #art", en[3])),
        ),
        (
            "gopher_alpha_words",
            doc("soup", "eng_Latn", "1234 5678 9012 3456 7890 1122 3344 5566 7788 9900 1020 3040 5060 7080 9010 2030 4050 6070 8090 1357 -- ** >> << ++ == ~~ || !! ?? 1.55 2.55 3.55 the of and to it.".into()),
        ),
        (
            "c4_lorem_ipsum",
            doc("lorem", "eng_Latn", format!("{prose}\nLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.")),
        ),
        ("c4_curly_bracket", doc("tpl", "eng_Latn", format!("Dear {{{{customer_name}}}},\n{prose}"))),
        (
            "c4_no_lines_left",
            doc("boiler", "eng_Latn", "This website uses cookies to give you the best experience.\nPlease enable JavaScript in your browser to use this site.\nBy using it you accept our privacy policy and the terms of use.\nHome\nAbout us\nContact\nLog in\nAll rights reserved to the owner of the site and its partners in the world.".replace("All rights reserved to the owner of the site and its partners in the world.", "See our cookie policy for the use of cookies on this and other sites of the group.")),
        ),
        ("gopher_min_words", doc("short", "fra_Latn", "Bonjour et bienvenue sur le site.".into())),
        ("gopher_min_stop_words", doc("nostop", "deu_Latn", "Menschenrechte Würde Freiheit Gleichheit Brüderlichkeit Vernunft Gewissen Geist Rasse Hautfarbe Geschlecht Sprache Religion Anschauung Herkunft Vermögen Geburt Stand Unterschied Grundlage Status Gebiet Treuhandgebiet Souveränität Leben Sicherheit Sklaverei Leibeigenschaft Sklavenhandel Folter.".into())),
    ];
    for (rule, mut d) in planted {
        let got = chain.check(&mut d);
        match got {
            Some((stage, reason, detail)) => {
                assert_eq!(
                    (stage, reason.as_str()),
                    ("quality", rule),
                    "{}: {detail}",
                    d.id
                );
                assert!(detail.starts_with(rule), "{detail}");
            }
            None => panic!("{} was kept, expected {rule}: {:?}", d.id, d.text),
        }
    }
}

#[test]
fn clean_documents_and_code_are_kept_untouched() {
    let chain = chain();
    let mut n = 0;
    for (code, tag) in [
        ("en", "eng_Latn"),
        ("fr", "fra_Latn"),
        ("de", "deu_Latn"),
        ("zh-Hans", "zho_Hans"),
        ("hi", "hin_Deva"),
        ("sw", "swh_Latn"),
        ("ar", "arb_Arab"),
        ("ru", "rus_Cyrl"),
        ("ja", "jpn_Jpan"),
        ("yo", "yor_Latn"),
        ("ta", "tam_Taml"),
        ("th", "tha_Thai"),
    ] {
        let lines = udhr(code);
        for (i, chunk) in lines.chunks(5).filter(|c| c.len() == 5).enumerate() {
            let text = chunk.join("\n");
            let mut d = doc(&format!("{code}#{i}"), tag, text.clone());
            assert_eq!(chain.check(&mut d), None, "{code} doc {i} dropped");
            // Only C4 line removal may change it (short heading lines), never the PII pass.
            assert!(
                d.metadata.get("pii").is_none(),
                "{code} doc {i}: {:?}",
                d.metadata
            );
            n += 1;
        }
    }
    assert!(n > 100);
    let code_dir = shared_data().join("code");
    let mut files = 0;
    for lang in std::fs::read_dir(&code_dir).unwrap() {
        let lang = lang.unwrap().path();
        if !lang.is_dir() || lang.ends_with("LICENSES") {
            continue;
        }
        for f in std::fs::read_dir(&lang).unwrap() {
            let p = f.unwrap().path();
            let mut d = doc(
                &p.display().to_string(),
                &format!("code_{}", lang.file_name().unwrap().to_string_lossy()),
                std::fs::read_to_string(&p).unwrap(),
            );
            d.kind = Kind::Code;
            assert_eq!(chain.check(&mut d), None, "{} dropped", p.display());
            files += 1;
        }
    }
    assert!(files >= 60);
}

#[test]
fn no_pii_false_positive_in_the_udhr_of_any_language() {
    let f = PiiConfig::default().build().unwrap();
    let dir = shared_data().join("udhr");
    let mut checked = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            let t = std::fs::read_to_string(&p).unwrap();
            let spans = f.find(&t);
            assert!(
                spans.is_empty(),
                "{}: {:?}",
                p.display(),
                spans.iter().map(|s| &t[s.start..s.end]).collect::<Vec<_>>()
            );
            checked += 1;
        }
    }
    assert!(checked >= 109);
}

#[test]
fn planted_pii_is_redacted_and_counted_decoys_survive() {
    let chain = chain();
    let en = udhr("en");
    let planted = [
        ("email", "jean.dupont@example.org"),
        ("email", "a.b-c+news@mail.example.co.uk"),
        ("iban", "DE89 3704 0044 0532 0130 00"),
        ("iban", "GB82WEST12345698765432"),
        ("iban", "FR14 2004 1010 0505 0001 3M02 606"),
        ("iban", "NL91ABNA0417164300"),
        ("card", "4111 1111 1111 1111"),
        ("card", "5500-0000-0000-0004"),
        ("card", "378282246310005"),
        ("card", "6011 1111 1111 1117"),
        ("ip", "8.8.8.8"),
        ("ip", "151.101.1.69"),
        ("ip", "2606:4700:4700::1111"),
        ("phone", "+33 1 42 68 53 00"),
        ("phone", "+1 (415) 555-0132"),
        ("phone", "+49 30 901820"),
        ("phone", "(212) 555-0143"),
        ("phone", "020 7946 0958"),
        ("phone", "01 42 68 53 00"),
    ];
    let decoys = [
        "4111 1111 1111 1112",
        "192.168.0.1",
        "10.0.0.254",
        "127.0.0.1",
        "203.0.113.7",
        "198.51.100.23",
        "2001:db8::42",
        "fe80::1",
        "DE89 3704 0044 0532 0130 01",
        "GB00WEST12345698765432",
        "1948",
        "$1,299.99",
        "€ 49.90",
        "12 500 €",
        "10.12.1948",
        "1948-12-10",
        "ISBN 978-3-16-148410-0",
        "Article 19",
        "v1.2.3.4",
        "1 234 567",
        "2024-2025",
        "+5 %",
    ];
    let mut expected: std::collections::BTreeMap<&str, u64> = Default::default();
    for (i, (kind, value)) in planted.iter().enumerate() {
        *expected.entry(kind).or_default() += 1;
        let decoy = decoys[i % decoys.len()];
        let text = format!(
            "{}\n{}\nFor questions write to or call {value} (reference {decoy}), as stated in the register.\n{}\n{}\nThe figures {} and {} were noted.",
            en[3 + i % 20],
            en[4 + i % 20],
            en[5 + i % 20],
            en[6 + i % 20],
            decoys[(i + 7) % decoys.len()],
            decoys[(i + 13) % decoys.len()]
        );
        let mut d = doc(&format!("pii{i}"), "eng_Latn", text.clone());
        assert_eq!(chain.check(&mut d), None, "{value}: dropped");
        assert!(
            !d.text.contains(value),
            "{kind} {value} survived: {}",
            d.text
        );
        let marker = format!("<{}>", kind.to_uppercase());
        assert!(
            d.text.contains(&format!("call {marker} (reference")),
            "{value}: {}",
            d.text
        );
        for dec in [
            decoy,
            decoys[(i + 7) % decoys.len()],
            decoys[(i + 13) % decoys.len()],
        ] {
            assert!(d.text.contains(dec), "decoy {dec} was touched: {}", d.text);
        }
        let meta = serde_json::to_string(&d.metadata).unwrap();
        assert_eq!(d.metadata["pii"][*kind], 1, "{value}: {meta}");
        assert!(!meta.contains(value), "metadata leaks {value}");
    }
    // Many values in one document: counts per kind.
    let all = planted
        .iter()
        .map(|(_, v)| format!("Contact {v} now."))
        .collect::<Vec<_>>()
        .join("\n");
    let mut d = doc("all", "eng_Latn", format!("{}\n{all}", en[3..8].join("\n")));
    let f = PiiConfig::default().build().unwrap();
    let (text, counts) = f.redact(&d.text).unwrap();
    for (kind, n) in &expected {
        assert_eq!(counts[*kind], *n, "{kind}: {counts:?}");
    }
    for (_, v) in planted {
        assert!(!text.contains(v));
    }
    d.text = text;
}
