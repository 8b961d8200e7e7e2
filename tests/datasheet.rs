//! The datasheet of the quickstart release: every section of "Datasheets for Datasets", SVG
//! charts, no external resource, rendered by headless Chromium when CI has it (TAMIS_CHROMIUM=1),
//! and the checked-in worked example (datasheets/quickstart/) does not drift.

mod common;

use common::*;

fn quickstart_datasheet() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_string_lossy().into_owned();
    tamis_ok(&[
        "run",
        "pipelines/quickstart.toml",
        "-o",
        &o,
        "--no-progress",
    ]);
    tamis_ok(&["datasheet", &o, "--answers", "datasheets/quickstart.toml"]);
    let md = std::fs::read_to_string(out.join("datasheet.md")).unwrap();
    let html = std::fs::read_to_string(out.join("datasheet.html")).unwrap();
    (dir, md, html)
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
    let (_dir, md, html) = quickstart_datasheet();
    let want_md = std::fs::read_to_string(repo().join("datasheets/quickstart/datasheet.md"))
        .unwrap_or_default();
    let want_html = std::fs::read_to_string(repo().join("datasheets/quickstart/datasheet.html"))
        .unwrap_or_default();
    let how = "regenerate: ./tamis run pipelines/quickstart.toml && ./tamis datasheet out/quickstart --answers datasheets/quickstart.toml --copy-to datasheets/quickstart";
    assert!(
        md == want_md,
        "datasheets/quickstart/datasheet.md drifted; {how}"
    );
    assert!(
        html == want_html,
        "datasheets/quickstart/datasheet.html drifted; {how}"
    );
}
