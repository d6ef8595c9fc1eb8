"""HTTP errors: one handler renders every error the same way.

The body is always ``{"error": message, "status": code}`` (a 422 adds FastAPI's ``detail``
list), for an unknown path or method too. Every firealarm error carries its HTTP status
(:mod:`monitor.errors`: a database that cannot be reached is 503, an unknown signal 404), so a
bad request is never a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from monitor.errors import FirealarmError, ParameterError


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    """The one shape of every error body."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = {"error": message, "status": status, **extra}
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Render firealarm's errors, routing errors and invalid parameters as JSON."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, FirealarmError)
        message = f"{exc.parameter}: {exc}" if isinstance(exc, ParameterError) else str(exc)
        return error_response(exc.http_status, message)

    async def invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'][1:]) or error['loc'][0]}: {error['msg']}"
            for error in exc.errors()
        )
        # ``detail`` keeps FastAPI's documented shape for clients that read it.
        return error_response(422, problems, detail=exc.errors())

    async def routing(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)  # no route, method not allowed, no static file
        response = error_response(exc.status_code, f"{exc.detail}: {request.url.path}")
        response.headers.update(exc.headers or {})  # e.g. Allow on a 405
        return response

    app.add_exception_handler(HTTPException, routing)
    app.add_exception_handler(FirealarmError, handle)
    app.add_exception_handler(RequestValidationError, invalid)
