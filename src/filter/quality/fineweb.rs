//! FineWeb document rules (Penedo et al. 2024; datatrove `FineWebQualityFilter`): share of lines
//! ending with punctuation, share of short lines, characters in duplicated lines, and newlines
//! per word. Run on the text left after C4's line removal, as in FineWeb.

use super::repetition::find_duplicates;
use super::settings::QualitySettings;
use super::text::{ends_with_terminal, is_clause_punct, last_significant};
use super::{above, below, Fail};

/// Apply the FineWeb rules; `words` is the word count of `text`.
pub fn check(
    text: &str,
    lines: &[&str],
    words: usize,
    s: &QualitySettings,
    extra: &[char],
) -> Result<(), Fail> {
    let n = lines.len().max(1) as f64;
    if s.fineweb_line_punct_ratio.get().is_some() {
        let punct = lines
            .iter()
            .filter(|l| {
                ends_with_terminal(l, extra)
                    || (s.fineweb_line_punct_clause
                        && last_significant(l).is_some_and(is_clause_punct))
            })
            .count() as f64;
        if !(punct == 0.0 && s.fineweb_line_punct_exclude_zero) {
            below(
                "fineweb_line_punct_ratio",
                punct / n,
                s.fineweb_line_punct_ratio,
            )?;
        }
    }
    if s.fineweb_short_line_ratio.get().is_some() {
        let max = s.fineweb_short_line_chars as usize;
        let short = lines.iter().filter(|l| l.chars().count() <= max).count() as f64;
        above(
            "fineweb_short_line_ratio",
            short / n,
            s.fineweb_short_line_ratio,
        )?;
    }
    if s.fineweb_char_dup_ratio.get().is_some() {
        let (_, dup) = find_duplicates(lines.iter().copied());
        let chars = text.chars().filter(|&c| c != '\n').count().max(1) as f64;
        above(
            "fineweb_char_dup_ratio",
            dup as f64 / chars,
            s.fineweb_char_dup_ratio,
        )?;
    }
    if s.fineweb_newline_ratio.get().is_some() {
        let newlines = memchr::memchr_iter(b'\n', text.as_bytes()).count() as f64;
        above(
            "fineweb_newline_ratio",
            newlines / words.max(1) as f64,
            s.fineweb_newline_ratio,
        )?;
    }
    Ok(())
}
