"""Test an API key before it is saved: clock offset, a signed read, and the key's permissions.

The answer is plain data (`KeyCheckResult`) for the settings dialog: sentences in the UI language
(through Qt's translator), never a secret, never an exception. Permissions come from
`GET /sapi/v1/account/apiRestrictions` on the spot host; where that host does not answer for the key
(testnets, custom hosts), the check still passes and says the permissions could not be read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from PySide6.QtCore import QCoreApplication

from marginwatch.exchange.credentials import Credentials, KeyType
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.errors import (
    ExchangeError,
    ExchangeUnavailable,
    InvalidApiKey,
    InvalidSignature,
    TimestampOutsideRecvWindow,
)
from marginwatch.exchange.rest_client import BinanceRestClient
from marginwatch.services.account_save import endpoint_problem, foreign_host_warning
from marginwatch.services.settings import AccountConfig

log = logging.getLogger(__name__)
translate = QCoreApplication.translate  # lupdate finds translate("KeyCheck", "...")

Problem = Literal["bad_input", "wrong_key", "wrong_secret", "clock_skew", "network", "refused"]

CLOCK_SKEW_WARN_MS = 1000  # Binance rejects requests more than 1 s ahead of its clock
DEFAULT_TIMEOUT_S = 15.0
PERMISSION_CHECK_TIMEOUT_S = 10.0  # the start-up re-check: per request, off the start path


def _recommend() -> str:
    return translate(
        "KeyCheck",
        "MarginWatch only reads: use a read-only key (only 'Enable Reading' ticked) restricted to your "
        "IP address (IP whitelist).",
    )


@dataclass(frozen=True, slots=True)
class KeyCheckResult:
    """What the key test found. `ok` means the key can read the futures account."""

    ok: bool
    problem: Problem | None = None  # why not ok
    messages: tuple[str, ...] = ()  # the outcome in sentences, the error first when not ok
    warnings: tuple[str, ...] = ()  # risky permissions, clock skew, missing IP whitelist
    clock_offset_ms: int | None = None  # Binance's clock minus this computer's
    permissions: Mapping[str, bool] | None = field(default=None)  # apiRestrictions flags, when readable
    dangerous: tuple[str, ...] = ()  # the flags that let the key trade, withdraw or move funds

    def text(self) -> str:
        """Everything in one block for a label or message box."""
        return "\n".join((*self.messages, *self.warnings))


def endpoints_for(config: AccountConfig) -> Endpoints:
    """The hosts an account talks to. Custom: REST serves fapi and sapi, WS gets /market and /private."""
    if config.environment == "mainnet":
        return Endpoints.mainnet()
    if config.environment == "testnet":
        return Endpoints.testnet()
    if config.environment == "custom":
        if not config.rest_url or not config.ws_url:
            raise ValueError("a custom environment needs both a REST and a WebSocket base URL")
        problem = endpoint_problem(config)
        if problem is not None:
            raise ValueError(problem)
        return Endpoints.local(config.rest_url, config.ws_url)
    raise ValueError(f"unknown environment {config.environment!r}")


def coinm_endpoints_for(config: AccountConfig) -> Endpoints:
    """The COIN-M hosts of an account (dapi, dstream). Custom: the simulator's layout, COIN-M REST on
    the same host and its streams under `/dstream` of the WebSocket base."""
    from marginwatch.exchange.coinm_endpoints import coinm_local, coinm_mainnet, coinm_testnet

    if config.environment == "mainnet":
        return coinm_mainnet()
    if config.environment == "testnet":
        return coinm_testnet()
    endpoints_for(config)  # the same checks of a custom environment's URLs
    return coinm_local(config.rest_url, config.ws_url)


def credentials_for(config: AccountConfig, secret: str) -> Credentials:
    """Raises ValueError (secret-free words) for an empty key or secret or an unknown key type."""
    key_type: KeyType = "ed25519" if config.key_type == "ed25519" else "hmac"
    if config.key_type not in ("hmac", "ed25519"):
        raise ValueError(f"unsupported key type {config.key_type!r}")
    return Credentials(api_key=config.api_key, secret=secret, key_type=key_type)


_TRADING = (
    ("enableFutures", "futures"),
    ("enableSpotAndMarginTrading", "spot and margin"),
    ("enableMargin", "margin"),
    ("enableVanillaOptions", "options"),
    ("enablePortfolioMarginTrading", "portfolio margin"),
    ("enableFixApiTrade", "FIX API"),
)
_MOVING = ("enableWithdrawals", "enableInternalTransfer", "permitsUniversalTransfer")
# The read-only shape: these flags may be true on a key that only reads. Every other true flag,
# including one Binance adds later, counts as more than reading.
READ_ONLY_FLAGS = frozenset({"ipRestrict", "enableReading", "enableFixReadOnly"})


def _trading_word(label: str) -> str:
    words = {
        "futures": translate("KeyCheck", "futures"),
        "spot and margin": translate("KeyCheck", "spot and margin"),
        "margin": translate("KeyCheck", "margin"),
        "options": translate("KeyCheck", "options"),
        "portfolio margin": translate("KeyCheck", "portfolio margin"),
    }
    return words.get(label, label)


def dangerous_permissions(flags: Mapping[str, object]) -> tuple[str, ...]:
    """The flags set to true that a read-only key does not have, in the order Binance lists them."""
    return tuple(k for k, v in flags.items() if v is True and k not in READ_ONLY_FLAGS)


def flags_of(restrictions: object) -> dict[str, bool]:
    """The true/false flags of an apiRestrictions answer."""
    fields: tuple[str, ...] = getattr(restrictions, "__struct_fields__", ())
    return {f: v for f in fields if isinstance(v := getattr(restrictions, f), bool)}


def can_do_more_than_read(flags: Mapping[str, object]) -> bool:
    return bool(dangerous_permissions(flags))


def permission_warnings(flags: Mapping[str, object]) -> list[str]:
    """Warnings for a key that can do more than read, plus the read-only recommendation."""
    out: list[str] = []
    trading = [_trading_word(label) for key, label in _TRADING if flags.get(key) is True]
    if trading:
        out.append(
            translate(
                "KeyCheck",
                "This key can trade ({0}). If this computer is compromised, someone could "
                "open or close positions with it.",
            ).format(", ".join(trading))
        )
    if flags.get("enableWithdrawals") is True:
        out.append(translate("KeyCheck", "This key can WITHDRAW funds. Remove that permission on Binance now."))
    if flags.get("enableInternalTransfer") is True or flags.get("permitsUniversalTransfer") is True:
        out.append(translate("KeyCheck", "This key can move funds between accounts."))
    known = {k for k, _ in _TRADING} | set(_MOVING)
    other = [k for k in dangerous_permissions(flags) if k not in known]
    if other:
        out.append(
            translate("KeyCheck", "This key has permissions beyond reading: {0}. Remove them on Binance.").format(
                ", ".join(other)
            )
        )
    if flags.get("ipRestrict") is False:
        out.append(translate("KeyCheck", "This key is not restricted to your IP address."))
    if flags.get("enableReading") is False:
        out.append(translate("KeyCheck", "This key does not have 'Enable Reading', which MarginWatch needs."))
    if out:
        out.append(_recommend())
    return out


def _skew_warning(offset_ms: int) -> str:
    text = (
        translate(
            "KeyCheck",
            "Your computer's clock is off by {0} s (behind Binance). MarginWatch "
            "corrects for this, but please turn on automatic time synchronisation in your system settings.",
        )
        if offset_ms > 0
        else translate(
            "KeyCheck",
            "Your computer's clock is off by {0} s (ahead of Binance). MarginWatch "
            "corrects for this, but please turn on automatic time synchronisation in your system settings.",
        )
    )
    return text.format(f"{abs(offset_ms) / 1000:.1f}")


def _explain(exc: ExchangeError) -> tuple[Problem, str]:
    if isinstance(exc, InvalidSignature):
        return "wrong_secret", translate(
            "KeyCheck",
            "Wrong API secret: Binance knows the key but could not verify the signature. Re-enter the secret "
            "that belongs to this key (for Ed25519, the private key matching the registered public key).",
        )
    if isinstance(exc, InvalidApiKey):
        if exc.code == -2014:
            return "wrong_key", translate(
                "KeyCheck", "Wrong API key: its format is invalid. Check for a copy/paste error."
            )
        return "wrong_key", translate(
            "KeyCheck",
            "Binance rejected the API key: either the key is wrong or deleted, or this computer's IP address "
            "is not on the key's IP whitelist (IP not whitelisted), or the key lacks the 'Enable Reading' "
            "permission.",
        )
    if isinstance(exc, TimestampOutsideRecvWindow):
        return "clock_skew", exc.explain()
    if isinstance(exc, ExchangeUnavailable):
        if exc.http_status is None:
            return "network", translate(
                "KeyCheck", "Network unreachable: cannot reach Binance. Check your connection. ({0})"
            ).format(exc.reason)
        return "network", exc.explain()
    return "refused", exc.explain()


async def check_account_key(
    config: AccountConfig, secret: str, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> KeyCheckResult:
    """`check_key` for an account as the settings dialog holds it; bad input becomes a result too."""
    try:
        endpoints = endpoints_for(config)
        credentials = credentials_for(config, secret)
    except ValueError as exc:
        text = str(exc)
        return KeyCheckResult(False, "bad_input", (f"{text[:1].upper()}{text[1:]}{'' if text.endswith('.') else '.'}",))
    result = await check_key(endpoints, credentials, timeout_s=timeout_s)
    warning = foreign_host_warning(config)
    return result if warning is None else replace(result, warnings=(warning, *result.warnings))


async def check_key(
    endpoints: Endpoints, credentials: Credentials, *, timeout_s: float = DEFAULT_TIMEOUT_S
) -> KeyCheckResult:
    """Run the test; never raises for exchange, network or input trouble (the result says what went wrong)."""
    try:
        client = BinanceRestClient(endpoints, credentials, timeout=min(timeout_s, 10.0))
    except ValueError as exc:  # an Ed25519 secret that is not a PEM private key, say
        return KeyCheckResult(
            False, "bad_input", (translate("KeyCheck", "The secret is not usable: {0}.").format(exc),)
        )
    try:
        return await asyncio.wait_for(_run(client), timeout_s)
    except TimeoutError:
        text = translate("KeyCheck", "Binance did not answer within {0} s.").format(f"{timeout_s:.0f}")
        return KeyCheckResult(False, "network", (text,))
    finally:
        await client.close()


async def _run(client: BinanceRestClient) -> KeyCheckResult:
    warnings: list[str] = []
    try:
        offset = await client.sync_time()
    except ExchangeError as exc:
        problem, text = _explain(exc)
        return KeyCheckResult(False, problem, (text,))
    if abs(offset) >= CLOCK_SKEW_WARN_MS:
        warnings.append(_skew_warning(offset))
    try:
        await client.account()
    except ExchangeError as exc:
        problem, text = _explain(exc)
        log.info("key check: signed read failed (%s)", problem)
        return KeyCheckResult(False, problem, (text,), tuple(warnings), offset)
    messages = [translate("KeyCheck", "The key works: MarginWatch can read your futures account.")]
    permissions: dict[str, bool] | None = None
    try:
        restrictions = await client.api_restrictions()
    except ExchangeError as exc:
        log.info("key check: permissions not readable (%s)", type(exc).__name__)
        messages.append(
            translate(
                "KeyCheck",
                "Could not read the key's permissions from Binance here; check on Binance's API management page "
                "that only 'Enable Reading' is ticked.",
            )
        )
    else:
        permissions = flags_of(restrictions)
        warnings.extend(permission_warnings(permissions))
        if not can_do_more_than_read(permissions):
            messages.append(translate("KeyCheck", "The key cannot trade or withdraw."))
    dangerous = dangerous_permissions(permissions) if permissions is not None else ()
    return KeyCheckResult(True, None, tuple(messages), tuple(warnings), offset, permissions, dangerous)
