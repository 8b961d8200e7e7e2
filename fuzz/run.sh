#!/usr/bin/env bash
# Run every cargo-fuzz target for a while (scheduled, e.g. nightly; not part of CI).
#
#   fuzz/run.sh [SECONDS_PER_TARGET=600] [TARGET…]
#
# Needs `cargo install cargo-fuzz` and a nightly toolchain (`rustup toolchain install nightly`).
# Seeds each corpus from the repository's samples, fuzz/seeds/ (two of our own Parquet shards)
# and ../shared/data when present, runs each
# target single-process (one core), prints executions per target, and stops at the first crash
# with the crasher in fuzz/artifacts/<target>/. Minimise one with
#   cargo +nightly fuzz tmin <target> fuzz/artifacts/<target>/crash-…
# then add it to tests/hostile.rs as a regression test and fix the bug.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(read_warc read_jsonl read_parquet html_extract url_parse dedup_normalize)
fi
toolchain=${FUZZ_TOOLCHAIN:-+nightly}
# tamis has no `unsafe`: AddressSanitizer finds nothing there and halves the speed. Overflow
# checks and debug assertions stay on. FUZZ_SANITIZER=address for the C parts (zstd).
sanitizer=${FUZZ_SANITIZER:-none}
shared=${TAMIS_SHARED_DATA:-../shared/data}

seed() { # target dir files…
  local dir=fuzz/corpus/$1
  shift
  mkdir -p "$dir"
  for f in "$@"; do
    [ -f "$f" ] || continue
    # Keep seeds small: libFuzzer's default -max_len follows the largest seed.
    head -c 65536 "$f" >"$dir/seed-$(basename "$f")"
  done
}
seed read_warc samples/quickstart/*.warc.wet.gz "$shared"/crawl/*.warc.gz "$shared"/crawl/*.wet.gz
seed read_jsonl samples/quickstart/*.jsonl
[ -f samples/quickstart/web-sample.jsonl.gz ] && mkdir -p fuzz/corpus/read_jsonl &&
  gzip -dc samples/quickstart/web-sample.jsonl.gz >fuzz/corpus/read_jsonl/seed-web-sample.jsonl
seed read_parquet fuzz/seeds/read_parquet/*.parquet "$shared"/*/*.parquet
mkdir -p fuzz/corpus/html_extract fuzz/corpus/url_parse fuzz/corpus/dedup_normalize
printf 'HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><head><title>t</title></head><body><nav>menu</nav><article><p>Main text of the page, long enough to be kept by the extractor.</p></article></body></html>' \
  >fuzz/corpus/html_extract/seed-page
printf 'https://B\xc3\xbccher.example:8080/a/b?q=1#f' >fuzz/corpus/url_parse/seed-idn
printf 'xn--bcher-kva.example' >fuzz/corpus/url_parse/seed-puny
cp lists/*.txt fuzz/corpus/url_parse/ 2>/dev/null || true
printf 'Caf\xc3\xa9 na\xc3\xafve \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e 123 \xe0\xb8\xa0\xe0\xb8\xb2\xe0\xb8\xa9\xe0\xb8\xb2 \xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac' \
  >fuzz/corpus/dedup_normalize/seed-mixed

export TMPDIR=${TMPDIR:-/dev/shm}
status=0
for t in "${targets[@]}"; do
  log=fuzz/artifacts/$t.log
  mkdir -p fuzz/artifacts/"$t"
  echo "== $t (${secs}s)"
  if cargo "$toolchain" fuzz run --sanitizer "$sanitizer" ${FUZZ_TARGET_DIR:+--target-dir "$FUZZ_TARGET_DIR"} "$t" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    :
  else
    status=1
    echo "   FAILED: see $log and fuzz/artifacts/$t/"
  fi
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  echo "   executions: ${execs:-?}"
done
exit $status
