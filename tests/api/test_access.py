"""Bearer-token access, /healthz, and the API's read-only connection."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from monitor.api import create_app
from monitor.api.auth import SESSION_COOKIE, SIGN_IN_UNAVAILABLE
from monitor.api.sessions import SESSION_DAYS, LoginLimiter, SessionStore
from monitor.errors import ConfigError
from monitor.runtime import Runtime, open_runtime
from monitor.store.database import create_db_engine
from tests.conftest import POSTGRES_ADMIN_URL

TOKEN = "s3cret-token-of-at-least-32-chars"
DAY = 86400
LOCAL = "http://127.0.0.1"


@pytest.fixture
def guarded(seeded: Runtime, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setenv("FIREALARM_API_TOKEN", TOKEN)
    return TestClient(create_app(seeded), base_url=LOCAL)


def _signed_in(client: TestClient) -> str:
    """Sign ``client`` in through the form; the session cookie's value."""
    response = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert response.status_code == 303
    return response.cookies[SESSION_COOKIE]


PROTECTED = ["/static/app.js", "/api/signals", "/api/signals/btc_vs_ndx/history", "/docs"]


@pytest.mark.parametrize("path", [*PROTECTED, "/openapi.json"])
def test_every_path_but_healthz_needs_the_token(guarded: TestClient, path: str) -> None:
    missing = guarded.get(path)
    wrong = guarded.get(path, headers={"Authorization": "Bearer s3cret-tokeX"})
    right = guarded.get(path, headers={"Authorization": f"Bearer {TOKEN}"})
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.headers["www-authenticate"] == "Bearer"
    assert wrong.json() == {"error": "invalid bearer token", "status": 401}


def test_the_dashboard_sends_a_browser_without_a_session_to_the_login(
    guarded: TestClient,
) -> None:
    page = guarded.get("/", follow_redirects=False)
    assert (page.status_code, page.headers["location"]) == (303, "/login")
    login = guarded.get("/login")
    assert login.status_code == 200
    assert '<form method="post" action="/login">' in login.text
    assert TOKEN not in login.text
    with_header = guarded.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert with_header.status_code == 200 and "<html" in with_header.text


def test_signing_in_sets_a_session_cookie_that_opens_every_path(guarded: TestClient) -> None:
    signed_in = guarded.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")
    cookie = signed_in.headers["set-cookie"]
    value = cookie.removeprefix(f"{SESSION_COOKIE}=").split(";")[0]
    assert len(value) >= 40 and TOKEN not in cookie  # a random id, never the token
    # Lax, not Strict: a link followed from webmail or chat must arrive signed in.
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    for path in ["/", *PROTECTED]:
        assert guarded.get(path).status_code == 200, path  # the client keeps the cookie
    signed_out = guarded.get("/logout", follow_redirects=False)
    assert signed_out.headers["location"] == "/login"
    assert f'{SESSION_COOKIE}="";' in signed_out.headers["set-cookie"]
    guarded.cookies.clear()
    assert guarded.get("/api/signals").status_code == 401
    # A copy of the cookie taken before the logout opens nothing either: the server ended it.
    copied = {"Cookie": f"{SESSION_COOKIE}={value}"}
    assert guarded.get("/api/signals", headers=copied).status_code == 401
    assert guarded.get("/", headers=copied, follow_redirects=False).status_code == 303


def test_a_wrong_token_at_the_login_sets_no_cookie(guarded: TestClient) -> None:
    wrong = guarded.post("/login", data={"token": "s3cret-tokeX"}, follow_redirects=False)
    assert wrong.status_code == 401
    assert "That is not the token." in wrong.text
    assert "set-cookie" not in wrong.headers
    empty = guarded.post("/login", data={}, follow_redirects=False)
    assert empty.status_code == 401
    huge = guarded.post("/login", data={"token": "x" * 10_000}, follow_redirects=False)
    assert huge.status_code == 413 and "set-cookie" not in huge.headers


@pytest.mark.parametrize(
    "cookie",
    [
        TOKEN,  # the raw token is not a session
        "x" * 43,  # an id the server never issued
        '"unbalanced',
    ],
)
def test_a_session_the_server_did_not_open_is_refused(guarded: TestClient, cookie: str) -> None:
    header = {"Cookie": f"{SESSION_COOKIE}={cookie}"}
    response = guarded.get("/api/signals", headers=header)
    assert response.status_code == 401
    page = guarded.get("/", headers=header)
    assert page.url.path == "/login"


def test_a_session_outlives_a_restart_but_not_a_new_token(
    seeded: Runtime, guarded: TestClient
) -> None:
    value = _signed_in(guarded)
    cookie = {"Cookie": f"{SESSION_COOKIE}={value}"}
    restarted = TestClient(create_app(seeded), base_url=LOCAL)  # or another worker
    assert restarted.get("/api/signals", headers=cookie).status_code == 200
    rotated = TestClient(create_app(seeded, api_token=TOKEN + "-rotated"), base_url=LOCAL)
    assert rotated.get("/api/signals", headers=cookie).status_code == 401


def test_signing_out_on_one_server_ends_the_session_on_another(
    seeded: Runtime, guarded: TestClient
) -> None:
    value = _signed_in(guarded)
    cookie = {"Cookie": f"{SESSION_COOKIE}={value}"}
    other = TestClient(create_app(seeded), base_url=LOCAL)
    assert other.get("/api/signals", headers=cookie).status_code == 200
    guarded.get("/logout", headers=cookie, follow_redirects=False)
    assert other.get("/api/signals", headers=cookie).status_code == 401


def test_the_sessions_table_holds_no_cookie_and_no_token(
    seeded: Runtime, guarded: TestClient
) -> None:
    value = _signed_in(guarded)
    with seeded.engine.connect() as connection:
        stored = connection.execute(text("SELECT * FROM dashboard_sessions")).all()
    assert len(stored) == 1
    assert not any(value in str(cell) or TOKEN in str(cell) for cell in stored[0])


def test_a_session_lasts_session_days(seeded: Runtime) -> None:
    now = [1_000_000.0]
    store = SessionStore(seeded.engine, TOKEN, clock=lambda: now[0])
    session = store.open()
    for age in (0, DAY, SESSION_DAYS * DAY - 60):
        now[0] = 1_000_000.0 + age
        assert store.valid(session), age
    now[0] = 1_000_000.0 + SESSION_DAYS * DAY + 60
    assert not store.valid(session)
    assert not store.valid(session)  # and it is gone


def test_sessions_are_bounded(seeded: Runtime) -> None:
    store = SessionStore(seeded.engine, TOKEN, limit=3)
    first, *rest = [store.open() for _ in range(4)]
    assert not store.valid(first) and all(store.valid(s) for s in rest)


def test_the_eleventh_login_attempt_in_a_minute_gets_429(guarded: TestClient) -> None:
    statuses = [guarded.post("/login", data={"token": "nope"}).status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    late = guarded.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert late.status_code == 429 and "set-cookie" not in late.headers
    assert 1 <= int(late.headers["retry-after"]) <= 60


def test_the_login_limit_is_per_client_and_per_minute() -> None:
    now = [0.0]
    limiter = LoginLimiter(attempts=2, window=60, clock=lambda: now[0])
    assert [limiter.retry_after("a") for _ in range(3)] == [None, None, 60]
    assert limiter.retry_after("b") is None
    now[0] = 59.5
    assert limiter.retry_after("a") == pytest.approx(0.5)
    now[0] = 60
    assert limiter.retry_after("a") is None


@pytest.mark.parametrize("token", ["short", "x" * 31])
def test_a_token_shorter_than_32_characters_is_refused(seeded: Runtime, token: str) -> None:
    with pytest.raises(ConfigError, match="at least 32"):
        create_app(seeded, api_token=token)


@pytest.mark.parametrize("other", ['prefs={"a":1}', "x=a b", 'x="unterminated', "=; ;x"])
def test_another_local_apps_cookie_does_not_hide_the_session(
    guarded: TestClient, other: str
) -> None:
    # Cookies are shared by every port of 127.0.0.1: another app's cookie, malformed by
    # RFC 6265's grammar, may come first in the header.
    header = {"Cookie": f"{other}; {SESSION_COOKIE}={_signed_in(guarded)}"}
    guarded.cookies.clear()
    assert guarded.get("/api/signals", headers=header).status_code == 200
    page = guarded.get("/", headers=header, follow_redirects=False)
    assert page.status_code == 200


def test_healthz_is_open_and_reports_the_database(guarded: TestClient) -> None:
    response = guarded.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "checks": {}}


def test_healthz_is_503_when_the_callers_check_fails(seeded: Runtime) -> None:
    app = create_app(seeded, health_check=lambda _private: (False, {"scheduler": "stopped"}))
    response = TestClient(app, base_url=LOCAL).get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"scheduler": "stopped"}


def test_healthz_is_503_when_the_database_is_gone(seeded: Runtime, tmp_path: Path) -> None:
    app = create_app(seeded)
    gone = tmp_path / "gone.db"
    sqlite3.connect(gone).close()
    app.state.engine = create_db_engine(f"sqlite:///{gone}", read_only=True)
    gone.unlink()
    response = TestClient(app, base_url=LOCAL).get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable")


def test_the_api_engine_refuses_writes(seeded: Runtime) -> None:
    engine = create_app(seeded).state.engine
    with pytest.raises(DBAPIError), engine.begin() as connection:
        connection.execute(text("DELETE FROM signal_values"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM signal_values")).scalar() > 0


@pytest.mark.parametrize("path", ["/", "/docs"])
def test_pages_load_nothing_from_other_hosts(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    references = re.findall(r'(?:src|href)="([^"]*)"', page.text)
    references += re.findall(r"""(?:url|Url): ?['"]([^'"]*)['"]""", page.text)
    assert references
    for reference in references:
        assert reference.startswith(("/", "data:")), reference
        if reference.startswith("/"):
            assert client.get(reference).status_code == 200, reference


def test_an_alert_link_takes_a_browser_through_the_login(guarded: TestClient) -> None:
    link = guarded.get("/signals/btc_vs_ndx", follow_redirects=False)
    assert (link.status_code, link.headers["location"]) == (
        303,
        "/login?next=%2Fsignals%2Fbtc_vs_ndx",
    )
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    with_header = guarded.get("/signals/btc_vs_ndx", headers=bearer, follow_redirects=False)
    assert with_header.headers["location"] == "/#card-btc_vs_ndx"
    wrong = guarded.get("/signals/btc_vs_ndx", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    form = guarded.get(link.headers["location"])
    assert '<input type="hidden" name="next" value="/signals/btc_vs_ndx">' in form.text
    back = guarded.post("/login", data={"token": TOKEN, "next": "/signals/btc_vs_ndx"})
    assert back.url.path == "/" and back.url.fragment == "card-btc_vs_ndx"
    assert back.history[0].headers["location"] == "/signals/btc_vs_ndx"
    signed_in = guarded.get("/signals/btc_vs_ndx", follow_redirects=False)
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/#card-btc_vs_ndx")


@pytest.mark.parametrize(
    "next_page",
    [
        "//evil.example/",
        "/\\evil.example/",
        "/\t/evil.example/",
        "/\n/evil.example/",
        "https://evil.example/",
        "evil.example",
        "javascript:alert(1)",
        "",
    ],
)
def test_the_login_sends_nowhere_but_this_site(guarded: TestClient, next_page: str) -> None:
    form = guarded.get("/login", params={"next": next_page})
    assert '<input type="hidden" name="next" value="/">' in form.text
    wrong = guarded.post("/login", data={"token": "nope", "next": next_page})
    assert '<input type="hidden" name="next" value="/">' in wrong.text
    signed_in = guarded.post(
        "/login", data={"token": TOKEN, "next": next_page}, follow_redirects=False
    )
    assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/")


def _on_own_database(url: str, statement: str) -> None:
    """``statement`` about the test's own PostgreSQL database (named ``:db``), said from the
    server's admin database (one cannot refuse connections to the database one is in)."""
    name = create_db_engine(url).url.database
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        connection.execute(text(statement.replace(":db", f'"{name}"')))
    admin.dispose()


def test_sign_in_on_a_read_only_postgresql_is_503_naming_no_database(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A hot standby (or a role that may only read) refuses the session's row: the browser is
    told sign-in is unavailable, not a 500, and only the log says why."""
    open_runtime(None, postgres_url).close()
    _on_own_database(postgres_url, "ALTER DATABASE :db SET default_transaction_read_only = on")
    runtime = open_runtime(None, postgres_url, migrate=False, read_only=True)
    app = create_app(runtime, api_token=TOKEN)
    with TestClient(app, base_url=LOCAL) as client:
        response = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    runtime.close()
    assert response.status_code == 503
    assert response.json()["error"] == SIGN_IN_UNAVAILABLE
    assert "set-cookie" not in response.headers
    assert "read-only transaction" in caplog.text
    assert TOKEN not in caplog.text


def test_a_caller_not_signed_in_learns_nothing_of_the_database(postgres_url: str) -> None:
    """With the database refusing connections, a made-up cookie gets 503 without the database's
    address or name, /healthz says only "unreachable", and /logout writes nothing."""
    open_runtime(None, postgres_url).close()
    runtime = open_runtime(None, postgres_url, migrate=False, read_only=True)
    app = create_app(runtime, api_token=TOKEN)
    name = str(create_db_engine(postgres_url).url.database)
    _on_own_database(postgres_url, "ALTER DATABASE :db ALLOW_CONNECTIONS false")
    try:
        with TestClient(app, base_url=LOCAL) as client:
            client.cookies.set(SESSION_COOKIE, "x" * 43)
            answers = {path: client.get(path) for path in ("/api/signals", "/healthz")}
            client.cookies.clear()
            logout = client.get("/logout", follow_redirects=False)
    finally:
        _on_own_database(postgres_url, "ALTER DATABASE :db ALLOW_CONNECTIONS true")
        runtime.close()
    refused = answers["/api/signals"]
    assert refused.status_code == 503 and refused.json()["error"] == SIGN_IN_UNAVAILABLE
    health = answers["/healthz"]
    assert health.status_code == 503
    assert health.json()["database"] == "unreachable: OperationalError"
    for response in answers.values():
        assert name not in response.text and "127.0.0.1" not in response.text
    assert logout.status_code == 303  # no cookie, no session: nothing to end, nothing asked


def test_two_servers_with_their_own_tokens_on_one_database_keep_their_sessions(
    seeded: Runtime,
) -> None:
    first = TestClient(create_app(seeded, api_token=TOKEN), base_url=LOCAL)
    second = TestClient(create_app(seeded, api_token=TOKEN + "-other"), base_url=LOCAL)
    cookie = {"Cookie": f"{SESSION_COOKIE}={_signed_in(first)}"}
    first.cookies.clear()
    signed = second.post("/login", data={"token": TOKEN + "-other"}, follow_redirects=False)
    assert signed.status_code == 303
    assert first.get("/api/signals", headers=cookie).status_code == 200
    assert second.get("/api/signals", headers=cookie).status_code == 401  # not its token's
