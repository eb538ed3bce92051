"""docker/docker-compose.yml, checked without a Docker engine: parsed with PyYAML, variables
interpolated the way compose does, then services, ports, healthchecks, connections and
volumes compared with what the package and the example DAGs expect."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "docker-compose.yml"

AIRFLOW_SERVICES = ("airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker")
# the image is distroless (no shell, curl or wget): fhir-ready probes it instead
NO_HEALTHCHECK = {"hapi-fhir"}

_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class MissingVariable(ValueError):
    pass


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose's variable syntax: ``${V}``, ``${V:-default}``, ``${V-default}``,
    ``${V:?error}``, ``${V?error}``, ``$V`` and ``$$`` for a literal dollar."""

    def one(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group(1) or m.group(4)
        op, arg = m.group(2), m.group(3) or ""
        value = env.get(name)
        empty = value is None or (value == "" and op is not None and op.startswith(":"))
        if op in (":-", "-") and empty:
            return arg
        if op in (":?", "?") and empty:
            raise MissingVariable(f"{name}: {arg}")
        return value or ""

    return _VAR.sub(one, text)


def interpolate_tree(node: Any, env: Mapping[str, str]) -> Any:
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(x, env) for x in node]
    if isinstance(node, dict):
        return {k: interpolate_tree(v, env) for k, v in node.items()}
    return node


def env_example() -> dict[str, str]:
    out = {}
    for line in (DOCKER / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def secrets_filled() -> dict[str, str]:
    """.env.example with every empty (required) value set to a dummy secret."""
    return {k: v or f"dummy-{k.lower()}" for k, v in env_example().items()}


def raw_text() -> str:
    return COMPOSE.read_text()


def strings(node: Any) -> list[str]:
    """Every string value of the parsed file: what compose interpolates (comments are not)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, list):
        return [s for x in node for s in strings(x)]
    if isinstance(node, dict):
        return [s for v in node.values() for s in strings(v)]
    return []


def references() -> list[re.Match[str]]:
    return [m for text in strings(yaml.safe_load(raw_text())) for m in _VAR.finditer(text) if m.group(0) != "$$"]


def load(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    doc = yaml.safe_load(raw_text())
    return interpolate_tree(doc, secrets_filled() if env is None else env)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load()


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, Any]:
    return compose["services"]


# --- the interpolation helper itself ---


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A:-x}", {}, "x"),
        ("${A:-x}", {"A": ""}, "x"),
        ("${A-x}", {"A": ""}, ""),
        ("${A:-x}", {"A": "y"}, "y"),
        ("${A:?need A}", {"A": "s"}, "s"),
        ("$$HOSTNAME and $${HOSTNAME}", {}, "$HOSTNAME and ${HOSTNAME}"),
    ],
)
def test_interpolate(text: str, env: dict[str, str], expected: str) -> None:
    assert interpolate(text, env) == expected


@pytest.mark.parametrize("env", [{}, {"A": ""}])
def test_interpolate_refuses_missing_required(env: dict[str, str]) -> None:
    with pytest.raises(MissingVariable, match="need A"):
        interpolate("${A:?need A}", env)


# --- variables and secrets ---


def test_every_variable_is_documented_in_env_example() -> None:
    used = {m.group(1) or m.group(4) for m in references()}
    # ${HOSTNAME} and ${INTAKEFLOW_POSTGRES_DSN} are escaped ($$): the container's own environment
    assert used - set(env_example()) == set()


def test_required_secrets_have_no_default() -> None:
    required = {m.group(1) for m in references() if m.group(2) == ":?"}
    assert {"POSTGRES_PASSWORD", "AIRFLOW_DB_PASSWORD", "INTAKEFLOW_DB_PASSWORD", "AIRFLOW_FERNET_KEY",
            "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD"} <= required
    assert all(env_example()[name] == "" for name in required)  # the example ships no secret
    for name in required:  # each one alone stops compose
        with pytest.raises(MissingVariable, match=name):
            load({**secrets_filled(), name: ""})


# --- services ---


def test_services_present(services: dict[str, Any]) -> None:
    expected = {"postgres", "redis", "hapi-fhir", "airflow-init", "intakeflow-mllp", *AIRFLOW_SERVICES}
    assert expected <= set(services)


@pytest.mark.parametrize(
    ("service", "command"),
    [
        ("airflow-apiserver", ["api-server"]),
        ("airflow-scheduler", ["scheduler"]),
        ("airflow-dag-processor", ["dag-processor"]),
        ("airflow-triggerer", ["triggerer"]),
        ("airflow-worker", ["celery", "worker"]),
    ],
)
def test_airflow_service(services: dict[str, Any], service: str, command: list[str]) -> None:
    svc = services[service]
    assert svc["command"] == command
    env = svc["environment"]
    assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
    assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:")
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
    assert svc["build"] == {"context": "..", "dockerfile": "docker/Dockerfile"}
    assert (COMPOSE.parent / svc["build"]["context"] / svc["build"]["dockerfile"]).is_file()


def test_workers_scale(services: dict[str, Any]) -> None:
    worker = services["airflow-worker"]
    assert int(worker["deploy"]["replicas"]) in (1, 2)
    assert worker["environment"]["DUMB_INIT_SETSID"] == "0"  # warm shutdown finishes running tasks


def test_mllp_listener(services: dict[str, Any]) -> None:
    svc = services["intakeflow-mllp"]
    command = " ".join(svc["command"])
    assert "intakeflow mllp-listen --host 0.0.0.0 --port 2575 --dsn" in command
    # the DSN is read from the container's environment at start, not baked into the file
    assert '"${INTAKEFLOW_POSTGRES_DSN}"' in command
    assert svc["environment"]["INTAKEFLOW_POSTGRES_DSN"].startswith("postgresql://intakeflow:")
    assert svc["entrypoint"][0] == "/usr/bin/dumb-init"  # SIGTERM reaches it: graceful shutdown
    assert "2575" in " ".join(svc["healthcheck"]["test"])


# --- healthchecks and start order ---


def long_running(services: dict[str, Any]) -> list[str]:
    return [name for name, svc in services.items() if svc.get("restart") != "no"]


def test_long_running_services_have_healthchecks(services: dict[str, Any]) -> None:
    for name in long_running(services):
        if name in NO_HEALTHCHECK:
            assert "healthcheck" not in services[name]
            continue
        check = services[name].get("healthcheck")
        assert check and check["test"][0] in ("CMD", "CMD-SHELL"), name
        assert {"interval", "timeout", "retries"} <= set(check), name


def test_fhir_readiness_gates_the_scheduler(services: dict[str, Any]) -> None:
    probe = services["fhir-ready"]
    assert "http://hapi-fhir:8080/fhir/metadata" in probe["command"][0]
    compile(probe["command"][0], "fhir-ready", "exec")  # the probe is valid Python
    assert services["airflow-scheduler"]["depends_on"]["fhir-ready"] == {"condition": "service_completed_successfully"}


def test_depends_on_conditions_are_satisfiable(services: dict[str, Any]) -> None:
    for name, svc in services.items():
        for dep, spec in (svc.get("depends_on") or {}).items():
            assert dep in services, f"{name} -> {dep}"
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[dep], f"{name} waits for {dep} to be healthy, which has no check"
            if spec["condition"] == "service_completed_successfully":
                assert services[dep].get("restart") == "no", f"{dep} must be a one-shot service"


# --- ports ---


def port_binding_problems(ports: list[str]) -> list[str]:
    """A published port must name the host interface: ``IP:HOST:CONTAINER``."""
    problems = []
    for spec in ports:
        parts = str(spec).split(":")
        if len(parts) != 3 or not re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", parts[0]):
            problems.append(str(spec))
    return problems


@pytest.mark.parametrize(
    ("ports", "bad"),
    [(["127.0.0.1:8080:8080"], []), (["8080:8080"], ["8080:8080"]), (["8080"], ["8080"]), (["0.0.0.0:1:1", "2:2"], ["2:2"])],
)
def test_port_binding_problems(ports: list[str], bad: list[str]) -> None:
    assert port_binding_problems(ports) == bad


def published(services: dict[str, Any]) -> dict[str, list[str]]:
    return {name: [str(p) for p in svc.get("ports", [])] for name, svc in services.items()}


def test_ports_bind_to_loopback_by_default(services: dict[str, Any]) -> None:
    ports = published(services)
    assert ports["airflow-apiserver"] == ["127.0.0.1:8080:8080"]
    assert ports["intakeflow-mllp"] == ["127.0.0.1:2575:2575"]
    assert ports["hapi-fhir"] == ["127.0.0.1:8090:8080"]
    assert ports["postgres"] == [] and ports["redis"] == []
    assert all(not port_binding_problems(p) for p in ports.values())


def test_ports_follow_the_environment() -> None:
    env = {**secrets_filled(), "BIND_ADDRESS": "10.0.0.5", "MLLP_BIND_ADDRESS": "10.0.0.6", "MLLP_PORT": "6661"}
    ports = published(load(env)["services"])
    assert ports["airflow-apiserver"] == ["10.0.0.5:8080:8080"]
    assert ports["intakeflow-mllp"] == ["10.0.0.6:6661:2575"]


# --- connections ---


def test_connections_match_the_example_dags(services: dict[str, Any]) -> None:
    from dags.fhir_communication_intake import dag as fhir_dag
    from intakeflow.provider.dag_defaults import store_params

    env = services["airflow-worker"]["environment"]
    pg_id = store_params()["postgres_conn_id"].value
    fhir_id = fhir_dag.params["fhir_conn_id"]
    pg = json.loads(env[f"AIRFLOW_CONN_{pg_id.upper()}"])
    fhir = json.loads(env[f"AIRFLOW_CONN_{fhir_id.upper()}"])
    assert (pg["conn_type"], pg["host"], pg["schema"], pg["login"]) == ("postgres", "postgres", "intakeflow", "intakeflow")
    assert pg["password"] == secrets_filled()["INTAKEFLOW_DB_PASSWORD"]
    assert (fhir["conn_type"], fhir["host"]) == ("fhir", "http://hapi-fhir:8080/fhir")



def test_api_server_points_the_monitoring_page_at_the_store(services: dict[str, Any]) -> None:
    from intakeflow.provider.dag_defaults import store_params

    env = services["airflow-apiserver"]["environment"]
    conn_id = env["AIRFLOW__INTAKEFLOW__MONITOR_POSTGRES_CONN_ID"]
    assert conn_id == store_params()["postgres_conn_id"].value
    assert f"AIRFLOW_CONN_{conn_id.upper()}" in env
    assert env["AIRFLOW__INTAKEFLOW__MONITOR_SCHEMAS"].split(",")[0] == store_params()["store_schema"].value


def test_connection_json_survives_a_quote_free_password() -> None:
    env = {**secrets_filled(), "INTAKEFLOW_DB_PASSWORD": "p@ss:w/rd%1"}
    conn = load(env)["services"]["airflow-scheduler"]["environment"]["AIRFLOW_CONN_INTAKEFLOW_POSTGRES"]
    assert json.loads(conn)["password"] == "p@ss:w/rd%1"


def test_databases_are_created_by_the_init_script(services: dict[str, Any]) -> None:
    script = (DOCKER / "postgres" / "10-create-databases.sh").read_text()
    created = set(re.findall(r"^create (\w+) ", script, flags=re.M))
    airflow_db = services["airflow-scheduler"]["environment"]["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].rsplit("/", 1)[1]
    store_db = json.loads(services["airflow-scheduler"]["environment"]["AIRFLOW_CONN_INTAKEFLOW_POSTGRES"])["schema"]
    hapi_db = services["hapi-fhir"]["environment"]["spring.datasource.url"].rsplit("/", 1)[1]
    mllp_db = services["intakeflow-mllp"]["environment"]["INTAKEFLOW_POSTGRES_DSN"].rsplit("/", 1)[1]
    assert {airflow_db, store_db, hapi_db, mllp_db} == created == {"airflow", "intakeflow", "hapi"}


# --- volumes ---


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    used = set()
    for name, svc in compose["services"].items():
        for spec in svc.get("volumes", []):
            source = str(spec).split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (COMPOSE.parent / source).exists(), f"{name}: bind mount {source} is missing"
            else:
                used.add(source)
    assert used == declared
    assert {"postgres-data", "airflow-logs"} <= declared
