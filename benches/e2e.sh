#!/usr/bin/env bash
# End-to-end benchmark: generate crawl-like corpora with `tamis bench gen`, run every stage of a
# pipeline (`tamis stages`) one at a time under benches/measure.py, and print per stage:
# documents in, documents/s, MB/s of input text per CPU-second, CPU (user+sys), wall, peak RSS;
# then totals, the speed-up of N threads over 1, and peak RSS per input size.
#
#   benches/e2e.sh [--sizes "50 200"] [--threads "1 2"] [--docs-per-shard N]
#                  [--pipeline FILE] [--work DIR] [--lists warm|cold] [--keep]
#
# From the repository root after ./setup. One thread runs pinned to core 0 (taskset -c 0), N
# threads on cores 0..N-1. Corpora are kept in WORK (default out/bench-e2e) and reused when their
# settings have not changed; runs are removed unless --keep. The binary is $TAMIS, else
# $CARGO_TARGET_DIR/release/tamis (default target/), else ./tamis. --lists cold makes every
# process parse its block lists instead of reading their compiled copies (default warm: copies
# in WORK/list-copies, made before anything is timed).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

SIZES="50 200"
THREADS="1 2"
DOCS_PER_SHARD=4000
PIPELINE=pipelines/bench.toml
WORK=out/bench-e2e
KEEP=0
LISTS=warm
while [ $# -gt 0 ]; do
  case $1 in
    --sizes) SIZES=${2:?}; shift 2 ;;
    --threads) THREADS=${2:?}; shift 2 ;;
    --docs-per-shard) DOCS_PER_SHARD=${2:?}; shift 2 ;;
    --pipeline) PIPELINE=${2:?}; shift 2 ;;
    --work) WORK=${2:?}; shift 2 ;;
    --lists) LISTS=${2:?}; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage ;;
    *) echo "$me: unknown argument $1" >&2; usage ;;
  esac
done

find_tamis
command -v taskset >/dev/null || die "needs taskset (util-linux)"
cores=$(nproc)
for j in $THREADS; do
  (( j <= cores )) || die "$j threads but $cores cores"
done
mkdir -p "$WORK"
results=$WORK/results.jsonl
: > "$results"

echo "tamis e2e: $("$TAMIS" --version 2>/dev/null || echo tamis), $PIPELINE, sizes $SIZES MB, threads $THREADS"
echo "machine: $cores cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

for mb in $SIZES; do
  gen=$WORK/gen-${mb}mb
  gen_corpus "$gen" "$mb" "$DOCS_PER_SHARD"
  glob="$gen/part-*.jsonl.gz"
  list_copies "$LISTS" "$WORK/list-copies" "$PIPELINE" "$glob"
  for j in $THREADS; do
    cpus=$(seq -s, 0 $((j - 1)))
    out=$WORK/run-${mb}mb-j$j
    rm -rf "$out" "$out".*
    for s in $(stage_names "$PIPELINE" "$glob" "$out"); do
      echo "  $mb MB, -j $j: $s" >&2
      python3 benches/measure.py --label "$s" --out "$out.measure.jsonl" -- \
        taskset -c "$cpus" "$TAMIS" run "$PIPELINE" --input "$glob" -o "$out" -j "$j" \
        --stage "$s" --no-progress 2>"$out.$s.log" ||
        die "stage $s failed, see $out.$s.log"
    done
    python3 benches/e2e_report.py collect --mb "$mb" --threads "$j" --out "$out" \
      --measure "$out.measure.jsonl" >> "$results"
    [ "$KEEP" = 1 ] || rm -rf "$out"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 benches/e2e_report.py report "$results"
