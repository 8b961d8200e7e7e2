//! `tamis datasheet OUT`: a datasheet (Gebru et al., "Datasheets for Datasets") for a release, in
//! Markdown and as one self-contained HTML page with SVG charts. Numbers come from the release's
//! own records (manifest, stats, removed log, document shards); free-text answers from a TOML
//! file the team fills in (`datasheets/template.toml`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io;
use std::path::Path;

use super::manifest::Manifest;
use super::scan::{parquet_files, scan_doc_facts, scan_strings};
use crate::stats::StageStats;

/// The numbers of a release.
#[derive(Debug, Default)]
pub struct Facts {
    /// Documents kept per language tag.
    pub docs_by_lang: BTreeMap<String, u64>,
    /// Tokens written per language tag (when token shards exist).
    pub tokens_by_lang: BTreeMap<String, u64>,
    /// Kept documents per year of their date (`undated` for none).
    pub docs_by_year: BTreeMap<String, u64>,
    /// Kept documents per source.
    pub docs_by_source: BTreeMap<String, u64>,
    /// Kept documents per host.
    pub kept_domains: BTreeMap<String, u64>,
    /// Removed documents per host.
    pub removed_domains: BTreeMap<String, u64>,
    /// Removed rows per `stage/reason`.
    pub removed_by_reason: BTreeMap<String, u64>,
    /// Documents remaining after each stage, in pass order: (label, documents).
    pub funnel: Vec<(String, u64)>,
}

fn host(url: &str) -> Option<String> {
    let h = url::Url::parse(url).ok()?.host_str()?.to_ascii_lowercase();
    Some(h.strip_prefix("www.").unwrap_or(&h).to_string())
}

fn year(micros: i64) -> String {
    crate::read::date::format_date(micros)
        .get(..4)
        .unwrap_or("????")
        .to_string()
}

/// Gather the numbers of `out`.
pub fn gather(out: &Path, manifest: &Manifest) -> io::Result<Facts> {
    let mut f = Facts::default();
    for shard in parquet_files(&out.join("docs")) {
        scan_doc_facts(&shard, |(date, url, lang, source)| {
            *f.docs_by_lang
                .entry(lang.unwrap_or_else(|| "und".into()))
                .or_default() += 1;
            *f.docs_by_year
                .entry(date.map(year).unwrap_or_else(|| "undated".into()))
                .or_default() += 1;
            *f.docs_by_source.entry(source).or_default() += 1;
            if let Some(h) = url.as_deref().and_then(host) {
                *f.kept_domains.entry(h).or_default() += 1;
            }
        })?;
    }
    for shard in parquet_files(&out.join("removed")) {
        scan_strings(&shard, &["url", "stage", "reason"], |_, v| {
            if let Some(h) = v[0].and_then(host) {
                *f.removed_domains.entry(h).or_default() += 1;
            }
            *f.removed_by_reason
                .entry(format!("{}/{}", v[1].unwrap_or(""), v[2].unwrap_or("")))
                .or_default() += 1;
            true
        })?;
    }
    if let Some(t) = &manifest.tokens {
        if let Some(m) = t.get("tokens_by_lang").and_then(|m| m.as_object()) {
            for (k, v) in m {
                f.tokens_by_lang.insert(k.clone(), v.as_u64().unwrap_or(0));
            }
        }
    }
    // Funnel: records read, then documents left after each stage in pass order.
    let filter = manifest.counts.get("filter").cloned().unwrap_or_default();
    let read_bad = filter
        .removed
        .iter()
        .filter(|(k, _)| k.starts_with("read/"))
        .map(|(_, v)| v)
        .sum::<u64>();
    f.funnel
        .push(("records read".into(), filter.docs_in + read_bad));
    let mut left = filter.docs_in;
    f.funnel.push(("readable documents".into(), left));
    for stage in ["url", "lid", "words", "quality", "pii"] {
        let n: u64 = filter
            .removed
            .iter()
            .filter(|(k, _)| k.starts_with(&format!("{stage}/")))
            .map(|(_, v)| v)
            .sum();
        if n > 0 {
            left -= n.min(left);
            f.funnel.push((format!("after {stage}"), left));
        }
    }
    if let Some(d) = manifest.counts.get("dedup") {
        f.funnel.push(("after dedup".into(), d.docs_out));
    }
    if let Some(o) = manifest.counts.get(super::optout::OPTOUT_STAGE) {
        f.funnel.push(("after opt-out".into(), o.docs_out));
    }
    Ok(f)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart as inline SVG.
pub fn bar_chart(title: &str, items: &[(String, u64)]) -> String {
    let row = 18;
    let label_w = 190;
    let bar_w = 440;
    let h = 30 + row * items.len().max(1);
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(1).max(1);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{t}" width="720" height="{h}" viewBox="0 0 720 {h}"><title>{t}</title><text x="0" y="16" class="ct">{t}</text>"#,
        t = esc(title)
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let y = 26 + i * row;
        let w = ((*v as f64 / max as f64) * bar_w as f64)
            .round()
            .max(if *v > 0 { 1.0 } else { 0.0 });
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="cl">{l}</text><rect x="{bx}" y="{y}" width="{w}" height="{bh}" class="bar"/><text x="{vx}" y="{ty}" class="cv">{v}</text>"#,
            lx = label_w - 6,
            ty = y + 12,
            l = esc(label),
            bx = label_w,
            bh = row - 4,
            vx = label_w as f64 + w + 4.0,
        );
    }
    s.push_str("</svg>");
    s
}

fn top(map: &BTreeMap<String, u64>, n: usize) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = map.iter().map(|(k, v)| (k.clone(), *v)).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

fn answer(answers: &toml::Table, section: &str, key: &str) -> String {
    answers
        .get(section)
        .and_then(|s| s.get(key))
        .and_then(|v| v.as_str())
        .filter(|s| !s.trim().is_empty())
        .unwrap_or("(not answered)")
        .to_string()
}

/// One section of the datasheet: heading, the team's answers, generated tables and charts.
struct Section {
    title: &'static str,
    answers: Vec<(&'static str, String)>,
    tables: Vec<(String, Vec<(String, u64)>)>,
    charts: Vec<(String, Vec<(String, u64)>)>,
    notes: Vec<String>,
}

fn sections(m: &Manifest, f: &Facts, answers: &toml::Table) -> Vec<Section> {
    let a = |s: &str, k: &str| answer(answers, s, k);
    let by_lang: Vec<(String, u64)> = top(&f.docs_by_lang, usize::MAX);
    let tokens: Vec<(String, u64)> = top(&f.tokens_by_lang, usize::MAX);
    let years: Vec<(String, u64)> = f
        .docs_by_year
        .iter()
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    let reasons = top(&f.removed_by_reason, usize::MAX);
    let dedup = m
        .counts
        .get("dedup")
        .cloned()
        .unwrap_or_else(StageStats::default);
    let mut composition_notes = vec![format!(
        "{} documents in {} languages from {} sources.",
        m.documents,
        f.docs_by_lang.len(),
        f.docs_by_source.len()
    )];
    if dedup.docs_in > 0 {
        composition_notes.push(format!(
            "Near-duplicates removed: {} of {} documents (MinHash, survivors keep their cluster size).",
            dedup.docs_in - dedup.docs_out,
            dedup.docs_in
        ));
    }
    let mut charts = vec![("Documents per language".to_string(), by_lang.clone())];
    if !tokens.is_empty() {
        charts.push(("Tokens per language".to_string(), tokens.clone()));
    }
    charts.push(("Documents per year".to_string(), years.clone()));
    vec![
        Section {
            title: "Motivation",
            answers: vec![("Purpose", a("motivation", "purpose")), ("Creators", a("motivation", "creators")), ("Funding", a("motivation", "funding"))],
            tables: vec![],
            charts: vec![],
            notes: vec![],
        },
        Section {
            title: "Composition",
            answers: vec![("Instances", a("composition", "instances")), ("Sampling", a("composition", "sampling")), ("Sensitive content", a("composition", "sensitive"))],
            tables: vec![("Documents per source".into(), top(&f.docs_by_source, usize::MAX))],
            charts,
            notes: composition_notes,
        },
        Section {
            title: "Collection process",
            answers: vec![("Process", a("collection", "process")), ("Consent and opt-out", a("collection", "consent"))],
            tables: vec![("Input files".into(), m.inputs.iter().map(|i| (format!("{} (sha256 {}…)", i.path, &i.sha256[..12]), i.bytes)).collect())],
            charts: vec![],
            notes: vec![format!("{} input files; their sha256 are pinned in manifest.json.", m.inputs.len())],
        },
        Section {
            title: "Preprocessing, cleaning and labelling",
            answers: vec![("Notes", a("preprocessing", "notes"))],
            tables: vec![("Removed, by stage and reason".into(), reasons)],
            charts: vec![
                ("Filter funnel: documents left after each stage".into(), f.funnel.clone()),
                ("Top domains kept".into(), top(&f.kept_domains, 15)),
                ("Top domains removed".into(), top(&f.removed_domains, 15)),
            ],
            notes: vec![format!(
                "Models, lists and settings used, pinned by sha256: {}.",
                m.assets.iter().map(|a| a.path.as_str()).collect::<Vec<_>>().join(", ")
            )],
        },
        Section {
            title: "Uses",
            answers: vec![("Intended uses", a("uses", "intended")), ("Not recommended", a("uses", "not_recommended"))],
            tables: vec![],
            charts: vec![],
            notes: vec![],
        },
        Section {
            title: "Distribution",
            answers: vec![("How and under which terms", a("distribution", "how"))],
            tables: vec![],
            charts: vec![],
            notes: vec![format!(
                "Built by {}; manifest.json pins the build's git revision, and `tamis verify` recomputes every hash and count it holds.",
                m.tool
            )],
        },
        Section {
            title: "Maintenance",
            answers: vec![("Maintainers", a("maintenance", "who")), ("Updates", a("maintenance", "updates"))],
            tables: vec![],
            charts: vec![],
            notes: vec!["Removal requests: add the URL or domain to an opt-out list and build the next release; `tamis diff OLD NEW` lists what left and why.".into()],
        },
    ]
}

/// The Markdown datasheet.
pub fn markdown(name: &str, m: &Manifest, f: &Facts, answers: &toml::Table) -> String {
    let mut s = format!("# Datasheet: {name}\n\nGenerated by `tamis datasheet` from the release's manifest and records. Charts are in datasheet.html.\n");
    for sec in sections(m, f, answers) {
        let _ = write!(s, "\n## {}\n\n", sec.title);
        for (q, a) in &sec.answers {
            let _ = writeln!(s, "**{q}.** {a}\n");
        }
        for n in &sec.notes {
            let _ = writeln!(s, "{n}\n");
        }
        for (title, rows) in sec.tables.iter().chain(sec.charts.iter()) {
            let _ = writeln!(s, "| {title} | count |\n|---|---:|");
            for (k, v) in rows {
                let _ = writeln!(s, "| {} | {v} |", k.replace('|', "\\|"));
            }
            s.push('\n');
        }
    }
    s
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2rem}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}td.n{text-align:right}.chart{display:block;margin:1rem 0}.bar{fill:#3d6fb6}.ct{font-weight:bold;font-size:14px}.cl,.cv{font-size:11px}.lead{color:#555}";

/// The self-contained HTML datasheet (inline CSS and SVG; no external resource of any kind).
pub fn html(name: &str, m: &Manifest, f: &Facts, answers: &toml::Table) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Datasheet: {n}</title><style>{css}</style></head><body><h1>Datasheet: {n}</h1><p class=\"lead\">Generated by <code>tamis datasheet</code> from the release's manifest and records.</p>",
        n = esc(name),
        css = CSS,
    );

    for sec in sections(m, f, answers) {
        let _ = write!(s, "<section><h2>{}</h2>", esc(sec.title));
        for (q, a) in &sec.answers {
            let _ = write!(s, "<p><strong>{}.</strong> {}</p>", esc(q), esc(a));
        }
        for n in &sec.notes {
            let _ = write!(s, "<p>{}</p>", esc(n));
        }
        for (title, rows) in &sec.charts {
            s.push_str(&bar_chart(title, rows));
        }
        for (title, rows) in &sec.tables {
            let _ = write!(
                s,
                "<table><caption>{}</caption><tr><th>item</th><th>count</th></tr>",
                esc(title)
            );
            for (k, v) in rows {
                let _ = write!(s, "<tr><td>{}</td><td class=\"n\">{v}</td></tr>", esc(k));
            }
            s.push_str("</table>");
        }
        s.push_str("</section>");
    }
    s.push_str("</body></html>\n");
    s
}
