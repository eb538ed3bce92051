"""A reading taken every few seconds on a thread while a benchmark runs (the benchmarks'
samplers: backlog, CPU by part, worker memory, progress)."""

from __future__ import annotations

import threading
import time
from typing import Self


class PeriodicSampler:
    """Calls :meth:`sample` every ``every_s`` seconds on a daemon thread, from :meth:`start`
    (or ``with``) until :meth:`stop`; ``t0`` is when it started."""

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Self:
        self.t0 = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()

    def sample(self) -> None:
        raise NotImplementedError
