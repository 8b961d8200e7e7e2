#!/usr/bin/env bash
# Language ID, tamis against the C++ fastText CLI (Debian's `fasttext` 0.9.2), one core each, on
# the same texts in the same run: crawl-like documents of 0.1–100 KB from `tamis bench gen`, and
# short texts (their first ≤ 200 bytes). Both write every answer; model load time (a run on an
# empty input) is subtracted. Answers are compared by tests/lid_reference.rs.
#
#   benches/lid_vs_reference.sh [MB] [RUNS]      (from the repository root, after ./setup)
set -euo pipefail
MB=${1:-10}
RUNS=${2:-3}
MODEL=assets/models/lid.176.ftz
TAMIS=${TAMIS:-./tamis}
command -v fasttext >/dev/null || { echo "needs the fastText CLI: apt-get install fasttext" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$TAMIS" bench gen -o "$dir/gen" --mb "$MB" --seed 3 >/dev/null
python3 - "$dir" <<'PY'
import gzip, json, sys, glob
d = sys.argv[1]
docs = [json.loads(l)["text"] for f in sorted(glob.glob(d + "/gen/part-*.jsonl.gz")) for l in gzip.open(f, "rt")]
def short(t):
    b = t.encode()[:200]
    return b.decode("utf-8", "ignore")
for name, texts in (("docs", docs), ("short", [short(t) for t in docs])):
    with open(f"{d}/{name}.txt", "w") as flat, open(f"{d}/{name}.jsonl", "w") as js:
        for t in texts:
            flat.write(t.replace("\r", " ").replace("\n", " ") + "\n")
            js.write(json.dumps({"text": t}) + "\n")
open(f"{d}/empty.txt", "w").close(); open(f"{d}/empty.jsonl", "w").close()
PY
best() { # best wall time in ms of RUNS runs of a command
  local b=999999999 s e t
  for _ in $(seq "$RUNS"); do
    s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); t=$(( (e - s) / 1000000 ))
    (( t < b )) && b=$t
  done
  echo "$b"
}
ref() { taskset -c 0 fasttext predict-prob "$MODEL" "$dir/$1.txt" 1; }
ours() { taskset -c 0 "$TAMIS" lid --model "$MODEL" -j 1 < "$dir/$1.jsonl"; }
ref_load=$(best ref empty); our_load=$(best ours empty)
for set in docs short; do
  n=$(wc -l < "$dir/$set.txt"); bytes=$(wc -c < "$dir/$set.txt")
  r=$(( $(best ref $set) - ref_load )); o=$(( $(best ours $set) - our_load ))
  (( r < 1 )) && r=1; (( o < 1 )) && o=1
  python3 -c "
n, b, r, o = $n, $bytes, $r, $o
print(f'$set: {n} texts, {b/n:.0f} B average; fastText CLI {b/r/1e3:.1f} MB/s ({n/r*1e3:.0f} texts/s), '
      f'tamis lid {b/o/1e3:.1f} MB/s ({n/o*1e3:.0f} texts/s): {r/o:.1f}x')"
done
