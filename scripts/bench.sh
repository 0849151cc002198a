#!/usr/bin/env bash
# Performance figures: the sign-in latency against oidc-client-ts (bench/latency.mjs) and
# Lighthouse on /, /me and /admin (bench/lighthouse.mjs), on fresh release builds.
# Fails when either misses its budget (README "Performance"). Takes about 5 minutes.
#   BENCH_RUNS=20  runs of each page in the latency benchmark
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "setup"
scripts/setup.sh
npm ci --prefix bench --no-audit --no-fund

step "release build"
scripts/build.sh
# The release server, as deployed (opt-level 3): the debug build is several times slower.
cargo build -p sso-server --release --locked
scripts/size-report.sh
export SSO_SERVER_BIN="$PWD/target/release/sso-server"

status=0
step "sign-in latency: sso-web against oidc-client-ts"
node bench/latency.mjs || status=1
step "Lighthouse (desktop preset)"
node bench/lighthouse.mjs || status=1
lscpu | sed -n 's/^Model name: *//p' | head -1
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(chromium --version 2>/dev/null), node $(node --version)"
exit $status
