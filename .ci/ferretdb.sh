#!/usr/bin/env bash
# Builds FerretDB (a MongoDB wire-protocol server; its SQLite handler needs no other service)
# from the Go module proxy, once, into a cache directory, and prints the binary's path.
# The MongoDB test suites start it (test/helpers/mongo.ts); MONGODB_URI points them at your own
# MongoDB instead.
set -euo pipefail
VERSION="${FERRETDB_VERSION:-v1.24.2}"
CACHE="${REGISTRAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/registrar}"
BIN="$CACHE/ferretdb-$VERSION/ferretdb"
if [ -x "$BIN" ] && "$BIN" --version >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi
command -v go >/dev/null || { echo "ferretdb.sh: Go is needed to build FerretDB" >&2; exit 1; }
SRC="$(go mod download -json "github.com/FerretDB/FerretDB@$VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$SRC" ] || { echo "ferretdb.sh: could not download FerretDB $VERSION from the Go module proxy" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp -r "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
# A module download lacks the version file `git describe` would produce; FerretDB refuses to run without it.
echo "$VERSION" > "$WORK/build/version/version.txt"
mkdir -p "$(dirname "$BIN")"
(cd "$WORK" && go build -o "$BIN.tmp" ./cmd/ferretdb) >&2
mv "$BIN.tmp" "$BIN"
"$BIN" --version >&2
echo "$BIN"
