"""Binance-style request authentication: API key, HMAC-SHA256 / Ed25519 signature, recvWindow."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote_plus

if TYPE_CHECKING:
    from aiohttp import web
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


DEMO_API_KEY = "mwDemoKey0000000000000000000000000000000000000000000000000000000"
DEMO_API_SECRET = "mwDemoSecret000000000000000000000000000000000000000000000000000"

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000
FUTURE_TOLERANCE_MS = 1000


@dataclass(frozen=True, slots=True)
class AuthError(Exception):
    status: int
    code: int
    msg: str

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


BAD_KEY = AuthError(401, -2015, "Invalid API-key, IP, or permissions for action.")
BAD_SIGNATURE = AuthError(400, -1022, "Signature for this request is not valid.")
OUTSIDE_WINDOW = AuthError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
AHEAD = AuthError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")


def mandatory(name: str) -> AuthError:
    return AuthError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed.")


def strip_signature(raw: str) -> tuple[str, str | None]:
    """(raw without its `signature=` item, the signature) keeping every other item in its order."""
    kept: list[str] = []
    sig: str | None = None
    for item in raw.split("&") if raw else []:
        if item.startswith("signature="):
            sig = unquote_plus(item[len("signature="):])
        else:
            kept.append(item)
    return "&".join(kept), sig


def total_params(query: str, body: str) -> dict[str, str]:
    """Parsed params; a param in both the query string and the body takes the query's value."""
    params = dict(parse_qsl(body, keep_blank_values=True))
    params.update(parse_qsl(query, keep_blank_values=True))
    return params


class Authenticator:
    def __init__(self, api_key: str, api_secret: str, ed25519_public_key_pem: bytes | None = None) -> None:
        self.api_key = api_key
        self._secret = api_secret.encode()
        self._ed25519: Ed25519PublicKey | None = None
        if ed25519_public_key_pem is not None:
            # cryptography (megabytes resident) is imported only when an Ed25519 key is in use.
            from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
            from cryptography.hazmat.primitives.serialization import load_pem_public_key

            key = load_pem_public_key(ed25519_public_key_pem)
            if not isinstance(key, Ed25519PublicKey):
                raise ValueError("ed25519_public_key_pem is not an Ed25519 public key")
            self._ed25519 = key

    def __repr__(self) -> str:  # never show the secret
        return f"Authenticator(ed25519={self._ed25519 is not None})"

    def check_key(self, header_value: str | None) -> None:
        if not header_value or not hmac.compare_digest(header_value.encode(), self.api_key.encode()):
            raise BAD_KEY

    async def check_request(self, request: web.Request, server_ms: int) -> dict[str, str]:
        """A SIGNED aiohttp request: its API key header, then its signature over query and body."""
        self.check_key(request.headers.get("X-MBX-APIKEY"))
        body = await request.text() if request.can_read_body else ""
        return self.check_signed(request.query_string, body, server_ms)

    def check_signed(self, query: str, body: str, server_ms: int) -> dict[str, str]:
        """Verify a SIGNED request; returns its params. Raises AuthError like Binance would."""
        q, sig_q = strip_signature(query)
        b, sig_b = strip_signature(body)
        sig = sig_q if sig_q is not None else sig_b
        params = total_params(q, b)
        if not sig:
            raise mandatory("signature")
        if not params.get("timestamp"):
            raise mandatory("timestamp")
        if not self._signature_ok(f"{q}{b}", sig):
            raise BAD_SIGNATURE
        try:
            ts = int(params["timestamp"])
            window = int(params.get("recvWindow") or DEFAULT_RECV_WINDOW)
        except ValueError:
            raise mandatory("timestamp") from None
        if window <= 0 or window > MAX_RECV_WINDOW:
            raise AuthError(400, -1131, f"recvWindow must be less than {MAX_RECV_WINDOW}.")
        if ts >= server_ms + FUTURE_TOLERANCE_MS:
            raise AHEAD
        if server_ms - ts > window:
            raise OUTSIDE_WINDOW
        return params

    def _signature_ok(self, payload: str, sig: str) -> bool:
        if self._ed25519 is not None:
            from cryptography.exceptions import InvalidSignature

            try:
                self._ed25519.verify(base64.b64decode(sig, validate=True), payload.encode())
            except (InvalidSignature, binascii.Error, ValueError):
                return False
            return True
        expected = hmac.new(self._secret, payload.encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, sig.lower())
