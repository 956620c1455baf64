"""A throwaway desktop for end-to-end tests: Xvfb, a private D-Bus session, dunst, optionally an SNI tray.

Every program here is real; the test launches the real app against it and reads what the
notification daemon received.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REQUIRED = ("Xvfb", "dbus-daemon", "dunst", "dunstctl", "dbus-monitor")
TRAY = ("status-notifier-watcher", "gtk-sni-tray-standalone")


def missing_programs(with_tray: bool) -> list[str]:
    names = REQUIRED + (TRAY if with_tray else ())
    return [n for n in names if shutil.which(n) is None]


def wait_for(predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll an external process's state (no event to wait on across processes)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


@dataclass
class DesktopSession:
    env: dict[str, str]
    home: Path
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    monitor_log: Path | None = None

    def run(self, *args: str) -> str:
        return subprocess.run(args, env=self.env, capture_output=True, text=True, timeout=20).stdout

    def notify_calls(self) -> str:
        """What dbus-monitor saw sent to org.freedesktop.Notifications.Notify."""
        return self.monitor_log.read_text(errors="replace") if self.monitor_log else ""

    def daemon_notifications(self) -> list[dict[str, str]]:
        """Everything dunst has received: closes what is on screen so it moves into the history."""
        self.run("dunstctl", "close-all")
        raw = self.run("dunstctl", "history")
        data = json.loads(raw) if raw.strip() else {"data": [[]]}
        out = []
        for item in data.get("data", [[]])[0]:
            out.append({k: str(v.get("data", "")) for k, v in item.items() if isinstance(v, dict)})
        return out

    def displayed_count(self) -> int:
        for line in self.run("dunstctl", "count").splitlines():
            if "displayed" in line.lower():
                return int(line.split(":")[1])
        return 0

    def bus_names(self) -> str:
        return self.run(
            "dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames",
        )

    def watcher_property(self, name: str) -> str:
        return self.run(
            "dbus-send", "--session", "--print-reply", "--dest=org.kde.StatusNotifierWatcher",
            "/StatusNotifierWatcher", "org.freedesktop.DBus.Properties.Get",
            "string:org.kde.StatusNotifierWatcher", f"string:{name}",
        )

    def registered_tray_items(self) -> str:
        return self.watcher_property("RegisteredStatusNotifierItems")

    def start(self, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
        out = open(log, "wb") if log else subprocess.DEVNULL
        proc = subprocess.Popen(args, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> str:
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    deadline = time.monotonic() + timeout
    buf = b""
    while time.monotonic() < deadline:
        chunk = proc.stdout.read()
        if chunk:
            buf += chunk
            if b"\n" in buf:
                return buf.split(b"\n", 1)[0].decode()
        time.sleep(0.02)
    raise TimeoutError("process printed nothing")


@contextmanager
def desktop_session(*, with_tray: bool) -> Iterator[DesktopSession]:
    tmp = Path(tempfile.mkdtemp(prefix="mw-e2e-"))
    home = tmp / "home"
    runtime = tmp / "run"
    home.mkdir()
    runtime.mkdir(mode=0o700)
    procs: list[subprocess.Popen[bytes]] = []
    try:
        xvfb = subprocess.Popen(
            ["Xvfb", "-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        procs.append(xvfb)
        display = ":" + _read_line(xvfb, 15).strip()
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )
        procs.append(bus)
        address = _read_line(bus, 15).strip()
        env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("QT_", "DBUS_", "XDG_", "WAYLAND"))
        }
        env.update(
            DISPLAY=display,
            DBUS_SESSION_BUS_ADDRESS=address,
            HOME=str(home),
            XDG_RUNTIME_DIR=str(runtime),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_DATA_HOME=str(home / ".local/share"),
            XDG_CACHE_HOME=str(home / ".cache"),
            QT_QPA_PLATFORM="xcb",
            NO_AT_BRIDGE="1",
        )
        session = DesktopSession(env=env, home=home, procs=procs, monitor_log=tmp / "dbus-monitor.log")
        session.start(
            "dbus-monitor", "--session",
            "type='method_call',interface='org.freedesktop.Notifications',member='Notify'",
            log=session.monitor_log,
        )
        session.start("dunst", log=tmp / "dunst.log")
        wait_for(lambda: "org.freedesktop.Notifications" in session.bus_names(), 15,
                 "dunst to own org.freedesktop.Notifications")
        if with_tray:
            session.start("status-notifier-watcher", log=tmp / "watcher.log")
            wait_for(lambda: "StatusNotifierWatcher" in session.bus_names(), 15, "the StatusNotifierWatcher")
            session.start("gtk-sni-tray-standalone", log=tmp / "tray.log")
            # Qt decides once, at start, whether a host exists; wait for it before any app starts.
            wait_for(lambda: "true" in session.watcher_property("IsStatusNotifierHostRegistered"), 20,
                     "the StatusNotifierItem host to register")
        yield session
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
