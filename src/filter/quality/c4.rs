//! C4 rules (Raffel et al. 2020, §2.2; datatrove `C4QualityFilter`). Line rules *remove lines*
//! (citation marks, over-long words, lines without sentence-final punctuation, too few words,
//! javascript and cookie/policy boilerplate); document rules *drop the document* (lorem ipsum, a
//! curly bracket, too few sentences left). Removed lines are reported only as counts.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use regex::Regex;

use super::settings::QualitySettings;
use super::text::{count_words, ends_with_terminal, sentences_in_line, Unit};
use super::{below, Fail};

/// Line-removal rules, in the order they are tried; the name is the counter key.
pub const LINE_RULES: [&str; 5] = [
    "c4_line_max_word_chars",
    "c4_line_terminal_punct",
    "c4_line_min_words",
    "c4_line_javascript",
    "c4_line_policy",
];

/// What the C4 pass did to a kept document.
#[derive(Debug, Default)]
pub struct Cleaned {
    /// The new text when anything changed.
    pub text: Option<String>,
    /// Lines removed, per rule of [`LINE_RULES`].
    pub removed: [u32; 5],
    /// Citation marks stripped.
    pub citations: u32,
}

/// Per-language matcher of javascript (pattern 0) and policy phrases (patterns 1..).
pub fn boilerplate_matcher(s: &QualitySettings) -> Result<AhoCorasick, String> {
    let mut pats = vec!["javascript".to_string()];
    pats.extend(s.c4_policy_phrases.iter().map(|p| p.to_lowercase()));
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(&pats)
        .map_err(|e| e.to_string())
}

fn citation_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"\[\d*\]|\[edit\]|\[citation needed\]").expect("valid regex"))
}

fn has_lorem_ipsum(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memmem::find_iter(b, b"orem ipsum")
        .any(|i| i > 0 && b[i - 1].eq_ignore_ascii_case(&b'l'))
}

/// Apply the C4 rules: drops, or the cleaned document.
pub fn check(
    text: &str,
    unit: Unit,
    s: &QualitySettings,
    extra_terminal: &[char],
    matcher: &AhoCorasick,
) -> Result<Cleaned, Fail> {
    if s.c4_lorem_ipsum && has_lorem_ipsum(text) {
        return Err(Fail {
            rule: "c4_lorem_ipsum",
            detail: "c4_lorem_ipsum: the text contains \"lorem ipsum\"".into(),
        });
    }
    if s.c4_curly_bracket {
        if let Some(at) = memchr::memchr(b'{', text.as_bytes()) {
            return Err(Fail {
                rule: "c4_curly_bracket",
                detail: format!("c4_curly_bracket: '{{' at byte {at}"),
            });
        }
    }
    let mut out = Cleaned::default();
    let mut kept: Vec<std::borrow::Cow<str>> = Vec::new();
    let mut changed = false;
    let mut sentences = 0usize;
    let mut kept_lines = 0usize;
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            kept.push(raw.into());
            continue;
        }
        let mut line: std::borrow::Cow<str> = raw.into();
        let rule = 'rule: {
            if let Some(max) = s.c4_line_max_word_chars.get() {
                if line
                    .split_whitespace()
                    .any(|w| w.chars().count() as f64 > max)
                {
                    break 'rule Some(0);
                }
            }
            if s.c4_remove_citations && line.contains('[') {
                let n = citation_re().find_iter(&line).count();
                if n > 0 {
                    out.citations += n as u32;
                    line = citation_re().replace_all(&line, "").into_owned().into();
                }
            }
            if s.c4_line_terminal_punct && !ends_with_terminal(&line, extra_terminal) {
                break 'rule Some(1);
            }
            if let Some(min) = s.c4_line_min_words.get() {
                if (count_words(&line, unit) as f64) < min {
                    break 'rule Some(2);
                }
            }
            if s.c4_line_javascript || s.c4_line_policy {
                for m in matcher.find_iter(line.as_ref()) {
                    if m.pattern().as_usize() == 0 && s.c4_line_javascript {
                        break 'rule Some(3);
                    }
                    if m.pattern().as_usize() > 0 && s.c4_line_policy {
                        break 'rule Some(4);
                    }
                }
            }
            None
        };
        match rule {
            Some(r) => {
                out.removed[r] += 1;
                changed = true;
            }
            None => {
                if s.c4_min_sentences.get().is_some() {
                    sentences += sentences_in_line(&line, extra_terminal);
                }
                kept_lines += 1;
                changed |= matches!(line, std::borrow::Cow::Owned(_));
                kept.push(line);
            }
        }
    }
    if kept_lines == 0 {
        return Err(Fail {
            rule: "c4_no_lines_left",
            detail: format!(
                "c4_no_lines_left: {} lines removed",
                out.removed.iter().sum::<u32>()
            ),
        });
    }
    below("c4_min_sentences", sentences as f64, s.c4_min_sentences)?;
    if changed {
        // Keep the paragraph structure: blank lines stay, but never two in a row nor at the ends.
        let mut t = String::with_capacity(text.len());
        let mut pending_blank = false;
        for l in &kept {
            if l.trim().is_empty() {
                pending_blank = !t.is_empty();
                continue;
            }
            if !t.is_empty() {
                t.push('\n');
                if pending_blank {
                    t.push('\n');
                }
            }
            pending_blank = false;
            t.push_str(l);
        }
        out.text = Some(t);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> Result<Cleaned, Fail> {
        let s = QualitySettings::default();
        check(
            text,
            Unit::Words,
            &s,
            &[],
            &boilerplate_matcher(&s).unwrap(),
        )
    }

    #[test]
    fn boilerplate_lines_are_removed_and_counted() {
        let c = run("A real sentence of prose here.\nPlease enable JavaScript to view.\nThis site uses cookies for things.\nMenu\n\nAnother real sentence[1] here.").unwrap();
        assert_eq!(
            c.text.as_deref(),
            Some("A real sentence of prose here.\n\nAnother real sentence here.")
        );
        assert_eq!(c.removed, [0, 0, 1, 1, 1]);
        assert_eq!(c.citations, 1);
        assert!(run("Clean text with enough words.\nAnd a second line.")
            .unwrap()
            .text
            .is_none());
    }

    #[test]
    fn lorem_ipsum_and_braces_drop() {
        assert_eq!(
            run("Lorem ipsum dolor sit amet.").unwrap_err().rule,
            "c4_lorem_ipsum"
        );
        assert_eq!(
            run("function f() { return 1; }").unwrap_err().rule,
            "c4_curly_bracket"
        );
        assert_eq!(run("Menu\nHome").unwrap_err().rule, "c4_no_lines_left");
    }
}
