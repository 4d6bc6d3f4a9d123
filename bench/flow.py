#!/usr/bin/env python3
"""Full code flow under load (standard library only): password logins and the
tokens that follow them, the way relying parties and their users drive a
provider (docs/performance.md, "Password logins on one node and on three").

Each worker repeats, until the duration is over:
  1. a new browser (empty cookie jar, so every flow is a password login):
     GET /authorize (PKCE S256) -> login page -> POST user name and password
     -> redirects -> the code at the redirect URI
  2. POST /token with the code (client_secret_basic)
  3. POST /token with the refresh token
  4. GET /userinfo with the new access token
Worker i talks to base URL i modulo the number of --base-url given (a load
balancer, or the nodes themselves) and logs in user i modulo --users.

Prints one JSON object: completed flows, errors, logins/s (= completed flows
per second), tokens/s (successful token responses per second, two per flow),
and p50/p99 latency of each step and of the whole flow in milliseconds.
"""

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from login import Browser, FormParser, fill  # noqa: E402

STEPS = ("login", "code", "refresh", "userinfo", "flow")


class FlowError(Exception):
    pass


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def rebase(url, base):
    """The same path and query at another origin (a node instead of the issuer)."""
    parts = urllib.parse.urlsplit(url)
    target = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))


def at_provider(url, base, issuer):
    origin = urllib.parse.urlsplit(url).netloc
    return origin in (urllib.parse.urlsplit(base).netloc, urllib.parse.urlsplit(issuer).netloc)


def login(browser, args, meta, base, username):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(16)
    query = {
        "response_type": "code",
        "client_id": args.client_id,
        "redirect_uri": args.redirect_uri,
        "scope": args.scope,
        "state": state,
        "nonce": secrets.token_urlsafe(16),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }
    url = rebase(meta["authorization_endpoint"], base) + "?" + urllib.parse.urlencode(query)
    data = None
    for _ in range(12):
        status, headers, body = browser.request(url, data)
        if status in (302, 303):
            location = urllib.parse.urljoin(url, headers["Location"])
            if location.startswith(args.redirect_uri):
                params = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
                if "code" not in params or params.get("state") != [state]:
                    raise FlowError(f"authorization response without code or state: {location}")
                return params["code"][0], verifier
            if not at_provider(location, base, meta["issuer"]):
                raise FlowError(f"redirect away from the provider: {location}")
            url, data = rebase(location, base), None
            continue
        if status != 200:
            raise FlowError(f"HTTP {status} at {url}")
        parser = FormParser()
        parser.feed(body)
        form = next((f for f in parser.forms if f["method"] == "post" and fill(f, "", "") is not None), None)
        if form is None:
            raise FlowError(f"no form at {url}")
        if data is not None and any(kind == "password" for kind, _, _ in form["inputs"]):
            raise FlowError("the login form came back (wrong password or locked account)")
        url = rebase(urllib.parse.urljoin(url, form["action"]), base) if form["action"] else url
        data = fill(form, username, args.password)
    raise FlowError("too many steps")


def token(browser, args, url, fields):
    basic = base64.b64encode(
        f"{urllib.parse.quote(args.client_id, safe='')}:{urllib.parse.quote(args.client_secret, safe='')}".encode()
    ).decode()
    status, _, body = browser.request(url, fields, {"Authorization": f"Basic {basic}"})
    if status != 200:
        raise FlowError(f"token endpoint HTTP {status}: {body[:200]}")
    return json.loads(body)


def worker(index, args, meta, deadline, results, lock):
    base = args.base_url[index % len(args.base_url)]
    username = f"{args.username_prefix}{index % args.users}"
    token_url = rebase(meta["token_endpoint"], base)
    userinfo_url = rebase(meta["userinfo_endpoint"], base)
    while time.monotonic() < deadline:
        browser = Browser()
        times = {}
        try:
            start = time.monotonic()
            code, verifier = login(browser, args, meta, base, username)
            after_login = time.monotonic()
            first = token(browser, args, token_url, {
                "grant_type": "authorization_code", "code": code,
                "redirect_uri": args.redirect_uri, "code_verifier": verifier,
            })
            after_code = time.monotonic()
            second = token(browser, args, token_url, {
                "grant_type": "refresh_token", "refresh_token": first["refresh_token"],
            })
            after_refresh = time.monotonic()
            status, _, body = browser.request(userinfo_url, None, {"Authorization": f"Bearer {second['access_token']}"})
            if status != 200:
                raise FlowError(f"userinfo HTTP {status}: {body[:200]}")
            end = time.monotonic()
        except (FlowError, OSError, KeyError, ValueError) as error:
            with lock:
                results["errors"].append(str(error))
            continue
        if end > deadline:
            break  # a flow that did not finish within the measured time
        times = {
            "login": after_login - start, "code": after_code - after_login,
            "refresh": after_refresh - after_code, "userinfo": end - after_refresh, "flow": end - start,
        }
        with lock:
            for step, seconds in times.items():
                results[step].append(seconds)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", action="append", required=True, help="repeat to spread the workers")
    ap.add_argument("--issuer", help="the issuer (default: the first base URL)")
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    ap.add_argument("--redirect-uri", required=True)
    ap.add_argument("--username-prefix", required=True, help="users are PREFIX0 … PREFIX<users-1>")
    ap.add_argument("--users", type=int, default=1)
    ap.add_argument("--password", required=True)
    ap.add_argument("--scope", default="openid offline_access profile email")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--label", default="")
    args = ap.parse_args()

    issuer = args.issuer or args.base_url[0]
    status, _, body = Browser().request(rebase(issuer.rstrip("/") + "/.well-known/openid-configuration", args.base_url[0]))
    if status != 200:
        sys.exit(f"discovery failed (HTTP {status})")
    meta = json.loads(body)
    results = {step: [] for step in STEPS}
    results["errors"] = []
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + args.duration
    threads = [
        threading.Thread(target=worker, args=(index, args, meta, deadline, results, lock), daemon=True)
        for index in range(args.concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = args.duration
    flows = len(results["flow"])
    report = {
        "label": args.label,
        "base_urls": args.base_url,
        "concurrency": args.concurrency,
        "seconds": elapsed,
        "flows": flows,
        "errors": len(results["errors"]),
        "first_errors": results["errors"][:3],
        "logins_per_s": round(flows / elapsed, 1),
        "tokens_per_s": round(2 * flows / elapsed, 1),
    }
    for step in STEPS:
        values = results[step]
        for name, fraction in (("p50", 0.50), ("p99", 0.99)):
            value = percentile(values, fraction)
            report[f"{step}_{name}_ms"] = None if value is None else round(value * 1000, 1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
