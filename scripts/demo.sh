#!/usr/bin/env bash
# The demo: builds the app, starts the dev IdP and sso-server, prints the URL and test users.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
IDP_PORT=${IDP_PORT:-9400}
LISTEN=${SSO_LISTEN:-127.0.0.1:8080}

scripts/setup.sh
scripts/build.sh
cargo build --release --locked -p sso-server

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT INT TERM

mkdir -p target/demo
IDP_PORT=$IDP_PORT IDP_REDIRECT_ORIGINS="http://$LISTEN,http://localhost:${LISTEN##*:}" \
  node tests/idp/server.mjs > target/demo/idp.out 2> target/demo/idp.log &
pids+=($!)
for _ in $(seq 1 100); do grep -q "idp ready" target/demo/idp.out 2>/dev/null && break; sleep 0.1; done
grep -q "idp ready" target/demo/idp.out || { cat target/demo/idp.log >&2; echo "demo: the dev IdP did not start" >&2; exit 1; }

# The dev IdP's issuer and client come from the environment, so /admin shows them as
# env-locked; the setup token is fixed for the demo (never do that in production).
SSO_LISTEN=$LISTEN SSO_DIST=dist SSO_DATABASE=target/demo/sso.db SSO_BOOTSTRAP_TOKEN=demo-setup-token-0000 \
  OIDC_ISSUER="http://127.0.0.1:$IDP_PORT" OIDC_CLIENT_ID=sso-web \
  target/release/sso-server &
pids+=($!)

cat <<INFO

  sso-web demo
    app:    http://$LISTEN/
    IdP:    http://127.0.0.1:$IDP_PORT  (oidc-provider, dev login form; logs in target/demo/idp.log)
    users:  alice (groups admins, ml-team), bob (ml-team), carol (no groups); any non-empty password
    admin:  http://$LISTEN/admin  as alice, or with the setup token demo-setup-token-0000
  Ctrl-C to stop.

INFO
wait -n "${pids[@]}"
