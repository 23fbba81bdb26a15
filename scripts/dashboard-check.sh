#!/usr/bin/env bash
# The dashboard in a real browser: starts a simulator (virtual clock, free ports, a control token), loads
# its dashboard in Debian's Chromium through playwright-core, drives the devices over their own sockets and
# checks what the page draws. Screenshots go to target/dashboard/. Needs chromium (apt) and node/npm.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=target/dashboard
mkdir -p "$OUT"
command -v "${CHROMIUM:-chromium}" >/dev/null || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 2; }

cargo build --quiet -p understudy-sim
(cd scripts/dashboard && timeout 300 npm ci --no-audit --no-fund --silent)

TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
target/debug/understudy-sim --clock virtual --pubsub-plain --control-port 0 --control-token "$TOKEN" \
  --endrpi-port 0 --xarm-port 0 --pubsub-port 0 --esp3d-http-port 0 --esp3d-terminal-port 0 --esp3d-data-port 0 \
  >"$OUT/sim.out" 2>"$OUT/sim.err" &
SIM=$!
trap 'kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true' EXIT

for _ in $(seq 300); do
  grep -q '^control ' "$OUT/sim.out" && break
  kill -0 "$SIM" 2>/dev/null || { cat "$OUT/sim.err" >&2; exit 1; }
  sleep 0.1
done
url() { awk -v k="$1" '$1 == k { print $2 }' "$OUT/sim.out"; }
[ -n "$(url control)" ] || { echo "the simulator did not start in 30 s" >&2; exit 1; }

DASH_CONTROL=$(url control) DASH_XARM=$(url xarm) DASH_ENDRPI=$(url endrpi) DASH_PUBSUB=$(url pubsub) \
DASH_PUBSUB_TOKEN=$(url pubsub-token) DASH_ESP3D=$(url esp3d) DASH_TOKEN="$TOKEN" DASH_OUT="$OUT" \
  timeout 300 node --experimental-websocket scripts/dashboard/check.mjs
