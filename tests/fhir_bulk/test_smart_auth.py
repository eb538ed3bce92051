"""SMART Backend Services and client_credentials against the local peer: the happy paths
(RS384, ES384, a JWKS URL, a client secret), token caching and refresh (before expiry, and
on a 401), and refusals with clear codes (a key not registered, a wrong audience, a replayed
jti). Keys, secrets, assertions and tokens never reach a log line, a repr or an error."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from airflow.sdk import Connection

from intakeflow.errors import AuthError, IntakeflowError
from intakeflow.fhir_auth import (
    ASSERTION_TYPE,
    OAuthSettings,
    TokenSource,
    client_assertion,
    load_signing_key,
    public_jwks,
    shared_token_source,
)
from intakeflow.provider.hooks.fhir import FhirHook, settings_from_connection
from intakeflow.sources.fhir_client import FhirAuth, FhirClient
from tests.fhir_peer import CLIENT_ID, KID, PeerClient, PeerServer, communications, ec_key_pem, rsa_key_pem


def client_for(server: PeerServer, tokens: TokenSource) -> FhirClient:
    return FhirClient(server.base_url, FhirAuth(tokens.settings.kind, tokens=tokens))


def search_count(client: FhirClient) -> int:
    """A protected request: one $export kick-off (202) needs a valid token."""
    response = client.request("GET", "$export", params={"_type": "Communication"}, headers={"Prefer": "respond-async"})
    return response.status_code


# -- happy paths --------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["RS384", "ES384"])
def test_private_key_jwt_happy_path(peer: PeerServer, alg: str) -> None:
    pem = rsa_key_pem() if alg == "RS384" else ec_key_pem()
    peer.peer.register(PeerClient(f"app-{alg}", jwks=public_jwks(pem, alg, kid=f"kid-{alg}")))
    tokens = TokenSource(OAuthSettings("smart", f"app-{alg}", private_key_pem=pem, algorithm=alg, kid=f"kid-{alg}"),
                         peer.base_url)
    with client_for(peer, tokens) as client:
        assert search_count(client) == 202
        assert search_count(client) == 202
    assert tokens.fetches == 1, "the token is cached between requests"
    assert tokens.granted_scope == "system/Communication.rs"
    assert tokens.token_url() == peer.peer.token_url  # discovered from .well-known/smart-configuration
    assert peer.peer.token_requests == [(f"app-{alg}", "ok")]


def test_assertion_claims_and_header(smart_settings: OAuthSettings) -> None:
    token_url = "https://ehr.example/oauth2/token"
    assertion = client_assertion(smart_settings, token_url, now=1_000_000)
    header = jwt.get_unverified_header(assertion)
    claims = jwt.decode(assertion, options={"verify_signature": False})
    assert header["alg"] == "RS384" and header["kid"] == KID and header["typ"] == "JWT" and "jku" not in header
    assert claims["iss"] == claims["sub"] == CLIENT_ID and claims["aud"] == token_url
    assert claims["exp"] - claims["iat"] == 300 and len(claims["jti"]) >= 16
    assert client_assertion(smart_settings, token_url)  # a second one has another jti
    other = jwt.decode(client_assertion(smart_settings, token_url), options={"verify_signature": False})
    assert other["jti"] != claims["jti"]


def test_jwks_url_registration_sends_jku(peer: PeerServer) -> None:
    pem = ec_key_pem()
    url = peer.peer.publish_jwks("app-jwks", public_jwks(pem, "ES384", kid="k-es"))
    peer.peer.register(PeerClient("app-jwks", jwks_url=url))
    settings = OAuthSettings("smart", "app-jwks", private_key_pem=pem, algorithm="ES384", kid="k-es", jwks_url=url)
    tokens = TokenSource(settings, peer.base_url)
    with client_for(peer, tokens) as client:
        assert search_count(client) == 202
    assert jwt.get_unverified_header(client_assertion(settings, "x"))["jku"] == url


def test_client_credentials_with_a_secret(peer: PeerServer) -> None:
    peer.peer.register(PeerClient("app-secret", secret="s3cret-value"))
    tokens = TokenSource(OAuthSettings("client_credentials", "app-secret", client_secret="s3cret-value"), peer.base_url)
    with client_for(peer, tokens) as client:
        assert search_count(client) == 202
    bad = TokenSource(OAuthSettings("client_credentials", "app-secret", client_secret="wrong"), peer.base_url)
    with pytest.raises(AuthError) as refused:
        bad.token()
    assert refused.value.code_id == "E037" and refused.value.params["error"] == "invalid_client"


# -- caching and refresh ------------------------------------------------------------------------


def test_token_is_refreshed_before_it_expires(peer: PeerServer, smart_settings: OAuthSettings) -> None:
    now = [1_000.0]
    peer.peer.config.token_lifetime = 300
    tokens = TokenSource(smart_settings, peer.base_url, clock=lambda: now[0])
    first = tokens.token()
    now[0] += 200  # within the lifetime, before the refresh margin (60 s before expiry)
    assert tokens.token() == first and tokens.fetches == 1
    now[0] += 45  # 245 s: inside the margin -> a new token before the old one expires
    second = tokens.token()
    assert second != first and tokens.fetches == 2


def test_expired_token_is_refreshed_once_on_401(peer: PeerServer, smart_settings: OAuthSettings) -> None:
    tokens = TokenSource(smart_settings, peer.base_url)
    with client_for(peer, tokens) as client:
        assert search_count(client) == 202
        peer.peer.expire_tokens()  # the server now says the cached token has expired
        assert search_count(client) == 202  # 401 -> new token -> the same request again
        assert tokens.fetches == 2
        # a server that refuses every token: one retry, then the 401 is the answer
        peer.peer.config.token_lifetime = -1
        peer.peer.expire_tokens()
        with pytest.raises(IntakeflowError) as refused:
            search_count(client)
    assert "E030" in str(refused.value) and "401" in str(refused.value)
    assert tokens.fetches == 3


def test_shared_token_source_is_one_per_client(peer: PeerServer, smart_settings: OAuthSettings) -> None:
    a = shared_token_source(smart_settings, peer.base_url)
    b = shared_token_source(smart_settings, peer.base_url)
    c = shared_token_source(smart_settings, peer.base_url, verify=False)
    assert a is b and a is not c


# -- refusals with clear codes ------------------------------------------------------------------


def refusal(tokens: TokenSource) -> AuthError:
    with pytest.raises(AuthError) as refused:
        tokens.token()
    return refused.value


def test_key_not_registered_is_refused(peer: PeerServer) -> None:
    settings = OAuthSettings("smart", CLIENT_ID, private_key_pem=rsa_key_pem(seed=99), kid=KID)
    error = refusal(TokenSource(settings, peer.base_url))
    assert error.code_id == "E037" and error.params["error"] == "invalid_client" and error.params["status"] == 401
    assert "signature does not verify" in str(error)


def test_unknown_kid_is_refused(peer: PeerServer) -> None:
    settings = OAuthSettings("smart", CLIENT_ID, private_key_pem=rsa_key_pem(), kid="not-registered")
    error = refusal(TokenSource(settings, peer.base_url))
    assert error.params["error"] == "invalid_client" and "kid" in str(error)


def test_wrong_audience_is_refused(peer: PeerServer, smart_settings: OAuthSettings) -> None:
    # the same endpoint under another name: the assertion's aud is not the URL the server knows itself by
    other_name = peer.peer.token_url.replace("127.0.0.1", "localhost")
    settings = OAuthSettings("smart", CLIENT_ID, private_key_pem=rsa_key_pem(), kid=KID, token_url=other_name)
    error = refusal(TokenSource(settings, peer.base_url))
    assert error.code_id == "E037" and error.params["error"] == "invalid_client" and "aud" in str(error)


def test_replayed_jti_is_refused(peer: PeerServer, smart_settings: OAuthSettings, monkeypatch: pytest.MonkeyPatch) -> None:
    assertion = client_assertion(smart_settings, peer.peer.token_url)
    form = {"grant_type": "client_credentials", "scope": "system/Communication.rs",
            "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    assert httpx.post(peer.peer.token_url, data=form).status_code == 200
    replay = httpx.post(peer.peer.token_url, data=form)
    assert replay.status_code == 401 and replay.json()["error"] == "invalid_client"
    assert "jti" in replay.json()["error_description"]
    # the client itself never reuses a jti; one that did would be told so, coded
    monkeypatch.setattr("intakeflow.fhir_auth._new_jti", lambda: "always-the-same-jti")
    tokens = TokenSource(smart_settings, peer.base_url)
    tokens.token()
    tokens.invalidate()
    error = refusal(tokens)
    assert error.code_id == "E037" and error.params["error"] == "invalid_client" and "replay" in str(error)


def test_scope_not_allowed_is_refused(peer: PeerServer) -> None:
    settings = OAuthSettings("smart", CLIENT_ID, private_key_pem=rsa_key_pem(), kid=KID, scope="system/Observation.rs")
    error = refusal(TokenSource(settings, peer.base_url))
    assert error.params["error"] == "invalid_scope" and error.params["status"] == 400


@pytest.mark.parametrize(
    ("alg", "pem", "why"),
    [("RS384", "not a key", "not an unencrypted PEM"), ("ES384", "rsa", "EC P-384"), ("RS384", "ec", "RSA")],
)
def test_unusable_keys_fail_as_configuration(alg: str, pem: str, why: str) -> None:
    text = {"rsa": rsa_key_pem(), "ec": ec_key_pem()}.get(pem, pem)
    with pytest.raises(IntakeflowError, match=why) as bad:
        load_signing_key(text, alg)
    assert bad.value.code_id == "E050" and "PRIVATE KEY" not in str(bad.value)


# -- the connection -----------------------------------------------------------------------------


def fhir_conn(**kw: Any) -> Connection:
    extra = kw.pop("extra", {})
    return Connection(conn_id="c", conn_type="fhir", extra=json.dumps(extra), **kw)


def test_connection_reads_the_key_from_extra_file_variable_or_password(tmp_path: Path) -> None:
    pem = rsa_key_pem()
    key_file = tmp_path / "key.pem"
    key_file.write_text(pem)
    base = {"auth_type": "smart_backend", "client_id": "app", "kid": "k"}
    from_extra = settings_from_connection(fhir_conn(host="f.example", extra={**base, "private_key": pem}))
    from_file = settings_from_connection(fhir_conn(host="f.example", extra={**base, "private_key_path": str(key_file)}))
    from_var = settings_from_connection(fhir_conn(host="f.example", extra={**base, "private_key_variable": "fhir_key"}),
                                        variable={"fhir_key": pem}.get)
    from_password = settings_from_connection(fhir_conn(host="f.example", password=pem, extra=base))
    one_line = settings_from_connection(fhir_conn(host="f.example", extra={**base, "private_key": pem.replace("\n", "\\n")}))
    for s in (from_extra, from_file, from_var, from_password, one_line):
        assert s.oauth is not None and s.oauth.private_key_pem == pem and s.oauth.kind == "smart"
        assert (s.oauth.client_id, s.oauth.kid, s.oauth.scope, s.auth.kind) == ("app", "k", "system/Communication.rs", "smart")
        assert "PRIVATE KEY" not in repr(s) and "PRIVATE KEY" not in repr(s.oauth)
    cc = settings_from_connection(fhir_conn(host="f.example", login="app", password="sec",
                                            extra={"auth_type": "client_credentials", "scope": "system/Communication.rs"}))
    assert cc.oauth is not None and cc.oauth.client_secret == "sec" and "sec'" not in repr(cc)


@pytest.mark.parametrize(
    ("extra", "why"),
    [
        ({"auth_type": "smart_backend", "client_id": "a"}, "private key"),
        ({"auth_type": "smart_backend", "private_key": "x"}, "client id"),
        ({"auth_type": "smart_backend", "client_id": "a", "private_key": "x", "jwt_alg": "HS256"}, "jwt_alg"),
        ({"auth_type": "smart_backend", "client_id": "a", "private_key_path": "/nonexistent/key.pem"}, "could not be read"),
        ({"auth_type": "smart_backend", "client_id": "a", "private_key_variable": "unset"}, "not set"),
        ({"auth_type": "smart_backend", "client_id": "a", "private_key": "x", "token_url": "ftp://x"}, "token_url"),
        ({"auth_type": "client_credentials", "client_id": "a"}, "client secret"),
    ],
)
def test_incomplete_oauth_connections_raise_e050(extra: dict[str, Any], why: str) -> None:
    with pytest.raises(IntakeflowError, match=why) as bad:
        settings_from_connection(fhir_conn(host="f.example", extra=extra), variable=lambda name: None)
    assert bad.value.code_id == "E050"


def test_test_connection_reports_granted_scopes(peer: PeerServer, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = {"auth_type": "smart_backend", "client_id": CLIENT_ID, "kid": KID, "private_key": rsa_key_pem(),
             "scope": "system/Communication.rs system/Observation.rs"}
    monkeypatch.setenv("AIRFLOW_CONN_PEER_FHIR", json.dumps({"conn_type": "fhir", "host": peer.base_url, "extra": extra}))
    ok, message = FhirHook("peer_fhir").test_connection()
    assert ok, message
    assert message.startswith("FHIR 4.0.1 server; supports Communication; offers Bulk Data $export")
    assert f"token endpoint {peer.peer.token_url}" in message
    assert "granted scopes: system/Communication.rs" in message and "not granted: system/Observation.rs" in message
    wrong = {**extra, "private_key": rsa_key_pem(seed=99)}
    monkeypatch.setenv("AIRFLOW_CONN_PEER_FHIR", json.dumps({"conn_type": "fhir", "host": peer.base_url, "extra": wrong}))
    ok, message = FhirHook("peer_fhir").test_connection()
    assert not ok and message.startswith("E037") and "invalid_client" in message


def test_test_connection_when_the_server_states_no_scope(peer: PeerServer, monkeypatch: pytest.MonkeyPatch) -> None:
    peer.peer.config.state_scope = False
    extra = {"auth_type": "smart_backend", "client_id": CLIENT_ID, "kid": KID, "private_key": rsa_key_pem()}
    monkeypatch.setenv("AIRFLOW_CONN_PEER_FHIR", json.dumps({"conn_type": "fhir", "host": peer.base_url, "extra": extra}))
    ok, message = FhirHook("peer_fhir").test_connection()
    assert ok and message.endswith("granted scopes: not stated by the server (it grants what the app registered)")


def test_provider_form_offers_the_auth_fields() -> None:
    from intakeflow.provider.get_provider_info import get_provider_info

    fhir = next(c for c in get_provider_info()["connection-types"] if c["connection-type"] == "fhir")
    fields = fhir["conn-fields"]
    assert fields["auth_type"]["schema"]["enum"] == ["none", "basic", "bearer", "client_credentials", "smart_backend"]
    for name in ("client_id", "scope", "token_url", "jwt_alg", "kid", "jwks_url", "private_key_path", "private_key",
                 "private_key_variable"):
        assert fields[name]["label"] and fields[name]["description"]
    assert fields["private_key"]["schema"]["format"] == "password"  # Airflow masks it in the form
    assert fields["jwt_alg"]["schema"]["enum"] == ["RS384", "ES384"]


# -- secrets never logged -----------------------------------------------------------------------


def test_keys_secrets_and_tokens_are_never_logged(
    peer: PeerServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, httpx and httpcore included
    pem = rsa_key_pem()
    peer.peer.register(PeerClient("app-secret", secret="s3cret-value-xyz"))
    peer.peer.add(communications(3))
    errors: list[str] = []
    extra = {"auth_type": "smart_backend", "client_id": CLIENT_ID, "kid": KID, "private_key": pem}
    monkeypatch.setenv("AIRFLOW_CONN_PEER_FHIR", json.dumps({"conn_type": "fhir", "host": peer.base_url, "extra": extra}))
    hook = FhirHook("peer_fhir")
    assert hook.test_connection()[0]
    with hook.get_conn() as client:
        search_count(client)
        errors.append(repr(client.auth))
    errors.append(repr(hook.settings))
    for settings in (OAuthSettings("smart", CLIENT_ID, private_key_pem=rsa_key_pem(seed=99), kid=KID),
                     OAuthSettings("client_credentials", "app-secret", client_secret="not-it-s3cret")):
        try:
            TokenSource(settings, peer.base_url).token()
        except AuthError as exc:
            errors.append(str(exc))
            errors.append(repr(exc))
        errors.append(repr(settings))
    ok_secret = TokenSource(OAuthSettings("client_credentials", "app-secret", client_secret="s3cret-value-xyz"),
                            peer.base_url)
    ok_secret.token()
    errors.append(repr(ok_secret))
    issued = list(peer.peer.tokens)
    assert issued and caplog.records
    text = caplog.text + "\n".join(errors)
    key_body = "".join(pem.splitlines()[1:-1])
    for secret in (key_body[:40], key_body[-40:], "PRIVATE KEY", "s3cret-value-xyz", "not-it-s3cret", *issued):
        assert secret not in text
    assert "eyJ" not in text  # no JWT (assertion) at all
