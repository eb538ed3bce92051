"""The ``intakeflow`` command line: predict keeps every line, eval prints the tables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from intakeflow.cli import main


def test_predict_writes_one_record_per_line_and_flags_bad_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        json.dumps({"id": "ok-1", "text": "Hi, my Aetna member ID is W123456789, what is my copay?", "channel": "portal"}),
        "this is not json",
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "empty", "text": "   "}),
    ]
    src.write_bytes(("\n".join(lines) + "\n").encode() + b'{"id": "bad-bytes", "text": "\xff\xfe"}\n')
    out = tmp_path / "out.jsonl"
    assert main(["predict", str(src), "-o", str(out), "--quiet"]) == 0
    recs = [json.loads(x) for x in out.read_text().splitlines()]
    assert [r["id"] for r in recs] == ["ok-1", "line-2", "no-text", "empty", "line-5"]
    assert [r.get("error_code") for r in recs] == [None, "E006", "E005", "E001", "E004"]
    ok = recs[0]
    assert ok["intent"] and 0 <= ok["intent_confidence"] <= 1 and ok["channel"] == "portal"
    assert {"phi", "insurance", "redacted_text", "insurance_json", "needs_review"} <= set(ok)
    text = json.loads(lines[0])["text"]
    assert any(text[s["start"] : s["end"]] == "W123456789" for s in ok["insurance"])
    err = capsys.readouterr()
    assert "W123456789" not in err.err + err.out  # no message text on the console


def test_eval_scores_predictions_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gold = tmp_path / "gold.jsonl"
    rec = {"id": "g1", "text": "call 617-555-0101", "intent": "appointment_request",
           "phi": [{"start": 5, "end": 17, "label": "PHONE"}], "insurance": []}  # fmt: skip
    gold.write_text(json.dumps(rec) + "\n")
    assert main(["eval", str(gold), "--predictions", str(gold), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["phi"]["macro_f1"] == 1.0 and report["intent"]["accuracy"] == 1.0


def test_bench_outside_a_checkout_is_a_coded_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from intakeflow import cli

    monkeypatch.setattr(cli, "checkout_tools", lambda folder="tools": False)
    assert cli.main(["bench", "--no-presidio"]) == 1
    assert capsys.readouterr().err.startswith("E052:")


@pytest.mark.parametrize("command", [["generate", "-o", "x.jsonl"], ["train"], ["export", "ckpt", "--out", "x"]])
def test_training_outside_a_checkout_is_a_coded_error(
    command: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The generator, training and export live in models/ of a checkout, not in the wheel."""
    from intakeflow import cli

    monkeypatch.setattr(cli, "checkout_tools", lambda folder="tools": False)
    assert cli.main(command) == 1
    assert capsys.readouterr().err.startswith(f"E052: intakeflow {command[0]} ")


def test_checkout_tools_finds_the_tools_folder() -> None:
    from intakeflow import cli

    assert cli.checkout_tools()
    import tools.bench

    assert callable(tools.bench.run_bench)
    assert cli.checkout_tools("models")
    import models.train

    assert callable(models.train.train)


def test_predict_in_processes_gives_the_same_lines_in_input_order(tmp_path: Path) -> None:
    """Batches go to whichever process is free and come back in order: the file is the same,
    byte for byte, as one process's (bad lines between batches included)."""
    src = tmp_path / "in.jsonl"
    texts = [
        "Hi, my Aetna member ID is W123456789, what is my copay?",
        "Can I move my appointment with Dr. Okafor to Tuesday? Call me at 617-555-0101.",
        "I have had chest pain since last night and my left arm feels numb.",
        "How much is an MRI of the knee without insurance?",
    ]
    lines = [json.dumps({"id": f"m{i}", "text": texts[i % len(texts)]}) for i in range(9)]
    lines.insert(5, "not json")
    src.write_text("\n".join(lines) + "\n")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert main(["predict", str(src), "-o", str(one), "--quiet", "--batch", "2"]) == 0
    assert main(["predict", str(src), "-o", str(two), "--quiet", "--batch", "2", "--processes", "2"]) == 0
    assert two.read_bytes() == one.read_bytes()
    assert [json.loads(x)["id"] for x in two.read_text().splitlines()][4:7] == ["m4", "line-6", "m5"]
    assert not list(tmp_path.glob("*.partial"))


def test_predict_without_a_model_is_one_coded_line_and_leaves_no_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "m1", "text": "Please call me back about my bill."}) + "\n")
    out = tmp_path / "out.jsonl"
    for processes in ("1", "2"):
        assert main(["predict", str(src), "-o", str(out), "--quiet", "--model", str(tmp_path / "none"),
                     "--processes", processes]) == 1
        err = capsys.readouterr().err
        assert err.startswith("E010:") and "Traceback" not in err and err.count("\n") == 1
        assert not out.exists() and not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("option", ["--processes", "--batch", "--threads"])
def test_predict_refuses_counts_below_one(option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["predict", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), option, "0"])
    assert info.value.code == 2 and "must be at least 1" in capsys.readouterr().err
