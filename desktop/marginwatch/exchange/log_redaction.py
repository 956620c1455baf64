"""Logging set-up that keeps secrets out of every log line, DEBUG included.

At DEBUG, websockets logs each handshake (the private path carries the listenKey) and frames (a
`listenKeyExpired` frame carries it too), and any exception text may hold a URL. A listenKey, an API
key, a secret or a signature is a long run of letters and digits (Binance's are 64), which nothing
else we log is: such runs are cut to their first four characters.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import TextIO

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_SECRET = re.compile(r"(?<![A-Za-z0-9])([A-Za-z0-9]{4})[A-Za-z0-9]{28,}(?![A-Za-z0-9])")


def redact(text: str) -> str:
    return _SECRET.sub(r"\1…", text)


class RedactSecrets(logging.Filter):
    """Masks key-like runs in a record's message, arguments and traceback (the record is changed in
    place, so every handler after this one sees the masked text)."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: let the handler report it as logging does
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class _RedactingHandler(logging.StreamHandler[TextIO]):
    """The handler configure_logging() installs (one at a time)."""


def configure_logging(level: str, stream: TextIO | None = None) -> logging.Handler:
    """Log `level` and above to `stream` (stderr) through RedactSecrets; an unknown level is INFO.
    Calling it again replaces the handler it installed before."""
    handler = _RedactingHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _RedactingHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    name = level.strip().upper()
    known = isinstance(logging.getLevelNamesMapping().get(name), int)
    root.setLevel(name if known else logging.INFO)
    if not known:
        logging.getLogger("marginwatch").warning("MARGINWATCH_LOG=%r is no logging level; using INFO", level)
    return handler
