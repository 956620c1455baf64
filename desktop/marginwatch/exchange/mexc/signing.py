"""MEXC futures signatures: HMAC-SHA256, lowercase hex.

REST: over `accessKey + Request-Time + parameterString`, the parameters of a GET sorted by name
and joined with `&` (MEXC's integration guide). WebSocket login: over `apiKey + reqTime`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from urllib.parse import quote

from marginwatch.exchange.credentials import Credentials


def _hmac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def query_string(params: Mapping[str, str]) -> str:
    """Sorted `k=v&…`, values percent-encoded (MEXC signs the string as sent)."""
    return "&".join(f"{k}={quote(str(v), safe='')}" for k, v in sorted(params.items()) if v is not None)


def rest_headers(credentials: Credentials, req_time_ms: int, query: str, recv_window_s: int = 10) -> dict[str, str]:
    return {
        "ApiKey": credentials.api_key,
        "Request-Time": str(req_time_ms),
        "Signature": _hmac(credentials.secret, f"{credentials.api_key}{req_time_ms}{query}"),
        "Recv-Window": str(recv_window_s),
    }


def login_message(credentials: Credentials, req_time_ms: int) -> str:
    """The private stream's login; `subscribe: true` asks for every personal push (MEXC's default)."""
    signature = _hmac(credentials.secret, f"{credentials.api_key}{req_time_ms}")
    return json.dumps({
        "method": "login",
        "param": {"apiKey": credentials.api_key, "reqTime": str(req_time_ms), "signature": signature},
        "subscribe": True,
    })


def verify_login(secret: str, api_key: str, req_time: str, signature: str) -> bool:
    """What the simulator checks (constant time)."""
    return hmac.compare_digest(_hmac(secret, f"{api_key}{req_time}"), signature)


def verify_rest(secret: str, api_key: str, req_time: str, query: str, signature: str) -> bool:
    return hmac.compare_digest(_hmac(secret, f"{api_key}{req_time}{query}"), signature)
