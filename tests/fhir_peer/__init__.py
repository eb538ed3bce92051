"""A conformant local peer for the SMART Backend Services and Bulk Data tests: a token
endpoint and a Bulk Data ``$export`` server written from the two implementation guides
(``app``), run in-process on a thread (``PeerServer``), with generated Communications and
keys (``data``). Used by tests/fhir_bulk and tools/bench_bulk.py."""

from tests.fhir_peer.app import Peer, PeerClient, PeerConfig, create_app
from tests.fhir_peer.data import CLIENT_ID, KID, communication, communications, ec_key_pem, rsa_key_pem
from tests.fhir_peer.server import PeerServer

__all__ = [
    "CLIENT_ID",
    "KID",
    "Peer",
    "PeerClient",
    "PeerConfig",
    "PeerServer",
    "communication",
    "communications",
    "create_app",
    "ec_key_pem",
    "rsa_key_pem",
]
