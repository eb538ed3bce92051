"""The runtime wheel: what a hospital installs holds the provider and the model, and none of
the developer tools (benchmarks, demo, dev stack, peer baseline) or their test password."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import fields
from pathlib import Path

import pytest

from tools.devstack import AirflowStack

ROOT = Path(__file__).resolve().parents[1]
TOOL_MODULES = ("bench", "bench_archive", "bench_celery", "devstack", "presidio_baseline", "demo", "demo_data")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("intakeflow-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_holds_the_runtime(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for needed in (
        "intakeflow/pipeline.py",
        "intakeflow/cli.py",
        "intakeflow/models/runtime.py",
        "intakeflow/models/artifacts/intakeflow-minilm/model.onnx",
        "intakeflow/operators/provider_info.py",
        "intakeflow/plugins/plugin.py",
        "intakeflow/sinks/migrations/0001_init.sql",
    ):
        assert needed in names, needed


def test_wheel_holds_no_developer_tool(wheel: zipfile.ZipFile) -> None:
    modules = {Path(n).stem for n in wheel.namelist() if n.endswith(".py")}
    assert not modules & set(TOOL_MODULES)
    assert not [n for n in wheel.namelist() if n.startswith("tools/")]


def test_wheel_holds_no_clear_text_password(wheel: zipfile.ZipFile) -> None:
    (password,) = [f.default for f in fields(AirflowStack) if f.name == "password"]
    assert isinstance(password, str) and password
    leaks = [n for n in wheel.namelist() if password.encode() in wheel.read(n)]
    assert leaks == []
