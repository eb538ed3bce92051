"""Every operator, hook, sensor and trigger documents each ``__init__`` parameter.

Airflow shows an operator's class docstring as the task's documentation, so a parameter
without a ``:param <name>:`` line there is invisible in the UI (issue 10). The classes are
discovered by walking the provider's packages, so a new class or parameter is covered
without touching this file.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest
from airflow.sdk import BaseHook, BaseOperator, BaseSensorOperator
from airflow.triggers.base import BaseTrigger

PACKAGES = (
    "intakeflow.provider.operators",
    "intakeflow.provider.hooks",
    "intakeflow.provider.sensors",
    "intakeflow.provider.triggers",
)
BASES: tuple[type, ...] = (BaseOperator, BaseHook, BaseSensorOperator, BaseTrigger)
_PARAM = re.compile(r"^\s*:param\s+(\w+):", re.MULTILINE)


def _modules(package: str) -> list[ModuleType]:
    pkg = importlib.import_module(package)
    found = [pkg]
    for info in pkgutil.walk_packages(pkg.__path__, prefix=f"{package}."):
        found.append(importlib.import_module(info.name))
    return found


def _classes() -> list[type]:
    """Classes defined in the provider's packages that subclass one of Airflow's bases."""
    seen: dict[str, type] = {}
    for package in PACKAGES:
        for module in _modules(package):
            for _, obj in inspect.getmembers(module, inspect.isclass):
                if obj.__module__ == module.__name__ and issubclass(obj, BASES) and obj not in BASES:
                    seen[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return [seen[name] for name in sorted(seen)]


CLASSES = _classes()
HOOKS = [cls for cls in CLASSES if issubclass(cls, BaseHook)]


def _init_params(cls: type) -> list[str]:
    """Named ``__init__`` parameters, keyword-only included; ``self``, ``*args``, ``**kwargs`` not."""
    signature = inspect.signature(cls.__init__)  # type: ignore[misc]
    skip = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [p.name for p in signature.parameters.values() if p.name != "self" and p.kind not in skip]


def _documented(cls: type) -> list[str]:
    # cls.__doc__, not inspect.getdoc: getdoc falls back to the base class's docstring
    return _PARAM.findall(inspect.cleandoc(cls.__doc__ or ""))


def _id(cls: type) -> str:
    return cls.__qualname__


def test_discovery_finds_every_kind() -> None:
    kinds: dict[str, list[type]] = {
        "operator": [c for c in CLASSES if issubclass(c, BaseOperator) and not issubclass(c, BaseSensorOperator)],
        "hook": HOOKS,
        "sensor": [c for c in CLASSES if issubclass(c, BaseSensorOperator)],
        "trigger": [c for c in CLASSES if issubclass(c, BaseTrigger)],
    }
    assert all(kinds.values()), {k: [c.__name__ for c in v] for k, v in kinds.items()}
    # the classes the provider exports today; more may be added, none may silently vanish
    names = {c.__name__ for c in CLASSES}
    assert names >= {
        "AnthropicHook", "FhirHook", "StoreHook",
        "ListHl7ShardsOperator", "StageHl7ArchiveOperator", "StageFhirCommunicationsOperator",
        "FhirWriteBackOperator", "ProcessMessagesOperator", "ReprocessMessagesOperator",
        "MigrateStoreOperator", "RecordRunOperator",
        "Hl7ArchiveSensor", "FhirCommunicationSensor",
        "Hl7ArchiveFilesTrigger", "FhirCommunicationTrigger",
    }


@pytest.mark.parametrize("cls", CLASSES, ids=_id)
def test_every_init_parameter_is_documented(cls: type) -> None:
    params = _init_params(cls)
    assert params, f"{cls.__qualname__}.__init__ has no named parameters: signature not read"
    documented = set(_documented(cls))
    missing = [p for p in params if p not in documented]
    assert not missing, f"{cls.__module__}.{cls.__qualname__} docstring lacks ':param <name>:' for {missing}"


@pytest.mark.parametrize("cls", CLASSES, ids=_id)
def test_no_param_entry_for_a_parameter_that_does_not_exist(cls: type) -> None:
    stale = [p for p in _documented(cls) if p not in _init_params(cls)]
    assert not stale, f"{cls.__module__}.{cls.__qualname__} documents parameters it does not take: {stale}"


@pytest.mark.parametrize("cls", CLASSES, ids=_id)
def test_summary_line_comes_first(cls: type) -> None:
    doc = inspect.cleandoc(cls.__doc__ or "")
    assert doc and not doc.startswith(":param"), f"{cls.__qualname__} docstring has no summary line"


@pytest.mark.parametrize("hook", HOOKS, ids=_id)
def test_hooks_declare_their_connection_type(hook: type) -> None:
    for attr in ("conn_type", "hook_name", "conn_name_attr", "default_conn_name"):
        value = vars(hook).get(attr)
        assert isinstance(value, str) and value, f"{hook.__qualname__} does not declare {attr}"
    test_connection = vars(hook).get("test_connection")
    if test_connection is not None:
        assert inspect.cleandoc(test_connection.__doc__ or ""), f"{hook.__qualname__}.test_connection has no docstring"
