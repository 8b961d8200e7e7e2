//! Safety: output paths never come from data (ids, URLs, language tags or source names in the
//! documents cannot put a file outside OUT, nor name one), names from the pipeline are checked,
//! and list files with odd bytes are refused with the file, the line and the reason.

mod common;

use std::path::Path;

use common::*;

/// Every file a run may write, relative to OUT: fixed names and unit numbers only.
const OUTPUT_NAMES: &str = r"^(?x)(
    _tasks/(filter|dedup_(signature|bucket|cluster|apply)|tokens_(tokenize|write)|finalize)/part-\d{5}\.done
  | _tasks/run\.json
  | (docs|stages/filter|removed/(filter|dedup))/part-\d{5}\.parquet
  | stats/(filter|dedup|dedup_signature)/part-\d{5}\.json | stats/(filter|dedup)\.json
  | stats/summary\.txt
  | dedup/( runs/band-\d{2}/part-\d{5}-\d{4}\.bin | meta/part-\d{5}\.bin | pairs/band-\d{2}\.bin
          | decisions/part-\d{5}\.jsonl | params\.json | summary\.json )
  | tokens/( cache/part-\d{5}\.(tok|rows) | order/run-\d{5}\.bin | part-\d{5}\.(bin|idx)
           | summary\.json )
  | manifest\.json
)$";

fn files_below(root: &Path) -> Vec<String> {
    common::files_below(root)
        .iter()
        .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn hostile_ids_urls_and_language_tags_never_name_an_output_file() {
    let dir = tempfile::tempdir().unwrap();
    // The whole run happens two levels down, so an escape by `../..` would land in `dir`.
    let work = dir.path().join("a/b");
    std::fs::create_dir_all(&work).unwrap();
    let input = work.join("in.jsonl");
    let hostile = [
        "../../escaped",
        "/tmp/absolute",
        "a/b/c",
        "..",
        "x\u{0}y",
        "C:\\\\windows",
    ];
    let mut lines = Vec::new();
    for (i, h) in hostile.iter().enumerate() {
        let text = format!(
            "Document number {i} is an ordinary English paragraph about gardens, rivers and \
             the weather in spring, long enough for language identification to be sure. {}",
            "The river runs past the old mill and the garden grows. ".repeat(i + 2)
        );
        lines.push(
            serde_json::json!({
                "id": h,
                "text": text,
                "url": format!("https://example.com/{h}"),
                "date": "2024-05-01",
                "language": h,
            })
            .to_string(),
        );
    }
    std::fs::write(&input, lines.join("\n")).unwrap();
    let pipeline = work.join("p.toml");
    std::fs::write(
        &pipeline,
        format!(
            r#"name = "safety"
output = "unused"
[[inputs]]
paths = ["{}"]
source = "web"
fields = "fineweb"
[filters.lid]
[dedup]
[tokens]
tokenizer = {{ type = "tiktoken", encoding = "o200k_base" }}
shard_tokens = 100
[weights]
source = {{ web = 2.0 }}
"#,
            input.display()
        ),
    )
    .unwrap();
    let out = work.join("out");
    tamis_ok(&[
        "run",
        &pipeline.to_string_lossy(),
        "--output",
        &out.to_string_lossy(),
        "--no-progress",
    ]);
    // Nothing beside OUT, nothing above it.
    assert_eq!(files_below(dir.path()).len(), files_below(&out).len() + 2);
    let names = regex::Regex::new(OUTPUT_NAMES).unwrap();
    let files = files_below(&out);
    assert!(files.iter().any(|f| f.starts_with("tokens/part-00001")));
    for f in &files {
        assert!(
            names.is_match(f),
            "{f} is not one of the fixed output names"
        );
    }
    // The hostile values did reach the outputs, as data.
    let docs = std::fs::read(out.join("dedup/decisions/part-00000.jsonl")).unwrap();
    let removed: Vec<u8> = files
        .iter()
        .filter(|f| f.ends_with(".parquet"))
        .flat_map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    let all = [docs, removed].concat();
    assert!(
        all.windows(b"../../escaped".len())
            .any(|w| w == b"../../escaped"),
        "the hostile id is kept as an id"
    );
}

#[test]
fn names_from_the_pipeline_that_could_leave_the_output_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.toml");
    for (source, weights, at) in [
        ("../../x", "", "inputs[0].source"),
        ("a/b", "", "inputs[0].source"),
        ("/abs", "", "inputs[0].source"),
        ("..", "", "inputs[0].source"),
        ("ok", "lang = { \"../../x\" = 2.0 }", "weights.lang.../../x"),
    ] {
        std::fs::write(
            &p,
            format!(
                "name = \"x\"\noutput = \"o\"\n[[inputs]]\npaths = [\"samples/quickstart/code-sample.jsonl\"]\nsource = \"{source}\"\n[weights]\n{weights}\n"
            ),
        )
        .unwrap();
        let o = tamis(&["check", &p.to_string_lossy()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{source:?} {weights:?}: {err}");
        assert!(
            err.contains(at),
            "{source:?} {weights:?}: names {at}: {err}"
        );
    }
}

/// `tamis check` on a pipeline using `list` in `table` (TOML lines).
fn check_with_list(dir: &Path, filters: &str) -> (Option<i32>, String) {
    let p = dir.join("p.toml");
    std::fs::write(
        &p,
        format!(
            "name = \"x\"\noutput = \"o\"\n[[inputs]]\npaths = [\"samples/quickstart/code-sample.jsonl\"]\nsource = \"s\"\n[filters.lid]\n{filters}\n"
        ),
    )
    .unwrap();
    let o = tamis(&["check", &p.to_string_lossy()]);
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn list_files_with_odd_bytes_are_refused_with_file_line_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let utf16: Vec<u8> = "ok.example\nbad.example\n"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    std::fs::create_dir_all(d.join("words")).unwrap();
    std::fs::create_dir_all(d.join("wordsjson")).unwrap();
    let cases: Vec<(&str, Vec<u8>, String, &str)> = vec![
        (
            "latin1.txt",
            b"ok.example\ncaf\xe9.example\n".to_vec(),
            "[filters.url]\nblock_domains = [\"{}\"]".into(),
            "line 2: not UTF-8 at byte 4",
        ),
        (
            "utf16.txt",
            utf16,
            "[filters.url]\nblock_domains = [\"{}\"]".into(),
            "line 1: a NUL byte at byte 2",
        ),
        (
            "optout.txt",
            b"example.com/fine\nexample.com/a\x00b\n".to_vec(),
            "[filters.url]\nopt_out = [\"{}\"]".into(),
            "line 2: a NUL byte at byte 14",
        ),
        (
            "urlwords.txt",
            b"fine\nba\xffd\n".to_vec(),
            "[filters.url.words]\nbanned_words = [\"{}\"]".into(),
            "line 2: not UTF-8 at byte 3",
        ),
        (
            "words/fr.txt",
            b"mot\n\nmau\xe7ais\n".to_vec(),
            "[filters.words]\nlists = [{ name = \"mine\", path = \"{}\" }]".into(),
            "line 3: not UTF-8 at byte 4",
        ),
        (
            "wordsjson/fr.json",
            br#"["mot", "nul\u0000"]"#.to_vec(),
            "[filters.words]\nlists = [{ name = \"mine\", path = \"{}\" }]".into(),
            "array item 2: a NUL byte at byte 4",
        ),
    ];
    for (name, bytes, table, want) in cases {
        let path = d.join(name);
        std::fs::write(&path, bytes).unwrap();
        let table = table.replace("{}", &path.to_string_lossy());
        let (code, err) = check_with_list(d, &table);
        assert_eq!(code, Some(2), "{name}: {err}");
        assert!(
            err.contains(&*path.to_string_lossy()) && err.contains(want),
            "{name}: the message names the file and says {want:?}: {err}"
        );
        std::fs::remove_file(&path).unwrap();
    }
}
