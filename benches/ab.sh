#!/usr/bin/env bash
# Compare two tamis binaries stage by stage: each round runs every stage of a pipeline with
# binary A, then with binary B (B first on even rounds), one thread pinned to core 0, on the same
# `tamis bench gen` corpus; then prints each stage's median CPU seconds (user + sys) for A and B,
# their ratio and the spread of each. On a shared virtual machine one run's CPU time can move
# ±10 % (other tenants, frequency), more than most single changes: alternating and taking
# medians over several rounds is what makes a few per cent visible.
#
#   benches/ab.sh [--rounds 5] [--mb 200] [--pipeline benches/target.toml] [--work DIR]
#                 [--lists warm|cold] A_BINARY B_BINARY
#
# From the repository root after ./setup. Per-run figures stay in WORK (default out/bench-ab)
# as ab.jsonl, one line per stage run.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

ROUNDS=5
MB=200
PIPELINE=benches/target.toml
WORK=out/bench-ab
LISTS=warm
BIN=()
while [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=${2:?}; shift 2 ;;
    --mb) MB=${2:?}; shift 2 ;;
    --pipeline) PIPELINE=${2:?}; shift 2 ;;
    --work) WORK=${2:?}; shift 2 ;;
    --lists) LISTS=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "$me: unknown argument $1" >&2; usage ;;
    *) BIN+=("$1"); shift ;;
  esac
done
[ ${#BIN[@]} = 2 ] || usage
for b in "${BIN[@]}"; do [ -x "$b" ] || die "$b is not an executable"; done
command -v taskset >/dev/null || die "needs taskset (util-linux)"

mkdir -p "$WORK"
TAMIS=${BIN[0]}
gen=$WORK/gen-${MB}mb
gen_corpus "$gen" "$MB" 4000
glob="$gen/part-*.jsonl.gz"
list_copies "$LISTS" "$WORK/list-copies" "$PIPELINE" "$glob"
TAMIS=${BIN[1]} list_copies "$LISTS" "$WORK/list-copies" "$PIPELINE" "$glob" >/dev/null
results=$WORK/ab.jsonl
: > "$results"
echo "A = ${BIN[0]}, B = ${BIN[1]}; $PIPELINE, $MB MB, -j 1, $ROUNDS rounds; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

run_all() { # run_all BINARY NAME ROUND
  local out=$WORK/run
  rm -rf "$out"
  for s in $(TAMIS=$1 stage_names "$PIPELINE" "$glob" "$out"); do
    python3 benches/measure.py --label "$2 $3 $s" --out "$results" -- \
      taskset -c 0 "$1" run "$PIPELINE" --input "$glob" -o "$out" -j 1 \
      --stage "$s" --no-progress 2>"$out.log" ||
      die "$2: stage $s failed, see $out.log"
  done
  rm -rf "$out"
}

for r in $(seq 1 "$ROUNDS"); do
  echo "  round $r/$ROUNDS" >&2
  if (( r % 2 )); then
    run_all "${BIN[0]}" A "$r"; run_all "${BIN[1]}" B "$r"
  else
    run_all "${BIN[1]}" B "$r"; run_all "${BIN[0]}" A "$r"
  fi
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" "$MB" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mb = float(sys.argv[2])
cpu, totals, stages = {}, {}, []
for r in rows:
    who, rnd, stage = r["label"].split(" ", 2)
    if stage not in stages:
        stages.append(stage)
    cpu.setdefault((who, stage), []).append(r["cpu_s"])
    totals.setdefault(who, {}).setdefault(rnd, 0.0)
    totals[who][rnd] += r["cpu_s"]
cpu[("A", "total")] = list(totals["A"].values())
cpu[("B", "total")] = list(totals["B"].values())
def med(x): return statistics.median(x)
def spread(x): return f"{min(x):.2f}–{max(x):.2f}"
print("\n| stage | A CPU s (median) | B CPU s (median) | B / A | A range | B range |")
print("|---|---:|---:|---:|---:|---:|")
for s in stages + ["total"]:
    a, b = cpu[("A", s)], cpu[("B", s)]
    print(f"| {s} | {med(a):.2f} | {med(b):.2f} | {med(b) / med(a):.3f} | {spread(a)} | {spread(b)} |")
whole_a, whole_b = med(cpu[("A", "total")]), med(cpu[("B", "total")])
print(f"\nMB of text per CPU-s, whole run (median): A {mb / whole_a:.1f}, B {mb / whole_b:.1f}")
EOF
