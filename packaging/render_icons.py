"""Render MarginWatch's icons and alert sound from their masters.

    python packaging/render_icons.py

Reads the SVG masters in resources/icons/ and writes:
- desktop/marginwatch/_resources/icons/marginwatch-<size>.png   (app icon, 16-512 px)
- desktop/marginwatch/_resources/icons/tray/<state>-<size>.png  (tray icons, 16-64 px)
- desktop/marginwatch/_resources/sounds/alert.wav               (two-tone chime, synthesised here)
- resources/icons/marginwatch.ico and marginwatch.icns          (build-time only: installer and bundle icons)

The outputs are committed: the app needs them at run time and must not need QtSvg for it.
Rendering uses PySide6's QSvgRenderer (QtSvg ships in PySide6-Essentials), offscreen.
"""

from __future__ import annotations

import math
import os
import struct
import sys
import wave
from array import array
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MASTERS = REPO / "resources" / "icons"
RUNTIME = REPO / "desktop" / "marginwatch" / "_resources"

APP_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
# Below this size the app icon is drawn from the simplified master with thicker strokes.
SMALL_MASTER_MAX = 24
TRAY_STATES = ("calm", "warning", "danger", "unknown", "disconnected")
TRAY_SIZES = (16, 22, 24, 32, 48, 64)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types holding PNG data, by pixel size (the @2x types reuse the larger renders).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"icp6", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)


def render_svg(svg: Path, size: int) -> bytes:
    """PNG bytes of `svg` rendered at size x size on a transparent background."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    image.convertToFormat(QImage.Format.Format_ARGB32).save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding one PNG per size (PNG entries are valid since Windows Vista)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        data = pngs[s]
        dim = 0 if s >= 256 else s  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: big-endian 'icns' header, then (type, length, PNG) elements."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[s])) + pngs[s] for kind, s in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def chime_samples(rate: int = 22050) -> array[int]:
    """A soft two-note chime (A5 then E6, a rising fifth) with bell-like decay, 16-bit mono."""
    duration = 0.75
    notes = ((880.0, 0.0), (1318.51, 0.16))  # (frequency Hz, start s)
    n = int(rate * duration)
    mix = [0.0] * n
    for freq, start in notes:
        first = int(start * rate)
        for i in range(first, n):
            t = (i - first) / rate
            attack = min(1.0, t / 0.006)  # 6 ms attack avoids a click
            env = attack * math.exp(-t / 0.2)
            w = 2 * math.pi * freq * t
            # A little second and third partial gives a bell tone instead of a bare beep.
            mix[i] += env * (math.sin(w) + 0.25 * math.sin(2 * w) + 0.08 * math.sin(3 * w))
    peak = max(abs(v) for v in mix)
    fade = int(0.03 * rate)
    out = array("h")
    for i, v in enumerate(mix):
        tail = min(1.0, (n - 1 - i) / fade)
        out.append(round(v / peak * 0.55 * tail * 32767))
    return out


def write_wav(path: Path, rate: int = 22050) -> None:
    samples = chime_samples(rate)
    if sys.byteorder != "little":
        samples.byteswap()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.tobytes())


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    icons_out = RUNTIME / "icons"
    (icons_out / "tray").mkdir(parents=True, exist_ok=True)
    (RUNTIME / "sounds").mkdir(parents=True, exist_ok=True)

    app_pngs: dict[int, bytes] = {}
    for size in APP_SIZES:
        master = MASTERS / ("marginwatch-small.svg" if size <= SMALL_MASTER_MAX else "marginwatch.svg")
        app_pngs[size] = render_svg(master, size)
        (icons_out / f"marginwatch-{size}.png").write_bytes(app_pngs[size])
    for state in TRAY_STATES:
        for size in TRAY_SIZES:
            png = render_svg(MASTERS / "tray" / f"{state}.svg", size)
            (icons_out / "tray" / f"{state}-{size}.png").write_bytes(png)
    (MASTERS / "marginwatch.ico").write_bytes(ico_bytes({s: app_pngs[s] for s in ICO_SIZES}))
    (MASTERS / "marginwatch.icns").write_bytes(icns_bytes(app_pngs))
    write_wav(RUNTIME / "sounds" / "alert.wav")
    tray_count = len(TRAY_STATES) * len(TRAY_SIZES)
    print(f"render_icons: wrote {len(APP_SIZES)} app icons, {tray_count} tray icons, .ico, .icns, alert.wav")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
