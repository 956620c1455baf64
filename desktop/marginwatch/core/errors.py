"""Typed errors raised by the pure core on invalid input."""

from __future__ import annotations


class CoreError(ValueError):
    """Base class for every error the core raises on bad input."""


class InvalidInputError(CoreError):
    """A value is out of its domain (negative size, zero leverage, non-finite number...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class LeverageTooHighError(InvalidInputError):
    """Requested leverage exceeds what the bracket allows at that notional."""

    def __init__(self, leverage: int, maximum: int) -> None:
        super().__init__("leverage", f"{leverage}x exceeds the bracket maximum of {maximum}x")
        self.leverage = leverage
        self.maximum = maximum


class NoBracketsError(InvalidInputError):
    """A bracket table is empty or does not cover the notional asked for."""

    def __init__(self, symbol: str) -> None:
        super().__init__("brackets", f"no leverage brackets for {symbol or 'symbol'}")
        self.symbol = symbol
