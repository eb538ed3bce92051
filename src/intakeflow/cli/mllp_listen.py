"""``intakeflow mllp-listen``: run the MLLP listener until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from intakeflow.mllp.server import MllpServer
    from intakeflow.store import Store

_SOURCE_NAME = re.compile(r"^mllp(:[a-z0-9_-]+)?$")


def add_mllp_listen_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sp = sub.add_parser("mllp-listen", help="receive a live HL7 v2 feed over MLLP into the staging store")
    sp.add_argument("--host", default="127.0.0.1", help="address to bind (0.0.0.0: all interfaces)")
    sp.add_argument("--port", type=int, default=2575, help="TCP port (0: any free port, printed at start)")
    sp.add_argument("--dsn", default=os.environ.get("INTAKEFLOW_POSTGRES_DSN"),
                    help="PostgreSQL DSN of the store (default: $INTAKEFLOW_POSTGRES_DSN)")
    sp.add_argument("--schema", default="intakeflow", help="schema of the store")
    sp.add_argument("--source", default="mllp", help="staging source name: mllp or mllp:<name>")
    sp.add_argument("--model", default=None, help="model artifact whose version keys the staged rows")
    sp.add_argument("--pipeline-version", default=None, help="stage under this version instead of the model's")
    sp.add_argument("--tls-cert", default=None, help="PEM certificate chain: serve TLS")
    sp.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    sp.add_argument("--max-bytes", type=int, default=1024 * 1024, help="largest accepted message")
    sp.add_argument("--idle-timeout", type=float, default=300.0, help="seconds before an idle connection is closed")
    sp.add_argument("--grace", type=float, default=30.0, help="seconds in-flight messages get at shutdown")
    sp.add_argument("--parse-workers", type=int, default=2, help="processes parsing HL7 (0: a thread of the listener)")
    sp.add_argument("--max-batch", type=int, default=200, help="most messages committed in one transaction")
    sp.add_argument("--max-wait-ms", type=float, default=5.0,
                    help="longest a commit group waits for more messages (0: commit what is there)")
    sp.add_argument("--filters", default=None, metavar="FILE",
                    help="JSON filter rules for messages without text (default: $INTAKEFLOW_FILTERS, else built-in)")
    sp.add_argument("--heartbeat-s", type=float, default=15.0,
                    help="seconds between the listener's heartbeats in the store, which the watchdog's "
                         "listener_down check reads (0: none)")
    sp.add_argument("--log-level", default="INFO")
    sp.set_defaults(func=cmd_mllp_listen)


def cmd_mllp_listen(args: argparse.Namespace) -> int:
    from intakeflow.errors import IntakeflowError
    from intakeflow.mllp.intake import Intake
    from intakeflow.mllp.server import ListenerConfig, MllpServer, tls_context
    from intakeflow.sources.filters import load_filters
    from intakeflow.store import Store

    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    problem = _check(args)
    if problem:
        print(f"mllp-listen: {problem}", file=sys.stderr)
        return 2
    try:
        version = args.pipeline_version or _model_version(args.model)
        store = Store(args.dsn, args.schema, version)
        store.migrate()
        ssl_ctx = tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
        filters = load_filters(args.filters)
    except (IntakeflowError, OSError) as exc:
        print(f"mllp-listen: {exc}", file=sys.stderr)
        return 2
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    intake = Intake(store, source=args.source, run_id=f"mllp-listen:{args.port}:{started}",
                    parse_workers=args.parse_workers, filters=filters, max_batch=args.max_batch,
                    max_wait=args.max_wait_ms / 1000)
    config = ListenerConfig(host=args.host, port=args.port, max_bytes=args.max_bytes,
                            idle_timeout=args.idle_timeout or None, grace=args.grace, ssl=ssl_ctx)
    asyncio.run(_serve(MllpServer(intake, config), version, store, args.heartbeat_s))
    return 0


async def _serve(server: MllpServer, version: str, store: Store | None = None, heartbeat_s: float = 0) -> None:
    await server.start()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.request_stop)
    cfg = server.config
    print(f"mllp-listen: listening on {cfg.host}:{server.port} (source {server.intake.source}, "
          f"pipeline version {version})", file=sys.stderr, flush=True)
    if store is None or heartbeat_s <= 0:
        await server.serve()
        return
    from intakeflow.mllp.heartbeat import Heartbeat, instance_name

    heartbeat = Heartbeat(store.dsn, store.schema, server.intake.source, instance_name(server.port),
                          interval_s=heartbeat_s, counts=lambda: {**server.counts, **server.intake.counts})
    beating = asyncio.create_task(heartbeat.run())
    try:
        await server.serve()
    finally:
        heartbeat.stop()
        await beating


def _check(args: argparse.Namespace) -> str | None:
    if not args.dsn:
        return "--dsn (or $INTAKEFLOW_POSTGRES_DSN) is required"
    if not _SOURCE_NAME.match(args.source):
        return "--source must be 'mllp' or 'mllp:<name>' (lower case, digits, - and _)"
    if bool(args.tls_cert) != bool(args.tls_key):
        return "--tls-cert and --tls-key go together"
    if args.max_bytes < 1:
        return "--max-bytes must be positive"
    if args.max_batch < 1:
        return "--max-batch must be positive"
    if not 0 <= args.max_wait_ms <= 1000:
        return "--max-wait-ms must be between 0 and 1000"
    return None


def _model_version(model: str | None) -> str:
    from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT, artifact_version

    return artifact_version(model or DEFAULT_ARTIFACT)
