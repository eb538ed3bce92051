"""A throw-away local Airflow for integration tests and benchmarks.

``AirflowStack`` gives one Airflow installation its own home folder, its own metadata
database on the local PostgreSQL, free ports and (for Celery) its own Redis database, and
starts its services as child processes in their own process groups: ``airflow standalone``
(LocalExecutor) or scheduler + DAG processor + API server + N Celery workers. Everything
talks to Airflow the way an operator would: the CLI and the REST API.

Not for production: the admin password is written in clear into the home folder.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import psycopg
from psycopg import sql

ADMIN_USER = "admin"
#: a second user with Airflow's viewer role (reads DAGs and runs, edits nothing); same password
VIEWER_USER = "viewer"
#: states after which a DAG run does not change any more
FINISHED = frozenset({"success", "failed"})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class AirflowStack:
    """One local Airflow. ``pg_url`` is a server URL (``postgresql://user@host:port``)
    on which a database ``db_name`` is created fresh; ``env`` adds variables (connections
    as ``AIRFLOW_CONN_*``, settings as ``AIRFLOW__SECTION__KEY``) for every process."""

    home: Path
    db_name: str
    dags_folder: Path
    pg_url: str = "postgresql://postgres@127.0.0.1:5432"
    executor: str = "LocalExecutor"
    redis_url: str = "redis://127.0.0.1:6379/0"
    env: dict[str, str] = field(default_factory=dict)
    password: str = "intakeflow-test-admin"
    api_port: int = field(default_factory=free_port)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    _token: str | None = None

    # -- setup --------------------------------------------------------------------------------

    @property
    def queue(self) -> str:
        return f"q_{self.db_name}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    def environ(self, **extra: str) -> dict[str, str]:
        """The environment of every Airflow process of this stack: the caller's, minus
        any Airflow settings of its own (a test run has its own), plus the stack's."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        bin_dir = str(Path(sys.executable).parent)
        env = {
            **base,
            "PATH": f"{bin_dir}{os.pathsep}{base.get('PATH', '')}",  # standalone spawns `airflow`
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://{self._server()}/{self.db_name}",
            "AIRFLOW__CORE__EXECUTOR": self.executor,
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin,{VIEWER_USER}:viewer",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(self.home / "passwords.json"),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.api_port),
            "AIRFLOW__API__BASE_URL": self.base_url,
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            "AIRFLOW__CELERY__BROKER_URL": self.redis_url,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql://{self._server()}/{self.db_name}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "2",
            # a queue of this stack's own: a worker left over from a killed stack on the same
            # broker would otherwise take these tasks and run them against a dead API server
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": self.queue,
            **self.env,
            **extra,
        }
        return env

    def _server(self) -> str:
        parts = urlsplit(self.pg_url)
        return parts.netloc

    def setup(self) -> None:
        """Fresh metadata database and home folder, then ``airflow db migrate``."""
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "logs").mkdir(exist_ok=True)
        (self.home / "passwords.json").write_text(json.dumps({ADMIN_USER: self.password, VIEWER_USER: self.password}))
        with psycopg.connect(f"{self.pg_url}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.db_name)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.db_name)))
        if self.executor == "CeleryExecutor":
            self._flush_redis()
        self.airflow("db", "migrate", timeout=300)

    def _flush_redis(self) -> None:
        import redis

        redis.Redis.from_url(self.redis_url).flushdb()

    # -- processes ----------------------------------------------------------------------------

    def start(self, name: str, *args: str, **extra_env: str) -> None:
        """Start ``airflow <args>`` as a service in its own process group; output goes to
        ``<home>/logs/<name>.log``."""
        log = (self.home / "logs" / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            [str(Path(sys.executable).parent / "airflow"), *args],
            env=self.environ(**extra_env), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=self.home,
        )
        log.close()

    def start_standalone(self) -> None:
        self.start("standalone", "standalone")
        self.wait_ready()

    def start_services(self, workers: int = 0, concurrency: int = 2) -> None:
        """Scheduler, DAG processor, API server and ``workers`` Celery workers."""
        self.start("api-server", "api-server", "--port", str(self.api_port), "--host", "127.0.0.1")
        self.start("scheduler", "scheduler")
        self.start("dag-processor", "dag-processor")
        for i in range(workers):
            self.start_worker(i, concurrency)
        self.wait_ready()

    def start_worker(self, index: int, concurrency: int = 2) -> None:
        self.start(
            f"worker-{index}", "celery", "worker", "--concurrency", str(concurrency),
            "--celery-hostname", f"worker{index}@%h", "--queues", self.queue,
            AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
        )

    def wait_ready(self, timeout: float = 180.0) -> None:
        def healthy() -> bool:
            try:
                health = self._get_json("/api/v2/monitor/health", auth=False)
            except (OSError, ValueError):
                return False
            return bool(health.get("scheduler", {}).get("status") == "healthy")

        self.wait_until("Airflow healthy", healthy, timeout)

    def wait_until(self, what: str, check: Callable[[], bool], timeout: float, interval: float = 1.0) -> None:
        """Poll ``check`` until it is true; fail at once when a service of the stack died."""
        deadline = time.monotonic() + timeout
        while True:
            self._check_alive()
            if check():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not reached in {timeout:.0f} s; see {self.home / 'logs'}")
            time.sleep(interval)

    def _check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise RuntimeError(f"Airflow process {name} exited with {proc.returncode}; see {self.home / 'logs'}")

    def stop(self, names: Sequence[str] | None = None, timeout: float = 30.0) -> None:
        """SIGTERM the process groups (Airflow finishes or hands back running work), then
        SIGKILL what is left."""
        chosen = [n for n in (names or list(self.processes)) if n in self.processes]
        for name in chosen:
            _signal_group(self.processes[name], signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name in chosen:
            proc = self.processes.pop(name)
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            _signal_group(proc, signal.SIGKILL)  # the group: children outlive their parent
            proc.wait()
        if names is None:
            self._kill_strays()

    def _kill_strays(self) -> None:
        """Task processes leave the services' process groups (the task supervisor starts a
        session of its own) and outlive them: a lingering live task would go on claiming
        and using CPU after its stack is gone. Every process still working in this stack's
        home folder is one of its own."""
        import psutil

        home = str(self.home.resolve())
        for p in psutil.process_iter():
            try:
                if p.pid != os.getpid() and p.cwd().startswith(home):
                    p.kill()
            except psutil.Error:
                pass

    def drop_database(self) -> None:
        with psycopg.connect(f"{self.pg_url}/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.db_name)))

    def __enter__(self) -> AirflowStack:
        self.setup()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- CLI and REST API ---------------------------------------------------------------------

    def airflow(self, *args: str, timeout: float = 120.0) -> str:
        """Run an ``airflow`` CLI command; its stdout, or RuntimeError with its output."""
        done = subprocess.run(
            [str(Path(sys.executable).parent / "airflow"), *args], env=self.environ(), capture_output=True,
            timeout=timeout, cwd=self.home, check=False,
        )
        if done.returncode != 0:
            out = (done.stdout + done.stderr).decode(errors="replace")[-3000:]
            raise RuntimeError(f"airflow {' '.join(args[:2])} exited with {done.returncode}:\n{out}")
        return done.stdout.decode(errors="replace")

    def token(self) -> str:
        if self._token is None:
            body = json.dumps({"username": ADMIN_USER, "password": self.password}).encode()
            req = urllib.request.Request(f"{self.base_url}/auth/token", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=30) as resp:
                self._token = str(json.load(resp)["access_token"])
        return self._token

    def _get_json(self, path: str, *, auth: bool = True) -> Any:
        headers = {"Authorization": f"Bearer {self.token()}"} if auth else {}
        req = urllib.request.Request(f"{self.base_url}{path}", headers=headers)
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)

    def api(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base_url}{path}", data=data, method=method, headers={
            "Authorization": f"Bearer {self.token()}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: HTTP {exc.code} {exc.read()[:500]!r}") from None
        return json.loads(raw) if raw else None

    def wait_for_dag(self, dag_id: str, timeout: float = 120.0) -> None:
        """Until the DAG processor has parsed ``dag_id`` into the database."""
        def parsed() -> bool:
            try:
                self.api("GET", f"/api/v2/dags/{quote(dag_id)}")
            except RuntimeError:
                return False
            return True

        self.wait_until(f"DAG {dag_id} parsed", parsed, timeout)

    def dag_runs(self, dag_id: str, order_by: str = "logical_date") -> list[dict[str, Any]]:
        runs = self.api("GET", f"/api/v2/dags/{quote(dag_id)}/dagRuns?limit=1000&order_by={quote(order_by)}")
        return list(runs["dag_runs"])

    def backfill(
        self, dag_id: str, first: str, last: str, conf: Mapping[str, Any], *extra: str,
        max_active_runs: int = 3, until_closed: bool = True, timeout: float = 600.0,
    ) -> list[dict[str, Any]]:
        """``airflow backfill create`` over ``[first, last]`` (dates), then the DAG's backfill
        runs once all of them finished and, with ``until_closed``, the scheduler closed the
        backfill (only then may the next one start: one running backfill per DAG)."""
        self.airflow("backfill", "create", "--dag-id", dag_id, "--from-date", first, "--to-date", last,
                     "--max-active-runs", str(max_active_runs), "--dag-run-conf", json.dumps(dict(conf)), *extra)
        days = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
        runs: list[dict[str, Any]] = []

        def done() -> bool:
            nonlocal runs
            runs = [r for r in self.dag_runs(dag_id) if r["run_type"] == "backfill"]
            if len(runs) < days or any(r["state"] not in FINISHED for r in runs):
                return False
            if not until_closed:
                return True
            fills = self.api("GET", f"/api/v2/backfills?dag_id={quote(dag_id)}")["backfills"]
            return all(b["completed_at"] is not None for b in fills)

        self.wait_until(f"backfill of {dag_id}", done, timeout)
        return runs

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        body = self.api("GET", f"/api/v2/dags/{quote(dag_id)}/dagRuns/{quote(run_id, safe='')}/taskInstances?limit=1000")
        return list(body["task_instances"])

    def task_states(self, dag_id: str, run_id: str) -> dict[tuple[str, int], str]:
        return {(ti["task_id"], int(ti["map_index"])): str(ti["state"]) for ti in self.task_instances(dag_id, run_id)}


def _signal_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
