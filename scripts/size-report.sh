#!/usr/bin/env bash
# The gzip -9 size of what a first visit downloads from dist/ (html + js + wasm + css),
# file by file, checked against the budget; then the admin bundle (dist/admin/), which
# only /admin downloads, for information.
#   SIZE_BUDGET_BYTES  the gate for the first visit (default below); the run fails above it.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${SIZE_BUDGET_BYTES:-153600} # 150 KiB
[ -f dist/index.html ] || { echo "size-report: dist/ is missing; run scripts/build.sh" >&2; exit 1; }

# Prints one line per file and returns the gzip total in $total.
measure() {
  total=0
  local file raw gz
  for file in "$1"/*.html "$1"/*.js "$1"/*.wasm "$1"/*.css; do
    [ -f "$file" ] || continue
    raw=$(wc -c < "$file")
    gz=$(gzip -9 -c "$file" | wc -c)
    total=$((total + gz))
    printf 'size: %-46s %9d B raw %9d B gzip\n' "$file" "$raw" "$gz"
  done
}

measure dist
first_visit=$total
printf 'size: %-46s %29d B gzip (%d KiB)\n' "first visit (html+js+wasm+css)" "$first_visit" $((first_visit / 1024))
if [ -f dist/admin/index.html ]; then
  measure dist/admin
  printf 'size: %-46s %29d B gzip (%d KiB)\n' "admin bundle (only /admin)" "$total" $((total / 1024))
fi
if [ "$first_visit" -gt "$budget" ]; then
  echo "size: FAIL: the first visit is $first_visit B gzip, over the budget of $budget B by $((first_visit - budget)) B." >&2
  echo "size: find where the bytes went with twiggy (docs/performance.md) before raising SIZE_BUDGET_BYTES." >&2
  exit 1
fi
echo "size: ok: $first_visit B <= budget $budget B ($((first_visit * 100 / budget))% of it)"
