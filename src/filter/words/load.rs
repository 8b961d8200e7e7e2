//! Reading a word-list source: a folder of per-language files, named by language code in any
//! form `lang::canonical` accepts (`fr.txt`, `fra_Latn.txt`, `fr-CA-u-sd-caqc.json`), or one such
//! file. Layouts read:
//! - plain text, one word or phrase per line (`#` comments), optionally gzipped (`.txt.gz`);
//! - JSON arrays of strings (the npm package `naughty-words`: `<code>.json`; the package's own
//!   `package.json`, `package-lock.json` and `bower.json` are skipped, and an unpacked npm
//!   tarball's `package/` folder is entered).
//!
//! Several files of one language (`fr.json` and `fr-CA-u-sd-caqc.json`, both `fra_Latn`) are
//! merged. Files whose name is not a language code are skipped and reported as notes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::filter::lists::{for_each_entry, text_entry, BadLines, ListError};

/// Entries per canonical language tag, with the files they came from.
#[derive(Debug, Default)]
pub struct Source {
    /// tag → entries (raw, unfolded), in file order.
    pub per_lang: BTreeMap<String, Vec<String>>,
    /// tag → files read.
    pub files: BTreeMap<String, Vec<PathBuf>>,
    /// Files skipped because their name is not a language code.
    pub skipped: Vec<PathBuf>,
}

const NPM_METADATA: &[&str] = &["package", "package-lock", "bower"];

/// The language code a list file's name gives, and whether it is JSON.
fn lang_of_file(path: &Path) -> Option<(String, bool)> {
    let name = path.file_name()?.to_str()?;
    let name = name.strip_suffix(".gz").unwrap_or(name);
    let (stem, json) = if let Some(s) = name.strip_suffix(".json") {
        (s, true)
    } else if let Some(s) = name.strip_suffix(".txt") {
        (s, false)
    } else {
        return None;
    };
    Some((stem.to_string(), json))
}

/// Read a source folder or file.
pub fn load_source(path: &Path) -> Result<Source, ListError> {
    let io = |source| ListError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = if path.is_dir() {
        let dir = if path.join("package").join("package.json").is_file() {
            path.join("package")
        } else {
            path.to_path_buf()
        };
        let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        v.sort();
        v
    } else if path.is_file() {
        vec![path.to_path_buf()]
    } else {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "no such file or folder",
        )));
    };
    files.retain(|p| lang_of_file(p).is_some());
    let mut out = Source::default();
    for file in files {
        let Some((stem, json)) = lang_of_file(&file) else {
            continue;
        };
        if json && NPM_METADATA.contains(&stem.as_str()) {
            continue;
        }
        let Some(tag) = crate::lang::canonical(&stem).filter(|t| !t.starts_with("code_")) else {
            out.skipped.push(file);
            continue;
        };
        let entries = out.per_lang.entry(tag.clone()).or_default();
        if json {
            read_json(&file, entries)?;
        } else {
            let mut bad = BadLines::default();
            for_each_entry(&file, |line, e| match text_entry(e) {
                Ok(w) => entries.push(w.to_string()),
                Err(m) => bad.push(line, m),
            })?;
            bad.finish(&file)?;
        }
        out.files.entry(tag).or_default().push(file);
    }
    Ok(out)
}

fn read_json(path: &Path, into: &mut Vec<String>) -> Result<(), ListError> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut crate::filter::lists::open(path)?, &mut bytes).map_err(
        |source| ListError::Io {
            path: path.to_path_buf(),
            source,
        },
    )?;
    let words: Vec<String> = serde_json::from_slice(&bytes).map_err(|e| ListError::Format {
        path: path.to_path_buf(),
        message: format!("expected a JSON array of strings: {e}"),
    })?;
    // JSON strings are UTF-8 already, but may spell out a NUL or another control character.
    for (i, w) in words.iter().enumerate() {
        if let Err(m) = text_entry(w.as_bytes()) {
            return Err(ListError::Format {
                path: path.to_path_buf(),
                message: format!("array item {}: {m}", i + 1),
            });
        }
    }
    into.extend(
        words
            .into_iter()
            .map(|w| w.trim().to_string())
            .filter(|w| !w.is_empty()),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_package_layout_and_plain_files() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("package");
        std::fs::create_dir(&pkg).unwrap();
        std::fs::write(pkg.join("package.json"), r#"{"name": "naughty-words"}"#).unwrap();
        std::fs::write(pkg.join("bower.json"), r#"{"name": "naughty-words"}"#).unwrap();
        std::fs::write(pkg.join("fr.json"), r#"["mot", "autre mot"]"#).unwrap();
        std::fs::write(pkg.join("fr-CA-u-sd-caqc.json"), r#"["québécois "]"#).unwrap();
        std::fs::write(pkg.join("index.js"), "module.exports = {};").unwrap();
        std::fs::write(pkg.join("README.txt"), "readme").unwrap();
        let s = load_source(dir.path()).unwrap();
        assert_eq!(s.per_lang.keys().collect::<Vec<_>>(), ["fra_Latn"]);
        // Sorted file order: fr-CA-… before fr.json.
        assert_eq!(s.per_lang["fra_Latn"], ["québécois", "mot", "autre mot"]);
        assert_eq!(s.skipped, [pkg.join("README.txt")]);

        let plain = dir.path().join("plain");
        std::fs::create_dir(&plain).unwrap();
        std::fs::write(plain.join("zho_Hans.txt"), "# ours\n词\n").unwrap();
        std::fs::write(plain.join("en.txt"), "word\n").unwrap();
        let s = load_source(&plain).unwrap();
        assert_eq!(s.per_lang["zho_Hans"], ["词"]);
        assert_eq!(s.per_lang["eng_Latn"], ["word"]);
    }

    #[test]
    fn bad_json_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("de.json"), "{not json").unwrap();
        let e = load_source(dir.path()).unwrap_err().to_string();
        assert!(e.contains("de.json") && e.contains("JSON array"), "{e}");
    }
}
