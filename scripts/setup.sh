#!/usr/bin/env bash
# Installs what sso-web's build and tests need and is missing; checks versions of what is there.
# For a fresh Debian machine with the Rust toolchain (rustup). Idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
NODE_MAJOR_MIN=20
say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install the Rust toolchain with rustup first (https://rustup.rs)."
command -v rustup >/dev/null || die "rustup not found: the wasm32 target is added with rustup."

# The wasm-bindgen CLI must be the exact version the app links against, or the generated JS
# glue does not match the wasm. Cargo.toml pins it with "=", so Cargo.lock is the source of truth.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$WASM_BINDGEN_VERSION" ] || die "could not read the wasm-bindgen version from Cargo.lock."

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

export PATH="$HOME/.cargo/bin:$PATH"
if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  # trunk 0.22 needs a newer rustc than 1.95; 0.21.14 is the last that builds here (~11 min).
  say "installing trunk $TRUNK_VERSION (was: $(trunk --version 2>/dev/null || echo none))"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  # Not --locked: its lockfile names a crate version the registry here does not have (~6 min).
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (was: $(wasm-bindgen --version 2>/dev/null || echo none))"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

missing_debs=()
[ -x /usr/bin/chromium ] || missing_debs+=(chromium)
[ -x /usr/bin/chromedriver ] || missing_debs+=(chromium-driver)
# A real reverse proxy: the form_post bridge test (server/tests/nginx.rs) and forward-auth
# through nginx (tests/e2e/forward_auth.test.mjs).
[ -x /usr/sbin/nginx ] || missing_debs+=(nginx)
# A real PostgreSQL for the store suite and the replica tests (private clusters started by the
# tests themselves; no system service is used), openssl for its test certificates, and wrk
# for the load benchmark (bench/load.sh).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing_debs+=(postgresql)
command -v openssl >/dev/null || missing_debs+=(openssl)
command -v wrk >/dev/null || missing_debs+=(wrk)
command -v node >/dev/null || missing_debs+=(nodejs)
command -v npm >/dev/null || missing_debs+=(npm)
if [ ${#missing_debs[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing_debs[*]}"
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q "${missing_debs[@]}"
fi
chromium_major=$(/usr/bin/chromium --version 2>/dev/null | grep -oE '[0-9]+' | head -1)
driver_major=$(/usr/bin/chromedriver --version | grep -oE '[0-9]+' | head -1)
[ "$chromium_major" = "$driver_major" ] || die "chromium $chromium_major and chromedriver $driver_major differ: run apt-get install --only-upgrade chromium chromium-driver."

nginx_version=$(/usr/sbin/nginx -v 2>&1 | sed -n 's|.*nginx/||p')
[ -n "$nginx_version" ] || die "/usr/sbin/nginx does not run: reinstall it with apt-get install --reinstall nginx."

pg_initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -1)
[ -n "$pg_initdb" ] || die "no initdb under /usr/lib/postgresql/*/bin: reinstall it with apt-get install --reinstall postgresql."
pg_major=$("$pg_initdb" --version | grep -oE '[0-9]+' | head -1)
[ "$pg_major" -ge 13 ] || die "PostgreSQL 13+ is needed for the tests (found $pg_major)."
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  die "the postgres user is missing (the tests run PostgreSQL as it, since it refuses root): reinstall postgresql."
fi

node_major=$(node --version | sed 's/^v//; s/\..*//')
[ "$node_major" -ge "$NODE_MAJOR_MIN" ] || die "Node.js $NODE_MAJOR_MIN+ is needed (found $(node --version)); oidc-provider 9 requires it."

# npm packages from the lockfiles, reinstalled only when a lockfile changed: the build's
# wasm-opt (tools/) and the test harness (tests/).
for dir in tools tests; do
  stamp=$dir/node_modules/.package-lock.sha256
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing npm packages ($dir/package-lock.json)"
    npm ci --prefix "$dir" --no-audit --no-fund
    echo "$want" > "$stamp"
  fi
done
WASM_OPT_VERSION=$(sed -n 's/^wasm_opt = "\(.*\)"/\1/p' Trunk.toml)
wasm_opt_found=$(tools/node_modules/.bin/wasm-opt --version 2>/dev/null || echo none)
case "$wasm_opt_found" in
  *"($WASM_OPT_VERSION)") ;;
  *) die "tools/node_modules/.bin/wasm-opt is \"$wasm_opt_found\", Trunk.toml wants $WASM_OPT_VERSION: align tools/package.json." ;;
esac

say "ready: $(rustc --version | cut -d' ' -f1-2), trunk $TRUNK_VERSION, wasm-bindgen $WASM_BINDGEN_VERSION, wasm-opt $WASM_OPT_VERSION, chromium $chromium_major, nginx $nginx_version, postgresql $pg_major, $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), node $(node --version)"
