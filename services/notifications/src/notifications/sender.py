"""Sending one delivery: signed webhooks and chat messages over HTTP behind the URL guard (resolve
once, refuse non-global addresses unless allow-listed, connect to the checked address, never follow
a redirect, time out, cap the response read), and email through a real SMTP conversation."""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass
from email.message import EmailMessage

import aiohttp
import aiosmtplib
import orjson

from bellwether_shared import tracing
from notifications.domain import signing, urlguard
from notifications.settings import NotificationsSettings

RESOLVE_TTL_S = 5.0


@dataclass(frozen=True, slots=True)
class Result:
    ok: bool
    status_code: int | None
    error: str | None
    latency_ms: float


class Sender:
    def __init__(self, settings: NotificationsSettings) -> None:
        self.settings = settings
        self.allow = settings.networks()
        self._http: aiohttp.ClientSession | None = None
        self._resolved: dict[tuple[str, int], tuple[urlguard.IP, float]] = {}

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None:  # created inside the running loop, on first use
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self.settings.delivery_concurrency, use_dns_cache=False),
                timeout=aiohttp.ClientTimeout(total=self.settings.http_timeout_s),
                trust_env=False,
                auto_decompress=False,
            )
        return self._http

    async def close(self) -> None:
        """Close the connection pool; the next send opens a new one."""
        if self._http is not None:
            http, self._http = self._http, None
            await http.close()

    async def send(self, *, kind: str, target: str, secrets: list[str], delivery_id: str, payload: bytes) -> Result:
        start = time.perf_counter()
        try:
            if kind == "email":
                await self._email(target, payload)
                return Result(True, 250, None, _ms(start))
            return await self._post(kind, target, secrets, delivery_id, payload, start)
        except urlguard.Refused as exc:
            return Result(False, None, f"refused: {exc}", _ms(start))
        except (aiohttp.ClientError, OSError, aiosmtplib.SMTPException, TimeoutError) as exc:
            return Result(False, None, f"{type(exc).__name__}: {exc}"[:500], _ms(start))

    async def _post(
        self, kind: str, target: str, secrets: list[str], delivery_id: str, payload: bytes, start: float
    ) -> Result:
        t = urlguard.parse(target)
        ip = await self._resolve(t)
        literal = f"[{ip}]" if ip.version == 6 else str(ip)
        default_port = 443 if t.scheme == "https" else 80
        headers = {
            "Host": urlguard.host_header(t, default_port),
            "Content-Type": "application/json",
            "User-Agent": "Bellwether-Webhooks/1.0",
        }
        if kind == "webhook":
            headers.update(signing.headers(secrets, delivery_id, int(time.time()), payload))
        headers.update(tracing.current())  # W3C traceparent of the delivery's span, when it is traced
        url = f"{t.scheme}://{literal}:{t.port}{t.path}"
        # the checked address is what we connect to; TLS still verifies the certificate for the name
        sni = t.host if t.scheme == "https" else None
        async with self._session().post(
            url, data=payload, headers=headers, allow_redirects=False, server_hostname=sni
        ) as r:
            read = 0
            async for chunk in r.content.iter_chunked(16 * 1024):
                read += len(chunk)
                if read > self.settings.max_response_bytes:
                    break  # the status is what counts; a huge body is not read
            if 300 <= r.status < 400:
                return Result(False, r.status, f"redirect to {r.headers.get('Location')!r} not followed", _ms(start))
            ok = 200 <= r.status < 300
            return Result(ok, r.status, None if ok else f"HTTP {r.status}", _ms(start))

    async def _resolve(self, t: urlguard.Target) -> urlguard.IP:
        """Resolve once and check every address; the checked answer is reused for a few seconds (the
        request always goes to a checked address: nothing resolves the name again behind the guard)."""
        now = time.monotonic()
        cached = self._resolved.get((t.host, t.port))
        if cached is not None and cached[1] > now:
            return cached[0]
        ip = await resolve_checked(t, self.allow)
        self._resolved[(t.host, t.port)] = (ip, now + RESOLVE_TTL_S)
        return ip

    async def _email(self, to: str, payload: bytes) -> None:
        doc = orjson.loads(payload)
        msg = EmailMessage()
        msg["From"] = self.settings.smtp_from
        msg["To"] = to
        msg["Subject"] = doc["subject"]
        msg.set_content(doc["body"])
        s = self.settings
        await aiosmtplib.send(
            msg,
            hostname=s.smtp_host,
            port=s.smtp_port,
            start_tls=s.smtp_starttls,
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.http_timeout_s,
        )


async def resolve_checked(t: urlguard.Target, allow: list[urlguard.Net], *, timeout_s: float = 5.0) -> urlguard.IP:
    """The address to call for this target: every address the name resolves to must be callable.
    A name that does not resolve (or not in time) is refused like an internal one."""
    try:
        async with asyncio.timeout(timeout_s):
            infos = await asyncio.get_running_loop().getaddrinfo(t.host, t.port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise urlguard.Refused(f"url: the host did not resolve within {timeout_s:g} s") from None
    except (socket.gaierror, UnicodeError):
        raise urlguard.Refused("url: the host does not resolve") from None
    return urlguard.check_addresses(list(dict.fromkeys(str(i[4][0]) for i in infos)), allow)


async def refusal(url: str, settings: NotificationsSettings) -> str | None:
    """Why a delivery to ``url`` would be refused, asked when it is configured (None: it would not): https
    unless private networks are allowed (local receivers), then the check every call makes: a name that
    does not resolve, or resolves to an address no delivery may reach."""
    t = urlguard.parse(url)
    if t.scheme != "https" and not settings.allow_networks:
        return "must be https"
    try:
        await resolve_checked(t, settings.networks())
    except urlguard.Refused as exc:
        return str(exc).removeprefix("url: ")
    return None


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
