"""Run the peer with uvicorn on a thread, on a socket bound to 127.0.0.1 (random port)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from tests.fhir_peer.app import Peer, PeerConfig, create_app


class PeerServer:
    """``with PeerServer() as server``: ``server.peer`` is the state, ``server.base_url`` the
    FHIR base (``http://127.0.0.1:<port>/fhir``)."""

    def __init__(self, config: PeerConfig | None = None) -> None:
        self.peer = Peer(config or PeerConfig())
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        port = self._sock.getsockname()[1]
        self.base_url = self.peer.base_url = f"http://127.0.0.1:{port}/fhir"
        config_ = uvicorn.Config(create_app(self.peer), log_level="critical", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config_)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True,
                                        name="fhir-peer")

    def start(self) -> PeerServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the FHIR peer did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> PeerServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
