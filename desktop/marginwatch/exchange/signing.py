"""Request signatures: HMAC-SHA256 (hex) and Ed25519 (base64) over the exact payload string.

The payload is `totalParams` = query string + request body, exactly as sent
(already percent-encoded), with `signature` appended last by the caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Protocol
from urllib.parse import quote

from marginwatch.exchange.credentials import Credentials


class Signer(Protocol):
    def sign(self, payload: str) -> str:
        """The signature text, not yet URL-encoded."""
        ...


def hmac_sha256_hex(secret: str, payload: str) -> str:
    return hmac.new(secret.encode("utf-8"), payload.encode("utf-8"), hashlib.sha256).hexdigest()


class HmacSigner:
    __slots__ = ("_secret",)

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("HMAC secret is empty")
        self._secret = secret.encode("utf-8")

    def sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "HmacSigner(<hidden>)"


class Ed25519Signer:
    __slots__ = ("_key",)

    def __init__(self, private_key_pem: str) -> None:
        # cryptography (megabytes resident) is imported only when an Ed25519 key is in use.
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        try:
            key = serialization.load_pem_private_key(private_key_pem.encode("utf-8"), password=None)
        except (ValueError, TypeError) as exc:
            # The message of the underlying error cannot leak key material, but keep ours generic anyway.
            raise ValueError("the Ed25519 secret is not a valid unencrypted PEM private key") from exc
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM private key is not an Ed25519 key")
        self._key = key

    def sign(self, payload: str) -> str:
        return base64.b64encode(self._key.sign(payload.encode("utf-8"))).decode("ascii")

    def public_key_pem(self) -> str:
        """What the user registers with Binance (and what the simulator is given)."""
        from cryptography.hazmat.primitives import serialization

        return (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )

    def __repr__(self) -> str:
        return "Ed25519Signer(<hidden>)"


def verify_ed25519(public_key_pem: str, payload: str, signature_b64: str) -> bool:
    """Check a base64 Ed25519 signature; used by tests and the simulator."""
    from cryptography.exceptions import InvalidSignature as _CryptoInvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(public_key_pem.encode("utf-8"))
        if not isinstance(key, Ed25519PublicKey):
            return False
        key.verify(base64.b64decode(signature_b64, validate=True), payload.encode("utf-8"))
    except (ValueError, TypeError, _CryptoInvalidSignature):
        return False
    return True


def signer_for(credentials: Credentials) -> Signer:
    if credentials.key_type == "ed25519":
        return Ed25519Signer(credentials.secret)
    return HmacSigner(credentials.secret)


def encode_signature(signature: str) -> str:
    """Ed25519/RSA signatures contain '+', '/', '='; they must be percent-encoded in the query."""
    return quote(signature, safe="")
