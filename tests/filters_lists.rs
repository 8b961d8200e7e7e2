//! The URL and banned-word filters on real lists and real prose from `../shared/data`
//! (`$TAMIS_SHARED_DATA` overrides): the full UT1 adult list, LDNOOBW and BigScience ROOTS word
//! lists, UDHR translations.
//!
//! The UT1 lists load once per test binary (`OnceLock`; later filters built on the same files
//! share the loaded tables through the process-wide list cache).

mod common;

use common::{repo, shared_data as shared};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tamis::doc::{Doc, Verdict};
use tamis::filter::settings::LangSettings;
use tamis::filter::url::{UrlFilter, UrlFilterConfig};
use tamis::filter::words::{WordListConfig, WordsFilter, WordsFilterConfig};
use tamis::filter::BuildCtx;

fn ctx() -> BuildCtx {
    BuildCtx {
        settings: LangSettings::load(&repo().join("filters")).unwrap(),
        assets: repo().join("assets"),
        list_cache: None,
    }
}

fn ut1() -> PathBuf {
    shared().join("url_blocklists/ut1")
}

fn gz_lines(path: &Path) -> Vec<String> {
    let mut s = String::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut s)
        .unwrap();
    s.lines().map(str::to_string).collect()
}

/// Entry counts of `counts.tsv` by file name.
fn ut1_counts() -> BTreeMap<String, usize> {
    std::fs::read_to_string(ut1().join("counts.tsv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[1].to_string(), c[2].parse().unwrap())
        })
        .collect()
}

/// Adult, phishing and malware, loaded once.
fn ut1_filter() -> &'static UrlFilter {
    static F: OnceLock<UrlFilter> = OnceLock::new();
    F.get_or_init(|| {
        let cfg = UrlFilterConfig {
            ut1: Some(ut1()),
            categories: vec!["adult".into(), "phishing".into(), "malware".into()],
            ..Default::default()
        };
        cfg.build(&ctx()).unwrap_or_else(|p| panic!("{p:?}"))
    })
}

fn verdict(v: Verdict) -> (String, String) {
    match v {
        Verdict::Keep => ("keep".into(), String::new()),
        Verdict::Drop { reason, detail } => (reason, detail),
    }
}

fn url_verdict(f: &UrlFilter, url: &str) -> (String, String) {
    verdict(f.check_url(Some(url)))
}

/// Every 100,000th line of the adult domains, plus the first and last (read once).
fn adult_sample() -> &'static [String] {
    static S: OnceLock<Vec<String>> = OnceLock::new();
    S.get_or_init(|| {
        let lines = gz_lines(&ut1().join("adult.domains.gz"));
        assert_eq!(lines.len(), ut1_counts()["adult.domains.gz"]);
        let mut v: Vec<String> = lines.iter().step_by(100_000).cloned().collect();
        v.push(lines.last().unwrap().clone());
        v
    })
}

#[test]
fn ut1_adult_loads_whole_and_blocks_real_entries_and_their_subdomains() {
    let f = ut1_filter();
    let counts = ut1_counts();
    let sizes = f.list_sizes();
    let size = |name: &str, kind: &str| {
        sizes
            .iter()
            .find(|(n, k, _)| n == name && *k == kind)
            .unwrap()
            .2
    };
    // Every line of the adult list is a distinct domain.
    assert_eq!(size("ut1/adult", "domains"), counts["adult.domains.gz"]);
    assert_eq!(
        size("ut1/phishing", "domains"),
        counts["phishing.domains.gz"]
    );
    assert_eq!(size("ut1/malware", "domains"), counts["malware.domains.gz"]);
    let sample = adult_sample();
    assert!(sample.len() >= 46);
    for d in sample {
        let want = ("blocked_domain".to_string(), format!("ut1/adult: {d}"));
        assert_eq!(url_verdict(f, &format!("https://{d}/")), want, "{d}");
        assert_eq!(
            url_verdict(f, &format!("HTTP://WWW.{}/Some/Page?x=1", d.to_uppercase())).0,
            "blocked_domain",
            "{d}"
        );
        assert_eq!(
            url_verdict(f, &format!("http://tamis-probe.{d}:8080/a")),
            want,
            "sub-domain of {d}"
        );
    }
}

/// The real adult list read back from its compiled copy answers as the parsed list, entry for
/// entry (the list is copied to a folder of its own, so the process-wide cache of loaded lists
/// cannot hand back the parsed tables).
#[test]
fn ut1_adult_from_its_compiled_copy_answers_as_the_parsed_list() {
    let parsed = ut1_filter();
    let dir = tempfile::tempdir().unwrap();
    let lists = dir.path().join("ut1");
    std::fs::create_dir_all(&lists).unwrap();
    for f in ["adult.domains.gz", "adult.urls.gz"] {
        std::fs::copy(ut1().join(f), lists.join(f)).unwrap();
    }
    let cfg = UrlFilterConfig {
        ut1: Some(lists),
        categories: vec!["adult".into()],
        ..Default::default()
    };
    let ctx = BuildCtx {
        list_cache: Some(dir.path().join("copies")),
        ..ctx()
    };
    let mut probes: Vec<String> = Vec::new();
    for d in adult_sample() {
        probes.push(format!("https://{d}/"));
        probes.push(format!("http://www.sub.{d}/page"));
        probes.push(format!("https://not-{d}/"));
    }
    for u in gz_lines(&ut1().join("adult.urls.gz")).iter().step_by(1_000) {
        probes.push(format!("http://{u}"));
        probes.push(format!("http://{u}/below/it"));
    }
    probes.push("https://www.wikipedia.org/wiki/Sieve".into());
    let adult_only = |v: (String, String)| {
        // The shared filter also holds phishing and malware: compare the adult verdicts.
        if v.1.starts_with("ut1/adult") || v.0 == "keep" {
            v
        } else {
            ("keep".into(), String::new())
        }
    };
    let want: Vec<_> = probes
        .iter()
        .map(|u| adult_only(url_verdict(parsed, u)))
        .collect();
    assert!(want.iter().filter(|v| v.0 != "keep").count() > 100);
    for expect in ["(1 compiled copy written)", "(from 1 compiled copy)"] {
        let f = cfg.build(&ctx).unwrap_or_else(|p| panic!("{p:?}"));
        let notes = f.notes().join("\n");
        assert!(notes.contains(expect), "{notes}");
        let got: Vec<_> = probes.iter().map(|u| url_verdict(&f, u)).collect();
        assert_eq!(got, want);
    }
}

#[test]
fn ut1_does_not_block_public_suffixes_siblings_or_unrelated_sites() {
    let f = ut1_filter();
    for d in adult_sample() {
        let d = d.as_str();
        let suffix = psl::suffix_str(d).unwrap();
        assert_eq!(
            url_verdict(f, &format!("https://{suffix}/")).0,
            "keep",
            "public suffix {suffix} of {d}"
        );
        // A site next to the entry under the same public suffix (x.blogspot.tw vs other.blogspot.tw).
        let sibling = format!("https://tamis-unrelated-sibling.{suffix}/");
        assert_eq!(url_verdict(f, &sibling).0, "keep", "{sibling} (entry {d})");
        // The entry's name as a sub-domain of an unrelated site.
        let inside = format!("https://{d}.tamis-example.org/");
        assert_eq!(url_verdict(f, &inside).0, "keep", "{inside}");
    }
    for u in [
        "https://fr.wikipedia.org/wiki/Toulouse",
        "https://www.legifrance.gouv.fr/",
        "https://commoncrawl.org/",
        "https://github.com/huggingface/datatrove",
        "https://www.bbc.co.uk/news",
        "https://blogspot.com/",
        "https://www.tumblr.com/",
        "https://www.reddit.com/r/rust/",
    ] {
        assert_eq!(url_verdict(f, u).0, "keep", "{u}");
    }
}

#[test]
fn ut1_adult_urls_block_their_pages_and_below() {
    let f = ut1_filter();
    assert!(f
        .list_sizes()
        .iter()
        .any(|(n, k, len)| n == "ut1/adult" && *k == "urls" && *len > 19_000));
    assert_eq!(
        url_verdict(f, "https://www.reddit.com/r/asshole/comments/abc/title/"),
        (
            "blocked_url".into(),
            "ut1/adult: reddit.com/r/asshole".into()
        )
    );
    assert_eq!(
        url_verdict(
            f,
            "http://erotik-wallpapers.blogspot.com/2014/05/some-post.html"
        ),
        (
            "blocked_url".into(),
            "ut1/adult: erotik-wallpapers.blogspot.com/2014/05".into()
        )
    );
    // Every 1,000th URL entry is blocked, by its URL or by its domain.
    let lines = gz_lines(&ut1().join("adult.urls.gz"));
    for e in lines.iter().step_by(1000) {
        let (reason, detail) = url_verdict(f, &format!("http://{e}"));
        assert!(
            reason == "blocked_url" || reason == "blocked_domain",
            "{e}: {reason} {detail}"
        );
    }
}

#[test]
fn opt_out_beats_allow_list_on_real_entries() {
    ut1_filter(); // the adult list stays loaded; this filter shares it
    let sample = adult_sample();
    let (allowed, opted) = (&sample[1], &sample[2]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("filters_lists_optout");
    std::fs::create_dir_all(&dir).unwrap();
    let allow = dir.join("allow.txt");
    std::fs::write(&allow, format!("{allowed}\n{opted}\n")).unwrap();
    let opt_out = dir.join("owners_optout.txt");
    std::fs::write(
        &opt_out,
        format!("# owners who asked to be left out\n{opted}\nexample.org/private/\n"),
    )
    .unwrap();
    let cfg = UrlFilterConfig {
        ut1: Some(ut1()),
        categories: vec!["adult".into()],
        allow_domains: vec![allow],
        opt_out: vec![opt_out],
        ..Default::default()
    };
    let f = cfg.build(&ctx()).unwrap();
    assert_eq!(
        url_verdict(&f, &format!("https://{allowed}/")).0,
        "keep",
        "allow-listed UT1 entry"
    );
    assert_eq!(
        url_verdict(&f, &format!("https://www.{opted}/page")),
        ("opt_out".into(), format!("owners_optout: {opted}"))
    );
    assert_eq!(
        url_verdict(&f, "https://example.org/private/doc.html"),
        (
            "opt_out".into(),
            "owners_optout: example.org/private".into()
        )
    );
    assert_eq!(url_verdict(&f, "https://example.org/public/").0, "keep");
    assert_eq!(
        url_verdict(&f, &format!("https://{}/", sample[3])).0,
        "blocked_domain"
    );
}

#[test]
fn repo_optout_example_list_loads() {
    let cfg = UrlFilterConfig {
        opt_out: vec![repo().join("lists/optout_example.txt")],
        ..Default::default()
    };
    let f = cfg.build(&ctx()).unwrap();
    assert!(f.list_sizes().iter().all(|(_, _, n)| *n > 0));
}

// ---- banned words ----

fn words_filter() -> &'static WordsFilter {
    static F: OnceLock<WordsFilter> = OnceLock::new();
    F.get_or_init(|| {
        let bw = shared().join("banned_words");
        let cfg = WordsFilterConfig {
            lists: vec![
                WordListConfig {
                    name: "ldnoobw".into(),
                    path: bw.join("ldnoobw"),
                },
                WordListConfig {
                    name: "roots".into(),
                    path: bw.join("bigscience_roots"),
                },
                WordListConfig {
                    name: "roots_extra".into(),
                    path: bw.join("bigscience_data_tooling_extra"),
                },
            ],
            ..Default::default()
        };
        cfg.build(&ctx()).unwrap_or_else(|p| panic!("{p:?}"))
    })
}

fn udhr(code: &str) -> String {
    std::fs::read_to_string(shared().join("udhr").join(format!("{code}.txt"))).unwrap()
}

/// The first paragraphs of a UDHR translation (at least `min_chars`), with `planted` words
/// inserted between the words (space-separated scripts) or at the end of lines (Chinese).
fn planted(code: &str, min_chars: usize, planted: &[&str], spaced: bool) -> String {
    let mut text = String::new();
    for line in udhr(code).lines().filter(|l| l.chars().count() > 40) {
        text.push_str(line);
        text.push('\n');
        if text.chars().count() >= min_chars {
            break;
        }
    }
    if spaced {
        let mut words: Vec<String> = text.split(' ').map(str::to_string).collect();
        let step = words.len() / (planted.len() + 1);
        for (i, p) in planted.iter().enumerate().rev() {
            words.insert((i + 1) * step, p.to_string());
        }
        words.join(" ")
    } else {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        assert!(lines.len() > planted.len(), "not enough lines");
        for (i, p) in planted.iter().enumerate() {
            lines[i].push_str(p);
        }
        lines.join("\n")
    }
}

/// Check a drop: reason, list/lang, count, the words listed, and the ratio above the threshold.
fn assert_dropped(v: Verdict, list_lang: &str, count: usize, words: &[&str]) {
    let (reason, detail) = verdict(v);
    assert_eq!(reason, "banned_words", "{detail}");
    let prefix = format!("{list_lang}: {count} of ");
    assert!(
        detail.starts_with(&prefix),
        "{detail} should start with {prefix}"
    );
    let listed = detail.rsplit_once("): ").unwrap().1;
    assert_eq!(listed, words.join(", "), "{detail}");
    let inner = detail.split_once(" words (").unwrap().1;
    let (ratio, max) = inner.split_once(')').unwrap().0.split_once(" > ").unwrap();
    assert!(
        ratio.parse::<f64>().unwrap() > max.parse::<f64>().unwrap(),
        "{detail}"
    );
}

#[test]
fn planted_words_in_real_prose_are_dropped_with_their_detail() {
    let f = words_filter();
    let fr = planted("fr", 600, &["merde", "Connard", "ENCULÉ"], true);
    assert_dropped(
        f.check_text(Some("fra_Latn"), &fr),
        "ldnoobw/fra_Latn",
        3,
        &["merde", "connard", "enculé"],
    );
    let en = planted("en", 600, &["bullshit", "Motherfucker"], true);
    assert_dropped(
        f.check_text(Some("eng_Latn"), &en),
        "ldnoobw/eng_Latn",
        2,
        &["bullshit", "motherfucker"],
    );
    // Documents without a language are checked as English.
    assert_dropped(
        f.check_text(None, &en),
        "ldnoobw/eng_Latn",
        2,
        &["bullshit", "motherfucker"],
    );
    let zh = planted("zh-Hans", 300, &["做爱", "口交", "三级片"], false);
    assert_dropped(
        f.check_text(Some("zho_Hans"), &zh),
        "ldnoobw/zho_Hans",
        3,
        &["做爱", "口交", "三级片"],
    );
    // Hindi in Devanagari: the ROOTS list (LDNOOBW's hi list is romanised Hindi).
    let hi = planted("hi", 600, &["चुदाई", "मुखमैथुन"], true);
    assert_dropped(
        f.check_text(Some("hin_Deva"), &hi),
        "roots/hin_Deva",
        2,
        &["चुदाई", "मुखमैथुन"],
    );
    // The same texts without the planted words are kept.
    for (code, tag) in [
        ("fr", "fra_Latn"),
        ("en", "eng_Latn"),
        ("zh-Hans", "zho_Hans"),
        ("hi", "hin_Deva"),
    ] {
        let clean = planted(code, 600, &[], code != "zh-Hans");
        assert_eq!(f.check_text(Some(tag), &clean), Verdict::Keep, "{code}");
    }
}

#[test]
fn planted_words_glued_to_longer_words_are_not_matched() {
    let f = words_filter();
    // Listed `con`, `cul`, `bite` inside ordinary French words; `ass`, `cunt`, `anal`, `cock`,
    // `rapist`, `tit` inside English ones: no match.
    let fr = planted(
        "fr",
        600,
        &["considérant", "contre", "culture", "bitume"],
        true,
    );
    assert_eq!(f.check_text(Some("fra_Latn"), &fr), Verdict::Keep);
    let en = planted(
        "en",
        600,
        &[
            "classic",
            "Scunthorpe",
            "analysis",
            "cocktail",
            "therapist",
            "title",
        ],
        true,
    );
    assert_eq!(f.check_text(Some("eng_Latn"), &en), Verdict::Keep);
}

fn udhr_files() -> Vec<(String, String, PathBuf)> {
    let mut v: Vec<(String, String, PathBuf)> = std::fs::read_dir(shared().join("udhr"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .filter_map(|p| {
            let stem = p.file_stem()?.to_str()?.to_string();
            let tag = tamis::lang::canonical(&stem)?;
            Some((stem, tag, p))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn clean_udhr_texts_are_kept_in_every_language_with_a_list() {
    let f = words_filter();
    let mut checked = Vec::new();
    let mut dropped = Vec::new();
    for (stem, tag, path) in udhr_files() {
        if f.report(&tag, "").is_none() {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        checked.push(stem.clone());
        let (reason, detail) = verdict(f.check_text(Some(&tag), &text));
        if reason != "keep" {
            dropped.push(format!("{stem}: {detail}"));
        }
    }
    // Every language with a list in shared/data and a UDHR text (37 files).
    assert!(checked.len() >= 37, "{checked:?}");
    for must in [
        "en", "fr", "zh-Hans", "hi", "ja", "fa", "th", "ar", "ru", "de", "pt-BR", "ta", "bn", "vi",
    ] {
        assert!(
            checked.iter().any(|c| c == must),
            "{must} not checked: {checked:?}"
        );
    }
    assert!(
        dropped.is_empty(),
        "false positives on real prose:\n{}",
        dropped.join("\n")
    );
}

#[test]
fn every_udhr_paragraph_is_kept_on_its_own() {
    // Short documents are where one ambiguous word tips the ratio ("sex" in the article on
    // non-discrimination, 39 words): filters/default.toml's min_count = 2 keeps them.
    let f = words_filter();
    let mut checked = 0;
    let mut dropped = Vec::new();
    for (stem, tag, path) in udhr_files() {
        if f.report(&tag, "").is_none() {
            continue;
        }
        for (i, para) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
            checked += 1;
            let (reason, detail) = verdict(f.check_text(Some(&tag), para));
            if reason != "keep" {
                dropped.push(format!("{stem}:{}: {detail}", i + 1));
            }
        }
    }
    assert!(checked > 2500, "{checked}");
    assert!(
        dropped.is_empty(),
        "false positives on real prose:\n{}",
        dropped.join("\n")
    );
}

#[test]
fn all_udhr_translations_with_a_list_are_kept() {
    // The 532 translations of shared/data (preamble and articles 1–20), each as one document.
    let f = words_filter();
    let mut s = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(shared().join("udhr/all_translations_preamble_art1-20.tsv.gz"))
            .unwrap(),
    )
    .read_to_string(&mut s)
    .unwrap();
    let mut docs: BTreeMap<(String, String), String> = BTreeMap::new();
    for line in s.lines().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        if let Some(tag) = tamis::lang::canonical(c[2]).or_else(|| tamis::lang::canonical(c[1])) {
            let d = docs.entry((tag, c[0].to_string())).or_default();
            d.push_str(c[6]);
            d.push('\n');
        }
    }
    let mut checked = 0;
    let mut dropped = Vec::new();
    for ((tag, f_code), text) in &docs {
        if f.report(tag, "").is_none() {
            continue;
        }
        checked += 1;
        let (reason, detail) = verdict(f.check_text(Some(tag), text));
        if reason != "keep" {
            dropped.push(format!("{f_code} ({tag}): {detail}"));
        }
    }
    assert!(checked >= 59, "{checked}");
    assert!(
        dropped.is_empty(),
        "false positives on real prose:\n{}",
        dropped.join("\n")
    );
}

// ---- both filters from a pipeline file ----

#[test]
fn pipeline_toml_builds_both_filters_in_pass_order() {
    ut1_filter();
    let toml = format!(
        r#"
name = "lists-test"
[[inputs]]
paths = ["none/*.jsonl"]
source = "test"

[filters]
settings = "{repo}/filters"

[filters.url]
ut1 = "{ut1}"
categories = ["adult", "phishing", "malware"]
opt_out = ["{repo}/lists/optout_example.txt"]

[filters.url.words]
soft_threshold = 2

[filters.words]
lists = [{{ name = "ldnoobw", path = "{bw}/ldnoobw" }}]
untagged_languages = ["en"]
"#,
        repo = repo().display(),
        ut1 = ut1().display(),
        bw = shared().join("banned_words").display()
    );
    let p = tamis::config::Pipeline::parse(&toml).unwrap();
    assert!(p.problems().is_empty(), "{:?}", p.problems());
    let chain = p.filters.build().unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(chain.stages(), ["url", "words"]);
    // Every list file read is pinned in the release manifest.
    let assets = chain.assets();
    for f in [
        "adult.domains.gz",
        "adult.urls.gz",
        "malware.domains.gz",
        "optout_example.txt",
        "ldnoobw/fr.txt",
        "ldnoobw/zh.txt",
    ] {
        assert!(
            assets.iter().any(|p| p.ends_with(f)),
            "{f} not in {assets:?}"
        );
    }
    let notes = chain.notes();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("documents in any other language are kept")),
        "{notes:?}"
    );
    let d = &adult_sample()[5];
    let doc = |url: &str, lang: Option<&str>, text: &str| {
        let mut doc = Doc {
            id: "d".into(),
            text: text.into(),
            url: Some(url.into()),
            lang: lang.map(str::to_string),
            ..Default::default()
        };
        chain
            .check(&mut doc)
            .map(|(stage, reason, _)| (stage, reason))
    };
    let en = udhr("en");
    assert_eq!(
        doc(&format!("https://{d}/x"), Some("eng_Latn"), &en),
        Some(("url", "blocked_domain".into()))
    );
    assert_eq!(
        doc("https://example.com/bukkake", Some("eng_Latn"), &en),
        Some(("url", "url_banned_word".into()))
    );
    assert_eq!(doc("https://example.com/udhr", Some("eng_Latn"), &en), None);
    assert_eq!(
        doc("https://example.com/x", None, "fuck this shit"),
        Some(("words", "banned_words".into()))
    );
    assert_eq!(
        doc("https://example.com/x", Some("yor_Latn"), "fuck this shit"),
        None,
        "no list: kept"
    );
}

// ---- manifests ----

#[test]
fn vendored_lists_match_their_manifest_and_every_manifest_is_complete() {
    use sha2::Digest;
    let fw: toml::Table = std::fs::read_to_string(repo().join("lists/fineweb_url.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let files = fw["files"].as_table().unwrap();
    assert_eq!(files.len(), 3);
    for (name, want) in files {
        let bytes = std::fs::read(repo().join("lists/fineweb_url").join(name)).unwrap();
        assert_eq!(
            hex::encode(sha2::Sha256::digest(&bytes)),
            want.as_str().unwrap(),
            "{name}"
        );
    }
    for m in ["naughty-words", "ut1", "fineweb_url"] {
        let t: toml::Table = std::fs::read_to_string(repo().join(format!("lists/{m}.toml")))
            .unwrap()
            .parse()
            .unwrap();
        for key in ["name", "description", "licence", "source"] {
            assert!(t.contains_key(key), "{m}: no {key}");
        }
        let source = t["source"].as_table().unwrap();
        assert!(
            source["package"].as_str().unwrap().contains(['@', '=']),
            "{m}: package with version"
        );
        let sha = source
            .get("sha256")
            .or(source.get("wheel_sha256"))
            .unwrap()
            .as_str()
            .unwrap();
        assert!(
            sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "{m}"
        );
    }
    // The UT1 manifest pins the very files the tests load.
    let ut1m: toml::Table = std::fs::read_to_string(repo().join("lists/ut1.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let adult = ut1m["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str() == Some("adult/domains"))
        .unwrap();
    let mut raw = Vec::new();
    flate2::read::MultiGzDecoder::new(std::fs::File::open(ut1().join("adult.domains.gz")).unwrap())
        .read_to_end(&mut raw)
        .unwrap();
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&raw)),
        adult["sha256"].as_str().unwrap()
    );
}

#[test]
fn default_words_config_reads_the_npm_package_installed_by_setup() {
    // `./setup --assets-only` (run before the tests, see README) unpacks naughty-words@1.2.0.
    let assets = std::env::var_os("TAMIS_ASSETS")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("assets"));
    assert!(
        assets.join("naughty-words").is_dir(),
        "{} missing: run ./setup --assets-only first",
        assets.join("naughty-words").display()
    );
    let ctx = BuildCtx {
        settings: LangSettings::load(&repo().join("filters")).unwrap(),
        assets,
        list_cache: None,
    };
    let f = WordsFilterConfig::default()
        .build(&ctx)
        .unwrap_or_else(|p| panic!("{p:?}"));
    // 28 JSON lists; fr and fr-CA-u-sd-caqc are both fra_Latn.
    assert_eq!(f.languages().len(), 27, "{:?}", f.languages());
    let fr = planted("fr", 600, &["merde", "Connard", "ENCULÉ"], true);
    assert_dropped(
        f.check_text(Some("fra_Latn"), &fr),
        "ldnoobw/fra_Latn",
        3,
        &["merde", "connard", "enculé"],
    );
    // Same verdicts as the plain-text copies of the lists on every UDHR text.
    let plain = words_filter();
    for (stem, tag, path) in udhr_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let (a, b) = (f.report(&tag, &text), plain.report(&tag, &text));
        if let (Some(a), Some(b)) = (a, b) {
            let hits = |r: &tamis::filter::words::WordsReport| {
                r.lists
                    .iter()
                    .find(|(n, _)| n == "ldnoobw")
                    .map(|(_, h)| h.clone())
            };
            assert_eq!(hits(&a), hits(&b), "{stem}");
        }
    }
}
