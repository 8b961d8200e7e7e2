//! Weighting: how many times each document goes into the token stream.
//!
//! Weights are epochs: the whole part repeats the document, the fractional part keeps one more
//! copy for a deterministic sample of documents (keyed by id and seed: a document is in the
//! sample iff `xxh3(seed, id) < frac · 2⁶⁴`, so the sample does not depend on order, threads or
//! tasks). Weights below 1 down-sample. A document's weight is the product of its language's,
//! its source's and (optionally) its dedup cluster's rehydration factor. Instead of language
//! epochs, target token shares can be given; the weights are then solved from measured token
//! counts and the achieved shares are reported beside the targets.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::config::ConfigProblem;

/// `[weights]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WeightsConfig {
    /// Epochs per language tag (any accepted form; `code` means every `code_*` tag). Unlisted
    /// languages get 1.
    pub lang: BTreeMap<String, f64>,
    /// Epochs per source name. Unlisted sources get 1.
    pub source: BTreeMap<String, f64>,
    /// Target token shares per group instead of `lang` epochs: keys are language tags, `code`,
    /// or several joined by `+` (`"deu_Latn+spa_Latn+ita_Latn" = 0.20`); shares sum to 1.
    /// Documents in no group are left out (and counted).
    pub targets: BTreeMap<String, f64>,
    /// With `targets`: total tokens wanted; default the tokens of the targeted groups as measured.
    pub total_tokens: Option<u64>,
    /// Multiply by FineWeb-2's rehydration factor of the dedup cluster size
    /// (1→1, 2→2, 3–4→3, 5–99→5, 100–999→8, ≥1000→1).
    pub rehydrate: bool,
    /// Seed of the fractional sample.
    pub seed: u64,
}

/// FineWeb-2's rehydration table: upsample documents that had a few duplicates (a sign of
/// quality), not those copied a thousand times (spam, boilerplate).
pub fn rehydration_factor(cluster_size: u32) -> f64 {
    match cluster_size {
        0 | 1 => 1.0,
        2 => 2.0,
        3..=4 => 3.0,
        5..=99 => 5.0,
        100..=999 => 8.0,
        _ => 1.0,
    }
}

/// How many copies of a document a weight gives.
pub fn copies(weight: f64, id: &str, seed: u64) -> u32 {
    if weight.is_nan() || weight <= 0.0 || !weight.is_finite() {
        return 0;
    }
    let whole = weight.trunc();
    let frac = weight - whole;
    let extra = if frac > 0.0 {
        let h = xxh3_64_with_seed(id.as_bytes(), seed);
        // Compare in f64: h / 2^64 < frac.
        ((h as f64) / 18_446_744_073_709_551_616.0) < frac
    } else {
        false
    };
    (whole as u32).saturating_add(u32::from(extra))
}

/// A target group's name for a language tag, if any.
fn group_of<'a>(groups: &'a [(String, Vec<String>)], lang: &str) -> Option<&'a str> {
    groups
        .iter()
        .find(|(_, members)| {
            members
                .iter()
                .any(|m| m == lang || (m == "code" && lang.starts_with("code_")))
        })
        .map(|(name, _)| name.as_str())
}

fn normalise_lang_key(k: &str) -> String {
    if k == "code" {
        return "code".into();
    }
    crate::lang::canonical(k).unwrap_or_else(|| k.to_string())
}

impl WeightsConfig {
    /// Every problem, with its TOML path.
    pub fn problems(&self) -> Vec<ConfigProblem> {
        let mut out = Vec::new();
        let mut push = |at: String, m: String| out.push(ConfigProblem { at, message: m });
        for (k, v) in self.lang.iter().chain(self.source.iter()) {
            if !(v.is_finite() && *v >= 0.0) {
                push(
                    format!("weights.{k}"),
                    format!("{v} is not a weight (epochs ≥ 0)"),
                );
            }
        }
        for k in self.lang.keys() {
            if k != "code" && crate::lang::canonical(k).is_none() {
                push(format!("weights.lang.{k}"), "not a language tag".into());
            }
        }
        if !self.targets.is_empty() {
            if !self.lang.is_empty() {
                push(
                    "weights.targets".into(),
                    "give either lang epochs or target shares, not both".into(),
                );
            }
            let sum: f64 = self.targets.values().sum();
            if (sum - 1.0).abs() > 1e-6 {
                push(
                    "weights.targets".into(),
                    format!("shares sum to {sum}, not 1"),
                );
            }
            for (k, v) in &self.targets {
                if !(v.is_finite() && *v > 0.0) {
                    push(
                        format!("weights.targets.{k}"),
                        format!("{v} is not a share in (0, 1]"),
                    );
                }
                for part in k.split('+') {
                    if part != "code" && crate::lang::canonical(part.trim()).is_none() {
                        push(
                            format!("weights.targets.{k}"),
                            format!("{part:?} is not a language tag or \"code\""),
                        );
                    }
                }
            }
        }
        out
    }

    /// Target groups as (name, canonical member tags).
    fn target_groups(&self) -> Vec<(String, Vec<String>)> {
        self.targets
            .keys()
            .map(|k| {
                (
                    k.clone(),
                    k.split('+').map(|p| normalise_lang_key(p.trim())).collect(),
                )
            })
            .collect()
    }

    /// Solve the weights: measured tokens per language tag → the plan.
    pub fn plan(&self, tokens_by_lang: &BTreeMap<String, u64>) -> WeightPlan {
        let lang: BTreeMap<String, f64> = self
            .lang
            .iter()
            .map(|(k, v)| (normalise_lang_key(k), *v))
            .collect();
        let mut plan = WeightPlan {
            lang,
            source: self.source.clone(),
            rehydrate: self.rehydrate,
            seed: self.seed,
            groups: Vec::new(),
            targeted: !self.targets.is_empty(),
        };
        if self.targets.is_empty() {
            return plan;
        }
        let groups = self.target_groups();
        let mut group_tokens: BTreeMap<&str, u64> = BTreeMap::new();
        for (l, t) in tokens_by_lang {
            if let Some(g) = group_of(&groups, l) {
                *group_tokens.entry(g).or_default() += t;
            }
        }
        let measured: u64 = group_tokens.values().sum();
        let total = self.total_tokens.unwrap_or(measured) as f64;
        for (name, members) in &groups {
            let t = group_tokens.get(name.as_str()).copied().unwrap_or(0);
            let share = self.targets[name];
            let weight = if t == 0 {
                0.0
            } else {
                share * total / t as f64
            };
            plan.groups.push(GroupPlan {
                name: name.clone(),
                members: members.clone(),
                target_share: share,
                measured_tokens: t,
                weight,
            });
        }
        plan
    }
}

/// A solved target group.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GroupPlan {
    /// Group name as configured.
    pub name: String,
    /// Canonical tags (or `code`).
    pub members: Vec<String>,
    /// The share asked for.
    pub target_share: f64,
    /// Tokens measured in the corpus.
    pub measured_tokens: u64,
    /// The weight (epochs) solved for the group.
    pub weight: f64,
}

/// Weights ready to apply to documents.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct WeightPlan {
    /// Epochs per canonical language (`code` for every code tag).
    pub lang: BTreeMap<String, f64>,
    /// Epochs per source.
    pub source: BTreeMap<String, f64>,
    /// Rehydration by cluster size.
    pub rehydrate: bool,
    /// Seed of the fractional sample.
    pub seed: u64,
    /// Solved target groups (empty without targets).
    pub groups: Vec<GroupPlan>,
    /// Whether targets decide the language weights (documents outside every group get 0).
    pub targeted: bool,
}

impl WeightPlan {
    /// The weight of a document.
    pub fn weight(&self, lang: Option<&str>, source: &str, cluster_size: Option<u32>) -> f64 {
        let lang = lang.unwrap_or("und");
        let lang_w = if self.targeted {
            self.groups
                .iter()
                .find(|g| {
                    g.members
                        .iter()
                        .any(|m| m == lang || (m == "code" && lang.starts_with("code_")))
                })
                .map(|g| g.weight)
                .unwrap_or(0.0)
        } else {
            self.lang
                .get(lang)
                .or_else(|| {
                    lang.starts_with("code_")
                        .then(|| self.lang.get("code"))
                        .flatten()
                })
                .copied()
                .unwrap_or(1.0)
        };
        let source_w = self.source.get(source).copied().unwrap_or(1.0);
        let rehydrate = if self.rehydrate {
            rehydration_factor(cluster_size.unwrap_or(1))
        } else {
            1.0
        };
        lang_w * source_w * rehydrate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractional_part_samples_the_right_share_deterministically() {
        let n = 100_000;
        let kept: u32 = (0..n).map(|i| copies(0.3, &format!("doc-{i}"), 7)).sum();
        assert!((kept as f64 / n as f64 - 0.3).abs() < 0.01, "{kept}");
        let twice: u32 = (0..n).map(|i| copies(2.5, &format!("doc-{i}"), 7)).sum();
        assert!((twice as f64 / n as f64 - 2.5).abs() < 0.01);
        assert_eq!(copies(1.0, "x", 1), 1);
        assert_eq!(copies(0.0, "x", 1), 0);
        assert_eq!(copies(f64::NAN, "x", 1), 0);
        // Same id, same seed, same answer.
        assert_eq!(copies(0.5, "abc", 3), copies(0.5, "abc", 3));
    }

    #[test]
    fn targets_are_solved_from_measured_tokens() {
        let cfg = WeightsConfig {
            targets: [
                ("eng_Latn".to_string(), 0.5),
                ("fra".to_string(), 0.3),
                ("code".to_string(), 0.2),
            ]
            .into(),
            ..Default::default()
        };
        assert!(cfg.problems().is_empty(), "{:?}", cfg.problems());
        let tokens: BTreeMap<String, u64> = [
            ("eng_Latn", 800u64),
            ("fra_Latn", 100),
            ("code_python", 100),
            ("deu_Latn", 50),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let plan = cfg.plan(&tokens);
        // total = 1000 targeted tokens: eng 500/800, fra 300/100, code 200/100.
        let w = |l: &str| plan.weight(Some(l), "s", None);
        assert!((w("eng_Latn") - 0.625).abs() < 1e-9);
        assert!((w("fra_Latn") - 3.0).abs() < 1e-9);
        assert!((w("code_rust") - 2.0).abs() < 1e-9);
        assert_eq!(w("deu_Latn"), 0.0);
    }

    #[test]
    fn epochs_multiply_and_rehydration_follows_fineweb2() {
        let cfg = WeightsConfig {
            lang: [("fr".to_string(), 2.0), ("code".to_string(), 2.0)].into(),
            source: [("wikipedia".to_string(), 3.0)].into(),
            rehydrate: true,
            ..Default::default()
        };
        let plan = cfg.plan(&BTreeMap::new());
        assert_eq!(
            plan.weight(Some("fra_Latn"), "wikipedia", Some(3)),
            2.0 * 3.0 * 3.0
        );
        assert_eq!(plan.weight(Some("code_go"), "github", None), 2.0);
        assert_eq!(plan.weight(Some("eng_Latn"), "web", Some(1500)), 1.0);
        assert_eq!(rehydration_factor(150), 8.0);
    }
}
