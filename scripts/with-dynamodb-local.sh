#!/usr/bin/env bash
# Runs a command with the official DynamoDB Local started on a free loopback port and
# DYNAMODB_ENDPOINT pointing at it; stops it afterwards, whatever the command's outcome.
#
#   scripts/with-dynamodb-local.sh npx vitest run --config vitest.dynamodb-local.config.ts
set -euo pipefail
cd "$(dirname "$0")/.."

port="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
log="$(mktemp)"
scripts/dynamodb-local.sh "$port" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT

for _ in $(seq 1 600); do
  if (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "DynamoDB Local did not start:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done

DYNAMODB_ENDPOINT="http://127.0.0.1:$port" "$@"
