"""Airflow hook for a FHIR R4 server: turns an Airflow connection into the core FHIR client."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from airflow.sdk import BaseHook

from intakeflow.errors import E, IntakeflowError
from intakeflow.provider.hooks._extras import extra_bool, extra_float
from intakeflow.sources.fhir_client import FhirAuth, FhirClient

if TYPE_CHECKING:
    from airflow.sdk import Connection

AUTH_TYPES = ("none", "basic", "bearer")
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class FhirConnectionSettings:
    """Everything the core client needs; ``repr`` hides the credentials."""

    base_url: str
    auth: FhirAuth = field(default_factory=FhirAuth)
    verify: bool | str = True
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __repr__(self) -> str:
        return (
            f"FhirConnectionSettings(base_url={self.base_url!r}, auth={self.auth.kind!r}, "
            f"verify={self.verify!r}, timeout_s={self.timeout_s!r})"
        )


def base_url_from(host: str | None, port: int | None) -> str:
    """Build the service base URL; the host field holds a URL, https is assumed without one."""
    if not host or not host.strip():
        raise IntakeflowError(E.E050_CONFIG, why="FHIR connection has no host (base URL)")
    raw = host.strip()
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise IntakeflowError(E.E050_CONFIG, why="FHIR connection host is not an http(s) URL")
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def settings_from_connection(conn: Connection, timeout_s: float | None = None) -> FhirConnectionSettings:
    extra: dict[str, Any] = conn.extra_dejson
    auth_type = str(extra.get("auth_type") or "none").lower()
    if auth_type not in AUTH_TYPES:
        raise IntakeflowError(E.E050_CONFIG, why=f"FHIR auth_type must be one of {AUTH_TYPES}")
    if auth_type == "basic" and not conn.login:
        raise IntakeflowError(E.E050_CONFIG, why="FHIR basic auth needs a login")
    if auth_type in {"basic", "bearer"} and not conn.password:
        raise IntakeflowError(E.E050_CONFIG, why=f"FHIR {auth_type} auth needs a password/token")
    ca_bundle = extra.get("ca_bundle")
    verify: bool | str = extra_bool(extra, "verify", True)
    if verify and ca_bundle:
        verify = str(ca_bundle)
    if auth_type == "basic":
        auth = FhirAuth("basic", username=conn.login, password=conn.password)
    elif auth_type == "bearer":
        auth = FhirAuth("bearer", token=conn.password)
    else:
        auth = FhirAuth()
    return FhirConnectionSettings(
        base_url=base_url_from(conn.host, conn.port),
        auth=auth,
        verify=verify,
        timeout_s=timeout_s if timeout_s is not None else extra_float(extra, "timeout", DEFAULT_TIMEOUT_S),
    )


class FhirHook(BaseHook):
    """Interact with a FHIR R4 server (read Communications, write results back).

    The host field holds the service base URL (``https://`` is assumed without a scheme; a
    port field is added when the URL has none). Auth comes from the connection:
    ``extra.auth_type`` is ``none``, ``basic`` (login and password) or ``bearer`` (the
    password field holds the token). TLS certificates are verified unless ``extra.verify`` is
    false; ``extra.ca_bundle`` names a CA file. ``extra.timeout`` is the per-request timeout
    in seconds (default 30). An incomplete or invalid connection raises E050 when the
    settings are first read.

    :param fhir_conn_id: Airflow connection (type ``fhir``) of the FHIR server.
        Default ``fhir_default``.
    :param timeout_s: Per-request timeout in seconds; overrides the connection's
        ``extra.timeout`` when given. Default ``None`` (use the connection's value, else 30).
    """

    conn_name_attr = "fhir_conn_id"
    default_conn_name = "fhir_default"
    conn_type = "fhir"
    hook_name = "FHIR R4"

    def __init__(self, fhir_conn_id: str = default_conn_name, timeout_s: float | None = None) -> None:
        super().__init__()
        self.fhir_conn_id = fhir_conn_id
        self.timeout_s = timeout_s

    @cached_property
    def settings(self) -> FhirConnectionSettings:
        return settings_from_connection(self.get_connection(self.fhir_conn_id), self.timeout_s)

    def get_conn(self) -> FhirClient:
        """Return the core FHIR client bound to this connection (caller closes it)."""
        s = self.settings
        return FhirClient(s.base_url, s.auth, verify=s.verify, timeout=s.timeout_s)

    def test_connection(self) -> tuple[bool, str]:
        """Read the server's CapabilityStatement; report version and Communication support."""
        try:
            with self.get_conn() as client:
                capability = client.capability()
        except Exception as exc:  # noqa: BLE001 - the UI wants (False, reason), not a traceback
            return False, _safe_reason(exc)
        return True, _describe(capability)


def _safe_reason(exc: Exception) -> str:
    if isinstance(exc, IntakeflowError):
        return str(exc)
    return f"{type(exc).__name__} while reading the CapabilityStatement"


def _describe(capability: dict[str, Any]) -> str:
    version = capability.get("fhirVersion", "unknown")
    types = {
        res.get("type")
        for rest in capability.get("rest", []) or []
        for res in rest.get("resource", []) or []
        if isinstance(res, dict)
    }
    supports = "supports" if "Communication" in types else "does not list"
    return f"FHIR {version} server; {supports} Communication"
