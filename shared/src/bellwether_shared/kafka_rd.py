"""Publishing through librdkafka (confluent-kafka), for the one producer on a hot path: ingest's.

Same contract as :func:`bellwether_shared.kafka.publish`: every envelope acknowledged by every in-sync
replica (acks=all, idempotent), or :class:`PublishTimeout`; records keyed and partitioned exactly as
Kafka's Java client does (``murmur2_random``: murmur2 of the key, a random partition without one), so an
account's events land on the same partition whichever producer wrote them; the CloudEvents headers and
the W3C trace context in each record. Batching is librdkafka's own (``linger.ms``), in C: a record
costs about half the CPU of aiokafka's path (``bench/kafka_clients.py``).

librdkafka calls back from the thread that polls it; each publish() counts its acknowledgements
there and wakes its caller once, on the event loop."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence
from typing import Any

from confluent_kafka import KafkaError as RdError, KafkaException, Producer
from opentelemetry import trace

from bellwether_shared.envelope import Envelope
from bellwether_shared.kafka import PublishTimeout, trace_headers
from bellwether_shared.kafka_conn import Kafka
from bellwether_shared.logging import get_logger

log = get_logger(__name__)
_tracer = trace.get_tracer(__name__)


def rd_config(kafka: Kafka) -> dict[str, Any]:
    """librdkafka's names for the connection (bootstrap, TLS, SASL) the settings describe."""
    if isinstance(kafka, str):
        return {"bootstrap.servers": kafka}
    conf: dict[str, Any] = {
        "bootstrap.servers": kafka.kafka_bootstrap_servers,
        "security.protocol": kafka.kafka_security_protocol.lower(),
    }
    if kafka.tls:
        conf |= {
            k: v
            for k, v in {
                "ssl.ca.location": kafka.kafka_ssl_cafile,
                "ssl.certificate.location": kafka.kafka_ssl_certfile,
                "ssl.key.location": kafka.kafka_ssl_keyfile,
            }.items()
            if v
        }
        conf["ssl.endpoint.identification.algorithm"] = "https" if kafka.kafka_ssl_check_hostname else "none"
    if kafka.kafka_security_protocol.startswith("SASL_"):
        assert kafka.kafka_sasl_password is not None  # the settings checked it
        conf |= {
            "sasl.mechanism": kafka.kafka_sasl_mechanism,
            "sasl.username": kafka.kafka_sasl_username,
            "sasl.password": kafka.kafka_sasl_password.get_secret_value(),
        }
    return conf


class _Acks:
    """One publish() call: done when each of its records is acknowledged, failed at the first error."""

    __slots__ = ("future", "loop", "remaining")

    def __init__(self, loop: asyncio.AbstractEventLoop, n: int) -> None:
        self.loop = loop
        self.future: asyncio.Future[None] = loop.create_future()
        self.remaining = n

    def delivered(self, err: RdError | None, _msg: object) -> None:  # on the polling thread
        if err is not None:
            self.loop.call_soon_threadsafe(self._fail, KafkaException(err))
            return
        self.remaining -= 1
        if self.remaining == 0:
            self.loop.call_soon_threadsafe(self._done)

    def _done(self) -> None:
        if not self.future.done():
            self.future.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        if not self.future.done():
            self.future.set_exception(exc)


class RdPublisher:
    """A librdkafka producer and the thread that polls it for acknowledgements."""

    def __init__(self, kafka: Kafka, *, client_id: str, linger_ms: int = 5, request_timeout_ms: int = 10_000) -> None:
        self.producer = Producer(
            rd_config(kafka)
            | {
                "client.id": client_id,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": linger_ms,
                "batch.size": 512 * 1024,
                "message.max.bytes": 2 * 1024 * 1024,
                "request.timeout.ms": request_timeout_ms,
                "partitioner": "murmur2_random",
                "logger": logging.getLogger("librdkafka"),  # its log lines through ours (JSON, scrubbed), not stderr
            }
        )
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="librdkafka-poll", daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.is_set():
            if not self.connected.is_set():
                self._connect()
            self.producer.poll(0.1)

    def _connect(self) -> None:
        try:
            self.producer.list_topics(timeout=2)
        except KafkaException as exc:
            log.warning("Kafka not reachable yet; retrying", error=str(exc))
            return
        self.connected.set()
        log.info("connected to Kafka (librdkafka)")

    async def publish(self, envelopes: Sequence[Envelope], *, timeout_s: float) -> None:
        if not envelopes:
            return
        with _tracer.start_as_current_span("kafka publish", kind=trace.SpanKind.PRODUCER) as span:
            span.set_attribute("messaging.system", "kafka")
            span.set_attribute("messaging.batch.message_count", len(envelopes))
            acks = _Acks(asyncio.get_running_loop(), len(envelopes))
            current = trace_headers()
            for env in envelopes:
                traced = [(k, v.encode()) for k, v in env.trace.items()] if env.trace else current
                headers: list[tuple[str, str | bytes | None]] = [*env.headers(), *traced]
                await self._produce(env, headers, acks)
            try:
                async with asyncio.timeout(timeout_s):
                    await asyncio.shield(acks.future)
            except TimeoutError as exc:
                raise PublishTimeout(f"Kafka did not acknowledge within {timeout_s}s") from exc

    async def _produce(self, env: Envelope, headers: list[tuple[str, str | bytes | None]], acks: _Acks) -> None:
        while True:
            try:
                self.producer.produce(env.topic, env.data, env.record_key, headers=headers, on_delivery=acks.delivered)
                return
            except BufferError:  # librdkafka's queue is full: let the poller drain it
                await asyncio.sleep(0.005)

    def close(self, timeout_s: float = 10.0) -> None:
        """Wait for what is in flight (up to ``timeout_s``), then stop polling."""
        self.producer.flush(timeout_s)
        self._stop.set()
        self._thread.join(timeout_s)
