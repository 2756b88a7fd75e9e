"""KEDA ScaledObjects: every consumer Deployment scales on its consumer group's lag, one ``kafka``
trigger per topic it reads, never past the partitions of its busiest topic (a replica beyond them
would own no partition of it and idle). Ingest, stateless, scales on CPU (its HPA)."""

from __future__ import annotations

from typing import Any

from bellwether_shared.topics import BASE_TOPICS, CONSUMES

PORTS = {"ingest": 8081, "health": 8082, "renewals": 8083, "notifications": 8084, "accounts": 8085}
BOOTSTRAP = "bellwether-kafka-bootstrap:9092"
PROD_BOOTSTRAP = "bellwether-kafka-bootstrap:9093"  # TLS + SCRAM-SHA-512 (overlays/prod/kafka-security.yaml)
LAG_PER_REPLICA = {"health": 5000, "renewals": 2000, "notifications": 1000, "accounts": 2000}
PARTITIONS = {t.name: t.partitions for t in BASE_TOPICS}


def max_replicas(service: str) -> int:
    """The partitions of the busiest (most-partitioned) topic the service's group reads."""
    return max(PARTITIONS[t] for t in CONSUMES[service])


def _trigger(service: str, topic: str, *, prod: bool) -> dict[str, Any]:
    meta = {
        "bootstrapServers": PROD_BOOTSTRAP if prod else BOOTSTRAP,
        "consumerGroup": service,
        "topic": topic,
        "lagThreshold": str(LAG_PER_REPLICA[service]),
        "activationLagThreshold": "0",
        "offsetResetPolicy": "earliest",
        "allowIdleConsumers": "false",
    }
    trigger: dict[str, Any] = {"type": "kafka", "name": topic.replace(".", "-"), "metadata": meta}
    if prod:
        meta |= {"sasl": "scram_sha512", "tls": "enable"}
        trigger["authenticationRef"] = {"name": f"kafka-{service}"}
    return trigger


def trigger_authentication(service: str) -> dict[str, Any]:
    """KEDA reads the group's lag as the service's own Kafka user: the user name from the container's
    environment, the password from its KafkaUser's Secret, the cluster CA from Strimzi's Secret."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": {"name": f"kafka-{service}", "labels": {"app.kubernetes.io/name": service}},
        "spec": {
            "env": [{"parameter": "username", "name": "KAFKA_SASL_USERNAME", "containerName": service}],
            "secretTargetRef": [
                {"parameter": "password", "name": f"bellwether-{service}", "key": "password"},
                {"parameter": "ca", "name": "bellwether-cluster-ca-cert", "key": "ca.crt"},
            ],
        },
    }


def prod_patch(service: str) -> dict[str, Any]:
    """The prod overlay's patch of a ScaledObject: the TLS listener and authentication (a patch of a
    custom resource replaces the trigger list whole, so it carries every trigger)."""
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": service},
        "spec": {"triggers": [_trigger(service, t, prod=True) for t in CONSUMES[service]]},
    }


def scaled_object(service: str) -> dict[str, Any] | None:
    if service not in CONSUMES:
        return None
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": service, "labels": {"app.kubernetes.io/name": service}},
        "spec": {
            "scaleTargetRef": {"name": service},
            "minReplicaCount": 2,  # = the Deployment's replicas, which its PodDisruptionBudget protects
            "maxReplicaCount": max_replicas(service),
            "pollingInterval": 30,
            "cooldownPeriod": 300,
            "advanced": {
                "horizontalPodAutoscalerConfig": {
                    "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},  # no flapping on a burst
                }
            },
            "triggers": [_trigger(service, topic, prod=False) for topic in CONSUMES[service]],
        },
    }
