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
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from intakeflow.errors import E, IntakeflowError
from intakeflow.pipeline.core import Pipeline, PipelineConfig
from intakeflow.results import PipelineInput, PipelineResult

#: the pipeline of a spawned process, loaded once by :func:`_process_started`, or why it could
#: not be (raised by the first batch, so that the parent sees the error itself, not a broken pool)
_pipeline: Pipeline | None = None
_start_error: Exception | None = None


def _process_started(config: PipelineConfig) -> None:
    global _pipeline, _start_error
    try:
        _pipeline = Pipeline(config)
    except Exception as exc:  # noqa: BLE001 - re-raised by every batch of this process
        _start_error = exc


def _process_batch(batch: Sequence[PipelineInput]) -> list[PipelineResult]:
    if _pipeline is None:
        raise _start_error or RuntimeError("the pool's initializer did not run")
    return _pipeline.process(batch)


def map_in_processes(config: PipelineConfig, batches: Iterable[Sequence[PipelineInput]],
                     processes: int) -> Iterator[list[PipelineResult]]:
    """Each batch's results, in the order of ``batches``, from ``processes`` spawned processes.

    An error that stops a process's pipeline (no model: E010) is raised as it is; a process
    that dies (killed, out of memory) ends the run with E053. Either way the results already
    yielded stand and nothing after them is given. The fallback's budget is per process, so it
    is refused here rather than multiplied (E050)."""
    if processes < 1:
        raise IntakeflowError(E.E050_CONFIG, why=f"processes must be at least 1, not {processes}")
    if config.fallback.enabled and processes > 1:
        raise IntakeflowError(E.E050_CONFIG, why="the fallback's budget is per process; run it with one process")
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_process_started, initargs=(config,))
    try:
        yield from pool.map(_process_batch, batches)
    except BrokenProcessPool as exc:
        raise IntakeflowError(E.E053_PROCESS_LOST, kind="BrokenProcessPool") from exc
    finally:
        # a run that stops early (an error, a closed generator) leaves no batch queued behind it
        pool.shutdown(wait=True, cancel_futures=True)
