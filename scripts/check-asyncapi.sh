#!/usr/bin/env bash
# The committed AsyncAPI documents (docs/asyncapi/) through the AsyncAPI project's parser, and the suite's
# JSON Schemas and the documents' examples (its snapshots) through Ajv: both pinned, installed from npm into
# target/asyncapi-check/ and run with Debian's node. Fails on any parser error or schema failure.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR=target/asyncapi-check
mkdir -p "$DIR"
cp scripts/asyncapi/check.mjs "$DIR/check.mjs"
if [ ! -f "$DIR/node_modules/.installed-3.6.6" ]; then
  (cd "$DIR" && printf '{"private":true,"type":"module"}\n' >package.json &&
    timeout 300 npm install --no-audit --no-fund --silent --save-exact \
      @asyncapi/parser@3.6.6 ajv@8.20.0 ajv-formats@3.0.1 &&
    touch node_modules/.installed-3.6.6)
fi
REPO_ROOT="$PWD" timeout 300 node "$DIR/check.mjs"
