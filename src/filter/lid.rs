//! Language identification with fastText (lid.176 by default, any supervised fastText model by
//! path, GlotLID-style `__label__fra_Latn` labels too), optionally combined with a supplementary
//! model trained by `tamis lid train` for languages the main model lacks. Labels are mapped to
//! canonical tags; the score is stored on every document; thresholds per language come from
//! `filters/` (`[lid] min_score`). Code documents are labelled by programming language instead
//! and never dropped here.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tamis_fasttext::Model;

use super::code;
use super::{BuildCtx, DocFilter};
use crate::config::ConfigProblem;
use crate::doc::{Doc, Kind, Verdict};

/// `[filters.lid]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LidFilterConfig {
    /// fastText model (`.bin` or `.ftz`); default the set-up's `assets/models/lid.176.ftz`.
    pub model: Option<PathBuf>,
    /// Supplementary model from `tamis lid train` (languages the main model lacks, plus an
    /// `other` class); its answer wins when it names one of its languages with at least
    /// `supplement_min_score`.
    pub supplement: Option<PathBuf>,
    /// Minimum probability for the supplement's answer to replace the main model's.
    pub supplement_min_score: Option<f32>,
    /// Keep only these languages (any tag form: `fr`, `fra`, `fra_Latn`); empty keeps every
    /// language that passes its threshold.
    pub languages: Vec<String>,
    /// Keep only these programming languages for code documents (`python`, `code_python`);
    /// empty keeps all code.
    pub code_languages: Vec<String>,
}

/// `[lid]` in `filters/*.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct LidSettings {
    /// Documents whose language score is below this are dropped (`low_lang_score`).
    #[serde(default = "default_min_score")]
    min_score: f32,
}

fn default_min_score() -> f32 {
    0.5
}

/// A language guess.
#[derive(Debug, Clone, PartialEq)]
pub struct Guess {
    /// Canonical tag (`fra_Latn`), or the label without prefix when it maps to no known tag.
    pub tag: String,
    /// The model's own label (`__label__fr`).
    pub label: String,
    /// Probability.
    pub score: f32,
    /// Whether the supplementary model gave it.
    pub from_supplement: bool,
}

/// Canonical tag of a model label.
pub fn tag_of_label(label: &str) -> String {
    let bare = label.trim_start_matches("__label__");
    crate::lang::canonical(bare).unwrap_or_else(|| bare.to_string())
}

/// The tag with its script corrected where a model has one label for two scripts: lid.176's
/// `zh` is Simplified or Traditional Chinese by the characters used.
pub fn script_checked(tag: String, text: &str) -> String {
    if tag == "zho_Hans" && crate::lang::chinese_script(text) == "Hant" {
        return "zho_Hant".into();
    }
    tag
}

/// Labels of a supplement that defer to the main model.
fn is_other(label: &str) -> bool {
    matches!(
        label.trim_start_matches("__label__"),
        "other" | "und" | "zxx"
    )
}

/// The main model and its optional supplement.
pub struct Identifier {
    main: Model,
    supplement: Option<Model>,
    supplement_min_score: f32,
    /// The canonical tag of each label, by label index: mapped once at load, not per document.
    main_tags: Vec<String>,
    supplement_tags: Vec<String>,
}

impl Identifier {
    /// Load the models.
    pub fn load(
        model: &std::path::Path,
        supplement: Option<&std::path::Path>,
        supplement_min_score: f32,
    ) -> Result<Identifier, String> {
        let main = Model::load(model).map_err(|e| format!("{}: {e}", model.display()))?;
        let supplement = match supplement {
            Some(p) => Some(Model::load(p).map_err(|e| format!("{}: {e}", p.display()))?),
            None => None,
        };
        Ok(Identifier::from_parts(
            main,
            supplement,
            supplement_min_score,
        ))
    }

    /// From loaded models.
    pub fn from_parts(main: Model, supplement: Option<Model>, supplement_min_score: f32) -> Self {
        let tags = |m: &Model| m.labels().iter().map(|l| tag_of_label(l)).collect();
        Identifier {
            main_tags: tags(&main),
            supplement_tags: supplement.as_ref().map(tags).unwrap_or_default(),
            main,
            supplement,
            supplement_min_score,
        }
    }

    /// The main model.
    pub fn main(&self) -> &Model {
        &self.main
    }

    /// The main model's best guess alone.
    pub fn identify_main(&self, text: &str) -> Option<Guess> {
        self.main
            .predict(text, 1, 0.0)
            .first()
            .map(|p| self.main_guess(p, text))
    }

    /// The main model's best guess alone, borrowed: `(tag, label, probability)`, the same as
    /// [`Identifier::identify_main`] gives, without allocating.
    pub fn identify_main_ref(&self, text: &str) -> Option<(&str, &str, f32)> {
        let p = *self.main.predict(text, 1, 0.0).first()?;
        let tag = match self.main_tags[p.index].as_str() {
            "zho_Hans" if crate::lang::chinese_script(text) == "Hant" => "zho_Hant",
            tag => tag,
        };
        Some((tag, p.label, p.prob))
    }

    /// A prediction of the main model as a guess for `text` (its tag mapped at load).
    pub fn main_guess(&self, p: &tamis_fasttext::Prediction<'_>, text: &str) -> Guess {
        Guess {
            tag: script_checked(self.main_tags[p.index].clone(), text),
            label: p.label.to_string(),
            score: p.prob,
            from_supplement: false,
        }
    }

    /// The best guess for a text.
    pub fn identify(&self, text: &str) -> Option<Guess> {
        if let Some(sup) = &self.supplement {
            if let Some(p) = sup.predict(text, 1, 0.0).first() {
                if !is_other(p.label) && p.prob >= self.supplement_min_score {
                    return Some(Guess {
                        tag: self.supplement_tags[p.index].clone(),
                        label: p.label.to_string(),
                        score: p.prob,
                        from_supplement: true,
                    });
                }
            }
        }
        self.identify_main(text)
    }
}

/// The runtime filter.
pub struct LidFilter {
    id: Identifier,
    files: Vec<PathBuf>,
    keep: Option<Vec<String>>,
    keep_code: Option<Vec<String>>,
    default_min: f32,
    min_by_lang: BTreeMap<String, f32>,
}

impl LidFilterConfig {
    /// Every problem visible without loading.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        for (i, l) in self.languages.iter().enumerate() {
            if crate::lang::canonical(l).is_none() {
                out.push(ConfigProblem {
                    at: format!("filters.lid.languages[{i}]"),
                    message: format!("{l:?} is not a language tag"),
                });
            }
        }
        if let Some(s) = self.supplement_min_score {
            if !(0.0..=1.0).contains(&s) {
                out.push(ConfigProblem {
                    at: "filters.lid.supplement_min_score".into(),
                    message: "must be between 0 and 1".into(),
                });
            }
        }
        out
    }

    /// The model path in force.
    pub fn model_path(&self, ctx_assets: &std::path::Path) -> PathBuf {
        match &self.model {
            Some(m) => super::lists::resolve(m, ctx_assets),
            None => ctx_assets.join("models/lid.176.ftz"),
        }
    }

    /// The supplement's path in force (`assets:` resolved).
    pub fn supplement_path(&self, ctx_assets: &std::path::Path) -> Option<PathBuf> {
        self.supplement
            .as_ref()
            .map(|p| super::lists::resolve(p, ctx_assets))
    }

    /// Load the models and per-language thresholds.
    pub fn build(&self, ctx: &BuildCtx) -> Result<LidFilter, Vec<ConfigProblem>> {
        let problem = |at: &str, message: String| {
            vec![ConfigProblem {
                at: at.into(),
                message,
            }]
        };
        let model = self.model_path(&ctx.assets);
        if !model.is_file() {
            return Err(problem(
                "filters.lid.model",
                format!(
                    "{} not found (run ./setup, or set filters.lid.model)",
                    model.display()
                ),
            ));
        }
        let supplement = self.supplement_path(&ctx.assets);
        if let Some(p) = supplement.as_ref().filter(|p| !p.is_file()) {
            return Err(problem(
                "filters.lid.supplement",
                format!(
                    "{} not found (./setup trains it from lists/lid_supplement.toml; or run \
                     tamis lid train)",
                    p.display()
                ),
            ));
        }
        let id = Identifier::load(
            &model,
            supplement.as_deref(),
            self.supplement_min_score.unwrap_or(0.5),
        )
        .map_err(|e| problem("filters.lid", e))?;
        let default: LidSettings = ctx.settings.section(None, "lid").map_err(|e| vec![e])?;
        let mut min_by_lang = BTreeMap::new();
        for lang in ctx.settings.languages() {
            let s: LidSettings = ctx
                .settings
                .section(Some(lang), "lid")
                .map_err(|e| vec![e])?;
            min_by_lang.insert(lang.to_string(), s.min_score);
        }
        let keep = (!self.languages.is_empty()).then(|| {
            self.languages
                .iter()
                .filter_map(|l| crate::lang::canonical(l))
                .collect()
        });
        let keep_code = (!self.code_languages.is_empty()).then(|| {
            self.code_languages
                .iter()
                .map(|l| {
                    let l = l.to_ascii_lowercase();
                    if l.starts_with("code_") {
                        l
                    } else {
                        format!("code_{l}")
                    }
                })
                .collect()
        });
        let mut files = vec![model.clone()];
        files.extend(supplement);
        Ok(LidFilter {
            id,
            files,
            keep,
            keep_code,
            default_min: default.min_score,
            min_by_lang,
        })
    }
}

impl DocFilter for LidFilter {
    fn stage(&self) -> &'static str {
        "lid"
    }

    fn assets(&self) -> Vec<PathBuf> {
        self.files.clone()
    }

    fn check(&self, doc: &mut Doc) -> Verdict {
        // A source file found among text (a crawl that fetched `main.py`) is code, not prose.
        if doc.kind == Kind::Text && code::identify_by_name(doc).is_some() {
            doc.kind = Kind::Code;
        }
        if doc.kind == Kind::Code {
            let (tag, evidence) = match code::identify(doc) {
                Some((l, e)) => (format!("code_{l}"), e.as_str()),
                None => ("code_unknown".to_string(), "none"),
            };
            doc.metadata
                .insert("code_evidence".into(), Value::String(evidence.into()));
            doc.lang = Some(tag.clone());
            doc.lang_score = Some(1.0);
            if let Some(keep) = &self.keep_code {
                if !keep.contains(&tag) {
                    return Verdict::drop(
                        "unwanted_code_language",
                        format!("{tag} ({evidence}) not in code_languages"),
                    );
                }
            }
            return Verdict::Keep;
        }
        let Some(g) = self.id.identify(&doc.text) else {
            return Verdict::drop("no_language", "the model gave no label");
        };
        doc.lang = Some(g.tag.clone());
        doc.lang_score = Some(g.score);
        doc.metadata
            .insert("lang_label".into(), Value::String(g.label.clone()));
        if g.from_supplement {
            doc.metadata
                .insert("lang_model".into(), Value::String("supplement".into()));
        }
        if let Some(keep) = &self.keep {
            if !keep.contains(&g.tag) {
                return Verdict::drop(
                    "unwanted_language",
                    format!("{} {:.4} not in languages", g.tag, g.score),
                );
            }
        }
        let min = self
            .min_by_lang
            .get(&g.tag)
            .copied()
            .unwrap_or(self.default_min);
        if g.score < min {
            return Verdict::drop(
                "low_lang_score",
                format!("{} {:.4} < {min}", g.tag, g.score),
            );
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn deferring_labels() {
        for l in ["__label__other", "__label__und", "__label__zxx", "other"] {
            assert!(super::is_other(l), "{l}");
        }
        for l in [
            "__label__zul_Latn",
            "__label__en",
            "otherwise",
            "__label__other_ss",
        ] {
            assert!(!super::is_other(l), "{l}");
        }
    }

    #[test]
    fn traditional_chinese_is_told_from_simplified() {
        assert_eq!(
            super::script_checked("zho_Hans".into(), "人人生而自由，在尊嚴和權利上一律平等。"),
            "zho_Hant"
        );
        assert_eq!(
            super::script_checked("zho_Hans".into(), "人人生而自由，在尊严和权利上一律平等。"),
            "zho_Hans"
        );
        assert_eq!(super::script_checked("jpn_Jpan".into(), "這們"), "jpn_Jpan");
    }
}
