#!/usr/bin/env python3
"""datatrove's side of benches/vs_datatrove.sh: one stage per call, one task per worker, so that
the shell script can measure each stage's whole process tree with benches/measure.py.

    vs_datatrove.py STAGE --input DIR --work DIR --assets DIR [--threshold 0.65]

STAGE is one of
  filter      JsonlReader(DIR/part-*.jsonl.gz) → URLFilter → LanguageFilter → JsonlWriter
  signature   MinhashDedupSignature over the filtered documents
  buckets     MinhashDedupBuckets (one task per band, 14, run one after the other)
  cluster     MinhashDedupCluster
  dedup       JsonlReader(filtered) → MinhashDedupFilter → JsonlWriter
  counts      print the documents read and kept by each stage as JSON (from the stats files)

Everything is local: the URL filter reads the UT1 adult list from ASSETS/ut1/adult (datatrove's
own URL word lists, which ship inside its wheel, stay on, as tamis's `[filters.url.words]`
uses the same FineWeb lists), tldextract uses its bundled public-suffix snapshot instead of
fetching one, and the language filter loads ASSETS/models/lid.176.ftz instead of downloading
lid.176.bin. The MinHash settings are FineWeb's: 5-word shingles, 14 buckets × 8 hashes, 64-bit
hashes, English word tokenizer (spaCy).
"""

import argparse
import glob
import json
import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")

STAGES = ("filter", "signature", "buckets", "cluster", "dedup", "counts")


def minhash_config():
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.utils.hashing import HashConfig

    return MinhashConfig(
        hash_config=HashConfig(precision=64), num_buckets=14, hashes_per_bucket=8, n_grams=5
    )


def local_url_filter(assets):
    from datatrove.pipeline.filters.url_filter import URLFilter, get_list
    from datatrove.utils._import_utils import ASSETS_PATH
    from tldextract import TLDExtract

    ut1 = os.path.join(assets, "ut1", "adult")
    for name in ("domains", "urls"):
        if not os.path.exists(os.path.join(ut1, name)):
            sys.exit(f"vs_datatrove.py: {ut1}/{name} is missing (run ./setup --assets-only)")

    class LocalURLFilter(URLFilter):
        """URLFilter with the UT1 adult list read from the local assets folder."""

        def __init__(self):
            super().__init__(use_integrated_lists=False)
            self.use_integrated_lists = True  # so that download_data() runs (lazily, per worker)
            self.tldextractor = TLDExtract(suffix_list_urls=(), cache_dir=None)

        def download_data(self):
            if self._downloaded:
                return
            self.block_listed_domains = get_list(ut1, "domains", set(), do_normalize=False)
            self.block_listed_url = get_list(ut1, "urls", set(), do_normalize=False)
            self.banned_words = get_list(ASSETS_PATH, "banned_words.txt", set())
            self.banned_subwords = get_list(ASSETS_PATH, "banned_subwords.txt", set())
            self.soft_banned_words = get_list(ASSETS_PATH, "soft_banned_words.txt", set())
            for word in self.banned_subwords:
                self.banned_subwords_automaton.add_word(word, len(self.banned_subwords_automaton))
            self.banned_subwords_automaton.make_automaton()
            self._downloaded = True

    return LocalURLFilter()


def local_language_filter(assets, threshold):
    from datatrove.pipeline.filters import LanguageFilter
    from datatrove.utils.lid import FT176LID

    model_path = os.path.join(assets, "models", "lid.176.ftz")
    if not os.path.exists(model_path):
        sys.exit(f"vs_datatrove.py: {model_path} is missing (run ./setup --assets-only)")

    class LocalFT176(FT176LID):
        @property
        def model(self):
            if self._model is None:
                from fasttext.FastText import _FastText

                self._model = _FastText(model_path)
            return self._model

    class LocalLanguageFilter(LanguageFilter):
        def __init__(self):
            super().__init__(language_threshold=threshold)
            self.model = LocalFT176(self.languages)

    return LocalLanguageFilter()


def run(pipeline, logs, tasks=1):
    from datatrove.executor import LocalPipelineExecutor

    LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=logs).run()


def counts(work):
    """Documents read and kept by each step, from datatrove's own stats files."""
    steps = {
        ("filter", "Jsonl", "READER"): "read",
        ("filter", "Url-filter", "FILTER"): "url",
        ("filter", "Language ID", "FILTER"): "lid",
        ("dedup", "MinHash stage 4", "DEDUP"): "dedup",
    }
    out = {}
    for stage in ("filter", "dedup"):
        path = os.path.join(work, "logs", stage, "stats.json")
        if not os.path.exists(path):
            continue
        with open(path) as f:
            stats = json.load(f)
        for step in stats:
            for (st_name, part, kind), key in steps.items():
                if st_name == stage and part in step.get("name", "") and kind in step.get("name", ""):
                    st = step.get("stats", {})
                    if key == "read":
                        out[key] = st.get("documents", {}).get("total", 0)
                    else:
                        out[key] = {"in": st.get("total", 0), "kept": st.get("forwarded", 0)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("stage", choices=STAGES)
    ap.add_argument("--input", required=True, help="folder of part-*.jsonl.gz (tamis bench gen)")
    ap.add_argument("--work", required=True, help="datatrove's work folder")
    ap.add_argument("--assets", required=True, help="tamis assets folder")
    ap.add_argument("--threshold", type=float, default=0.65, help="language score threshold")
    a = ap.parse_args()

    from datatrove.pipeline.dedup import (
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    w = lambda *p: os.path.join(a.work, *p)  # noqa: E731
    logs = lambda s: w("logs", s)  # noqa: E731
    cfg = minhash_config()
    if a.stage == "filter":
        if not glob.glob(os.path.join(a.input, "part-*.jsonl.gz")):
            sys.exit(f"vs_datatrove.py: no part-*.jsonl.gz in {a.input}")
        run(
            [
                JsonlReader(a.input, glob_pattern="part-*.jsonl.gz"),
                local_url_filter(a.assets),
                local_language_filter(a.assets, a.threshold),
                JsonlWriter(w("filtered")),
            ],
            logs("filter"),
        )
    elif a.stage == "signature":
        run(
            [JsonlReader(w("filtered")), MinhashDedupSignature(output_folder=w("sigs"), config=cfg)],
            logs("signature"),
        )
    elif a.stage == "buckets":
        run(
            [MinhashDedupBuckets(input_folder=w("sigs"), output_folder=w("buckets"), config=cfg)],
            logs("buckets"),
            tasks=cfg.num_buckets,
        )
    elif a.stage == "cluster":
        run(
            [MinhashDedupCluster(input_folder=w("buckets"), output_folder=w("remove_ids"), config=cfg)],
            logs("cluster"),
        )
    elif a.stage == "dedup":
        run(
            [
                JsonlReader(w("filtered")),
                MinhashDedupFilter(input_folder=w("remove_ids")),
                JsonlWriter(w("deduped")),
            ],
            logs("dedup"),
        )
    else:
        print(json.dumps(counts(a.work)))


if __name__ == "__main__":
    main()
