"""``intakeflow recognizers``: the recognizers a deployment can tune, as it tuned them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intakeflow.cli import main
from intakeflow.pipeline.recognizers import ALL_RECOGNIZERS


def test_lists_every_recognizer_with_named_patterns(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recognizers", "--json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in entries] == sorted(ALL_RECOGNIZERS)
    ssn = next(e for e in entries if e["name"] == "ssn")
    assert set(ssn["patterns"]) == {"full", "bare", "masked", "last4", "last4_alone", "other_number"}
    assert ssn["enabled"] and not ssn["overridden"]


def test_shows_a_site_files_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site.json"
    site.write_text(json.dumps({"recognizers": {"mrn": {"context": ["unit number"]}, "plate": {"enabled": False}}}))
    assert main(["recognizers", "--json", "--site-formats", str(site)]) == 0
    by_name = {e["name"]: e for e in json.loads(capsys.readouterr().out)}
    assert by_name["mrn"]["context"] == ["unit number"] and by_name["mrn"]["overridden"]
    assert not by_name["plate"]["enabled"]
    assert main(["recognizers", "mrn", "--site-formats", str(site)]) == 0
    assert "mrn 1.0.0 (overridden)" in capsys.readouterr().out


def test_unknown_name_or_bad_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recognizers", "nosuch"]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"recognizers": {"nosuch": {}}}))
    assert main(["recognizers", "--site-formats", str(bad)]) == 2
    assert "E050" in capsys.readouterr().err
