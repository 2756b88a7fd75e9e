"""Playbooks: named, versioned lists of steps (title, description, due offset, role, optionally the
exposure level a step is for). Reading them is a viewer's; defining them an admin's (every change is a new
version; tasks keep the version they opened with)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from bellwether_shared.http import ApiError, Limit, Offset
from bellwether_shared.paging import page
from notifications import directory, task_repository as repo
from notifications.deps import Configurer, Reader
from notifications.schemas import PlaybookIn

router = APIRouter(prefix="/v1", tags=["playbooks"], responses={401: {"description": "missing or wrong token"}})
PlaybookId = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9_.-]*$")]


@router.get("/playbooks", summary="Current version of every active playbook")
async def list_playbooks(acting: Reader, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        rows = await repo.playbooks(conn, limit=limit, offset=offset)
    return page(rows, limit=limit, offset=offset, legacy="playbooks")


@router.get("/playbooks/{playbook_id}", summary="A playbook's versions, newest first")
async def get_playbook(playbook_id: PlaybookId, acting: Reader) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        versions = await repo.playbook_versions(conn, playbook_id=playbook_id)
    if not versions:
        raise ApiError(404, "not_found", f"playbook_id: no playbook '{playbook_id}'")
    return {"playbook_id": playbook_id, "current": versions[0], "versions": versions}


@router.put("/playbooks/{playbook_id}", summary="Create a playbook or add a version of it")
async def put_playbook(playbook_id: PlaybookId, body: PlaybookIn, acting: Configurer) -> dict[str, Any]:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        return await directory.put_playbook(conn, playbook_id=playbook_id, playbook=body)


@router.delete("/playbooks/{playbook_id}", status_code=204, summary="Retire a playbook (its tasks stay)")
async def retire_playbook(playbook_id: PlaybookId, acting: Configurer) -> None:
    rt = acting.rt
    async with rt.pool.acquire() as conn:
        if not await directory.retire_playbook(conn, playbook_id=playbook_id):
            raise ApiError(404, "not_found", f"playbook_id: no active playbook '{playbook_id}'")
