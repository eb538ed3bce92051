"""The pipeline in several processes, for a file of messages (``intakeflow predict
--processes``).

Tokenising, the recognizers and decoding are Python and hold the interpreter lock, so
threads of one process overlap only their onnxruntime calls. Spawned processes, each with a
model and an interpreter lock of its own, overlap it all. Batches go to whichever process is
free and come back in the order they were given, so the output is the same, line for line,
as one process's.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Generator, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from intakeflow.errors import E, IntakeflowError
from intakeflow.parent_watch import exit_with_parent
from intakeflow.pipeline.core import Pipeline, PipelineConfig
from intakeflow.results import PipelineInput, PipelineResult

#: batches handed out per process at once: one running, one waiting, so no process idles
#: between batches and a run that stops early leaves little work queued behind it
IN_FLIGHT_PER_PROCESS = 2

#: the pipeline of a spawned process, loaded once by :func:`_process_started`, or why it could
#: not be (raised by the first batch, so that the parent sees the error itself, not a broken pool)
_pipeline: Pipeline | None = None
_start_error: Exception | None = None


def _process_started(config: PipelineConfig) -> None:
    global _pipeline, _start_error
    exit_with_parent()
    try:
        _pipeline = Pipeline(config)
    except Exception as exc:  # noqa: BLE001 - re-raised by every batch of this process
        _start_error = exc


def _process_batch(batch: Sequence[PipelineInput]) -> list[PipelineResult]:
    if _pipeline is None:
        raise _start_error or RuntimeError("the pool's initializer did not run")
    return _pipeline.process(batch)


def map_in_processes(config: PipelineConfig, batches: Iterable[Sequence[PipelineInput]],
                     processes: int) -> Generator[list[PipelineResult]]:
    """Each batch's results, in the order of ``batches``, from ``processes`` spawned processes.

    Checked at the call, before any process starts: at least one process, and no fallback
    with several (its budget is per process; E050). Then an error that stops a process's
    pipeline (no model: E010) is raised as it is, and a process that dies (killed, out of
    memory) ends the run with E053. Either way the results already yielded stand and
    nothing after them is given. At most ``IN_FLIGHT_PER_PROCESS`` batches per process are
    handed out ahead of the one being yielded; closing the iterator cancels them."""
    if processes < 1:
        raise IntakeflowError(E.E050_CONFIG, why=f"processes must be at least 1, not {processes}")
    config.fallback.check_processes(processes)
    return _results_in_order(config, iter(batches), processes)


def _results_in_order(config: PipelineConfig, batches: Iterator[Sequence[PipelineInput]],
                      processes: int) -> Generator[list[PipelineResult]]:
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_process_started, initargs=(config,))
    # a batch with no message (every line of it bad) is answered here, not sent
    pending: deque[Future[list[PipelineResult]] | list[PipelineResult]] = deque()
    try:
        for batch in batches:
            pending.append(pool.submit(_process_batch, batch) if batch else [])
            while len(pending) > IN_FLIGHT_PER_PROCESS * processes or (pending and isinstance(pending[0], list)):
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    except BrokenProcessPool as exc:
        raise IntakeflowError(E.E053_PROCESS_LOST, kind="BrokenProcessPool") from exc
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _result(item: Future[list[PipelineResult]] | list[PipelineResult]) -> list[PipelineResult]:
    return item if isinstance(item, list) else item.result()
