"""FRED served from recorded responses through an httpx ``MockTransport``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx


@dataclass
class FakeFred:
    """Answers ``fredgraph.csv?id=SERIES`` from ``csv_by_series``; records every request.

    ``responder`` (optional) can return a response first, to simulate 429s, 5xx or timeouts.
    """

    csv_by_series: dict[str, str]
    responder: Callable[[httpx.Request], httpx.Response | None] | None = None
    requests: list[httpx.Request] = field(default_factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.responder is not None:
            response = self.responder(request)
            if response is not None:
                return response
        series = request.url.params.get("id") or request.url.params.get("series_id", "")
        if series not in self.csv_by_series:
            return httpx.Response(404, text="Series does not exist")
        return httpx.Response(
            200, text=self.csv_by_series[series], headers={"content-type": "text/csv"}
        )

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.handle))


def recorded(data_dir: Path, *series: str) -> dict[str, str]:
    """The recorded CSV responses of ``series`` from the data folder."""
    return {s: (data_dir / "fred" / f"{s}.csv").read_text() for s in series}
