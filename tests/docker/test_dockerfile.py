"""docker/Dockerfile, checked without a Docker engine: the base image matches the pinned
Airflow and Python, every COPY source exists and passes the ignore file, and the pip line
names only requirements and extras that exist. (Its install steps were replayed once in a
plain venv by hand: README "Deployment (docker/)".)"""

from __future__ import annotations

import re
import shlex
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "docker" / "Dockerfile"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") and not pending:
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def arg_defaults(steps: list[tuple[str, str]]) -> dict[str, str]:
    return dict(a.split("=", 1) for op, a in steps if op == "ARG" and "=" in a)


def expand(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], text)


def constraint_pin(name: str) -> str:
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.lower().startswith(f"{name.lower()}=="):
            return line.split("==", 1)[1].strip()
    raise AssertionError(f"{name} is not pinned in constraints.txt")


def pip_install_problems(line: str, extras: dict[str, list[str]]) -> list[str]:
    """What is wrong with a ``pip install`` argument list: unknown extras of this package,
    a requirement that does not parse, torch or the train extra in the runtime image."""
    problems = []
    words = shlex.split(line)
    if words[:2] != ["pip", "install"]:
        return [f"not a pip install line: {line!r}"]
    skip_next = False
    for word in words[2:]:
        if skip_next:
            skip_next = False
            continue
        if word in ("-c", "--constraint", "-r", "--requirement"):
            skip_next = True
            continue
        if word.startswith("-"):
            continue
        match = re.fullmatch(r"(?:\.|.*intakeflow-[^/]*\.whl)(?:\[([\w,-]+)\])?", word)
        if match:  # this package, as a path or a wheel
            for extra in filter(None, (match.group(1) or "").split(",")):
                if extra not in extras:
                    problems.append(f"unknown extra {extra!r}")
                elif extra == "train":
                    problems.append("the train extra brings torch: inference needs none")
            continue
        try:
            req = Requirement(word)
        except InvalidRequirement:
            problems.append(f"not a requirement: {word!r}")
            continue
        if req.name == "torch":
            problems.append("torch in the runtime image")
    return problems


@pytest.fixture(scope="module")
def steps() -> list[tuple[str, str]]:
    return instructions(DOCKERFILE.read_text())


def test_instructions_parser() -> None:
    parsed = instructions("# c\nARG A=1\nRUN a \\\n  b\n\nFROM x AS y\n")
    assert parsed == [("ARG", "A=1"), ("RUN", "a    b"), ("FROM", "x AS y")]


def test_base_image_matches_the_pins(steps: list[tuple[str, str]]) -> None:
    args = arg_defaults(steps)
    images = [expand(a.split()[0], args) for op, a in steps if op == "FROM"]
    # the runtime stage (the last) is the official image; the wheel builder uses the same Python
    assert images[-1] == f"apache/airflow:{args['AIRFLOW_VERSION']}-python{args['PYTHON_VERSION']}"
    assert all(i == images[-1] or i.startswith(f"python:{args['PYTHON_VERSION']}-") for i in images)
    assert args["AIRFLOW_VERSION"] == constraint_pin("apache-airflow")
    airflow_dep = next(Requirement(d) for d in PYPROJECT["project"]["dependencies"] if d.startswith("apache-airflow"))
    assert args["AIRFLOW_VERSION"] in airflow_dep.specifier
    assert f"{args['PYTHON_VERSION']}.0" in SpecifierSet(PYPROJECT["project"]["requires-python"])


def test_copy_sources_exist_and_pass_the_ignore_file(steps: list[tuple[str, str]]) -> None:
    ignore = (ROOT / "docker" / "Dockerfile.dockerignore").read_text().splitlines()
    included = {line[1:] for line in ignore if line.startswith("!")}
    for op, a in steps:
        if op != "COPY" or "--from=" in a:
            continue
        sources = [w for w in a.split() if not w.startswith("--")][:-1]
        for src in sources:
            assert (ROOT / src).exists(), src
            assert src in included, f"{src} is excluded by Dockerfile.dockerignore"
            assert not any(fnmatch(src, pat) for pat in ignore if pat and not pat.startswith(("!", "#", "*")))


def test_pip_install_line_names_what_exists(steps: list[tuple[str, str]]) -> None:
    args = arg_defaults(steps)
    extras = PYPROJECT["project"]["optional-dependencies"]
    lines = [expand(a, args) for op, a in steps if op == "RUN" and a.startswith("pip install")]
    assert len(lines) == 1
    assert pip_install_problems(lines[0], extras) == []
    words = shlex.split(lines[0])
    assert f"apache-airflow=={constraint_pin('apache-airflow')}" in words  # the image's Airflow stays put
    constraints = words[words.index("-c") + 1]
    copies = [a.split() for op, a in steps if op == "COPY"]
    assert any(c[-1] == constraints and "constraints.txt" in c for c in copies)
    wheel_build = [a for op, a in steps if op == "RUN" and a.startswith("pip wheel")]
    assert wheel_build and "--no-deps" in wheel_build[0]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("pip install -c c.txt /w/intakeflow-0.1.0-py3-none-any.whl[nope]", "unknown extra 'nope'"),
        ("pip install .[train]", "the train extra brings torch: inference needs none"),
        ("pip install -c c.txt torch==2.13.0 .", "torch in the runtime image"),
        ("pip install 'apache-airflow=>3'", "not a requirement: 'apache-airflow=>3'"),
        ("apt-get install x", "not a pip install line: 'apt-get install x'"),
    ],
)
def test_pip_install_problems_are_caught(line: str, problem: str) -> None:
    assert problem in pip_install_problems(line, PYPROJECT["project"]["optional-dependencies"])


def test_pip_install_problems_accepts_known_extras() -> None:
    assert pip_install_problems("pip install -c c.txt .[embedded,dev] 'httpx>=0.27'", {"embedded": [], "dev": []}) == []


def test_the_artifact_is_package_data() -> None:
    """The wheel carries the model: every file of a model folder under models/artifacts/
    (mapped to ``intakeflow.pipeline.model.artifacts`` by setup.py) matches a package-data pattern,
    and nothing else there does (evaluation outputs such as lowo/ stay in the repository)."""
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["intakeflow.pipeline.model.artifacts"]
    folder = ROOT / "models" / "artifacts"
    files = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    model_dirs = {p.parent.relative_to(folder).as_posix() for p in folder.rglob("model.onnx")}
    assert {"intakeflow-minilm/model.onnx", "intakeflow-minilm/tokenizer.json"} <= set(files)
    for f in files:
        assert any(fnmatch(f, pat) for pat in patterns) == (f.split("/")[0] in model_dirs), f


def test_the_wheel_stage_copies_what_setup_maps(steps: list[tuple[str, str]]) -> None:
    """setup.py assembles the package from src/intakeflow, operators/, plugins/ and
    models/artifacts/: the wheel stage copies those folders, and setup.py, without the
    training code, dags/ or tools/."""
    copied = {w for op, a in steps if op == "COPY" and "--from=" not in a for w in a.split()[:-1]}
    folders = {"src", "operators", "plugins", "models/artifacts"}
    assert {"pyproject.toml", "setup.py", *folders} <= copied
    assert not {"models", "tools", "."} & copied
    setup_py = (ROOT / "setup.py").read_text()
    for folder in ("src/intakeflow", "operators", "plugins", "models/artifacts"):
        assert f'"{folder}"' in setup_py, folder


def test_build_time_checks_name_real_modules(steps: list[tuple[str, str]]) -> None:
    from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT

    checks = " ".join(a for op, a in steps if op == "RUN" and "DEFAULT_ARTIFACT" in a)
    assert "intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT" in checks
    assert (DEFAULT_ARTIFACT / "model.onnx").is_file()
    assert "intakeflow.provider.get_provider_info" in checks
