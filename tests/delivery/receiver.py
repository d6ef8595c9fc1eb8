"""A real HTTP webhook receiver on loopback that verifies signatures like a user would."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.delivery.readme_code import readme_verify


class _Server(ThreadingHTTPServer):
    # Concurrent dispatchers open dozens of connections at once; the default backlog of 5 can
    # overflow on a loaded machine, and a dropped SYN costs seconds of retransmission.
    request_queue_size = 128


@dataclass
class Reply:
    """What the receiver answers to one request."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    body: bytes = b""  # e.g. the JSON a Bot API or PagerDuty answers with


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signature_ok: bool | None


class Receiver:
    """Records every request; answers from a script of replies, then ``default``.

    With a ``secret``, each request is verified with the README's code at ``clock()`` and a bad
    signature is answered 401 and counted.
    """

    def __init__(self, secret: str | None = None, port: int = 0) -> None:
        self.secret = secret
        self.script: deque[Reply] = deque()
        self.default = Reply()
        self.requests: list[Received] = []
        self.accepted_ids: list[str] = []
        self.clock = time.time
        self._verify = readme_verify()
        self._lock = threading.Lock()
        self.server = _Server(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def bad_signatures(self) -> int:
        return sum(1 for r in self.requests if r.signature_ok is False)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _reply(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            reply = self.script.popleft() if self.script else self.default
            if received.signature_ok is False:
                reply = Reply(401)
            if 200 <= reply.status < 300:
                self.accepted_ids.append(received.headers.get("webhook-id", ""))
            return reply

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                ok = None
                if receiver.secret is not None:
                    ok = receiver._verify(receiver.secret, self.headers, body, now=receiver.clock())
                headers = {k.lower(): v for k, v in self.headers.items()}
                reply = receiver._reply(Received(self.path, headers, body, ok))
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler
