"""One MarginWatch per user: a second launch asks the first to show its window, then exits."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from marginwatch.services import paths


def instance_name() -> str:
    """The instance's socket, in a directory only this user can reach (one per login session where
    XDG_RUNTIME_DIR is set, so tests that give each app its own do not collide).

    A bare name would put the socket in the shared temp directory, where another user could listen
    first and make every start say "already running". Windows pipes are per-user by their ACL.
    """
    if sys.platform == "win32":
        return f"{paths.APP_NAME}-{os.environ.get('USERNAME', 'user')}"
    directory = paths.runtime_dir()
    if directory is None:
        return ""  # no private place: run unguarded rather than trust a shared one
    return str(directory / f"{paths.APP_NAME}.sock")


class SingleInstance(QObject):
    activated = Signal()  # another launch asked us to come forward

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._server: QLocalServer | None = None

    def acquire(self, timeout_ms: int = 500) -> bool:
        """True when this process is now the instance; False after poking the running one."""
        if not self._name:
            return True
        probe = QLocalSocket()
        probe.connectToServer(self._name)
        if probe.waitForConnected(timeout_ms):
            probe.write(b"show\n")
            probe.waitForBytesWritten(timeout_ms)
            probe.disconnectFromServer()
            return False
        # Nobody answered: a socket file left by a crashed instance must not lock us out.
        QLocalServer.removeServer(self._name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self._name):
            return True  # cannot guard, but never refuse to start over it
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def _on_connection(self) -> None:
        assert self._server is not None
        while (sock := self._server.nextPendingConnection()) is not None:
            sock.readyRead.connect(lambda s=sock: self._on_ready(s))

    def _on_ready(self, sock: QLocalSocket) -> None:
        if b"show" in bytes(sock.readAll().data()):
            self.activated.emit()
        sock.disconnectFromServer()

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
