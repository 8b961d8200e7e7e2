#!/usr/bin/env python3
"""Tables for benches/e2e.sh and benches/vs_datatrove.sh, from benches/measure.py's JSON lines and
the counts a tamis run writes under OUT/stats.

    e2e_report.py collect --mb MB --threads J --out OUT --measure FILE   one JSON line per run
    e2e_report.py report RESULTS.jsonl                                  per-stage tables, scaling, RSS
    e2e_report.py versus --measure FILE --tamis-out OUT --datatrove-counts FILE
"""

import argparse
import json
import os
import sys


def load_json(path):
    with open(path) as f:
        return json.load(f)


def read_measures(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def stage_inputs(out):
    """(documents, text bytes) entering each stage of a finished run in OUT."""
    filt = load_json(os.path.join(out, "stats", "filter.json"))
    res = {"filter": (filt["docs_in"], filt["text_bytes_in"])}
    dedup_path = os.path.join(out, "stats", "dedup.json")
    last = (filt["docs_out"], filt["text_bytes_out"])
    if os.path.exists(dedup_path):
        d = load_json(dedup_path)
        for s in ("dedup-signature", "dedup-bucket", "dedup-cluster", "dedup-apply"):
            res[s] = (d["docs_in"], d["text_bytes_in"])
        last = (d["docs_out"], d["text_bytes_out"])
    res["finalize"] = last
    return res, filt


def collect(a):
    inputs, filt = stage_inputs(a.out)
    stages = []
    for m in read_measures(a.measure):
        if m["rc"] != 0:
            sys.exit(f"e2e_report.py: stage {m['label']} exited with {m['rc']}")
        docs, text = inputs.get(m["label"], (None, None))
        stages.append(dict(m, stage=m["label"], docs_in=docs, text_bytes_in=text))
    row = {
        "mb": a.mb,
        "threads": a.threads,
        "corpus_docs": filt["docs_in"],
        "corpus_text_bytes": filt["text_bytes_in"],
        "stages": stages,
    }
    print(json.dumps(row))


def fmt(v, spec):
    return "—" if v is None else format(v, spec)


def stage_table(run):
    """Markdown table of one run."""
    lines = [
        f"#### {run['mb']} MB, -j {run['threads']}: {run['corpus_docs']:,} documents, "
        f"{run['corpus_text_bytes'] / 1e6:.1f} MB of text",
        "",
        "| stage | docs in | docs/s | MB in | MB/s (wall) | MB per CPU-s | CPU s | wall s | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in run["stages"]:
        mb = s["text_bytes_in"] / 1e6 if s["text_bytes_in"] is not None else None
        docs_s = s["docs_in"] / s["wall_s"] if s["docs_in"] is not None and s["wall_s"] else None
        mbw = mb / s["wall_s"] if mb is not None and s["wall_s"] else None
        mbc = mb / s["cpu_s"] if mb is not None and s["cpu_s"] else None
        lines.append(
            f"| {s['stage']} | {fmt(s['docs_in'], ',')} | {fmt(docs_s, ',.0f')} | {fmt(mb, '.1f')} "
            f"| {fmt(mbw, '.1f')} | {fmt(mbc, '.1f')} | {s['cpu_s']:.2f} | {s['wall_s']:.2f} "
            f"| {s['maxrss_mb']:.0f} |"
        )
    t = totals(run)
    lines.append(
        f"| **total** | {run['corpus_docs']:,} | {run['corpus_docs'] / t['wall']:,.0f} "
        f"| {t['mb']:.1f} | {t['mb'] / t['wall']:.1f} | **{t['mb'] / t['cpu']:.1f}** "
        f"| {t['cpu']:.2f} | {t['wall']:.2f} | {t['rss']:.0f} |"
    )
    return "\n".join(lines)


def totals(run):
    st = run["stages"]
    return {
        "mb": run["corpus_text_bytes"] / 1e6,
        "cpu": sum(s["cpu_s"] for s in st),
        "wall": sum(s["wall_s"] for s in st),
        "rss": max(s["maxrss_mb"] for s in st),
    }


def report(a):
    runs = read_measures(a.results)
    for run in runs:
        print(stage_table(run))
        print()
    by = {(r["mb"], r["threads"]): r for r in runs}
    sizes = sorted({r["mb"] for r in runs})
    threads = sorted({r["threads"] for r in runs})
    if len(threads) > 1:
        j0 = threads[0]
        print(f"#### Scaling: wall time at -j {j0} / wall time at -j N (same corpus)")
        print()
        names = [s["stage"] for s in runs[0]["stages"]]
        print("| MB | N | " + " | ".join(names) + " | total |")
        print("|---:|---:|" + "---:|" * (len(names) + 1))
        for mb in sizes:
            base = by.get((mb, j0))
            for j in threads[1:]:
                r = by.get((mb, j))
                if not base or not r:
                    continue
                w0 = {s["stage"]: s["wall_s"] for s in base["stages"]}
                cells = [f"{w0[s['stage']] / s['wall_s']:.2f}×" for s in r["stages"]]
                tot = totals(base)["wall"] / totals(r)["wall"]
                print(f"| {mb} | {j} | " + " | ".join(cells) + f" | **{tot:.2f}×** |")
        print()
    if len(sizes) > 1:
        print("#### Peak RSS by input size (largest process of each stage, MB)")
        print()
        names = [s["stage"] for s in runs[0]["stages"]]
        print("| MB | -j | " + " | ".join(names) + " |")
        print("|---:|---:|" + "---:|" * len(names))
        for r in runs:
            cells = [f"{s['maxrss_mb']:.0f}" for s in r["stages"]]
            print(f"| {r['mb']} | {r['threads']} | " + " | ".join(cells) + " |")
        print()


def versus(a):
    ms = read_measures(a.measure)
    for m in ms:
        if m["rc"] != 0:
            sys.exit(f"e2e_report.py: {m['label']} exited with {m['rc']}")
    inputs, filt = stage_inputs(a.tamis_out)
    mb = filt["text_bytes_in"] / 1e6
    side = {"tamis": [m for m in ms if m["label"].startswith("tamis ")],
            "datatrove": [m for m in ms if m["label"].startswith("datatrove ")]}
    print(f"#### {filt['docs_in']:,} documents, {mb:.1f} MB of text, one core each")
    print()
    print("| program | stage | CPU s | wall s | peak RSS MB |")
    print("|---|---|---:|---:|---:|")
    tot = {}
    for prog, rows in side.items():
        for m in rows:
            print(f"| {prog} | {m['label'].split(' ', 1)[1]} | {m['cpu_s']:.2f} | {m['wall_s']:.2f} "
                  f"| {m['maxrss_mb']:.0f} |")
        tot[prog] = (sum(m["cpu_s"] for m in rows), sum(m["wall_s"] for m in rows),
                     max(m["maxrss_mb"] for m in rows))
        print(f"| {prog} | **total** | **{tot[prog][0]:.2f}** | {tot[prog][1]:.2f} | {tot[prog][2]:.0f} |")
    print()
    t, d = tot["tamis"][0], tot["datatrove"][0]
    print(f"MB of input text per CPU-second: tamis {mb / t:.2f}, datatrove {mb / d:.3f}: "
          f"**{d / t:.0f}×**")
    print()
    # What each kept, step by step.
    dc = load_json(a.datatrove_counts)
    removed = filt["removed"]
    url_out = filt["docs_in"] - sum(v for k, v in removed.items() if k.startswith(("url/", "read/")))
    lid_out = url_out - sum(v for k, v in removed.items() if k.startswith("lid/"))
    dd = load_json(os.path.join(a.tamis_out, "stats", "dedup.json"))
    print("| documents | tamis | datatrove |")
    print("|---|---:|---:|")
    print(f"| read | {filt['docs_in']:,} | {dc.get('read', 0):,} |")
    print(f"| after the URL filter | {url_out:,} | {dc.get('url', {}).get('kept', 0):,} |")
    print(f"| after language ID | {lid_out:,} | {dc.get('lid', {}).get('kept', 0):,} |")
    print(f"| after MinHash dedup | {dd['docs_out']:,} | {dc.get('dedup', {}).get('kept', 0):,} |")
    code = sum(v for k, v in filt["kept_by_lang"].items() if k.startswith("code_"))
    print()
    print(f"(tamis labels code instead of judging it as prose: {code:,} code documents kept by "
          f"its language ID.)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("collect")
    c.add_argument("--mb", type=int, required=True)
    c.add_argument("--threads", type=int, required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--measure", required=True)
    r = sub.add_parser("report")
    r.add_argument("results")
    v = sub.add_parser("versus")
    v.add_argument("--measure", required=True)
    v.add_argument("--tamis-out", required=True)
    v.add_argument("--datatrove-counts", required=True)
    a = ap.parse_args()
    {"collect": collect, "report": report, "versus": versus}[a.cmd](a)


if __name__ == "__main__":
    main()
