"""One CRM API call behind the same URL guard as every delivery (resolve once, refuse non-global
addresses unless allow-listed, connect to the checked address, never follow a redirect, time out, cap
the response read). The token goes only in the Authorization header and is never logged."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from bellwether_shared import tracing
from notifications.domain import urlguard
from notifications.sender import resolve_checked
from notifications.settings import NotificationsSettings

MAX_ANSWER_BYTES = 4 * 1024 * 1024  # a 200-record SaveResult list or a 100-record HubSpot batch fits easily


@dataclass(frozen=True, slots=True)
class Answer:
    status: int | None  # None: no answer (refused by the guard, connection error, timeout)
    headers: dict[str, str]
    body: Any
    error: str | None
    latency_ms: float


class CrmClient:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings
        self.allow = settings.networks()
        self._http: aiohttp.ClientSession | None = None

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.settings.http_timeout_s), trust_env=False
            )
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    async def call(self, *, base_url: str, method: str, path: str, token: str, body: dict[str, Any]) -> Answer:
        start = time.perf_counter()
        try:
            t = urlguard.parse(base_url.rstrip("/") + path)
            ip = await resolve_checked(t, self.allow)
            literal = f"[{ip}]" if ip.version == 6 else str(ip)
            default_port = 443 if t.scheme == "https" else 80
            headers = {
                "Host": urlguard.host_header(t, default_port),
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": "Bellwether-CRM/1.0",
                **tracing.current(),
            }
            url = f"{t.scheme}://{literal}:{t.port}{t.path}"
            sni = t.host if t.scheme == "https" else None
            async with self._session().request(
                method, url, data=orjson.dumps(body), headers=headers, allow_redirects=False, server_hostname=sni
            ) as r:
                raw = await r.content.read(MAX_ANSWER_BYTES)
                answer_headers = {k.lower(): v for k, v in r.headers.items()}
                return Answer(r.status, answer_headers, _json(raw), None, _ms(start))
        except urlguard.Refused as exc:
            return Answer(None, {}, None, f"refused: {exc}", _ms(start))
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return Answer(None, {}, None, f"{type(exc).__name__}: {exc}"[:300], _ms(start))


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return None


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
