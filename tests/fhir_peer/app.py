"""The peer: a SMART Backend Services token endpoint and a FHIR Bulk Data ``$export`` server.

Written from the SMART App Launch 2.x "Backend Services" page and the Bulk Data Access IG
2.0 (kick-off, status, manifest, files, delete), for tests; everything lives in memory.

Token endpoint (``POST /auth/token``, ``client_credentials``):

* ``private_key_jwt``: the assertion's header ``alg`` must be RS384 or ES384 and its ``kid``
  (if any) one of the client's keys; a ``jku`` must be the client's registered JWKS URL. The
  signature is checked against the registered JWKS (inline, or fetched from the JWKS URL);
  ``iss`` and ``sub`` must both be the client id, ``aud`` this token endpoint, ``exp`` in the
  future and at most five minutes ahead, and a ``jti`` is accepted once.
* ``client_secret_basic`` for clients registered with a secret.
* Each refusal is ``{"error": "invalid_client" | ..., "error_description": <what failed>}``.

FHIR endpoints need a bearer token the peer issued, not expired (401 with
``WWW-Authenticate: Bearer error="invalid_token"`` otherwise) and a scope that reads
Communication. ``metadata`` and ``.well-known/smart-configuration`` are open.

Bulk Data: ``[base]/$export``, ``[base]/Patient/$export``, ``[base]/Group/{id}/$export`` with
``Prefer: respond-async`` answer 202 + ``Content-Location``; the status URL answers 202 with
``X-Progress`` and ``Retry-After`` for ``polls_before_ready`` polls, then 200 with the
manifest; the resources are split into NDJSON files of ``file_size`` lines, and
``error_lines`` OperationOutcome lines go into an error file. Files are served with
``Accept-Ranges: bytes`` (206 for ``Range: bytes=N-``). ``DELETE`` on the status URL ends
the job (202), after which it is 404.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from tests.fhir_peer.data import instant

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ("RS384", "ES384")
NDJSON = "application/fhir+ndjson"
_V1 = {"read": "rs", "*": "cruds", "write": "cud"}


@dataclass
class PeerClient:
    """A registered client: a JWKS (inline or by URL) for private_key_jwt, or a secret."""

    client_id: str
    jwks: dict[str, Any] | None = None
    jwks_url: str | None = None
    secret: str | None = None
    scopes: tuple[str, ...] = ("system/Communication.rs", "system/Communication.read", "system/Patient.rs")


@dataclass
class PeerConfig:
    token_lifetime: int = 300
    #: say which scopes a token carries (off: like servers that grant by registration)
    state_scope: bool = True
    file_size: int = 2500
    error_lines: int = 0
    polls_before_ready: int = 1
    retry_after: int = 0
    #: serve ``Range`` requests (206); off: the whole file again (200)
    ranges: bool = True
    #: seconds to sleep after each chunk of a file (slows a download down for a kill test)
    chunk_delay_s: float = 0.0
    chunk_bytes: int = 16384
    #: the first download of a file whose name contains this breaks off after ``break_after_bytes``
    break_file: str | None = None
    break_after_bytes: int = 0
    #: downloads of a file whose name contains this stop after ``stall_after_bytes`` until
    #: ``Peer.release`` is set (a slow transfer, for a kill at a known point)
    stall_file: str | None = None
    stall_after_bytes: int = 0


@dataclass
class Job:
    id: str
    request: str
    transaction_time: str
    files: dict[str, bytes]
    output: list[dict[str, Any]]
    error: list[dict[str, Any]]
    polls: int = 0


@dataclass
class Peer:
    """The peer's state; ``base_url`` is set once the server knows its port."""

    config: PeerConfig = field(default_factory=PeerConfig)
    clients: dict[str, PeerClient] = field(default_factory=dict)
    resources: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    base_url: str = ""
    jobs: dict[str, Job] = field(default_factory=dict)
    deleted_jobs: list[str] = field(default_factory=list)
    kickoffs: list[dict[str, list[str]]] = field(default_factory=list)
    tokens: dict[str, tuple[str, float, str]] = field(default_factory=dict)  # token -> client, expiry, scope
    seen_jti: dict[str, float] = field(default_factory=dict)
    token_requests: list[tuple[str, str]] = field(default_factory=list)  # (client or "?", outcome)
    downloads: list[tuple[str, int, int]] = field(default_factory=list)  # name, start byte, status
    broken: set[str] = field(default_factory=set)
    #: JWKS documents the peer publishes at ``/jwks/{name}`` (a client's "JWKS URL")
    published_jwks: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    release: threading.Event = field(default_factory=threading.Event)

    @property
    def root(self) -> str:
        return self.base_url.rsplit("/fhir", 1)[0]

    @property
    def token_url(self) -> str:
        return f"{self.root}/auth/token"

    def register(self, client: PeerClient) -> PeerClient:
        self.clients[client.client_id] = client
        return client

    def add(self, resources: Any) -> int:
        n = 0
        with self.lock:
            for r in resources:
                self.resources[f"{r['resourceType']}/{r['id']}"] = r
                n += 1
        return n

    def publish_jwks(self, name: str, jwks: dict[str, Any]) -> str:
        """Serve ``jwks`` at ``/jwks/{name}``; returns that URL (to register as a JWKS URL)."""
        self.published_jwks[name] = jwks
        return f"{self.root}/jwks/{name}"

    def expire_tokens(self) -> None:
        """Make every issued token expired (server side), as after a long wait."""
        with self.lock:
            self.tokens = {t: (c, 0.0, s) for t, (c, _, s) in self.tokens.items()}


def create_app(peer: Peer) -> FastAPI:
    app = FastAPI()
    cfg = peer.config

    def oauth_error(status: int, error: str, description: str) -> JSONResponse:
        return JSONResponse({"error": error, "error_description": description}, status_code=status,
                            headers={"Cache-Control": "no-store"})

    def outcome(status: int, code: str, diagnostics: str, headers: dict[str, str] | None = None) -> JSONResponse:
        body = {"resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}]}
        return JSONResponse(body, status_code=status, headers=headers, media_type="application/fhir+json")

    def authorised(request: Request) -> JSONResponse | None:
        header = request.headers.get("authorization", "")
        scheme, _, value = header.partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        if scheme.lower() != "bearer" or not value:
            return outcome(401, "login", "bearer token required", challenge)
        with peer.lock:
            issued = peer.tokens.get(value)
        if issued is None:
            return outcome(401, "login", "unknown token", challenge)
        _, expiry, scope = issued
        if time.time() >= expiry:
            return outcome(401, "expired", "token expired", {"WWW-Authenticate": 'Bearer error="invalid_token", '
                                                                                 'error_description="expired"'})
        if not any(_reads("Communication", s) for s in scope.split()):
            return outcome(403, "forbidden", "scope does not allow reading Communication")
        return None

    # -- discovery ---------------------------------------------------------------------------

    @app.get("/fhir/.well-known/smart-configuration")
    def smart_configuration() -> dict[str, Any]:
        return {
            "token_endpoint": peer.token_url,
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
            "token_endpoint_auth_signing_alg_values_supported": list(ALGORITHMS),
            "grant_types_supported": ["client_credentials"],
            "scopes_supported": ["system/Communication.rs", "system/Communication.read", "system/Patient.rs"],
            "capabilities": ["client-confidential-asymmetric", "client-confidential-symmetric", "permission-v1",
                             "permission-v2"],
        }

    @app.get("/fhir/metadata")
    def metadata() -> JSONResponse:
        oauth = {"url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                 "extension": [{"url": "token", "valueUri": peer.token_url}]}
        body = {
            "resourceType": "CapabilityStatement", "status": "active", "kind": "instance", "fhirVersion": "4.0.1",
            "format": ["json"], "date": "2026-01-01",
            "rest": [{
                "mode": "server",
                "security": {"extension": [oauth], "service": [{"coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}]}]},
                "resource": [{"type": "Communication", "interaction": [{"code": "read"}, {"code": "search-type"}]},
                             {"type": "Group", "operation": [{"name": "export", "definition":
                                 "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"}]}],
                "operation": [{"name": "export",
                               "definition": "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"}],
            }],
        }
        return JSONResponse(body, media_type="application/fhir+json")

    @app.get("/jwks/{name}")
    def jwks(name: str) -> JSONResponse:
        doc = peer.published_jwks.get(name)
        return JSONResponse(doc or {"error": "not found"}, status_code=200 if doc else 404)

    # -- token endpoint ----------------------------------------------------------------------

    @app.post("/auth/token")
    async def token(request: Request) -> JSONResponse:
        form = await request.form()
        if form.get("grant_type") != "client_credentials":
            return oauth_error(400, "unsupported_grant_type", "only client_credentials")
        assertion = form.get("client_assertion")
        auth = request.headers.get("authorization", "")
        if isinstance(assertion, str):
            if form.get("client_assertion_type") != ASSERTION_TYPE:
                return oauth_error(400, "invalid_request", "client_assertion_type must be jwt-bearer")
            # off the event loop: checking may fetch a JWKS URL, possibly from this very server
            client_or_error = await run_in_threadpool(_check_assertion, assertion)
            if isinstance(client_or_error, JSONResponse):
                return client_or_error
            client = client_or_error
        elif auth.lower().startswith("basic "):
            try:
                cid, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return oauth_error(401, "invalid_client", "malformed basic credentials")
            found = peer.clients.get(cid)
            if found is None or not found.secret or not hmac.compare_digest(found.secret, secret):
                peer.token_requests.append((cid, "bad-secret"))
                return oauth_error(401, "invalid_client", "client secret does not match")
            client = found
        else:
            return oauth_error(400, "invalid_request", "client_assertion or client credentials required")
        requested = str(form.get("scope") or "").split()
        granted = [s for s in requested if s in client.scopes]
        if not granted:
            peer.token_requests.append((client.client_id, "invalid_scope"))
            return oauth_error(400, "invalid_scope", "none of the requested scopes is allowed")
        value = secrets.token_urlsafe(32)
        scope = " ".join(granted)
        with peer.lock:
            peer.tokens[value] = (client.client_id, time.time() + cfg.token_lifetime, scope)
        peer.token_requests.append((client.client_id, "ok"))
        answer: dict[str, Any] = {"access_token": value, "token_type": "bearer", "expires_in": cfg.token_lifetime}
        if cfg.state_scope:
            answer["scope"] = scope
        return JSONResponse(answer, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _check_assertion(assertion: str) -> PeerClient | JSONResponse:
        def refuse(why: str, who: str = "?") -> JSONResponse:
            peer.token_requests.append((who, why))
            return oauth_error(401, "invalid_client", why)

        try:
            header = jwt.get_unverified_header(assertion)
            unverified = jwt.decode(assertion, options={"verify_signature": False})
        except jwt.PyJWTError:
            return refuse("client_assertion is not a JWT")
        if header.get("alg") not in ALGORITHMS:
            return refuse("alg must be RS384 or ES384")
        client = peer.clients.get(str(unverified.get("iss")))
        if client is None:
            return refuse("unknown client (iss)")
        cid = client.client_id
        jku = header.get("jku")
        if jku is not None and jku != client.jwks_url:
            return refuse("jku is not the registered JWKS URL", cid)
        try:
            keys = _client_keys(client)
        except (httpx.HTTPError, ValueError):
            return refuse("registered JWKS could not be read", cid)
        kid = header.get("kid")
        candidates = [k for k in keys if kid is None or k.get("kid") == kid]
        if not candidates:
            return refuse("no registered key has this kid", cid)
        last = "signature does not verify against the registered JWKS"
        for jwk in candidates:
            try:
                key = jwt.PyJWK(jwk, algorithm=header["alg"]).key
                claims = jwt.decode(assertion, key, algorithms=[header["alg"]], audience=peer.token_url,
                                    options={"require": ["iss", "sub", "aud", "exp", "jti"]})
            except jwt.InvalidAudienceError:
                return refuse("aud is not this token endpoint", cid)
            except jwt.ExpiredSignatureError:
                return refuse("assertion expired (exp)", cid)
            except jwt.MissingRequiredClaimError as exc:
                return refuse(f"assertion lacks the {exc.claim} claim", cid)
            except (jwt.PyJWTError, ValueError):
                continue
            break
        else:
            return refuse(last, cid)
        if claims["iss"] != claims["sub"]:
            return refuse("iss and sub must both be the client id", cid)
        now = time.time()
        if claims["exp"] > now + 300:
            return refuse("exp is more than five minutes ahead", cid)
        with peer.lock:
            peer.seen_jti = {j: e for j, e in peer.seen_jti.items() if e > now}
            if claims["jti"] in peer.seen_jti:
                return refuse("jti already used (replay)", cid)
            peer.seen_jti[claims["jti"]] = float(claims["exp"])
        return client

    def _client_keys(client: PeerClient) -> list[dict[str, Any]]:
        if client.jwks is not None:
            return list(client.jwks.get("keys", []))
        if client.jwks_url:
            doc = httpx.get(client.jwks_url, timeout=5).raise_for_status().json()
            return list(doc.get("keys", []))
        return []

    # -- bulk data ---------------------------------------------------------------------------

    @app.get("/fhir/$export")
    def export_system(request: Request) -> Response:
        return kickoff(request, None)

    @app.get("/fhir/Patient/$export")
    def export_patient(request: Request) -> Response:
        return kickoff(request, "*")

    @app.get("/fhir/Group/{group_id}/$export")
    def export_group(group_id: str, request: Request) -> Response:
        if group_id not in peer.groups:
            return outcome(404, "not-found", "no such Group")
        return kickoff(request, group_id)

    def kickoff(request: Request, patients: str | None) -> Response:
        refused = authorised(request)
        if refused is not None:
            return refused
        if "respond-async" not in request.headers.get("prefer", ""):
            return outcome(400, "invalid", "Prefer: respond-async is required")
        params: dict[str, list[str]] = {}
        for key, value in request.query_params.multi_items():
            params.setdefault(key, []).append(value)
        peer.kickoffs.append(params)
        fmt = (params.get("_outputFormat") or [NDJSON])[-1]
        if fmt not in (NDJSON, "application/ndjson", "ndjson"):
            return outcome(400, "not-supported", "only NDJSON output")
        types = {t for v in params.get("_type", []) for t in v.split(",") if t} or {"Communication"}
        since_raw = params["_since"][-1] if params.get("_since") else None
        try:
            since = _parse_instant(since_raw) if since_raw else None
        except ValueError:
            return outcome(400, "invalid", "_since is not an instant")
        now = datetime.now(UTC)
        members = None
        if patients not in (None, "*"):
            members = {f"Patient/{p}" for p in peer.groups[str(patients)]}
        with peer.lock:
            chosen = [r for r in peer.resources.values()
                      if r["resourceType"] in types
                      and (since is None or _parse_instant(r["meta"]["lastUpdated"]) > since)
                      and _parse_instant(r["meta"]["lastUpdated"]) <= now
                      and (patients is None or str(r.get("subject", {}).get("reference", "")).startswith("Patient/"))
                      and (members is None or r.get("subject", {}).get("reference") in members)]
        chosen.sort(key=lambda r: (r["resourceType"], r["id"]))
        job_id = secrets.token_hex(6)
        files: dict[str, bytes] = {}
        output: list[dict[str, Any]] = []
        for rtype in sorted(types):
            of_type = [r for r in chosen if r["resourceType"] == rtype]
            for part, start in enumerate(range(0, len(of_type), cfg.file_size), start=1):
                chunk = of_type[start:start + cfg.file_size]
                name = f"{rtype}-{part}.ndjson"
                files[name] = b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in chunk)
                output.append({"type": rtype, "url": f"{peer.base_url}/bulk-files/{job_id}/{name}", "count": len(chunk)})
        error: list[dict[str, Any]] = []
        if cfg.error_lines:
            lines = [json.dumps({"resourceType": "OperationOutcome", "issue": [{
                "severity": "error", "code": "processing",
                "diagnostics": f"Communication/x{n} could not be serialised"}]}).encode() + b"\n"
                for n in range(cfg.error_lines)]
            files["errors.ndjson"] = b"".join(lines)
            error.append({"type": "OperationOutcome", "url": f"{peer.base_url}/bulk-files/{job_id}/errors.ndjson",
                          "count": cfg.error_lines})
        peer.jobs[job_id] = Job(job_id, str(request.url), instant(now), files, output, error)
        return Response(status_code=202, headers={"Content-Location": f"{peer.base_url}/bulk-status/{job_id}"})

    @app.get("/fhir/bulk-status/{job_id}")
    def status(job_id: str, request: Request) -> Response:
        refused = authorised(request)
        if refused is not None:
            return refused
        job = peer.jobs.get(job_id)
        if job is None:
            return outcome(404, "not-found", "no such export")
        job.polls += 1
        if job.polls <= cfg.polls_before_ready:
            pct = int(100 * job.polls / (cfg.polls_before_ready + 1))
            return Response(status_code=202, headers={"X-Progress": f"in progress ({pct}%)",
                                                      "Retry-After": str(cfg.retry_after)})
        manifest = {"transactionTime": job.transaction_time, "request": job.request, "requiresAccessToken": True,
                    "output": job.output, "error": job.error}
        return JSONResponse(manifest, headers={"Expires": "Tue, 01 Jan 2030 00:00:00 GMT"})

    @app.delete("/fhir/bulk-status/{job_id}")
    def delete(job_id: str, request: Request) -> Response:
        refused = authorised(request)
        if refused is not None:
            return refused
        if peer.jobs.pop(job_id, None) is None:
            return outcome(404, "not-found", "no such export")
        peer.deleted_jobs.append(job_id)
        return Response(status_code=202)

    @app.get("/fhir/bulk-files/{job_id}/{name}")
    def download(job_id: str, name: str, request: Request) -> Response:
        refused = authorised(request)
        if refused is not None:
            return refused
        job = peer.jobs.get(job_id)
        if job is None or name not in job.files:
            return outcome(404, "not-found", "no such file")
        data = job.files[name]
        start = 0
        rng = request.headers.get("range", "")
        if cfg.ranges and rng.startswith("bytes=") and rng.endswith("-"):
            try:
                start = int(rng[6:-1])
            except ValueError:
                start = -1
            if not 0 <= start < len(data):
                return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
        status_code = 206 if start else 200
        peer.downloads.append((name, start, status_code))
        breaks = cfg.break_file is not None and cfg.break_file in name and name not in peer.broken
        if breaks:
            peer.broken.add(name)
        body = data[start:]
        headers = {"Accept-Ranges": "bytes" if cfg.ranges else "none", "Content-Length": str(len(body))}
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"

        stalls = cfg.stall_file is not None and cfg.stall_file in name

        def chunks() -> Iterator[bytes]:
            sent = 0
            for at in range(0, len(body), cfg.chunk_bytes):
                piece = body[at:at + cfg.chunk_bytes]
                if stalls and start + sent >= cfg.stall_after_bytes:
                    peer.release.wait(timeout=60)
                if breaks and sent + len(piece) > cfg.break_after_bytes:
                    yield piece[: max(0, cfg.break_after_bytes - sent)]
                    raise ConnectionAbortedError("peer breaks the download off on purpose")
                sent += len(piece)
                yield piece
                if cfg.chunk_delay_s:
                    time.sleep(cfg.chunk_delay_s)

        return StreamingResponse(chunks(), status_code=status_code, headers=headers, media_type=NDJSON)

    return app


def _reads(rtype: str, scope: str) -> bool:
    context, _, rest = scope.partition("/")
    kind, _, perms = rest.partition(".")
    return context == "system" and kind in (rtype, "*") and all(c in _V1.get(perms, perms) for c in "rs")


def _parse_instant(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
