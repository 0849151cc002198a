#!/usr/bin/env bash
# Release build of both bundles into dist/: the main app (index.html) and, in dist/admin/,
# the admin app (admin.html), which a first visit never downloads. The main build
# empties dist/ first, so the admin build must come second.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
trunk build --release --offline=true "$@"
trunk build admin.html --release --offline=true --dist dist/admin --public-url /admin/ "$@"
