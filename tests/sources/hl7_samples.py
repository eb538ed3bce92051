"""Synthetic HL7 v2 builders for the source tests (no real patient data)."""

from __future__ import annotations

MSH = "MSH|^~\\&|PORTAL|NORTHCLINIC|INTAKE|NORTHCLINIC|20240305143000-0500||ORU^R01|{ctrl}|P|2.5.1"
PID = "PID|1||MR-000123^^^NORTHCLINIC^MR~ALT-9^^^OTHER^PI||Testpatient^Alex"
OBX_TX = "OBX|1|TX|NOTE^Patient message||{text}||||||F"
OBX_NM = "OBX|2|NM|8867-4^Heart rate^LN||72|/min|||||F"
NTE = "NTE|1||{text}"


def message(ctrl: str = "CTRL0001", text: str = "please call me back about my refill", sep: str = "\r") -> str:
    return sep.join([MSH.format(ctrl=ctrl), PID, OBX_TX.format(text=text), OBX_NM]) + sep


def message_without_text(ctrl: str = "CTRL0002") -> str:
    return "\r".join([MSH.format(ctrl=ctrl), PID, OBX_NM]) + "\r"
