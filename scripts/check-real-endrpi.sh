#!/usr/bin/env bash
# Checks the conformance suite against the real Endrpi server (PyPI endrpi 1.0.0b22) on loopback: installs it
# into a throwaway venv, starts it on a free port, runs understudy-check against it (excluding @pi-hardware,
# which a PC cannot pass, and @sim-only), and fails unless every remaining scenario passes. Then it records the
# same session with a fresh server through `understudy-sim record`, replays the recording against the simulator,
# and fails on any drift that features/endrpi/replay-allow.txt does not name.
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

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (at most 20 s) until 127.0.0.1:$1 accepts connections, while process $2 lives.
wait_for_port() {
  for _ in $(seq 1 100); do
    if python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), timeout=0.2)" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$2" 2>/dev/null; then
      echo "process $2 exited before it listened on $1; the server log:" >&2
      cat "$work/server.log" >&2
      exit 1
    fi
    sleep 0.2
  done
  echo "nothing listened on 127.0.0.1:$1 within 20 s" >&2
  exit 1
}

server=""
recorder=""
stop() {
  for pid in $recorder $server; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap stop EXIT

start_server() {
  port="$(free_port)"
  "$venv/bin/endrpi" -h 127.0.0.1 -p "$port" > "$work/server.log" 2>&1 &
  server=$!
  wait_for_port "$port" "$server"
}

check() {
  cargo run --quiet -p understudy-conformance --bin understudy-check -- \
    --target "endrpi=ws://127.0.0.1:$1/" --tags 'not @pi-hardware and not @sim-only' "${@:2}"
}

start_server
echo "checking the real endrpi 1.0.0b22 at ws://127.0.0.1:$port/"
check "$port" --junit "$work/junit.xml"
stop

# The same session again, with a fresh server, through the recorder; then replayed against the simulator.
start_server
listen="$(free_port)"
cargo build --quiet -p understudy-sim --bin understudy-sim
target/debug/understudy-sim record --upstream "ws://127.0.0.1:$port" --listen "127.0.0.1:$listen" \
  --name endrpi --out "$work/recorded.jsonl" > "$work/recorder.log" 2>&1 &
recorder=$!
wait_for_port "$listen" "$recorder"
echo "recording a session with the real endrpi 1.0.0b22 through ws://127.0.0.1:$listen/"
check "$listen" > "$work/recorded-check.log"
kill -INT "$recorder"
wait "$recorder" || true
recorder=""
echo "replaying $(wc -l < "$work/recorded.jsonl") records against the simulator"
cargo run --quiet -p understudy-conformance --bin understudy-check -- replay "$work/recorded.jsonl" \
  --allow-file features/endrpi/replay-allow.txt --json "$work/drift.json" --junit "$work/drift.xml"
