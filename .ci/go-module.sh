# Sourced by the scripts that build a server from the Go module proxy (ferretdb.sh, hydra.sh,
# jaeger.sh). go_module_binary NAME MODULE VERSION CHECK BUILD prints the path of the cached
# binary, building it first when it is missing or does not answer `NAME CHECK`: the module's
# source is copied out of the module cache into a scratch folder, BUILD runs there with $VERSION
# and $OUT (where the binary goes) set, and the result is moved into the cache.
go_module_binary() {
  local name="$1" module="$2" version="$3" check="$4" build="$5"
  local cache="${REGISTRAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/registrar}"
  local bin="$cache/$name-$version/$name"
  if [ -x "$bin" ] && "$bin" "$check" >/dev/null 2>&1; then
    echo "$bin"
    return 0
  fi
  command -v go >/dev/null || { echo "$name: Go is needed to build $module" >&2; return 1; }
  local src
  src="$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" || true
  [ -d "$src" ] || { echo "$name: could not download $module $version from the Go module proxy" >&2; return 1; }
  local work
  work="$(mktemp -d)"
  cp -r "$src/." "$work/"
  chmod -R u+w "$work"
  mkdir -p "$(dirname "$bin")"
  if ! (cd "$work" && VERSION="$version" OUT="$bin.tmp" bash -euo pipefail -c "$build") >&2; then
    rm -rf "$work"
    return 1
  fi
  rm -rf "$work"
  mv "$bin.tmp" "$bin"
  echo "$bin"
}
