"""``intakeflow stage fhir-bulk``: a FHIR Bulk Data ``$export`` of Communications into the
staging store, without Airflow, on the core the operator runs (``BulkExporter``), with the
connection's auth types (SMART Backend Services, client_credentials, bearer, basic).

Incremental and resumable as the operator: ``_since`` is the ``transactionTime`` of this
source's last complete export (kept in the store), and a run that was killed is continued by
the next one from its checkpoints. Prints one JSON line of counts; ``--check`` prints what
the server offers and which scopes it grants instead of exporting; ``--print-jwks`` prints
the public JWKS of ``--private-key`` (what to register at the EHR). Secrets come from the
environment, never from arguments (process lists show those): ``$INTAKEFLOW_FHIR_PRIVATE_KEY``
(PEM text, instead of ``--private-key FILE``), ``$INTAKEFLOW_FHIR_CLIENT_SECRET``,
``$INTAKEFLOW_FHIR_TOKEN`` (bearer), ``$INTAKEFLOW_FHIR_PASSWORD`` (basic).

Exit status: 0 when done; 2 on usage and configuration errors; 1 when the store or the FHIR
server cannot be reached or refuses (one catalogue-coded line on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from intakeflow.cli.common import usage_error
from intakeflow.cli.store import Unreachable, _guarded, _open_store, _run_id, _source_name, _store_args, _version
from intakeflow.errors import IntakeflowError

if TYPE_CHECKING:
    from intakeflow.sources.fhir_client import FhirClient

PRIVATE_KEY_ENV = "INTAKEFLOW_FHIR_PRIVATE_KEY"
CLIENT_SECRET_ENV = "INTAKEFLOW_FHIR_CLIENT_SECRET"
TOKEN_ENV = "INTAKEFLOW_FHIR_TOKEN"
PASSWORD_ENV = "INTAKEFLOW_FHIR_PASSWORD"
AUTH_CHOICES = ("none", "basic", "bearer", "client_credentials", "smart_backend")


def _instant(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("an ISO 8601 instant such as 2026-01-01T00:00:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def add_fhir_bulk_parser(kinds: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``stage fhir-bulk`` on the ``stage`` command's subparsers."""
    sp = kinds.add_parser(
        "fhir-bulk", help="a FHIR Bulk Data $export of Communications (incremental, resumable)",
        description="Kick off a Bulk Data export (_type=Communication, _since = the last complete export), wait "
                    "for it by Retry-After, stream and stage its NDJSON files, and DELETE the job. Secrets come "
                    f"from ${PRIVATE_KEY_ENV}, ${CLIENT_SECRET_ENV}, ${TOKEN_ENV} and ${PASSWORD_ENV}.")
    sp.add_argument("base_url", metavar="FHIR_URL", help="FHIR R4 base URL of the server")
    _store_args(sp)
    sp.add_argument("--source", type=_source_name, default=None,
                    help="staging source name, also what the watermark is kept for (default: fhir)")
    sp.add_argument("--level", choices=("system", "patient", "group"), default="system",
                    help="export level (default: system)")
    sp.add_argument("--group", default=None, metavar="ID", help="the Group id of a group export")
    sp.add_argument("--since", type=_instant, default=None,
                    help="explicit _since (default: transactionTime of the last complete export; none: everything)")
    sp.add_argument("--status", action="append", dest="statuses", metavar="STATUS",
                    help="Communication status to stage, repeatable (default: completed; 'any' stages all)")
    auth = sp.add_argument_group("auth")
    auth.add_argument("--auth", choices=AUTH_CHOICES, default="none", help="auth type (default: none)")
    auth.add_argument("--client-id", default=None, help="OAuth client id (client_credentials, smart_backend)")
    auth.add_argument("--scope", default="system/Communication.rs", help="scopes to request (space-separated)")
    auth.add_argument("--token-url", default=None,
                      help="token endpoint (default: from [base]/.well-known/smart-configuration)")
    auth.add_argument("--private-key", default=None, metavar="FILE",
                      help=f"PEM private key file for smart_backend (or the PEM in ${PRIVATE_KEY_ENV})")
    auth.add_argument("--jwt-alg", choices=("RS384", "ES384"), default="RS384", help="signing algorithm (default: RS384)")
    auth.add_argument("--kid", default=None, help="key id of the registered public key")
    auth.add_argument("--jwks-url", default=None, help="the registered JWKS URL (sent as the JWT's jku)")
    auth.add_argument("--username", default=None, help=f"basic auth user (password in ${PASSWORD_ENV})")
    auth.add_argument("--ca-bundle", default=None, metavar="FILE", help="PEM file of trusted CAs")
    auth.add_argument("--timeout", type=float, default=30.0, help="per-request timeout in seconds (default: 30)")
    sp.add_argument("--keep-job", action="store_true", help="do not DELETE the export at the server when done")
    sp.add_argument("--max-wait", type=float, default=6 * 3600.0,
                    help="seconds to wait for the export (default: 6 h); a later run resumes it")
    sp.add_argument("--check", action="store_true",
                    help="print what the server offers and the scopes it grants (one JSON object); export nothing")
    sp.add_argument("--print-jwks", action="store_true",
                    help="print the public JWKS of the private key (to register at the EHR) and exit")
    sp.add_argument("--quiet", action="store_true", help="no progress bar")
    sp.set_defaults(func=cmd_stage_fhir_bulk, kind="fhir-bulk")


def cmd_stage_fhir_bulk(args: argparse.Namespace) -> int:
    from intakeflow.bulk_export import BulkExporter, ExportCounts
    from intakeflow.sources.fhir_bulk import ExportRequest
    from intakeflow.store.staged import RunRef

    try:
        if args.print_jwks:
            return _print_jwks(args)
        request = ExportRequest(level=args.level, group_id=args.group, since=args.since)
        version = None if args.check else _version(args.model)
        client = build_client(args)
    except IntakeflowError as exc:
        return usage_error("stage fhir-bulk", str(exc))
    statuses = args.statuses or ["completed"]
    with ExitStack() as stack:
        stack.enter_context(client)
        try:
            if args.check:
                print(json.dumps(check(client, args.scope if args.auth in ("client_credentials", "smart_backend") else None)))
                return 0
            assert version is not None
            store = _open_store(args, version, stack, migrate=True)
            from tqdm import tqdm

            bar = stack.enter_context(tqdm(unit="line", file=sys.stderr, disable=args.quiet))

            def progress(counts: ExportCounts) -> None:
                bar.update(counts.lines - bar.n)

            exporter = BulkExporter(
                client, store, request, source=args.source or "fhir",
                statuses=None if "any" in statuses else frozenset(statuses),
                run=RunRef(None, _run_id("stage-fhir-bulk")), delete_job=not args.keep_job,
                max_wait_s=args.max_wait, on_batch=progress)
            counts = _guarded(exporter.run)
        except Unreachable as exc:
            print(exc.line, file=sys.stderr)
            return 1
        except IntakeflowError as exc:
            print(str(exc), file=sys.stderr)
            return 1
    print(json.dumps(counts.as_dict()))
    return 0


def build_client(args: argparse.Namespace) -> FhirClient:
    """The FHIR client of the command line's auth options (E050 when one is missing)."""
    from intakeflow.errors import E
    from intakeflow.fhir_auth import OAuthSettings, read_private_key, shared_token_source
    from intakeflow.sources.fhir_client import FhirAuth, FhirClient

    verify: bool | str = args.ca_bundle or True
    if args.auth == "basic":
        if not args.username:
            raise IntakeflowError(E.E050_CONFIG, why="basic auth needs --username")
        auth = FhirAuth("basic", username=args.username, password=os.environ.get(PASSWORD_ENV, ""))
    elif args.auth == "bearer":
        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise IntakeflowError(E.E050_CONFIG, why=f"bearer auth needs ${TOKEN_ENV}")
        auth = FhirAuth("bearer", token=token)
    elif args.auth in ("client_credentials", "smart_backend"):
        if args.auth == "client_credentials":
            settings = OAuthSettings("client_credentials", args.client_id or "", scope=args.scope,
                                     token_url=args.token_url, client_secret=os.environ.get(CLIENT_SECRET_ENV))
        else:
            pem = read_private_key(args.private_key) if args.private_key else os.environ.get(PRIVATE_KEY_ENV)
            settings = OAuthSettings("smart", args.client_id or "", scope=args.scope, token_url=args.token_url,
                                     private_key_pem=pem, algorithm=args.jwt_alg, kid=args.kid, jwks_url=args.jwks_url)
        base = args.base_url.rstrip("/")
        tokens = shared_token_source(settings, base, verify=verify, timeout=args.timeout)
        auth = FhirAuth(settings.kind, tokens=tokens)
    else:
        auth = FhirAuth()
    return FhirClient(args.base_url, auth, verify=verify, timeout=args.timeout)


def check(client: FhirClient, scope: str | None) -> dict[str, Any]:
    """What ``--check`` prints: the CapabilityStatement's version and whether it lists
    Communication and $export; the SMART configuration's token endpoint; for OAuth, the scopes
    granted and those asked for but not granted."""
    from intakeflow.fhir_auth import SMART_CONFIG_PATH, missing_scopes, scopes_of

    capability = client.capability()
    rests = [r for r in capability.get("rest", []) or [] if isinstance(r, dict)]
    resources = [r for rest in rests for r in rest.get("resource", []) or [] if isinstance(r, dict)]
    operations = {str(op.get("name", "")).lstrip("$") for holder in [*rests, *resources]
                  for op in holder.get("operation", []) or [] if isinstance(op, dict)}
    report: dict[str, Any] = {
        "fhir_version": capability.get("fhirVersion"),
        "communication": any(r.get("type") == "Communication" for r in resources),
        "bulk_export": "export" in operations,
    }
    response = client.request("GET", SMART_CONFIG_PATH, headers={"Accept": "application/json"}, ok_statuses=(404,))
    smart = response.json() if response.status_code == 200 else None
    report["smart_token_endpoint"] = smart.get("token_endpoint") if isinstance(smart, dict) else None
    tokens = client.auth.tokens
    if tokens is not None and scope is not None:
        tokens.token()
        granted = scopes_of(tokens.granted_scope)
        report["granted_scopes"] = granted or None  # None: the token answer states no scope
        report["not_granted"] = missing_scopes(scopes_of(scope), granted) if granted else None
    return report


def _print_jwks(args: argparse.Namespace) -> int:
    from intakeflow.fhir_auth import public_jwks, read_private_key

    pem = read_private_key(args.private_key) if args.private_key else os.environ.get(PRIVATE_KEY_ENV)
    if not pem:
        return usage_error("stage fhir-bulk", f"--print-jwks needs --private-key or ${PRIVATE_KEY_ENV}")
    print(json.dumps(public_jwks(pem, args.jwt_alg, kid=args.kid), indent=2))
    return 0
