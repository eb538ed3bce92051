"""Package discovery for the runtime wheel; everything else is declared in pyproject.toml.

One import package, ``intakeflow``, assembled from the repository's top-level folders:

=======================================  ====================  =====================================
import name                              folder                holds
=======================================  ====================  =====================================
``intakeflow``                           ``src/intakeflow/``   the Airflow-free core
``intakeflow.provider``                  ``operators/``        the Airflow provider: hooks/,
                                                               operators/, sensors/, triggers/
``intakeflow.plugins``                   ``plugins/``          the Airflow plugin and the
                                                               monitoring page it mounts
``intakeflow.pipeline.model.artifacts``  ``models/artifacts/`` the committed model (data only)
``intakeflow.plugins.monitoring.static`` (in ``plugins/``)     the console's React bundle, built
                                                               from ``ui/console/`` (data only)
=======================================  ====================  =====================================

The mapping is setuptools' ``package_dir``, no symbolic link. The checkout root holds no
``intakeflow/`` folder, so nothing shadows the assembled package: developers install it with
``pip install -e . --config-settings editable_mode=strict`` (``make setup``), which builds the
same tree as links under ``build/__editable__.intakeflow-*/``; pytest imports from there and
mypy checks it (``make typecheck``). ``tools/``, ``dags/`` and the training code in ``models/``
stay out of the wheel.
"""

from setuptools import find_namespace_packages, find_packages, setup

MAPPED = {"intakeflow.provider": "operators", "intakeflow.plugins": "plugins"}


def mapped(name: str, folder: str) -> list[str]:
    return [name, *(f"{name}.{sub}" for sub in find_packages(where=folder))]


setup(
    packages=[
        # namespace discovery, as before the move: store/migrations/ (SQL only) is a package of its own
        *find_namespace_packages(where="src", include=["intakeflow", "intakeflow.*"], exclude=["*.__pycache__"]),
        *(pkg for name, folder in MAPPED.items() for pkg in mapped(name, folder)),
        "intakeflow.pipeline.model.artifacts",
        "intakeflow.plugins.monitoring.static",  # the console's built bundle (data only)
    ],
    package_dir={"intakeflow": "src/intakeflow", **MAPPED, "intakeflow.pipeline.model.artifacts": "models/artifacts"},
)
