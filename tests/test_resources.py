"""Shipped icons and sound: present, loadable, distinct per tray state, legible at 16 px, up to date."""

from __future__ import annotations

import importlib.util
import struct
import sys
import wave
from array import array
from itertools import combinations
from pathlib import Path

import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QImage, QPainter

from marginwatch import resources
from marginwatch.core.risk_tiers import RiskTier

REPO = Path(__file__).resolve().parent.parent
MASTERS = REPO / "resources" / "icons"
STATES = [(tier, False) for tier in RiskTier] + [(RiskTier.DANGER, True)]


def _render_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("render_icons", REPO / "packaging" / "render_icons.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _image16(tier: RiskTier, disconnected: bool) -> QImage:
    pix = resources.tray_icon(tier, disconnected).pixmap(QSize(16, 16))
    assert not pix.isNull()
    return pix.toImage().convertToFormat(QImage.Format.Format_ARGB32)


def test_every_expected_resource_exists_and_loads(qapp) -> None:
    result = resources.check()
    assert len(result) == len(resources.expected()) > 30
    assert [name for name, ok in result.items() if not ok] == []


def test_check_reports_a_missing_or_broken_file(qapp, tmp_path, monkeypatch) -> None:
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons" / "marginwatch-16.png").write_bytes(b"not a png")
    monkeypatch.setattr(resources, "root", lambda: tmp_path)
    result = resources.check()
    assert result["icons/marginwatch-16.png"] is False
    assert result[resources.SOUND] is False
    with pytest.raises(resources.ResourceError, match=r"alert\.wav"):
        resources.sound_path()


def test_app_icon_loads_at_16_px_and_large(qapp) -> None:
    icon = resources.app_icon()
    assert not icon.isNull()
    assert icon.pixmap(QSize(16, 16)).size() == QSize(16, 16)
    assert icon.pixmap(QSize(512, 512)).size() == QSize(512, 512)
    assert not QImage(str(resources.app_icon_path(16))).isNull()


def test_tray_icons_differ_per_state(qapp) -> None:
    images = {resources.tray_state(t, d): _image16(t, d) for t, d in STATES}
    assert set(images) == set(resources.TRAY_STATES)
    for (a, ia), (b, ib) in combinations(images.items(), 2):
        assert ia != ib, f"tray icons {a} and {b} look the same at 16 px"


def test_disconnected_wins_over_any_tier(qapp) -> None:
    assert {resources.tray_state(t, True) for t in RiskTier} == {"disconnected"}
    assert _image16(RiskTier.CALM, True) == _image16(RiskTier.DANGER, True)


def _luminance(c: QColor) -> float:
    """WCAG relative luminance."""
    lin = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4 for v in (c.redF(), c.greenF(), c.blueF())]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrasting_pixels(icon: QImage, background: str) -> int:
    """Pixels with a WCAG contrast ratio of at least 2:1 against the panel once composited on it."""
    canvas = QImage(icon.size(), QImage.Format.Format_ARGB32)
    canvas.fill(QColor(background))
    p = QPainter(canvas)
    p.drawImage(0, 0, icon)
    p.end()
    bg = _luminance(QColor(background))
    count = 0
    for x in range(canvas.width()):
        for y in range(canvas.height()):
            lum = _luminance(canvas.pixelColor(x, y))
            count += (max(lum, bg) + 0.05) / (min(lum, bg) + 0.05) >= 2
    return count


@pytest.mark.parametrize(("tier", "disconnected"), STATES)
@pytest.mark.parametrize("panel", ["#ffffff", "#dcdcdc", "#303030", "#000000"])
def test_tray_icon_stands_out_on_light_and_dark_panels(qapp, tier, disconnected, panel) -> None:
    # A quarter of a 16 px icon must contrast with the panel: enough to see the shape.
    assert _contrasting_pixels(_image16(tier, disconnected), panel) >= 64


def test_icon_path_refuses_escapes_and_reports_missing_files() -> None:
    with pytest.raises(ValueError):
        resources.icon_path("../sounds/alert.wav")
    with pytest.raises(resources.ResourceError, match=r"nope\.png"):
        resources.icon_path("nope.png")
    with pytest.raises(ValueError):
        resources.app_icon_path(17)


def test_frozen_builds_look_in_meipass(tmp_path, monkeypatch) -> None:
    bundled = tmp_path / "marginwatch" / "_resources"
    bundled.mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.root() == bundled
    monkeypatch.delattr(sys, "frozen")
    assert resources.root() == Path(resources.__file__).resolve().parent / "_resources"


def test_sound_is_a_short_clean_wav() -> None:
    path = resources.sound_path()
    assert path.stat().st_size < 64_000
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        seconds = w.getnframes() / w.getframerate()
        samples = array("h", w.readframes(w.getnframes()))
    if sys.byteorder != "little":
        samples.byteswap()
    assert 0.3 <= seconds <= 1.5
    peak = max(abs(s) for s in samples)
    assert 8000 < peak < 32767  # audible, not clipped
    assert abs(samples[0]) < 500 and abs(samples[-1]) < 500  # no click at either end


def _container_pngs(data: bytes, kind: str) -> list[bytes]:
    if kind == "ico":
        _, typ, count = struct.unpack_from("<HHH", data)
        assert typ == 1
        entries = [struct.unpack_from("<BBBBHHII", data, 6 + 16 * i) for i in range(count)]
        return [data[off : off + size] for *_, size, off in entries]
    assert data[:4] == b"icns" and struct.unpack_from(">I", data, 4)[0] == len(data)
    pngs, pos = [], 8
    while pos < len(data):
        length = struct.unpack_from(">I", data, pos + 4)[0]
        pngs.append(data[pos + 8 : pos + length])
        pos += length
    return pngs


@pytest.mark.parametrize(("name", "largest"), [("marginwatch.ico", 256), ("marginwatch.icns", 512)])
def test_platform_icon_containers_hold_decodable_pngs(qapp, name, largest) -> None:
    pngs = _container_pngs((MASTERS / name).read_bytes(), name.rsplit(".", 1)[1])
    images = [QImage.fromData(p, "PNG") for p in pngs]
    assert images and not any(i.isNull() for i in images)
    assert {i.width() for i in images} >= {16, 32, largest}


def test_committed_renders_match_their_masters(qapp) -> None:
    render = _render_module()
    for svg, png in [
        (MASTERS / "marginwatch.svg", "marginwatch-64.png"),
        (MASTERS / "marginwatch-small.svg", "marginwatch-16.png"),
        *[(MASTERS / "tray" / f"{s}.svg", f"tray/{s}-16.png") for s in resources.TRAY_STATES],
    ]:
        fresh = QImage.fromData(render.render_svg(svg, QImage(str(resources.icon_path(png))).width()), "PNG")
        assert fresh == QImage(str(resources.icon_path(png))).convertToFormat(fresh.format()), (
            f"{png} is stale: run python packaging/render_icons.py"
        )
