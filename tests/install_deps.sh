#!/usr/bin/env bash
# Installs what wsgw needs to build and test on Debian 12 (run as root). Skips what is present.
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config
          libwebsockets-dev libwebsockets-evlib-ev libev-dev libcurl4-openssl-dev libjsoncpp-dev libsimdjson-dev libsqlite3-dev
          libhttp-parser-dev zlib1g-dev libfyaml-dev libssl-dev openssl libgtest-dev python3-boto3 awscli chromium
          clang libclang-rt-14-dev)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The integration tests' clients (ws, the AWS SDK), pinned by tests/package-lock.json.
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$here/node_modules"
fi

# esbuild for the Node.js host's TypeScript handlers, pinned by lambda-bridge/hosts/package-lock.json.
# Installed in the source tree, where the build tree's wsgw-emulate finds the hosts, and copied
# with them by `cmake --install` (install(DIRECTORY lambda-bridge/hosts/ ...)), so run this first.
hosts="$here/../lambda-bridge/hosts"
if [ ! -d "$hosts/node_modules" ] || [ "$hosts/package-lock.json" -nt "$hosts/node_modules" ]; then
  (cd "$hosts" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$hosts/node_modules"
fi
