//! Which JSON field or Parquet column holds the text, id, url and date: presets for the common
//! corpus schemas, or an explicit mapping in the pipeline.

use serde::{Deserialize, Serialize};

/// Field names (dotted paths into nested JSON objects: `metadata.url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMap {
    /// The document text (required).
    pub text: String,
    /// Stable id; a hash of source + file + position when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Date (ISO 8601, RFC 2822, epoch seconds, or a Parquet timestamp).
    #[serde(default)]
    pub date: Option<String>,
    /// Language tag already assigned upstream (kept as `metadata.source_lang`, never trusted as ours).
    #[serde(default)]
    pub lang: Option<String>,
}

impl FieldMap {
    /// The paths of the fields other than the text (id, url, date, lang) that are mapped.
    pub fn other_paths(&self) -> impl Iterator<Item = &str> {
        [&self.id, &self.url, &self.date, &self.lang]
            .into_iter()
            .filter_map(|p| p.as_deref())
    }

    fn new(text: &str, id: Option<&str>, url: Option<&str>, date: Option<&str>) -> FieldMap {
        FieldMap {
            text: text.into(),
            id: id.map(Into::into),
            url: url.map(Into::into),
            date: date.map(Into::into),
            lang: None,
        }
    }

    /// A named preset: `fineweb` (FineWeb / FineWeb-2), `dolma`, `redpajama` (RedPajama-V2),
    /// `redpajama-v1`, `tamis` (our own output), `text` (just a `text` field).
    pub fn preset(name: &str) -> Option<FieldMap> {
        Some(match name {
            "fineweb" => {
                let mut f = FieldMap::new("text", Some("id"), Some("url"), Some("date"));
                f.lang = Some("language".into());
                f
            }
            "dolma" => FieldMap::new("text", Some("id"), Some("metadata.url"), Some("created")),
            "redpajama" => FieldMap::new(
                "raw_content",
                Some("doc_id"),
                Some("url"),
                Some("date_download"),
            ),
            "redpajama-v1" => FieldMap::new("text", None, Some("meta.url"), Some("meta.timestamp")),
            "tamis" => FieldMap::new("text", Some("id"), Some("url"), Some("date")),
            "text" => FieldMap::new("text", None, None, None),
            _ => return None,
        })
    }

    /// Names of the presets, for messages.
    pub const PRESETS: &'static [&'static str] = &[
        "fineweb",
        "dolma",
        "redpajama",
        "redpajama-v1",
        "tamis",
        "text",
    ];
}

/// A preset name or an explicit mapping, as written in the pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FieldsSpec {
    /// `fields = "fineweb"`
    Preset(String),
    /// `fields = { text = "content", url = "meta.url" }`
    Map(FieldMap),
}

impl Default for FieldsSpec {
    fn default() -> Self {
        FieldsSpec::Preset("fineweb".into())
    }
}

impl FieldsSpec {
    /// Resolve to a mapping, or say which presets exist.
    pub fn resolve(&self) -> Result<FieldMap, String> {
        match self {
            FieldsSpec::Map(m) => Ok(m.clone()),
            FieldsSpec::Preset(p) => FieldMap::preset(p).ok_or_else(|| {
                format!(
                    "unknown fields preset {p:?}; use one of {:?} or a table",
                    FieldMap::PRESETS
                )
            }),
        }
    }
}

/// Follow a dotted path into a JSON value.
pub fn lookup<'a>(v: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    // A key containing dots written literally wins over the nested interpretation.
    if let Some(x) = v.get(path) {
        return Some(x);
    }
    let mut cur = v;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}
