//! Programming-language identification for code documents: by file extension (from the
//! document's path metadata or URL), then shebang, then a keyword score over the content.
//! Code is labelled `code_<language>` and never judged by natural-language ID.

use serde_json::Value;

use crate::doc::Doc;

/// Extension → language (BLOOM's 13 and a few common others).
const EXTENSIONS: &[(&str, &str)] = &[
    ("c", "c"),
    ("h", "c"),
    ("cc", "cpp"),
    ("cpp", "cpp"),
    ("cxx", "cpp"),
    ("c++", "cpp"),
    ("hpp", "cpp"),
    ("hh", "cpp"),
    ("hxx", "cpp"),
    ("h++", "cpp"),
    ("ipp", "cpp"),
    ("cs", "csharp"),
    ("go", "go"),
    ("java", "java"),
    ("js", "javascript"),
    ("mjs", "javascript"),
    ("cjs", "javascript"),
    ("jsx", "javascript"),
    ("lua", "lua"),
    ("php", "php"),
    ("phtml", "php"),
    ("py", "python"),
    ("pyw", "python"),
    ("pyi", "python"),
    ("rb", "ruby"),
    ("rake", "ruby"),
    ("gemspec", "ruby"),
    ("rs", "rust"),
    ("scala", "scala"),
    ("sc", "scala"),
    ("ts", "typescript"),
    ("tsx", "typescript"),
    ("mts", "typescript"),
    ("cts", "typescript"),
    ("kt", "kotlin"),
    ("kts", "kotlin"),
    ("swift", "swift"),
    ("sh", "shell"),
    ("bash", "shell"),
    ("pl", "perl"),
    ("pm", "perl"),
    ("r", "r"),
    ("jl", "julia"),
    ("hs", "haskell"),
    ("ml", "ocaml"),
    ("sql", "sql"),
    ("m", "objectivec"),
    ("dart", "dart"),
    ("ex", "elixir"),
    ("exs", "elixir"),
];

/// Metadata keys that may hold a file path or name (The Stack, GitHub dumps, our `file` format).
const PATH_KEYS: &[&str] = &[
    "path",
    "file_path",
    "filepath",
    "file_name",
    "filename",
    "max_stars_repo_path",
    "name",
];
/// Metadata keys that may name the language directly (The Stack's `lang`, others' `language`).
const LANG_KEYS: &[&str] = &[
    "lang",
    "language",
    "programming_language",
    "ext",
    "extension",
];

/// The language of a file name by its extension.
pub fn by_extension(name: &str) -> Option<&'static str> {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let (_, ext) = base.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    EXTENSIONS.iter().find(|(e, _)| *e == ext).map(|(_, l)| *l)
}

/// The language named by a `#!` line.
pub fn by_shebang(text: &str) -> Option<&'static str> {
    let first = text.lines().next()?;
    let rest = first.strip_prefix("#!")?;
    let words: Vec<&str> = rest
        .split(|c: char| c == '/' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    let interp = if words.contains(&"env") {
        words.iter().skip_while(|w| **w != "env").nth(1).copied()?
    } else {
        words.last().copied()?
    };
    let interp = interp.trim_end_matches(|c: char| c.is_ascii_digit() || c == '.');
    Some(match interp {
        "python" => "python",
        "ruby" => "ruby",
        "lua" | "luajit" => "lua",
        "php" => "php",
        "node" | "nodejs" => "javascript",
        "deno" | "ts-node" => "typescript",
        "sh" | "bash" | "zsh" | "dash" => "shell",
        "perl" => "perl",
        "scala" => "scala",
        "Rscript" => "r",
        _ => return None,
    })
}

/// Distinctive tokens and their weights, for code without a name.
const KEYWORDS: &[(&str, &[(&str, u32)])] = &[
    (
        "rust",
        &[
            ("fn ", 2),
            ("let mut ", 4),
            ("impl ", 3),
            ("pub fn ", 4),
            ("use std::", 5),
            ("-> ", 1),
            ("&self", 4),
            ("match ", 1),
            ("Option<", 2),
            ("Vec<", 3),
            ("#[derive", 5),
            ("unwrap()", 3),
        ],
    ),
    (
        "python",
        &[
            ("def ", 3),
            ("import ", 1),
            ("self.", 2),
            ("elif ", 4),
            ("__init__", 5),
            ("None", 1),
            ("print(", 1),
            ("    return ", 1),
            ("from ", 1),
            ("lambda ", 2),
            (" is not ", 3),
        ],
    ),
    (
        "go",
        &[
            ("func ", 3),
            ("package ", 3),
            (":= ", 4),
            ("err != nil", 6),
            ("fmt.", 4),
            ("[]byte", 5),
            ("go func", 5),
            ("chan ", 3),
        ],
    ),
    (
        "java",
        &[
            ("public class ", 3),
            ("import java.", 6),
            ("System.out", 5),
            ("private ", 1),
            ("@Override", 5),
            ("public static void", 4),
            ("new ", 1),
            ("extends ", 1),
            ("throws ", 3),
        ],
    ),
    (
        "csharp",
        &[
            ("using System", 6),
            ("namespace ", 2),
            ("{ get; set; }", 6),
            ("public ", 1),
            ("string[]", 2),
            ("var ", 1),
            ("async Task", 5),
            ("=> ", 1),
            ("readonly ", 2),
        ],
    ),
    (
        "c",
        &[
            ("#include <", 2),
            ("int main(", 2),
            ("printf(", 2),
            ("malloc(", 4),
            ("sizeof(", 2),
            ("struct ", 2),
            ("->", 1),
            ("NULL", 2),
            ("static ", 1),
            ("void ", 1),
            ("free(", 3),
        ],
    ),
    (
        "cpp",
        &[
            ("std::", 5),
            ("template <", 5),
            ("template<", 5),
            ("#include <", 1),
            ("cout", 3),
            ("nullptr", 5),
            ("namespace ", 2),
            ("const auto", 4),
            ("::", 1),
            ("class ", 1),
            ("virtual ", 3),
        ],
    ),
    (
        "javascript",
        &[
            ("function ", 2),
            ("const ", 1),
            ("=> ", 1),
            ("console.log", 4),
            ("require(", 4),
            ("module.exports", 6),
            ("document.", 4),
            ("let ", 1),
            ("var ", 1),
            ("===", 3),
            ("export default", 2),
        ],
    ),
    (
        "typescript",
        &[
            (": string", 5),
            (": number", 5),
            ("interface ", 3),
            (": boolean", 5),
            ("export type ", 5),
            ("readonly ", 2),
            ("<T>", 3),
            ("import type", 6),
            ("as const", 4),
            (": void", 3),
        ],
    ),
    (
        "php",
        &[
            ("<?php", 10),
            ("$this->", 6),
            ("echo ", 2),
            ("public function ", 4),
            ("->", 1),
            ("namespace ", 1),
            ("array(", 3),
        ],
    ),
    (
        "ruby",
        &[
            ("def ", 2),
            ("end\n", 2),
            ("require '", 4),
            ("puts ", 3),
            ("attr_accessor", 6),
            ("do |", 5),
            (".each", 2),
            ("module ", 2),
            ("elsif ", 5),
            ("nil", 2),
        ],
    ),
    (
        "lua",
        &[
            ("local ", 3),
            ("function ", 1),
            (" then", 3),
            ("elseif ", 4),
            ("~=", 5),
            ("end\n", 1),
            ("..", 1),
            ("nil", 1),
            ("pairs(", 5),
        ],
    ),
    (
        "scala",
        &[
            ("object ", 3),
            ("def ", 1),
            ("val ", 3),
            ("case class ", 6),
            ("extends ", 1),
            ("import scala", 6),
            ("=> ", 1),
            ("implicit ", 5),
            ("sealed trait", 6),
            ("override def", 5),
        ],
    ),
];

/// The language with the highest keyword score, if any keyword is present.
pub fn by_content(text: &str) -> Option<&'static str> {
    let sample = match text.char_indices().nth(20_000) {
        Some((i, _)) => &text[..i],
        None => text,
    };
    let mut best: Option<(&'static str, u32)> = None;
    for (lang, words) in KEYWORDS {
        let score: u32 = words
            .iter()
            .map(|(w, weight)| (sample.matches(w).count() as u32).min(20) * weight)
            .sum();
        if score > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((lang, score));
        }
    }
    best.map(|(l, _)| l)
}

/// How a code document's language was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeEvidence {
    /// Language named in the metadata.
    Metadata,
    /// File extension.
    Extension,
    /// `#!` line.
    Shebang,
    /// Keyword score.
    Content,
}

impl CodeEvidence {
    /// Name for outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeEvidence::Metadata => "metadata",
            CodeEvidence::Extension => "extension",
            CodeEvidence::Shebang => "shebang",
            CodeEvidence::Content => "content",
        }
    }
}

fn normalise_name(lang: &str) -> Option<&'static str> {
    let l = lang.trim().trim_start_matches('.').to_ascii_lowercase();
    let l = match l.as_str() {
        "c++" => "cpp",
        "c#" => "csharp",
        "js" => "javascript",
        "ts" => "typescript",
        "py" => "python",
        "rb" => "ruby",
        "rs" => "rust",
        other => other,
    };
    EXTENSIONS
        .iter()
        .find(|(e, l2)| *l2 == l || *e == l)
        .map(|(_, l2)| *l2)
}

/// The programming language named by a document's metadata, path or URL extension alone (what
/// makes a document of a text source code, e.g. a source file served in a web crawl).
pub fn identify_by_name(doc: &Doc) -> Option<(&'static str, CodeEvidence)> {
    let s = |k: &str| doc.metadata.get(k).and_then(Value::as_str);
    for k in PATH_KEYS {
        if let Some(l) = s(k).and_then(by_extension) {
            return Some((l, CodeEvidence::Extension));
        }
    }
    doc.url
        .as_deref()
        .and_then(|u| by_extension(u.split(['?', '#']).next().unwrap_or(u)))
        .map(|l| (l, CodeEvidence::Extension))
}

/// The programming language of a code document, and how it was found.
pub fn identify(doc: &Doc) -> Option<(&'static str, CodeEvidence)> {
    let s = |k: &str| doc.metadata.get(k).and_then(Value::as_str);
    for k in LANG_KEYS {
        if let Some(l) = s(k).and_then(normalise_name) {
            return Some((l, CodeEvidence::Metadata));
        }
    }
    for k in PATH_KEYS {
        if let Some(l) = s(k).and_then(by_extension) {
            return Some((l, CodeEvidence::Extension));
        }
    }
    if let Some(l) = doc
        .url
        .as_deref()
        .and_then(|u| by_extension(u.split(['?', '#']).next().unwrap_or(u)))
    {
        return Some((l, CodeEvidence::Extension));
    }
    if let Some(l) = by_shebang(&doc.text) {
        return Some((l, CodeEvidence::Shebang));
    }
    by_content(&doc.text).map(|l| (l, CodeEvidence::Content))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_shebangs_and_keywords() {
        assert_eq!(by_extension("src/main.rs"), Some("rust"));
        assert_eq!(by_extension("include/x.HPP"), Some("cpp"));
        assert_eq!(by_extension("README"), None);
        assert_eq!(
            by_shebang("#!/usr/bin/env python3\nprint(1)"),
            Some("python")
        );
        assert_eq!(by_shebang("#!/bin/bash\n"), Some("shell"));
        assert_eq!(
            by_content("fn main() {\n    let mut v: Vec<u8> = Vec::new();\n}"),
            Some("rust")
        );
        assert_eq!(by_content("<?php echo $this->name;"), Some("php"));
        assert_eq!(by_content("plain words only"), None);
    }
}
