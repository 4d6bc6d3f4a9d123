#!/usr/bin/env bash
# Timing probe for R-LO-4: can an attacker tell from the response time of a
# failed login whether the username exists? (docs/security.md)
#
#   bench/timing-probe.sh
#
# Starts the release binary with a temporary data directory (SQLite), a policy
# whose lockout cannot interfere (100 failures, throttling off), one client and
# KNOWN_USERS users; then sends ROUNDS pairs of login POSTs in random order
# within each pair: one for an unknown username (a new one each time, as an
# attacker probing names would) and one for a known user with a wrong
# password (the known users take turns, so none reaches the failure limit).
# Every attempt fetches a fresh login form (authorize, then the login page)
# and only the form POST is timed, from sending the request on an open
# connection to the last byte of the answer. Prints the medians of both kinds
# and their ratio and exits 1 when the medians differ by more than
# MAX_DIFF_PERCENT (slower / faster - 1), 0 otherwise.
#
# Environment (defaults in brackets):
#   ROUNDS            measured pairs, 20..1000                             [200]
#   WARMUP            discarded pairs before measuring, 0..100              [20]
#   KNOWN_USERS       known accounts taking turns, 1..50                    [10]
#   MAX_DIFF_PERCENT  allowed difference of the medians                     [10]
#   MAX_SECONDS       stop measuring after this many seconds, 10..1800     [600]
#   BENCH_BIN         use this pforte binary instead of building one
#   SERVER_CPUS       taskset CPU list for the server ('' = no pinning)     ['']
#
# Only 127.0.0.1 is contacted; every request has a 30 s timeout.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"

ROUNDS=${ROUNDS:-200}
WARMUP=${WARMUP:-20}
KNOWN_USERS=${KNOWN_USERS:-10}
MAX_DIFF_PERCENT=${MAX_DIFF_PERCENT:-10}
MAX_SECONDS=${MAX_SECONDS:-600}
SERVER_CPUS=${SERVER_CPUS-}

[[ "$ROUNDS" =~ ^[0-9]+$ && "$ROUNDS" -ge 20 && "$ROUNDS" -le 1000 ]] || { echo "ROUNDS must be 20..1000" >&2; exit 2; }
[[ "$WARMUP" =~ ^[0-9]+$ && "$WARMUP" -le 100 ]] || { echo "WARMUP must be 0..100" >&2; exit 2; }
[[ "$KNOWN_USERS" =~ ^[0-9]+$ && "$KNOWN_USERS" -ge 1 && "$KNOWN_USERS" -le 50 ]] || { echo "KNOWN_USERS must be 1..50" >&2; exit 2; }
[[ "$MAX_DIFF_PERCENT" =~ ^[0-9]+$ && "$MAX_DIFF_PERCENT" -ge 1 && "$MAX_DIFF_PERCENT" -le 100 ]] || { echo "MAX_DIFF_PERCENT must be 1..100" >&2; exit 2; }
[[ "$MAX_SECONDS" =~ ^[0-9]+$ && "$MAX_SECONDS" -ge 10 && "$MAX_SECONDS" -le 1800 ]] || { echo "MAX_SECONDS must be 10..1800" >&2; exit 2; }
# Each known user takes about (ROUNDS + WARMUP) / KNOWN_USERS wrong passwords.
per_user=$(((ROUNDS + WARMUP + KNOWN_USERS - 1) / KNOWN_USERS))
[[ "$per_user" -lt 100 ]] || { echo "ROUNDS+WARMUP over KNOWN_USERS is $per_user failures per user: raise KNOWN_USERS (limit 100)" >&2; exit 2; }
for tool in curl python3; do command -v "$tool" >/dev/null || { echo "$tool not found" >&2; exit 2; }; done

log() { echo "timing-probe: $*" >&2; }
# PFORTE_* variables would override the generated configuration.
for name in $(compgen -e | grep '^PFORTE_' || true); do
  log "ignoring $name from the environment"
  unset "$name"
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
random_secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }

WORK=""
PID=""
cleanup() {
  if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$PID" 2>/dev/null && kill -KILL "$PID" 2>/dev/null || true
  fi
  if [[ -n "$WORK" ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "${BENCH_BIN:-}" ]]; then
  log "building pforte (release)"
  (cd "$REPO" && cargo build --release --locked --bin pforte) >&2
  BENCH_BIN="${CARGO_TARGET_DIR:-$REPO/target}/release/pforte"
fi
[[ -x "$BENCH_BIN" ]] || { echo "no binary at $BENCH_BIN" >&2; exit 1; }

WORK=$(mktemp -d /var/tmp/pforte-timing.XXXXXX)
PORT=$(free_port)
BASE_URL="http://127.0.0.1:$PORT"
CLIENT_ID=timing-client
REDIRECT_URI=https://rp.timing.test/callback
CONFIG="$WORK/pforte.toml"
POLICY="$WORK/policy.toml"

# The default password rules and Argon2id parameters (so both hashes cost what
# they cost in production); only the lockout and throttling are relaxed.
cat >"$POLICY" <<EOF
name = "timing-probe"
description = "default rules; lockout and throttling out of the way of the measurement"

[lockout]
max_failures = 100
lock_duration = "1m"
during_lock = "ignore"
failure_cap = 100

[throttle]
per_ip = { enabled = false }
per_network = { enabled = false }
EOF
cat >"$CONFIG" <<EOF
# Written by bench/timing-probe.sh.
policy_file = "$POLICY"
issuer = "$BASE_URL"
listen = "127.0.0.1:$PORT"
data_dir = "$WORK/data"
themes_dir = "$REPO/themes"
demo = false

[log]
level = "warn"
EOF

"$BENCH_BIN" config check --config "$CONFIG" >&2
"$BENCH_BIN" migrate --config "$CONFIG" >&2
"$BENCH_BIN" client add --config "$CONFIG" --id "$CLIENT_ID" --secret="$(random_secret)" \
  --redirect-uri "$REDIRECT_URI" >/dev/null
for index in $(seq 1 "$KNOWN_USERS"); do
  "$BENCH_BIN" user add --config "$CONFIG" --username "known-$index" \
    --password "Kw-$(random_secret)-$index" >/dev/null
done

if [[ -n "$SERVER_CPUS" ]] && command -v taskset >/dev/null; then
  taskset -c "$SERVER_CPUS" "$BENCH_BIN" serve --config "$CONFIG" >"$WORK/server.log" 2>&1 &
else
  "$BENCH_BIN" serve --config "$CONFIG" >"$WORK/server.log" 2>&1 &
fi
PID=$!
for _ in $(seq 300); do
  if curl -fsS --max-time 2 "$BASE_URL/healthz" >/dev/null 2>&1; then break; fi
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/server.log" >&2; echo "server exited" >&2; exit 1; }
  sleep 0.1
done
curl -fsS --max-time 2 "$BASE_URL/healthz" >/dev/null || { cat "$WORK/server.log" >&2; echo "server did not come up" >&2; exit 1; }
log "server $BASE_URL up; $WARMUP warm-up and $ROUNDS measured pairs"

PORT="$PORT" CLIENT_ID="$CLIENT_ID" REDIRECT_URI="$REDIRECT_URI" ROUNDS="$ROUNDS" \
  WARMUP="$WARMUP" KNOWN_USERS="$KNOWN_USERS" MAX_DIFF_PERCENT="$MAX_DIFF_PERCENT" \
  MAX_SECONDS="$MAX_SECONDS" python3 - <<'PYTHON'
import html.parser
import http.client
import os
import random
import secrets
import statistics
import sys
import time
import urllib.parse

PORT = int(os.environ["PORT"])
CLIENT_ID = os.environ["CLIENT_ID"]
REDIRECT_URI = os.environ["REDIRECT_URI"]
ROUNDS = int(os.environ["ROUNDS"])
WARMUP = int(os.environ["WARMUP"])
KNOWN_USERS = int(os.environ["KNOWN_USERS"])
MAX_DIFF = int(os.environ["MAX_DIFF_PERCENT"]) / 100
DEADLINE = time.monotonic() + int(os.environ["MAX_SECONDS"])
HOST = "127.0.0.1"


class FormReader(html.parser.HTMLParser):
    """The login form: its action and every input with a name."""

    def __init__(self):
        super().__init__()
        self.in_form = False
        self.action = None
        self.fields = {}
        self.found = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and not self.found:
            self.in_form = True
            self.action = attrs.get("action") or ""
        elif tag == "input" and self.in_form and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
            if "password" in self.fields:
                self.found = True
            else:
                self.fields = {}


def request(method, path, cookies, body=None):
    connection = http.client.HTTPConnection(HOST, PORT, timeout=30)
    headers = {"Host": f"{HOST}:{PORT}", "User-Agent": "pforte-timing-probe"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection.connect()
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            if "=" in pair:
                key, val = pair.split("=", 1)
                if val and "max-age=0" not in value.lower():
                    cookies[key.strip()] = val.strip()
                else:
                    cookies.pop(key.strip(), None)
    return response.status, dict((k.lower(), v) for k, v in response.getheaders()), data, elapsed


def login_form(cookies):
    query = urllib.parse.urlencode({
        "client_id": CLIENT_ID,
        "response_type": "code",
        "scope": "openid",
        "redirect_uri": REDIRECT_URI,
        "state": secrets.token_urlsafe(8),
    })
    path = "/authorize?" + query
    for _ in range(5):
        status, headers, data, _ = request("GET", path, cookies)
        if status in (301, 302, 303, 307, 308):
            location = urllib.parse.urlsplit(headers["location"])
            path = location.path + ("?" + location.query if location.query else "")
            continue
        break
    reader = FormReader()
    reader.feed(data.decode("utf-8", "replace"))
    if status != 200 or not reader.found:
        sys.exit(f"no login form at {path}: HTTP {status}")
    action = reader.action or path
    action = urllib.parse.urljoin(path, action)
    return action, reader.fields


answers = set()


def attempt(username):
    cookies = {}
    action, fields = login_form(cookies)
    fields["username"] = username
    fields["password"] = "Wrong-" + secrets.token_urlsafe(12)
    body = urllib.parse.urlencode(fields)
    status, _, data, elapsed = request("POST", action, cookies, body)
    text = data.decode("utf-8", "replace")
    if 'role="alert"' not in text:
        sys.exit(f"a failed login for {username} did not show the alert (HTTP {status})")
    answers.add(status)
    return elapsed


unknown, known = [], []
turn = 0
measured = 0
for index in range(WARMUP + ROUNDS):
    if time.monotonic() > DEADLINE:
        print(f"timing-probe: MAX_SECONDS reached after {measured} measured pairs", file=sys.stderr)
        break
    pair = ["unknown", "known"]
    random.shuffle(pair)
    for kind in pair:
        if kind == "unknown":
            elapsed = attempt("nobody-" + secrets.token_hex(6))
            target = unknown
        else:
            turn = turn % KNOWN_USERS + 1
            elapsed = attempt(f"known-{turn}")
            target = known
        if index >= WARMUP:
            target.append(elapsed)
    if index >= WARMUP:
        measured += 1

if measured < 20:
    sys.exit("timing-probe: fewer than 20 measured pairs")
if len(answers) != 1:
    sys.exit(f"timing-probe: the failed logins answered with different statuses {answers}")


def describe(samples):
    quartiles = statistics.quantiles(samples, n=4)
    return (f"median {statistics.median(samples) * 1000:8.2f} ms  "
            f"p25 {quartiles[0] * 1000:8.2f} ms  p75 {quartiles[2] * 1000:8.2f} ms  "
            f"n {len(samples)}")


median_unknown = statistics.median(unknown)
median_known = statistics.median(known)
ratio = median_unknown / median_known
difference = max(median_unknown, median_known) / min(median_unknown, median_known) - 1
print(f"unknown user:                {describe(unknown)}")
print(f"known user, wrong password:  {describe(known)}")
print(f"ratio unknown/known: {ratio:.3f}  difference {difference * 100:.1f} % "
      f"(limit {MAX_DIFF * 100:.0f} %)")
if difference > MAX_DIFF:
    print("FAIL: the medians differ by more than the limit", file=sys.stderr)
    sys.exit(1)
print("OK: the medians are within the limit")
PYTHON
