"""Typed wire codecs for Binance USDⓈ-M user-data events and mark-price frames.

Structs use Binance's short keys on the wire (`field(name=...)`) and readable attribute
names in code. Money travels as strings and decodes to Decimal. Decoders are built once and
run non-strict so that a time sent as a string (`"E": "1693427319838"`, seen in the wild)
becomes an int; unknown keys are ignored so new exchange fields do not break us.

Two kinds of frame are never dropped whole for one odd part: a MARGIN_CALL decodes as far as it
can be read, naming the rest in `unreadable` (a margin call must reach the user); an ACCOUNT_UPDATE
row holding a number that is not finite (NaN, sNaN, ±inf), not plausibly sized or impossible (a
negative entry price) is left out and named in `dropped`, the other rows kept.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeAlias

import msgspec
from msgspec import field

from marginwatch.core.position import MarginType, PositionSide

__all__ = [
    "AccountConfigUpdate",
    "AccountUpdate",
    "AccountUpdateData",
    "AssetModeConfig",
    "BalanceUpdate",
    "DroppedRow",
    "ErrorReply",
    "FrameError",
    "LeverageConfig",
    "ListenKeyExpired",
    "MarginCall",
    "MarginCallPosition",
    "MarkPriceUpdate",
    "MarketFrame",
    "PositionUpdate",
    "PrivateFrame",
    "SubscriptionReply",
    "UnknownEvent",
    "UnreadableField",
    "UserEvent",
    "decode_market_frame",
    "decode_private_frame",
    "decode_user_event",
    "encode_event",
    "encode_stream",
    "encode_wire",
    "implausible_numbers",
]

_MAX_MSG = 200


class FrameError(Exception):
    """A frame that is not valid JSON or does not have the documented shape.

    The message names what was wrong and where (a JSON path), never the frame's content.
    """


class _Wire(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, gc=False):
    """Base of every wire struct: immutable; absent optional fields stay absent on encode."""


class _Event(_Wire, tag_field="e", frozen=True, kw_only=True):
    event_time: int = field(name="E")


def _parse_margin_type(raw: str) -> MarginType:
    return MarginType.parse(raw)


# --------------------------------------------------------------------------- MARGIN_CALL


class UnreadableField(_Wire, frozen=True, kw_only=True):
    """A MARGIN_CALL field that could not be read: its wire key and its JSON text as sent
    (None when the field was missing). On the call itself: `E` (the time), `cw` and `p` (the
    positions, when it is no array of objects: those of its elements that are objects are read)."""

    key: str
    sent: str | None = None


class MarginCallPosition(_Wire, frozen=True, kw_only=True):
    """One position of a MARGIN_CALL, as far as it could be read.

    A margin call must reach the user even when a field is odd, so a field that is missing, of the
    wrong type, an unknown spelling or a non-finite number (NaN, sNaN, inf) is not an error: it is
    left empty (None; `symbol` "") and named in `unreadable`. `iw` is optional ("if isolated position").
    """

    symbol: str = field(default="", name="s")
    position_side: PositionSide | None = field(default=None, name="ps")
    amount: Decimal | None = field(default=None, name="pa")
    # Kept as sent ("CROSSED" here, "cross"/"isolated" elsewhere) so encoding is exact.
    margin_type_wire: str | None = field(default=None, name="mt")
    isolated_wallet: Decimal | None = field(default=None, name="iw")
    mark_price: Decimal | None = field(default=None, name="mp")
    unrealized_pnl: Decimal | None = field(default=None, name="up")
    maint_margin: Decimal | None = field(default=None, name="mm")
    unreadable: tuple[UnreadableField, ...] = field(default=(), name="unreadable")

    def __post_init__(self) -> None:
        # Decoding never gets here with an unknown spelling (it is unreadable then); code that builds
        # a position must not either, or `margin_type` would fail on a later read.
        if self.margin_type_wire is not None:
            _parse_margin_type(self.margin_type_wire)

    @property
    def margin_type(self) -> MarginType | None:
        return None if self.margin_type_wire is None else _parse_margin_type(self.margin_type_wire)


class MarginCall(_Event, tag="MARGIN_CALL", frozen=True, kw_only=True):
    """`event_time` is the receive time when `E` could not be read (`unreadable` says so)."""

    cross_wallet: Decimal | None = field(default=None, name="cw")  # only for cross margin calls
    positions: tuple[MarginCallPosition, ...] = field(name="p")
    unreadable: tuple[UnreadableField, ...] = field(default=(), name="unreadable")  # `E`, `cw`, `p`
    account_alias: str | None = field(default=None, name="i")  # COIN-M only

    @property
    def unreadable_count(self) -> int:
        """How many fields of the call, its positions' included, could not be read."""
        return len(self.unreadable) + sum(len(p.unreadable) for p in self.positions)


class _MarginCallWire(_Event, tag="MARGIN_CALL", frozen=True, kw_only=True):
    """What the typed decoders take a MARGIN_CALL as: its fields are read one by one afterwards."""

    cross_wallet: msgspec.Raw | msgspec.UnsetType = field(default=msgspec.UNSET, name="cw")
    positions: tuple[dict[str, msgspec.Raw], ...] = field(name="p")
    account_alias: msgspec.Raw | msgspec.UnsetType = field(default=msgspec.UNSET, name="i")


class _MarginCallEnvelope(msgspec.Struct, frozen=True, gc=False):
    """A MARGIN_CALL the typed decoders refused (`E` or `p` odd): every part still raw."""

    E: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    cw: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    p: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    i: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET


_DECIMAL_DEC = msgspec.json.Decoder(Decimal)
_STR_DEC = msgspec.json.Decoder(str)
_NULL = b"null"
# Beyond this a "number" is no plausible amount or price, and printing it in full (`f` format)
# would take as many characters as its exponent.
_MAX_EXPONENT = 40
_MAX_SYMBOL_LEN = 64
_SIDES = frozenset(side.value for side in PositionSide)


def _sent(raw: msgspec.Raw) -> str:
    return bytes(raw).decode("utf-8", "replace")


def _plausible(value: Decimal) -> bool:
    return value.is_finite() and (not value or abs(value.adjusted()) <= _MAX_EXPONENT)


def _read_decimal(raw: msgspec.Raw) -> Decimal | None:
    try:
        value = _DECIMAL_DEC.decode(raw)
    except _DECODE_ERRORS:
        return None
    return value if _plausible(value) else None


def _read_text(raw: msgspec.Raw) -> str | None:
    try:
        return _STR_DEC.decode(raw)
    except _DECODE_ERRORS:
        return None


def _read_symbol(raw: msgspec.Raw) -> str | None:
    text = _read_text(raw)
    ok = text is not None and 0 < len(text) <= _MAX_SYMBOL_LEN and text.isprintable() and not text.isspace()
    return text if ok else None


def _read_side(raw: msgspec.Raw) -> PositionSide | None:
    text = _read_text(raw)
    return PositionSide(text) if text is not None and text in _SIDES else None


def _read_margin_type(raw: msgspec.Raw) -> str | None:
    text = _read_text(raw)
    if text is None:
        return None
    try:
        _parse_margin_type(text)
    except ValueError:
        return None
    return text


_POSITION_READERS: tuple[tuple[str, str, Any, bool], ...] = (
    # wire key, attribute, reader, optional (missing or null is no fault)
    ("s", "symbol", _read_symbol, False),
    ("ps", "position_side", _read_side, False),
    ("pa", "amount", _read_decimal, False),
    ("mt", "margin_type_wire", _read_margin_type, False),
    ("iw", "isolated_wallet", _read_decimal, True),
    ("mp", "mark_price", _read_decimal, False),
    ("up", "unrealized_pnl", _read_decimal, False),
    ("mm", "maint_margin", _read_decimal, False),
)


def _read_position(wire: dict[str, msgspec.Raw]) -> MarginCallPosition:
    values: dict[str, Any] = {}
    unreadable: list[UnreadableField] = []
    for key, attr, read, optional in _POSITION_READERS:
        raw = wire.get(key)
        if raw is None or (optional and bytes(raw) == _NULL):
            if not optional:
                unreadable.append(UnreadableField(key=key))
            continue
        value = read(raw)
        if value is None:
            unreadable.append(UnreadableField(key=key, sent=_sent(raw)))
        else:
            values[attr] = value
    return MarginCallPosition(**values, unreadable=tuple(unreadable))


def _read_cross_wallet(cw: msgspec.Raw | msgspec.UnsetType) -> tuple[Decimal | None, tuple[UnreadableField, ...]]:
    if isinstance(cw, msgspec.UnsetType) or bytes(cw) == _NULL:  # absent for isolated calls
        return None, ()
    value = _read_decimal(cw)
    return value, (() if value is not None else (UnreadableField(key="cw", sent=_sent(cw)),))


def _read_alias(raw: msgspec.Raw | msgspec.UnsetType) -> str | None:
    """COIN-M's account alias `i`: a label only, so an odd one is simply not kept."""
    return None if isinstance(raw, msgspec.UnsetType) else _read_text(raw)


def _read_margin_call(wire: _MarginCallWire) -> MarginCall:
    cross_wallet, unreadable = _read_cross_wallet(wire.cross_wallet)
    return MarginCall(
        event_time=wire.event_time,
        cross_wallet=cross_wallet,
        positions=tuple(_read_position(p) for p in wire.positions),
        unreadable=unreadable,
        account_alias=_read_alias(wire.account_alias),
    )


_POSITION_WIRE_DEC = msgspec.json.Decoder(dict[str, msgspec.Raw])


def _read_envelope(wire: _MarginCallEnvelope, now_ms: Callable[[], int] | None) -> MarginCall:
    """A MARGIN_CALL whose `E` or `p` is odd: what can be read of it, and what could not."""
    unreadable: list[UnreadableField] = []
    event_time: int | None = None
    if not isinstance(wire.E, msgspec.UnsetType):
        try:
            event_time = _INT_DEC.decode(wire.E)
        except _DECODE_ERRORS:
            pass
    if event_time is None:
        unreadable.append(UnreadableField(key="E", sent=None if isinstance(wire.E, msgspec.UnsetType)
                                          else _sent(wire.E)))
        event_time = now_ms() if now_ms is not None else 0
    cross_wallet, cw_unreadable = _read_cross_wallet(wire.cw)
    unreadable.extend(cw_unreadable)
    positions: list[MarginCallPosition] = []
    items: list[msgspec.Raw] | None = None
    if not isinstance(wire.p, msgspec.UnsetType):
        try:
            items = _RAW_LIST_DEC.decode(wire.p)
        except _DECODE_ERRORS:
            pass
    odd = items is None
    for item in items or ():
        try:
            positions.append(_read_position(_POSITION_WIRE_DEC.decode(item)))
        except _DECODE_ERRORS:
            odd = True
    if odd:
        unreadable.append(UnreadableField(key="p", sent=None if isinstance(wire.p, msgspec.UnsetType)
                                          else _sent(wire.p)))
    return MarginCall(event_time=event_time, cross_wallet=cross_wallet, positions=tuple(positions),
                      unreadable=tuple(unreadable), account_alias=_read_alias(wire.i))


# --------------------------------------------------------------------------- ACCOUNT_UPDATE


class BalanceUpdate(_Wire, frozen=True, kw_only=True):
    asset: str = field(name="a")
    wallet_balance: Decimal = field(name="wb")
    cross_wallet: Decimal = field(name="cw")
    balance_change: Decimal | None = field(default=None, name="bc")


class PositionUpdate(_Wire, frozen=True, kw_only=True):
    symbol: str = field(name="s")
    amount: Decimal = field(name="pa")
    entry_price: Decimal = field(name="ep")
    breakeven_price: Decimal | None = field(default=None, name="bep")
    accumulated_realized: Decimal | None = field(default=None, name="cr")
    unrealized_pnl: Decimal | None = field(default=None, name="up")
    margin_type_wire: str = field(name="mt")
    isolated_wallet: Decimal | None = field(default=None, name="iw")
    position_side: PositionSide = field(name="ps")

    def __post_init__(self) -> None:
        _parse_margin_type(self.margin_type_wire)

    @property
    def margin_type(self) -> MarginType:
        return _parse_margin_type(self.margin_type_wire)


class DroppedRow(_Wire, frozen=True, kw_only=True):
    """A row left out of an answer because a number in it is not finite (NaN, sNaN, ±inf) or not
    plausibly sized: the list it was in (`P`, `B`, `positionRisk`), what it named (symbol or asset)
    and the keys of those numbers."""

    where: str
    name: str
    keys: tuple[str, ...]


# Numbers that are finite but impossible for what they say (a negative entry price): the row is
# dropped like a NaN one, because the risk maths would reject the position it describes.
_NEGATIVE = frozenset({"ep", "iw", "entryPrice", "isolatedWallet"})
_POSITIVE_WHEN_OPEN = frozenset({"markPrice"})  # with a nonzero amount (`positionAmt`)


def _decimal_fields(cls: type[msgspec.Struct]) -> tuple[tuple[str, str, int], ...]:
    """(attribute, wire key, check) of the Decimal fields of a row type; check 1: must not be
    negative, 2: must be positive on an open row. Worked out once per type: the filter runs on
    every ACCOUNT_UPDATE row."""
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = tuple(
            (f.name, f.encode_name, _check(f.encode_name))
            for f in msgspec.structs.fields(cls)
            if f.type is Decimal or Decimal in typing.get_args(f.type)
        )
    return plan


_PLANS: dict[type[msgspec.Struct], tuple[tuple[str, str, int], ...]] = {}


def _check(key: str) -> int:
    return 1 if key in _NEGATIVE else 2 if key in _POSITIVE_WHEN_OPEN else 0


def implausible_numbers(row: msgspec.Struct) -> tuple[str, ...]:
    """Wire keys of a decoded row's Decimals that are not finite, not plausibly sized, or impossible:
    a negative entry price or isolated wallet; a mark price <= 0 on an open positionRisk row."""
    out: list[str] | None = None
    for attr, key, check in _decimal_fields(type(row)):
        value = getattr(row, attr)
        if not isinstance(value, Decimal):
            continue
        if not (value.is_finite() and (not value or -_MAX_EXPONENT <= value.adjusted() <= _MAX_EXPONENT)) or (
            check and (value < 0 if check == 1 else value <= 0 and getattr(row, "positionAmt", None))
        ):
            if out is None:
                out = []
            out.append(key)
    return tuple(out) if out else ()


class AccountUpdateData(_Wire, frozen=True, kw_only=True):
    reason: str = field(name="m")
    # A FUNDING_FEE update on cross positions has only B, no P.
    balances: tuple[BalanceUpdate, ...] | None = field(default=None, name="B")
    positions: tuple[PositionUpdate, ...] | None = field(default=None, name="P")
    funding_symbol: str | None = field(default=None, name="S")
    dropped: tuple[DroppedRow, ...] = field(default=(), name="dropped")  # never on the wire


def _without_implausible_rows(event: AccountUpdate) -> AccountUpdate:
    data = event.data
    if not any(map(implausible_numbers, (*(data.balances or ()), *(data.positions or ())))):
        return event  # the usual case, without rebuilding the rows
    dropped: list[DroppedRow] = []

    def kept(rows: tuple[Any, ...] | None, where: str, name: str) -> tuple[Any, ...] | None:
        if rows is None:
            return None
        out = []
        for row in rows:
            keys = implausible_numbers(row)
            if keys:
                dropped.append(DroppedRow(where=where, name=getattr(row, name), keys=keys))
            else:
                out.append(row)
        return tuple(out)

    balances = kept(data.balances, "B", "asset")
    positions = kept(data.positions, "P", "symbol")
    if not dropped:
        return event
    new = msgspec.structs.replace(data, balances=balances, positions=positions, dropped=tuple(dropped))
    return msgspec.structs.replace(event, data=new)


class AccountUpdate(_Event, tag="ACCOUNT_UPDATE", frozen=True, kw_only=True):
    transaction_time: int | None = field(default=None, name="T")
    data: AccountUpdateData = field(name="a")
    account_alias: str | None = field(default=None, name="i")  # COIN-M only


# --------------------------------------------------------------------------- config and key


class LeverageConfig(_Wire, frozen=True, kw_only=True):
    symbol: str = field(name="s")
    leverage: int = field(name="l")


class AssetModeConfig(_Wire, frozen=True, kw_only=True):
    multi_assets: bool = field(name="j")


class AccountConfigUpdate(_Event, tag="ACCOUNT_CONFIG_UPDATE", frozen=True, kw_only=True):
    transaction_time: int | None = field(default=None, name="T")
    leverage: LeverageConfig | None = field(default=None, name="ac")
    asset_mode: AssetModeConfig | None = field(default=None, name="ai")


class ListenKeyExpired(_Event, tag="listenKeyExpired", frozen=True, kw_only=True):
    listen_key: str | None = field(default=None, name="listenKey")

    def __repr__(self) -> str:  # the key is a bearer credential for the stream
        return f"ListenKeyExpired(event_time={self.event_time}, listen_key=<redacted>)"


# --------------------------------------------------------------------------- mark price


def _opt_decimal(text: str | None) -> Decimal | None:
    if not text:
        return None
    try:
        return Decimal(text)
    except ArithmeticError:
        return None


class MarkPriceUpdate(_Event, tag="markPriceUpdate", frozen=True, kw_only=True):
    """One symbol's mark price. Prices stay text on decoding: the side fields can be empty
    strings (delivery contracts send `"r": ""`), which must not make a whole all-market frame
    fail, and the mark price is checked where it is used (AccountState, for held symbols)."""

    symbol: str = field(name="s")
    # Kept as text until a held symbol needs it: making a Decimal of every price in a 600-symbol
    # all-market frame was most of the hot path's cost, and only a handful are ever held.
    mark_price_text: str = field(name="p")
    mark_price_avg_str: str | None = field(default=None, name="ap")
    index_price_str: str | None = field(default=None, name="i")
    settle_price_str: str | None = field(default=None, name="P")
    funding_rate_str: str | None = field(default=None, name="r")
    next_funding_time: int | None = field(default=None, name="T")
    symbol_type: int | None = field(default=None, name="st")  # 1 = UM, 2 = CM

    @property
    def mark_price(self) -> Decimal:
        """Raises decimal.InvalidOperation when the exchange sent something that is not a number."""
        return Decimal(self.mark_price_text)

    @property
    def index_price(self) -> Decimal | None:
        return _opt_decimal(self.index_price_str)

    @property
    def estimated_settle_price(self) -> Decimal | None:
        return _opt_decimal(self.settle_price_str)

    @property
    def funding_rate(self) -> Decimal | None:
        return _opt_decimal(self.funding_rate_str)

    @property
    def mark_price_avg(self) -> Decimal | None:
        return _opt_decimal(self.mark_price_avg_str)


# --------------------------------------------------------------------------- frames

# Only the events the app acts on are modelled; the other documented ones (ORDER_TRADE_UPDATE,
# TRADE_LITE, STRATEGY_UPDATE, GRID_UPDATE, CONDITIONAL_ORDER_TRIGGER_REJECT, ALGO_UPDATE) are
# UnknownEvents, which cost no typed decode and cannot fail on a field nothing reads.
UserEvent: TypeAlias = MarginCall | AccountUpdate | AccountConfigUpdate | ListenKeyExpired

_USER_TAGS = frozenset({"MARGIN_CALL", "ACCOUNT_UPDATE", "ACCOUNT_CONFIG_UPDATE", "listenKeyExpired"})


@dataclass(frozen=True, slots=True)
class UnknownEvent:
    """A well-formed event whose `e` we do not model (see UserEvent). `raw` is the event's own JSON
    (the inner `data` when it came in a combined-stream wrapper), kept for logging/forwarding."""

    event_type: str
    event_time: int | None
    raw: bytes

    def __repr__(self) -> str:  # raw may hold anything; keep it out of logs
        return f"UnknownEvent(event_type={self.event_type!r}, event_time={self.event_time}, {len(self.raw)} bytes)"


@dataclass(frozen=True, slots=True)
class SubscriptionReply:
    """Reply to a SUBSCRIBE/UNSUBSCRIBE/... request: `{"result": null, "id": 1}`."""

    id: int | str | None
    result: Any


@dataclass(frozen=True, slots=True)
class ErrorReply:
    """Error reply to a stream request: `{"error": {"code": 2, "msg": "..."}, "id": 1}`."""

    id: int | str | None
    code: int | None
    msg: str


# What the typed decoders produce: a MARGIN_CALL still as raw fields (see _read_margin_call).
_WireUserEvent: TypeAlias = _MarginCallWire | AccountUpdate | AccountConfigUpdate | ListenKeyExpired

PrivateFrame: TypeAlias = UserEvent | UnknownEvent | SubscriptionReply | ErrorReply
_WirePrivateFrame: TypeAlias = _WireUserEvent | UnknownEvent | SubscriptionReply | ErrorReply
MarketFrame: TypeAlias = list[MarkPriceUpdate] | SubscriptionReply | ErrorReply | UnknownEvent


class _UserEnvelope(msgspec.Struct, gc=False):
    stream: str
    data: _WireUserEvent


class _MarkEnvelope(msgspec.Struct, gc=False):
    stream: str
    data: MarkPriceUpdate | list[MarkPriceUpdate]


_OptRaw: TypeAlias = msgspec.Raw | msgspec.UnsetType


class _Peek(msgspec.Struct, gc=False):
    """Loose view of any frame, used only when the typed fast path failed."""

    e: str | None = None
    E: _OptRaw = msgspec.UNSET
    data: _OptRaw = msgspec.UNSET
    result: _OptRaw = msgspec.UNSET
    error: _OptRaw = msgspec.UNSET
    id: _OptRaw = msgspec.UNSET


class _ErrorBody(msgspec.Struct):
    code: int | None = None
    msg: str = ""


_USER_DEC: msgspec.json.Decoder[_WireUserEvent] = msgspec.json.Decoder(_WireUserEvent, strict=False)
_USER_ENV_DEC = msgspec.json.Decoder(_UserEnvelope, strict=False)
_MARK_DEC: msgspec.json.Decoder[MarkPriceUpdate | list[MarkPriceUpdate]] = msgspec.json.Decoder(
    MarkPriceUpdate | list[MarkPriceUpdate], strict=False
)
_MARK_ENV_DEC = msgspec.json.Decoder(_MarkEnvelope, strict=False)
_PEEK_DEC = msgspec.json.Decoder(_Peek)
_ANY_DEC = msgspec.json.Decoder()
_ERR_DEC = msgspec.json.Decoder(_ErrorBody, strict=False)
_ID_DEC: msgspec.json.Decoder[int | str | None] = msgspec.json.Decoder(int | str | None)
_INT_DEC = msgspec.json.Decoder(int, strict=False)
_ENVELOPE_DEC = msgspec.json.Decoder(_MarginCallEnvelope)
_WRAPPED = b'{"stream":'
# Invalid UTF-8 inside a JSON string surfaces as UnicodeDecodeError, absurd nesting as
# RecursionError; both are malformed frames too.
_DECODE_ERRORS = (msgspec.DecodeError, UnicodeDecodeError, RecursionError)


def _as_bytes(raw: bytes | bytearray | memoryview | str) -> bytes:
    if type(raw) is bytes:  # the hot path: websocket frames
        if not raw or raw.isspace():  # isspace() stops at the first '{'; strip() copied the frame
            raise FrameError("empty frame")
        return raw
    if isinstance(raw, bytes):
        data = raw
    elif isinstance(raw, str):
        data = raw.encode("utf-8", "surrogatepass")
    elif isinstance(raw, bytearray | memoryview):
        data = bytes(raw)
    else:
        raise FrameError(f"frame must be bytes or str, not {type(raw).__name__}")
    if not data or data.isspace():
        raise FrameError("empty frame")
    return data


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= _MAX_MSG else text[:_MAX_MSG] + "…"


def _peek(raw: bytes, where: str) -> _Peek:
    try:
        return _PEEK_DEC.decode(raw)
    except msgspec.ValidationError as exc:
        raise FrameError(f"{where} is not a JSON object with a string 'e': {_short(exc)}") from None
    except _DECODE_ERRORS as exc:
        raise FrameError(f"malformed JSON in {where}: {_short(exc)}") from None


def _event_time(peek: _Peek) -> int | None:
    if isinstance(peek.E, msgspec.UnsetType):
        return None
    try:
        return _INT_DEC.decode(peek.E)
    except _DECODE_ERRORS:
        return None


def _reply(peek: _Peek) -> SubscriptionReply | ErrorReply | None:
    unset = msgspec.UnsetType
    if isinstance(peek.id, unset) and isinstance(peek.result, unset) and isinstance(peek.error, unset):
        return None
    try:
        ident = None if isinstance(peek.id, unset) else _ID_DEC.decode(peek.id)
        if not isinstance(peek.error, unset):
            body = _ERR_DEC.decode(peek.error)
            return ErrorReply(id=ident, code=body.code, msg=body.msg)
        result = None if isinstance(peek.result, unset) else _ANY_DEC.decode(peek.result)
    except _DECODE_ERRORS as exc:
        raise FrameError(f"malformed stream reply: {_short(exc)}") from None
    return SubscriptionReply(id=ident, result=result)


def _unwrap(raw: bytes) -> tuple[_Peek, bytes]:
    """Peek at a frame, stepping into a combined-stream wrapper if there is one."""
    peek = _peek(raw, "frame")
    if isinstance(peek.data, msgspec.UnsetType) or peek.e is not None:
        return peek, raw
    inner = bytes(peek.data)
    if inner.lstrip().startswith(b"["):
        return peek, inner  # an all-market array: the caller looks at its elements
    return _peek(inner, "wrapped 'data'"), inner


def _slow_private(raw: bytes, allow_replies: bool) -> _WirePrivateFrame | _MarginCallEnvelope:
    peek, inner = _unwrap(raw)
    if inner is not raw and inner.lstrip().startswith(b"["):
        raise FrameError("wrapped 'data' is an array, expected one event object")
    if peek.e is None:
        reply = _reply(peek)
        if reply is not None:
            if allow_replies:
                return reply
            raise FrameError("stream reply (result/error/id), not an event")
        raise FrameError("event object has no event type 'e'")
    if peek.e in _USER_TAGS:
        try:
            return _USER_DEC.decode(inner)
        except _DECODE_ERRORS as exc:  # includes ValidationError
            if peek.e == "MARGIN_CALL":  # valid JSON (peeked) in an odd shape: read what can be read
                return _ENVELOPE_DEC.decode(inner)
            raise FrameError(f"bad {peek.e} event: {_short(exc)}") from None
    if peek.e == "markPriceUpdate":
        raise FrameError("markPriceUpdate on the user-data stream")
    return UnknownEvent(event_type=peek.e, event_time=_event_time(peek), raw=inner)


def _decode_private(raw: bytes | str, allow_replies: bool, now_ms: Callable[[], int] | None) -> PrivateFrame:
    frame = _decode_private_wire(raw, allow_replies)
    if isinstance(frame, AccountUpdate):  # the common case first
        return _without_implausible_rows(frame)
    if isinstance(frame, _MarginCallWire):
        return _read_margin_call(frame)
    if isinstance(frame, _MarginCallEnvelope):
        return _read_envelope(frame, now_ms)
    return frame


def _decode_private_wire(raw: bytes | str, allow_replies: bool) -> _WirePrivateFrame | _MarginCallEnvelope:
    data = _as_bytes(raw)
    try:
        if data.startswith(_WRAPPED):
            return _USER_ENV_DEC.decode(data).data
        return _USER_DEC.decode(data)
    except msgspec.ValidationError:
        pass  # unknown event, reply or a real schema error: find out which, slowly
    except _DECODE_ERRORS as exc:
        raise FrameError(f"malformed JSON: {_short(exc)}") from None
    return _slow_private(data, allow_replies)


def decode_user_event(raw: bytes | str, *, now_ms: Callable[[], int] | None = None) -> UserEvent | UnknownEvent:
    """Decode one user-data frame, bare or in a `{"stream":..., "data": {...}}` wrapper.

    Raises FrameError for malformed JSON, wrong types, missing required fields, and for
    stream replies (use `decode_private_frame` on connections that send SUBSCRIBE); a MARGIN_CALL
    only for malformed JSON. `now_ms` (called only then) is the receive time, in ms, that stands in
    for a MARGIN_CALL's unreadable `E` (0 without it).
    """
    frame = _decode_private(raw, allow_replies=False, now_ms=now_ms)
    assert not isinstance(frame, SubscriptionReply | ErrorReply)
    return frame


def decode_private_frame(raw: bytes | str, *, now_ms: Callable[[], int] | None = None) -> PrivateFrame:
    """Like `decode_user_event`, but also returns SUBSCRIBE replies (`/private/stream`)."""
    return _decode_private(raw, allow_replies=True, now_ms=now_ms)


def _slow_market(raw: bytes) -> MarketFrame:
    if raw.lstrip().startswith(b"["):
        peek, inner = _Peek(), raw
    else:
        peek, inner = _unwrap(raw)
    if inner.lstrip().startswith(b"["):
        items = _array_items(inner)
        if not items:
            return []
        types = {_peek(item, "array element").e for item in items}
        if types != {"markPriceUpdate"}:
            if None in types:
                raise FrameError("array element has no event type 'e'")
            first = _peek(items[0], "array element")
            return UnknownEvent(event_type=first.e or "", event_time=_event_time(first), raw=inner)
        return _decode_marks(inner)
    if peek.e is None:
        reply = _reply(peek)
        if reply is None:
            raise FrameError("market frame has no event type 'e'")
        return reply
    if peek.e == "markPriceUpdate":
        return _decode_marks(inner)
    return UnknownEvent(event_type=peek.e, event_time=_event_time(peek), raw=inner)


_RAW_LIST_DEC = msgspec.json.Decoder(list[msgspec.Raw])


def _array_items(raw: bytes) -> list[bytes]:
    try:
        return [bytes(item) for item in _RAW_LIST_DEC.decode(raw)]
    except _DECODE_ERRORS as exc:
        raise FrameError(f"malformed JSON array: {_short(exc)}") from None


def _decode_marks(raw: bytes) -> list[MarkPriceUpdate]:
    try:
        out = _MARK_DEC.decode(raw)
    except _DECODE_ERRORS as exc:
        raise FrameError(f"bad markPriceUpdate: {_short(exc)}") from None
    return out if isinstance(out, list) else [out]


def decode_market_frame(raw: bytes | str) -> MarketFrame:
    """Decode one `/market` frame: mark prices (single, all-market array, or either wrapped
    in a combined-stream envelope) as a list; a SUBSCRIBE reply; an error reply; or an
    unknown event. Raises FrameError for anything malformed."""
    # Websocket frames (bytes) go to the typed decode with no Python checks first (every mark,
    # every second); what it rejects is checked afterwards, an empty frame included.
    data = raw if type(raw) is bytes else _as_bytes(raw)
    try:
        payload = _MARK_ENV_DEC.decode(data).data if data.startswith(_WRAPPED) else _MARK_DEC.decode(data)
    except msgspec.ValidationError:
        return _slow_market(data)
    except _DECODE_ERRORS as exc:
        _as_bytes(data)  # "empty frame" rather than a JSON error for an empty or blank one
        raise FrameError(f"malformed JSON: {_short(exc)}") from None
    return [payload] if type(payload) is MarkPriceUpdate else payload  # type: ignore[return-value]


# --------------------------------------------------------------------------- encoding

_ENC = msgspec.json.Encoder()


def _plain(obj: Any) -> Any:
    """Decimals as fixed-point strings: str(Decimal("1E-7")) would put an exponent on the wire."""
    if isinstance(obj, Decimal):
        return format(obj, "f")
    if isinstance(obj, dict):
        out = {k: _plain(v) for k, v in obj.items() if k not in ("unreadable", "dropped")}
        # A margin call's unreadable fields go back on the wire exactly as they were sent.
        for item in obj.get("unreadable", ()):
            if item.get("sent") is not None:
                out[item["key"]] = msgspec.Raw(item["sent"].encode())
        return out
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    return obj


def encode_wire(obj: Any) -> bytes:
    """Encode wire structs (or lists/dicts of them) with Binance's keys, decimals as strings."""
    return _ENC.encode(_plain(msgspec.to_builtins(obj, builtin_types=(Decimal,))))


def encode_event(event: UserEvent | MarkPriceUpdate | list[MarkPriceUpdate]) -> bytes:
    """Exactly the wire shape Binance sends; `decode_*(encode_event(x))` gives back `x`."""
    return encode_wire(event)


def encode_stream(stream: str, payload: bytes) -> bytes:
    """Wrap an encoded payload as a combined-stream frame `{"stream": ..., "data": ...}`."""
    return b'{"stream":' + _ENC.encode(stream) + b',"data":' + payload + b"}"
