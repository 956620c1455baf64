"""The MEXC private stream's frames: text as is, compressed frames inflated within a bound."""

from __future__ import annotations

import gzip
import zlib

import pytest

from marginwatch.exchange.mexc.private_stream import CompressedFrameError, inflate


def test_inflate_reads_text_gzip_zlib_and_raw_deflate() -> None:
    body = b'{"channel":"pong","data":1}'
    raw = zlib.compressobj(wbits=-15)
    for frame in (body, body.decode(), gzip.compress(body), zlib.compress(body), raw.compress(body) + raw.flush()):
        assert inflate(frame) == body
    with pytest.raises(CompressedFrameError):
        inflate(b"\x00\x01garbage")
    with pytest.raises(CompressedFrameError):
        inflate(gzip.compress(b"{" + b" " * (5 * 2**20) + b"}"))  # inflates past the limit
