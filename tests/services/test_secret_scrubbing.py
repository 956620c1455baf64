"""Secrets kept out of the journal, logs, reprs and exceptions: the scrubbing functions one by one,
the journal's redactions, and every repr that stands in for a key."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from marginwatch.core import rest_models as rm
from marginwatch.core.events import ListenKeyExpired, UnknownEvent
from marginwatch.core.risk_tiers import RiskTier
from marginwatch.core.stream_health import StreamHealth, StreamState
from marginwatch.exchange.credentials import Credentials, mask_key
from marginwatch.exchange.listen_key import _key_hint
from marginwatch.exchange.signing import Ed25519Signer, HmacSigner
from marginwatch.services.alert import Alert, AlertKind
from marginwatch.services.journal import Journal
from marginwatch.services.journal_scrub import (
    REDACTED,
    SENSITIVE_KEYS,
    dumps,
    scrub_json,
    scrub_obj,
    scrub_raw,
    scrub_text,
)
from marginwatch.services.secret_store import _Hidden

# ----------------------------------------------------------------------------- decoded JSON


@pytest.mark.parametrize("key", [*sorted(SENSITIVE_KEYS), "apiKey", "SIGNATURE", "X-MBX-APIKEY", "privateKey"])
def test_every_sensitive_key_is_replaced_whatever_its_case(key: str) -> None:
    assert scrub_obj({key: "s3cr3t", "symbol": "BTCUSDT"}) == ({key: REDACTED, "symbol": "BTCUSDT"}, True)


def test_sensitive_keys_are_found_inside_nested_objects_lists_and_tuples() -> None:
    obj = {"a": [{"b": ({"signature": "S1"}, "keep")}], "n": 1}
    assert scrub_obj(obj) == ({"a": [{"b": [{"signature": REDACTED}, "keep"]}], "n": 1}, True)


def test_a_value_without_secrets_comes_back_equal_and_unflagged() -> None:
    obj = {"e": "MARGIN_CALL", "p": [{"s": "ETHUSDT", "pa": "1.3"}], "t": (1, 2)}
    assert scrub_obj(obj) == ({"e": "MARGIN_CALL", "p": [{"s": "ETHUSDT", "pa": "1.3"}], "t": [1, 2]}, False)
    assert scrub_obj([1, "x"]) == ([1, "x"], False)
    assert scrub_obj("apiKey") == ("apiKey", False)


def test_a_secret_only_in_a_later_list_item_still_flags_the_change() -> None:
    assert scrub_obj([{"ok": 1}, {"secret": "S"}]) == ([{"ok": 1}, {"secret": REDACTED}], True)
    assert scrub_obj({"ok": {"x": 1}, "later": {"apiSecret": "S"}})[1] is True


def test_dumps_is_compact_keeps_unicode_and_writes_decimals_as_strings() -> None:
    assert dumps({"a": [1, "主账户"], "d": Decimal("1.50")}) == '{"a":[1,"主账户"],"d":"1.50"}'


# ----------------------------------------------------------------------------- free text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("GET /fapi/v2/account?timestamp=1&signature=abc123 -> 401", "GET /fapi/v2/account?timestamp=1&signature=***"
         " -> 401"),
        ('{"apiKey": "AK1", "x": 1}', '{"apiKey": "***", "x": 1}'),
        ("secret: topsecret, then more", "secret: ***, then more"),
        ("api_key=AK2&recvWindow=5000", "api_key=***&recvWindow=5000"),
        ("API_SECRET='S3'; next", "API_SECRET='***'; next"),
        ("secretKey=S4}", "secretKey=***}"),
        ("private_key = PK5\nnext line", "private_key = ***\nnext line"),
        ("X-MBX-APIKEY: AK6 sent", "X-MBX-APIKEY: *** sent"),
    ],
)
def test_text_scrub_replaces_values_after_secret_names_and_stops_at_the_value_end(text: str, expected: str) -> None:
    assert scrub_text(text, ()) == expected


def test_text_scrub_leaves_words_that_only_contain_a_secret_name() -> None:
    for text in ("mysecret=value", "signatures verified", "the secret was not saved"):
        assert scrub_text(text, ()) == text


def test_text_scrub_replaces_every_registered_value_and_keeps_none_as_none() -> None:
    assert scrub_text("key AKEY000111 for AKEY000222", ["AKEY000111", "AKEY000222"]) == "key *** for ***"
    assert scrub_text(None, ["AKEY000111"]) is None
    assert scrub_text("", ["AKEY000111"]) == ""


# ----------------------------------------------------------------------------- payloads


def test_a_json_payload_without_secrets_is_stored_byte_for_byte() -> None:
    raw = b'{"e": "MARGIN_CALL",  "E":1, "p":[]}'
    assert scrub_raw(raw, ()) == raw.decode()
    assert scrub_raw(raw.decode(), ()) == raw.decode()


def test_a_json_payload_with_a_secret_is_re_encoded_without_it() -> None:
    raw = b'{"e": "X", "apiKey": "AK7", "n": [1, 2]}'
    assert scrub_raw(raw, ()) == '{"e":"X","apiKey":"***","n":[1,2]}'


def test_a_payload_that_is_not_json_is_scrubbed_as_text() -> None:
    assert scrub_raw(b"not json signature=SIG8 end", ()) == "not json signature=*** end"
    assert scrub_raw(bytearray(b"apikey=AK9"), ()) == "apikey=***"


def test_an_empty_payload_stays_empty() -> None:
    assert scrub_raw(b"", ()) == ""
    assert scrub_raw("", ["AKEY000111"]) == ""


def test_invalid_utf8_in_a_payload_is_replaced_not_raised() -> None:
    assert scrub_raw(b"\xff\xfesecret=S10", ()) == "\ufffd\ufffdsecret=***"


def test_registered_values_are_removed_from_payloads_and_json() -> None:
    assert scrub_raw(b'{"note": "uses AKEY000333"}', ["AKEY000333"]) == '{"note": "uses ***"}'
    scrubbed = scrub_json({"note": "uses AKEY000333", "secret": "x"}, ["AKEY000333"])
    assert scrubbed == '{"note":"uses ***","secret":"***"}'


def test_scrub_json_writes_compact_json_and_scrubs_text_inside_values() -> None:
    assert scrub_json({"reason": "GET /x?signature=S11", "d": Decimal("2.5")}, ()) == (
        '{"reason":"GET /x?signature=***","d":"2.5"}'
    )


# ----------------------------------------------------------------------------- the journal's redactions


@pytest.fixture
def journal(tmp_path: Path):
    j = Journal.open(tmp_path / "journal.sqlite3", clock=lambda: 1_000.0)
    yield j
    j.close()


def stored_text(journal: Journal) -> str:
    return json.dumps([(r.summary, r.data) for r in journal.query()], ensure_ascii=False)


def test_a_registered_value_is_kept_out_of_every_kind_of_row(journal: Journal) -> None:
    key = "AKEY0123456789"
    journal.add_redaction(key)
    journal.record_alert(Alert(AlertKind.THRESHOLD, "main", RiskTier.DANGER, f"t {key}", f"b {key}", "k1", 1.0))
    journal.record_margin_call("main", f'{{"e":"MARGIN_CALL","note":"{key}"}}', {"note": key}, 1, "mc:1")
    journal.record_connection("main", StreamHealth("user", StreamState.FAILED, f"key {key} rejected"))
    text = stored_text(journal)
    assert key not in text
    assert text.count(REDACTED) >= 5


def test_a_value_of_six_characters_is_redacted_and_a_shorter_one_is_not(journal: Journal) -> None:
    journal.add_redaction("ABCDEF")
    journal.add_redaction("XYZ12")
    journal.record_connection("main", StreamHealth("user", StreamState.FAILED, "ABCDEF and XYZ12"))
    text = stored_text(journal)
    assert "ABCDEF" not in text and "XYZ12" in text


# ----------------------------------------------------------------------------- reprs that stand in for secrets


def test_mask_key_shows_at_most_four_characters() -> None:
    assert mask_key("dbefbc809e3e83c2") == "dbef…"
    assert mask_key("ab") == "ab…"
    assert mask_key("") == "<empty>"


def test_credentials_repr_and_str_name_the_masked_key_and_hide_the_secret() -> None:
    creds = Credentials("dbefbc809e3e83c2", "S" * 64, "hmac")
    assert repr(creds) == "Credentials(api_key='dbef…', key_type='hmac', secret=<hidden>)"
    assert str(creds) == repr(creds)


def test_signer_reprs_show_only_their_kind() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert repr(HmacSigner("S" * 64)) == "HmacSigner(<hidden>)"
    assert repr(Ed25519Signer(pem)) == "Ed25519Signer(<hidden>)"


def test_listen_key_hint_is_its_first_six_characters() -> None:
    assert _key_hint("pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1") == "pqia91…"


def test_listen_key_reprs_hide_the_key() -> None:
    assert repr(ListenKeyExpired(event_time=5, listen_key="WsCMN0abcdef")) == (
        "ListenKeyExpired(event_time=5, listen_key=<redacted>)"
    )
    assert repr(rm.ListenKeyResponse(listenKey="WsCMN0abcdef")) == "ListenKeyResponse(listenKey=<redacted>)"


def test_unknown_event_repr_gives_its_size_not_its_content() -> None:
    event = UnknownEvent(event_type="NEW_THING", event_time=9, raw=b'{"secret":"S12"}')
    assert repr(event) == "UnknownEvent(event_type='NEW_THING', event_time=9, 16 bytes)"


def test_a_run_only_secret_shows_as_a_placeholder() -> None:
    assert repr(_Hidden("S" * 40)) == "<secret>"
