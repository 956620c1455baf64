"""API credentials. The secret never appears in repr/str, logs or exceptions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

KeyType = Literal["hmac", "ed25519"]


def mask_key(api_key: str) -> str:
    """At most the first 4 characters, so a user can tell keys apart in logs."""
    return (api_key[:4] + "…") if api_key else "<empty>"


@dataclass(frozen=True, slots=True)
class Credentials:
    """`secret` is the HMAC secret, or for Ed25519 the PEM text of the private key."""

    api_key: str = field(repr=False)
    secret: str = field(repr=False)
    key_type: KeyType = "hmac"

    def __post_init__(self) -> None:
        if self.key_type not in ("hmac", "ed25519"):
            raise ValueError(f"unsupported key type {self.key_type!r} (use 'hmac' or 'ed25519')")
        if not self.api_key or not self.api_key.strip():
            raise ValueError("API key is empty")
        if not self.secret or not self.secret.strip():
            raise ValueError("API secret is empty")
        if self.api_key != self.api_key.strip():
            # Keys are case and whitespace sensitive; a pasted trailing newline is a classic -2014.
            raise ValueError("API key has leading or trailing whitespace")

    @property
    def masked_key(self) -> str:
        return mask_key(self.api_key)

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.masked_key!r}, key_type={self.key_type!r}, secret=<hidden>)"

    __str__ = __repr__
