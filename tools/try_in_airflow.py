"""Follow docs/run-in-your-airflow.md on a fresh local Airflow, literally, and check each step.

    python -m tools.try_in_airflow [--pg-url postgresql://postgres@127.0.0.1:5432] [--keep]

The page's command blocks (each under a ``<!-- try_in_airflow: NAME -->`` line) are read from
the markdown and run with ``bash -euo pipefail`` from the checkout root, so the page cannot
drift from what this checks. Its four variables (``values`` block) get this run's values: a
fresh store database on the local PostgreSQL, the embedded FHIR server, a two-day synthetic
HL7 v2 archive in a temporary folder. Airflow is ``airflow standalone`` (LocalExecutor) with
a fresh ``AIRFLOW_HOME`` and metadata database (``tools.devstack``); the package is the
checkout's editable install, not the page's ``install`` block (tests/test_wheel.py covers the
wheel). Both databases and the temporary folder are removed at the end unless ``--keep``.
Prints each step with its wall time and a PASS/FAIL summary; exit status 0 only on PASS.
Counts and ids only: no message text is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql

from tools.devstack import ADMIN_USER, FINISHED, AirflowStack

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "run-in-your-airflow.md"
DAG_ID = "hl7_archive_intake"
#: the days of the page's backfill block; the archive is written for them
FIRST_DAY = datetime(2024, 3, 1, tzinfo=UTC)
DAYS = 2
#: the page's variables, given this run's values
VALUES = ("STORE_URI", "FHIR_URL", "FHIR_TOKEN", "ARCHIVE_ROOT")
#: the blocks run, in this order (``values`` and ``install`` are not run: see the module doc)
RUN_ORDER = ("settings", "check-install", "dags", "connections", "first-backfill", "status")
BLOCK = re.compile(r"^<!-- try_in_airflow: ([a-z-]+) -->\n```bash\n(.*?)^```", re.M | re.S)


def doc_blocks(text: str) -> dict[str, str]:
    """The page's marked command blocks by name; a name given twice is an error."""
    blocks: dict[str, str] = {}
    for name, body in BLOCK.findall(text):
        if name in blocks:
            raise ValueError(f"block {name!r} is marked twice in {DOC.name}")
        blocks[name] = body
    return blocks


def exported_names(block: str) -> list[str]:
    return re.findall(r"^export ([A-Z_][A-Z0-9_]*)=", block, re.M)


# -- reporting ------------------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    seconds: float
    ok: bool
    detail: str


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    airflow_cpu_s: float | None = None

    @contextmanager
    def step(self, name: str) -> Iterator[list[str]]:
        """Times a step; the caller appends what it found to the yielded list. An exception
        fails the step and is raised again (the run stops there)."""
        notes: list[str] = []
        t0 = time.monotonic()
        print(f"-- {name} ...", flush=True)
        try:
            yield notes
        except BaseException as exc:
            self._add(Step(name, time.monotonic() - t0, False, f"{type(exc).__name__}: {exc}"))
            raise
        self._add(Step(name, time.monotonic() - t0, True, "; ".join(notes)))

    def _add(self, step: Step) -> None:
        self.steps.append(step)
        mark = "ok  " if step.ok else "FAIL"
        print(f"   {mark} {step.seconds:6.1f} s  {step.detail}", flush=True)

    def summary(self) -> bool:
        ok = bool(self.steps) and all(s.ok for s in self.steps)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        print("\n== try_in_airflow summary ==")
        for s in self.steps:
            print(f"{'PASS' if s.ok else 'FAIL'}  {s.seconds:6.1f} s  {s.name}")
        airflow = "not measured" if self.airflow_cpu_s is None else f"{self.airflow_cpu_s:.1f} s"
        print(f"{'PASS' if ok else 'FAIL'}: {len(self.steps)} steps in {time.monotonic() - self.started:.1f} s wall; "
              f"CPU: Airflow's services and tasks {airflow}, the page's commands and the FHIR server "
              f"{usage.ru_utime + usage.ru_stime:.1f} s, this script {own.ru_utime + own.ru_stime:.1f} s")
        return ok


def session_cpu_s(sid: int) -> float:
    """CPU seconds of the live processes of session ``sid`` (the stack starts each service as
    a session leader), with what their waited-for children used: Airflow's task processes."""
    tick = float(os.sysconf("SC_CLK_TCK"))
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        # after the command: state, ppid, pgrp, session (index 3) ... utime, stime, cutime, cstime (11-14)
        if int(fields[3]) == sid:
            total += sum(int(f) for f in fields[11:15])
    return total / tick


class CheckFailed(AssertionError):
    pass


def check(condition: bool, what: str) -> None:
    if not condition:
        raise CheckFailed(what)


# -- the run --------------------------------------------------------------------------------------


@dataclass
class Trial:
    pg_url: str
    tmp: Path
    blocks: dict[str, str]
    report: Report
    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    values: dict[str, str] = field(default_factory=dict)
    settings: dict[str, str] = field(default_factory=dict)
    stack: AirflowStack | None = None
    fhir: Any = None
    texts: list[str] = field(default_factory=list)
    expected: dict[str, int] = field(default_factory=dict)

    @property
    def store_db(self) -> str:
        return f"intakeflow_try_store_{self.suffix}"

    @property
    def meta_db(self) -> str:
        return f"intakeflow_try_airflow_{self.suffix}"

    # -- running the page's blocks --

    def block_env(self) -> dict[str, str]:
        assert self.stack is not None
        return {**self.stack.environ(), **self.values, **self.settings}

    def run_block(self, name: str, timeout: float = 180.0, suffix: str = "") -> str:
        """Runs the page's block ``name`` as written (``suffix`` appended to its last line);
        its stdout, or CheckFailed with its output."""
        script = self.blocks[name].rstrip("\n") + suffix
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=REPO, env=self.block_env(),
                              capture_output=True, timeout=timeout, check=False)
        out = done.stdout.decode(errors="replace")
        if done.returncode != 0:
            tail = (out + done.stderr.decode(errors="replace"))[-2000:]
            raise CheckFailed(f"block {name!r} exited with {done.returncode}:\n{tail}")
        return out

    # -- steps --

    def prepare(self) -> None:
        from tools.demo_data import demo_texts, write_hl7_archive

        with self.report.step("store database, HL7 v2 archive, FHIR server") as notes:
            with psycopg.connect(f"{self.pg_url}/postgres", autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.store_db)))
            archive = self.tmp / "hl7-archive"
            demo = demo_texts(48, seed=16)
            self.texts = [t.text for t in demo]
            summary = write_hl7_archive(archive, demo, FIRST_DAY, days=DAYS, files_per_day=2, without_text_every=24)
            self.expected = {"messages": summary.messages - summary.without_text, "without_text": summary.without_text}
            from intakeflow.embedded.fhir_server import EmbeddedFhirServer

            self.fhir = EmbeddedFhirServer(self.tmp / "fhir").start()
            self.values = {
                "STORE_URI": f"{self.pg_url}/{self.store_db}",
                "FHIR_URL": self.fhir.base_url,
                "FHIR_TOKEN": "try-in-airflow-token",
                "ARCHIVE_ROOT": str(archive),
            }
            notes.append(f"database {self.store_db}; archive {summary.files} files, {summary.messages} messages "
                         f"({summary.without_text} without text) over {', '.join(summary.days)}; FHIR {self.fhir.base_url}")

    def start_airflow(self) -> None:
        home = self.tmp / "airflow-home"
        dags = home / "dags"
        dags.mkdir(parents=True)
        self.stack = AirflowStack(home=home, db_name=self.meta_db, dags_folder=dags, pg_url=self.pg_url)
        with self.report.step("settings block") as notes:
            marker = "__try_in_airflow_env__"
            script = f"{self.blocks['settings']}\necho {marker}\nenv -0"
            done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=REPO, env=self.block_env(),
                                  capture_output=True, timeout=30, check=True)
            env_part = done.stdout.split(f"{marker}\n".encode(), 1)[1]
            names = exported_names(self.blocks["settings"])
            exported = dict(item.split("=", 1) for item in env_part.decode().split("\0") if "=" in item)
            self.settings = {n: exported[n] for n in names}
            self.stack.env.update(self.settings)
            check(self.settings.get("AIRFLOW__INTAKEFLOW__ARCHIVE_ROOT") == self.values["ARCHIVE_ROOT"],
                  "the settings block does not set [intakeflow] archive_root to $ARCHIVE_ROOT")
            notes.append(", ".join(names))
        with self.report.step("airflow db migrate (fresh metadata database)") as notes:
            self.stack.setup()
            notes.append(f"database {self.meta_db}, AIRFLOW_HOME {home}")
        with self.report.step("airflow standalone: healthy") as notes:
            self.stack.start_standalone()
            notes.append(self.stack.base_url)

    def install_and_dags(self) -> None:
        assert self.stack is not None
        with self.report.step("check-install block") as notes:
            out = self.run_block("check-install")
            check("intakeflow" in out and "plugin intakeflow: loaded" in out, f"unexpected output: {out[-300:]!r}")
            notes.append("provider and plugin listed")
        with self.report.step("dags block, DAG parsed with the archive setting") as notes:
            self.run_block("dags")
            self.stack.wait_for_dag(DAG_ID, timeout=180)
            details = self.stack.api("GET", f"/api/v2/dags/{DAG_ID}/details")
            param = details["params"]["archive_root"]
            value = param.get("value") if isinstance(param, Mapping) else param
            check(value == self.values["ARCHIVE_ROOT"], f"archive_root default is {value!r}, not the setting")
            notes.append(f"{DAG_ID} parsed; archive_root default = $ARCHIVE_ROOT")

    def connections_and_backfill(self) -> list[dict[str, Any]]:
        assert self.stack is not None
        stack = self.stack
        with self.report.step("connections block") as notes:
            self.run_block("connections")
            conns = {c["connection_id"]: c for c in stack.api("GET", "/api/v2/connections?limit=100")["connections"]}
            check(conns.get("intakeflow_postgres", {}).get("conn_type") == "postgres", "intakeflow_postgres missing")
            check(conns.get("intakeflow_fhir", {}).get("conn_type") == "fhir", "intakeflow_fhir missing")
            notes.append("intakeflow_postgres (postgres), intakeflow_fhir (fhir)")
        with self.report.step("first-backfill block, runs finished") as notes:
            self.run_block("first-backfill")
            runs: list[dict[str, Any]] = []

            def done() -> bool:
                nonlocal runs
                runs = [r for r in stack.dag_runs(DAG_ID) if r["run_type"] == "backfill"]
                return len(runs) >= DAYS and all(r["state"] in FINISHED for r in runs)

            stack.wait_until("the backfill's runs", done, timeout=420, interval=3)
            states = {r["logical_date"][:10]: r["state"] for r in runs}
            check(set(states.values()) == {"success"}, f"run states {states}")
            failed = [(r["dag_run_id"], t) for r in runs for t, s in stack.task_states(DAG_ID, r["dag_run_id"]).items()
                      if s not in ("success", "skipped")]
            check(not failed, f"tasks not successful: {failed}")
            notes.append(", ".join(f"{d} {s}" for d, s in sorted(states.items())))
        return runs

    def status(self) -> dict[str, int]:
        with self.report.step("status block (intakeflow status)") as notes:
            table = self.run_block("status")
            check("delivered" in table, "intakeflow status printed no table")
            # the page's section 7 gives the same command with --json for the console's counts
            counts: dict[str, int] = json.loads(self.run_block("status", suffix=" --json"))
            n, q = self.expected["messages"], self.expected["without_text"]
            check(counts.get("delivered") == n, f"delivered {counts.get('delivered')}, expected {n}")
            check(counts.get("quarantined") == q, f"quarantined {counts.get('quarantined')}, expected {q}")
            notes.append(f"delivered {counts['delivered']}, quarantined {counts['quarantined']}, "
                         f"staged {counts.get('staged')}, failed {counts.get('failed')}")
            return counts

    def console(self, runs: list[dict[str, Any]], counts: Mapping[str, int]) -> None:
        assert self.stack is not None
        base = self.stack.base_url
        bodies: list[str] = []
        with httpx.Client(base_url=base, timeout=60) as client:
            with self.report.step("console logged out: 401") as notes:
                for path in ("/intakeflow/api/console/dashboard", "/intakeflow/", "/intakeflow/run"):
                    code = client.get(path).status_code
                    check(code == 401, f"{path} answered {code} logged out")
                notes.append("dashboard JSON, page and run tab refused")
            with self.report.step("log in through Airflow's auth (/auth/token)") as notes:
                token = client.post("/auth/token", json={"username": ADMIN_USER, "password": self.stack.password})
                check(token.status_code in (200, 201), f"/auth/token answered {token.status_code}")
                jwt = str(token.json()["access_token"])
                auth = {"Authorization": f"Bearer {jwt}"}
                notes.append(f"token for {ADMIN_USER}")
            with self.report.step("console in the UI: Browse entry, page, bundle") as notes:
                plugins = client.get("/api/v2/plugins", headers=auth).raise_for_status().json()["plugins"]
                apps = [a for p in plugins for a in p.get("react_apps", []) if a.get("name") == "intakeflow"]
                check(bool(apps) and apps[0].get("category") == "browse", f"no Browse entry: {apps}")
                views = [v for p in plugins for v in p.get("external_views", []) if v.get("destination") == "dag_run"]
                check(any(v.get("name") == "intakeflow" for v in views), "no intakeflow DAG-run tab")
                page = client.get("/plugin/intakeflow", cookies={"_token": jwt})
                check(page.status_code == 200 and "<html" in page.text.lower(), f"/plugin/intakeflow {page.status_code}")
                bundle = client.get("/intakeflow/console.js", cookies={"_token": jwt})
                check(bundle.status_code == 200 and "AirflowPlugin" in bundle.text, f"bundle {bundle.status_code}")
                notes.append(f"Browse -> intakeflow ({apps[0]['bundle_url']}), DAG-run tab, /plugin/intakeflow 200, "
                             f"bundle {len(bundle.content):,} bytes")
            with self.report.step("console dashboard JSON equals intakeflow status") as notes:
                # the browser's way: the _token cookie Airflow's UI sets at login
                # the default period (24 h): the messages were received (staged) minutes ago
                resp = client.get("/intakeflow/api/console/dashboard",
                                  cookies={"_token": jwt})
                check(resp.status_code == 200, f"dashboard answered {resp.status_code}")
                board = resp.json()
                bodies.append(resp.text)
                check(board["store"]["condition"] == "ready", f"store condition {board['store']['condition']}")
                totals = board["totals"]
                for key in ("delivered", "quarantined", "processed", "failed"):
                    check(int(totals[key]) == int(counts.get(key, 0)), f"{key}: console {totals[key]}, status {counts.get(key)}")
                check(int(totals["queued"]) == int(counts.get("staged", 0)), "queued differs from status's staged")
                # the runs table lists the runs that saved results in the period: in a backfill one
                # run's process task may take every day's staged messages, so not every run is there
                listed = {r["run_id"]: int(r["processed"]) for r in board["runs"]}
                check(bool(listed) and set(listed) <= {r["dag_run_id"] for r in runs}, f"runs listed: {sorted(listed)}")
                saved = int(counts.get("delivered", 0)) + int(counts.get("processed", 0))
                check(sum(listed.values()) == saved, f"the runs listed processed {sum(listed.values())}, the store {saved}")
                notes.append(f"received {totals['received']}, delivered {totals['delivered']}, "
                             f"quarantined {totals['quarantined']}; {len(board['runs'])} runs listed")
            with self.report.step("run tab of each backfill run") as notes:
                delivered_by_runs = 0
                per_run: list[str] = []
                for r in runs:
                    q = {"dag_id": DAG_ID, "run_id": r["dag_run_id"]}
                    tab = client.get("/intakeflow/run", params=q, headers=auth)
                    check(tab.status_code == 200 and 'data-note="written-back"' in tab.text,
                          f"run tab {r['dag_run_id']}: {tab.status_code}")
                    bodies.append(tab.text)
                    detail = client.get("/intakeflow/api/run", params=q, headers=auth).raise_for_status()
                    bodies.append(detail.text)
                    stats = detail.json().get("stats") or {}
                    wb = ((stats.get("counts") or {}).get("write_back") or {}).get("delivered", 0)
                    delivered_by_runs += int(wb)
                    processed = sum(int(m.get("processed") or 0) for m in detail.json().get("messages") or [])
                    per_run.append(f"{r['dag_run_id']}: processed {processed}, its write-back task wrote back {wb}")
                check(delivered_by_runs == counts.get("delivered"),
                      f"the runs' write-back tasks report {delivered_by_runs} written back, the store {counts.get('delivered')}")
                notes.append(f"{len(runs)} tabs ({'; '.join(per_run)}); write-back tasks: {delivered_by_runs} in all")
            with self.report.step("no message text in the console's answers") as notes:
                leaks = sum(1 for t in self.texts if t and any(t[:60] in b for b in bodies))
                check(leaks == 0, f"{leaks} message texts found in the console's answers")
                notes.append(f"{len(self.texts)} texts, {len(bodies)} answers searched")

    def cleanup(self, keep: bool) -> None:
        with self.report.step("stop Airflow and the FHIR server" + ("" if keep else ", drop the databases")) as notes:
            if self.stack is not None:
                cpu = sum(session_cpu_s(p.pid) for p in self.stack.processes.values())
                self.report.airflow_cpu_s = cpu
                notes.append(f"Airflow's processes used {cpu:.1f} s of CPU")
                self.stack.stop()
                if not keep:
                    self.stack.drop_database()
            if self.fhir is not None:
                self.fhir.stop()
            if not keep:
                with psycopg.connect(f"{self.pg_url}/postgres", autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.store_db)))
                shutil.rmtree(self.tmp, ignore_errors=True)
                notes.append(f"dropped {self.meta_db}, {self.store_db}; removed {self.tmp}")
            else:
                notes.append(f"kept {self.meta_db}, {self.store_db} and {self.tmp}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432",
                    help="PostgreSQL server (a role that may create databases); default the local one")
    ap.add_argument("--keep", action="store_true", help="keep the databases and the temporary folder")
    args = ap.parse_args(argv)

    report = Report()
    blocks = doc_blocks(DOC.read_text())
    missing = [n for n in ("values", *RUN_ORDER) if n not in blocks]
    if missing or sorted(exported_names(blocks["values"])) != sorted(VALUES):
        print(f"FAIL: {DOC} lacks blocks {missing} or its values block does not set exactly {VALUES}", file=sys.stderr)
        return 1
    trial = Trial(pg_url=args.pg_url.rstrip("/"), tmp=Path(tempfile.mkdtemp(prefix="intakeflow-try-")),
                  blocks=blocks, report=report)
    print(f"following {DOC.relative_to(REPO)}: blocks {', '.join(RUN_ORDER)}")
    try:
        trial.prepare()
        trial.start_airflow()
        trial.install_and_dags()
        runs = trial.connections_and_backfill()
        counts = trial.status()
        trial.console(runs, counts)
    except (CheckFailed, RuntimeError, TimeoutError, OSError, subprocess.SubprocessError, httpx.HTTPError,
            psycopg.Error, KeyError, ValueError) as exc:
        print(f"stopped: {type(exc).__name__}", file=sys.stderr)
    finally:
        try:
            trial.cleanup(args.keep)
        except (OSError, psycopg.Error, RuntimeError) as exc:
            print(f"cleanup: {type(exc).__name__}: {exc}", file=sys.stderr)
    if trial.stack is not None and not all(s.ok for s in report.steps):
        print(f"Airflow's logs: {trial.stack.home / 'logs'} (kept only with --keep)")
    return 0 if report.summary() else 1


if __name__ == "__main__":
    sys.exit(main())
