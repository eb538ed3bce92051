"""docs/run-in-your-airflow.md against the code it describes: the names on the page (blocks,
connection ids, settings, params, DAG files, backfill days) are the ones the DAGs, the provider
and tools/try_in_airflow.py use. Fast; the page is run for real by
``python -m tools.try_in_airflow`` (tests/integration/test_try_in_airflow.py, opt-in)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from intakeflow.plugins import plugin
from intakeflow.provider.get_provider_info import get_provider_info
from tools import try_in_airflow as trial

ROOT = Path(__file__).resolve().parents[1]
TEXT = trial.DOC.read_text()
BLOCKS = trial.doc_blocks(TEXT)


def test_every_block_the_script_runs_is_on_the_page() -> None:
    assert set(trial.RUN_ORDER) | {"values", "install"} == set(BLOCKS)
    assert sorted(trial.exported_names(BLOCKS["values"])) == sorted(trial.VALUES)
    # a block's commands read the page's variables only through those four names
    used = {v for body in BLOCKS.values() for v in re.findall(r"\$\{?([A-Z_][A-Z0-9_]*)", body)}
    assert used - {"DAGS_FOLDER"} == set(trial.VALUES)


def test_a_marker_without_a_bash_block_is_an_error() -> None:
    broken = "<!-- try_in_airflow: dags -->\n```bash\ncp a b\n```\n<!-- try_in_airflow: dags -->\n```bash\nls\n```\n"
    with pytest.raises(ValueError, match="marked twice"):
        trial.doc_blocks(broken)
    assert trial.doc_blocks("<!-- try_in_airflow: x -->\n```sh\nls\n```\n") == {}


def test_settings_block_sets_the_providers_options() -> None:
    options = get_provider_info()["config"]["intakeflow"]["options"]
    names = {n.removeprefix("AIRFLOW__INTAKEFLOW__").lower() for n in trial.exported_names(BLOCKS["settings"])}
    assert names == set(options)
    for name, option in options.items():
        assert f"| `{name}` | `{option['default']}`" in TEXT  # the settings table, with the real default
    assert f"MONITOR_POSTGRES_CONN_ID={plugin.DEFAULT_CONN_ID}" in BLOCKS["settings"]


@pytest.fixture(scope="module")
def bag() -> DagBag:
    return DagBag(str(ROOT / "dags"))


def test_connections_and_dags_are_the_dags(bag: DagBag) -> None:
    copied = set(re.findall(r"dags/(\w+\.py)", BLOCKS["dags"]))
    assert copied == {p.name for p in (ROOT / "dags").glob("*.py") if p.name != "__init__.py"}
    added = re.findall(r"airflow connections add (\w+)", BLOCKS["connections"])
    defaults = {str(dag.params[p]) for dag in bag.dags.values() for p in ("postgres_conn_id", "fhir_conn_id")
                if p in dag.params}
    assert set(added) == defaults == {"intakeflow_postgres", "intakeflow_fhir"}
    assert "--conn-type fhir" in BLOCKS["connections"]


def test_param_table_lists_every_param_of_the_dags(bag: DagBag) -> None:
    section = TEXT.split("The params of the DAGs", 1)[1].split("\n\n", 2)[1]
    documented = set(re.findall(r"^\| `(\w+)` \|", section, re.M))
    assert documented == {p for dag in bag.dags.values() for p in dag.params}


def test_backfill_days_are_the_archive_the_script_writes(bag: DagBag) -> None:
    body = BLOCKS["first-backfill"]
    first = re.search(r"--from-date (\S+)", body)
    last = re.search(r"--to-date (\S+)", body)
    assert first and last
    assert first.group(1) == trial.FIRST_DAY.date().isoformat()
    assert last.group(1) == (trial.FIRST_DAY + timedelta(days=trial.DAYS - 1)).date().isoformat()
    assert re.search(rf"--dag-id {trial.DAG_ID}\b", body) and trial.DAG_ID in bag.dags
    assert f"airflow dags unpause {trial.DAG_ID}" in body


def test_readme_links_the_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "](docs/run-in-your-airflow.md)" in readme and "python -m tools.try_in_airflow" in readme
