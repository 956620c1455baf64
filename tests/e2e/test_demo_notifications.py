"""End to end: the real app, on a real X server, in demo mode, notifies a real daemon of a margin call.

Run once with no tray host at all and once with a StatusNotifierItem tray, because Qt's own tray
balloon reaches the notification daemon only in the second case; MarginWatch must in both.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.desktop_session import DesktopSession, desktop_session, missing_programs, wait_for

pytestmark = pytest.mark.e2e


def launch_app(session: DesktopSession, log: Path) -> subprocess.Popen[bytes]:
    env = dict(session.env, MARGINWATCH_LOG="INFO")
    return subprocess.Popen(
        [sys.executable, "-m", "marginwatch", "--demo", "--speed", "10"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def stop_app(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -9


@pytest.mark.parametrize("with_tray", [False, True], ids=["no-tray", "sni-tray"])
def test_margin_call_reaches_the_notification_daemon(with_tray: bool, tmp_path: Path) -> None:
    missing = missing_programs(with_tray)
    if missing:
        pytest.skip(f"end-to-end desktop programs not installed: {', '.join(missing)} (run .ci/setup --test)")
    log = tmp_path / "app.log"
    with desktop_session(with_tray=with_tray) as session:
        app = launch_app(session, log)
        try:
            try:
                wait_for(lambda: "Margin call on Demo" in session.notify_calls() or app.poll() is not None,
                         60, "a margin-call notification")
            except TimeoutError:
                pytest.fail("no margin call notified within 60 s; app log:\n" + log.read_text(errors="replace"))
            assert app.poll() is None, "the app exited early:\n" + log.read_text(errors="replace")
            if with_tray:
                # The tray icon registered itself with the StatusNotifierItem host.
                wait_for(lambda: 'string "' in session.registered_tray_items(), 15, "the tray item to register")
            received = session.daemon_notifications()
            calls = [n for n in received if n.get("summary", "").startswith("Margin call on Demo")]
            assert calls, f"daemon history has no margin call: {received}"
            assert calls[0]["appname"] == "MarginWatch"
            assert "SOLUSDT" in calls[0]["body"] and "mark" in calls[0]["body"]
        finally:
            code = stop_app(app)
        assert code == 0, "unclean shutdown:\n" + log.read_text(errors="replace")
        assert "shutting down" in log.read_text(errors="replace")


def test_a_second_launch_hands_over_to_the_running_app(tmp_path: Path) -> None:
    missing = missing_programs(False)
    if missing:
        pytest.skip(f"end-to-end desktop programs not installed: {', '.join(missing)} (run .ci/setup --test)")
    with desktop_session(with_tray=False) as session:
        first = launch_app(session, tmp_path / "first.log")
        try:
            wait_for(lambda: "listenKey ready" in (tmp_path / "first.log").read_text(errors="replace")
                     or first.poll() is not None, 30, "the first instance to run")
            assert first.poll() is None
            second = subprocess.run(
                [sys.executable, "-m", "marginwatch"], env=dict(session.env, MARGINWATCH_LOG="INFO"),
                capture_output=True, text=True, timeout=30,
            )
            assert second.returncode == 0
            assert "already running" in second.stdout + second.stderr
            assert first.poll() is None  # the first one keeps running
        finally:
            assert stop_app(first) == 0
