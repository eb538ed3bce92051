"""``python -m tools.bench_bulk``: FHIR Bulk Data export -> staged throughput.

Starts the local Bulk Data peer (tests/fhir_peer, in a process of its own, SMART Backend
Services on every call) with ``--resources`` generated Communications split into NDJSON
files of ``--file-size`` lines, runs the export the operator and ``intakeflow stage
fhir-bulk`` run (``BulkExporter``: kick-off, Retry-After polling, streamed files staged
through the stage-fhir path with a checkpoint per batch) into a fresh schema, and prints:

* kick-off -> manifest (the peer makes you wait one poll of Retry-After: 1 s);
* download + staging: seconds, resources/s and MB/s, and the client's CPU seconds;
* export -> staged end to end (kick-off to the last file staged), resources/s;
* the same NDJSON mapped to InboundMessage without the store (parse + validate + map), so
  the store's share of the time can be read off.

PostgreSQL: ``--dsn``, else ``INTAKEFLOW_POSTGRES_DSN``, else the local server; the schema
is dropped at the end unless ``--keep-schema``. Prints figures only; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

LOCAL_DSN = "postgresql://postgres@127.0.0.1:5432/test"
CLIENT_ID = "bench-client"
KID = "bench-key"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tools.bench_bulk", description=__doc__.split("\n\n")[0])
    p.add_argument("--resources", type=int, default=10_000, help="Communications in the export (default: 10,000)")
    p.add_argument("--file-size", type=int, default=2_500, help="lines per NDJSON file (default: 2,500)")
    p.add_argument("--batch-lines", type=int, default=1_000, help="lines per staged batch (default: 1,000)")
    p.add_argument("--dsn", default=os.environ.get("INTAKEFLOW_POSTGRES_DSN") or LOCAL_DSN)
    p.add_argument("--keep-schema", action="store_true")
    p.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    return p.parse_args(argv)


def run(args: argparse.Namespace) -> dict[str, Any]:
    import psycopg
    from psycopg import sql

    from intakeflow.bulk_export import BulkExporter
    from intakeflow.fhir_auth import OAuthSettings, TokenSource, public_jwks
    from intakeflow.sources.fhir_bulk import FileProgress, open_file, poll
    from intakeflow.sources.fhir_client import FhirAuth, FhirClient
    from intakeflow.sources.fhir_files import ndjson_items
    from intakeflow.store import Store
    from tests.fhir_peer.data import rsa_key_pem

    pem = rsa_key_pem()
    schema = f"bench_bulk_{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp:
        jwks = Path(tmp) / "jwks.json"
        jwks.write_text(json.dumps(public_jwks(pem, "RS384", kid=KID)))
        peer = subprocess.Popen(
            [sys.executable, "-m", "tests.fhir_peer", "--resources", str(args.resources), "--file-size",
             str(args.file_size), "--client-id", CLIENT_ID, "--jwks", str(jwks)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert peer.stdout is not None
            base_url = peer.stdout.readline().strip()
            if not base_url.startswith("http"):
                raise SystemExit("the peer did not start")
            store = Store(args.dsn, schema=schema, pipeline_version="bench-bulk")
            store.migrate()
            tokens = TokenSource(OAuthSettings("smart", CLIENT_ID, private_key_pem=pem, kid=KID), base_url)
            with FhirClient(base_url, FhirAuth("smart", tokens=tokens)) as client:
                exporter = BulkExporter(client, store, source="fhir:bench", lines_per_batch=args.batch_lines,
                                        delete_job=False)
                t0 = time.perf_counter()
                job = exporter.begin()
                manifest = exporter.wait(job)
                t1, c1 = time.perf_counter(), time.process_time()
                counts = exporter.download(job, manifest)
                t2, c2 = time.perf_counter(), time.process_time()
                size = sum(_length(client, f.url) for f in manifest.output)
                # the same files mapped without the store: parse, validate, map
                t3, c3 = time.perf_counter(), time.process_time()
                mapped: Counter[str] = Counter()
                for out in manifest.output:
                    with open_file(client, out.url, FileProgress(), requires_token=True) as stream:
                        lines = [line for line, _, _ in stream.lines()]
                    mapped.update(type(i).__name__ for i in ndjson_items(lines, "bench", source="fhir:bench"))
                t4, c4 = time.perf_counter(), time.process_time()
                poll(client, job.status_url)
        finally:
            if peer.stdin:
                peer.stdin.close()
            peer.wait(timeout=30)
            if not args.keep_schema:
                with psycopg.connect(args.dsn, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    n = counts.staged + counts.duplicates
    return {
        "resources": args.resources, "staged": counts.staged, "files": counts.files, "mb": round(size / 1e6, 2),
        "batch_lines": args.batch_lines,
        "kickoff_to_manifest_s": round(t1 - t0, 2),
        "download_stage_s": round(t2 - t1, 2),
        "download_stage_per_s": round(n / (t2 - t1)),
        "download_stage_mb_per_s": round(size / 1e6 / (t2 - t1), 2),
        "client_cpu_s": round(c2 - c1, 2),
        "export_to_staged_s": round(t2 - t0, 2),
        "export_to_staged_per_s": round(n / (t2 - t0)),
        "map_only_s": round(t4 - t3, 2),
        "map_only_per_s": round(sum(mapped.values()) / (t4 - t3)),
        "map_only_cpu_s": round(c4 - c3, 2),
    }


def _length(client: Any, url: str) -> int:
    with client.stream(url) as response:
        return int(response.headers.get("Content-Length") or 0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run(args)
    if args.json:
        print(json.dumps(figures))
        return 0
    f = figures
    print(f"export of {f['resources']:,} Communications in {f['files']} NDJSON files ({f['mb']} MB), "
          f"batches of {f['batch_lines']:,} lines; staged {f['staged']:,}")
    print(f"  kick-off -> manifest      {f['kickoff_to_manifest_s']:>7.2f} s   (the peer asks for one Retry-After: 1 s)")
    print(f"  download + stage          {f['download_stage_s']:>7.2f} s   {f['download_stage_per_s']:>7,} resources/s  "
          f"{f['download_stage_mb_per_s']:>6.2f} MB/s  client CPU {f['client_cpu_s']:.2f} s")
    print(f"  export -> staged          {f['export_to_staged_s']:>7.2f} s   {f['export_to_staged_per_s']:>7,} resources/s")
    print(f"  map only (no store)       {f['map_only_s']:>7.2f} s   {f['map_only_per_s']:>7,} resources/s  "
          f"client CPU {f['map_only_cpu_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
