"""Signatures: the Binance docs' HMAC vectors, Ed25519 round trips, and secrets kept out of reprs."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from marginwatch.exchange.credentials import Credentials
from marginwatch.exchange.endpoints import Endpoints
from marginwatch.exchange.signing import (
    Ed25519Signer,
    HmacSigner,
    encode_signature,
    hmac_sha256_hex,
    signer_for,
    verify_ed25519,
)

FUTURES_SECRET = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9"
FUTURES_PAYLOAD = (
    "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943"
)
SPOT_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
SPOT_PAYLOAD = (
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)
SPOT_NON_ASCII_PAYLOAD = (
    "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC"
    "&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
)


@pytest.mark.parametrize(
    ("secret", "payload", "expected"),
    [
        (FUTURES_SECRET, FUTURES_PAYLOAD, "3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9"),
        (SPOT_SECRET, SPOT_PAYLOAD, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"),
        (SPOT_SECRET, SPOT_NON_ASCII_PAYLOAD, "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"),
    ],
)
def test_hmac_matches_binance_doc_vectors(secret: str, payload: str, expected: str) -> None:
    assert hmac_sha256_hex(secret, payload) == expected
    assert HmacSigner(secret).sign(payload) == expected


def test_hmac_depends_on_every_byte() -> None:
    signer = HmacSigner(FUTURES_SECRET)
    assert signer.sign(FUTURES_PAYLOAD) != signer.sign(FUTURES_PAYLOAD.replace("9000", "9001"))


def _ed25519_pem() -> tuple[str, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, key


def test_ed25519_round_trip_and_determinism() -> None:
    pem, key = _ed25519_pem()
    signer = Ed25519Signer(pem)
    sig = signer.sign(FUTURES_PAYLOAD)
    assert len(base64.b64decode(sig)) == 64
    assert sig == signer.sign(FUTURES_PAYLOAD)  # Ed25519 is deterministic
    public = signer.public_key_pem()
    assert verify_ed25519(public, FUTURES_PAYLOAD, sig)
    assert not verify_ed25519(public, FUTURES_PAYLOAD + "&x=1", sig)
    other_public = Ed25519Signer(_ed25519_pem()[0]).public_key_pem()
    assert not verify_ed25519(other_public, FUTURES_PAYLOAD, sig)
    key.public_key().verify(base64.b64decode(sig), FUTURES_PAYLOAD.encode())  # raises if wrong


def test_ed25519_signature_is_percent_encoded_for_the_query() -> None:
    encoded = encode_signature("ab+/cd==")
    assert encoded == "ab%2B%2Fcd%3D%3D"


def test_signer_for_picks_the_key_type() -> None:
    pem, _ = _ed25519_pem()
    assert isinstance(signer_for(Credentials("k" * 64, FUTURES_SECRET, "hmac")), HmacSigner)
    assert isinstance(signer_for(Credentials("k" * 64, pem, "ed25519")), Ed25519Signer)


@pytest.mark.parametrize("bad", ["not a pem", FUTURES_SECRET])
def test_bad_ed25519_secret_is_a_clear_error_without_the_secret(bad: str) -> None:
    with pytest.raises(ValueError, match="Ed25519") as info:
        Ed25519Signer(bad)
    assert bad not in str(info.value)


def test_credentials_never_show_the_secret() -> None:
    creds = Credentials("dbefbc809e3e83c283a984c3a1459732", FUTURES_SECRET, "hmac")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert FUTURES_SECRET not in text
        assert "dbef" in text
        assert "dbefb" not in text
    pem, _ = _ed25519_pem()
    ed = Credentials("edkey123456", pem, "ed25519")
    assert "PRIVATE" not in repr(ed)
    assert "PRIVATE" not in repr(Ed25519Signer(pem))
    assert FUTURES_SECRET not in repr(HmacSigner(FUTURES_SECRET))


@pytest.mark.parametrize(
    ("key", "secret", "key_type"),
    [("", "s", "hmac"), ("k", "", "hmac"), (" k", "s", "hmac"), ("k", "s", "rsa")],
)
def test_credentials_reject_bad_input(key: str, secret: str, key_type: str) -> None:
    with pytest.raises(ValueError):
        Credentials(key, secret, key_type)  # type: ignore[arg-type]


def test_endpoints_build_routed_urls() -> None:
    main = Endpoints.mainnet()
    assert main.private_ws_url("abc") == "wss://fstream.binance.com/private/ws/abc"
    assert (
        main.market_stream_url(["btcusdt@markPrice@1s", "!markPrice@arr"])
        == "wss://fstream.binance.com/market/stream?streams=btcusdt@markPrice@1s/!markPrice@arr"
    )
    assert main.market_ws_url() == "wss://fstream.binance.com/market/ws"
    local = Endpoints.local("http://127.0.0.1:5000/", "ws://127.0.0.1:5000")
    assert local.rest == local.sapi_rest == "http://127.0.0.1:5000"
    assert local.private_ws == "ws://127.0.0.1:5000/private"
    assert local.market_ws == "ws://127.0.0.1:5000/market"
    test = Endpoints.testnet(rest="https://testnet.binancefuture.com")
    assert test.rest == "https://testnet.binancefuture.com"
    assert test.market_ws.endswith("/market")
    with pytest.raises(ValueError):
        main.private_ws_url("")
    with pytest.raises(ValueError):
        main.market_stream_url([])
