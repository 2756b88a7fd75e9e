"""HTTP pieces every service shares: probes, Prometheus endpoint, JSON error bodies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import asyncpg
import orjson
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse as StarletteJSONResponse


class JSONResponse(StarletteJSONResponse):
    """JSON serialised with orjson (datetimes, UUIDs and dataclasses included). A subclass of Starlette's
    JSONResponse, so FastAPI documents each route's response model in the OpenAPI schema."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        from bellwether_shared.db import json_default

        return orjson.dumps(content, default=json_default, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS)


class ApiError(Exception):
    """An error with a stable machine-readable code, rendered as ``{code, message, ...}``."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None, **extra: object
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
        self.extra = extra


MAX_TEXT = 10_000  # any free-text field of a request (names, notes, reasons): longer is a 422


class RequestModel(BaseModel):
    """The base of every request body: an unknown field is refused, and so is any text longer than
    ``MAX_TEXT`` (a 422 naming the field). A subclass's own ``model_config`` adds to this one."""

    model_config = ConfigDict(extra="forbid", str_max_length=MAX_TEXT)


# every list endpoint pages: at most 1,000 rows a page
Limit = Annotated[int, Query(ge=1, le=1000, description="rows per page (at most 1,000)")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="rows to skip")]


def inline_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its local ``#/$defs/...`` references replaced by what they name, for use inside
    an OpenAPI document (where ``$defs`` of a fragment are not resolvable). The models are not recursive."""
    defs = schema.get("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return resolve(defs[ref.removeprefix("#/$defs/")]) | rest
            return {k: resolve(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    return dict(resolve(schema))


def _field(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def error_response(exc: ApiError) -> JSONResponse:
    """The one shape of every error answer: ``{code, message, ...}`` with the error's status and headers."""
    return JSONResponse(
        {"code": exc.code, "message": exc.message, **exc.extra}, status_code=exc.status, headers=exc.headers
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field(tuple(e["loc"])), "reason": e["msg"].removeprefix("Value error, ")} for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "body", "reason": "invalid"}
        return JSONResponse(
            {"code": "validation_error", "message": f"{first['field']}: {first['reason']}", "errors": errors},
            status_code=422,
        )

    @app.exception_handler(asyncpg.PostgresError)
    @app.exception_handler(asyncpg.InterfaceError)
    async def _database(_: Request, exc: Exception) -> JSONResponse:
        """A database that is briefly unwell (a deadlock, a failover, too many connections) is a 503 the
        caller retries, never a 500; anything else is a bug and re-raised (a 500 with its traceback)."""
        from bellwether_shared.retry import transient

        if not transient(exc):
            raise exc
        what = type(exc).__name__
        return JSONResponse(
            {"code": "unavailable", "message": f"the database is briefly unavailable ({what}); retry"},
            status_code=503,
            headers={"Retry-After": "1"},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"code": f"http_{exc.status_code}", "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


def new_app(*, title: str, description: str, lifespan: Any) -> FastAPI:
    """A service's FastAPI app: orjson responses and the shared JSON error bodies."""
    app = FastAPI(
        title=title, version="1.0.0", description=description, lifespan=lifespan, default_response_class=JSONResponse
    )
    install_error_handlers(app)
    return app


def install_probes(
    app: FastAPI,
    *,
    readiness: Callable[[], Awaitable[dict[str, bool]]],
    dead: Callable[[], list[str]],
) -> None:
    """``/livez``: the process can still do its work: no background loop has failed without a
    success for its bound (never checks dependencies). ``/readyz``: every readiness check passes."""

    @app.get("/livez", include_in_schema=False)
    async def livez() -> JSONResponse:
        try:
            stuck = dead()
        except LookupError:  # still starting
            stuck = []
        if stuck:
            return JSONResponse({"status": "failing", "loops": stuck}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        try:
            results = await readiness()
        except LookupError:
            results = {"started": False}
        ok = all(results.values())
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "checks": results}, status_code=200 if ok else 503
        )

    @app.get("/metrics", include_in_schema=False)
    async def prometheus_metrics() -> Response:
        from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
