#!/usr/bin/env bash
# Dedup at scale: N million short documents of real words (benches/dedup_scale_gen.py), then
# `tamis dedup` with a memory setting, reporting each step's time and the whole run's peak RSS
# per document. Run twice with the same input (the generated corpus is kept in WORK):
#   - with --max-memory-mb small: the clustering sorts spill and the components come from the
#     out-of-core large-star/small-star contraction;
#   - with the default 512 MiB: the in-memory union-find (12 bytes per document) fits.
# Both must give the same decisions: the script compares their decision files.
#
# usage: benches/dedup_scale.sh [MILLIONS=10] [SMALL_MB=64] [WORK=/var/tmp/tamis-dedup-scale]
set -euo pipefail
cd "$(dirname "$0")/.."
millions=${1:-10}
small=${2:-64}
work=${3:-/var/tmp/tamis-dedup-scale}
bin=${TAMIS:-${CARGO_TARGET_DIR:-target}/release/tamis}
[ -x "$bin" ] || { echo "build first: cargo build --release (or set TAMIS=path/to/tamis)" >&2; exit 2; }
docs=$((millions * 1000000))
input=$work/in-$millions

if [ ! -f "$input/.complete" ]; then
  echo "generating $docs documents into $input" >&2
  rm -rf "$input"
  python3 benches/dedup_scale_gen.py "$input" "$docs"
  touch "$input/.complete"
fi
text_mb=$(du -sm "$input" | cut -f1)

run() { # name, extra args
  local name=$1; shift
  local out=$work/out-$millions-$name
  rm -rf "$out"
  /usr/bin/time -f '%e %U %S %M' -o "$work/time-$name" \
    "$bin" dedup -i "$input/*.jsonl" -o "$out" "$@" >"$work/summary-$name"
  read -r wall user sys rss_kb <"$work/time-$name"
  # The clustering step again, alone (the other steps' markers make the rerun skip them), for
  # its own peak memory.
  rm -f "$out"/_tasks/dedup_cluster/*.done
  /usr/bin/time -f '%e %M' -o "$work/time-$name-cluster" \
    "$bin" dedup -i "$input/*.jsonl" -o "$out" "$@" >/dev/null
  read -r cwall crss_kb <"$work/time-$name-cluster"
  step() { # total seconds of a step's units (from the markers)
    cat "$out"/_tasks/dedup_"$1"/*.done 2>/dev/null |
      python3 -c 'import sys,json; print(round(sum(json.loads(l)["seconds"] for l in sys.stdin if l.strip()),1))'
  }
  printf '%-10s %8s %9s %9s %8s %9s %8s %9s %8s %10s %9s\n' "$name" "$wall" "$(python3 -c "print(round($user+$sys,1))")" \
    "$(step signature)" "$(step bucket)" "$(step cluster)" "$(step apply)" "$((rss_kb / 1024))" \
    "$(python3 -c "print(round($rss_kb*1024/$docs,1))")" "$((crss_kb / 1024))" \
    "$(python3 -c "print(round($crss_kb*1024/$docs,1))")"
}

echo "$docs documents, $text_mb MB of JSON lines; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
# Step times are the sums of their units' seconds (units run in parallel); peak memory is the
# whole run's, then the clustering step's alone.
printf '%-10s %8s %9s %9s %8s %9s %8s %9s %8s %10s %9s\n' memory wall_s cpu_s signat_s bucket_s cluster_s apply_s peak_MiB B/doc clust_MiB clust_B/doc
run "${small}MiB" --max-memory-mb "$small"
run 512MiB
grep -h "removed\|clusters" "$work/summary-512MiB" | head -3
if diff -rq "$work/out-$millions-${small}MiB/dedup/decisions" "$work/out-$millions-512MiB/dedup/decisions" >/dev/null; then
  echo "decisions: identical with both memory settings"
else
  echo "decisions DIFFER between the memory settings" >&2
  exit 1
fi
