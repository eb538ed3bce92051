"""``map_in_processes``: the real pipeline in spawned processes, results in batch order,
a process that dies reported as E053, start-up errors raised as themselves."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from pathlib import Path

import pytest

from intakeflow.errors import E, IntakeflowError, ModelError
from intakeflow.pipeline import PipelineConfig
from intakeflow.pipeline.processes import map_in_processes
from intakeflow.results import PipelineInput

TEXTS = [
    "Can I get an appointment next week? My number is 617-555-0101.",
    "My Cigna member ID is U2345678901 and I was billed twice.",
    "Is the clinic taking new patients?",
]


def batches(n: int) -> list[list[PipelineInput]]:
    return [[PipelineInput(id=f"b{b}-{i}", text=TEXTS[(b + i) % len(TEXTS)]) for i in range(2)] for b in range(n)]


def test_results_come_back_in_batch_order() -> None:
    given = batches(5)
    got = list(map_in_processes(PipelineConfig(), given, 2))
    assert [[r.id for r in rs] for rs in got] == [[m.id for m in b] for b in given]
    assert all(r.error_code is None and r.intent for rs in got for r in rs)


def test_a_process_that_dies_is_reported_as_e053() -> None:
    results = map_in_processes(PipelineConfig(), batches(200), 1)
    next(results)  # the process is up and working through the queue
    for child in multiprocessing.active_children():  # killed, out of memory say
        os.kill(child.pid or 0, signal.SIGKILL)
    with pytest.raises(IntakeflowError, match="E053"):
        list(results)


def test_an_error_at_start_up_is_raised_as_itself(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        list(map_in_processes(PipelineConfig(model_path=tmp_path / "none"), batches(2), 2))
    assert info.value.code is E.E010_MODEL_MISSING


@pytest.mark.parametrize("processes", [0, -1])
def test_fewer_than_one_process_is_refused(processes: int) -> None:
    with pytest.raises(IntakeflowError, match="E050"):
        list(map_in_processes(PipelineConfig(), batches(1), processes))


def test_the_fallback_budget_is_not_multiplied() -> None:
    config = PipelineConfig()
    config.fallback.enabled = True
    with pytest.raises(IntakeflowError, match="E050"):
        list(map_in_processes(config, batches(1), 2))


@pytest.mark.parametrize("why", ["plain", "a brace { in a parameter", "}{"])
def test_coded_errors_cross_processes_whole(why: str) -> None:
    """A spawned process's error reaches the parent with its code and parameters (the
    default pickling passed the message as the code, and a brace in it failed)."""
    error = ModelError(E.E011_MODEL_INCOMPATIBLE, path="/models/x", why=why)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ModelError and copy.code is E.E011_MODEL_INCOMPATIBLE
    assert copy.params == error.params and str(copy) == str(error)
