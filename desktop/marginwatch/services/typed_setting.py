"""One settings key as a typed descriptor: where it lives, its default, how a stored value is read, what it is for.

`Setting` reads as its value on an instance of the owning class and writes on assignment; the owner
supplies `_get(setting)` and `_set(setting, value)` (services.settings.Settings does). The readers
below turn what QSettings hands back (a string, a list when an ini line holds a bare comma, None)
into a value, or raise `ValueError` with the reason in plain words; the owner then falls back to
the default and reports it.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, overload

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

Reader = Callable[[object], T]


class SettingOwner(Protocol):
    def _get(self, setting: Setting[Any]) -> Any: ...
    def _set(self, setting: Setting[Any], value: Any) -> None: ...


class Setting(Generic[T]):
    """A key with its default, reader and description; one line per key in the owning class."""

    def __init__(
        self, key: str, default: T, read: Reader[T], description: str, *, write: Callable[[T], str] = str
    ) -> None:
        self.key = key
        self.default = default
        self.read = read
        self.write = write
        self.description = description
        self.name = key

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Setting[T]: ...
    @overload
    def __get__(self, obj: SettingOwner, owner: type | None = None) -> T: ...
    def __get__(self, obj: SettingOwner | None, owner: type | None = None) -> Setting[T] | T:
        if obj is None:
            return self
        value: T = obj._get(self)
        return value

    def __set__(self, obj: SettingOwner, value: T) -> None:
        self.read(self.write(value))  # the same rules as a value read from the file: refuse it now
        obj._set(self, value)

    def __repr__(self) -> str:
        return f"Setting({self.key!r}, default={self.default!r})"


def text(raw: object) -> str:
    if not isinstance(raw, str):
        raise ValueError(f"expected text, found {type(raw).__name__}")
    return raw


def flag(raw: object) -> bool:
    value = text(raw).strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValueError("expected true or false")


def write_flag(value: bool) -> str:
    return "true" if value else "false"


def choice(enum: type[E]) -> Reader[E]:
    def read(raw: object) -> E:
        value = text(raw)
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise ValueError(f"unknown {enum.__name__.lower()} {value!r} (use one of {allowed})") from None

    return read


def decimal_in(low: Decimal, high: Decimal, *, above_low: bool = False) -> Reader[Decimal]:
    """A finite Decimal in [low, high], or (low, high] with `above_low`."""

    def read(raw: object) -> Decimal:
        try:
            value = Decimal(text(raw).strip())
        except InvalidOperation:
            raise ValueError("not a number") from None
        if not value.is_finite():
            raise ValueError("not a finite number")
        if value > high or value < low or (above_low and value == low):
            raise ValueError(f"outside {'(' if above_low else '['}{low}, {high}]")
        return value

    return read


def seconds_in(low: float, high: float) -> Reader[float]:
    within = decimal_in(Decimal(str(low)), Decimal(str(high)))
    return lambda raw: float(within(raw))
