#!/usr/bin/env bash
# Fetches Keycloak (the authorization server the Keycloak suites register clients at) from Maven
# Central, once, unpacks it into a cache directory, and prints its home folder (bin/kc.sh inside).
# It runs on the machine's Java (17 or later).
set -euo pipefail
VERSION="${KEYCLOAK_VERSION:-26.7.3}"
CACHE="${REGISTRAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/registrar}"
HOME_DIR="$CACHE/keycloak-$VERSION"
if [ -x "$HOME_DIR/bin/kc.sh" ]; then
  echo "$HOME_DIR"
  exit 0
fi
command -v java >/dev/null || { echo "keycloak.sh: Java 17 or later is needed to run Keycloak" >&2; exit 1; }
command -v mvn >/dev/null || { echo "keycloak.sh: Maven is needed to fetch Keycloak" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mvn -q dependency:copy "-Dartifact=org.keycloak:keycloak-quarkus-dist:$VERSION:zip" "-DoutputDirectory=$WORK" >&2
(cd "$WORK" && unzip -q "keycloak-quarkus-dist-$VERSION.zip")
mkdir -p "$CACHE"
rm -rf "$HOME_DIR.tmp"
mv "$WORK/keycloak-$VERSION" "$HOME_DIR.tmp"
mv "$HOME_DIR.tmp" "$HOME_DIR"
echo "$HOME_DIR"
