//! One multi-pattern automaton per language over the folded entries of every list that applies
//! to it. Each pattern remembers which lists hold it, so one scan serves every list.
//!
//! Matching: the automaton reports every occurrence (overlapping, `MatchKind::Standard`); those
//! that cut a word (see [`super::fold::is_boundary`]) are discarded, and among the rest, per
//! list, the leftmost-longest non-overlapping ones are kept. Checking boundaries before choosing
//! means a longer entry that fails its boundary (`bite me` in `bite mes…`) does not hide a
//! shorter one that passes (`bite`), which a leftmost-longest automaton alone would.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use super::fold::{fold, is_boundary};

/// A language's automaton.
pub struct Matcher {
    ac: AhoCorasick,
    /// Folded text of each pattern.
    patterns: Vec<String>,
    /// Bit i set: list i holds the pattern.
    lists_of: Vec<u64>,
    /// Number of lists.
    n_lists: usize,
}

/// Matches of one list in one text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListHits {
    /// Occurrences (a phrase counts once).
    pub count: usize,
    /// Distinct matched entries, in order of first occurrence.
    pub words: Vec<String>,
}

/// The largest number of lists one language may combine.
pub const MAX_LISTS: usize = 64;

impl Matcher {
    /// Build from `lists[i]` = entries of list i (raw; folded here). Entries that fold to
    /// nothing are skipped. `None` when no list has an entry.
    pub fn new(lists: &[Vec<String>]) -> Option<Matcher> {
        assert!(
            lists.len() <= MAX_LISTS,
            "at most {MAX_LISTS} lists per language"
        );
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        let mut patterns: Vec<String> = Vec::new();
        let mut lists_of: Vec<u64> = Vec::new();
        for (i, entries) in lists.iter().enumerate() {
            for e in entries {
                let f = fold(e);
                if f.is_empty() {
                    continue;
                }
                let id = *index.entry(f.clone()).or_insert_with(|| {
                    patterns.push(f);
                    lists_of.push(0);
                    patterns.len() - 1
                });
                lists_of[id] |= 1 << i;
            }
        }
        if patterns.is_empty() {
            return None;
        }
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .or_else(|_| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&patterns)
            })
            .expect("word lists build an automaton");
        Some(Matcher {
            ac,
            patterns,
            lists_of,
            n_lists: lists.len(),
        })
    }

    /// Number of distinct patterns.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }

    /// Whether there is no pattern (never: `new` returns `None` then).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Hits per list in folded text. Empty vectors when nothing matched (the common case
    /// allocates nothing).
    pub fn scan(&self, folded: &str) -> Vec<ListHits> {
        let mut valid: Vec<(usize, usize, usize)> = Vec::new();
        for m in self.ac.find_overlapping_iter(folded) {
            let (s, e) = (m.start(), m.end());
            let before = folded[..s].chars().next_back();
            let first = folded[s..].chars().next();
            let last = folded[..e].chars().next_back();
            let after = folded[e..].chars().next();
            if is_boundary(before, first) && is_boundary(last, after) {
                valid.push((s, e, m.pattern().as_usize()));
            }
        }
        if valid.is_empty() {
            return Vec::new();
        }
        // Leftmost first, longest first at one start.
        valid.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        (0..self.n_lists)
            .map(|list| {
                let mut hits = ListHits::default();
                let mut next_free = 0usize;
                for &(s, e, p) in &valid {
                    if s < next_free || self.lists_of[p] & (1 << list) == 0 {
                        continue;
                    }
                    hits.count += 1;
                    next_free = e;
                    if !hits.words.contains(&self.patterns[p]) {
                        hits.words.push(self.patterns[p].clone());
                    }
                }
                hits
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(entries: &[&str]) -> Matcher {
        Matcher::new(&[entries.iter().map(|s| s.to_string()).collect()]).unwrap()
    }

    fn hits(m: &Matcher, text: &str) -> (usize, Vec<String>) {
        let h = m.scan(&fold(text));
        h.first()
            .map(|h| (h.count, h.words.clone()))
            .unwrap_or_default()
    }

    #[test]
    fn whole_words_only_in_spaced_scripts() {
        let m = m(&["ass", "blow job"]);
        assert_eq!(hits(&m, "A class of assets passed.").0, 0);
        assert_eq!(hits(&m, "Kiss my ASS! ass, ass.").0, 3);
        assert_eq!(hits(&m, "a Blow\n  Job").1, vec!["blow job"]);
        assert_eq!(hits(&m, "blow jobs").0, 0);
    }

    #[test]
    fn a_failed_longer_entry_does_not_hide_a_shorter_one() {
        let m = m(&["bite", "bite me"]);
        assert_eq!(hits(&m, "bite mes amis").1, vec!["bite"]);
        assert_eq!(hits(&m, "bite me now").1, vec!["bite me"]);
    }

    #[test]
    fn indic_clusters_are_not_split() {
        // "क" must not match the cluster "क्" of "क्षमा", nor "कम" inside "कमल".
        let m = m(&["क", "कम"]);
        assert_eq!(hits(&m, "क्षमा कमल").0, 0);
        assert_eq!(hits(&m, "यह कम है").1, vec!["कम"]);
    }

    #[test]
    fn no_space_scripts_match_characters_but_latin_inside_keeps_boundaries() {
        let m = m(&["做爱", "sm", "スポット"]);
        assert_eq!(hits(&m, "他们做爱了").1, vec!["做爱"]);
        assert_eq!(hits(&m, "smallなスポットです").1, vec!["スポット"]);
        assert_eq!(hits(&m, "これはsmです").1, vec!["sm"]);
    }

    #[test]
    fn counts_per_list() {
        let m = Matcher::new(&[vec!["foo".into()], vec!["foo".into(), "bar".into()]]).unwrap();
        let h = m.scan(&fold("foo bar foo"));
        assert_eq!(h[0].count, 2);
        assert_eq!(h[1].count, 3);
        assert_eq!(h[1].words, vec!["foo", "bar"]);
    }
}
