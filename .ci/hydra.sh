#!/usr/bin/env bash
# Builds Ory Hydra (the authorization server the Hydra suites register clients at) from the Go
# module proxy, once, into a cache directory, and prints the binary's path. The module zip lacks
# the hydra-client-go folder its go.mod replaces, so the replace is dropped and the published
# client module is used. The SQLite build tag lets `DSN=memory` run without a database server.
set -euo pipefail
source "$(dirname "$0")/go-module.sh"
go_module_binary hydra github.com/ory/hydra/v2 "${HYDRA_VERSION:-v2.3.0}" version \
  'go mod edit -dropreplace github.com/ory/hydra-client-go/v2 && GOFLAGS=-mod=mod go build -tags sqlite -o "$OUT" .'
