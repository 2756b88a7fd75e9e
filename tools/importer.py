"""``import``: accounts, contacts, contracts, deals and historical usage from a CSV or JSON Lines file,
through the same APIs (and validation) as any caller, with a progress bar (rate, ETA), a summary, the
rejected rows written to a file with their reasons, resumable after an interruption (the state is saved
after each acknowledged batch; ``--restart`` starts over) and idempotent (each row's message id derives
from its content: a row sent again is the same event, and a finished file is not sent again).

Signals and usage go to ingest with a source's write key (``--write-key`` or ``BELLWETHER_WRITE_KEY``),
contracts to renewals with an API key (``--api-key`` or ``RENEWALS_API_KEY``)."""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import httpx
import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from tools.import_rows import KINDS, RowError, State, count_rows, message, message_id, rejected_line, rows

console = Console()


class Retry(Exception):
    """A 429 or 5xx (or no answer): the batch is sent again after ``after`` seconds."""

    def __init__(self, after: float) -> None:
        self.after = after


@dataclass
class Run:
    kind: str
    http: httpx.AsyncClient
    url: str
    headers: dict[str, str]
    rejected_file: Any
    state: State
    state_path: Path
    done_lines: dict[int, int] = field(default_factory=dict)  # batch number → rows in it (acknowledged)


def _answer(r: httpx.Response) -> dict[str, Any]:
    if r.status_code == 429 or r.status_code >= 500:
        raise Retry(float(r.headers.get("Retry-After", "1")))
    if r.status_code >= 400 and r.status_code not in (400, 403, 409, 422):
        raise typer.BadParameter(f"{r.status_code} from {r.request.url}: {r.text[:300]}")
    return dict(r.json())


def _refusal(doc: dict[str, Any], text: str) -> dict[str, Any]:
    """A 4xx answer as a rejected row: the field and the reason, as the API named them."""
    first = (doc.get("errors") or [{}])[0]
    field = doc.get("field") or first.get("field", "")
    return {"index": 0, "field": field, "reason": first.get("reason") or doc.get("message", text[:300])}


@retry(
    stop=stop_after_attempt(30),
    reraise=True,
    retry=retry_if_exception_type((Retry, httpx.TransportError)),
    wait=wait_exponential(multiplier=0.2, max=10),
)
async def _request(http: httpx.AsyncClient, method: str, url: str, content: bytes, headers: dict[str, str]) -> Any:
    """One request, retried on 429, 5xx and no answer; (status, parsed body, text)."""
    r = await http.request(method, url, content=content, headers=headers)
    return r.status_code, _answer(r), r.text if r.status_code >= 400 else ""


async def _post(run: Run, path: str, body: Any, *, method: str = "POST") -> dict[str, Any]:
    status, doc, text = await _request(run.http, method, f"{run.url}{path}", orjson.dumps(body), run.headers)
    return dict(doc) if status < 400 else {"accepted": 0, "rejected": [_refusal(doc, text)]}


Item = tuple[int, dict[str, Any], dict[str, Any] | RowError]  # (line, row, its message or why it has none)


async def _send(run: Run, items: list[Item]) -> tuple[int, int]:
    """(accepted, rejected) of one batch; rejected rows go to the file with their reasons (the rows no
    message could be made of, and those the API refused)."""
    batch: list[tuple[int, dict[str, Any], dict[str, Any]]] = []
    for line, row, made in items:
        if isinstance(made, RowError):
            run.rejected_file.write(rejected_line(line, row, made.field, made.reason))
        else:
            batch.append((line, row, made))
    local = len(items) - len(batch)
    messages = [m for _, _, m in batch]
    if not messages:
        return 0, local
    if run.kind == "contracts":
        answers = [await _post(run, f"/v1/contracts/{m.get('contract_id', '')}", m, method="PUT") for m in messages]
        refused = [(i, a["rejected"][0]) for i, a in enumerate(answers) if "rejected" in a]
    else:
        path = "/v1/import" if run.kind == "usage" else "/v1/signals"
        answer = await _post(run, path, {"batch": messages})
        refused = [(r["index"], r) for r in answer.get("rejected", [])]
    for index, r in refused:
        line, row, _ = batch[index]
        run.rejected_file.write(rejected_line(line, row, r.get("field", ""), r.get("reason", "")))
    return len(batch) - len(refused), len(refused) + local


def _batches(path: Path, kind: str, size: int, skip: int) -> Iterator[list[Item]]:
    batch = list[Item]()
    for n, (line, row, raw) in enumerate(rows(path)):
        if n < skip:
            continue
        mid = message_id(kind, line, raw)
        made: dict[str, Any] | RowError
        try:
            made = message(kind, row, mid)
        except RowError as exc:
            made = exc
        batch.append((line, row, made))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _run(run: Run, path: Path, size: int, parallel: int, progress: Progress, task: Any) -> None:
    """Batches in flight ``parallel`` at a time; the state advances only over a contiguous prefix of
    acknowledged batches, so a resumed run never skips an unacknowledged one."""
    pending: dict[int, int] = {}
    next_to_commit = 0
    limiter = asyncio.Semaphore(parallel)

    async def one(number: int, batch: list[Item]) -> None:
        nonlocal next_to_commit
        async with limiter:
            accepted, rejected = await _send(run, batch)
        run.state.accepted += accepted
        run.state.rejected += rejected
        pending[number] = len(batch)
        while next_to_commit in pending:
            run.state.rows_done += pending.pop(next_to_commit)
            next_to_commit += 1
        run.state.save(run.state_path)
        progress.update(task, completed=run.state.rows_done)

    tasks: set[asyncio.Task[None]] = set()
    for seq, batch in enumerate(_batches(path, run.kind, size, run.state.rows_done)):
        while len(tasks) >= parallel * 2:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            tasks -= done
            for t in done:
                t.result()
        tasks.add(asyncio.create_task(one(seq, batch)))
    if tasks:
        await asyncio.gather(*tasks)


def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a .csv or .jsonl file")],
    kind: Annotated[str, typer.Option(help="accounts, contacts, deals, contracts or usage")],
    write_key: Annotated[str, typer.Option(envvar="BELLWETHER_WRITE_KEY", help="the source's write key")] = "",
    api_key: Annotated[str, typer.Option(envvar="RENEWALS_API_KEY", help="renewals API key (contracts)")] = "",
    url: Annotated[str, typer.Option(help="ingest's (or for contracts renewals') base URL")] = "",
    batch: Annotated[int, typer.Option(min=1, max=2500, help="rows per request")] = 1000,
    parallel: Annotated[int, typer.Option(min=1, max=16, help="requests in flight")] = 4,
    rejected: Annotated[Path | None, typer.Option(help="where rejected rows go (default FILE.rejected.jsonl)")] = None,
    restart: Annotated[bool, typer.Option(help="ignore the saved state and send every row again")] = False,
) -> None:
    """Import FILE; rerun the same command to resume after an interruption."""
    if kind not in KINDS:
        raise typer.BadParameter(f"--kind: one of {', '.join(KINDS)}")
    contracts = kind == "contracts"
    base = url or ("http://127.0.0.1:8083" if contracts else "http://127.0.0.1:8081")
    headers = {"Authorization": f"Bearer {api_key if contracts else write_key}", "Content-Type": "application/json"}
    state_path = file.with_name(file.name + ".import-state")
    state = (
        State(State.fingerprint_of(file, kind)) if restart else State.load(state_path, State.fingerprint_of(file, kind))
    )
    if state.finished:
        console.print(
            f"[yellow]{file.name} was imported already[/yellow] ({state.accepted:,} accepted, "
            f"{state.rejected:,} rejected): nothing to do; --restart sends it again"
        )
        return
    gc.freeze()  # what is loaded lives as long as the run: the collector need not scan it again
    total, started, resumed = count_rows(file), time.monotonic(), state.rows_done
    rejected_path = rejected or file.with_name(file.name + ".rejected.jsonl")
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress, rejected_path.open("ab" if resumed else "wb") as out:
        task = progress.add_task(f"{kind} from {file.name}", total=total, completed=resumed, rate="")

        async def go() -> None:
            limits = httpx.Limits(max_connections=parallel)
            async with httpx.AsyncClient(timeout=60, limits=limits) as http:
                run = Run(kind, http, base, headers, out, state, state_path)
                ticker = asyncio.create_task(_tick(progress, task, started, resumed, state))
                try:
                    await _run(run, file, batch, parallel, progress, task)
                finally:
                    ticker.cancel()

        asyncio.run(go())
    state.finished = True
    state.save(state_path)
    _summary(kind, file, state, resumed, time.monotonic() - started, rejected_path)


async def _tick(progress: Progress, task: Any, started: float, resumed: int, state: State) -> None:
    while True:
        rate = (state.rows_done - resumed) / max(time.monotonic() - started, 1e-6)
        progress.update(task, rate=f"{rate:,.0f} rows/s")
        await asyncio.sleep(0.5)


def _summary(kind: str, file: Path, state: State, resumed: int, elapsed: float, rejected_path: Path) -> None:
    table = Table(title=f"{kind} from {file.name}")
    table.add_column("")
    table.add_column("rows", justify="right")
    table.add_row("accepted", f"{state.accepted:,}")
    table.add_row("rejected", f"{state.rejected:,}" + (f" (see {rejected_path})" if state.rejected else ""))
    if resumed:
        table.add_row("done before (resumed)", f"{resumed:,}")
    table.add_row("rate", f"{(state.rows_done - resumed) / max(elapsed, 1e-6):,.0f} rows/s over {elapsed:,.1f} s")
    console.print(table)
