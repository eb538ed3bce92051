"""A throw-away local FHIR R4 server (sekmet-fhir) for the demo and integration tests.

Runs ``uvicorn sekmet.main:app_factory`` in a child process bound to 127.0.0.1 with the
hospital simulator off and its SQLite data in a folder of our choosing, so nothing leaks
between runs. Stop it with :meth:`EmbeddedFhirServer.stop` (or use ``with``).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from intakeflow.errors import E, SinkError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedFhirServer:
    """sekmet-fhir in a child process; ``base_url`` is ``http://127.0.0.1:<port>/fhir``."""

    def __init__(
        self, data_dir: Path, *, port: int | None = None, startup_timeout: float = 60.0, log_path: Path | None = None,
        server_auth: dict[str, Any] | None = None,
    ) -> None:
        """``server_auth``: sekmet's inbound auth settings (``types``, ``smart_clients``,
        ``tokens``...), for a server that wants SMART Backend Services; default: none."""
        self.data_dir = Path(data_dir)
        self.server_auth = server_auth
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.base_url = f"http://127.0.0.1:{self.port}/fhir"
        #: the server's stdout and stderr (uvicorn at log level warning), rewritten on each start
        self.log_path = Path(log_path) if log_path is not None else self.data_dir / "server.log"
        self._proc: subprocess.Popen[bytes] | None = None

    def _write_settings(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        settings = {
            "base_url": self.base_url,
            "host": "127.0.0.1",
            "port": self.port,
            "data_dir": str(self.data_dir),
            "own_private_key_path": str(self.data_dir / "keys" / "sekmet_private.pem"),
            "simulator": {"enabled": False},
            "log_inbound": False,
        }
        if self.server_auth is not None:
            settings["server_auth"] = self.server_auth
        path = self.data_dir / "settings.yaml"
        path.write_text(json.dumps(settings), encoding="utf-8")  # JSON is valid YAML
        return path

    def start(self) -> EmbeddedFhirServer:
        settings = self._write_settings()
        env = {**os.environ, "SEKMET_CONFIG": str(settings)}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        cmd = [sys.executable, "-m", "uvicorn", "sekmet.main:app_factory", "--factory",
               "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "warning"]
        self._proc = subprocess.Popen(cmd, cwd=self.data_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise SinkError(E.E050_CONFIG, why=f"FHIR server exited with code {self._proc.returncode}")
            if self.ready():
                return self
            time.sleep(0.2)
        self.stop()
        raise SinkError(E.E050_CONFIG, why="FHIR server did not start in time")

    @property
    def pid(self) -> int | None:
        """The server process (its CPU is what benchmarks count), None when stopped."""
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def ready(self) -> bool:
        try:
            return httpx.get(f"{self.base_url}/metadata", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> EmbeddedFhirServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
