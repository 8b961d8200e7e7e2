//! `tamis filters show LANG`: the per-language filter settings in force for a language (merged
//! from `filters/default.toml` and `filters/<tag>.toml`), with where each value comes from.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};

use crate::filter::quality::{self, text::Unit, QualityFilterConfig};
use crate::filter::settings::LangSettings;
use crate::filter::BuildCtx;

/// Inspect the per-language filter settings.
#[derive(Debug, Args)]
pub struct FiltersArgs {
    #[command(subcommand)]
    command: FiltersCommand,
}

#[derive(Debug, Subcommand)]
enum FiltersCommand {
    /// Print the settings in force for a language, merged, with the file each value comes from.
    Show(ShowArgs),
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// Language, in any accepted form (`fr`, `fra_Latn`, `zh-Hant`, `__label__de`).
    lang: String,
    /// The settings folder.
    #[arg(long, default_value = "filters")]
    settings: PathBuf,
    /// The stop-word lists folder.
    #[arg(long, default_value = "lists/stopwords")]
    stopwords: PathBuf,
}

/// `tamis filters …`.
pub fn run(args: FiltersArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        FiltersCommand::Show(a) => show(a),
    }
}

fn show(a: ShowArgs) -> anyhow::Result<ExitCode> {
    let tag = crate::lang::canonical(&a.lang)
        .ok_or_else(|| anyhow!("{:?} is not a known language tag", a.lang))?;
    let ls = LangSettings::load(&a.settings).map_err(|p| {
        anyhow!(
            "{}",
            p.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    })?;
    print!("{}", render(&ls, &tag, &a.stopwords)?);
    Ok(ExitCode::SUCCESS)
}

fn value(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// The report for one language.
fn render(ls: &LangSettings, tag: &str, stopwords: &std::path::Path) -> anyhow::Result<String> {
    let own_file = format!("{tag}.toml");
    let has_file = ls.languages().any(|l| l == tag);
    let spaceless = crate::lang::script_part(tag).is_some_and(crate::lang::script_without_spaces);
    let mut out = format!(
        "# filter settings in force for {tag} ({}; {})\n",
        ls.dir().display(),
        if has_file {
            format!("default.toml + {own_file}")
        } else {
            "default.toml only".into()
        }
    );
    // Every section named in either file.
    let mut sections = BTreeSet::new();
    sections.insert(quality::SECTION.to_string());
    for file in [ls.default_section_names(), ls.own_section_names(tag)] {
        sections.extend(file);
    }
    for section in sections {
        out.push_str(&format!("\n[{section}]\n"));
        let own = ls.own_section(tag, &section);
        let default = ls.default_section(&section);
        if section == quality::SECTION {
            let unit = if spaceless { Unit::Chars } else { Unit::Words };
            if spaceless {
                out.push_str("# words counted as characters: [quality.spaceless] applies\n");
            }
            let merged = quality::raw_settings(ls, Some(tag), unit);
            let sub = |t: Option<&toml::Table>| match t.and_then(|t| t.get(quality::SPACELESS)) {
                Some(toml::Value::Table(x)) => Some(x.clone()),
                _ => None,
            };
            let (own_sub, default_sub) = (sub(own), sub(default));
            // Keys not written in any file take the built-in defaults (the same values).
            let builtin = toml::Table::try_from(quality::settings::QualitySettings::default())
                .context("serialising the built-in quality defaults")?;
            for (k, v) in &builtin {
                let (shown, from) =
                    if spaceless && own_sub.as_ref().is_some_and(|t| t.contains_key(k)) {
                        (&merged[k], format!("{own_file} [quality.spaceless]"))
                    } else if own.is_some_and(|t| t.contains_key(k)) {
                        (&merged[k], own_file.clone())
                    } else if spaceless && default_sub.as_ref().is_some_and(|t| t.contains_key(k)) {
                        (&merged[k], "default.toml [quality.spaceless]".to_string())
                    } else if let Some(v) = merged.get(k) {
                        (v, "default.toml".to_string())
                    } else {
                        (v, "built-in".to_string())
                    };
                out.push_str(&format!("{k} = {}  # {from}\n", value(shown)));
            }
            let ctx = BuildCtx {
                settings: ls.clone(),
                assets: PathBuf::new(),
                list_cache: None,
            };
            let cfg = QualityFilterConfig {
                stopwords_dir: stopwords.to_path_buf(),
                ..QualityFilterConfig::default()
            };
            match quality::Profile::build(&cfg, &ctx, Some(tag)) {
                Ok(p) => {
                    let r = p.rules(unit);
                    match (&r.stopwords_path, &r.stopwords) {
                        (Some(path), Some(sw)) => out.push_str(&format!(
                            "# stop words: {} ({} words)\n",
                            path.display(),
                            sw.len()
                        )),
                        _ => out.push_str(
                            "# stop words: none for this language, the stop-word rule is skipped\n",
                        ),
                    }
                }
                Err(problems) => {
                    for p in problems {
                        out.push_str(&format!("# PROBLEM {p}\n"));
                    }
                }
            }
            continue;
        }
        let merged = ls.raw_section(Some(tag), &section);
        for (k, v) in &merged {
            let from = if own.is_some_and(|t| t.contains_key(k)) {
                own_file.as_str()
            } else {
                "default.toml"
            };
            out.push_str(&format!("{k} = {}  # {from}\n", value(v)));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_merged_values_and_their_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("default.toml"),
            "[quality]\ngopher_min_words = 20\n[quality.spaceless]\ngopher_min_words = 40\n[words]\nmax_ratio = 0.1\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("fra_Latn.toml"),
            "[quality]\ngopher_dup_line_frac = 0.5\n",
        )
        .unwrap();
        let ls = LangSettings::load(dir.path()).unwrap();
        let fr = render(&ls, "fra_Latn", dir.path()).unwrap();
        assert!(
            fr.contains("gopher_dup_line_frac = 0.5  # fra_Latn.toml"),
            "{fr}"
        );
        assert!(fr.contains("gopher_min_words = 20  # default.toml"), "{fr}");
        assert!(
            fr.contains("gopher_top_2gram_frac = 0.2  # built-in"),
            "{fr}"
        );
        assert!(
            fr.contains("[words]\nmax_ratio = 0.1  # default.toml"),
            "{fr}"
        );
        let zh = render(&ls, "zho_Hans", dir.path()).unwrap();
        assert!(
            zh.contains("gopher_min_words = 40  # default.toml [quality.spaceless]"),
            "{zh}"
        );
    }
}
