#!/usr/bin/env bash
# Password logins on one node and on three (docs/performance.md): the full
# code flow (login with password, code redemption, refresh, userinfo) under
# load, against a one-node and a three-node cluster of deploy/local-cluster.sh
# (PostgreSQL, Redis, HAProxy), next to the raw Argon2id rate of the same
# cores with the same parameters.
#
#   bench/cluster.sh
#
# Steps:
#   1. builds the release binary and the argon2_rate example (pforte-crypto;
#      not part of the binary), unless PFORTE_BIN and ARGON2_BIN are given
#   2. raw Argon2id: verifications/s on SERVER_CPUS, one thread per CPU
#   3. for NODES in 1 3: starts the cluster pinned to SERVER_CPUS (nodes and
#      HAProxy), provisions a client and USERS users, runs bench/flow.py pinned
#      to LOAD_CPUS through HAProxy and, for 3 nodes, spread directly over the
#      nodes; destroys the cluster
#   4. prints a table: logins/s, tokens/s, p99 of login and of the whole
#      flow, and logins/s as a share of the raw Argon2id rate
#
# Environment (defaults in brackets):
#   SERVER_CPUS   taskset CPU list for the nodes, HAProxy and the Argon2 baseline [0]
#   LOAD_CPUS     taskset CPU list for the load generator                       [1]
#   CONCURRENCY   parallel flows                                                 [8]
#   DURATION      seconds per measured run                                       [20]
#   USERS         distinct users the flows log in                                [8]
#   ARGON2        "memory_kib iterations parallelism" of the nodes and the baseline
#                 [the configuration defaults: 19456 2 1]
#   PFORTE_BIN    the binary to run; ARGON2_BIN the argon2_rate example
#   OUT_DIR       results [bench/results/cluster-<timestamp>]
# PostgreSQL and Redis are the machine's (see deploy/local-cluster.sh for
# their settings); they are not pinned.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
SERVER_CPUS=${SERVER_CPUS-0}
LOAD_CPUS=${LOAD_CPUS-1}
CONCURRENCY=${CONCURRENCY:-8}
DURATION=${DURATION:-20}
USERS=${USERS:-8}
read -r ARGON2_M ARGON2_T ARGON2_P <<<"${ARGON2:-19456 2 1}"
OUT_DIR=${OUT_DIR:-$HERE/results/cluster-$(date +%Y%m%dT%H%M%S)}
TARGET_DIR=${CARGO_TARGET_DIR:-$REPO/target}

log() { echo "bench: $*" >&2; }
pin() { # pin <cpus> <command…>
    local cpus="$1"
    shift
    if [[ -n "$cpus" ]] && command -v taskset >/dev/null; then taskset -c "$cpus" "$@"; else "$@"; fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

mkdir -p "$OUT_DIR"
if [[ -z "${PFORTE_BIN:-}" || -z "${ARGON2_BIN:-}" ]]; then
    log "building pforte and the argon2_rate example (release)"
    (cd "$REPO" && cargo build --release --locked --bin pforte &&
        cargo build --release --locked -p pforte-crypto --example argon2_rate) >&2
fi
PFORTE_BIN=${PFORTE_BIN:-$TARGET_DIR/release/pforte}
ARGON2_BIN=${ARGON2_BIN:-$TARGET_DIR/release/examples/argon2_rate}

server_cpu_count() {
    if [[ -z "$SERVER_CPUS" ]]; then nproc; else
        python3 - "$SERVER_CPUS" <<'PY'
import sys
count = 0
for part in sys.argv[1].split(","):
    low, _, high = part.partition("-")
    count += int(high or low) - int(low) + 1
print(count)
PY
    fi
}

log "raw Argon2id m=$ARGON2_M t=$ARGON2_T p=$ARGON2_P on CPUs [${SERVER_CPUS:-all}]"
RAW_LINE=$(pin "$SERVER_CPUS" "$ARGON2_BIN" "$ARGON2_M" "$ARGON2_T" "$ARGON2_P" "$(server_cpu_count)" "$DURATION")
echo "$RAW_LINE" | tee "$OUT_DIR/argon2.txt" >&2
RAW_RATE=$(echo "$RAW_LINE" | sed -E 's/.*= ([0-9.]+)\/s$/\1/')

CLIENT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
PASSWORD="Flow-Pass-$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
REDIRECT_URI=https://rp.bench.test/callback
EXTRA="$OUT_DIR/extra.toml"
printf '[password_hashing]\nmemory_kib = %s\niterations = %s\nparallelism = %s\n\n[log]\nlevel = "warn"\n' \
    "$ARGON2_M" "$ARGON2_T" "$ARGON2_P" >"$EXTRA"

CLUSTER_ENV=()
cluster() { env "${CLUSTER_ENV[@]}" "$REPO/deploy/local-cluster.sh" "$@"; }
cleanup() { if [[ "${#CLUSTER_ENV[@]}" -gt 0 ]]; then cluster destroy >/dev/null 2>&1 || true; fi; }
trap cleanup EXIT
trap 'exit 130' INT TERM

: >"$OUT_DIR/runs.jsonl"
for NODES in 1 3; do
    LB_PORT=$(free_port)
    PORTS=""
    for _ in $(seq "$NODES"); do PORTS+="$(free_port) "; done
    CLUSTER_ENV=(
        PFORTE_BIN="$PFORTE_BIN"
        PFORTE_CLUSTER_DIR="$OUT_DIR/run-$NODES"
        PFORTE_CLUSTER_LB_PORT="$LB_PORT"
        PFORTE_CLUSTER_NODE_PORTS="$PORTS"
        PFORTE_CLUSTER_DB="pforte_bench_$$"
        PFORTE_CLUSTER_REDIS_PREFIX="pforte-bench-$$"
        PFORTE_CLUSTER_EXTRA_CONFIG="$EXTRA"
    )
    [[ -n "${PFORTE_CLUSTER_HEALTH_PATH:-}" ]] && CLUSTER_ENV+=(PFORTE_CLUSTER_HEALTH_PATH="$PFORTE_CLUSTER_HEALTH_PATH")
    log "starting $NODES node(s) on CPUs [${SERVER_CPUS:-all}]"
    # The nodes and HAProxy inherit the CPU affinity of the script.
    pin "$SERVER_CPUS" env "${CLUSTER_ENV[@]}" "$REPO/deploy/local-cluster.sh" start >&2
    cluster cli client add --id bench --secret="$CLIENT_SECRET" --auth-method client_secret_basic \
        --redirect-uri "$REDIRECT_URI" --grant-type authorization_code --grant-type refresh_token >&2
    for index in $(seq 0 $((USERS - 1))); do
        cluster cli user add --username "bench-$index" --password "$PASSWORD" \
            --email "bench-$index@example.test" >/dev/null
    done
    run() { # run <label> <base url>…
        local label="$1"
        shift
        local bases=()
        for base in "$@"; do bases+=(--base-url "$base"); done
        log "$label: $CONCURRENCY flows in parallel for ${DURATION}s"
        pin "$LOAD_CPUS" python3 "$HERE/flow.py" "${bases[@]}" --issuer "http://127.0.0.1:$LB_PORT" \
            --client-id bench --client-secret "$CLIENT_SECRET" --redirect-uri "$REDIRECT_URI" \
            --username-prefix bench- --users "$USERS" --password "$PASSWORD" \
            --concurrency "$CONCURRENCY" --duration "$DURATION" --label "$label" | tee -a "$OUT_DIR/runs.jsonl" >&2
    }
    run "$NODES node(s) via HAProxy" "http://127.0.0.1:$LB_PORT"
    if [[ "$NODES" -gt 1 ]]; then
        nodes=()
        for port in $PORTS; do nodes+=("http://127.0.0.1:$port"); done
        run "$NODES nodes, direct" "${nodes[@]}"
    fi
    cluster destroy >&2
    CLUSTER_ENV=()
done

python3 - "$OUT_DIR/runs.jsonl" "$RAW_RATE" "$RAW_LINE" <<'PY' | tee "$OUT_DIR/summary.md"
import json, sys
runs = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
raw = float(sys.argv[2])
print(f"Raw Argon2id on the server CPUs: {sys.argv[3]}")
print()
print("| run | flows | errors | logins/s | % of raw Argon2id | tokens/s | login p99 ms | flow p99 ms |")
print("|---|---|---|---|---|---|---|---|")
for run in runs:
    share = 100 * run["logins_per_s"] / raw if raw else 0
    print(f"| {run['label']} | {run['flows']} | {run['errors']} | {run['logins_per_s']} | {share:.0f} % | "
          f"{run['tokens_per_s']} | {run['login_p99_ms']} | {run['flow_p99_ms']} |")
PY
log "raw results: $OUT_DIR"
