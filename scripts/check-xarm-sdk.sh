#!/usr/bin/env bash
# Runs UFactory's own Python SDK (xarm-python-sdk from PyPI, pinned, unchanged) against the simulated xArm:
# makes a throwaway venv, starts the simulator (the workspace's debug build, realtime clock) with the
# controller port on a free port and the rich report on its fixed port 30002, and runs scripts/xarm_sdk_check.py (connect, enable, joint and
# Cartesian moves with wait, read-back against the model's FK, gripper, I/O, e-stop and recovery, a joint-limit
# refusal, an injected collision). Exits non-zero on the first failed check.
#
#   scripts/check-xarm-sdk.sh                 # builds and runs target/debug/understudy-sim
#   UNDERSTUDY_SIM=target/release/understudy-sim scripts/check-xarm-sdk.sh   # another build, as it is
#   XARM_SDK_VERSION=1.18.4 scripts/check-xarm-sdk.sh
set -euo pipefail
cd "$(dirname "$0")/.."

sdk_version="${XARM_SDK_VERSION:-1.18.4}"
venv="${XARM_SDK_VENV:-${TMPDIR:-/tmp}/understudy-xarm-sdk-$sdk_version}"
sim="${UNDERSTUDY_SIM:-./target/debug/understudy-sim}"

if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "xarm-python-sdk==$sdk_version"
fi
[ -n "${UNDERSTUDY_SIM:-}" ] || cargo build --quiet -p understudy-sim

out="$(mktemp)"
err="$(mktemp)"
"$sim" --only xarm --xarm-port 0 --xarm-tcp-port 0 --xarm-report-rt-port 0 --xarm-report-normal-port 0 \
    --xarm-report-real-port 0 --control-port 0 >"$out" 2>"$err" &
sim_pid=$!
cleanup() {
  kill "$sim_pid" 2>/dev/null || true
  wait "$sim_pid" 2>/dev/null || true
  rm -f "$out" "$err"
}
trap cleanup EXIT

# The start lines name every socket; wait (at most 10 s) for the control line, the last one.
for _ in $(seq 100); do
  grep -q '^control ' "$out" && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$err" >&2; exit 1; }
  sleep 0.1
done
grep -q '^control ' "$out" || { echo "check-xarm-sdk: the simulator did not start" >&2; cat "$err" >&2; exit 1; }
port_of() { grep "^$1 " "$out" | sed 's/.*:\([0-9]*\)[^0-9]*$/\1/'; }
studio="$(grep '^xarm ws://' "$out" | sed 's#^xarm ws://\([^/]*\)/ws$#\1#')"
[ "$(port_of xarm-report-rich)" = 30002 ] || { echo "check-xarm-sdk: the rich report is not on 30002" >&2; exit 1; }

timeout 300 "$venv/bin/python" scripts/xarm_sdk_check.py \
  --tcp-port "$(port_of xarm-tcp)" --studio-url "http://$studio" --control-url "$(grep '^control ' "$out" | cut -d' ' -f2)"
