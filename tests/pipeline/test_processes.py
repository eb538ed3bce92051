"""``map_in_processes``: the real pipeline in spawned processes, results in batch order,
a process that dies reported as E053, start-up errors raised as themselves."""

from __future__ import annotations

import multiprocessing
import pickle
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
    """The first batch is the slowest by far (a long message in many windows), so results
    taken in the order they finish would put it last."""
    given = batches(5)
    given[0] = [PipelineInput(id="long", text=" ".join(TEXTS * 60))]
    got = list(map_in_processes(PipelineConfig(), given, 2))
    assert [[r.id for r in rs] for rs in got] == [[m.id for m in b] for b in given]
    assert all(r.error_code is None and r.intent for rs in got for r in rs)


def test_a_batch_without_messages_is_answered_without_a_process(tmp_path: Path) -> None:
    """Empty batches (every line of them bad) get empty results and start no process, so
    even a missing model is not noticed."""
    got = list(map_in_processes(PipelineConfig(model_path=tmp_path / "none"), [[], []], 2))
    assert got == [[], []]


def test_a_process_that_dies_is_reported_as_e053() -> None:
    results = map_in_processes(PipelineConfig(), batches(200), 1)
    next(results)  # the process is up and working through the queue
    for child in multiprocessing.active_children():  # killed, out of memory say
        child.kill()
    with pytest.raises(IntakeflowError, match="E053"):
        list(results)


def test_an_error_at_start_up_is_raised_as_itself(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as info:
        list(map_in_processes(PipelineConfig(model_path=tmp_path / "none"), batches(2), 2))
    assert info.value.code is E.E010_MODEL_MISSING


@pytest.mark.parametrize("processes", [0, -1])
def test_fewer_than_one_process_is_refused(processes: int) -> None:
    with pytest.raises(IntakeflowError, match="E050"):
        map_in_processes(PipelineConfig(), batches(1), processes)


def test_the_fallback_budget_is_not_multiplied() -> None:
    """Refused at the call, before any process starts or batch is taken."""
    config = PipelineConfig()
    config.fallback.enabled, config.fallback.api_key = True, "sk-test-not-a-key"
    with pytest.raises(IntakeflowError, match=r"E050.*budget is per process"):
        map_in_processes(config, batches(1), 2)


@pytest.mark.parametrize("why", ["plain", "a brace { in a parameter", "}{"])
def test_coded_errors_cross_processes_whole(why: str) -> None:
    """A spawned process's error reaches the parent with its code and parameters (the
    default pickling passed the message as the code, and a brace in it failed)."""
    error = ModelError(E.E011_MODEL_INCOMPATIBLE, path="/models/x", why=why)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ModelError and copy.code is E.E011_MODEL_INCOMPATIBLE
    assert copy.params == error.params and str(copy) == str(error)
