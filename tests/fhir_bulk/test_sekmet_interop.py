"""Interoperability with an independent server: sekmet-fhir (the embedded FHIR server of the
integration tests, a PyPI package) runs its own SMART Backend Services token endpoint and
Bulk Data ``$export``. The client authenticates there (RS384 and ES384), is refused for a
wrong audience and a replayed jti, and an export of its Communications is staged, then an
incremental one. The local peer (tests/fhir_peer) covers what sekmet does not: several
files per type, HTTP Range, error files of OperationOutcomes, 401 on expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from intakeflow.bulk_export import BulkExporter
from intakeflow.errors import AuthError
from intakeflow.fhir_auth import ASSERTION_TYPE, OAuthSettings, TokenSource, client_assertion, public_jwks
from intakeflow.sources.fhir_client import FhirAuth, FhirClient
from intakeflow.store import Store
from tests.fhir_peer import communication, ec_key_pem, rsa_key_pem

pytest.importorskip("sekmet")
pytestmark = pytest.mark.integration

SEED_TOKEN = "sekmet-seed-token"  # a static bearer token that only loads the test data
#: sekmet checks scopes per URL, and its $export and bulk-file URLs name no resource type:
#: they need a wildcard scope there (the Bulk Data IG would accept system/Communication.rs)
SCOPE = "system/*.rs"


@pytest.fixture(scope="module")
def sekmet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from intakeflow.embedded.fhir_server import EmbeddedFhirServer

    auth = {
        "types": ["smart", "bearer"], "tokens": [SEED_TOKEN], "token_lifetime": 300, "enforce_scopes": True,
        "smart_clients": [
            {"client_id": "rs-client", "jwks": public_jwks(rsa_key_pem(), "RS384", kid="rs-1"), "scopes": SCOPE},
            {"client_id": "es-client", "jwks": public_jwks(ec_key_pem(), "ES384", kid="es-1"), "scopes": SCOPE},
        ],
    }
    with EmbeddedFhirServer(tmp_path_factory.mktemp("sekmet-smart"), server_auth=auth) as server:
        yield server.base_url


def seed(base_url: str, start: int, count: int) -> None:
    resources = [communication(n, prefix="s") for n in range(start, start + count)]
    for r in resources:
        r.pop("meta")  # the server keeps its own versions and times
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [
        {"resource": r, "request": {"method": "PUT", "url": f"Communication/{r['id']}"}} for r in resources]}
    with FhirClient(base_url, FhirAuth("bearer", token=SEED_TOKEN)) as client:
        client.transaction(bundle)


def tokens(base_url: str, alg: str = "RS384", **kw: str) -> TokenSource:
    if alg == "RS384":
        settings = OAuthSettings("smart", "rs-client", private_key_pem=rsa_key_pem(), kid="rs-1", scope=SCOPE, **kw)
    else:
        settings = OAuthSettings("smart", "es-client", private_key_pem=ec_key_pem(), algorithm="ES384", kid="es-1",
                                 scope=SCOPE, **kw)
    return TokenSource(settings, base_url)


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_jwt_auth_at_sekmet(sekmet: str, alg: str) -> None:
    source = tokens(sekmet, alg)
    with FhirClient(sekmet, FhirAuth("smart", tokens=source)) as client:
        assert client.capability()["resourceType"] == "CapabilityStatement"
        client.get_json("Communication", {"_count": "1"})
    assert source.fetches == 1 and "system/" in source.granted_scope
    assert source.token_url().endswith("/auth/token")  # discovered from sekmet's smart-configuration


def test_sekmet_refuses_a_wrong_audience_and_a_replayed_jti(sekmet: str) -> None:
    token_url = tokens(sekmet).token_url()
    wrong = tokens(sekmet, token_url=token_url.replace("127.0.0.1", "localhost"))
    with pytest.raises(AuthError) as refused:
        wrong.token()
    assert refused.value.params["error"] == "invalid_client" and "audience" in str(refused.value).lower()
    settings = OAuthSettings("smart", "rs-client", private_key_pem=rsa_key_pem(), kid="rs-1", scope=SCOPE)
    form = {"grant_type": "client_credentials", "scope": SCOPE, "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(settings, token_url)}
    assert httpx.post(token_url, data=form).status_code == 200
    replay = httpx.post(token_url, data=form)
    assert replay.status_code == 401 and "jti" in replay.json()["error_description"]


def test_bulk_export_from_sekmet_then_incremental(sekmet: str, pg_dsn: str, store_schema: str, tmp_path: Path) -> None:
    seed(sekmet, 0, 40)
    store = Store(pg_dsn, schema=store_schema, pipeline_version="test-1")
    store.migrate()
    with FhirClient(sekmet, FhirAuth("smart", tokens=tokens(sekmet))) as client:
        first = BulkExporter(client, store, source="fhir:sekmet", sleep=lambda s: None).run()
        assert first.staged == 40 and first.files == 1
        # sekmet answers the DELETE of a finished job with 403 unless the token has a delete
        # scope (it checks scopes by HTTP method; the IG asks for none): the export is complete
        # and its watermark kept all the same, the job left to expire there
        assert not first.deleted
        seed(sekmet, 40, 5)
        second = BulkExporter(client, store, source="fhir:sekmet", sleep=lambda s: None).run()
    assert second.since == first.transaction_time
    assert second.staged == 5 and second.duplicates == 0
    assert datetime.fromisoformat(second.transaction_time.replace("Z", "+00:00")) <= datetime.now(UTC)  # type: ignore[union-attr]
    assert store.counts()["received"] == 45
