#!/usr/bin/env bash
# Builds the fuzz targets in fuzz/ once (cargo-fuzz, installed if missing, on the machine's one toolchain with
# RUSTC_BOOTSTRAP for libFuzzer's unstable flags), then runs
# each target for a bounded time, one at a time, starting from its committed seeds in fuzz/seeds/<target>.
# Fails on the first crash; the input that crashed is left in fuzz/artifacts/<target>/.
#
#   scripts/fuzz-smoke.sh                       # every target, 20 s each
#   FUZZ_SECONDS=300 scripts/fuzz-smoke.sh jwt  # one target, longer
set -euo pipefail
cd "$(dirname "$0")/.."
export RUSTC_BOOTSTRAP=1

seconds="${FUZZ_SECONDS:-20}"
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=(endrpi_ws endrpi_rest xarm_ws xarm_tcp xarm_rest pubsub_request http_head jwt esp3d_data esp3d_http obico_server)
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi
cargo fuzz build

for target in "${targets[@]}"; do
  # The working corpus grows here (ignored by git); the seeds stay as committed.
  mkdir -p "fuzz/corpus/$target"
  max_len=4096
  [ "$target" = http_head ] && max_len=20000   # past the sniffer's 16 KiB head limit
  log="fuzz/corpus/$target.log"
  if ! cargo fuzz run "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      > "$log" 2>&1; then
    echo "fuzz: $target FAILED; the end of its log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')"
  cover="$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)"
  echo "fuzz: $target ok: $runs runs in ${seconds} s, ${cover:-cov: ?}, corpus $(ls "fuzz/corpus/$target" | wc -l) inputs"
done
