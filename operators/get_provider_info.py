"""Provider metadata read by Airflow's ProvidersManager (entry point ``apache_airflow_provider``).

Connection fields are declared here (``conn-fields``, ``ui-field-behaviour``), the
Airflow 3.2+ way: the UI builds the forms without importing the hooks.
"""

from __future__ import annotations

from typing import Any

import intakeflow

_PKG = "intakeflow.provider"
_INTEGRATION = "intakeflow"


def _string(label: str, description: str, default: str | None = None, **schema: Any) -> dict[str, Any]:
    field_schema: dict[str, Any] = {"type": ["string", "null"], **schema}
    if default is not None:
        field_schema["default"] = default
    return {"label": label, "description": description, "schema": field_schema}


_FHIR_FIELDS: dict[str, Any] = {
    "auth_type": _string(
        "Auth type",
        "none; basic (login + password); bearer (token in password); client_credentials (OAuth client id + "
        "secret in password); smart_backend (SMART Backend Services: a JWT signed with the private key below)",
        "none",
        enum=["none", "basic", "bearer", "client_credentials", "smart_backend"],
    ),
    "client_id": _string("Client id", "OAuth client id the EHR assigned (client_credentials, smart_backend); "
                         "default: the login"),
    "scope": _string("Scopes", "Space-separated scopes to request", "system/Communication.rs"),
    "token_url": _string("Token endpoint", "Leave empty to read it from [base]/.well-known/smart-configuration"),
    "jwt_alg": _string("JWT signing algorithm", "smart_backend: RS384 (RSA key) or ES384 (EC P-384 key)", "RS384",
                       enum=["RS384", "ES384"]),
    "kid": _string("Key id (kid)", "smart_backend: the kid of the public key registered at the EHR"),
    "jwks_url": _string("JWKS URL", "smart_backend: the JWKS URL registered at the EHR, sent as the JWT's jku "
                        "header; leave empty when a public key was registered"),
    "private_key_path": _string("Private key file", "smart_backend: PEM file on the workers and triggerer"),
    "private_key": _string("Private key (PEM)", "smart_backend: the PEM text itself (masked in logs)",
                           format="password"),
    "private_key_variable": _string("Private key variable", "smart_backend: name of an Airflow Variable holding "
                                    "the PEM, read through the configured secrets backend"),
    "verify": {
        "label": "Verify TLS certificates",
        "description": "Turn off only for a local test server",
        "schema": {"type": ["boolean", "null"], "default": True},
    },
    "ca_bundle": _string("CA bundle path", "PEM file of trusted CAs for a private PKI"),
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "Per request",
        "schema": {"type": ["number", "null"], "default": 30},
    },
}

_ANTHROPIC_FIELDS: dict[str, Any] = {
    "model": _string("Model", "Model id the fallback calls"),
    "base_url": _string("Base URL", "Leave empty for the public API"),
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "Per request",
        "schema": {"type": ["number", "null"], "default": 60},
    },
}


def get_provider_info() -> dict[str, Any]:
    return {
        "package-name": "intakeflow",
        "name": "intakeflow",
        "description": "Route, redact and extract inbound patient messages (FHIR R4 Communication, HL7 v2).",
        "versions": [intakeflow.__version__],
        "integrations": [
            {
                "integration-name": _INTEGRATION,
                "external-doc-url": "https://hl7.org/fhir/R4/communication.html",
                "tags": ["software"],
            }
        ],
        "hooks": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    f"{_PKG}.hooks.fhir",
                    f"{_PKG}.hooks.anthropic",
                    f"{_PKG}.hooks.store",
                ],
            }
        ],
        "operators": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    f"{_PKG}.operators.hl7",
                    f"{_PKG}.operators.fhir",
                    f"{_PKG}.operators.fhir_bulk",
                    f"{_PKG}.operators.process",
                    f"{_PKG}.operators.reprocess",
                    f"{_PKG}.operators.store",
                    f"{_PKG}.operators.watchdog",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [f"{_PKG}.sensors.hl7", f"{_PKG}.sensors.fhir"],
            }
        ],
        "triggers": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [f"{_PKG}.triggers.hl7", f"{_PKG}.triggers.fhir"],
            }
        ],
        "notifications": [f"{_PKG}.notifications.alerts.LogNotifier"],
        "connection-types": [
            {
                "hook-class-name": f"{_PKG}.hooks.fhir.FhirHook",
                "hook-name": "FHIR R4",
                "connection-type": "fhir",
                "conn-fields": _FHIR_FIELDS,
                "ui-field-behaviour": {
                    "hidden-fields": ["schema"],
                    "relabeling": {
                        "host": "Base URL",
                        "login": "Username (basic) or client id",
                        "password": "Password, bearer token or client secret",
                    },
                    "placeholders": {"host": "https://fhir.example.org/r4"},
                },
            },
            {
                "hook-class-name": f"{_PKG}.hooks.anthropic.AnthropicHook",
                "hook-name": "Anthropic (intakeflow fallback)",
                "connection-type": "anthropic",
                "conn-fields": _ANTHROPIC_FIELDS,
                "ui-field-behaviour": {
                    "hidden-fields": ["host", "schema", "port", "login"],
                    "relabeling": {"password": "API key"},
                    "placeholders": {},
                },
            },
        ],
        "config": {
            "intakeflow": {
                "description": "Settings of the intakeflow monitoring page (Browse > intakeflow in the UI).",
                "options": {
                    "monitor_postgres_conn_id": {
                        "description": "Postgres connection of the store the monitoring page reads.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "intakeflow_postgres",
                        "default": "intakeflow_postgres",
                    },
                    "monitor_schemas": {
                        "description": "Comma-separated store schemas the page offers; the first is the default.",
                        "version_added": "0.1.0",
                        "type": "string",
                        "example": "intakeflow,intakeflow_research",
                        "default": "intakeflow",
                    },
                },
            },
        },
    }
