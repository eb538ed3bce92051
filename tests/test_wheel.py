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
#: where setup.py takes each part of the package from (package_dir): folder -> path in the wheel
FOLDERS = {"src/intakeflow": "intakeflow", "operators": "intakeflow/provider", "plugins": "intakeflow/plugins"}
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
        "intakeflow/pipeline/core.py",
        "intakeflow/cli/__init__.py",
        "intakeflow/pipeline/model/runtime.py",
        "intakeflow/pipeline/model/artifacts/intakeflow-minilm/model.onnx",
        "intakeflow/pipeline/model/artifacts/intakeflow-minilm/tokenizer.json",
        "intakeflow/provider/get_provider_info.py",
        "intakeflow/provider/operators/process.py",
        "intakeflow/provider/hooks/store.py",
        "intakeflow/plugins/plugin.py",
        "intakeflow/plugins/monitoring/app.py",
        "intakeflow/store/migrations/0001_init.sql",
    ):
        assert needed in names, needed


def test_wheel_holds_every_module_of_the_package(wheel: zipfile.ZipFile) -> None:
    """What mypy, ruff and the tests see under src/intakeflow/, operators/ and plugins/ is what
    gets installed, file for file, under the names setup.py maps those folders to; and the wheel
    holds no other module of the package."""
    modules = {
        f"{target}/{p.relative_to(ROOT / folder).as_posix()}"
        for folder, target in FOLDERS.items()
        for p in (ROOT / folder).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert {"intakeflow/provider/__init__.py", "intakeflow/plugins/__init__.py"} <= modules
    assert modules == {n for n in wheel.namelist() if n.endswith(".py")}


def test_the_package_has_one_home_in_the_checkout() -> None:
    """No intakeflow/ folder at the root to shadow the installed package, and the mapped
    folders are plain folders of the card's layout."""
    assert not (ROOT / "intakeflow").exists()
    for folder in ("dags", "plugins", "operators", "models", "tests", "docker", "src/intakeflow"):
        assert (ROOT / folder).is_dir() and not (ROOT / folder).is_symlink(), folder


def test_wheel_entry_points_name_modules_in_it(wheel: zipfile.ZipFile) -> None:
    """The provider, plugin and console-script entry points resolve to modules the wheel holds."""
    (ep_file,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    targets = [line.split("=", 1)[1].strip() for line in wheel.read(ep_file).decode().splitlines() if "=" in line]
    assert len(targets) >= 3
    names = set(wheel.namelist())
    for target in targets:
        path = target.split(":", 1)[0].replace(".", "/")
        assert f"{path}.py" in names or f"{path}/__init__.py" in names, target


def test_wheel_holds_no_training_code_and_no_link(wheel: zipfile.ZipFile) -> None:
    """Training, export, the generator and the writer corpus stay in models/ of the checkout;
    the repository tracks no symbolic link (what once put them in the package)."""
    names = wheel.namelist()
    assert not [n for n in names if n.endswith(".py") and not n.startswith(("intakeflow/", "intakeflow-"))]
    training = ("train", "train_args", "dataset", "network", "export", "base_encoder", "generator", "corpus")
    assert not [n for n in names if set(Path(n).parts) & set(training) or Path(n).stem in training]
    assert not [n for n in names if "/lowo/" in n]
    staged = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, check=True, capture_output=True, text=True)
    assert [line for line in staged.stdout.splitlines() if line.startswith("120000")] == []


def test_wheel_holds_no_developer_tool(wheel: zipfile.ZipFile) -> None:
    modules = {Path(n).stem for n in wheel.namelist() if n.endswith(".py")}
    assert not modules & set(TOOL_MODULES)
    assert not [n for n in wheel.namelist() if n.startswith("tools/")]


def test_wheel_holds_no_clear_text_password(wheel: zipfile.ZipFile) -> None:
    (password,) = [f.default for f in fields(AirflowStack) if f.name == "password"]
    assert isinstance(password, str) and password
    leaks = [n for n in wheel.namelist() if password.encode() in wheel.read(n)]
    assert leaks == []
