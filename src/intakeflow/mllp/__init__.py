"""Live HL7 v2 feed: an MLLP listener that stages each message before it acknowledges it.

Names are imported on first use, so ``intakeflow --help`` does not load hl7apy and psycopg.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from intakeflow.mllp.ack import AckCode, AckError, MshHeader, ack_wanted, answer_code, build_ack, read_msh
    from intakeflow.mllp.framing import Frame, FrameReader, FrameTruncated, frame
    from intakeflow.mllp.intake import MLLP_SOURCE, Intake, Verdict
    from intakeflow.mllp.server import ListenerConfig, MllpServer, tls_context
    from intakeflow.mllp.staging import KeptConnectionStore

_WHERE = {
    "AckCode": "ack", "AckError": "ack", "MshHeader": "ack", "build_ack": "ack", "read_msh": "ack",
    "ack_wanted": "ack", "answer_code": "ack", "KeptConnectionStore": "staging",
    "Frame": "framing", "FrameReader": "framing", "FrameTruncated": "framing", "frame": "framing",
    "MLLP_SOURCE": "intake", "Intake": "intake", "Verdict": "intake",
    "ListenerConfig": "server", "MllpServer": "server", "tls_context": "server",
}  # fmt: skip

__all__ = [
    "MLLP_SOURCE",
    "AckCode",
    "AckError",
    "Frame",
    "FrameReader",
    "FrameTruncated",
    "Intake",
    "KeptConnectionStore",
    "ListenerConfig",
    "MllpServer",
    "MshHeader",
    "Verdict",
    "ack_wanted",
    "answer_code",
    "build_ack",
    "frame",
    "read_msh",
    "tls_context",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"intakeflow.mllp.{_WHERE[name]}"), name)
