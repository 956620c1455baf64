"""MEXC's error answers as exchange errors with plain words (code and message only, never a key)."""

from __future__ import annotations

from marginwatch.exchange.errors import ExchangeError

# Codes that say the key itself is refused: retrying only repeats the refusal.
KEY_REJECTED_CODES = frozenset({401, 402, 406, 602, 700, 701, 702, 703})


class MexcUnavailable(ExchangeError):
    def __init__(self, reason: str, *, http_status: int | None = None) -> None:
        self.reason = reason[:200]
        self.http_status = http_status
        super().__init__(f"MEXC unavailable: {self.reason}")

    def explain(self) -> str:
        return f"Cannot reach MEXC (or it answered with an error page). MarginWatch will retry. ({self.reason})"


class MexcRejected(ExchangeError):
    def __init__(self, code: int, message: str) -> None:
        self.code = code
        self.message = " ".join(message.split())[:200]
        super().__init__(f"MEXC error {code}: {self.message}")

    def explain(self) -> str:
        return f"MEXC refused the request (code {self.code}: {self.message}). MarginWatch will retry."


class MexcKeyRejected(MexcRejected):
    def explain(self) -> str:
        return (
            f"MEXC rejected the API key (code {self.code}: {self.message}). Check the key and secret, its IP "
            "whitelist and that it has not expired, then save it again in Settings → Accounts."
        )


def rejected(code: int, message: str) -> MexcRejected:
    return (MexcKeyRejected if code in KEY_REJECTED_CODES else MexcRejected)(code, message)
