#!/usr/bin/env bash
# Builds Ory Hydra (the authorization server the Hydra suites register clients at) from the Go
# module proxy, once, into a cache directory, and prints the binary's path. The module zip lacks
# the hydra-client-go folder its go.mod replaces, so the replace is dropped and the published
# client module is used. The SQLite build tag lets `DSN=memory` run without a database server.
set -euo pipefail
VERSION="${HYDRA_VERSION:-v2.3.0}"
CACHE="${REGISTRAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/registrar}"
BIN="$CACHE/hydra-$VERSION/hydra"
if [ -x "$BIN" ] && "$BIN" version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { echo "hydra.sh: Go is needed to build Hydra" >&2; exit 1; }
SRC="$(go mod download -json "github.com/ory/hydra/v2@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$SRC" ] || { echo "hydra.sh: could not download Hydra $VERSION from the Go module proxy" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
mkdir -p "$(dirname "$BIN")"
(cd "$WORK" && go mod edit -dropreplace github.com/ory/hydra-client-go/v2 && GOFLAGS=-mod=mod go build -tags sqlite -o "$BIN.tmp" .) >&2
mv "$BIN.tmp" "$BIN"
echo "$BIN"
