"""Package discovery for the runtime wheel; everything else is declared in pyproject.toml.

The wheel holds the ``intakeflow`` package (found on disk) plus one data-only package,
``intakeflow.pipeline.model.artifacts``, mapped onto ``models/artifacts/``: the committed model lives
beside its training code in ``models/`` and travels as package data, without a symbolic
link. No Python module is mapped, so the tree that mypy, ruff and ``PYTHONPATH=.`` see is
the tree that gets installed. ``tools/``, ``dags/`` and the training code in ``models/``
stay out of the wheel.
"""

from setuptools import find_namespace_packages, setup

setup(
    packages=[*find_namespace_packages(include=["intakeflow", "intakeflow.*"]), "intakeflow.pipeline.model.artifacts"],
    package_dir={"intakeflow.pipeline.model.artifacts": "models/artifacts"},
)
