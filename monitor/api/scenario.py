"""``/api/scenario``: the credit-loss model, every input a query parameter named as in the model."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field, create_model

from monitor.api.responses import FormatQuery, json_response, table_response, wants_csv
from monitor.scenario import (
    INPUT_HELP,
    ScenarioInputs,
    input_bounds,
    run_scenario,
    scenario_record,
)

router = APIRouter(prefix="/api")

_DEFAULTS = asdict(ScenarioInputs())


def _bounds(name: str) -> dict[str, float]:
    low, high = input_bounds(name)
    return {"ge": low, "le": high}


# The bounds are in the OpenAPI document, so a request the model cannot use is a 422 up front.
ScenarioQuery: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "ScenarioQuery",
    **{
        f.name: (
            float,
            Field(_DEFAULTS[f.name], description=INPUT_HELP[f.name], **_bounds(f.name)),  # type: ignore[call-overload]
        )
        for f in fields(ScenarioInputs)
    },
)


@router.get(
    "/scenario",
    response_model=dict[str, float | str],
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
    },
)
def scenario(
    request: Request,
    params: Annotated[ScenarioQuery, Query()],
    fmt: FormatQuery = None,
) -> Response:
    """The essay's credit-loss scenario: each input, each loss, the bank capital write-down and
    the essay's reference figures beside them (like `firealarm scenario`)."""
    inputs = ScenarioInputs(**params.model_dump())
    result = run_scenario(inputs)
    record = scenario_record(inputs, result)
    if wants_csv(request, fmt):
        return table_response(request, [record], list(record), fmt, name="scenario")
    return json_response(record)
