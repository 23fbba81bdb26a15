#!/usr/bin/env bash
# Checks the conformance suite against the real Endrpi server (PyPI endrpi 1.0.0b22) on loopback: installs it
# into a throwaway venv, starts it on a free port, runs understudy-check against it (excluding @pi-hardware,
# which a PC cannot pass, and @sim-only), stops it, and fails unless every remaining scenario passes.
set -euo pipefail
cd "$(dirname "$0")/.."

work="${ENDRPI_WORKDIR:-target/real-endrpi}"
mkdir -p "$work"
venv="$work/venv"
if [ ! -x "$venv/bin/endrpi" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'endrpi==1.0.0b22' 'websockets==10.4'
  # A second step: pip refuses both pins at once, and the pydantic endrpi pins does not import on Python 3.11.
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'pydantic==1.10.*' 2>&1 | grep -v 'dependency conflicts\|requires pydantic' || true
fi

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$venv/bin/endrpi" -h 127.0.0.1 -p "$port" > "$work/server.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), timeout=0.2)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "the real endrpi server exited; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  sleep 0.2
done

echo "checking the real endrpi 1.0.0b22 at ws://127.0.0.1:$port/"
cargo run --quiet -p understudy-conformance --bin understudy-check -- \
  --target "endrpi=ws://127.0.0.1:$port/" \
  --tags 'not @pi-hardware and not @sim-only' \
  --junit "$work/junit.xml"
