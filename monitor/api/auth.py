"""Token access: when a token is configured every path but ``/healthz`` and the login needs it.

A pure ASGI middleware, so the dashboard and its static files are covered as well as the API.
Scripts send ``Authorization: Bearer <token>``. A browser cannot add that header to a page load,
so ``/login`` takes the token once in a form and sets a session cookie instead, then sends the
browser on to the page it asked for (``?next=``, only a path on this site). The cookie is
HttpOnly and SameSite=Lax: it is sent when an alert's link is followed from webmail or chat, and
as the app only reads, on GET, Lax guards against cross-site requests as well as Strict would.
It holds a random session id the database keeps (:mod:`monitor.api.sessions`), never the
token: every API process knows it, ``/logout`` ends the session for good, and sessions end after
``SESSION_DAYS``. Sign-in attempts
are rate-limited per client (429 past the limit), and every comparison is constant-time. When
the sessions cannot be read or written the answer is 503, naming no database (the cause goes to
the log).
``/healthz`` stays open; whether its caller is signed in is left in ``scope["state"]`` so it
can keep the host and process ids to those who are.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
from html import escape
from urllib.parse import parse_qs, quote, urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.api.errors import error_response
from monitor.api.sessions import SESSION_DAYS, LoginLimiter, SessionStore
from monitor.errors import StoreError

log = logging.getLogger(__name__)

TOKEN_ENV = "FIREALARM_API_TOKEN"
MIN_TOKEN_LENGTH = 32
SESSION_COOKIE = "firealarm_session"
OPEN_PATHS = frozenset({"/healthz"})
# Pages a browser opens (the dashboard, alert links to a signal): without credentials they go
# to the login form rather than answer 401.
PAGE_PREFIX = "/signals/"
MAX_FORM_BYTES = 4096
# What a caller is told when the sessions cannot be read or written; the cause (which names the
# database) goes to the server's log only.
SIGN_IN_UNAVAILABLE = "sign-in unavailable: the database did not answer (see the server's log)"


def same_secret(given: str | bytes, expected: str | bytes) -> bool:
    """Constant-time equality, of the lengths too (both sides are hashed first)."""
    as_bytes = [
        v.encode("utf-8", errors="replace") if isinstance(v, str) else v for v in (given, expected)
    ]
    return hmac.compare_digest(*(hashlib.sha256(v).digest() for v in as_bytes))


class BearerAuth:
    """Answer 401 unless the bearer token or the session cookie matches; serve the login."""

    def __init__(
        self,
        app: ASGIApp,
        token: str,
        sessions: SessionStore,
        limiter: LoginLimiter | None = None,
    ) -> None:
        self.app = app
        self.token = token
        self.expected = f"Bearer {token}".encode()
        self.sessions = sessions
        self.limiter = limiter or LoginLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            answer = await self._answer(scope, receive)
        except StoreError as exc:  # the sessions live in the database
            log.warning("dashboard sign-in unavailable: %s", exc)
            answer = error_response(503, SIGN_IN_UNAVAILABLE)
        if answer is None:
            await self.app(scope, receive, send)
        else:
            await answer(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive) -> Response | None:
        """This middleware's own response, or None to let the request through."""
        headers = dict(scope["headers"])
        given = headers.get(b"authorization", b"")
        bearer = same_secret(given, self.expected)
        if scope["path"] in OPEN_PATHS:
            # /healthz reports the database itself: a failed lookup only means not signed in.
            try:
                signed_in = bearer or await self._has_session(headers)
            except StoreError:
                signed_in = False
            scope.setdefault("state", {})["signed_in"] = signed_in
            return None
        if scope["path"] == "/login":
            return await self._login(scope, receive)
        if scope["path"] == "/logout":
            # Only a live session is written to: nobody else can make the API take a lock.
            if await self._has_session(headers):
                await run_in_threadpool(self.sessions.close, _cookie(headers))
            return _signed_out(scope)
        if bearer or await self._has_session(headers):
            return None
        if (scope["path"] == "/" or scope["path"].startswith(PAGE_PREFIX)) and not given:
            return _to_login(scope["path"])
        return error_response(401, "missing bearer token" if not given else "invalid bearer token")

    async def _has_session(self, headers: dict[bytes, bytes]) -> bool:
        value = _cookie(headers)
        return bool(value) and await run_in_threadpool(self.sessions.valid, value)

    async def _login(self, scope: Scope, receive: Receive) -> Response:
        if scope["method"] != "POST":
            query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
            return _login_page(next_page=_field(query, "next"))
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.limiter.retry_after(client)
        if wait is not None:
            limited = _login_page("Too many attempts; wait a minute.", status=429)
            limited.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return limited
        form = await _read_form(receive)
        if form is None:
            return _login_page("The form was too large.", status=413)
        next_page = _field(form, "next")
        if not same_secret(_field(form, "token"), self.token):
            return _login_page("That is not the token.", status=401, next_page=next_page)
        response = RedirectResponse(_local(next_page), status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            await run_in_threadpool(self.sessions.open),
            max_age=SESSION_DAYS * 86400,
            httponly=True,
            samesite="lax",
            secure=scope.get("scheme") == "https",
        )
        return response


def _cookie(headers: dict[bytes, bytes]) -> str:
    # Starlette's parser, as browsers do, skips a malformed cookie (another app's on the
    # same host) where http.cookies.SimpleCookie stops and loses ours.
    return cookie_parser(headers.get(b"cookie", b"").decode("latin-1")).get(SESSION_COOKIE, "")


def _field(form: dict[str, list[str]], name: str) -> str:
    return form.get(name, [""])[0]


def _to_login(path: str) -> Response:
    """To the login form, which will send the browser on to ``path`` once signed in."""
    query = "" if path == "/" else "?" + urlencode({"next": quote(path)})
    return RedirectResponse("/login" + query, status_code=303)


def _local(next_page: str) -> str:
    """``next_page`` if it is a path on this site, else ``/``: the login is no open redirect.

    ``//host`` and ``/`` + backslash + ``host`` name another host, and browsers drop tabs and
    newlines from a URL (slash, tab, ``/host``), so only printable ASCII without spaces passes.
    """
    local = next_page.startswith("/") and not next_page.startswith(("//", "/\\"))
    if local and all("!" <= ch <= "~" for ch in next_page):
        return next_page
    return "/"


async def _read_form(receive: Receive) -> dict[str, list[str]] | None:
    body = b""
    more = True
    while more:
        message: Message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) > MAX_FORM_BYTES:
            return None
    return parse_qs(body.decode("utf-8", errors="replace"))


def _signed_out(scope: Scope) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax", secure=scope.get("scheme") == "https"
    )
    return response


def _login_page(problem: str = "", status: int = 200, next_page: str = "") -> HTMLResponse:
    notice = f'<p class="problem">{escape(problem)}</p>' if problem else ""
    page = _LOGIN.replace("{notice}", notice).replace("{next}", escape(_local(next_page)))
    return HTMLResponse(page, status_code=status)


_LOGIN = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>firealarm: sign in</title>
<style>
body { font: 16px system-ui, sans-serif; max-width: 26rem; margin: 15vh auto; padding: 0 1rem; }
input { font: inherit; width: 100%; box-sizing: border-box; padding: .4rem; margin: .4rem 0; }
.problem { color: #b00020; }
</style>
</head>
<body>
<h1>firealarm</h1>
<p>This dashboard needs the API token (<code>FIREALARM_API_TOKEN</code>).</p>
{notice}
<form method="post" action="/login">
<input type="hidden" name="next" value="{next}">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<input type="submit" value="Sign in">
</form>
</body>
</html>
"""
