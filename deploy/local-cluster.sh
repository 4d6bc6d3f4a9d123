#!/usr/bin/env bash
# A Pforte cluster on one machine from Debian's packages (R-OP-5): the same
# topology as deploy/compose.yaml and the Helm chart, without a container
# engine.
#
#   PostgreSQL (the machine's, 127.0.0.1:5432, user postgres): a database of
#       its own (pforte_cluster), migrated once with `pforte migrate`
#   Redis (the machine's, 127.0.0.1:6379): provider sessions and pending
#       logins under a key prefix of their own (pforte-cluster)
#   3 `pforte serve` processes on their own ports, one master key, one issuer:
#       the load balancer's URL
#   HAProxy (apt-get install haproxy): round robin over the nodes, health
#       checks on PFORTE_CLUSTER_HEALTH_PATH, a failed connection retried on
#       another node; run from this script (not as the system service)
#
# Usage:
#   deploy/local-cluster.sh start            create the database, start everything
#   deploy/local-cluster.sh status           what runs, and each node's health
#   deploy/local-cluster.sh stop             stop HAProxy and the nodes
#   deploy/local-cluster.sh destroy          stop, drop the database, delete the run dir
#   deploy/local-cluster.sh cli ARGS...      `pforte ARGS --config <node 1>`, e.g.
#                                            cli client add --id app --redirect-uri …
#   deploy/local-cluster.sh kill-node N      SIGKILL node N (1-based), as a crash
#   deploy/local-cluster.sh start-node N     start node N again
#
# Settings (environment):
#   PFORTE_BIN                      the binary (default target/release/pforte,
#                                   or $CARGO_TARGET_DIR/release/pforte)
#   PFORTE_CLUSTER_DIR              run dir: configs, pids, logs
#                                   (default ${TMPDIR:-/tmp}/pforte-cluster)
#   PFORTE_CLUSTER_LB_PORT          the load balancer's port (default 18080)
#   PFORTE_CLUSTER_NODE_PORTS       the nodes' ports (default "18081 18082 18083")
#   PFORTE_CLUSTER_POSTGRES_URL     admin URL of the server
#                                   (default postgres://postgres@127.0.0.1:5432)
#   PFORTE_CLUSTER_DB               database name (default pforte_cluster)
#   PFORTE_CLUSTER_REDIS_URL        default redis://127.0.0.1:6379
#   PFORTE_CLUSTER_REDIS_PREFIX     default pforte-cluster
#   PFORTE_CLUSTER_HEALTH_PATH      HAProxy's check (default /health/ready)
#   PFORTE_CLUSTER_MASTER_KEY       default: generated once into the run dir
#   PFORTE_CLUSTER_KEY_RELOAD_SECS  keys.reload_interval_secs (default 60)
#   PFORTE_CLUSTER_POLICY_FILE      policy_file of every node (default: built-in)
#   PFORTE_CLUSTER_EXTRA_CONFIG     a TOML file of tables appended to every
#                                   node's configuration (e.g. [password_hashing])
#   PFORTE_CLUSTER_THEMES           default: the repository's themes/
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

default_bin="$repo/target/release/pforte"
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    default_bin="$CARGO_TARGET_DIR/release/pforte"
fi
bin="${PFORTE_BIN:-$default_bin}"
run_dir="${PFORTE_CLUSTER_DIR:-${TMPDIR:-/tmp}/pforte-cluster}"
lb_port="${PFORTE_CLUSTER_LB_PORT:-18080}"
read -r -a node_ports <<<"${PFORTE_CLUSTER_NODE_PORTS:-18081 18082 18083}"
postgres_url="${PFORTE_CLUSTER_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
postgres_url="${postgres_url%/}"
database="${PFORTE_CLUSTER_DB:-pforte_cluster}"
redis_url="${PFORTE_CLUSTER_REDIS_URL:-redis://127.0.0.1:6379}"
redis_prefix="${PFORTE_CLUSTER_REDIS_PREFIX:-pforte-cluster}"
health_path="${PFORTE_CLUSTER_HEALTH_PATH:-/health/ready}"
key_reload_secs="${PFORTE_CLUSTER_KEY_RELOAD_SECS:-60}"
policy_file="${PFORTE_CLUSTER_POLICY_FILE:-}"
extra_config="${PFORTE_CLUSTER_EXTRA_CONFIG:-}"
themes="${PFORTE_CLUSTER_THEMES:-$repo/themes}"
issuer="http://127.0.0.1:${lb_port}"

die() {
    echo "local-cluster: $*" >&2
    exit 1
}

say() { echo "local-cluster: $*"; }

# The provider reads every PFORTE_* variable as a configuration key, and
# refuses unknown ones: the nodes and the CLI get none of this script's.
# `env -u …` in front of the binary; a simple command, so that `$!` of a
# background start is the provider's own pid.
clean_env=(env)
for name in $(compgen -e); do
    if [[ "$name" == PFORTE_* ]]; then
        clean_env+=(-u "$name")
    fi
done

node_config() { echo "$run_dir/node$1/pforte.toml"; }
node_pid_file() { echo "$run_dir/node$1.pid"; }
node_log() { echo "$run_dir/node$1.log"; }

# True when the pid in the file is a live process (not a zombie: a node
# outlives this script, and its parent may never reap it).
alive() {
    local pid_file="$1" pid state
    [[ -f "$pid_file" ]] || return 1
    pid="$(cat "$pid_file")"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
    state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
    [[ "$state" != Z ]]
}

# Waits until nothing listens on the port any more.
wait_closed() {
    local port="$1"
    for _ in $(seq 1 100); do
        [[ "$(http_status "$port" "$health_path")" == 000 ]] && return 0
        sleep 0.1
    done
    die "port $port still answers"
}

# HTTP status of GET http://127.0.0.1:PORT/PATH, 000 when nothing answers.
http_status() {
    curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$1$2" || true
}

wait_healthy() {
    local port="$1" what="$2" pid_file="$3"
    for _ in $(seq 1 300); do
        if [[ "$(http_status "$port" "$health_path")" == 200 ]]; then
            return 0
        fi
        if ! alive "$pid_file"; then
            die "$what exited while starting; log: $(tail -n 30 "${pid_file%.pid}.log" 2>/dev/null)"
        fi
        sleep 0.2
    done
    die "$what did not answer $health_path on port $port within 60 s"
}

check_tools() {
    [[ -x "$bin" ]] || die "no pforte binary at $bin (cargo build --release --bin pforte, or set PFORTE_BIN)"
    command -v haproxy >/dev/null || die "haproxy not found (apt-get install -y haproxy)"
    command -v psql >/dev/null || die "psql not found (apt-get install -y postgresql-client)"
    command -v curl >/dev/null || die "curl not found (apt-get install -y curl)"
    [[ "$database" =~ ^[a-z_][a-z0-9_]*$ ]] || die "PFORTE_CLUSTER_DB must be a plain lower-case name (got $database)"
    [[ "${#node_ports[@]}" -ge 1 ]] || die "PFORTE_CLUSTER_NODE_PORTS is empty"
}

master_key() {
    if [[ -n "${PFORTE_CLUSTER_MASTER_KEY:-}" ]]; then
        echo "$PFORTE_CLUSTER_MASTER_KEY"
        return
    fi
    local file="$run_dir/master.key"
    if [[ ! -s "$file" ]]; then
        (umask 077 && head -c 32 /dev/urandom | base64 >"$file")
    fi
    cat "$file"
}

write_configs() {
    local key index port dir
    key="$(master_key)"
    for index in "${!node_ports[@]}"; do
        port="${node_ports[$index]}"
        dir="$run_dir/node$((index + 1))"
        mkdir -p "$dir"
        {
            echo "# Node $((index + 1)) of the local cluster (deploy/local-cluster.sh)."
            echo "issuer = \"$issuer\""
            echo "listen = \"127.0.0.1:$port\""
            echo "data_dir = \"$dir/state\""
            echo "database_url = \"$postgres_url/$database\""
            echo "master_key = \"$key\""
            echo "themes_dir = \"$themes\""
            echo "demo = false"
            if [[ -n "$policy_file" ]]; then
                echo "policy_file = \"$policy_file\""
            fi
            echo
            echo "[session]"
            echo "store = \"redis\""
            echo "redis_url = \"$redis_url\""
            echo "redis_key_prefix = \"$redis_prefix\""
            echo
            echo "[keys]"
            echo "reload_interval_secs = $key_reload_secs"
            echo
            if [[ -n "$extra_config" ]]; then
                cat "$extra_config"
            fi
        } >"$dir/pforte.toml.tmp"
        chmod 600 "$dir/pforte.toml.tmp"
        mv "$dir/pforte.toml.tmp" "$dir/pforte.toml"
    done
}

write_haproxy_config() {
    local index
    {
        echo "# Generated by deploy/local-cluster.sh"
        echo "global"
        echo "    maxconn 2000"
        echo
        echo "defaults"
        echo "    mode http"
        echo "    timeout connect 2s"
        echo "    timeout client 60s"
        echo "    timeout server 60s"
        # A node that refuses the connection (stopped, crashed) costs the
        # request nothing: it is sent to another node.
        echo "    retries 2"
        echo "    option redispatch 1"
        echo
        echo "frontend pforte"
        echo "    bind 127.0.0.1:$lb_port"
        echo "    default_backend nodes"
        echo
        echo "backend nodes"
        echo "    balance roundrobin"
        echo "    option httpchk GET $health_path"
        echo "    http-check expect status 200"
        echo "    default-server inter 1s fall 2 rise 1"
        for index in "${!node_ports[@]}"; do
            echo "    server node$((index + 1)) 127.0.0.1:${node_ports[$index]} check"
        done
    } >"$run_dir/haproxy.cfg"
}

create_database() {
    local exists
    exists="$(psql "$postgres_url/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" ||
        die "PostgreSQL at $postgres_url does not answer"
    if [[ "$exists" != 1 ]]; then
        psql "$postgres_url/postgres" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$database\"" >/dev/null
        say "created database $database"
    fi
}

start_node() {
    local number="$1" pid_file
    pid_file="$(node_pid_file "$number")"
    if alive "$pid_file"; then
        say "node $number already runs (pid $(cat "$pid_file"))"
        return
    fi
    "${clean_env[@]}" "$bin" serve --config "$(node_config "$number")" >>"$(node_log "$number")" 2>&1 </dev/null &
    echo $! >"$pid_file"
    wait_healthy "${node_ports[$((number - 1))]}" "node $number" "$pid_file"
    say "node $number: http://127.0.0.1:${node_ports[$((number - 1))]} (pid $(cat "$pid_file"))"
}

start_haproxy() {
    local pid_file="$run_dir/haproxy.pid"
    if alive "$pid_file"; then
        say "HAProxy already runs (pid $(cat "$pid_file"))"
        return
    fi
    haproxy -c -q -f "$run_dir/haproxy.cfg" || die "HAProxy refuses $run_dir/haproxy.cfg"
    # -db: in the foreground of its own (no daemon, no master process), so
    # the pid is HAProxy's and it stops with SIGTERM.
    haproxy -db -f "$run_dir/haproxy.cfg" >>"$run_dir/haproxy.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
    wait_healthy "$lb_port" "HAProxy" "$pid_file"
    say "load balancer (issuer): $issuer (pid $(cat "$pid_file"))"
}

stop_pid_file() {
    local pid_file="$1" what="$2" pid
    if alive "$pid_file"; then
        pid="$(cat "$pid_file")"
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            alive "$pid_file" || break
            sleep 0.1
        done
        if alive "$pid_file"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        say "stopped $what"
    fi
    rm -f "$pid_file"
}

node_number() {
    local number="${1:-}"
    [[ "$number" =~ ^[0-9]+$ && "$number" -ge 1 && "$number" -le "${#node_ports[@]}" ]] ||
        die "node number 1 to ${#node_ports[@]} expected (got '${number}')"
    echo "$number"
}

cmd_start() {
    check_tools
    mkdir -p "$run_dir"
    write_configs
    write_haproxy_config
    create_database
    # The schema once, before any node starts, so that the nodes find it
    # ready and never migrate at the same time.
    "${clean_env[@]}" "$bin" migrate --config "$(node_config 1)" >>"$run_dir/migrate.log" 2>&1 ||
        die "pforte migrate failed: $(tail -n 20 "$run_dir/migrate.log")"
    local index
    for index in "${!node_ports[@]}"; do
        start_node "$((index + 1))"
    done
    start_haproxy
    say "run dir: $run_dir (configs, logs, pids)"
}

cmd_stop() {
    stop_pid_file "$run_dir/haproxy.pid" "HAProxy"
    local index
    for index in "${!node_ports[@]}"; do
        stop_pid_file "$(node_pid_file "$((index + 1))")" "node $((index + 1))"
    done
}

cmd_status() {
    local index number port failed=0
    for index in "${!node_ports[@]}"; do
        number=$((index + 1))
        port="${node_ports[$index]}"
        if alive "$(node_pid_file "$number")"; then
            echo "node $number  127.0.0.1:$port  pid $(cat "$(node_pid_file "$number")")  $health_path: $(http_status "$port" "$health_path")"
        else
            echo "node $number  127.0.0.1:$port  stopped"
            failed=1
        fi
    done
    if alive "$run_dir/haproxy.pid"; then
        echo "haproxy 127.0.0.1:$lb_port  pid $(cat "$run_dir/haproxy.pid")  $health_path: $(http_status "$lb_port" "$health_path")"
    else
        echo "haproxy 127.0.0.1:$lb_port  stopped"
        failed=1
    fi
    return "$failed"
}

cmd_destroy() {
    cmd_stop
    if command -v psql >/dev/null; then
        psql "$postgres_url/postgres" -q -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null ||
            say "could not drop database $database"
    fi
    if command -v redis-cli >/dev/null; then
        # Only this cluster's keys (its prefix), never the whole Redis.
        redis-cli -u "$redis_url" --scan --pattern "$redis_prefix:*" 2>/dev/null |
            xargs -r -n 100 redis-cli -u "$redis_url" DEL >/dev/null 2>&1 || true
    fi
    rm -rf "$run_dir"
    say "destroyed"
}

command="${1:-}"
shift || true
case "$command" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
destroy) cmd_destroy ;;
cli)
    [[ -f "$(node_config 1)" ]] || die "no cluster configured in $run_dir (run start first)"
    "${clean_env[@]}" "$bin" "$@" --config "$(node_config 1)"
    ;;
kill-node)
    number="$(node_number "${1:-}")"
    pid_file="$(node_pid_file "$number")"
    if alive "$pid_file"; then
        kill -KILL "$(cat "$pid_file")"
        wait_closed "${node_ports[$((number - 1))]}"
        say "killed node $number"
    fi
    rm -f "$pid_file"
    ;;
start-node)
    check_tools
    start_node "$(node_number "${1:-}")"
    ;;
*)
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
    [[ -z "$command" || "$command" == help || "$command" == -h || "$command" == --help ]] || exit 2
    ;;
esac
