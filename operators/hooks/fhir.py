"""Airflow hook for a FHIR R4 server: turns an Airflow connection into the core FHIR client."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from airflow.sdk import BaseHook

from intakeflow.errors import E, IntakeflowError
from intakeflow.fhir_auth import (
    ALGORITHMS,
    DEFAULT_SCOPE,
    SMART_CONFIG_PATH,
    OAuthSettings,
    missing_scopes,
    read_private_key,
    scopes_of,
    shared_token_source,
)
from intakeflow.provider.hooks._extras import extra_bool, extra_float
from intakeflow.sources.fhir_client import FhirAuth, FhirClient

if TYPE_CHECKING:
    from airflow.sdk import Connection

AUTH_TYPES = ("none", "basic", "bearer", "client_credentials", "smart_backend")
#: other names accepted for an auth type
AUTH_ALIASES = {"smart": "smart_backend", "smart_backend_services": "smart_backend", "private_key_jwt": "smart_backend",
                "client_secret": "client_credentials"}
DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class FhirConnectionSettings:
    """Everything the core client needs; ``repr`` hides the credentials."""

    base_url: str
    auth: FhirAuth = field(default_factory=FhirAuth)
    verify: bool | str = True
    timeout_s: float = DEFAULT_TIMEOUT_S
    #: the OAuth client of ``client_credentials`` and ``smart_backend`` (its secrets hidden)
    oauth: OAuthSettings | None = None

    def __repr__(self) -> str:
        client = f", client_id={self.oauth.client_id!r}" if self.oauth else ""
        return (
            f"FhirConnectionSettings(base_url={self.base_url!r}, auth={self.auth.kind!r}{client}, "
            f"verify={self.verify!r}, timeout_s={self.timeout_s!r})"
        )

    def client_auth(self) -> FhirAuth:
        """The auth a client uses: for OAuth, tokens from the process-wide cache of this client."""
        if self.oauth is None:
            return self.auth
        tokens = shared_token_source(self.oauth, self.base_url, verify=self.verify, timeout=self.timeout_s)
        return FhirAuth(self.oauth.kind, tokens=tokens)


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


def settings_from_connection(
    conn: Connection, timeout_s: float | None = None, variable: Callable[[str], str | None] | None = None
) -> FhirConnectionSettings:
    """Read a ``fhir`` connection. ``variable`` resolves ``extra.private_key_variable`` (the
    hook passes Airflow's ``Variable.get``, which asks the configured secrets backends)."""
    extra: dict[str, Any] = conn.extra_dejson
    raw_type = str(extra.get("auth_type") or "none").lower()
    auth_type = AUTH_ALIASES.get(raw_type, raw_type)
    if auth_type not in AUTH_TYPES:
        raise IntakeflowError(E.E050_CONFIG, why=f"FHIR auth_type must be one of {AUTH_TYPES}")
    if auth_type == "basic" and not conn.login:
        raise IntakeflowError(E.E050_CONFIG, why="FHIR basic auth needs a login")
    if auth_type in {"basic", "bearer", "client_credentials"} and not conn.password:
        why = "a client secret in the password field" if auth_type == "client_credentials" else "a password/token"
        raise IntakeflowError(E.E050_CONFIG, why=f"FHIR {auth_type} auth needs {why}")
    ca_bundle = extra.get("ca_bundle")
    verify: bool | str = extra_bool(extra, "verify", True)
    if verify and ca_bundle:
        verify = str(ca_bundle)
    oauth: OAuthSettings | None = None
    if auth_type == "basic":
        auth = FhirAuth("basic", username=conn.login, password=conn.password)
    elif auth_type == "bearer":
        auth = FhirAuth("bearer", token=conn.password)
    elif auth_type in {"client_credentials", "smart_backend"}:
        oauth = oauth_from_connection(conn, extra, auth_type, variable)
        auth = FhirAuth(oauth.kind)
    else:
        auth = FhirAuth()
    return FhirConnectionSettings(
        base_url=base_url_from(conn.host, conn.port),
        auth=auth,
        verify=verify,
        timeout_s=timeout_s if timeout_s is not None else extra_float(extra, "timeout", DEFAULT_TIMEOUT_S),
        oauth=oauth,
    )


def oauth_from_connection(
    conn: Connection, extra: dict[str, Any], auth_type: str, variable: Callable[[str], str | None] | None
) -> OAuthSettings:
    """The OAuth client of a connection: ``extra.client_id`` (else the login), ``extra.scope``,
    ``extra.token_url`` (else discovered). SMART: the private key from ``extra.private_key``
    (PEM), ``extra.private_key_path`` (a file on the worker), ``extra.private_key_variable``
    (an Airflow Variable, so any secrets backend) or the password field, in that order;
    ``extra.jwt_alg`` (RS384 or ES384), ``extra.kid``, ``extra.jwks_url``.
    client_credentials: the secret in the password field."""
    client_id = str(extra.get("client_id") or conn.login or "").strip()
    scope = " ".join(scopes_of(str(extra.get("scope") or DEFAULT_SCOPE)))
    token_url = str(extra.get("token_url") or "").strip() or None
    if token_url is not None and not token_url.startswith(("https://", "http://")):
        raise IntakeflowError(E.E050_CONFIG, why="FHIR token_url must be an http(s) URL")
    if auth_type == "client_credentials":
        return OAuthSettings("client_credentials", client_id, scope=scope, token_url=token_url,
                             client_secret=conn.password)
    alg = str(extra.get("jwt_alg") or "RS384").upper()
    if alg not in ALGORITHMS:
        raise IntakeflowError(E.E050_CONFIG, why=f"FHIR jwt_alg must be one of {ALGORITHMS}")
    pem: str | None = None
    if extra.get("private_key"):
        pem = str(extra["private_key"])
    elif extra.get("private_key_path"):
        pem = read_private_key(str(extra["private_key_path"]))
    elif extra.get("private_key_variable"):
        if variable is None:
            raise IntakeflowError(E.E050_CONFIG, why="private_key_variable needs Airflow's Variable lookup")
        pem = variable(str(extra["private_key_variable"]))
        if not pem:
            raise IntakeflowError(E.E050_CONFIG, why="the private_key_variable named in the connection is not set")
    elif conn.password and "PRIVATE KEY" in conn.password:
        pem = conn.password
    if not pem:
        raise IntakeflowError(E.E050_CONFIG, why="SMART Backend Services auth needs a private key (extra.private_key, "
                                                 "private_key_path, private_key_variable or the password field)")
    return OAuthSettings("smart", client_id, scope=scope, token_url=token_url, private_key_pem=pem.replace("\\n", "\n"),
                         algorithm=alg, kid=str(extra.get("kid") or "").strip() or None,
                         jwks_url=str(extra.get("jwks_url") or "").strip() or None)


class FhirHook(BaseHook):
    """Interact with a FHIR R4 server (read Communications, Bulk Data export, write results back).

    The host field holds the service base URL (``https://`` is assumed without a scheme; a
    port field is added when the URL has none). Auth comes from the connection's
    ``extra.auth_type``:

    * ``none``; ``basic`` (login and password); ``bearer`` (the password field holds the token);
    * ``client_credentials``: OAuth 2.0 with a client secret (``extra.client_id`` or the
      login, the secret in the password field);
    * ``smart_backend``: SMART Backend Services, a JWT signed with the client's private key
      (``extra.jwt_alg`` RS384 or ES384, ``extra.kid``, ``extra.jwks_url``); the key comes
      from ``extra.private_key`` (PEM), ``extra.private_key_path`` (a file on the worker),
      ``extra.private_key_variable`` (an Airflow Variable, so any configured secrets backend)
      or the password field.

    Both OAuth types ask for ``extra.scope`` (default ``system/Communication.rs``) at the
    token endpoint of ``extra.token_url``, else the one in
    ``[base]/.well-known/smart-configuration``; tokens are cached per worker process until
    shortly before they expire, and a request answered 401 is retried once with a new token.
    Keys, secrets and tokens are never logged. TLS certificates are verified unless
    ``extra.verify`` is false; ``extra.ca_bundle`` names a CA file. ``extra.timeout`` is the
    per-request timeout in seconds (default 30). An incomplete or invalid connection raises
    E050 when the settings are first read.

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
        return settings_from_connection(self.get_connection(self.fhir_conn_id), self.timeout_s, _variable)

    def get_conn(self) -> FhirClient:
        """Return the core FHIR client bound to this connection (caller closes it)."""
        s = self.settings
        return FhirClient(s.base_url, s.client_auth(), verify=s.verify, timeout=s.timeout_s)

    def test_connection(self) -> tuple[bool, str]:
        """Read the CapabilityStatement and the SMART configuration; for an OAuth connection,
        get a token and report the scopes granted (and any requested scope not granted)."""
        try:
            s = self.settings
            with self.get_conn() as client:
                capability = client.capability()
                parts = [_describe(capability)]
                smart = _smart_configuration(client)
                if s.oauth is not None:
                    tokens = s.client_auth().tokens
                    assert tokens is not None
                    tokens.invalidate()  # a fresh token: the check is of the credentials as they are now
                    tokens.token()
                    parts.append(f"token endpoint {tokens.token_url()}")
                    granted = scopes_of(tokens.granted_scope)
                    if granted:
                        parts.append(f"granted scopes: {' '.join(granted)}")
                        missing = missing_scopes(scopes_of(s.oauth.scope), granted)
                        if missing:
                            parts.append(f"not granted: {' '.join(missing)}")
                    else:
                        parts.append("granted scopes: not stated by the server (it grants what the app registered)")
                elif smart is not None:
                    parts.append("SMART configuration found (this connection does not use it)")
        except Exception as exc:  # noqa: BLE001 - the UI wants (False, reason), not a traceback
            return False, _safe_reason(exc)
        return True, "; ".join(parts)


def _variable(name: str) -> str | None:
    """An Airflow Variable, through the secrets backends configured (None when unset)."""
    from airflow.sdk import Variable

    try:
        value = Variable.get(name, default=None)
    except Exception:  # noqa: BLE001 - a missing variable or backend: the caller reports E050
        return None
    return None if value is None else str(value)


def _smart_configuration(client: FhirClient) -> dict[str, Any] | None:
    """The server's SMART configuration, None when it publishes none."""
    try:
        response = client.request("GET", SMART_CONFIG_PATH, headers={"Accept": "application/json"}, ok_statuses=(404,))
    except IntakeflowError:
        return None
    if response.status_code != 200:
        return None
    try:
        config = response.json()
    except ValueError:
        return None
    return config if isinstance(config, dict) else None


def _safe_reason(exc: Exception) -> str:
    if isinstance(exc, IntakeflowError):
        return str(exc)
    return f"{type(exc).__name__} while reading the CapabilityStatement"


def _describe(capability: dict[str, Any]) -> str:
    version = capability.get("fhirVersion", "unknown")
    rests = [r for r in capability.get("rest", []) or [] if isinstance(r, dict)]
    types = {
        res.get("type")
        for rest in rests
        for res in rest.get("resource", []) or []
        if isinstance(res, dict)
    }
    supports = "supports" if "Communication" in types else "does not list"
    text = f"FHIR {version} server; {supports} Communication"
    operations = {
        str(op.get("name", "")).lstrip("$")
        for rest in rests
        for holder in [rest, *(r for r in rest.get("resource", []) or [] if isinstance(r, dict))]
        for op in holder.get("operation", []) or []
        if isinstance(op, dict)
    }
    if "export" in operations:
        text += "; offers Bulk Data $export"
    return text
