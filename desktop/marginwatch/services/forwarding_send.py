"""One message to one channel URL through Apprise, and what to call a channel without its secrets.

Apprise does the blocking HTTP/SMTP in its own worker threads (`async_notify`), never on the GUI
thread. Its log lines can carry hosts, users and tokens, so they are never passed on: the `apprise`
logger does not propagate, and each send reads its own captured lines only to name the failure in
a fixed vocabulary (DNS, refused, timed out, HTTP status).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

log = logging.getLogger(__name__)

ENV_PREFIX = "env:"
SEND_TIMEOUT_S = 10.0
# Schemes whose host part names a server rather than holding a token: shown in masked URLs.
_HOST_SCHEMES = frozenset(
    {"ntfy", "ntfys", "json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos", "http", "https"}
)
_NTFY_SCHEMES = frozenset({"ntfy", "ntfys"})


class Priority(StrEnum):
    """ntfy's priority words (5 … 3); other services ignore them."""

    MAX = "max"
    HIGH = "high"
    DEFAULT = "default"


def mask_url(url: str) -> str:
    """`ntfy://127.0.0.1:8080/…`: scheme and server only; users, tokens, topics and query dropped."""
    scheme, sep, _ = url.strip().partition("://")
    scheme = scheme.lower()
    if not sep or not scheme.isalnum():
        return "<unreadable URL>"
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        host, port = "", None
    if scheme not in _HOST_SCHEMES or not host:
        return f"{scheme}://****"  # the "host" of e.g. tgram:// or discord:// is a token
    where = f"{host}:{port}" if port else host
    user = "****@" if parts.username or parts.password else ""
    rest = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{scheme}://{user}{where}{rest}"


def resolve_url(spec: str, environ: Mapping[str, str]) -> str:
    """`env:NAME` → that variable's value (tokens stay out of `ps`); any other text as it is."""
    if spec.startswith(ENV_PREFIX):
        name = spec[len(ENV_PREFIX):]
        value = environ.get(name, "").strip()
        if not value:
            raise ValueError(f"environment variable {name} is not set")
        return value
    return spec.strip()


def with_priority(url: str, priority: Priority) -> str:
    """The URL as Apprise's ntfy plugin takes a priority (`?priority=`); other URLs unchanged."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in _NTFY_SCHEMES or priority is Priority.DEFAULT:
        return url
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != "priority"]
    query.append(("priority", priority.value))
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(frozen=True, slots=True)
class SendOutcome:
    ok: bool
    reason: str = ""  # empty when ok; never holds the URL or anything Apprise logged verbatim
    elapsed_s: float = 0.0


_REASONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"NameResolution|Name or service not known|getaddrinfo|nodename nor servname|"
                r"Temporary failure in name resolution|No address associated", re.I), "DNS lookup failed"),
    (re.compile(r"Connection refused|ConnectionRefused|Errno 111|WinError 10061", re.I), "connection refused"),
    (re.compile(r"timed out|timeout", re.I), "timed out"),
    (re.compile(r"SMTPAuthentication|Authentication (failed|unsuccessful)", re.I), "login refused (SMTP)"),
    (re.compile(r"SSL|certificate", re.I), "TLS error"),
)
_HTTP_STATUS = re.compile(r"error=(\d{3})")
_HTTP_WORDS = {400: "bad request", 401: "unauthorized", 403: "forbidden", 404: "not found", 413: "too large",
               429: "rate limited", 500: "server error", 502: "bad gateway", 503: "unavailable"}


def classify_failure(lines: list[str]) -> str:
    """One short reason from a failed send's captured log lines."""
    text = "\n".join(lines)
    for pattern, reason in _REASONS:
        if pattern.search(text):
            return reason
    status = _HTTP_STATUS.search(text)
    if status:
        code = int(status.group(1))
        word = _HTTP_WORDS.get(code, "rejected")
        return f"HTTP {code} ({word})"
    if "Connection error" in text or "connection error" in text:
        return "connection error"
    return "the service did not accept the message"


def _quiet_apprise_logger() -> None:
    # Its messages are read per send (captured below) and classified; raw, they can hold secrets.
    logger = logging.getLogger("apprise")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)  # the capture sees what the logger lets through


class AppriseSender:
    """Sends through Apprise with its per-service throttle off; one plugin per URL and priority, kept."""

    def __init__(self, timeout_s: float = SEND_TIMEOUT_S) -> None:
        self._timeout_s = timeout_s
        self._cache: dict[str, object] = {}
        _quiet_apprise_logger()

    def check(self, url: str) -> str | None:
        """None when Apprise can use `url`, else why not (in words that hold no part of it)."""
        try:
            self._apprise_for(url)
        except ValueError as exc:
            return str(exc)
        return None

    def _apprise_for(self, url: str) -> object:
        found = self._cache.get(url)
        if found is not None:
            return found
        import apprise

        asset = apprise.AppriseAsset(secure_logging=True)
        plugin = apprise.Apprise.instantiate(url, asset=asset, suppress_exceptions=True)
        if plugin is None:
            raise ValueError("Apprise does not recognise this URL (unknown scheme or missing parts)")
        # Apprise waits 5.5 s between two sends to one service by default; an alert may not wait.
        plugin.request_rate_per_sec = 0
        obj = apprise.Apprise(asset=asset)
        obj.add(plugin)
        self._cache[url] = obj
        return obj

    async def send(self, url: str, title: str, body: str, priority: Priority = Priority.DEFAULT) -> SendOutcome:
        start = time.perf_counter()
        try:
            obj = self._apprise_for(with_priority(url, priority))
        except ValueError as exc:
            return SendOutcome(False, str(exc))
        lines: list[str] = []
        try:
            result = await obj.async_notify(  # type: ignore[attr-defined]
                body=body or " ",
                title=title,
                timeout=self._timeout_s,
                log_callback=lambda entry, _service: lines.append(str(entry.message)),
                log_level=logging.DEBUG,
            )
        except Exception as exc:  # Apprise promises results, not exceptions; a bug still must not stall
            log.warning("forwarding: the sender failed (%s)", type(exc).__name__)
            return SendOutcome(False, f"internal error ({type(exc).__name__})", time.perf_counter() - start)
        elapsed = time.perf_counter() - start
        if bool(result):
            return SendOutcome(True, "", elapsed)
        if getattr(result, "timeout_count", 0):
            return SendOutcome(False, "timed out", elapsed)
        return SendOutcome(False, classify_failure(lines), elapsed)
