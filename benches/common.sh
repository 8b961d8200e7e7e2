# Shared by the benchmark scripts (sourced from the repository root): usage text, the tamis
# binary, generated corpora and stage lists.

me=$(basename "$0")

# Print the script's header comment (its usage) and exit 2.
usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}

die() {
  echo "$me: $*" >&2
  exit 1
}

# TAMIS: $TAMIS, else $CARGO_TARGET_DIR/release/tamis (default target/), else ./tamis.
find_tamis() {
  if [ -n "${TAMIS:-}" ]; then return; fi
  local t=${CARGO_TARGET_DIR:-target}/release/tamis
  if [ -x "$t" ]; then TAMIS=$t; elif [ -x ./tamis ]; then TAMIS=./tamis; else
    die "no tamis binary: run ./setup (or set TAMIS)"
  fi
}

# gen_corpus DIR MB [DOCS_PER_SHARD]: `tamis bench gen` (seed 1) into DIR unless DIR already
# holds the corpus of these settings.
gen_corpus() {
  local dir=$1 mb=$2 per=${3:-20000}
  local stamp="mb=$mb seed=1 docs_per_shard=$per"
  if [ "$(cat "$dir/.settings" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$dir"
    "$TAMIS" bench gen -o "$dir" --mb "$mb" --seed 1 --docs-per-shard "$per" >&2
    echo "$stamp" > "$dir/.settings"
  fi
}

# stage_names PIPELINE GLOB OUT: the stages of the pipeline, in order.
stage_names() {
  "$TAMIS" stages "$1" --input "$2" -o "$3" --json |
    python3 -c 'import json, sys; print(" ".join(s["stage"] for s in json.load(sys.stdin)))'
}

# list_copies cold|warm DIR PIPELINE GLOB: compiled copies of large block lists (see
# src/filter/url/compiled.rs). warm: kept in DIR and made once by `tamis check` before anything
# is timed, as on any machine after its first run and for every Slurm task after the first;
# cold: none, every process parses its lists.
list_copies() {
  case $1 in
    cold) export TAMIS_CACHE_DIR=off ;;
    warm)
      export TAMIS_CACHE_DIR=$2
      "$TAMIS" check "$3" --input "$4" >/dev/null || die "tamis check $3 failed"
      ;;
    *) die "--lists is warm or cold, not $1" ;;
  esac
  echo "block lists: $1 compiled copies"
}
