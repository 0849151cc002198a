#!/usr/bin/env bash
# Every test: lint, host tests (protocol + server), browser unit tests in headless Chromium,
# the release build with its size, and end-to-end tests against the real dev IdP.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "setup"
scripts/setup.sh

step "format and lint"
cargo fmt --all -- --check
# src/oidc is the pure protocol core, src/contract the wire contract both crates compile and
# src/flow the flows behind their port: no browser or UI crates in any (ARCHITECTURE.md).
if grep -rnE '\b(leptos|leptos_router|web_sys|js_sys|wasm_bindgen|wasm_bindgen_futures|gloo_[a-z]+)::' src/oidc src/contract src/flow; then
  echo "src/oidc, src/contract and src/flow must stay pure: the lines above import browser or UI crates" >&2
  exit 1
fi
# The arrows point one way: the pure layers never reach up into the browser glue or the views.
if grep -rnE 'crate::(auth|api|components|pages|router|app)\b' src/oidc src/contract src/flow; then
  echo "a pure layer imports the browser glue or the views: the lines above" >&2
  exit 1
fi
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p sso-web --all-targets --target wasm32-unknown-unknown --locked -- -D warnings

step "host tests (pure OIDC core, server)"
cargo test --workspace --locked

step "browser unit tests (wasm-bindgen-test, headless Chromium)"
CHROMEDRIVER=/usr/bin/chromedriver cargo test -p sso-web --target wasm32-unknown-unknown --test web --locked

step "release build"
scripts/build.sh
scripts/size-report.sh

step "end-to-end (Playwright + Chromium + oidc-provider + sso-server)"
npm --prefix tests run test:idp
SSO_SERVER_BIN="$PWD/target/debug/sso-server" npm --prefix tests run test:e2e
