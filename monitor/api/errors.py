"""HTTP errors: each exception carries its status, and one handler renders every one the same way.

The body is always ``{"error": message, "status": code}`` (a 422 adds FastAPI's ``detail``
list), for an unknown path or method too. Domain errors raised below the API map to a status
here (a database that cannot be reached is 503), so a bad request is never a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from monitor.errors import ConfigError, FirealarmError, QueryError, StoreError


class ApiError(Exception):
    """An error with the HTTP status it is answered with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ApiError):
    status = 404


class Unauthorized(ApiError):
    status = 401


DOMAIN_STATUS: list[tuple[type[FirealarmError], int]] = [
    (StoreError, 503),
    (QueryError, 400),
    (ConfigError, 400),
]


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    """The one shape of every error body."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    body = {"error": message, "status": status, **extra}
    return JSONResponse(jsonable_encoder(body), status_code=status, headers=headers)


def status_of(exc: Exception) -> int:
    """The HTTP status for an exception raised while answering."""
    if isinstance(exc, ApiError):
        return exc.status
    for kind, status in DOMAIN_STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def install_error_handlers(app: FastAPI) -> None:
    """Render :class:`ApiError` and domain errors as JSON with their status."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        return error_response(status_of(exc), str(exc))

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

    app.add_exception_handler(ApiError, handle)
    app.add_exception_handler(HTTPException, routing)
    app.add_exception_handler(FirealarmError, handle)
    app.add_exception_handler(RequestValidationError, invalid)
