"""``dlq``: dead letters an operator can act on. ``list`` (per consumer, with the error), ``show``
one, ``replay`` a selection to its original topic (``--dry-run`` lists what would go).

Kafka is ``KAFKA_BOOTSTRAP_SERVERS`` (default the development broker), with the services' TLS and SASL
variables (``KAFKA_SECURITY_PROTOCOL``, ``KAFKA_SASL_*``, ``KAFKA_SSL_*``)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from bellwether_shared import dlq_ops, kafka_conn
from bellwether_shared.dlq_ops import DeadLetter
from bellwether_shared.kafka_conn import KafkaConnection

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)
console = Console()

Consumer = Annotated[str | None, typer.Option(help="only this consumer group's dead letters")]
Topic = Annotated[str | None, typer.Option(help="only records from this original topic")]
ErrorType = Annotated[str | None, typer.Option("--error-type", help="only this error type, e.g. ValidationError")]
Since = Annotated[datetime | None, typer.Option(help="dead-lettered at or after (ISO time)")]
Until = Annotated[datetime | None, typer.Option(help="dead-lettered before (ISO time)")]


def _kafka() -> KafkaConnection:
    return kafka_conn.from_environment()


def _selected(
    consumer: str | None,
    topic: str | None,
    error_type: str | None,
    since: datetime | None,
    until: datetime | None,
    refs: list[str] | None = None,
) -> list[DeadLetter]:
    letters = asyncio.run(dlq_ops.read_all(_kafka()))
    return dlq_ops.select(
        letters, consumer=consumer, topic=topic, error_type=error_type, since=since, until=until, refs=refs
    )


def _table(letters: list[DeadLetter]) -> Table:
    table = Table("ref", "consumer", "original topic", "event id", "error", "failed at")
    for d in letters:
        error = f"{d.error_type}: {d.header('dlq_error') or ''}"
        table.add_row(
            d.ref, d.consumer or "?", d.original_topic, d.event_id or "-", error[:80], d.header("dlq_failed_at")
        )
    return table


@app.command("list")
def list_(
    consumer: Consumer = None,
    topic: Topic = None,
    error_type: ErrorType = None,
    since: Since = None,
    until: Until = None,
) -> None:
    """Dead letters, with counts per consumer and error type."""
    letters = _selected(consumer, topic, error_type, since, until)
    counts: dict[tuple[str, str], int] = {}
    for d in letters:
        k = (d.consumer or "?", d.error_type or "?")
        counts[k] = counts.get(k, 0) + 1
    summary = Table("consumer", "error type", "dead letters")
    for (c, e), n in sorted(counts.items()):
        summary.add_row(c, e, str(n))
    console.print(summary)
    console.print(_table(letters))


@app.command()
def show(ref: Annotated[str, typer.Argument(help="<dlq topic>:<partition>:<offset>, as `list` prints it")]) -> None:
    """One dead letter: every header and the value."""
    found = _selected(None, None, None, None, None, [ref])
    if not found:
        console.print(f"no dead letter {ref}")
        raise typer.Exit(1)
    d = found[0]
    for k, v in d.headers:
        console.print(f"[bold]{k}[/bold]: {v.decode(errors='replace')}", markup=True, highlight=False)
    console.print(f"[bold]key[/bold]: {(d.key or b'').decode(errors='replace')}", highlight=False)
    console.print(d.value.decode(errors="replace"), markup=False, highlight=False)


Refs = Annotated[list[str] | None, typer.Option("--ref", help="only these (repeatable)")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="list what would be replayed")]


@app.command()
def replay(
    consumer: Consumer = None,
    topic: Topic = None,
    error_type: ErrorType = None,
    since: Since = None,
    until: Until = None,
    ref: Refs = None,
    dry_run: DryRun = False,
) -> None:
    """Send the selected dead letters back to their original topics (same key, headers, event id)."""
    letters = _selected(consumer, topic, error_type, since, until, ref)
    console.print(_table(letters))
    if dry_run:
        console.print(f"dry run: {len(letters)} dead letter(s) would be replayed")
        return
    sent = asyncio.run(dlq_ops.replay(_kafka(), letters))
    console.print(f"replayed {sent} dead letter(s)")
