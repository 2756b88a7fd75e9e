"""OpenTelemetry traces and metrics: FastAPI, asyncpg and aiokafka instrumentation, Prometheus.

Traces go to an OTLP/HTTP collector when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; metrics are
served in Prometheus text format on ``/metrics``. W3C trace context crosses Kafka in record
headers (the aiokafka instrumentation injects and extracts it; the outbox stores it with the row).
"""

from __future__ import annotations

from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

_state: dict[str, Any] = {}


def setup_telemetry(*, service: str, otlp_endpoint: str | None = None, kafka_record_spans: bool = False) -> None:
    """Install providers once per process (idempotent: tests may build several apps)."""
    if _state.get("service"):
        return
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.sdk.metrics import MeterProvider

    resource = Resource.create({"service.name": f"bellwether-{service}", "service.namespace": "bellwether"})
    # Without a collector nothing is recorded (trace and span ids still reach the logs and Kafka headers):
    # recording spans nobody receives cost ingest several µs per event. With one, the sampler is the
    # standard OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default: parent-based, always on).
    tracer_provider = TracerProvider(resource=resource) if otlp_endpoint else TracerProvider(ALWAYS_OFF, resource)
    if otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        tracer_provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint}/v1/traces")))
    trace.set_tracer_provider(tracer_provider)
    metrics.set_meter_provider(MeterProvider(resource=resource, metric_readers=[PrometheusMetricReader()]))
    AsyncPGInstrumentor().instrument()  # type: ignore[no-untyped-call]
    # Producing goes through bellwether_shared.kafka.publish (context injected per record, one span
    # per publish) and consuming through ConsumerLoop (one span per partition batch, linked to the
    # records' contexts). The aiokafka instrumentation adds a span per record on top: worth it only
    # when debugging, it cost the health consumer most of its throughput (see bench/results.json).
    if kafka_record_spans:
        AIOKafkaInstrumentor().instrument()
    _state["service"] = service


def instrument_app(app: Any) -> None:
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    # One span per request. The ASGI instrumentation's default adds a span for every receive() and
    # send() message too: a 30 KB batch arrives in several chunks, and those spans cost ingest about
    # a tenth of its CPU per event (bench/profiles/ingest.txt) while telling nothing the request span does not.
    FastAPIInstrumentor.instrument_app(app, excluded_urls="livez,readyz,metrics", exclude_spans=["receive", "send"])
