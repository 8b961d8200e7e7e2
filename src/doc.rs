//! The document every stage passes along, and the verdict a filter returns on it.

use serde_json::{Map, Value};

/// One document: a WARC/WET record, a JSONL line or a Parquet row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    /// Stable id from the source (WARC-Record-ID, the mapped id field) or a hash of source + position.
    pub id: String,
    /// The text, UTF-8.
    pub text: String,
    /// Where the text was found, when known.
    pub url: Option<String>,
    /// Publication or capture time, microseconds since the Unix epoch, UTC.
    pub date: Option<i64>,
    /// The source name of the input (e.g. `cc-main-2024-22`, `wikipedia-fr`, `github`).
    pub source: String,
    /// Canonical language tag (`fra_Latn`) once language ID has run, or `code_<language>`.
    pub lang: Option<String>,
    /// Language-ID probability of `lang`.
    pub lang_score: Option<f32>,
    /// `text` for natural language, `code` for source code.
    pub kind: Kind,
    /// Everything else the reader kept (WARC headers, unmapped JSON fields, filter annotations).
    pub metadata: Map<String, Value>,
    /// After near-dedup: how many documents the cluster of this survivor had (1 = unique);
    /// `None` before dedup runs.
    pub cluster_size: Option<u32>,
}

/// Natural-language text or source code.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Natural-language text.
    #[default]
    Text,
    /// Source code (its language is in `Doc::lang` as `code_<language>`).
    Code,
}

impl Kind {
    /// The name written in outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Code => "code",
        }
    }

    /// Parse the name written in outputs.
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "text" => Some(Kind::Text),
            "code" => Some(Kind::Code),
            _ => None,
        }
    }
}

/// What a per-document stage decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The document goes on (possibly annotated or rewritten in place).
    Keep,
    /// The document is removed; `reason` is a short machine-readable name
    /// (`blocked_domain`, `low_lang_score`, …) and `detail` says exactly what caused it
    /// (the list and entry, the words and ratio, the label and score).
    Drop {
        /// Machine-readable reason, stable across versions.
        reason: String,
        /// Human-readable specifics: list entry, measured value, threshold.
        detail: String,
    },
}

impl Verdict {
    /// Shorthand for a drop.
    pub fn drop(reason: impl Into<String>, detail: impl Into<String>) -> Verdict {
        Verdict::Drop {
            reason: reason.into(),
            detail: detail.into(),
        }
    }
}

/// One row of the removed log: a document (or an unreadable record) that left the corpus, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    /// Document id (for unreadable records, the input location).
    pub id: String,
    /// URL when known.
    pub url: Option<String>,
    /// Source name of the input.
    pub source: String,
    /// Language when known.
    pub lang: Option<String>,
    /// The stage that removed it (`read`, `url`, `lid`, `words`, `quality`, `dedup`, …).
    pub stage: String,
    /// Machine-readable reason.
    pub reason: String,
    /// Specifics.
    pub detail: String,
    /// Input file and byte offset or line, for tracing a record back to the dump.
    pub location: String,
}

impl Removed {
    /// The removed-log row of a document dropped by `stage`.
    pub fn of_doc(
        doc: &Doc,
        stage: &str,
        reason: String,
        detail: String,
        location: String,
    ) -> Removed {
        Removed {
            id: doc.id.clone(),
            url: doc.url.clone(),
            source: doc.source.clone(),
            lang: doc.lang.clone(),
            stage: stage.to_string(),
            reason,
            detail,
            location,
        }
    }
}
