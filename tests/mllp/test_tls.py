from __future__ import annotations

import ipaddress
import socket
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from mllp_peer import FACILITY, ListenerThread, message, rows_by_source_id, split_acks

from intakeflow.mllp import tls_context
from intakeflow.mllp.framing import frame
from intakeflow.store import Store


@pytest.fixture(scope="module")
def cert_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


def test_tls_listener_acks_over_tls_and_refuses_plain_mllp(
    store: Store, cert_pair: tuple[Path, Path], pg_dsn: str, store_schema: str
) -> None:
    cert, key = cert_pair
    client_ctx = ssl.create_default_context(cafile=str(cert))
    with ListenerThread(store, ssl=tls_context(cert, key)) as running:
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as raw, \
                client_ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            tls.sendall(frame(message("TLS-1").encode()))
            data = b""
            while not data.endswith(b"\x1c\r"):
                chunk = tls.recv(4096)
                assert chunk, "closed before the ACK"
                data += chunk
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as plain:
            plain.sendall(frame(message("PLAIN-1").encode()))
            assert b"\x1c" not in _read_to_end(plain)  # the handshake fails: no ACK, nothing stored
    assert [(a.code, a.ack_of) for a in split_acks(data)] == [("AA", "TLS-1")]
    assert rows_by_source_id(pg_dsn, store_schema) == {f"{FACILITY}|TLS-1": 1}


def _read_to_end(sock: socket.socket) -> bytes:
    got = b""
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except ConnectionResetError:
        pass
    return got
