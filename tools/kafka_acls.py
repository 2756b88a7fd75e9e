"""The prod overlay's Kafka users and client settings, written from the topic registry
(``bellwether_shared.topics.CONSUMES`` / ``PRODUCES``): ``python -m tools.devstack kafka-acls`` after a
service starts reading or writing another topic. ``tests/deploy`` fails until the files agree."""

from __future__ import annotations

from pathlib import Path

from bellwether_shared import topics

PROD = Path(__file__).resolve().parent.parent / "deploy" / "k8s" / "overlays" / "prod"
SERVICES = ("ingest", "health", "renewals", "notifications", "accounts")

USERS_HEAD = """# Kafka users (Strimzi User Operator): one SCRAM-SHA-512 user per service with exactly the rights the
# topic registry gives it (bellwether_shared.topics.CONSUMES / PRODUCES): read what it consumes with its
# consumer group, write the dead letters of those topics, write what it produces. The User Operator
# puts each password in a Secret of the user's name (key: password); tests/deploy checks the ACLs
# against the registry. Written by `python -m tools.devstack kafka-acls`."""

SECURITY_HEAD = """# Production Kafka: the Strimzi TLS listener (9093) with SCRAM-SHA-512; each service's password from
# its KafkaUser's Secret, the cluster CA from the Secret Strimzi writes (bellwether-cluster-ca-cert, copied
# into this namespace when Kafka runs in another one). Written by `python -m tools.devstack kafka-acls`."""


def _acls(svc: str) -> list[tuple[str, str, list[str]]]:
    consumed = topics.CONSUMES.get(svc, ())
    acls = [(t, "topic", ["Read", "Describe"]) for t in consumed]
    acls += [(svc, "group", ["Read"])] if consumed else []
    acls += [(topics.dlq(t), "topic", ["Write", "Describe"]) for t in consumed]
    acls += [(t, "topic", ["Write", "Describe"]) for t in topics.PRODUCES.get(svc, ())]
    return acls


def users() -> str:
    docs = [USERS_HEAD]
    for svc in SERVICES:
        lines = [
            f"""apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaUser
metadata:
  name: bellwether-{svc}
  labels: {{strimzi.io/cluster: bellwether, app.kubernetes.io/name: {svc}}}
spec:
  authentication: {{type: scram-sha-512}}
  authorization:
    type: simple
    acls:"""
        ]
        lines += [
            f"      - resource: {{type: {kind}, name: {name}, patternType: literal}}\n"
            f"        operations: [{', '.join(ops)}]"
            for name, kind, ops in _acls(svc)
        ]
        docs += ["---", "\n".join(lines)]
    return "\n".join(docs) + "\n"


def security() -> str:
    docs = [SECURITY_HEAD]
    for svc in SERVICES:
        docs += [
            "---",
            f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: {svc}-config
data:
  KAFKA_BOOTSTRAP_SERVERS: bellwether-kafka-bootstrap:9093
  KAFKA_SECURITY_PROTOCOL: SASL_SSL
  KAFKA_SASL_MECHANISM: SCRAM-SHA-512
  KAFKA_SSL_CAFILE: /etc/kafka-ca/ca.crt
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {svc}
spec:
  template:
    spec:
      containers:
        - name: {svc}
          env:
            - name: KAFKA_SASL_USERNAME
              value: bellwether-{svc}
            - name: KAFKA_SASL_PASSWORD
              valueFrom: {{secretKeyRef: {{name: bellwether-{svc}, key: password}}}}
          volumeMounts:
            - {{name: kafka-ca, mountPath: /etc/kafka-ca, readOnly: true}}
      volumes:
        - name: kafka-ca
          secret:
            secretName: bellwether-cluster-ca-cert
            items: [{{key: ca.crt, path: ca.crt}}]""",
        ]
    return "\n".join(docs) + "\n"


def write() -> list[Path]:
    out = [(PROD / "kafka-users.yaml", users()), (PROD / "kafka-security.yaml", security())]
    for path, text in out:
        path.write_text(text)
    return [p for p, _ in out]
