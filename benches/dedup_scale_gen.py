#!/usr/bin/env python3
"""Documents for the dedup scale benchmark (benches/dedup_scale.sh): N short documents of real
words, as FineWeb-style JSON lines in shards.

Each unique document is 40-80 words drawn from the UDHR text of one language in
../shared/data/udhr (real vocabulary, so normalisation and shingling do their real work), which
makes two unique documents practically never similar. Among them, 3 % are exact copies and 3 %
near copies (two words replaced: Jaccard of 5-word shingles around 0.75-0.85) of earlier
documents, so clusters are as common as in a deduplicated crawl. Deterministic for a seed.

usage: dedup_scale_gen.py OUT_DIR DOCS [--shared DIR] [--seed N] [--per-shard N]
"""
import argparse
import json
import os
import random
import re


def vocabularies(shared):
    udhr = os.path.join(shared, "udhr")
    vocab = []
    for name in sorted(os.listdir(udhr)):
        if not name.endswith(".txt"):
            continue
        with open(os.path.join(udhr, name), encoding="utf-8") as f:
            words = sorted(set(w for w in re.split(r"\s+", f.read()) if w))
        # Scripts without spaces give few "words": their characters count as words instead.
        if len(words) < 200:
            with open(os.path.join(udhr, name), encoding="utf-8") as f:
                words = sorted(set(c for c in f.read() if not c.isspace()))
        if len(words) >= 100:
            vocab.append(words)
    return vocab


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("docs", type=int)
    ap.add_argument("--shared", default="../shared/data")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-shard", type=int, default=500_000)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    vocab = vocabularies(a.shared)
    os.makedirs(a.out, exist_ok=True)
    history = []  # recent unique documents (words), bounded
    shard = None
    for n in range(a.docs):
        if n % a.per_shard == 0:
            if shard:
                shard.close()
            path = os.path.join(a.out, f"part-{n // a.per_shard:05}.jsonl")
            shard = open(path + ".tmp", "w", encoding="utf-8")
            shard_path = path
        r = rng.random()
        if r < 0.03 and history:
            words = rng.choice(history)
        elif r < 0.06 and history:
            words = list(rng.choice(history))
            for _ in range(2):
                words[rng.randrange(len(words))] = rng.choice(words)
        else:
            v = vocab[rng.randrange(len(vocab))]
            words = rng.choices(v, k=rng.randint(40, 80))
            if len(history) < 100_000:
                history.append(words)
            else:
                history[rng.randrange(len(history))] = words
        year = 2013 + n * 14 // max(a.docs, 1)
        doc = {
            "id": f"s{n:09}",
            "text": " ".join(words),
            "url": f"https://site{rng.randrange(1_000_000)}.example/{n}",
            "date": f"{year}-{1 + n % 12:02}-{1 + n % 28:02}T00:00:00Z",
        }
        shard.write(json.dumps(doc, ensure_ascii=False))
        shard.write("\n")
        if (n + 1) % a.per_shard == 0 or n + 1 == a.docs:
            shard.close()
            os.replace(shard_path + ".tmp", shard_path)
            shard = None


if __name__ == "__main__":
    main()
