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
    /// Run SQL over the release's tables (polars SQL, run by the `tamis-sql` binary beside
    /// `tamis`; build it once with `cargo build --release -p tamis-sql`).
    ///
    /// Tables: `docs` (OUT/docs/*.parquet: id, text, url, date, source, lang, lang_score, kind,
    /// metadata, cluster_size), `removed` (OUT/removed/*/*.parquet: id, url, source, lang, stage,
    /// reason, detail, location), `stats` (OUT/stats/*.json, one row per count: stage, metric,
    /// key, value; e.g. stage `filter`, metric `removed`, key `lid/low_lang_score`). Only the
    /// columns a query names are read.
    ///
    /// Example: tamis audit sql out/quickstart "SELECT stage, reason, count(*) AS n FROM removed
    /// GROUP BY stage, reason ORDER BY n DESC"
    Sql {
        /// The output directory of a run.
        out: PathBuf,
        /// One SELECT statement.
        query: String,
        /// `table` (aligned, for reading), `csv` or `json` (an array of objects, for scripts).
        #[arg(long, default_value = "table")]
        format: String,
        /// Rows printed in `table` format (all rows in csv and json).
        #[arg(long, default_value_t = 100)]
        max_rows: usize,
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
        AuditCommand::Sql {
            out,
            query,
            format,
            max_rows,
        } => {
            let mut cmd = std::process::Command::new(sql_binary()?);
            cmd.arg(&out)
                .arg(&query)
                .arg("--format")
                .arg(&format)
                .arg("--max-rows")
                .arg(max_rows.to_string());
            let status = cmd.status().context("starting tamis-sql")?;
            // Its exit code is ours: 0 answered, 2 a bad query, a missing table or OUT.
            Ok(ExitCode::from(
                status
                    .code()
                    .and_then(|c| u8::try_from(c).ok())
                    .unwrap_or(2),
            ))
        }
    }
}

/// The `tamis-sql` binary: `$TAMIS_SQL` when set, else beside the running `tamis` (the same
/// cargo profile folder). It is a separate workspace crate so that polars never enters the core
/// build; it is built on demand.
fn sql_binary() -> anyhow::Result<PathBuf> {
    if let Some(p) = std::env::var_os("TAMIS_SQL") {
        let p = PathBuf::from(p);
        anyhow::ensure!(
            p.is_file(),
            "TAMIS_SQL={}: no such file (unset it to use the tamis-sql beside tamis)",
            p.display()
        );
        return Ok(p);
    }
    let exe = std::env::current_exe().context("locating the tamis binary")?;
    let dir = exe.parent().map(PathBuf::from).unwrap_or_default();
    let bin = dir.join(format!("tamis-sql{}", std::env::consts::EXE_SUFFIX));
    if bin.is_file() {
        return Ok(bin);
    }
    let release = dir.file_name().is_some_and(|n| n == "release");
    anyhow::bail!(
        "tamis audit sql runs the tamis-sql binary, which is not built: no {} \
         (polars is kept out of the core build; ≈ 15 min of CPU once). Build it with: \
         cargo build {}-p tamis-sql",
        bin.display(),
        if release { "--release " } else { "" }
    )
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
