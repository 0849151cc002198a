#!/usr/bin/env bash
# Release build of the three bundles into dist/: the main app (index.html); in dist/callback/,
# the callback (callback.html: the token request, the ID token's validation, /me); in
# dist/admin/, the admin app (admin.html). A first visit downloads only the first. The main
# build empties dist/ first, so it must come first.
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
trunk build callback.html --release --offline=true --dist dist/callback --public-url /callback/
# Minified glue, and both files named after their final bytes (scripts/finish-bundle.mjs).
node scripts/finish-bundle.mjs dist
node scripts/finish-bundle.mjs dist/admin
node scripts/finish-bundle.mjs dist/callback
# The pages with a sign-in button prefetch the callback bundle.
node scripts/link-callback.mjs dist
# What sso-server sends to browsers that accept gzip (and, over https, brotli): compressed
# once, at the level the size budget is measured at, instead of on every request.
assets=(dist/*.wasm dist/*.js dist/*.css dist/admin/*.wasm dist/admin/*.js dist/admin/*.css
  dist/callback/*.wasm dist/callback/*.js dist/callback/*.css)
for file in "${assets[@]}"; do
  gzip -9 -k -f -n "$file"
done
node scripts/brotli.mjs "${assets[@]}"
