"""An HTTP API served from recorded responses through an httpx ``MockTransport``."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

RECORDED = Path(__file__).parent.parent / "sources" / "recorded"


@dataclass
class FakeApi:
    """Answers every request with ``responder``'s response; records the requests."""

    responder: Callable[[httpx.Request], httpx.Response]
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.responder(request)

    def client(self, **options: object) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle), **options)  # type: ignore[arg-type]


def serving(body: object, status: int = 200) -> FakeApi:
    """A fake answering every request with ``body`` as JSON."""
    return FakeApi(lambda request: httpx.Response(status, json=body))


def recorded(name: str) -> object:
    """A recorded response body from ``tests/sources/recorded``."""
    return json.loads((RECORDED / name).read_text())


def failing(exception: Exception) -> FakeApi:
    """A fake whose every request raises ``exception`` (a network failure)."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise exception

    return FakeApi(fail)
