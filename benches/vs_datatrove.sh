#!/usr/bin/env bash
# tamis against datatrove on the same work and the same input, one core each (taskset -c 0),
# measured in the same run: FineWeb's URL filter with the UT1 adult list, lid.176 language ID
# (keep any language scoring above 0.65) and MinHash near-dedup (5-word shingles, 14 buckets × 8
# hashes: signatures, buckets, cluster, filter). Every stage of each is measured as a whole
# process tree (benches/measure.py: child subreaper + RUSAGE_CHILDREN, so datatrove's worker
# and manager processes are counted). Prints CPU per stage, MB of input text per CPU-second and
# the ratio, and what each kept at each step.
#
#   benches/vs_datatrove.sh [--mb 20] [--work DIR] [--lists warm|cold]
#
# From the repository root after ./setup. The first run installs datatrove 0.10.1 (+ spaCy for its
# English word tokenizer, orjson for its JSONL reader) from PyPI into a venv under
# ${TAMIS_BENCH_CACHE:-~/.cache/tamis-bench}; nothing else is downloaded: both sides read
# assets/models/lid.176.ftz and assets/ut1/adult. The binary is $TAMIS, else
# $CARGO_TARGET_DIR/release/tamis (default target/), else ./tamis. datatrove does this work at
# ≈ 0.6 MB per CPU-second: the default 20 MB takes it ≈ 35 CPU-s, 50 MB ≈ 85 CPU-s. --lists cold
# makes tamis parse the UT1 list as datatrove does instead of reading its compiled copy (default
# warm: the copy in WORK/list-copies, made before anything is timed).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/common.sh

MB=20
WORK=out/vs-datatrove
LISTS=warm
while [ $# -gt 0 ]; do
  case $1 in
    --mb) MB=${2:?}; shift 2 ;;
    --work) WORK=${2:?}; shift 2 ;;
    --lists) LISTS=${2:?}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "$me: unknown argument $1" >&2; usage ;;
  esac
done

find_tamis
ASSETS=${TAMIS_ASSETS:-assets}
for f in "$ASSETS/models/lid.176.ftz" "$ASSETS/ut1/adult/domains"; do
  [ -e "$f" ] || die "$f is missing: run ./setup --assets-only"
done

# --- datatrove in its own venv, installed once (pinned).
PINS=("datatrove[processing]==0.10.1" "spacy==3.8.18" "orjson==3.13.0")
VENV=${TAMIS_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tamis-bench}/datatrove-0.10.1
PY=$VENV/bin/python
if ! "$PY" -c 'import datatrove, spacy, orjson, fasttext' 2>/dev/null; then
  echo "installing ${PINS[*]} into $VENV" >&2
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$PY" -m pip install --quiet "${PINS[@]}"
fi

# --- the same input for both: bench gen's part-*.jsonl.gz (FineWeb fields: text, id, url, date).
mkdir -p "$WORK"
gen=$WORK/gen
gen_corpus "$gen" "$MB"
measure=$WORK/measure.jsonl
: > "$measure"
echo "tamis vs datatrove: $MB MB, one core (taskset -c 0); load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- tamis: every stage of benches/vs_datatrove.toml, one thread.
tout=$WORK/tamis
rm -rf "$tout"
pipeline=benches/vs_datatrove.toml
glob="$gen/part-*.jsonl.gz"
list_copies "$LISTS" "$WORK/list-copies" "$pipeline" "$glob"
for s in $(stage_names "$pipeline" "$glob" "$tout"); do
  echo "  tamis $s" >&2
  python3 benches/measure.py --label "tamis $s" --out "$measure" -- taskset -c 0 \
    "$TAMIS" run "$pipeline" --input "$glob" -o "$tout" -j 1 --stage "$s" --no-progress \
    2>"$WORK/tamis.$s.log" || die "tamis $s failed: see $WORK/tamis.$s.log"
done

# --- datatrove: the same steps, one task per worker, one worker.
dout=$WORK/datatrove
rm -rf "$dout"
for s in filter signature buckets cluster dedup; do
  echo "  datatrove $s" >&2
  python3 benches/measure.py --label "datatrove $s" --out "$measure" -- taskset -c 0 \
    "$PY" benches/vs_datatrove.py "$s" --input "$gen" --work "$dout" --assets "$ASSETS" \
    >"$WORK/datatrove.$s.log" 2>&1 || die "datatrove $s failed: see $WORK/datatrove.$s.log"
done
"$PY" benches/vs_datatrove.py counts --input "$gen" --work "$dout" --assets "$ASSETS" > "$WORK/datatrove.counts.json"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 benches/e2e_report.py versus --measure "$measure" --tamis-out "$tout" \
  --datatrove-counts "$WORK/datatrove.counts.json"
