"""What the console does for every response and every form: security headers, the session
cookie, CSRF tokens, the client's address and a rate limit on sign-in links."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from aiohttp import web

SESSION_COOKIE = "wb_console"
# The sign-in page's own token, compared with its form's (double submit): a page elsewhere
# cannot sign a browser in with a link of its choosing.
LOGIN_COOKIE = "wb_console_login"
COOKIE_PATH = "/console/"
CSRF_FIELD = "csrf"

# Everything is served from here: no inline script or style, no frames, no plugins.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def secure(response: web.StreamResponse, *, private: bool) -> None:
    """The security headers; `private`: a page with records on it is kept by no cache (nor
    shown again by the back button after 退出)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if private:
        response.headers["Cache-Control"] = "no-store"


def csrf_token(session_token: str) -> str:
    """The form token of a session: derived from its secret cookie, so nothing more is
    stored, and a page elsewhere (which cannot read the cookie) cannot know it."""
    return hmac.new(session_token.encode("utf-8"), b"console-csrf", hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def set_cookie(response: web.StreamResponse, name: str, value: str, *, secure_only: bool,
               path: str = COOKIE_PATH, max_age: int | None = None) -> None:
    response.set_cookie(name, value, path=path, httponly=True, samesite="Lax",
                        secure=secure_only, max_age=max_age)


def client_address(request: web.Request) -> str:
    """Who is asking: the peer, or — when the peer is a proxy on this machine or the private
    network (nginx) — the address it passes on (X-Real-IP, else the last X-Forwarded-For)."""
    peer = request.remote or ""
    try:
        trusted = ipaddress.ip_address(peer).is_private  # loopback counts as private
    except ValueError:
        trusted = False
    if trusted:
        forwarded = request.headers.get("X-Real-IP") or \
            request.headers.get("X-Forwarded-For", "").split(",")[-1]
        if forwarded.strip():
            return forwarded.strip()
    return peer


class RateLimit:
    """At most `limit` refused attempts per `window` from one address; past that, every
    attempt from it is refused until the window has moved on. Counted in this process (each
    `serve` worker counts its own); time comes from the app's clock."""

    def __init__(self, limit: int, window: timedelta, clock: Callable[[], datetime],
                 max_addresses: int = 10_000) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self.max_addresses = max_addresses
        self._seen: dict[str, deque[datetime]] = {}

    def blocked(self, address: str) -> bool:
        times = self._seen.get(address)
        if times is None:
            return False
        now = self.clock()
        while times and now - times[0] >= self.window:
            times.popleft()
        return len(times) >= self.limit

    def note(self, address: str) -> None:
        """One more refused attempt from `address`."""
        now = self.clock()
        if address not in self._seen and len(self._seen) >= self.max_addresses:
            self._forget(now)
        self._seen.setdefault(address, deque()).append(now)

    def _forget(self, now: datetime) -> None:
        """Drop the addresses seen only longer ago than the window (and, should they all be
        recent, the older half): the table stays bounded."""
        for address in [a for a, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[address]
        if len(self._seen) >= self.max_addresses:
            for address in sorted(self._seen, key=lambda a: self._seen[a][-1])[
                    :len(self._seen) // 2]:
                del self._seen[address]


def new_form_token() -> str:
    return secrets.token_urlsafe(24)
