"""Admin API (Bearer admin token): sources and their write keys, and the rejected-event list."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query

from bellwether_shared.http import ApiError, JSONResponse, Limit, Offset
from bellwether_shared.paging import Page, cursor_page, page
from ingest import repository, schemas, source_config, source_repository as sources
from ingest.deps import Configurer, Reader
from ingest.domain.adapters import registry

router = APIRouter(prefix="/v1", tags=["admin"], responses={401: {"model": schemas.Error}})


def no_source(source_id: str) -> ApiError:
    return ApiError(404, "not_found", f"source_id: no source '{source_id}'")


def _out(src: sources.Source) -> dict[str, object]:
    return schemas.SourceOut.model_validate(src, from_attributes=True).model_dump(mode="json")


@router.post(
    "/sources",
    status_code=201,
    response_model=schemas.SourceCreated,
    summary="Create a source; its write key is shown once",
)
async def create_source(body: schemas.SourceCreate, acting: Configurer) -> JSONResponse:
    rt = acting.rt
    if found := registry.problems(body.kind, body.config):
        raise ApiError(422, "invalid_config", f"config.{found[0].field}: {found[0].reason}", field=found[0].field)
    async with rt.pool.acquire() as conn:
        src, key = await source_config.create_source(
            conn,
            name=body.name,
            kind=body.kind,
            config=body.config,
            rate_limit_eps=body.rate_limit_eps or rt.settings.default_rate_limit_eps,
            burst=body.burst or max(rt.settings.default_burst, body.rate_limit_eps or 0),
            scopes=body.scopes,
            accounts=body.accounts,
        )
    return JSONResponse(_out(src) | {"write_key": key}, status_code=201)


@router.get("/sources", response_model=Page[schemas.SourceOut], summary="List sources (never their keys)")
async def list_sources(
    acting: Reader, include_revoked: bool = True, limit: Limit = 100, offset: Offset = 0
) -> dict[str, object]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await sources.list_sources(conn, include_revoked=include_revoked)
    return page([_out(s) for s in rows][offset : offset + limit], limit=limit, offset=offset)


@router.get("/sources/{source_id}", response_model=schemas.SourceOut, responses={404: {"model": schemas.Error}})
async def get_source(source_id: str, acting: Reader) -> dict[str, object]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        src = await sources.get_source(conn, source_id=source_id)
    if src is None:
        raise no_source(source_id)
    return _out(src)


@router.patch(
    "/sources/{source_id}",
    response_model=schemas.SourceOut,
    responses={404: {"model": schemas.Error}},
    summary="Change what a source's write key may write (scopes, accounts); applies at once",
)
async def update_grant(source_id: str, body: schemas.SourceGrant, acting: Configurer) -> dict[str, object]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        src = await source_config.update_grant(conn, source_id=source_id, scopes=body.scopes, accounts=body.accounts)
    if src is None:
        raise no_source(source_id)
    rt.auth.forget(source_id)
    return _out(src)


@router.post(
    "/sources/{source_id}/revoke",
    response_model=schemas.SourceOut,
    responses={404: {"model": schemas.Error}},
    summary="Revoke a source's write key (401 from then on)",
)
async def revoke_source(source_id: str, acting: Configurer) -> dict[str, object]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        src = await source_config.revoke(conn, source_id=source_id)
    if src is None:
        raise no_source(source_id)
    rt.auth.forget(source_id)
    return _out(src)


@router.put(
    "/sources/{source_id}/signing-secret",
    response_model=schemas.SigningSecretOut,
    responses={404: {"model": schemas.Error}, 409: {"model": schemas.Error}},
    summary="Set the secret the source's requests are signed with (shown once); from now on they must be signed",
)
async def set_signing_secret(source_id: str, body: schemas.SigningSecretIn, acting: Configurer) -> dict[str, str]:
    rt = acting.rt
    if rt.box is None:
        raise ApiError(409, "secrets_key_missing", "secret: SECRETS_KEY is not set; signing secrets cannot be kept")
    secret = body.secret or secrets.token_urlsafe(32)
    async with rt.pool.acquire() as conn:
        src = await source_config.set_signing_secret(conn, source_id=source_id, sealed=rt.box.seal(secret))
    if src is None:
        raise no_source(source_id)
    rt.auth.forget(source_id)
    return {"source_id": source_id, "signing_secret": secret}


@router.delete(
    "/sources/{source_id}/signing-secret",
    status_code=204,
    responses={404: {"model": schemas.Error}},
    summary="Stop checking the source's signatures",
)
async def drop_signing_secret(source_id: str, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        src = await source_config.set_signing_secret(conn, source_id=source_id, sealed=None)
    if src is None:
        raise no_source(source_id)
    rt.auth.forget(source_id)


@router.get("/rejected", response_model=schemas.RejectedPage, summary="Events that failed validation, newest first")
async def list_rejected(
    acting: Reader,
    source_id: str | None = None,
    before_id: Annotated[int | None, Query(ge=1)] = None,
    limit: Limit = 100,
) -> JSONResponse:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await repository.list_rejections(conn, source_id=source_id, before_id=before_id, limit=limit)
    items = [{k: v for k, v in r.items() if k != "idx"} | {"index": r["idx"]} for r in rows]
    return JSONResponse(schemas.RejectedPage.model_validate(cursor_page(items, limit=limit)).model_dump(mode="json"))
