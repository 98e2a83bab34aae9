"""A loopback OpenID Connect identity provider for the console's tests.

Stands in for Microsoft's login.microsoftonline.com, the one part that cannot
run here: an /authorize page with a sign-in form, the authorization code
grant with PKCE S256 (RFC 7636), refresh-token grants with rotation, the
device authorization grant (RFC 8628) for `deskmail reauth`, and ID tokens
carrying preferred_username. Access tokens are HS256 JWTs the test Dovecot
validates (tests/dovecot/mint_token.py), so IMAP really accepts them.

Every token and code it issues is remembered (issued()), so tests can grep
every console answer and log line for them.
"""
import base64
import hashlib
import html
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "dovecot"))
import mint_token  # noqa: E402

PASSWORD = "correct-horse"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Idp:
    def __init__(self, hmac_key_b64: str, client_id: str = "deskmail-console-test"):
        self.key = hmac_key_b64
        self.client_id = client_id
        self.lock = threading.Lock()
        self.codes = {}          # code -> dict(user, redirect_uri, challenge, method)
        self.refresh = {}        # refresh token -> user
        self.revoked = set()     # users whose refresh tokens are refused
        self.device_user = None  # who "signs in" at the next device code
        self.devices = {}        # device_code -> user
        self._issued = []
        self.requests = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()

    def issued(self):
        with self.lock:
            return list(self._issued)

    def revoke(self, user):
        with self.lock:
            self.revoked.add(user)

    # ---- token issuing (REQUIRES: lock held) ----
    def _remember(self, *values):
        self._issued.extend(v for v in values if v)

    def _id_token(self, user):
        header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        now = int(time.time())
        claims = b64url(json.dumps({"iss": self.base, "aud": self.client_id, "sub": user,
                                    "preferred_username": user, "iat": now,
                                    "exp": now + 3600}).encode())
        sig = b64url(hashlib.sha256((header + claims + self.key).encode()).digest())
        return f"{header}.{claims}.{sig}"

    def _tokens(self, user, interactive, with_id):
        if interactive:
            self.revoked.discard(user)
            for t in [t for t, u in self.refresh.items() if u == user]:
                del self.refresh[t]
        rt = "rt-" + secrets.token_urlsafe(24)
        self.refresh[rt] = user
        at = mint_token.mint(self.key, user, 3600)
        body = {"access_token": at, "refresh_token": rt, "token_type": "Bearer",
                "expires_in": 3600, "scope": "IMAP.AccessAsUser.All offline_access"}
        if with_id:
            body["id_token"] = self._id_token(user)
        self._remember(at, rt, body.get("id_token"))
        return body

    def _handler(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body, ctype="application/json", headers=()):
                data = body.encode() if isinstance(body, str) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _json(self, status, obj):
                self._send(status, json.dumps(obj))

            def _form(self):
                n = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(n).decode()
                return {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}

            def do_GET(self):
                url = urllib.parse.urlparse(self.path)
                q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
                with idp.lock:
                    idp.requests.append(("GET", url.path, q))
                if url.path != "/authorize":
                    return self._send(404, "{}")
                if q.get("client_id") != idp.client_id or q.get("response_type") != "code":
                    return self._send(400, "bad client_id or response_type", "text/plain")
                hidden = "".join(
                    f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                    for k, v in q.items())
                page = f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - loopback identity provider</title></head>
<body style="font-family:sans-serif;max-width:28rem;margin:2rem auto">
<h1>Sign in</h1><p>to continue to deskmail</p>
<form method="post" action="/authorize">{hidden}
<p><label>Email <input id="username" name="username" value="{html.escape(q.get('login_hint', ''))}"></label></p>
<p><label>Password <input id="password" name="password" type="password"></label></p>
<p><button id="signin" type="submit">Sign in</button></p></form></body></html>"""
                self._send(200, page, "text/html; charset=utf-8")

            def do_POST(self):
                url = urllib.parse.urlparse(self.path)
                f = self._form()
                with idp.lock:
                    idp.requests.append(("POST", url.path, f))
                if url.path == "/authorize":
                    return self._authorize(f)
                if url.path == "/token":
                    return self._token(f)
                if url.path == "/devicecode":
                    with idp.lock:
                        dc = "dc-" + secrets.token_urlsafe(16)
                        idp.devices[dc] = idp.device_user
                        idp._remember(dc)
                    return self._json(200, {"device_code": dc, "user_code": "ABCD-EFGH",
                                            "verification_uri": idp.base + "/device",
                                            "expires_in": 900, "interval": 1})
                self._send(404, "{}")

            def _authorize(self, f):
                if f.get("password") != PASSWORD:
                    return self._send(401, "wrong password", "text/plain")
                code = "code-" + secrets.token_urlsafe(18)
                with idp.lock:
                    idp.codes[code] = {"user": f["username"], "redirect_uri": f["redirect_uri"],
                                       "challenge": f.get("code_challenge", ""),
                                       "method": f.get("code_challenge_method", "")}
                    idp._remember(code)
                target = f["redirect_uri"] + "?" + urllib.parse.urlencode(
                    {"code": code, "state": f.get("state", "")})
                self._send(302, "", "text/plain", [("Location", target)])

            def _token(self, f):
                grant = f.get("grant_type")
                if f.get("client_id") != idp.client_id:
                    return self._json(401, {"error": "invalid_client"})
                with idp.lock:
                    if grant == "authorization_code":
                        c = idp.codes.pop(f.get("code", ""), None)
                        if c is None or c["redirect_uri"] != f.get("redirect_uri"):
                            return self._json(400, {"error": "invalid_grant",
                                                    "error_description": "bad code"})
                        verifier = f.get("code_verifier", "")
                        want = b64url(hashlib.sha256(verifier.encode()).digest())
                        if c["method"] != "S256" or want != c["challenge"]:
                            return self._json(400, {"error": "invalid_grant",
                                                    "error_description": "PKCE mismatch"})
                        return self._json(200, idp._tokens(c["user"], True, True))
                    if grant == "refresh_token":
                        user = idp.refresh.get(f.get("refresh_token", ""))
                        if user is None or user in idp.revoked:
                            return self._json(400, {
                                "error": "invalid_grant", "error_codes": [700082],
                                "error_description": "AADSTS700082: The refresh token has "
                                                     "expired due to inactivity."})
                        del idp.refresh[f["refresh_token"]]
                        return self._json(200, idp._tokens(user, False, False))
                    if grant == "urn:ietf:params:oauth:grant-type:device_code":
                        user = idp.devices.pop(f.get("device_code", ""), None)
                        if user is None:
                            return self._json(400, {"error": "expired_token"})
                        return self._json(200, idp._tokens(user, True, False))
                return self._json(400, {"error": "unsupported_grant_type"})

        return Handler
