#!/usr/bin/env bash
# Fails when an emulator component includes one above it, or when code outside server/ includes
# libwebsockets. The allowed arrows (emulator/README.md): main -> server -> invoke -> api -> base,
# main -> supervisor -> api -> base, main -> project -> api -> base, main -> tls -> base, dynamodb -> base.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
declare -A allowed=(
  [base]=""
  [api]="base"
  [invoke]="api base"
  [server]="invoke api base"
  [supervisor]="api base"
  [dynamodb]="base"
  [project]="api base"
  [tls]="base"
)
problems=0
checked=0
for dir in "$root"/emulator/*/; do
  component=$(basename "$dir")
  if [ -z "${allowed[$component]+set}" ]; then
    echo "emulator/$component: a folder with no place in the layout (add it to $0 and README)"
    problems=$((problems + 1))
    continue
  fi
  for file in "$dir"*.h "$dir"*.cc; do
    [ -e "$file" ] || continue
    checked=$((checked + 1))
    while IFS= read -r line; do
      target=${line#*\"}
      target=${target%%/*}
      [ "$target" = "$component" ] && continue
      case " ${allowed[$component]} " in *" $target "*) continue ;; esac
      echo "${file#"$root"/}: includes $target/ (emulator/$component may include only: ${allowed[$component]:-nothing})"
      problems=$((problems + 1))
    done < <(grep -E '^#include "[a-z_]+/' "$file" || true)
    if [ "$component" != server ] && grep -q '^#include <libwebsockets.h>' "$file"; then
      echo "${file#"$root"/}: includes libwebsockets.h (only emulator/server may)"
      problems=$((problems + 1))
    fi
  done
done
echo "$checked files checked, $problems problems"
[ "$problems" -eq 0 ]
