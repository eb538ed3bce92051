"""The ``intakeflow`` command line: predict keeps every line, eval prints the tables."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
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


def test_bench_without_its_gold_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--no-presidio", "--gold", str(tmp_path / "nope.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("intakeflow bench: ") and "--gold" in err and "Traceback" not in err


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "one.jsonl", "two.jsonl"]


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
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]


@pytest.mark.parametrize("option", ["--processes", "--batch", "--threads"])
def test_predict_refuses_counts_below_one(option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["predict", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl"), option, "0"])
    assert info.value.code == 2 and "must be at least 1" in capsys.readouterr().err


def test_predict_results_are_owner_only_and_an_existing_files_mode_is_kept(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "m1", "text": "My member ID is W123456789."}) + "\n")
    new, old = tmp_path / "new.jsonl", tmp_path / "old.jsonl"
    old.write_text("earlier results\n")
    old.chmod(0o640)
    for out in (new, old):
        assert main(["predict", str(src), "-o", str(out), "--quiet"]) == 0
        assert json.loads(out.read_text())["id"] == "m1"
    assert new.stat().st_mode & 0o777 == 0o600  # results hold PHI
    assert old.stat().st_mode & 0o777 == 0o640


def test_predict_writes_to_a_device_as_it_is(tmp_path: Path) -> None:
    """No temporary file and rename for what is not a regular file: /dev/null stays a device."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "m1", "text": "Please call me back."}) + "\n")
    assert main(["predict", str(src), "-o", os.devnull, "--quiet"]) == 0
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


@pytest.mark.parametrize(("what", "says"), [("input", "no such file"), ("output folder", "no such folder"),
                                            ("output is a folder", "a folder, not a file")])
def test_predict_with_a_wrong_path_is_a_usage_error(what: str, says: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "m1", "text": "Hello"}) + "\n")
    output = {"input": tmp_path / "out.jsonl", "output folder": tmp_path / "nodir" / "out.jsonl",
              "output is a folder": tmp_path}[what]
    source = tmp_path / "nope.jsonl" if what == "input" else src
    assert main(["predict", str(source), "-o", str(output), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("intakeflow predict: ") and says in err and "Traceback" not in err


def test_a_lone_surrogate_escape_gets_a_result_and_valid_utf8(tmp_path: Path) -> None:
    """JSON lets a sender escape half a surrogate pair; the result is still written, as UTF-8."""
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "s1", "text": "Call me at 617-555-0101 \\ud83d thanks"}\n')
    out = tmp_path / "out.jsonl"
    assert main(["predict", str(src), "-o", str(out), "--quiet"]) == 0
    record = json.loads(out.read_bytes().decode("utf-8"))
    assert record["id"] == "s1" and "error_code" not in record
    assert "617-555-0101" not in record["redacted_text"] and "\ufffd" in record["redacted_text"]


def _children(pid: int) -> list[int]:
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def test_predict_stopped_by_sigterm_leaves_no_process_and_no_file(tmp_path: Path) -> None:
    """What a scheduler or ``timeout`` sends: the spawned processes end with the run, and
    no partial file (which would hold PHI) is left."""
    src = tmp_path / "in.jsonl"
    text = "Hi, my Aetna member ID is W123456789, can I book a visit for Tuesday? " * 8
    src.write_text("".join(json.dumps({"id": f"m{i}", "text": text}) + "\n" for i in range(3000)))
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "intakeflow.cli", "predict", str(src), "-o", str(out),
                             "--processes", "2", "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(_children(proc.pid)) < 2 and time.monotonic() < deadline:  # the spawned processes are up
        time.sleep(0.2)
    time.sleep(3)  # and working
    children = _children(proc.pid)
    assert children, "no spawned process was seen"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err.decode()[-2000:]
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{c}").exists() for c in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(Path(f"/proc/{c}").exists() for c in children)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
    assert b"W123456789" not in err
