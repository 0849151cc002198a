#!/usr/bin/env bash
# The gzip -9 size of what a first visit downloads from dist/ (html + js + wasm + css),
# file by file; then the callback bundle (dist/callback/), which the sign-in fetches, and the
# admin bundle (dist/admin/), which only /admin downloads.
# Fails when the first visit is over the budget, SIZE_BUDGET_BYTES (default 150 KiB,
# issue 5; docs/performance.md says where the bytes go and how to find them).
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${SIZE_BUDGET_BYTES:-153600} # 150 KiB
[ -f dist/index.html ] || { echo "size-report: dist/ is missing; run scripts/build.sh" >&2; exit 1; }

# Prints one line per file and returns the gzip total in $total and the brotli one in
# $total_br (the .br copies scripts/build.sh writes, which browsers get over https; the html
# is compressed by the server on the fly, counted here at gzip -9 in both).
measure() {
  total=0
  total_br=0
  local file raw gz br
  for file in "$1"/*.html "$1"/*.js "$1"/*.wasm "$1"/*.css; do
    [ -f "$file" ] || continue
    raw=$(wc -c < "$file")
    gz=$(gzip -9 -c "$file" | wc -c)
    br=$gz
    [ -f "$file.br" ] && br=$(wc -c < "$file.br")
    total=$((total + gz))
    total_br=$((total_br + br))
    printf 'size: %-46s %9d B raw %9d B gzip %9d B br\n' "$file" "$raw" "$gz" "$br"
  done
}

measure dist
first_visit=$total
printf 'size: %-46s %29d B gzip (%d KiB), %d B br (%d KiB)\n' "first visit (html+js+wasm+css)" "$first_visit" $((first_visit / 1024)) "$total_br" $((total_br / 1024))
if [ -f dist/callback/index.html ]; then
  measure dist/callback
  printf 'size: %-46s %29d B gzip (%d KiB), %d B br (%d KiB)\n' "callback bundle (fetched early by sign-in)" "$total" $((total / 1024)) "$total_br" $((total_br / 1024))
fi
if [ -f dist/admin/index.html ]; then
  measure dist/admin
  printf 'size: %-46s %29d B gzip (%d KiB), %d B br (%d KiB)\n' "admin bundle (only /admin)" "$total" $((total / 1024)) "$total_br" $((total_br / 1024))
fi
if [ "$first_visit" -gt "$budget" ]; then
  echo "size: FAIL: the first visit is $first_visit B gzip, $((first_visit - budget)) B over the budget of $budget B." >&2
  echo "size: find where the bytes went with twiggy (docs/performance.md)." >&2
  exit 1
fi
echo "size: ok: $first_visit B <= budget $budget B (150 KiB): $((budget - first_visit)) B to spare"
