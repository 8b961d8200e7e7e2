//! The regular expressions a `tokenizer.json` brings (pre-tokenizer splits, normaliser
//! replacements) come from a config file, so they must run in linear time on any text.
//!
//! The tokenizers crate runs them with fancy-regex, which hands a pattern without lookaround or
//! backreference whole to the `regex` crate (a linear-time engine) and runs any other on a
//! backtracking VM: `(a+)+(?=b)` takes exponential time on `aaaa…c` and gives up only at its step
//! limit, on every piece of text. The GPT-2 family's pre-tokenizers (GPT-2, cl100k, o200k,
//! Llama 3, Qwen 2 and most byte-level BPEs since) use one lookaround, `\s+(?!\S)` (a run of
//! white space not followed by a visible character): a single-character look at the end of a
//! run, linear in the run. So a pattern is accepted when it compiles with the `regex` crate once
//! that construct is taken out; any other lookaround or backreference is refused when the
//! tokenizer is loaded, naming the pattern.

/// The one lookaround accepted, as tokenizer.json files write it.
const WHITESPACE_RUN_LOOKAHEAD: &str = r"\s+(?!\S)";

/// Why `pattern` could need more than linear time, or `None` when it cannot.
pub fn backtracking_risk(pattern: &str) -> Option<String> {
    let linear = pattern.replace(WHITESPACE_RUN_LOOKAHEAD, r"\s+");
    match regex::Regex::new(&linear) {
        Ok(_) => None,
        Err(regex::Error::CompiledTooBig(limit)) => Some(format!(
            "it compiles to more than {limit} bytes of automaton"
        )),
        Err(e) => Some(format!(
            "it needs a backtracking engine (lookaround other than {WHITESPACE_RUN_LOOKAHEAD}, \
             a backreference, or syntax the linear-time `regex` crate does not have): {}",
            e.to_string().lines().last().unwrap_or("")
        )),
    }
}

/// Every regex pattern below `value` (objects whose `pattern` is `{"Regex": "…"}`), in order.
pub fn regex_patterns(value: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(p) = map
                    .get("pattern")
                    .and_then(|p| p.get("Regex"))
                    .and_then(|r| r.as_str())
                {
                    out.push(p.to_string());
                }
                stack.extend(map.values().rev());
            }
            serde_json::Value::Array(items) => stack.extend(items.iter().rev()),
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pre-tokenizer patterns of real tokenizers, as their tokenizer.json files write them.
    const GPT2: &str =
        r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    const LLAMA3: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    const BLOOM: &str = " ?[^(\\s|[.,!?…。，、।۔،])]+";

    #[test]
    fn real_tokenizers_patterns_are_linear() {
        for p in [GPT2, LLAMA3, BLOOM, r"\p{N}", r"[\p{P}\$\+<=>\^~\|]+"] {
            assert_eq!(backtracking_risk(p), None, "{p}");
        }
    }

    #[test]
    fn other_lookarounds_and_backreferences_are_refused() {
        for p in [
            r"(a+)+(?=b)",
            r"(?<=x)y",
            r"(\w+)\s\1",
            r"\s+(?!\d)",
            r"(?>a+)b",
        ] {
            let why = backtracking_risk(p).unwrap_or_else(|| panic!("{p} accepted"));
            assert!(why.contains("backtracking engine"), "{p}: {why}");
        }
    }

    #[test]
    fn patterns_are_found_at_any_depth() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"type":"Sequence","pretokenizers":[
                {"type":"Split","pattern":{"Regex":"a+"},"behavior":"Isolated","invert":false},
                {"type":"Split","pattern":{"String":" "},"behavior":"Removed","invert":false},
                {"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"b(?=c)"}}]}]}"#,
        )
        .unwrap();
        assert_eq!(regex_patterns(&v), ["a+", "b(?=c)"]);
    }
}
