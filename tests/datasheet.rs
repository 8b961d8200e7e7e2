//! The datasheet of the quickstart release: every section of "Datasheets for Datasets", SVG
//! charts, no external resource, rendered by headless Chromium when CI has it (TAMIS_CHROMIUM=1),
//! and the checked-in worked example (datasheets/quickstart/) does not drift.

mod common;

use common::*;

/// Run `pipeline` into a temporary OUT and write its datasheet with `answers`:
/// (the folder, datasheet.md, datasheet.html).
fn release_datasheet(pipeline: &str, answers: &str) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_pipeline(pipeline, &out);
    tamis_ok(&["datasheet", &out.to_string_lossy(), "--answers", answers]);
    let md = std::fs::read_to_string(out.join("datasheet.md")).unwrap();
    let html = std::fs::read_to_string(out.join("datasheet.html")).unwrap();
    (dir, md, html)
}

fn quickstart_datasheet() -> (tempfile::TempDir, String, String) {
    release_datasheet("pipelines/quickstart.toml", "datasheets/quickstart.toml")
}

/// The datasheet of `pipelines/<name>.toml` with `datasheets/<name>.toml` is the one checked in
/// under `datasheets/<name>/`, byte for byte.
fn assert_worked_example_current(name: &str) -> String {
    let pipeline = format!("pipelines/{name}.toml");
    let answers = format!("datasheets/{name}.toml");
    let (_dir, md, html) = release_datasheet(&pipeline, &answers);
    let how = format!(
        "regenerate: ./tamis run {pipeline} && ./tamis datasheet out/{name} --answers {answers} --copy-to datasheets/{name}"
    );
    for (file, got) in [("datasheet.md", &md), ("datasheet.html", &html)] {
        let want = std::fs::read_to_string(repo().join(format!("datasheets/{name}/{file}")))
            .unwrap_or_default();
        assert!(*got == want, "datasheets/{name}/{file} drifted; {how}");
    }
    md
}

#[test]
fn datasheet_answers_every_section_with_charts_and_no_external_resource() {
    let (dir, md, html) = quickstart_datasheet();
    for section in [
        "Motivation",
        "Composition",
        "Collection process",
        "Preprocessing",
        "Uses",
        "Distribution",
        "Maintenance",
    ] {
        assert!(md.contains(&format!("## {section}")), "{section}");
        assert!(html.contains(&format!("<h2>{section}")), "{section}");
    }
    assert!(md.contains("| fra_Latn | 5 |"), "{md}");
    assert!(
        md.contains("low_lang_score"),
        "the funnel reasons are listed"
    );
    let charts = html.matches("<svg").count();
    assert!(charts >= 5, "{charts} charts");
    for title in [
        "Documents per language",
        "Filter funnel",
        "Documents per year",
        "Top domains kept",
        "Top domains removed",
    ] {
        assert!(html.contains(&format!("<title>{title}")), "{title}");
    }
    // Self-contained: no external stylesheet, script, image or font.
    for needle in [
        "<script",
        "<link",
        "src=\"http",
        "href=\"http",
        "url(http",
        "@import",
    ] {
        assert!(!html.contains(needle), "{needle}");
    }
    if std::env::var("TAMIS_CHROMIUM").as_deref() == Ok("1") {
        let png = dir.path().join("page.png");
        let page = dir.path().join("out/datasheet.html");
        let profile = dir.path().join("profile");
        let out = std::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                // Any request the page made would fail: the render must not need one.
                "--host-resolver-rules=MAP * ~NOTFOUND",
                &format!("--user-data-dir={}", profile.display()),
                "--window-size=1000,3000",
                &format!("--screenshot={}", png.display()),
                &format!("file://{}", page.display()),
            ])
            .output()
            .expect("chromium");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes = std::fs::read(&png).unwrap();
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 20_000,
            "{} bytes",
            bytes.len()
        );
        let dom = std::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--host-resolver-rules=MAP * ~NOTFOUND",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(format!("file://{}", page.display()))
            .output()
            .expect("chromium");
        let dom = String::from_utf8_lossy(&dom.stdout);
        assert!(
            dom.matches("<svg").count() >= 5,
            "rendered DOM has the charts"
        );
    } else {
        eprintln!("TAMIS_CHROMIUM is not 1: the page was checked statically, not rendered");
    }
}

#[test]
fn the_checked_in_worked_example_does_not_drift() {
    assert_worked_example_current("quickstart");
}

/// The BLOOM-like release from every real file in ../shared/data: crawl captures (damaged ones
/// included), UDHR and Tatoeba texts, code in 13 languages.
#[test]
fn the_real_data_worked_example_does_not_drift() {
    let md = assert_worked_example_current("bloom_shared");
    // What the real data must show, whatever the wording: damaged records quarantined, languages
    // outside BLOOM removed, code kept, token shares solved.
    for needle in [
        "read/",
        "lid/unwanted_language",
        "code_rust",
        "swh_Latn",
        "Tokens per language",
    ] {
        assert!(md.contains(needle), "{needle} missing from the datasheet");
    }
}
