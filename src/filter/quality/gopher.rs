//! Gopher document rules (Rae et al. 2021, "Scaling Language Models", appendix A1.1): length,
//! mean word length, symbols, bullets, ellipses, alphabetic words and stop words.

use super::settings::QualitySettings;
use super::stopwords::StopWords;
use super::text::{ends_with_terminal, is_clause_punct, last_significant, token_counts, Unit};
use super::{above, below, Fail, View};

/// Characters that open a bulleted line.
fn is_bullet(c: char) -> bool {
    matches!(
        c,
        '•' | '‣'
            | '◦'
            | '▪'
            | '●'
            | '○'
            | '■'
            | '□'
            | '➢'
            | '►'
            | '-'
            | '*'
            | '·'
            | '–'
    )
}

/// Apply the Gopher quality rules.
pub fn check(v: &View, s: &QualitySettings, stop: Option<&StopWords>) -> Result<(), Fail> {
    let n = v.words.len() as f64;
    below("gopher_min_words", n, s.gopher_min_words)?;
    above("gopher_max_words", n, s.gopher_max_words)?;
    if v.unit == Unit::Words && n > 0.0 {
        let mean = v.words.iter().map(|w| w.len as f64).sum::<f64>() / n;
        below("gopher_min_mean_word_len", mean, s.gopher_min_mean_word_len)?;
        above("gopher_max_mean_word_len", mean, s.gopher_max_mean_word_len)?;
    }
    let per_word = n.max(1.0);
    if s.gopher_hash_word_ratio.get().is_some() {
        let hashes = memchr::memchr_iter(b'#', v.text.as_bytes()).count() as f64;
        above(
            "gopher_hash_word_ratio",
            hashes / per_word,
            s.gopher_hash_word_ratio,
        )?;
    }
    if s.gopher_ellipsis_word_ratio.get().is_some() {
        let ell = (v.text.matches("...").count() + v.text.matches('…').count()) as f64;
        above(
            "gopher_ellipsis_word_ratio",
            ell / per_word,
            s.gopher_ellipsis_word_ratio,
        )?;
    }
    let lines = v.lines.len().max(1) as f64;
    if s.gopher_bullet_lines.get().is_some() {
        // tamis: a bulleted line that ends like a sentence or clause is prose, not a list item.
        let exempt = |l: &str| {
            s.gopher_bullet_prose_exempt
                && (ends_with_terminal(l, &[]) || last_significant(l).is_some_and(is_clause_punct))
        };
        let bullets = v
            .lines
            .iter()
            .filter(|l| l.trim_start().chars().next().is_some_and(is_bullet) && !exempt(l))
            .count() as f64;
        above(
            "gopher_bullet_lines",
            bullets / lines,
            s.gopher_bullet_lines,
        )?;
    }
    if s.gopher_ellipsis_lines.get().is_some() {
        let ell = v
            .lines
            .iter()
            .filter(|l| {
                let l = l.trim_end();
                l.ends_with("...") || l.ends_with('…')
            })
            .count() as f64;
        above(
            "gopher_ellipsis_lines",
            ell / lines,
            s.gopher_ellipsis_lines,
        )?;
    }
    if s.gopher_alpha_words.get().is_some() {
        // Over whitespace tokens; for character units (few spaces), over the units.
        let (all, alpha) = match v.unit {
            Unit::Words => token_counts(v.text),
            Unit::Chars => (
                v.words.len(),
                v.words
                    .iter()
                    .filter(|w| w.text.chars().any(super::text::is_alpha))
                    .count(),
            ),
        };
        if all > 0 {
            below(
                "gopher_alpha_words",
                alpha as f64 / all as f64,
                s.gopher_alpha_words,
            )?;
        }
    }
    if let (Some(stop), Some(min)) = (stop, s.gopher_min_stop_words.get()) {
        let enough = min.ceil() as usize;
        let found = stop.distinct(v.text, &v.words, v.unit, enough);
        below(
            "gopher_min_stop_words",
            found as f64,
            s.gopher_min_stop_words,
        )?;
    }
    Ok(())
}
