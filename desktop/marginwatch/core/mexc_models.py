"""MEXC futures (contract API) shapes: REST rows and private WebSocket pushes, decoded to values.

Written from the samples in MEXC's futures docs (REST `private/position/open_positions`,
`private/account/assets`, `private/account/risk_limit`, `contract/detail`; WS `rs.login`,
`push.personal.position|asset|risk.limit|liquidate.risk|generic.notify`). MEXC sends money as
JSON numbers: they are read as Decimal from the text (never through float). A row with a field
that is missing, of the wrong type or not finite is left out and named in `dropped`; the others
are kept, so one odd position cannot hide the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import msgspec

from marginwatch.core.events import DroppedRow, FrameError

_JSON = msgspec.json.Decoder(float_hook=Decimal)
_T = TypeVar("_T")


class _Bad(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _num(row: dict[str, Any], key: str, *, optional: bool = False) -> Decimal | None:
    value = row.get(key)
    if value is None and optional:
        return None
    if isinstance(value, float):  # only from Python callers: JSON numbers decode as Decimal
        value = repr(value)
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise _Bad(key)
    try:
        out = Decimal(value)
    except ArithmeticError:
        raise _Bad(key) from None
    if not out.is_finite():
        raise _Bad(key)
    return out


def _req(row: dict[str, Any], key: str) -> Decimal:
    out = _num(row, key)
    assert out is not None
    return out


def _int(row: dict[str, Any], key: str, *, optional: bool = False) -> int | None:
    value = row.get(key)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(key)
    return value


def _str(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value:
        raise _Bad(key)
    return value


@dataclass(frozen=True, slots=True)
class MexcPosition:
    """One `open_positions` row or `push.personal.position`: `vol` counts contracts."""

    position_id: int
    symbol: str
    vol: Decimal
    long: bool  # positionType 1 long, 2 short
    isolated: bool  # openType 1 isolated, 2 cross
    state: int  # 1 holding, 2 system custody, 3 closed
    hold_avg_price: Decimal
    liquidate_price: Decimal | None  # MEXC's own ("liquidation price (isolated)"); 0 means none
    im: Decimal  # the isolated margin now (auto-add and manual adds included)
    oim: Decimal
    leverage: int
    hold_fee: Decimal  # funding: positive received, negative paid
    auto_add_im: bool
    margin_ratio: Decimal | None  # MEXC's: lower is worse
    adl_level: int | None
    version: int


@dataclass(frozen=True, slots=True)
class MexcAsset:
    currency: str
    available_balance: Decimal
    position_margin: Decimal
    frozen_balance: Decimal
    equity: Decimal | None  # REST only; the push has none
    unrealized: Decimal | None


@dataclass(frozen=True, slots=True)
class MexcRiskLimit:
    symbol: str
    long: bool
    level: int
    mmr: Decimal
    imr: Decimal
    max_vol: Decimal | None


@dataclass(frozen=True, slots=True)
class MexcContract:
    """`contract/detail`: `contract_size` is what one contract (`vol` 1) holds of the base coin."""

    symbol: str
    contract_size: Decimal
    display_name: str
    display_name_en: str
    price_unit: Decimal | None
    maintenance_margin_rate: Decimal | None


@dataclass(frozen=True, slots=True)
class MexcNotify:
    """`push.personal.generic.notify`: notifyType 1 liquidation, 2 liquidation warning. No symbol:
    the contract is named only by its display names (`dn`, `dne`)."""

    notify_type: int
    isolated: bool | None
    display_name: str
    display_name_en: str
    margin_rate: Decimal | None
    ts: int

    @property
    def is_warning(self) -> bool:
        return self.notify_type == 2


@dataclass(frozen=True, slots=True)
class MexcLiquidateRisk:
    symbol: str
    position_id: int
    liquidate_price: Decimal | None
    margin_ratio: Decimal | None
    adl_level: int | None
    ts: int


def _position(row: dict[str, Any]) -> MexcPosition:
    liq = _num(row, "liquidatePrice", optional=True)
    position_type = _int(row, "positionType")
    open_type = _int(row, "openType")
    if position_type not in (1, 2):
        raise _Bad("positionType")
    if open_type not in (1, 2):
        raise _Bad("openType")
    vol, price = _req(row, "holdVol"), _req(row, "holdAvgPrice")
    if vol < 0:
        raise _Bad("holdVol")
    if price < 0:
        raise _Bad("holdAvgPrice")
    return MexcPosition(
        position_id=_int(row, "positionId") or 0,
        symbol=_str(row, "symbol"),
        vol=vol,
        long=position_type == 1,
        isolated=open_type == 1,
        state=_int(row, "state", optional=True) or 1,
        hold_avg_price=price,
        liquidate_price=liq if liq is not None and liq > 0 else None,
        im=_num(row, "im", optional=True) or Decimal(0),
        oim=_num(row, "oim", optional=True) or Decimal(0),
        leverage=_int(row, "leverage", optional=True) or 1,
        hold_fee=_num(row, "holdFee", optional=True) or Decimal(0),
        auto_add_im=row.get("autoAddIm") is True,
        margin_ratio=_num(row, "marginRatio", optional=True),
        adl_level=_int(row, "adlLevel", optional=True),
        version=_int(row, "version", optional=True) or 0,
    )


def _asset(row: dict[str, Any]) -> MexcAsset:
    return MexcAsset(
        currency=_str(row, "currency"),
        available_balance=_req(row, "availableBalance"),
        position_margin=_num(row, "positionMargin", optional=True) or Decimal(0),
        frozen_balance=_num(row, "frozenBalance", optional=True) or Decimal(0),
        equity=_num(row, "equity", optional=True),
        unrealized=_num(row, "unrealized", optional=True),
    )


def _risk_limit(row: dict[str, Any]) -> MexcRiskLimit:
    mmr, imr = _req(row, "mmr"), _req(row, "imr")
    if not 0 <= mmr < 1:
        raise _Bad("mmr")
    return MexcRiskLimit(
        symbol=_str(row, "symbol"),
        long=_int(row, "positionType", optional=True) != 2,
        level=_int(row, "level", optional=True) or 1,
        mmr=mmr,
        imr=imr,
        max_vol=_num(row, "maxVol", optional=True),
    )


def _contract(row: dict[str, Any]) -> MexcContract:
    size = _req(row, "contractSize")
    if size <= 0:
        raise _Bad("contractSize")
    return MexcContract(
        symbol=_str(row, "symbol"),
        contract_size=size,
        display_name=str(row.get("displayName") or ""),
        display_name_en=str(row.get("displayNameEn") or ""),
        price_unit=_num(row, "priceUnit", optional=True),
        maintenance_margin_rate=_num(row, "maintenanceMarginRate", optional=True),
    )


@dataclass(frozen=True, slots=True)
class Rows(Generic[_T]):
    rows: tuple[_T, ...]
    dropped: tuple[DroppedRow, ...] = ()


def _rows(data: Any, read: Callable[[dict[str, Any]], _T], where: str, name_key: str) -> Rows[_T]:
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list):
        raise FrameError(f"{where}: data is not a list")
    kept: list[_T] = []
    dropped: list[DroppedRow] = []
    for row in data:
        if not isinstance(row, dict):
            dropped.append(DroppedRow(where=where, name="", keys=()))
            continue
        try:
            kept.append(read(row))
        except _Bad as bad:
            name = row.get(name_key)
            dropped.append(DroppedRow(where=where, name=name if isinstance(name, str) else "", keys=(bad.key,)))
    return Rows(tuple(kept), tuple(dropped))


def envelope_data(body: bytes) -> Any:
    """A REST answer's `data`: MEXC wraps every answer in {success, code, data}."""
    try:
        doc = _JSON.decode(body)
    except msgspec.DecodeError:
        raise FrameError("answer is not JSON") from None
    if not isinstance(doc, dict):
        raise FrameError("answer is not an object")
    if doc.get("success") is not True:
        raise MexcApiError(_int_or(doc.get("code"), -1), str(doc.get("message") or doc.get("msg") or "")[:200])
    return doc.get("data")


class MexcApiError(Exception):
    """`success: false`: MEXC's code and message (messages never echo keys or signatures)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"MEXC error {code}: {message}")
        self.code = code
        self.message = message


def _int_or(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def positions(data: Any) -> Rows[MexcPosition]:
    return _rows(data, _position, "positions", "symbol")


def assets(data: Any) -> Rows[MexcAsset]:
    return _rows(data, _asset, "assets", "currency")


def risk_limits(data: Any) -> Rows[MexcRiskLimit]:
    """`risk_limit` answers {symbol: [rows]} (one per side); a plain list is taken as well."""
    if isinstance(data, dict) and all(isinstance(v, list) for v in data.values()):
        data = [row for rows in data.values() for row in rows]
    return _rows(data, _risk_limit, "riskLimits", "symbol")


def contracts(data: Any) -> Rows[MexcContract]:
    return _rows(data, _contract, "contracts", "symbol")


def fair_prices(data: Any) -> dict[str, Decimal]:
    """`contract/ticker` rows → symbol: fairPrice; rows without a positive price are skipped."""
    out: dict[str, Decimal] = {}
    for row in data if isinstance(data, list) else [data]:
        if not isinstance(row, dict):
            continue
        try:
            symbol, price = _str(row, "symbol"), _req(row, "fairPrice")
        except _Bad:
            continue
        if price > 0:
            out[symbol] = price
    return out


# ------------------------------------------------------------------ private WebSocket frames


@dataclass(frozen=True, slots=True)
class LoginReply:
    ok: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Pong:
    ts: int


@dataclass(frozen=True, slots=True)
class Push:
    """A `push.personal.*` frame: `rows` holds its decoded value (or nothing: `dropped` says why)."""

    channel: str
    ts: int
    rows: tuple[Any, ...]
    dropped: tuple[DroppedRow, ...] = ()


@dataclass(frozen=True, slots=True)
class FairPrice:
    """`push.fair.price`: MEXC's mark price of one contract."""

    symbol: str
    price: Decimal
    ts: int


@dataclass(frozen=True, slots=True)
class OtherFrame:
    channel: str


MexcFrame = LoginReply | Pong | Push | FairPrice | OtherFrame


def _notify(row: dict[str, Any], ts: int) -> MexcNotify:
    param = row.get("param")
    if not isinstance(param, dict):
        raise _Bad("param")
    open_type = _int(param, "openType", optional=True)
    return MexcNotify(
        notify_type=_int(param, "notifyType") or 0,
        isolated=None if open_type is None else open_type == 1,
        display_name=str(param.get("dn") or ""),
        display_name_en=str(param.get("dne") or ""),
        margin_rate=_num(param, "marginRate", optional=True),
        ts=ts,
    )


def _liquidate_risk(row: dict[str, Any], ts: int) -> MexcLiquidateRisk:
    liq = _num(row, "liquidatePrice", optional=True)
    return MexcLiquidateRisk(
        symbol=_str(row, "symbol"),
        position_id=_int(row, "positionId", optional=True) or 0,
        liquidate_price=liq if liq is not None and liq > 0 else None,
        margin_ratio=_num(row, "marginRatio", optional=True),
        adl_level=_int(row, "adlLevel", optional=True),
        ts=ts,
    )


_PUSH_READERS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "push.personal.position": ("symbol", _position),
    "push.personal.asset": ("currency", _asset),
    "push.personal.risk.limit": ("symbol", _risk_limit),
}


def decode_private_frame(raw: bytes | str) -> MexcFrame:
    """One private-stream frame (already inflated). FrameError: not JSON or no channel."""
    try:
        doc = _JSON.decode(raw)
    except msgspec.DecodeError:
        raise FrameError("frame is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("channel"), str):
        raise FrameError("frame has no channel")
    channel: str = doc["channel"]
    data = doc.get("data")
    ts = _ts(doc.get("ts"))
    if channel == "rs.login":
        return LoginReply(data == "success", "" if data == "success" else str(data)[:200])
    if channel == "rs.error":
        return LoginReply(False, str(data)[:200])
    if channel == "pong":
        return Pong(_ts(data))
    if channel == "push.fair.price":
        if not isinstance(data, dict):
            raise FrameError("push.fair.price: data is not an object")
        try:
            price = _req(data, "price")
            symbol = _str(doc if isinstance(doc.get("symbol"), str) else data, "symbol")
        except _Bad as bad:
            raise FrameError(f"push.fair.price: {bad.key} unreadable") from None
        if price <= 0:
            raise FrameError("push.fair.price: price is not positive")
        return FairPrice(symbol, price, ts)
    if channel in _PUSH_READERS:
        name_key, read = _PUSH_READERS[channel]
        found = _rows(data, read, channel, name_key)
        return Push(channel, ts, found.rows, found.dropped)
    if channel in ("push.personal.generic.notify", "push.personal.liquidate.risk"):
        reader = _notify if channel.endswith("notify") else _liquidate_risk
        if not isinstance(data, dict):
            return Push(channel, ts, (), (DroppedRow(where=channel, name="", keys=("data",)),))
        try:
            return Push(channel, ts, (reader(data, ts),))
        except _Bad as bad:
            return Push(channel, ts, (), (DroppedRow(where=channel, name="", keys=(bad.key,)),))
    return OtherFrame(channel)


def _ts(value: Any) -> int:
    # MEXC sends `ts` as a number, and in the login reply's sample as a string.
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return 0


def match_display_name(notify: MexcNotify, contracts_by_symbol: Sequence[MexcContract]) -> str | None:
    """The symbol a notice names by display name ("BTC_USDT PERPETUAL", "BTC_USDT永续"), or None."""
    names = {n.strip().casefold() for n in (notify.display_name, notify.display_name_en) if n.strip()}
    if not names:
        return None
    for c in contracts_by_symbol:
        if {c.display_name.strip().casefold(), c.display_name_en.strip().casefold()} & names:
            return c.symbol
    for c in contracts_by_symbol:  # detail unknown: the display names start with the symbol
        if any(n.split()[0].startswith(c.symbol.casefold()) for n in names):
            return c.symbol
    return None
