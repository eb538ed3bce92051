"""A small FHIR R4 REST client on httpx: auth, TLS, timeouts, bounded retries.

Retries cover 429 and 5xx answers and transport errors, with exponential backoff that
honours ``Retry-After`` (seconds or HTTP date) up to ``RetryPolicy.max_retry_after``.
Errors carry the status, method and resource type only, never URLs with search values.
POSTs are retried too: every POST this package sends is idempotent (searches, and
transactions made of conditional creates and If-Match updates).
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast
from urllib.parse import urljoin, urlsplit

import httpx

from intakeflow.errors import E, SourceError
from intakeflow.fhir_auth import TokenAuth, TokenSource

QueryParams = list[tuple[str, str]] | dict[str, str] | None
FHIR_JSON = "application/fhir+json"


@dataclass(frozen=True)
class FhirAuth:
    """How to authenticate: ``none``, ``basic`` (username/password), ``bearer`` (a static
    token), or an OAuth 2.0 client (``client_credentials`` with a secret, ``smart``: SMART
    Backend Services with a signed JWT) whose access tokens come from ``tokens``, cached
    until shortly before they expire, with one retry on a 401 (``intakeflow.fhir_auth``)."""

    kind: Literal["none", "basic", "bearer", "client_credentials", "smart"] = "none"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    tokens: TokenSource | None = field(default=None, compare=False)

    def headers(self) -> dict[str, str]:
        if self.kind == "bearer":
            if not self.token:
                raise SourceError(E.E050_CONFIG, why="bearer auth needs a token")
            return {"Authorization": f"Bearer {self.token}"}
        return {}

    def httpx_auth(self) -> httpx.Auth | None:
        if self.kind == "basic":
            if self.username is None:
                raise SourceError(E.E050_CONFIG, why="basic auth needs a username")
            return httpx.BasicAuth(self.username, self.password or "")
        if self.kind in {"client_credentials", "smart"}:
            if self.tokens is None:
                raise SourceError(E.E050_CONFIG, why=f"{self.kind} auth needs a token source")
            return TokenAuth(self.tokens)
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries: at most ``max_attempts`` tries, waits capped by ``max_backoff`` and
    ``max_retry_after`` (a longer Retry-After is treated as a failure, not waited for)."""

    max_attempts: int = 4
    backoff_base: float = 0.5
    max_backoff: float = 20.0
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        base = min(self.max_backoff, self.backoff_base * (2 ** (attempt - 1)))
        return base * (0.5 + random.random() / 2)  # jitter so parallel tasks spread out


class FhirClient:
    """Synchronous FHIR client bound to one base URL.

    ``verify`` is on by default (a CA bundle path may be given); ``timeout`` is seconds
    per request. ``sleep`` is injectable for tests. Use as a context manager or call
    :meth:`close`.
    """

    def __init__(
        self,
        base_url: str,
        auth: FhirAuth | None = None,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise SourceError(E.E050_CONFIG, why="FHIR base URL must start with http:// or https://")
        self.base_url = base_url.rstrip("/") + "/"
        self.auth = auth or FhirAuth()
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._verify, self._timeout = verify, timeout
        headers = {"Accept": FHIR_JSON, **self.auth.headers()}
        self._http = httpx.Client(
            headers=headers,
            auth=self.auth.httpx_auth(),
            verify=verify,
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> FhirClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ---------------------------------------------------------------------------

    def url(self, path_or_url: str) -> str:
        """Resolve a relative path (``Communication/1``) against the base URL.

        Absolute URLs must point at the same scheme, host and port as the base URL, so
        credentials never travel to another server (paging links, attachment URLs).
        """
        full = urljoin(self.base_url, path_or_url)
        if not self.same_origin(full):
            raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="URL points outside the FHIR base")
        return full

    def same_origin(self, url: str) -> bool:
        a, b = urlsplit(self.base_url), urlsplit(urljoin(self.base_url, url))
        return (a.scheme, a.netloc) == (b.scheme, b.netloc)

    def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: QueryParams = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        ok_statuses: Sequence[int] = (),
    ) -> httpx.Response:
        """Send with retries; return the response when 2xx or in ``ok_statuses``.

        Raises SourceError E030 for other statuses and E034 when retries run out on
        transport errors.
        """
        url = self.url(path_or_url)
        resource = _resource_label(url, self.base_url)
        send_headers = dict(headers or {})
        if json is not None:
            send_headers.setdefault("Content-Type", FHIR_JSON)
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(method, url, params=cast(Any, params), json=json, headers=send_headers)
            except httpx.TransportError as exc:
                if attempt >= self.retry.max_attempts:
                    raise SourceError(
                        E.E034_FHIR_UNREACHABLE,
                        method=method,
                        resource=resource,
                        attempts=attempt,
                        kind=type(exc).__name__,
                    ) from None
                self._sleep(self.retry.delay(attempt, None))
                continue
            if response.is_success or response.status_code in ok_statuses:
                return response
            if response.status_code in self.retry.retry_statuses and attempt < self.retry.max_attempts:
                wait = _retry_after(response)
                if wait is None or wait <= self.retry.max_retry_after:
                    self._sleep(self.retry.delay(attempt, wait))
                    continue
            raise SourceError(E.E030_FHIR_HTTP, status=response.status_code, method=method, resource=resource)

    @contextmanager
    def stream(
        self, path_or_url: str, *, headers: Mapping[str, str] | None = None, credentials: bool = True,
        ok_statuses: Sequence[int] = (),
    ) -> Iterator[httpx.Response]:
        """GET ``path_or_url`` as a stream (no retries: the caller resumes). ``credentials``
        off sends the request without auth (a Bulk Data file elsewhere whose manifest says
        it needs no token), and then any origin is allowed; with credentials, only this server.
        Raises E030 for an error status and E034 when the server cannot be reached."""
        url = urljoin(self.base_url, path_or_url) if not credentials else self.url(path_or_url)
        resource = _resource_label(url, self.base_url)
        if credentials:
            request = self._http.build_request("GET", url, headers=dict(headers or {}))
            send: httpx.Client = self._http
        else:
            send = httpx.Client(verify=self._verify, timeout=self._timeout, follow_redirects=False)
            request = send.build_request("GET", url, headers=dict(headers or {}))
        try:
            try:
                response = send.send(request, stream=True)
            except httpx.TransportError as exc:
                raise SourceError(E.E034_FHIR_UNREACHABLE, method="GET", resource=resource, attempts=1,
                                  kind=type(exc).__name__) from None
            try:
                if not response.is_success and response.status_code not in ok_statuses:
                    raise SourceError(E.E030_FHIR_HTTP, status=response.status_code, method="GET", resource=resource)
                yield response
            finally:
                response.close()
        finally:
            if send is not self._http:
                send.close()

    def get_json(self, path_or_url: str, params: QueryParams = None) -> dict[str, Any]:
        response = self.request("GET", path_or_url, params=params)
        return _json_object(response)

    def capability(self) -> dict[str, Any]:
        """The server's CapabilityStatement (``GET [base]/metadata``); used by test_connection."""
        statement = self.get_json("metadata")
        if statement.get("resourceType") != "CapabilityStatement":
            raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="metadata is not a CapabilityStatement")
        return statement

    def read(self, resource_type: str, resource_id: str) -> dict[str, Any]:
        """Read one resource; its version is in ``meta.versionId`` (or the ETag)."""
        response = self.request("GET", f"{resource_type}/{resource_id}")
        body = _json_object(response)
        etag = response.headers.get("ETag")
        if etag and not body.get("meta", {}).get("versionId"):
            body.setdefault("meta", {})["versionId"] = etag.removeprefix("W/").strip('"')
        return body

    def search(self, resource_type: str, params: QueryParams = None) -> Iterator[dict[str, Any]]:
        """Yield the ``match`` resources of every page, following Bundle ``next`` links."""
        for bundle in self.search_pages(resource_type, params):
            entries = bundle.get("entry") or []
            if not isinstance(entries, list):
                raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="Bundle.entry is not a list")
            for entry in entries:
                if not isinstance(entry, dict):
                    continue  # not an entry at all: nothing to read
                search = entry.get("search")
                if isinstance(search, dict) and search.get("mode", "match") != "match":
                    continue
                resource = entry.get("resource")
                if isinstance(resource, dict):
                    yield resource

    def search_pages(self, resource_type: str, params: QueryParams = None) -> Iterator[dict[str, Any]]:
        """Yield each searchset Bundle page (bounded: a repeated ``next`` link stops paging)."""
        bundle = self.get_json(resource_type, params)
        seen: set[str] = set()
        while True:
            if bundle.get("resourceType") != "Bundle":
                raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="search answer is not a Bundle")
            yield bundle
            next_url = _next_link(bundle)
            if not next_url or next_url in seen:
                return
            seen.add(next_url)
            bundle = self.get_json(next_url)

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """POST a transaction Bundle to the base URL; returns the transaction-response."""
        response = self.request("POST", "", json=bundle)
        body = _json_object(response)
        if body.get("resourceType") != "Bundle":
            raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="transaction answer is not a Bundle")
        return body

    def fetch_bytes(self, path_or_url: str, accept: str = "*/*") -> tuple[bytes, str | None]:
        """Fetch raw content (attachment ``url``); returns the bytes and the Content-Type."""
        response = self.request("GET", path_or_url, headers={"Accept": accept})
        return response.content, response.headers.get("Content-Type")


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="answer is not JSON") from None
    except RecursionError:
        raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="answer nested too deep") from None
    if not isinstance(body, dict):
        raise SourceError(E.E036_FHIR_BAD_RESPONSE, why="answer is not a JSON object")
    return body


def _next_link(bundle: dict[str, Any]) -> str | None:
    links = bundle.get("link") or []
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str) and link["url"]:
            return str(link["url"])
    return None


def retry_after_seconds(response: httpx.Response) -> float | None:
    """The response's ``Retry-After`` in seconds (from seconds or an HTTP date), else None."""
    return _retry_after(response)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _resource_label(url: str, base: str) -> str:
    """The resource type (first path segment after the base) for error messages."""
    rest = url[len(base) :] if url.startswith(base) else urlsplit(url).path
    first = rest.split("?", 1)[0].strip("/").split("/", 1)[0]
    return first or "[base]"
