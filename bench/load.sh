#!/usr/bin/env bash
# Load on the store: wrk (Debian) against
#   GET /api/v1/admin/whoami  with the setup token, whose hash is read from the store on every
#                             request (SSO_BOOTSTRAP_TOKEN unset),
#   GET /api/v1/auth/verify   forward-auth with a live session's cookie (a session row is put in
#                             the store directly: signing in needs a browser), and
#   GET /api/v1/sso/config    served from the settings in memory,
# on SQLite with one process, PostgreSQL with one process, and PostgreSQL with two replicas
# (one wrk per replica, half the connections each), at 50 and 200 connections, 10 s each.
# Starts (and stops) its own PostgreSQL cluster and servers; prints a Markdown table.
#   bench/load.sh                 the table
#   LOAD_SECONDS=5 bench/load.sh  shorter runs
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
seconds=${LOAD_SECONDS:-10}
command -v wrk >/dev/null || { echo "load: wrk is missing (scripts/setup.sh installs it)" >&2; exit 1; }
cargo build --release -p sso-server --locked 2>&1 | tail -1
bin=$PWD/target/release/sso-server
work=$(mktemp -d /tmp/sso-load.XXXXXX)
pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -d "$work/pg" ] && "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A dist folder: the real build if there is one, else a page that is enough for these routes.
dist=$PWD/dist
if [ ! -f "$dist/index.html" ]; then
  dist=$work/dist; mkdir -p "$dist"; echo '<!doctype html><title>sso-web</title>' > "$dist/index.html"
fi

# A private cluster, as the tests start one; trust on loopback (a benchmark, nothing else).
pg_port=$(free_port)
[ "$(id -u)" -eq 0 ] && chown postgres:postgres "$work"
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U sso -A trust --no-sync >/dev/null
cat >> "$work/pg/postgresql.auto.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$work'
max_connections = 200
EOF
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -l "$work/pg.log" -w start >/dev/null
"${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U sso bench1
"${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U sso bench2

# Starts a server on $1 (SSO_DATABASE); sets $base and, on the first start, $token.
start_server() {
  local log=$work/server-$RANDOM.log
  SSO_DIST=$dist SSO_LISTEN=127.0.0.1:0 SSO_DATABASE=$1 \
    OIDC_ISSUER=http://127.0.0.1:9 OIDC_CLIENT_ID=load-bench \
    "$bin" > "$log" 2>"$log.requests" &
  pids+=($!)
  request_logs+=("$log.requests")
  for _ in $(seq 100); do
    base=$(sed -n 's|^sso-server listening on \(http://[^ ]*\) .*|\1|p' "$log")
    [ -n "$base" ] && break
    sleep 0.1
  done
  [ -n "$base" ] || { echo "load: the server did not start:" >&2; cat "$log" >&2; exit 1; }
  local shown
  shown=$(sed -n 's|^sso-server: setup token (shown once): ||p' "$log")
  [ -n "$shown" ] && token=$shown
  return 0
}

stop_servers() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  pids=()
}

# wrk on each of the given bases at once, $connections split between them; prints
# "req/s p99_ms errors".
run() {
  local path=$1 connections=$2; shift 2
  local per=$((connections / $#)) outs=() wpids=() i=0
  [ "$per" -ge 1 ] || { per=1; set -- "$1"; }
  for b in "$@"; do
    i=$((i + 1))
    wrk -t1 -c"$per" -d"${seconds}s" --latency -H "$credential" "$b$path" > "$work/wrk$i" 2>&1 &
    wpids+=($!)
    outs+=("$work/wrk$i")
  done
  wait "${wpids[@]}"
  python3 - "${outs[@]}" <<'PY'
import re, sys
rps = 0.0; p99 = 0.0; errors = 0
unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
for path in sys.argv[1:]:
    text = open(path).read()
    rps += float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", text)
    p99 = max(p99, float(m.group(1)) * unit[m.group(2)])
    for pat in (r"Non-2xx or 3xx responses:\s+(\d+)", r"Socket errors:.*?connect (\d+), read (\d+), write (\d+), timeout (\d+)"):
        for g in re.findall(pat, text):
            errors += sum(int(x) for x in (g if isinstance(g, tuple) else (g,)))
print(f"{rps:.0f} {p99:.1f} {errors}")
PY
}

# A live session for the verify rows: its cookie value, and the row that names it by hash
# (the store's schema: server/src/store/*/). Prints "value<TAB>sql".
session_row() {
  python3 - "$1" <<'PY'
import base64, hashlib, json, os, sys, time
value = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
digest = hashlib.sha256(value.encode()).hexdigest()
now = int(time.time())
claims = {"iss": "http://127.0.0.1:9", "sub": "bench-user", "aud": "load-bench", "iat": now, "exp": now + 600,
          "name": "Bench User", "preferred_username": "bench", "email": "bench@example.com",
          "email_verified": True, "groups": ["admins", "ml-team", "platform"]}
info = {"subject": "bench-user", "issuer": claims["iss"], "name": "Bench User", "username": "bench",
        "email": "bench@example.com", "email_verified": True, "groups": claims["groups"],
        "groups_source": "claim", "groups_claim": "groups", "is_admin": False,
        "signed_in_at": now, "expires_at": now + 86400, "idle_expires_at": None,
        "id_token": {"alg": "RS256", "kid": None, "issued_at": now, "expires_at": now + 600, "claims": claims}}
text = json.dumps(info).replace("'", "''")
blob = f"decode('{digest}', 'hex')" if sys.argv[1] == "pg" else f"X'{digest}'"
print(value + "\t" + f"INSERT INTO sessions (id_hash, issuer, client_id, subject, display, info, signed_in_at, expires_at, last_used_at) VALUES ({blob}, 'http://127.0.0.1:9', 'load-bench', 'bench-user', 'Bench User', '{text}', {now}, {now + 86400}, {now})")
PY
}

# Puts a live session into the store $1 (a SQLite path or a postgres URL); sets $session_cookie.
seed_session() {
  local row sql dialect=sqlite
  case $1 in postgres://*) dialect=pg ;; esac
  row=$(session_row "$dialect")
  session_cookie="sso-web-session=${row%%$'\t'*}"
  sql=${row#*$'\t'}
  case $1 in
    postgres://*) "$pg_bin/psql" -q "${1%%\?*}" -c "$sql" >/dev/null ;;
    *) python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2]); c.commit()' "$1" "$sql" ;;
  esac
}

echo
echo "| store | replicas | endpoint | connections | req/s | p99 | errors |"
echo "| --- | ---: | --- | ---: | ---: | ---: | ---: |"
report() { # setup replicas endpoint connections "rps p99 errors"
  read -r rps p99 errors <<< "$5"
  printf '| %s | %s | `%s` | %s | %s | %s ms | %s |\n' "$1" "$2" "$3" "$4" "$rps" "$p99" "$errors"
}

# The server's own time for verify: its request log ("GET /api/v1/auth/verify 204 0.1ms"),
# median and p99 over every request of the verify rows of one set-up.
server_time() {
  python3 - "$@" <<'PY'
import re, sys
times = sorted(float(m) for path in sys.argv[1:] for m in re.findall(r"^GET /api/v1/auth/verify 204 ([\d.]+)ms$", open(path).read(), re.M))
if times:
    print(f"{len(times)} requests, median {times[len(times) // 2]:.2f} ms, p99 {times[int(len(times) * 0.99)]:.2f} ms")
else:
    print("no verify requests logged")
PY
}
server_times=()

for setup in sqlite pg1 pg2; do
  token=""
  request_logs=()
  case $setup in
    sqlite) database=$work/sso.db ;;
    pg1) database="postgres://sso@127.0.0.1:$pg_port/bench1?sslmode=disable" ;;
    pg2) database="postgres://sso@127.0.0.1:$pg_port/bench2?sslmode=disable" ;;
  esac
  case $setup in
    sqlite) start_server "$database"; bases=("$base"); name=SQLite; n=1 ;;
    pg1) start_server "$database"; bases=("$base"); name=PostgreSQL; n=1 ;;
    pg2) start_server "$database"; first=$base
         start_server "$database"; bases=("$first" "$base"); name=PostgreSQL; n=2 ;;
  esac
  [ -n "$token" ] || { echo "load: no setup token was shown" >&2; exit 1; }
  seed_session "$database"
  for path in /api/v1/admin/whoami /api/v1/auth/verify /api/v1/sso/config; do
    case $path in
      */verify) credential="Cookie: $session_cookie" ;;
      *) credential="Authorization: Bearer $token" ;;
    esac
    counts="50 200"
    # One connection: the server's time per request without queueing.
    [[ $path == */verify ]] && counts="1 50 200"
    for c in $counts; do
      report "$name" "$n" "GET $path" "$c" "$(run "$path" "$c" "${bases[@]}")"
    done
  done
  stop_servers
  server_times+=("$name x$n: $(server_time "${request_logs[@]}")")
done
echo
echo "server time of GET /api/v1/auth/verify (from the request log, all connections):"
printf '  %s\n' "${server_times[@]}"
echo
echo "load: $(nproc) cores, ${seconds} s per row, wrk $(wrk --version 2>&1 | head -1 | cut -d' ' -f2), PostgreSQL $("$pg_bin/postgres" --version | grep -oE '[0-9.]+' | head -1) on the same machine"
