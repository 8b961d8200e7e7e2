//! Pipeline configuration: TOML → plain serde structs (this module) → runtime objects (`build`
//! functions in the stage modules). Validation gathers every problem before refusing, each named
//! by its TOML path.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::filter::FiltersConfig;
use crate::read::fields::FieldsSpec;

/// A whole pipeline file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pipeline {
    /// Name of the pipeline (and of the release it makes).
    pub name: String,
    /// One line on what it is for.
    #[serde(default)]
    pub description: Option<String>,
    /// Output directory (`--output` overrides), relative to the working directory.
    #[serde(default)]
    pub output: Option<PathBuf>,
    /// Worker threads; 0 = all cores (`--threads` overrides).
    #[serde(default)]
    pub threads: usize,
    /// Input dumps.
    #[serde(default)]
    pub inputs: Vec<InputConfig>,
    /// Reader settings shared by every input.
    #[serde(default)]
    pub read: ReadConfig,
    /// Per-document filters, fused in one pass.
    #[serde(default)]
    pub filters: FiltersConfig,
    /// Near-duplicate removal across the corpus (runs when the table is present).
    #[serde(default)]
    pub dedup: Option<crate::dedup::DedupConfig>,
    /// Token shards (written when the table is present), in date order, weighted.
    #[serde(default)]
    pub tokens: Option<TokensConfig>,
    /// Epochs per language/source, or target token shares (with `[tokens]`).
    #[serde(default)]
    pub weights: crate::weight::WeightsConfig,
    /// Temporal order of the token stream (with `[tokens]`).
    #[serde(default)]
    pub order: crate::order::OrderConfig,
}

/// `[tokens]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensConfig {
    /// `{ type = "tiktoken", encoding = "o200k_base" }` or `{ type = "huggingface", path = "tokenizer.json" }`.
    pub tokenizer: crate::tokenize::TokenizerSpec,
    /// Largest shard, in tokens (a document never straddles two shards).
    #[serde(default = "default_shard_tokens")]
    pub shard_tokens: u64,
}

fn default_shard_tokens() -> u64 {
    100_000_000
}

/// Input formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FormatName {
    /// From the file name: `.warc*`/`.wet*` → warc, `.jsonl*`/`.json*`/`.ndjson*` → jsonl, `.parquet` → parquet.
    #[default]
    Auto,
    /// WARC (response and conversion records).
    Warc,
    /// WET: WARC files of conversion records (read by the same reader).
    Wet,
    /// JSON lines.
    Jsonl,
    /// Parquet.
    Parquet,
    /// Each file is one document (source files of a code dump, plain text files).
    File,
}

/// What an input holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// Natural-language text (language ID decides the language).
    #[default]
    Text,
    /// Source code: labelled by programming language, never dropped by natural-language ID.
    Code,
}

/// One `[[inputs]]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// Glob patterns (`data/*.warc.wet.gz`).
    pub paths: Vec<String>,
    /// File format.
    #[serde(default)]
    pub format: FormatName,
    /// Source name stored on every document (`cc-main-2024-22`, `wikipedia-fr`, `github`).
    pub source: String,
    /// Field mapping for JSONL and Parquet: a preset name or a table.
    #[serde(default)]
    pub fields: FieldsSpec,
    /// Text or code.
    #[serde(default)]
    pub kind: InputKind,
}

impl InputConfig {
    /// Text files matched by `paths` under source name `source`, the format told by their
    /// contents and the default field mapping: what commands and tests read outside a pipeline.
    pub fn of_paths(paths: Vec<String>, source: &str) -> InputConfig {
        InputConfig {
            paths,
            format: FormatName::Auto,
            source: source.to_string(),
            fields: FieldsSpec::default(),
            kind: InputKind::Text,
        }
    }
}

/// What to do with text that is not valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Utf8Policy {
    /// Quarantine the record with reason `invalid_utf8`.
    #[default]
    Quarantine,
    /// Replace bad bytes by U+FFFD and note `metadata.utf8_repaired`.
    Replace,
}

/// What to do with a date field that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BadDatePolicy {
    /// Keep the document without a date; the raw value goes to `metadata.unparsed_date` and the
    /// stats count it.
    #[default]
    Keep,
    /// Quarantine the record with reason `bad_date`.
    Quarantine,
}

/// `[read]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReadConfig {
    /// Largest record (WARC block, JSON line, decoded HTML body) read; larger ones are
    /// quarantined with `record_too_large`.
    pub max_record_bytes: u64,
    /// HTML pages with more elements are quarantined (`html_too_complex`) instead of parsed.
    pub max_html_elements: usize,
    /// Invalid UTF-8 in WET/JSONL/Parquet text.
    pub invalid_utf8: Utf8Policy,
    /// Unparsable dates.
    pub bad_date: BadDatePolicy,
    /// Documents whose text is empty after extraction are quarantined (`empty_text`).
    pub drop_empty: bool,
}

impl Default for ReadConfig {
    fn default() -> Self {
        ReadConfig {
            max_record_bytes: 64 << 20,
            max_html_elements: 100_000,
            invalid_utf8: Utf8Policy::Quarantine,
            bad_date: BadDatePolicy::Keep,
            drop_empty: true,
        }
    }
}

/// A configuration problem, with the TOML path at fault.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigProblem {
    /// `inputs[0].paths`, `filters.lid.model`, …
    pub at: String,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl std::fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// A pipeline file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read pipeline {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// TOML syntax or an unknown/mistyped option.
    #[error("invalid pipeline {path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message, with line and column.
        message: String,
    },
    /// Semantic problems, all of them.
    #[error("invalid pipeline {path}:\n{}", problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<ConfigProblem>,
    },
}

impl Pipeline {
    /// Read and parse a pipeline file (syntax and types only; see [`Pipeline::validate`]).
    pub fn load(path: &Path) -> Result<Pipeline, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Pipeline::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })
    }

    /// Parse pipeline TOML.
    pub fn parse(text: &str) -> Result<Pipeline, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Every semantic problem (empty means valid). Input globs are checked by the planner.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut push = |at: String, message: String| out.push(ConfigProblem { at, message });
        if self.name.trim().is_empty() {
            push("name".into(), "must not be empty".into());
        }
        if self.inputs.is_empty() {
            push(
                "inputs".into(),
                "no [[inputs]] table: add one with paths and source".into(),
            );
        }
        for (i, input) in self.inputs.iter().enumerate() {
            if input.paths.is_empty() {
                push(
                    format!("inputs[{i}].paths"),
                    "give at least one glob".into(),
                );
            }
            if input.source.trim().is_empty() {
                push(format!("inputs[{i}].source"), "must name the source".into());
            } else if !is_safe_name(&input.source) {
                push(
                    format!("inputs[{i}].source"),
                    format!(
                        "{:?}: use letters, digits, '-', '_' and '.' only",
                        input.source
                    ),
                );
            }
            if let Err(m) = input.fields.resolve() {
                push(format!("inputs[{i}].fields"), m);
            }
        }
        if self.read.max_record_bytes == 0 {
            push("read.max_record_bytes".into(), "must be positive".into());
        }
        out.extend(self.filters.problems());
        if let Some(d) = &self.dedup {
            out.extend(d.problems());
        }
        if let Some(t) = &self.tokens {
            if t.shard_tokens == 0 {
                out.push(ConfigProblem {
                    at: "tokens.shard_tokens".into(),
                    message: "must be positive".into(),
                });
            }
        }
        out.extend(self.weights.problems());
        out.extend(self.order.problems());
        out
    }

    /// Fail with every problem at once.
    pub fn validate(&self, path: &Path) -> Result<(), ConfigError> {
        let problems = self.problems();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            })
        }
    }
}

/// Problems (configuration problems, or any other displayable ones) as one message, each after
/// `sep`.
pub fn join_problems<T: std::fmt::Display>(problems: &[T], sep: &str) -> String {
    problems
        .iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join(sep)
}

/// A name that is safe inside file names and never escapes a directory.
pub fn is_safe_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}
