"""``python -m tests.fhir_peer``: the peer in a process of its own (tools/bench_bulk.py).

Registers one client with the JWKS in ``--jwks``, loads ``--resources`` generated
Communications, prints the FHIR base URL on one line and serves until stdin closes."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tests.fhir_peer.app import PeerClient, PeerConfig
from tests.fhir_peer.data import communications
from tests.fhir_peer.server import PeerServer


def main() -> int:
    p = argparse.ArgumentParser(prog="python -m tests.fhir_peer")
    p.add_argument("--resources", type=int, default=10_000)
    p.add_argument("--file-size", type=int, default=2_500)
    p.add_argument("--error-lines", type=int, default=0)
    p.add_argument("--client-id", required=True)
    p.add_argument("--jwks", type=Path, required=True, help="JSON file of the client's public JWKS")
    args = p.parse_args()
    config = PeerConfig(file_size=args.file_size, error_lines=args.error_lines, polls_before_ready=1, retry_after=1)
    with PeerServer(config) as server:
        server.peer.register(PeerClient(args.client_id, jwks=json.loads(args.jwks.read_text())))
        server.peer.add(communications(args.resources))
        print(server.base_url, flush=True)
        sys.stdin.read()  # until the parent closes our stdin (or exits)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
