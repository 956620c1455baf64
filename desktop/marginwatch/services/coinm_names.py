"""How an account's COIN-M side and its margin-coin pools are named where accounts are shown."""

from __future__ import annotations

COINM_SUFFIX = " · COIN-M"


def coinm_name(account: str) -> str:
    """The COIN-M service of `account` ("Main · COIN-M")."""
    return account + COINM_SUFFIX


def pool_name(service_name: str, coin: str) -> str:
    """One margin coin's pool of that service ("Main · COIN-M BTC"): shown and alerted as an account."""
    return f"{service_name} {coin}"
