"""Keeping secrets out of the journal: `signature`, `apiKey`, `secret` (and similar) values are
scrubbed from payloads and free text, and so is any value registered as a redaction.

Pure functions; the journal owns the set of redactions and the lock around it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

SENSITIVE_KEYS = frozenset({"signature", "apikey", "secret", "secretkey", "apisecret", "privatekey", "x-mbx-apikey"})
# `signature=abc`, `"apiKey": "abc"`, `secret: abc` in free text or a non-JSON payload.
SENSITIVE_TEXT = re.compile(
    r"(?i)(\b(?:signature|api_?key|api_?secret|secret_?key|private_?key|secret|x-mbx-apikey)\b[\"']?\s*[:=]\s*[\"']?)"
    r"([^\"'&\s,;}]+)"
)
REDACTED = "***"
MIN_REDACTION_LEN = 6  # shorter values would shred ordinary text


def scrub_obj(obj: Any) -> tuple[Any, bool]:
    """A copy of a decoded JSON value with sensitive keys' values replaced; True when any was."""
    if isinstance(obj, Mapping):
        out: dict[str, Any] = {}
        changed = False
        for k, v in obj.items():
            if str(k).lower() in SENSITIVE_KEYS:
                out[str(k)], changed = REDACTED, True
            else:
                out[str(k)], c = scrub_obj(v)
                changed |= c
        return out, changed
    if isinstance(obj, list | tuple):
        items = [scrub_obj(v) for v in obj]
        return [v for v, _ in items], any(c for _, c in items)
    return obj, False


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)


def scrub_text(text: str | None, redactions: Iterable[str]) -> str | None:
    if text is None:
        return None
    text = SENSITIVE_TEXT.sub(lambda m: m.group(1) + REDACTED, text)
    for value in redactions:
        text = text.replace(value, REDACTED)
    return text


def scrub_raw(raw: bytes | str, redactions: Iterable[str]) -> str:
    """A payload as received, except that secrets are gone (re-encoded only when it held any)."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes | bytearray) else str(raw)
    try:
        scrubbed, changed = scrub_obj(json.loads(text))
    except ValueError:
        changed = False  # not JSON: the text scrub below still applies
    if changed:
        text = dumps(scrubbed)
    return scrub_text(text, redactions) or ""


def scrub_json(obj: Any, redactions: Iterable[str]) -> str:
    scrubbed, _ = scrub_obj(obj)
    return scrub_text(dumps(scrubbed), redactions) or ""
