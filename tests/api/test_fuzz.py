"""schemathesis fuzzes the API against its own OpenAPI document: no 500s, shapes as documented."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from monitor.api import create_app
from monitor.runtime import Runtime, open_runtime
from tests.api.seed import seed


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.Schema]:
    path: Path = tmp_path_factory.mktemp("fuzz") / "firealarm.db"
    runtime = open_runtime(None, f"sqlite:///{path}")
    seed(runtime.engine)
    # schemathesis calls the app as http://testserver: a name this server is told it has.
    server = runtime.config.server.model_copy(update={"allowed_hosts": ["testserver"]})
    runtime = Runtime(runtime.config.model_copy(update={"server": server}), runtime.engine)
    yield schemathesis.openapi.from_asgi("/openapi.json", create_app(runtime, api_token=""))
    runtime.close()


def test_api_conforms_to_its_openapi_document(api_schema: schemathesis.Schema) -> None:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 9
    for operation in operations:

        @given(case=operation.as_strategy())
        # Derandomized: the same cases every run, so a failure in CI is reproducible.
        @settings(
            max_examples=40,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate()

        check()
