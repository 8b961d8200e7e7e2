//! Per-language filter settings from the `filters/` folder: `filters/default.toml` applies to
//! every language, `filters/<tag>.toml` (canonical tag, e.g. `fra_Latn.toml`) overrides it for one
//! language. Each file has one table per filter (`[lid]`, `[words]`, `[quality]`, …) whose keys the
//! filter owns; a language file only lists what differs from the default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::config::ConfigProblem;

/// The settings of every language, merged over the defaults on lookup.
#[derive(Debug, Clone, Default)]
pub struct LangSettings {
    dir: PathBuf,
    default: toml::Table,
    per_lang: BTreeMap<String, toml::Table>,
}

fn problem(at: impl Into<String>, message: impl Into<String>) -> ConfigProblem {
    ConfigProblem {
        at: at.into(),
        message: message.into(),
    }
}

impl LangSettings {
    /// Load a settings folder; every bad file is reported.
    pub fn load(dir: &Path) -> Result<LangSettings, Vec<ConfigProblem>> {
        let mut out = LangSettings {
            dir: dir.to_path_buf(),
            ..LangSettings::default()
        };
        let mut problems = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| {
            vec![problem(
                "filters.settings",
                format!("cannot read the settings folder {}: {e}", dir.display()),
            )]
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        for path in paths {
            let at = path.display().to_string();
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let table = match std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| t.parse::<toml::Table>().map_err(|e| e.to_string()))
            {
                Ok(t) => t,
                Err(e) => {
                    problems.push(problem(at, e));
                    continue;
                }
            };
            if stem == "default" {
                out.default = table;
                continue;
            }
            match crate::lang::canonical(&stem) {
                Some(tag) if tag == stem => {
                    out.per_lang.insert(tag, table);
                }
                Some(tag) => problems.push(problem(
                    at,
                    format!("name the file {tag}.toml (canonical tag)"),
                )),
                None => problems.push(problem(at, format!("{stem:?} is not a language tag"))),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    /// The folder the settings came from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Languages that have a file of their own.
    pub fn languages(&self) -> impl Iterator<Item = &str> {
        self.per_lang.keys().map(String::as_str)
    }

    /// The merged raw table of `section` for `lang` (default, then the language's keys on top).
    pub fn raw_section(&self, lang: Option<&str>, section: &str) -> toml::Table {
        let mut merged = match self.default.get(section) {
            Some(toml::Value::Table(t)) => t.clone(),
            _ => toml::Table::new(),
        };
        if let Some(toml::Value::Table(over)) = lang
            .and_then(|l| self.per_lang.get(l))
            .and_then(|t| t.get(section))
        {
            deep_merge(&mut merged, over);
        }
        merged
    }

    /// Names of the tables in `default.toml`.
    pub fn default_section_names(&self) -> Vec<String> {
        self.default
            .iter()
            .filter(|(_, v)| v.is_table())
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Names of the tables in the language's own file.
    pub fn own_section_names(&self, lang: &str) -> Vec<String> {
        self.per_lang
            .get(lang)
            .map(|t| {
                t.iter()
                    .filter(|(_, v)| v.is_table())
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The `section` table of `default.toml` alone.
    pub fn default_section(&self, section: &str) -> Option<&toml::Table> {
        match self.default.get(section)? {
            toml::Value::Table(t) => Some(t),
            _ => None,
        }
    }

    /// The `section` table of the language's own file alone (no defaults), if it has one.
    pub fn own_section(&self, lang: &str, section: &str) -> Option<&toml::Table> {
        match self.per_lang.get(lang)?.get(section)? {
            toml::Value::Table(t) => Some(t),
            _ => None,
        }
    }

    /// `section` for `lang` as the filter's own settings type.
    pub fn section<T: DeserializeOwned>(
        &self,
        lang: Option<&str>,
        section: &str,
    ) -> Result<T, ConfigProblem> {
        let raw = self.raw_section(lang, section);
        toml::Value::Table(raw)
            .try_into()
            .map_err(|e: toml::de::Error| {
                let file = lang
                    .filter(|l| self.per_lang.contains_key(*l))
                    .unwrap_or("default");
                problem(
                    format!("{}/{file}.toml [{section}]", self.dir.display()),
                    e.to_string(),
                )
            })
    }
}

fn deep_merge(into: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (into.get_mut(k), v) {
            (Some(toml::Value::Table(a)), toml::Value::Table(b)) => deep_merge(a, b),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_file_overrides_default_key_by_key() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("default.toml"),
            "[words]\nmax_ratio = 0.1\nlists = [\"a\"]\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("fra_Latn.toml"),
            "[words]\nmax_ratio = 0.2\n",
        )
        .unwrap();
        let s = LangSettings::load(dir.path()).unwrap();
        let fr = s.raw_section(Some("fra_Latn"), "words");
        assert_eq!(fr["max_ratio"].as_float(), Some(0.2));
        assert_eq!(fr["lists"].as_array().map(|a| a.len()), Some(1));
        assert_eq!(
            s.raw_section(Some("deu_Latn"), "words")["max_ratio"].as_float(),
            Some(0.1)
        );
    }

    #[test]
    fn misnamed_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fr.toml"), "").unwrap();
        std::fs::write(dir.path().join("klingon-ish.toml"), "").unwrap();
        let e = LangSettings::load(dir.path()).unwrap_err();
        assert_eq!(e.len(), 2);
    }
}
