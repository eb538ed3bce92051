"""``exit_with_parent``: a spawned process ends when the process that spawned it is killed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

from intakeflow.parent_watch import exit_with_parent

PARENT = textwrap.dedent("""
    import multiprocessing, os, sys, time

    from intakeflow.parent_watch import exit_with_parent


    def child(watch: bool) -> None:
        if watch:
            exit_with_parent()
        time.sleep(120)


    if __name__ == "__main__":
        process = multiprocessing.get_context("spawn").Process(target=child, args=(sys.argv[1] == "watch",))
        process.start()
        print(process.pid, flush=True)
        time.sleep(120)
""")


def _child_outlives_a_killed_parent(tmp_path: Path, mode: str, wait_s: float) -> bool:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen([sys.executable, str(script), mode], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    time.sleep(2)  # the child is up (and, with "watch", watching)
    parent.kill()  # SIGKILL: no clean-up of any kind in the parent
    parent.wait()
    deadline = time.monotonic() + wait_s
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = Path(f"/proc/{child}").exists()
    if alive:
        subprocess.run(["kill", "-9", str(child)], check=False)
    return alive


def test_a_watching_child_ends_with_its_killed_parent(tmp_path: Path) -> None:
    assert not _child_outlives_a_killed_parent(tmp_path, "watch", wait_s=10)


def test_without_the_watch_the_child_would_outlive_it(tmp_path: Path) -> None:
    """The control: what the watch prevents does happen without it."""
    assert _child_outlives_a_killed_parent(tmp_path, "no-watch", wait_s=2)


def test_in_the_main_process_it_starts_no_watch() -> None:
    exit_with_parent()  # no multiprocessing parent here: nothing to watch
    assert "intakeflow-parent-watch" not in {t.name for t in threading.enumerate()}
