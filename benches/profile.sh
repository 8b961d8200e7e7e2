#!/usr/bin/env bash
# Where the time goes: `perf record` (call graphs) over the fused filter pass and over a whole
# run of a pipeline on a `tamis bench gen` corpus, one thread pinned to core 0, then the top
# functions by self time and by time including callees.
#
#   benches/profile.sh [--mb 20] [--pipeline FILE] [--work DIR] [--top 25]
#
# From the repository root after ./setup; needs `perf` (Debian: apt-get install linux-perf).
# On virtual machines without hardware counters perf samples the cpu-clock timer instead of
# cycles: the percentages are then shares of CPU time samples. perf.data files stay in WORK
# (default out/profile) for `perf report -i`.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

MB=20
PIPELINE=pipelines/bench.toml
WORK=out/profile
TOP=25
while [ $# -gt 0 ]; do
  case $1 in
    --mb) MB=${2:?}; shift 2 ;;
    --pipeline) PIPELINE=${2:?}; shift 2 ;;
    --work) WORK=${2:?}; shift 2 ;;
    --top) TOP=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "$me: unknown argument $1" >&2; usage ;;
  esac
done
command -v perf >/dev/null || die "needs perf (apt-get install linux-perf)"
find_tamis

mkdir -p "$WORK"
gen=$WORK/gen-${MB}mb
gen_corpus "$gen" "$MB"
glob="$gen/part-*.jsonl.gz"
event=cycles
perf stat -e cycles true 2>&1 | grep -q "not supported" && event=cpu-clock
echo "perf event: $event; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

clean() { sed -E 's/[[:space:]]+-[[:space:]]+-[[:space:]]*$//'; }
top() { # top functions of a perf.data: self time, then including callees
  echo "--- $1: self"
  { perf report -i "$2" --stdio --no-children --sort symbol -g none 2>/dev/null || true; } |
    grep -E '^ +[0-9.]+%' | clean | head -n "$TOP" || true
  echo "--- $1: including callees"
  { perf report -i "$2" --stdio --children --sort symbol -g none 2>/dev/null || true; } |
    grep -E '^ +[0-9.]+%' | clean |
    grep -v -E '\(inlined\)|\[k\]|_start|main$|lang_start|call_once|call_mut|closure|std::|rayon|__libc_start|clone3|start_thread' |
    head -n "$TOP" || true
}
for what in filter all; do
  out=$WORK/run-$what
  rm -rf "$out"
  stage=()
  [ "$what" = filter ] && stage=(--stage filter)
  perf record -e "$event" -F 999 --call-graph dwarf,32768 -o "$WORK/$what.perf.data" -- taskset -c 0 \
    "$TAMIS" run "$PIPELINE" --input "$glob" -o "$out" -j 1 "${stage[@]}" --no-progress \
    >/dev/null 2>"$WORK/$what.log"
  top "$what" "$WORK/$what.perf.data"
done
