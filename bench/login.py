#!/usr/bin/env python3
"""Scripted authorization code flow for the benchmark (standard library only).

Logs one user in through the provider's own HTML login page, the way a browser
would (cookie jar, redirects followed by hand, forms submitted with their hidden
inputs), then runs the authorization code flow with PKCE (RFC 7636, S256) as often
as asked, reusing the provider session, and redeems every code at the token
endpoint with client_secret_basic. Each redemption starts a separate grant, so
every refresh token printed is the head of its own rotation chain.

Output (stdout), one per line:
    refresh <token>     one per flow
    access <token>      the access token of the last flow (for userinfo)

The forms are found by their structure, not by provider-specific markup: a form
with a password input is the login form (the text input named username or login
gets the user name); on any other form, a submit button named decision/confirm
with an approving value is pressed, else the form is submitted as it is (consent
pages). This works for Pforte's pages and for node-oidc-provider's development
interactions.
"""

import argparse
import base64
import hashlib
import html.parser
import http.cookiejar
import json
import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request

APPROVING = {"allow", "yes", "accept", "approve", "consent"}


class FormParser(html.parser.HTMLParser):
    """Collects the forms of a page: action, method, inputs and submit buttons."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "action": attrs.get("action") or "",
                "method": (attrs.get("method") or "get").lower(),
                "inputs": [],
                "buttons": [],
            }
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind == "submit":
                self._form["buttons"].append((attrs.get("name"), attrs.get("value") or ""))
            else:
                self._form["inputs"].append((kind, attrs.get("name"), attrs.get("value") or ""))
        elif tag == "button":
            if (attrs.get("type") or "submit").lower() == "submit":
                self._form["buttons"].append((attrs.get("name"), attrs.get("value") or ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Browser:
    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, url, data=None, headers=None):
        """Returns (status, headers, body text); never follows redirects."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(url, data=body, headers=headers or {})
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.headers, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read().decode("utf-8", "replace")


def fill(form, username, password):
    """The fields a user would send for this form, or None if it is not actionable."""
    fields = []
    has_password = any(kind == "password" for kind, _, _ in form["inputs"])
    for kind, name, value in form["inputs"]:
        if not name:
            continue
        if kind == "password":
            fields.append((name, password))
        elif has_password and kind in ("text", "email") and name in ("username", "login", "email"):
            fields.append((name, username))
        elif kind in ("hidden", "text", "email"):
            fields.append((name, value))
    named = [(n, v) for n, v in form["buttons"] if n]
    approve = [(n, v) for n, v in named if v.lower() in APPROVING]
    if approve:
        fields.append(approve[0])
    elif named and not has_password:
        return None
    return fields


def authorize_once(browser, args, meta):
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
    if args.prompt:
        query["prompt"] = args.prompt
    url = meta["authorization_endpoint"] + "?" + urllib.parse.urlencode(query)
    data = None
    for _ in range(12):
        status, headers, body = browser.request(url, data)
        if status in (301, 302, 303, 307, 308):
            location = urllib.parse.urljoin(url, headers["Location"])
            if location.startswith(args.redirect_uri):
                params = urllib.parse.parse_qs(urllib.parse.urlparse(location).query)
                if "code" not in params:
                    sys.exit(f"authorization failed: {location}")
                if params.get("state") != [state]:
                    sys.exit("state mismatch in the authorization response")
                return params["code"][0], verifier
            # 307/308 repeat a POST; the flows here only use 302/303 after forms
            url, data = location, (data if status in (307, 308) else None)
            continue
        if status != 200:
            sys.exit(f"unexpected HTTP {status} at {url}:\n{body[:2000]}")
        parser = FormParser()
        parser.feed(body)
        form = next((f for f in parser.forms if f["method"] == "post" and fill(f, "", "") is not None), None)
        if form is None:
            sys.exit(f"no form to submit at {url}:\n{body[:2000]}")
        url = urllib.parse.urljoin(url, form["action"]) if form["action"] else url
        data = fill(form, args.username, args.password)
    sys.exit("too many steps in the authorization flow")


def redeem(browser, args, meta, code, verifier):
    basic = base64.b64encode(
        f"{urllib.parse.quote(args.client_id, safe='')}:{urllib.parse.quote(args.client_secret, safe='')}".encode()
    ).decode()
    status, _, body = browser.request(
        meta["token_endpoint"],
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": args.redirect_uri,
            "code_verifier": verifier,
        },
        {"Authorization": f"Basic {basic}"},
    )
    if status != 200:
        sys.exit(f"code redemption failed (HTTP {status}): {body}")
    return json.loads(body)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-url", required=True)
    ap.add_argument("--client-id", required=True)
    ap.add_argument("--client-secret", required=True)
    ap.add_argument("--redirect-uri", required=True)
    ap.add_argument("--username", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--scope", default="openid offline_access profile email")
    ap.add_argument("--prompt", default="consent", help="prompt parameter ('' = none sent)")
    ap.add_argument("--count", type=int, default=1, help="number of flows (refresh tokens)")
    args = ap.parse_args()

    browser = Browser()
    status, _, body = browser.request(args.base_url.rstrip("/") + "/.well-known/openid-configuration")
    if status != 200:
        sys.exit(f"discovery failed (HTTP {status})")
    meta = json.loads(body)
    last = None
    for _ in range(max(1, args.count)):
        code, verifier = authorize_once(browser, args, meta)
        last = redeem(browser, args, meta, code, verifier)
        if "refresh_token" not in last:
            sys.exit(f"no refresh_token in the token response (keys: {sorted(last)})")
        print("refresh", last["refresh_token"])
    print("access", last["access_token"])


if __name__ == "__main__":
    main()
