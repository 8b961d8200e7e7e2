//! `tamis bench gen`: a crawl-like corpus built from REAL text (UDHR translations of 100+
//! languages, real source files, the UT1 block list), deterministic for a seed: realistic
//! document lengths (log-normal, 0.1–100 KB), a crawl-like language mix over the BLOOM languages
//! and others, ~5 % code, URLs with some blocked domains, dates 2013–2026, exact and near
//! duplicates and banned-word documents. Every planted document is listed in `truth.jsonl` so
//! tests and benchmarks can check what the pipeline did with it.

use std::collections::BTreeMap;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::out::OutDir;

/// Generator settings.
#[derive(Debug, Clone)]
pub struct GenConfig {
    /// `../shared/data`.
    pub shared: PathBuf,
    /// Megabytes of text to generate.
    pub megabytes: u64,
    /// Seed.
    pub seed: u64,
    /// Documents per output shard.
    pub docs_per_shard: usize,
    /// Share of code documents.
    pub code_share: f64,
    /// Share of documents on a blocked domain.
    pub blocked_share: f64,
    /// Share of documents with planted banned words.
    pub banned_share: f64,
    /// Share of exact duplicates.
    pub exact_dup_share: f64,
    /// Share of near duplicates.
    pub near_dup_share: f64,
}

impl GenConfig {
    /// Defaults: 5 % code, 2 % blocked, 1 % banned words, 2 % exact and 3 % near duplicates.
    pub fn new(shared: PathBuf, megabytes: u64, seed: u64) -> GenConfig {
        GenConfig {
            shared,
            megabytes,
            seed,
            docs_per_shard: 20_000,
            code_share: 0.05,
            blocked_share: 0.02,
            banned_share: 0.01,
            exact_dup_share: 0.02,
            near_dup_share: 0.03,
        }
    }
}

/// A seeded SplitMix64.
pub struct Rng(u64);

impl Rng {
    /// From a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    /// Next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
}

/// Crawl-like weights of the biggest languages (UDHR file codes); every other language shares
/// what is left equally.
const HEAD: &[(&str, f64)] = &[
    ("en", 0.30),
    ("zh-Hans", 0.06),
    ("fr", 0.07),
    ("es", 0.06),
    ("de", 0.05),
    ("ru", 0.05),
    ("ja", 0.04),
    ("pt", 0.03),
    ("it", 0.03),
    ("ar", 0.02),
    ("hi", 0.015),
    ("vi", 0.015),
    ("id", 0.015),
    ("zh-Hant", 0.01),
];

struct Lang {
    code: String,
    tag: String,
    weight: f64,
    paragraphs: Vec<String>,
}

fn load_languages(shared: &Path) -> io::Result<Vec<Lang>> {
    let index = std::fs::read_to_string(shared.join("udhr/index.tsv"))?;
    let mut langs = Vec::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() < 6 {
            continue;
        }
        let code = cols[0];
        let path = shared.join(format!("udhr/{code}.txt"));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        // Sentences, so that documents drawn from the same translation share few shingles.
        let mut paragraphs: Vec<String> = Vec::new();
        for line in text
            .lines()
            .map(str::trim)
            .filter(|l| l.chars().count() >= 30)
        {
            let mut start = 0;
            for (i, c) in line.char_indices() {
                if matches!(
                    c,
                    '.' | '!' | '?' | '。' | '।' | '؟' | '۔' | '።' | '！' | '？' | ';'
                ) {
                    let end = i + c.len_utf8();
                    let s = line[start..end].trim();
                    if s.chars().count() >= 20 {
                        paragraphs.push(s.to_string());
                    }
                    start = end;
                }
            }
            let rest = line[start..].trim();
            if rest.chars().count() >= 20 {
                paragraphs.push(rest.to_string());
            }
        }
        if paragraphs.is_empty() {
            continue;
        }
        let tag =
            crate::lang::canonical(code).unwrap_or_else(|| format!("{}_{}", cols[3], cols[5]));
        langs.push(Lang {
            code: code.to_string(),
            tag,
            weight: 0.0,
            paragraphs,
        });
    }
    langs.sort_by(|a, b| a.code.cmp(&b.code));
    let head: f64 = HEAD
        .iter()
        .filter(|(c, _)| langs.iter().any(|l| l.code == *c))
        .map(|(_, w)| w)
        .sum();
    let rest = langs
        .iter()
        .filter(|l| !HEAD.iter().any(|(c, _)| *c == l.code))
        .count()
        .max(1);
    for l in &mut langs {
        l.weight = HEAD
            .iter()
            .find(|(c, _)| *c == l.code)
            .map(|(_, w)| *w)
            .unwrap_or((1.0 - head) / rest as f64);
    }
    Ok(langs)
}

fn load_code(shared: &Path) -> io::Result<Vec<(String, String)>> {
    let mut files = Vec::new();
    let root = shared.join("code");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        if d.ends_with("LICENSES") {
            continue;
        }
        let mut fs: Vec<PathBuf> = std::fs::read_dir(&d)?.flatten().map(|e| e.path()).collect();
        fs.sort();
        for f in fs {
            if let Ok(t) = std::fs::read_to_string(&f) {
                let name = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                files.push((name, t));
            }
        }
    }
    Ok(files)
}

fn load_blocked(shared: &Path, limit: usize) -> io::Result<Vec<String>> {
    let f = std::fs::File::open(shared.join("url_blocklists/ut1/adult.domains.gz"))?;
    let r = io::BufReader::new(flate2::read::MultiGzDecoder::new(f));
    let mut v = Vec::new();
    for (i, line) in r.lines().enumerate() {
        let line = line?;
        if i % 97 == 0 && !line.trim().is_empty() && !line.starts_with('#') {
            v.push(line.trim().to_string());
        }
        if v.len() >= limit {
            break;
        }
    }
    Ok(v)
}

fn load_banned(shared: &Path) -> BTreeMap<String, Vec<String>> {
    let mut m = BTreeMap::new();
    for code in ["en", "fr", "es", "de", "it", "pt"] {
        if let Ok(t) =
            std::fs::read_to_string(shared.join(format!("banned_words/ldnoobw/{code}.txt")))
        {
            let words: Vec<String> = t
                .lines()
                .map(str::trim)
                .filter(|w| !w.is_empty() && !w.contains(' '))
                .map(String::from)
                .collect();
            m.insert(code.to_string(), words);
        }
    }
    m
}

const TLDS: &[&str] = &[
    "com", "org", "net", "info", "fr", "de", "es", "it", "in", "cn", "ng", "ke", "br", "id", "vn",
];
const WORDS: &[&str] = &[
    "news", "blog", "forum", "shop", "journal", "daily", "world", "city", "home", "info", "portal",
    "media", "club", "wiki",
];

/// Generate the corpus into `out_dir`: `part-NNNNN.jsonl.gz` shards (FineWeb field names) and
/// `truth.jsonl`. Returns (documents, bytes of text).
pub fn generate(cfg: &GenConfig, out_dir: &Path) -> io::Result<(u64, u64)> {
    let langs = load_languages(&cfg.shared)?;
    let code = load_code(&cfg.shared)?;
    let blocked = load_blocked(&cfg.shared, 5000)?;
    let banned = load_banned(&cfg.shared);
    let total_w: f64 = langs.iter().map(|l| l.weight).sum();
    let out = OutDir::create(out_dir)?;
    let mut rng = Rng::new(cfg.seed);
    let target = cfg.megabytes * 1_000_000;
    let (mut bytes, mut n) = (0u64, 0u64);
    let mut shard: Vec<String> = Vec::new();
    let mut shard_no = 0;
    let mut truth = Vec::new();
    let mut history: Vec<(String, String)> = Vec::new(); // (id, text) of earlier documents, bounded
    let flush = |shard: &mut Vec<String>, shard_no: &mut usize| -> io::Result<()> {
        if shard.is_empty() {
            return Ok(());
        }
        let mut f = out.create_file(format!("part-{:05}.jsonl.gz", *shard_no))?;
        {
            let mut gz = flate2::write::GzEncoder::new(&mut f, flate2::Compression::fast());
            for line in shard.iter() {
                gz.write_all(line.as_bytes())?;
                gz.write_all(b"\n")?;
            }
            gz.finish()?;
        }
        f.finish()?;
        shard.clear();
        *shard_no += 1;
        Ok(())
    };
    while bytes < target {
        let id = format!("gen-{:09}", n);
        let year = 2013 + rng.below(14) as i64;
        let date = format!(
            "{year}-{:02}-{:02}T{:02}:00:00Z",
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24)
        );
        let host = format!(
            "{}{}.{}",
            WORDS[rng.below(WORDS.len())],
            rng.below(100_000),
            TLDS[rng.below(TLDS.len())]
        );
        let mut url = format!("https://{host}/{}", rng.below(1_000_000));
        let mut planted: Vec<String> = Vec::new();
        let r = rng.unit();
        let (text, lang) = if r < cfg.code_share && !code.is_empty() {
            let (name, body) = &code[rng.below(code.len())];
            url = format!("https://code.example/{}/{name}", rng.below(10_000));
            planted.push("code".into());
            (body.clone(), "code".to_string())
        } else if r < cfg.code_share + cfg.exact_dup_share && !history.is_empty() {
            let (orig, t) = history[rng.below(history.len())].clone();
            planted.push(format!("exact_dup_of:{orig}"));
            (t, "dup".to_string())
        } else if r < cfg.code_share + cfg.exact_dup_share + cfg.near_dup_share
            && !history.is_empty()
        {
            let (orig, t) = history[rng.below(history.len())].clone();
            planted.push(format!("near_dup_of:{orig}"));
            (
                format!("Home | Contact | About\n{t}\nShare this article"),
                "dup".to_string(),
            )
        } else {
            let mut pick = rng.unit() * total_w;
            let mut li = 0;
            for (i, l) in langs.iter().enumerate() {
                li = i;
                if pick < l.weight {
                    break;
                }
                pick -= l.weight;
            }
            let l = &langs[li];
            // Log-normal length: median 2 KB, clamped to 0.1–100 KB.
            let len = (2000.0 * (rng.normal() * 1.0).exp()).clamp(100.0, 100_000.0) as usize;
            // Sentences drawn without replacement (a document never repeats itself), grouped
            // in paragraphs of 1–4; the length is capped by the language's text.
            let mut order: Vec<usize> = (0..l.paragraphs.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.below(i + 1));
            }
            let mut t = String::new();
            let mut in_para = 0;
            for &i in &order {
                if t.len() >= len {
                    break;
                }
                if !t.is_empty() {
                    if in_para > rng.below(4) {
                        t.push('\n');
                        in_para = 0;
                    } else {
                        t.push(' ');
                    }
                }
                t.push_str(&l.paragraphs[i]);
                in_para += 1;
            }
            (t, l.tag.clone())
        };
        let mut text = text;
        if rng.unit() < cfg.blocked_share && !blocked.is_empty() {
            url = format!(
                "http://{}/page/{}",
                blocked[rng.below(blocked.len())],
                rng.below(1000)
            );
            planted.push("blocked_url".into());
        }
        let lang_code = langs
            .iter()
            .find(|l| l.tag == lang)
            .map(|l| l.code.as_str())
            .unwrap_or("");
        if let Some(words) = banned.get(lang_code) {
            if rng.unit() < cfg.banned_share / 0.6 && !words.is_empty() {
                // One banned word per 30 words (at least 8), spread through the text: a
                // document over any sensible ratio threshold, whatever its length.
                let doc_words: Vec<&str> = text.split(' ').collect();
                let k = (doc_words.len() / 30).max(8);
                let mut at: Vec<usize> = (0..k).map(|_| rng.below(doc_words.len() + 1)).collect();
                at.sort_unstable();
                let mut out = String::with_capacity(text.len() + 16 * k);
                let mut next = at.iter().peekable();
                for (i, w) in doc_words.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    while next.next_if(|&&j| j == i).is_some() {
                        out.push_str(&words[rng.below(words.len())]);
                        out.push(' ');
                    }
                    out.push_str(w);
                }
                for _ in next {
                    out.push(' ');
                    out.push_str(&words[rng.below(words.len())]);
                }
                text = out;
                planted.push("banned_words".into());
            }
        }
        bytes += text.len() as u64;
        if lang != "code" && lang != "dup" && history.len() < 5000 {
            history.push((id.clone(), text.clone()));
        } else if lang != "code" && lang != "dup" && rng.below(10) == 0 {
            let i = rng.below(history.len());
            history[i] = (id.clone(), text.clone());
        }
        shard.push(
            json!({"id": id, "text": text, "url": url, "date": date, "gen_lang": lang}).to_string(),
        );
        if !planted.is_empty() {
            truth.push(json!({"id": id, "url": url, "lang": lang, "planted": planted}).to_string());
        }
        n += 1;
        if shard.len() >= cfg.docs_per_shard {
            flush(&mut shard, &mut shard_no)?;
        }
    }
    flush(&mut shard, &mut shard_no)?;
    out.write_file("truth.jsonl", (truth.join("\n") + "\n").as_bytes())?;
    Ok((n, bytes))
}
