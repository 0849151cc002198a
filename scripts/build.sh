#!/usr/bin/env bash
# Release build of both bundles into dist/: the main app (index.html) and, in dist/admin/,
# the admin app (admin.html), which a first visit never downloads. The main build
# empties dist/ first, so the admin build must come second.
set -euo pipefail
cd "$(dirname "$0")/.."
# wasm-opt (binaryen, from npm: tools/package.json) shrinks each bundle after wasm-bindgen.
export PATH="$PWD/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Panic locations name source files; without this they carry the build machine's paths
# (/root/.cargo/registry/src/index.crates.io-…/crate-1.2.3/src/…) into the bundle.
cargo_home=${CARGO_HOME:-$HOME/.cargo}
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--remap-path-prefix=$cargo_home/registry/src/= --remap-path-prefix=$(pwd -P)/="
trunk build --release --offline=true
trunk build admin.html --release --offline=true --dist dist/admin --public-url /admin/
# Minified glue, and both files named after their final bytes (scripts/finish-bundle.mjs).
node scripts/finish-bundle.mjs dist
node scripts/finish-bundle.mjs dist/admin
# What sso-server sends to browsers that accept gzip: compressed once, at the level the
# size budget is measured at, instead of on every request.
for file in dist/*.wasm dist/*.js dist/*.css dist/admin/*.wasm dist/admin/*.js dist/admin/*.css; do
  gzip -9 -k -f -n "$file"
done
