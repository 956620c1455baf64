"""Typed exchange errors, each with a plain-English `explain()` for the user.

Messages carry Binance's code and text only: never a key, secret, signature or query string.
"""

from __future__ import annotations

_MAX_MSG = 300


def _clip(msg: str) -> str:
    msg = " ".join(str(msg).split())
    return msg if len(msg) <= _MAX_MSG else msg[: _MAX_MSG - 1] + "…"


class ExchangeError(Exception):
    """Base of everything the exchange layer raises."""

    def explain(self) -> str:
        return str(self)


class ExchangeUnavailable(ExchangeError):
    """Network failure, timeout, 5xx or an unreadable answer: nothing is known about the account."""

    def __init__(self, reason: str, *, http_status: int | None = None) -> None:
        self.reason = _clip(reason)
        self.http_status = http_status
        status = f" (HTTP {http_status})" if http_status is not None else ""
        super().__init__(f"exchange unavailable{status}: {self.reason}")

    def explain(self) -> str:
        if self.http_status is not None and self.http_status >= 500:
            return "Binance is having trouble right now (server error). MarginWatch will retry."
        return (
            "Cannot reach Binance: check your internet connection, proxy or firewall. "
            f"MarginWatch will retry. ({self.reason})"
        )


class UnexpectedResponse(ExchangeError):
    """A 2xx answer whose shape we do not know (an API change, or a proxy's error page)."""

    def __init__(self, reason: str) -> None:
        self.reason = _clip(reason)
        super().__init__(f"unexpected answer from Binance: {self.reason}")

    def explain(self) -> str:
        return (
            "Binance sent an answer MarginWatch does not understand (maybe an API change, or a proxy in "
            "between). Check for a MarginWatch update."
        )


class ResponseTooLarge(UnexpectedResponse):
    """An answer longer than any Binance sends (exchangeInfo, the largest, is ~5 MB): refused unread."""

    def __init__(self, what: str, limit: int) -> None:
        self.limit = limit
        super().__init__(f"the answer to {what} is larger than {limit} bytes")

    def explain(self) -> str:
        return (
            f"Binance (or a proxy in between) sent an answer larger than {self.limit / 2**20:.0f} MiB, far more "
            "than any it should; it was not read. MarginWatch will retry."
        )


class BinanceError(ExchangeError):
    """An error answer from Binance: `{"code": -1121, "msg": "Invalid symbol."}` plus the HTTP status."""

    def __init__(self, code: int | None, msg: str, http_status: int | None) -> None:
        self.code = code
        self.msg = _clip(msg)
        self.http_status = http_status
        super().__init__(f"Binance error {code} (HTTP {http_status}): {self.msg}")

    def explain(self) -> str:
        if self.http_status == 403:
            return "Binance's firewall (WAF) rejected the request. Wait a while before trying again."
        return f"Binance refused the request: {self.msg} (code {self.code})."


class TimestampOutsideRecvWindow(BinanceError):
    """-1021: the request timestamp is too far from Binance's clock."""

    def __init__(
        self, code: int | None, msg: str, http_status: int | None, *, clock_offset_ms: int | None = None
    ) -> None:
        super().__init__(code, msg, http_status)
        # server time minus local time, when measured; set by the client after a re-sync.
        self.clock_offset_ms = clock_offset_ms

    def explain(self) -> str:
        if self.clock_offset_ms is not None and abs(self.clock_offset_ms) >= 1000:
            direction = "behind" if self.clock_offset_ms > 0 else "ahead of"
            return (
                f"Your computer clock is off by {abs(self.clock_offset_ms) / 1000:.1f} s "
                f"({direction} Binance). Turn on automatic time synchronisation in your system settings."
            )
        return (
            "Binance rejected the request's timestamp: your computer clock may be off, "
            "or the network is very slow. Turn on automatic time synchronisation in your system settings."
        )


class InvalidSignature(BinanceError):
    """-1022."""

    def explain(self) -> str:
        return (
            "Wrong API secret: Binance could not verify the request signature. "
            "Re-enter the secret that belongs to this API key "
            "(for Ed25519 keys, the private key that matches the registered public key)."
        )


class InvalidApiKey(BinanceError):
    """-2014 (key format) and -2015 (key, IP whitelist or permissions)."""

    def explain(self) -> str:
        if self.code == -2014:
            return (
                "Wrong API key: its format is invalid. "
                "Check for a copy/paste error (missing or extra characters)."
            )
        return (
            "Binance rejected the API key. Either the key is wrong or deleted, "
            "this computer's IP address is not on the key's IP whitelist, "
            "or the key lacks the needed permission (enable 'Reading' and 'Futures')."
        )


class ListenKeyNotFound(BinanceError):
    """-1125: the user-stream key expired or was closed; POST a new one."""

    def explain(self) -> str:
        return "The live account stream key expired. MarginWatch creates a new one and reconnects."


class _Blocked(BinanceError):
    def __init__(
        self, code: int | None, msg: str, http_status: int | None, *, retry_after: float | None = None
    ) -> None:
        super().__init__(code, msg, http_status)
        self.retry_after = retry_after  # seconds still to wait, when known


class RateLimited(_Blocked):
    """HTTP 429 / -1003, or a request refused locally while a back-off is running."""

    def explain(self) -> str:
        wait = f" Waiting {self.retry_after:.0f} s before the next request." if self.retry_after else ""
        return "Too many requests to Binance from this IP (rate limit)." + wait


class IpBanned(_Blocked):
    """HTTP 418: the IP is banned for ignoring 429s (2 minutes up to 3 days)."""

    def explain(self) -> str:
        wait = f" for about {_human(self.retry_after)}" if self.retry_after else ""
        return (
            f"Binance has temporarily banned this IP address{wait} after too many requests. "
            "MarginWatch pauses all requests until the ban ends."
        )


class UserInLiquidation(BinanceError):
    """-2023."""

    def explain(self) -> str:
        return "Your futures account is being liquidated right now (Binance: 'user in liquidation mode')."


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


_BY_CODE: dict[int, type[BinanceError]] = {
    -1021: TimestampOutsideRecvWindow,
    -1022: InvalidSignature,
    -2014: InvalidApiKey,
    -2015: InvalidApiKey,
    -1125: ListenKeyNotFound,
    -1003: RateLimited,
    -2023: UserInLiquidation,
}


def error_from_response(
    http_status: int, code: int | None, msg: str, *, retry_after: float | None = None
) -> BinanceError:
    """Map an error answer to the most specific class. HTTP 418/429 win over the body code."""
    if http_status == 418:
        return IpBanned(code, msg, http_status, retry_after=retry_after)
    if http_status == 429:
        return RateLimited(code, msg, http_status, retry_after=retry_after)
    cls = _BY_CODE.get(code) if code is not None else None
    if cls is None:
        return BinanceError(code, msg, http_status)
    if issubclass(cls, _Blocked):
        return cls(code, msg, http_status, retry_after=retry_after)
    return cls(code, msg, http_status)
