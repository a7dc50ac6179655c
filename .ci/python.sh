#!/usr/bin/env bash
# Makes a Python virtual environment with the client libraries the interoperability suites drive
# (test/interop/requirements.txt: the Python MCP SDK, Authlib), once per version of that file, in
# a cache directory, and prints its interpreter's path.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="${REGISTRAR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/registrar}"
REQUIREMENTS=test/interop/requirements.txt
VENV="$CACHE/python-clients-$(sha256sum "$REQUIREMENTS" | cut -c1-12)"
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import mcp.client.auth, authlib, requests' 2>/dev/null; then
  echo "$VENV/bin/python"
  exit 0
fi
command -v python3 >/dev/null || { echo "python.sh: Python 3.10 or later is needed" >&2; exit 1; }
rm -rf "$VENV.tmp"
mkdir -p "$CACHE"
python3 -m venv "$VENV.tmp" >&2
"$VENV.tmp/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
rm -rf "$VENV"
mv "$VENV.tmp" "$VENV"
echo "$VENV/bin/python"
