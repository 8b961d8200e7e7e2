//! Which tokenizer to load, as written in the pipeline TOML or on the command line.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A tokenizer, as configured.
///
/// ```toml
/// tokenizer = { type = "huggingface", path = "assets/tokenizer.json" }    # or tokenizer.json.gz
/// tokenizer = { type = "tiktoken", encoding = "o200k_base" }
/// tokenizer = { type = "huggingface", path = "tok.json", eod = "</s>" }  # explicit separator
/// ```
///
/// Nothing is downloaded: a Hugging Face tokenizer is a local file, and the tiktoken encodings
/// are compiled into the binary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub enum TokenizerSpec {
    /// A Hugging Face `tokenizer.json` (plain, `.gz` or `.zst`).
    #[serde(rename = "huggingface")]
    HuggingFace {
        /// Path of the `tokenizer.json`.
        path: PathBuf,
        /// The end-of-document token appended after each document. Default: the `eos_token` of a
        /// `tokenizer_config.json` beside the file, else the first of `<|endoftext|>`, `</s>`,
        /// `<eos>`, `<|end_of_text|>` that the vocabulary has; loading fails if none is found.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        eod: Option<String>,
    },
    /// An encoding of OpenAI's tiktoken, embedded in tamis.
    #[serde(rename = "tiktoken")]
    Tiktoken {
        /// The encoding.
        encoding: TiktokenEncoding,
        /// The end-of-document token, one of the encoding's special tokens.
        /// Default: `<|endoftext|>`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        eod: Option<String>,
    },
}

/// The tiktoken encodings tamis embeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TiktokenEncoding {
    /// GPT-4o and later (200 019 ids).
    #[serde(rename = "o200k_base")]
    O200kBase,
    /// GPT-4 and GPT-3.5 (100 277 ids).
    #[serde(rename = "cl100k_base")]
    Cl100kBase,
    /// Codex and text-davinci-002/003 (50 281 ids).
    #[serde(rename = "p50k_base")]
    P50kBase,
    /// GPT-3 and GPT-2 (50 257 ids).
    #[serde(rename = "r50k_base")]
    R50kBase,
}

impl TiktokenEncoding {
    /// Every encoding, for messages.
    pub const ALL: [TiktokenEncoding; 4] = [
        TiktokenEncoding::O200kBase,
        TiktokenEncoding::Cl100kBase,
        TiktokenEncoding::P50kBase,
        TiktokenEncoding::R50kBase,
    ];

    /// The encoding's name (`o200k_base`).
    pub fn name(self) -> &'static str {
        match self {
            TiktokenEncoding::O200kBase => "o200k_base",
            TiktokenEncoding::Cl100kBase => "cl100k_base",
            TiktokenEncoding::P50kBase => "p50k_base",
            TiktokenEncoding::R50kBase => "r50k_base",
        }
    }

    /// Parse a name (`o200k_base`, also `o200k`).
    pub fn parse(name: &str) -> Option<TiktokenEncoding> {
        let n = name.trim().to_ascii_lowercase();
        let n = n.strip_suffix("_base").unwrap_or(&n);
        Some(match n {
            "o200k" => TiktokenEncoding::O200kBase,
            "cl100k" => TiktokenEncoding::Cl100kBase,
            "p50k" => TiktokenEncoding::P50kBase,
            "r50k" | "gpt2" => TiktokenEncoding::R50kBase,
            _ => return None,
        })
    }

    /// One more than the largest id the encoding produces (special tokens included).
    pub fn vocab_size(self) -> u32 {
        match self {
            TiktokenEncoding::O200kBase => 200_019,
            TiktokenEncoding::Cl100kBase => 100_277,
            TiktokenEncoding::P50kBase => 50_281,
            TiktokenEncoding::R50kBase => 50_257,
        }
    }
}

impl fmt::Display for TiktokenEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TokenizerSpec {
    /// Parse the command-line form: `tiktoken:o200k_base` (or a bare encoding name such as
    /// `o200k_base`), `hf:PATH` / `huggingface:PATH`, or a path to a `tokenizer.json[.gz|.zst]`.
    /// A trailing `@TOKEN` after a `tiktoken:`/`hf:` form sets the end-of-document token
    /// (`hf:tok.json@</s>`).
    pub fn parse_cli(s: &str) -> Result<TokenizerSpec, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty tokenizer spec".into());
        }
        let split_eod = |rest: &str| -> (String, Option<String>) {
            match rest.rsplit_once('@') {
                Some((a, b)) if !b.is_empty() && b.starts_with('<') => {
                    (a.to_string(), Some(b.to_string()))
                }
                _ => (rest.to_string(), None),
            }
        };
        if let Some(rest) = s.strip_prefix("tiktoken:") {
            let (name, eod) = split_eod(rest);
            let encoding = TiktokenEncoding::parse(&name).ok_or_else(|| {
                format!(
                    "unknown tiktoken encoding {name:?}; use one of {}",
                    TiktokenEncoding::ALL.map(|e| e.name()).join(", ")
                )
            })?;
            return Ok(TokenizerSpec::Tiktoken { encoding, eod });
        }
        for prefix in ["hf:", "huggingface:"] {
            if let Some(rest) = s.strip_prefix(prefix) {
                let (path, eod) = split_eod(rest);
                return Ok(TokenizerSpec::HuggingFace {
                    path: path.into(),
                    eod,
                });
            }
        }
        if let Some(encoding) = TiktokenEncoding::parse(s) {
            return Ok(TokenizerSpec::Tiktoken {
                encoding,
                eod: None,
            });
        }
        let lower = s.to_ascii_lowercase();
        if lower.ends_with(".json") || lower.ends_with(".json.gz") || lower.ends_with(".json.zst") {
            return Ok(TokenizerSpec::HuggingFace {
                path: s.into(),
                eod: None,
            });
        }
        Err(format!(
            "cannot tell what tokenizer {s:?} is: write tiktoken:ENCODING ({}), hf:PATH, or a path ending in .json, .json.gz or .json.zst",
            TiktokenEncoding::ALL.map(|e| e.name()).join(", ")
        ))
    }

    /// The explicit end-of-document token, if configured.
    pub fn eod(&self) -> Option<&str> {
        match self {
            TokenizerSpec::HuggingFace { eod, .. } | TokenizerSpec::Tiktoken { eod, .. } => {
                eod.as_deref()
            }
        }
    }
}

impl fmt::Display for TokenizerSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenizerSpec::HuggingFace { path, .. } => write!(f, "hf:{}", path.display()),
            TokenizerSpec::Tiktoken { encoding, .. } => write!(f, "tiktoken:{encoding}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Holder {
        tokenizer: TokenizerSpec,
    }

    fn from_toml(s: &str) -> Result<TokenizerSpec, String> {
        toml::from_str::<Holder>(s)
            .map(|h| h.tokenizer)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn toml_forms() {
        assert_eq!(
            from_toml(r#"tokenizer = { type = "huggingface", path = "a/tokenizer.json.gz" }"#),
            Ok(TokenizerSpec::HuggingFace {
                path: "a/tokenizer.json.gz".into(),
                eod: None
            })
        );
        assert_eq!(
            from_toml(
                r#"tokenizer = { type = "tiktoken", encoding = "cl100k_base", eod = "<|endoftext|>" }"#
            ),
            Ok(TokenizerSpec::Tiktoken {
                encoding: TiktokenEncoding::Cl100kBase,
                eod: Some("<|endoftext|>".into())
            })
        );
        let e =
            from_toml(r#"tokenizer = { type = "tiktoken", encoding = "o100k_base" }"#).unwrap_err();
        assert!(e.contains("o200k_base"), "{e}");
        let e = from_toml(r#"tokenizer = { type = "tiktoken", encoding = "o200k_base", pth = 1 }"#)
            .unwrap_err();
        assert!(e.contains("pth"), "{e}");
        let e = from_toml(r#"tokenizer = { type = "sentencepiece", path = "x" }"#).unwrap_err();
        assert!(e.contains("huggingface"), "{e}");
    }

    #[test]
    fn serialises_back_to_the_same_toml() {
        let spec = TokenizerSpec::Tiktoken {
            encoding: TiktokenEncoding::O200kBase,
            eod: None,
        };
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(json, r#"{"type":"tiktoken","encoding":"o200k_base"}"#);
        assert_eq!(serde_json::from_str::<TokenizerSpec>(&json).unwrap(), spec);
    }

    #[test]
    fn cli_forms() {
        assert_eq!(
            TokenizerSpec::parse_cli("o200k_base"),
            Ok(TokenizerSpec::Tiktoken {
                encoding: TiktokenEncoding::O200kBase,
                eod: None
            })
        );
        assert_eq!(
            TokenizerSpec::parse_cli("tiktoken:cl100k@<|endoftext|>"),
            Ok(TokenizerSpec::Tiktoken {
                encoding: TiktokenEncoding::Cl100kBase,
                eod: Some("<|endoftext|>".into())
            })
        );
        assert_eq!(
            TokenizerSpec::parse_cli("hf:/x/t.json@</s>"),
            Ok(TokenizerSpec::HuggingFace {
                path: "/x/t.json".into(),
                eod: Some("</s>".into())
            })
        );
        assert_eq!(
            TokenizerSpec::parse_cli("models/tokenizer.json.gz"),
            Ok(TokenizerSpec::HuggingFace {
                path: "models/tokenizer.json.gz".into(),
                eod: None
            })
        );
        assert!(TokenizerSpec::parse_cli("tiktoken:gpt5").is_err());
        assert!(TokenizerSpec::parse_cli("model.bin").is_err());
    }
}
