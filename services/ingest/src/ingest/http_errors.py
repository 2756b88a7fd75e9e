"""The one place where ingest's domain errors become HTTP answers (``install`` registers the handler)."""

from __future__ import annotations

from fastapi import FastAPI, Request

from bellwether_shared.http import ApiError, JSONResponse, error_response
from ingest.domain.errors import Forbidden, IngestError, Invalid, Unauthorised, Unavailable, WrongSource

STATUS: dict[type[IngestError], int] = {
    Invalid: 400,
    Unauthorised: 401,
    Forbidden: 403,
    WrongSource: 409,
    Unavailable: 503,
}


def to_http(exc: IngestError, *, retry_after_s: int) -> ApiError:
    status = next(code for kind, code in STATUS.items() if isinstance(exc, kind))
    headers = {"Retry-After": str(retry_after_s)} if isinstance(exc, Unavailable) else None
    extra = {"field": exc.field} if exc.field else {}
    return ApiError(status, exc.code, exc.message, headers=headers, **extra)


def install(app: FastAPI, *, retry_after_s: int) -> None:
    @app.exception_handler(IngestError)
    async def _domain_error(_: Request, exc: IngestError) -> JSONResponse:
        return error_response(to_http(exc, retry_after_s=retry_after_s))
