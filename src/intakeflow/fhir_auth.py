"""OAuth 2.0 for FHIR servers: SMART Backend Services and client_credentials, Airflow-free.

SMART Backend Services (https://hl7.org/fhir/smart-app-launch/backend-services.html) is a
``client_credentials`` grant whose client authenticates with a signed JWT (RFC 7523,
``private_key_jwt``): ``iss`` and ``sub`` are the client id, ``aud`` the token endpoint,
``exp`` at most five minutes ahead and ``jti`` unique; the header names the key (``kid``)
and may point at the client's JWKS (``jku``). The token endpoint comes from
``[base]/.well-known/smart-configuration`` unless it is given. Signing is PyJWT's (RS384 and
ES384, as the guide requires servers to support), never hand-made.

:class:`TokenSource` caches the access token until shortly before it expires and fetches a
new one then; :class:`TokenAuth` is the ``httpx.Auth`` that sends it and, on a 401, drops the
cached token and retries the request once with a new one.

Secrets (the private key, the client secret, assertions and access tokens) never appear in a
``repr``, a log line or an exception message: errors carry the catalogue code, the OAuth
``error`` code, the HTTP status and the server's short description only.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from intakeflow.errors import AuthError, E, SourceError

log = logging.getLogger(__name__)

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SMART_CONFIG_PATH = ".well-known/smart-configuration"
#: the JWS algorithms SMART Backend Services asks servers to support
ALGORITHMS: tuple[str, ...] = ("RS384", "ES384")
#: the default scope: read and search Communications (SMART v2 syntax)
DEFAULT_SCOPE = "system/Communication.rs"
#: the assertion's lifetime; the guide allows at most five minutes
ASSERTION_LIFETIME_S = 300
#: a token is refreshed this long before it expires (or at 80% of a shorter lifetime)
REFRESH_MARGIN_S = 60.0
#: a token endpoint that gives no ``expires_in``: assume this
DEFAULT_EXPIRES_IN_S = 300

AuthKind = Literal["none", "basic", "bearer", "client_credentials", "smart"]


@dataclass(frozen=True)
class OAuthSettings:
    """What a token request needs. ``private_key_pem`` (SMART) or ``client_secret``
    (client_credentials) are secrets: the dataclass ``repr`` hides them."""

    kind: Literal["client_credentials", "smart"]
    client_id: str
    scope: str = DEFAULT_SCOPE
    token_url: str | None = None
    private_key_pem: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    algorithm: str = "RS384"
    kid: str | None = None
    jwks_url: str | None = None

    def __post_init__(self) -> None:
        if not self.client_id:
            raise SourceError(E.E050_CONFIG, why=f"{self.kind} auth needs a client id")
        if self.kind == "smart":
            if self.algorithm not in ALGORITHMS:
                raise SourceError(E.E050_CONFIG, why=f"SMART signing algorithm must be one of {ALGORITHMS}")
            if not self.private_key_pem:
                raise SourceError(E.E050_CONFIG, why="SMART Backend Services auth needs a private key")
        elif not self.client_secret:
            raise SourceError(E.E050_CONFIG, why="client_credentials auth needs a client secret")


def read_private_key(path: str | Path) -> str:
    """The PEM text of a key file (E050 when it cannot be read; the path is not echoed)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(E.E050_CONFIG, why=f"private key file could not be read ({type(exc).__name__})") from None


def load_signing_key(pem: str, algorithm: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """Parse the PEM private key and check that it fits ``algorithm`` (RSA for RS384, P-384
    for ES384). Errors say what is wrong, never what the key holds."""
    try:
        key = serialization.load_pem_private_key(pem.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise SourceError(E.E050_CONFIG, why="private key is not an unencrypted PEM private key") from None
    if algorithm.startswith("RS"):
        if not isinstance(key, rsa.RSAPrivateKey):
            raise SourceError(E.E050_CONFIG, why=f"{algorithm} needs an RSA private key")
        if key.key_size < 2048:
            raise SourceError(E.E050_CONFIG, why="RSA keys must have at least 2048 bits")
        return key
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp384r1":
        raise SourceError(E.E050_CONFIG, why=f"{algorithm} needs an EC P-384 private key")
    return key


def client_assertion(settings: OAuthSettings, token_url: str, now: float | None = None) -> str:
    """A signed JWT for ``private_key_jwt`` at ``token_url`` (fresh ``jti`` each call)."""
    assert settings.private_key_pem is not None  # checked by OAuthSettings
    key = load_signing_key(settings.private_key_pem, settings.algorithm)
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": settings.client_id,
        "sub": settings.client_id,
        "aud": token_url,
        "exp": issued + ASSERTION_LIFETIME_S,
        "iat": issued,
        "jti": _new_jti(),
    }
    headers: dict[str, Any] = {"typ": "JWT"}
    if settings.kid:
        headers["kid"] = settings.kid
    if settings.jwks_url:
        headers["jku"] = settings.jwks_url
    return jwt.encode(claims, key, algorithm=settings.algorithm, headers=headers)


def _new_jti() -> str:
    return secrets.token_urlsafe(24)


def public_jwks(private_key_pem: str, algorithm: str = "RS384", kid: str | None = None) -> dict[str, Any]:
    """The JWKS (public part only) to register with an EHR or publish at the JWKS URL."""
    key = load_signing_key(private_key_pem, algorithm)
    algo = jwt.get_algorithm_by_name(algorithm)
    jwk: dict[str, Any] = json.loads(algo.to_jwk(key.public_key()))
    jwk.update({"alg": algorithm, "use": "sig", "key_ops": ["verify"]})
    if kid:
        jwk["kid"] = kid
    return {"keys": [jwk]}


def discover(http: httpx.Client, base_url: str) -> dict[str, Any]:
    """``[base]/.well-known/smart-configuration`` (E036 when it is not a JSON object)."""
    url = base_url.rstrip("/") + "/" + SMART_CONFIG_PATH
    try:
        response = http.get(url, headers={"Accept": "application/json"})
    except httpx.TransportError as exc:
        raise SourceError(E.E034_FHIR_UNREACHABLE, method="GET", resource=SMART_CONFIG_PATH, attempts=1,
                          kind=type(exc).__name__) from None
    if not response.is_success:
        raise SourceError(E.E030_FHIR_HTTP, status=response.status_code, method="GET", resource=SMART_CONFIG_PATH)
    try:
        config = response.json()
    except ValueError:
        config = None
    if not isinstance(config, dict):
        raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="smart-configuration is not a JSON object")
    return config


@dataclass
class Token:
    value: str = field(repr=False)
    expires_at: float
    scope: str = ""


class TokenSource:
    """Fetches and caches access tokens for one client at one server (thread-safe).

    ``base_url`` is the FHIR base: the token endpoint is read from its SMART configuration
    unless ``settings.token_url`` is set. ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        settings: OAuthSettings,
        base_url: str,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin_s: float = REFRESH_MARGIN_S,
    ) -> None:
        self.settings = settings
        self.base_url = base_url
        self.clock = clock
        self.refresh_margin_s = refresh_margin_s
        self._http = httpx.Client(verify=verify, timeout=timeout, transport=transport, follow_redirects=False)
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._token_url = settings.token_url
        self._smart_config: dict[str, Any] | None = None
        #: tokens fetched so far (for tests and the connection check)
        self.fetches = 0

    def __repr__(self) -> str:
        return f"TokenSource(kind={self.settings.kind!r}, client_id={self.settings.client_id!r})"

    def close(self) -> None:
        self._http.close()

    # -- discovery ---------------------------------------------------------------------------

    def smart_configuration(self) -> dict[str, Any]:
        if self._smart_config is None:
            self._smart_config = discover(self._http, self.base_url)
        return self._smart_config

    def token_url(self) -> str:
        if self._token_url is None:
            endpoint = self.smart_configuration().get("token_endpoint")
            if not isinstance(endpoint, str) or not endpoint.startswith(("https://", "http://")):
                raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="smart-configuration has no token_endpoint URL")
            self._token_url = endpoint
        return self._token_url

    # -- tokens ------------------------------------------------------------------------------

    def token(self) -> str:
        """A valid access token: the cached one, or a new one when it is (nearly) expired."""
        with self._lock:
            if self._token is None or self._needs_refresh(self._token):
                self._token = self._fetch()
            return self._token.value

    def invalidate(self, value: str | None = None) -> None:
        """Forget the cached token (only if it is still ``value``, when given): the server
        refused it, so the next :meth:`token` fetches a new one."""
        with self._lock:
            if self._token is not None and (value is None or self._token.value == value):
                self._token = None

    @property
    def granted_scope(self) -> str:
        """The scopes the server granted with the current token ("" before the first, and when
        the token answer states none: servers such as Epic grant what the app registered)."""
        return self._token.scope if self._token else ""

    def _needs_refresh(self, token: Token) -> bool:
        return self.clock() >= token.expires_at

    def _fetch(self) -> Token:
        url = self.token_url()
        data = {"grant_type": "client_credentials", "scope": self.settings.scope}
        headers = {"Accept": "application/json"}
        if self.settings.kind == "smart":
            data["client_assertion_type"] = ASSERTION_TYPE
            data["client_assertion"] = client_assertion(self.settings, url)  # real time: the server checks exp
        else:  # client_secret_basic
            assert self.settings.client_secret is not None
            pair = f"{self.settings.client_id}:{self.settings.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        try:
            response = self._http.post(url, data=data, headers=headers)
        except httpx.TransportError as exc:
            raise SourceError(E.E034_FHIR_UNREACHABLE, method="POST", resource="token endpoint", attempts=1,
                              kind=type(exc).__name__) from None
        body = _json_or_none(response)
        if not response.is_success:
            error, why = _oauth_error(body)
            raise AuthError(E.E037_FHIR_AUTH_REFUSED, status=response.status_code, error=error, why=why)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
            raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="token answer has no access_token")
        if str(body.get("token_type", "bearer")).lower() != "bearer":
            raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="token_type is not bearer")
        try:
            lifetime = float(body.get("expires_in") or DEFAULT_EXPIRES_IN_S)
        except (TypeError, ValueError):
            lifetime = DEFAULT_EXPIRES_IN_S
        # refresh a margin before expiry, or at 80% of a lifetime shorter than five margins
        margin = min(self.refresh_margin_s, lifetime * 0.2)
        granted = body.get("scope")
        scope = granted if isinstance(granted, str) else ""  # some servers grant by registration, unstated
        self.fetches += 1
        log.info("FHIR access token obtained (%s, expires in %ds, scope %s)", self.settings.kind, lifetime,
                 scope or "not stated")
        return Token(body["access_token"], self.clock() + lifetime - margin, scope)


class TokenAuth(httpx.Auth):
    """Sends ``Authorization: Bearer <token>`` from a :class:`TokenSource`; a 401 answer drops
    the token and the request is sent once more with a new one (a second 401 is returned)."""

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    def __repr__(self) -> str:
        return f"TokenAuth({self.tokens!r})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.tokens.token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            self.tokens.invalidate(token)
            request.headers["Authorization"] = f"Bearer {self.tokens.token()}"
            yield request


def scopes_of(scope: str) -> list[str]:
    return [s for s in scope.split() if s]


def missing_scopes(requested: Iterable[str], granted: Iterable[str]) -> list[str]:
    """Requested scopes the grant does not contain verbatim (servers may narrow a grant)."""
    have = set(granted)
    return [s for s in requested if s not in have]


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _oauth_error(body: Any) -> tuple[str, str]:
    """The OAuth ``error`` code and a short, printable description (never a secret: the
    server wrote it, about our request)."""
    if not isinstance(body, dict):
        return "unknown", "no OAuth error body"
    error = body.get("error")
    code = error if isinstance(error, str) and error.replace("_", "").isalnum() else "unknown"
    desc = body.get("error_description")
    text = desc if isinstance(desc, str) else ""
    text = "".join(ch if ch.isprintable() else " " for ch in text)[:160].strip()
    return code, text or "no description"


_SHARED: dict[tuple[OAuthSettings, str, str, float], TokenSource] = {}
_SHARED_LOCK = threading.Lock()


def shared_token_source(
    settings: OAuthSettings, base_url: str, *, verify: bool | str = True, timeout: float = 30.0
) -> TokenSource:
    """One :class:`TokenSource` per client, server and TLS setting in this process, so that
    every client built for a connection (each task, each trigger poll) reuses the cached token."""
    key = (settings, base_url, str(verify), float(timeout))
    with _SHARED_LOCK:
        source = _SHARED.get(key)
        if source is None:
            source = _SHARED[key] = TokenSource(settings, base_url, verify=verify, timeout=timeout)
        return source
