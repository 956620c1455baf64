"""A second launch pokes the first (which comes forward) and steps aside."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalServer

from marginwatch.services.paths import APP_NAME
from marginwatch.services.single_instance import SingleInstance, instance_name


def test_second_instance_activates_the_first_and_steps_aside(qtbot) -> None:
    name = f"marginwatch-test-{uuid.uuid4().hex}"
    first = SingleInstance(name)
    assert first.acquire()
    second = SingleInstance(name)
    with qtbot.waitSignal(first.activated, timeout=3000):
        assert not second.acquire()
    first.release()
    # Once the first is gone, a new launch becomes the instance.
    third = SingleInstance(name)
    assert third.acquire()
    third.release()


def _private(path: Path) -> bool:
    st = path.stat()
    return st.st_uid == os.getuid() and not st.st_mode & 0o077


def test_socket_lives_in_a_private_runtime_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert Path(instance_name()).parent == runtime


@pytest.mark.parametrize("runtime_mode", [None, 0o777, 0o755])
def test_without_a_private_runtime_dir_the_socket_goes_to_a_private_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime_mode: int | None
) -> None:
    if runtime_mode is None:
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    else:
        shared = tmp_path / "shared"
        shared.mkdir()
        shared.chmod(runtime_mode)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    path = Path(instance_name())
    assert path.parent == tmp_path / "cache" / APP_NAME / "run"
    assert _private(path.parent)


def test_a_squatter_on_the_shared_temp_name_does_not_stop_the_app(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Another local user listening where a bare name would resolve (the temp directory).
    squatter = QLocalServer()
    squat_name = f"{APP_NAME}-{os.environ.get('USER', 'user')}"
    QLocalServer.removeServer(squat_name)
    assert squatter.listen(squat_name)
    try:
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        me = SingleInstance(instance_name())
        assert me.acquire()
        me.release()
    finally:
        squatter.close()
