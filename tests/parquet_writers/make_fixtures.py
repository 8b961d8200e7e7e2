#!/usr/bin/env python3
"""Parquet files written by pyarrow with the options real corpora use (FineWeb's files are
written by pyarrow through datatrove), for tests/parquet_writers.rs: tamis must read every row
of each, and the same rows from all of them. The text is generated here (seeded), so the files
hold nothing from ../shared/data.

    pip install pyarrow==18.1.0 && python3 tests/parquet_writers/make_fixtures.py
"""
import datetime
import os
import random

import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
WORDS = ("the river town market opened early this year because summer came fast and the "
         "farmers brought apples pears honey bread cheese wine les vendanges ont commencé "
         "plus tôt que prévu die Ernte begann früher als erwartet 市场 今年 提前 开放 "
         "рынок открылся раньше обычного").split()


def rows(n=400, seed=7):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        words = rnd.randint(5, 120) if i % 50 else 1500  # a few long documents
        text = " ".join(rnd.choice(WORDS) for _ in range(words))
        day = datetime.datetime(2013, 1, 1) + datetime.timedelta(days=rnd.randint(0, 4700))
        out.append({
            "text": text,
            "id": f"<urn:uuid:{rnd.getrandbits(128):032x}>",
            "dump": "CC-MAIN-2024-22",
            "url": f"https://site{rnd.randint(0, 60)}.example/page/{i}",
            "date": day,
            "file_path": "s3://commoncrawl/crawl-data/sample.warc.gz",
            "language": rnd.choice(["en", "fr", "de", "zh", "ru"]),
            "language_score": round(rnd.random(), 4),
            "token_count": words,
        })
    return out


def table():
    r = rows()
    return pa.table({
        "text": pa.array([x["text"] for x in r], pa.string()),
        "id": pa.array([x["id"] for x in r], pa.string()),
        "dump": pa.array([x["dump"] for x in r], pa.string()),
        "url": pa.array([x["url"] for x in r], pa.string()),
        "date": pa.array([x["date"] for x in r], pa.timestamp("us")),
        "file_path": pa.array([x["file_path"] for x in r], pa.string()),
        "language": pa.array([x["language"] for x in r], pa.string()),
        "language_score": pa.array([x["language_score"] for x in r], pa.float64()),
        "token_count": pa.array([x["token_count"] for x in r], pa.int64()),
    })


VARIANTS = {
    # Small pages and row groups: many page headers, dictionary pages, statistics.
    "snappy_v1_dictionary": dict(compression="snappy", data_page_size=2048,
                                 row_group_size=150, use_dictionary=True),
    # Data page v2, zstd, page index and page checksums.
    "zstd_v2_page_index": dict(compression="zstd", data_page_version="2.0", data_page_size=4096,
                               write_page_index=True, write_page_checksum=True,
                               row_group_size=250),
    # No compression, no dictionary, no statistics, INT96 timestamps.
    "plain_int96": dict(compression="none", use_dictionary=False, write_statistics=False,
                        use_deprecated_int96_timestamps=True, row_group_size=400),
    # One large row group with large pages, statistics truncated by the writer.
    "zstd_large_pages": dict(compression="zstd", compression_level=9, data_page_size=1 << 20,
                             row_group_size=1 << 20),
}

if __name__ == "__main__":
    t = table()
    for name, opts in VARIANTS.items():
        pq.write_table(t, os.path.join(HERE, f"{name}.parquet"), **opts)
    print(f"{len(VARIANTS)} files, {t.num_rows} rows each")
