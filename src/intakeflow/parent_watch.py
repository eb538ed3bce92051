"""Spawned worker processes end with the process that spawned them.

A parent killed by SIGKILL (out of memory, ``kill -9``, a container stopped hard) runs no
clean-up, and a spawned worker would go on: holding a model's memory and, for
``intakeflow process --processes``, claiming staged rows for a run nobody waits for. Called
first in a pool's initializer, :func:`exit_with_parent` starts a daemon thread that waits on
the parent's sentinel and ends this process when the parent is gone. A batch in hand is not
saved; its claimed rows return to the queue when their lease ends, as after any kill.
"""

from __future__ import annotations

import multiprocessing
import os
import threading


def exit_with_parent() -> None:
    """In a process started by :mod:`multiprocessing`: exit (status 1) once its parent has
    ended. Elsewhere (the main process) nothing."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()  # returns when the parent's sentinel closes: the parent has ended
        os._exit(1)

    threading.Thread(target=watch, name="intakeflow-parent-watch", daemon=True).start()
