"""How every Kafka client of a process connects: bootstrap servers, TLS and SASL, from the environment.

Every producer, consumer and admin client (services, workers, the topic bootstrap, the operator CLI)
takes its arguments from :func:`client_args`, so a broker that requires ``SASL_SSL`` with SCRAM is
configured once: ``KAFKA_SECURITY_PROTOCOL=SASL_SSL``, ``KAFKA_SASL_MECHANISM=SCRAM-SHA-512``,
``KAFKA_SASL_USERNAME``, ``KAFKA_SASL_PASSWORD``, ``KAFKA_SSL_CAFILE`` (the broker's CA; the system's
trust store when unset), and for mutual TLS ``KAFKA_SSL_CERTFILE`` / ``KAFKA_SSL_KEYFILE``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Protocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
Mechanism = Literal["SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"]


class KafkaConnection(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_security_protocol: Protocol = "PLAINTEXT"
    kafka_sasl_mechanism: Mechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    kafka_ssl_cafile: str | None = None
    kafka_ssl_certfile: str | None = None
    kafka_ssl_keyfile: str | None = None
    kafka_ssl_check_hostname: bool = True

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _bootstrap(cls, value: str) -> str:
        for server in value.split(","):
            host, sep, port = server.strip().rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"'{server}' is not host:port")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> KafkaConnection:
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs KAFKA_SASL_USERNAME "
                "and KAFKA_SASL_PASSWORD"
            )
        if bool(self.kafka_ssl_certfile) != bool(self.kafka_ssl_keyfile):
            raise ValueError("KAFKA_SSL_CERTFILE and KAFKA_SSL_KEYFILE go together (mutual TLS)")
        for name in ("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile"):
            path = getattr(self, name)
            if path:
                try:
                    with open(path, "rb"):
                        pass
                except OSError as exc:
                    raise ValueError(f"{name.upper()}: cannot read {path} ({exc.strerror})") from None
        return self

    @property
    def tls(self) -> bool:
        return self.kafka_security_protocol in ("SSL", "SASL_SSL")

    def security_args(self) -> dict[str, Any]:
        """aiokafka keyword arguments for TLS and SASL (empty for PLAINTEXT)."""
        args: dict[str, Any] = {"security_protocol": self.kafka_security_protocol}
        if self.tls:
            from aiokafka.helpers import create_ssl_context

            ctx = create_ssl_context(
                cafile=self.kafka_ssl_cafile, certfile=self.kafka_ssl_certfile, keyfile=self.kafka_ssl_keyfile
            )
            ctx.check_hostname = self.kafka_ssl_check_hostname
            args["ssl_context"] = ctx
        if self.kafka_security_protocol.startswith("SASL_"):
            assert self.kafka_sasl_password is not None  # checked above
            args |= {
                "sasl_mechanism": self.kafka_sasl_mechanism,
                "sasl_plain_username": self.kafka_sasl_username,
                "sasl_plain_password": self.kafka_sasl_password.get_secret_value(),
            }
        return args


Kafka = KafkaConnection | str  # a bootstrap string alone means PLAINTEXT (tests, local tools)


def client_args(kafka: Kafka) -> dict[str, Any]:
    """``bootstrap_servers`` and the security arguments for any aiokafka client."""
    if isinstance(kafka, str):
        return {"bootstrap_servers": kafka}
    return {"bootstrap_servers": kafka.kafka_bootstrap_servers, **kafka.security_args()}


def from_environment() -> KafkaConnection:
    """The connection the environment describes (for command-line tools)."""
    return KafkaConnection()
