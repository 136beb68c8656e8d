#!/usr/bin/env bash
# Runs the official DynamoDB Local (in memory) in the foreground, for the storage tests:
#
#   scripts/dynamodb-local.sh [PORT]        # default 8000
#   DYNAMODB_ENDPOINT=http://127.0.0.1:PORT npx vitest run test/integration/stores
#
# The jar ships inside the npm package amplify-dynamodb-simulator (its emulator/ folder), so it
# comes from the npm registry like any dependency (npm checks the tarball's integrity). It is fetched
# once into .local-data/dynamodb-local (gitignored) and reused. Needs Java 11 or later.
#
# DynamoDB Local has no option to choose the address it listens on (it takes every interface); the
# tests only ever connect to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${1:-8000}"
version=2.9.30
cache=.local-data/dynamodb-local
emulator="$cache/amplify-dynamodb-simulator-$version"

if ! command -v java >/dev/null; then
  echo "dynamodb-local: java not found (DynamoDB Local needs Java 11 or later)" >&2
  exit 1
fi

if [ ! -f "$emulator/DynamoDBLocal.jar" ]; then
  mkdir -p "$cache"
  tarball="$(npm pack --silent --pack-destination "$cache" "amplify-dynamodb-simulator@$version")"
  rm -rf "$emulator.partial"
  mkdir -p "$emulator.partial"
  tar -xzf "$cache/$tarball" -C "$emulator.partial" --strip-components=2 package/emulator
  rm "$cache/$tarball"
  mv "$emulator.partial" "$emulator"
fi

cd "$emulator"
exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
  -inMemory -sharedDb -port "$port" -disableTelemetry
