#!/usr/bin/env bash
# Prints the gzip size of what a browser downloads from dist/ (html + js + wasm + css).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/index.html ] || { echo "size-report: dist/ is missing; run trunk build --release" >&2; exit 1; }
total=0
for file in dist/*.html dist/*.js dist/*.wasm dist/*.css; do
  [ -f "$file" ] || continue
  raw=$(wc -c < "$file")
  gz=$(gzip -9 -c "$file" | wc -c)
  total=$((total + gz))
  printf 'size: %-44s %9d B raw %9d B gzip\n' "$file" "$raw" "$gz"
done
printf 'size: %-44s %29d B gzip (%d KiB)\n' "total (html+js+wasm+css)" "$total" $((total / 1024))
