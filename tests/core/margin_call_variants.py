"""MARGIN_CALL frames that deviate from the documented example in one way each (shared by the
decoder tests and the alert tests): what is sent, and which wire keys cannot be read from it."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "binance" / "margin_call.json"
DOCUMENTED: dict[str, Any] = json.loads(FIXTURE.read_bytes())
ABSENT = object()  # a key the frame leaves out


@dataclass(frozen=True)
class Variant:
    doc: dict[str, Any]
    unreadable: tuple[str, ...]  # wire keys, in position order, the call's own `cw` first

    @property
    def frame(self) -> bytes:
        return json.dumps(self.doc).encode()


def margin_call(position: dict[str, Any] | None = None, *, extra_positions: int = 0, **top: Any) -> dict[str, Any]:
    """The documented MARGIN_CALL with its position's (and top-level) fields replaced or left out."""
    doc = copy.deepcopy(DOCUMENTED)
    first = doc["p"][0]
    for key, value in (position or {}).items():
        if value is ABSENT:
            first.pop(key, None)
        else:
            first[key] = value
    for key, value in top.items():
        if value is ABSENT:
            doc.pop(key, None)
        else:
            doc[key] = value
    for i in range(extra_positions):
        doc["p"].append({**DOCUMENTED["p"][0], "s": f"SOL{i}USDT"})
    return doc


VARIANTS: dict[str, Variant] = {
    # Binance documents iw as "if isolated position": leaving it out is no fault.
    "iw_missing": Variant(margin_call({"iw": ABSENT}), ()),
    "iw_null": Variant(margin_call({"iw": None}), ()),
    "mp_empty": Variant(margin_call({"mp": ""}), ("mp",)),
    "mt_unknown": Variant(margin_call({"mt": "PORTFOLIO"}), ("mt",)),
    "ps_unknown": Variant(margin_call({"ps": "BOTHER"}), ("ps",)),
    "pa_snan": Variant(margin_call({"pa": "sNaN"}), ("pa",)),
    "mm_infinite": Variant(margin_call({"mm": "Infinity"}), ("mm",)),
    "up_huge_number": Variant(margin_call({"up": 1e300}), ("up",)),
    "symbol_missing_of_two": Variant(margin_call({"s": ABSENT}, extra_positions=1), ("s",)),
    "cw_nan": Variant(margin_call(cw="NaN"), ("cw",)),
    "mark_and_pnl_unreadable": Variant(margin_call({"mp": None, "up": "NaN"}), ("mp", "up")),
}


@dataclass(frozen=True)
class EnvelopeVariant:
    doc: dict[str, Any]
    unreadable: tuple[str, ...]  # the call's own unreadable keys (`E`, `cw`, `p`)
    positions: int  # how many positions can still be read

    @property
    def frame(self) -> bytes:
        return json.dumps(self.doc).encode()


# MARGIN_CALLs whose envelope is odd: the time or the positions list itself.
ENVELOPE_VARIANTS: dict[str, EnvelopeVariant] = {
    "E_text": EnvelopeVariant(margin_call(E="soon"), ("E",), 1),
    "E_missing": EnvelopeVariant(margin_call(E=ABSENT), ("E",), 1),
    "E_null": EnvelopeVariant(margin_call(E=None), ("E",), 1),
    "E_fraction": EnvelopeVariant(margin_call(E=1587727187525.5), ("E",), 1),
    "E_object": EnvelopeVariant(margin_call(E={"t": 1}), ("E",), 1),
    "p_text": EnvelopeVariant(margin_call(p="x"), ("p",), 0),
    "p_missing": EnvelopeVariant(margin_call(p=ABSENT), ("p",), 0),
    "p_object": EnvelopeVariant(margin_call(p=DOCUMENTED["p"][0]), ("p",), 0),
    "p_numbers": EnvelopeVariant(margin_call(p=[1, 2]), ("p",), 0),
    "p_one_of_two_no_object": EnvelopeVariant(margin_call(p=[DOCUMENTED["p"][0], "SOLUSDT"]), ("p",), 1),
    "E_and_p_and_cw": EnvelopeVariant(margin_call(E="soon", p="x", cw="NaN"), ("E", "cw", "p"), 0),
}
