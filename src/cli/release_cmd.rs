//! `tamis verify`, `tamis audit`, `tamis diff`: governance over a finished run.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::release::audit;

/// Recompute every sha256 and count of a release against OUT/manifest.json and say exactly what
/// differs (exit 1 when anything does).
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The output directory of a run.
    pub out: PathBuf,
}

/// `tamis verify`.
pub fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let diffs = crate::release::verify(&args.out)?;
    if diffs.is_empty() {
        println!(
            "{}: every input, asset and output matches manifest.json",
            args.out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    for d in &diffs {
        println!("{d}");
    }
    eprintln!("tamis verify: {} differences", diffs.len());
    Ok(ExitCode::from(1))
}

/// Questions about a release, answered from its own records.
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Is this URL (or document id) in the release? If not, which stage removed it, why, and
    /// which list entry, word, rule or duplicate caused it.
    Why {
        /// The output directory of a run.
        out: PathBuf,
        /// A URL (scheme, `www.` and trailing slash variants are tried) or a document id.
        query: String,
        /// Print JSON instead of sentences.
        #[arg(long)]
        json: bool,
    },
}

/// `tamis audit`.
pub fn audit(args: AuditArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        AuditCommand::Why { out, query, json } => {
            let findings = audit::why(&out, &query)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&findings)?);
            } else {
                print!("{}", audit::explain(&query, &findings));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What entered and what left between two releases, with the reason each document left.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older release's output directory.
    pub old: PathBuf,
    /// The newer release's output directory.
    pub new: PathBuf,
    /// List every document id, not only the counts.
    #[arg(long)]
    pub list: bool,
}

/// `tamis diff`.
pub fn diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let d = audit::diff(&args.old, &args.new)?;
    println!("unchanged {}", d.unchanged);
    println!("entered   {}", d.entered.len());
    println!("left      {}", d.left.len());
    for (reason, n) in &d.left_by_reason {
        println!("  {reason:<40} {n}");
    }
    if args.list {
        for id in &d.entered {
            println!("+ {id}");
        }
        for (id, r) in &d.left {
            println!("- {id}\t{r}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Write OUT/datasheet.md and a self-contained OUT/datasheet.html answering "Datasheets for
/// Datasets" (motivation, composition, collection, preprocessing, uses, distribution,
/// maintenance) from the release's manifest and records, with SVG charts (documents and tokens
/// per language, the filter funnel, documents per year, top domains kept and removed) and the
/// team's free-text answers.
#[derive(Debug, Args)]
pub struct DatasheetArgs {
    /// The output directory of a finished run (with manifest.json).
    pub out: PathBuf,
    /// The team's answers (a copy of datasheets/template.toml, filled in).
    #[arg(long, default_value = "datasheets/template.toml")]
    pub answers: PathBuf,
    /// Also copy both files here (e.g. datasheets/quickstart).
    #[arg(long, value_name = "DIR")]
    pub copy_to: Option<PathBuf>,
}

/// `tamis datasheet`.
pub fn datasheet(args: DatasheetArgs) -> anyhow::Result<ExitCode> {
    use crate::release::datasheet;
    let bytes = std::fs::read(args.out.join("manifest.json")).with_context(|| {
        format!(
            "{}: no manifest.json (run the pipeline to the end first)",
            args.out.display()
        )
    })?;
    let m: crate::release::Manifest = serde_json::from_slice(&bytes)?;
    let answers: toml::Table = std::fs::read_to_string(&args.answers)
        .with_context(|| format!("reading {}", args.answers.display()))?
        .parse()
        .with_context(|| format!("parsing {}", args.answers.display()))?;
    let name = m
        .pipeline
        .get("name")
        .and_then(|v| v.as_str())
        .unwrap_or("release")
        .to_string();
    let facts = datasheet::gather(&args.out, &m)?;
    let md = datasheet::markdown(&name, &m, &facts, &answers);
    let html = datasheet::html(&name, &m, &facts, &answers);
    let out = crate::out::OutDir::create(&args.out)?;
    out.write_file("datasheet.md", md.as_bytes())?;
    out.write_file("datasheet.html", html.as_bytes())?;
    if let Some(dir) = &args.copy_to {
        let d = crate::out::OutDir::create(dir)?;
        d.write_file("datasheet.md", md.as_bytes())?;
        d.write_file("datasheet.html", html.as_bytes())?;
    }
    println!(
        "wrote {}/datasheet.md and datasheet.html",
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Make a release from a finished one.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    #[command(subcommand)]
    command: ReleaseCommand,
}

#[derive(Debug, Subcommand)]
enum ReleaseCommand {
    /// The next release of OLD without the documents an opt-out list names, without reading,
    /// filtering or deduplicating again: documents and token shards less the opted-out
    /// documents (tokens copied from OLD's token cache), the removed log with their rows (stage
    /// `optout`, reason `opt_out`, detail `<list>: <entry>`), counts, and a manifest that pins
    /// OLD's manifest and the lists by sha256. Lists have the format of `[filters.url] opt_out`
    /// (lists/optout_example.txt): a domain covers its sub-domains, a URL the pages below it.
    /// Rerun after an interruption with the same arguments: finished shards are kept.
    Optout {
        /// The finished release (with manifest.json).
        old: PathBuf,
        /// Opt-out list file (repeat for several).
        #[arg(long = "list", value_name = "FILE", required = true)]
        lists: Vec<PathBuf>,
        /// Where the new release goes (a new folder, or the one of an interrupted run).
        #[arg(short, long)]
        output: PathBuf,
        /// Worker threads (0 = all cores).
        #[arg(short = 'j', long, default_value_t = 0)]
        threads: usize,
    },
}

/// `tamis release`.
pub fn release(args: ReleaseArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ReleaseCommand::Optout {
            old,
            lists,
            output,
            threads,
        } => {
            let s = crate::release::optout::apply(&old, &lists, &output, threads)?;
            println!(
                "{} → {}: {} documents before, {} removed by opt-out now, {} in the new release",
                old.display(),
                output.display(),
                s.documents_before,
                s.documents_before.saturating_sub(s.documents),
                s.documents
            );
            for (entry, n) in &s.by_entry {
                println!("  {entry:<50} {n}");
            }
            if s.units_skipped > 0 {
                println!(
                    "document shards: {} done now, {} already done by an earlier run",
                    s.units_run, s.units_skipped
                );
            }
            if let Some(n) = s.token_shards {
                println!("token shards: {n}, rebuilt from the token cache (no re-tokenization)");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
