#!/usr/bin/env bash
# Builds FerretDB (a MongoDB wire-protocol server; its SQLite handler needs no other service)
# from the Go module proxy, once, into a cache directory, and prints the binary's path.
# The MongoDB test suites start it (test/helpers/mongo.ts); MONGODB_URI points them at your own
# MongoDB instead.
set -euo pipefail
source "$(dirname "$0")/go-module.sh"
# A module download lacks the version file `git describe` would produce; FerretDB refuses to run without it.
go_module_binary ferretdb github.com/FerretDB/FerretDB "${FERRETDB_VERSION:-v1.24.2}" --version \
  'echo "$VERSION" > build/version/version.txt && go build -o "$OUT" ./cmd/ferretdb'
