"""The graph without its attention-mask bias gives the artifact's own answers, bit for bit, on
every call without padding; padded calls still get the artifact's own graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from intakeflow.pipeline.model.encoding import PAD_ID, SPECIAL_SHAPE, encode, pack, windows
from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT, OnnxModel
from intakeflow.pipeline.model.unpadded import unpadded_graph
from tests.pipeline.model.test_runtime_batching import TEXTS

GRAPH = DEFAULT_ARTIFACT / "model.onnx"


@pytest.fixture(scope="module")
def model() -> OnnxModel:
    return OnnxModel(DEFAULT_ARTIFACT)


@pytest.fixture(scope="module")
def reference(model: OnnxModel) -> ort.InferenceSession:
    """The artifact's own graph, with the session options the model uses."""
    return model._session(GRAPH)


def _feed(ids: np.ndarray, shapes: np.ndarray, mask: np.ndarray) -> dict[str, np.ndarray]:
    return {"input_ids": ids, "shape_ids": shapes, "attention_mask": mask}


def _assert_equal(got: list[np.ndarray], want: list[np.ndarray]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape and np.array_equal(g, w)


def test_bias_and_its_subgraph_are_left_out() -> None:
    original = onnx.load(str(GRAPH))
    data = unpadded_graph(GRAPH)
    assert data is not None
    rewritten = onnx.load_from_string(data)
    softmaxes = [n for n in original.graph.node if n.op_type == "Softmax"]
    assert softmaxes
    producers = {o: n for n in rewritten.graph.node for o in n.output}
    for node in rewritten.graph.node:
        if node.op_type == "Softmax":  # the scores now come straight from the scaled product
            assert producers[node.input[0]].op_type != "Add"
    assert len(rewritten.graph.node) < len(original.graph.node) - len(softmaxes)
    assert [o.name for o in rewritten.graph.output] == [o.name for o in original.graph.output]


def test_model_runs_unpadded_calls_on_the_rewritten_graph(model: OnnxModel) -> None:
    # the artifact's own graph is not even loaded until a padded call needs it
    fresh = OnnxModel(DEFAULT_ARTIFACT)
    fresh.predict(TEXTS)
    assert fresh._masked_session is None


def test_unpadded_windows_match_the_artifact_bit_for_bit(model: OnnxModel, reference: ort.InferenceSession) -> None:
    for text in TEXTS:
        enc = encode(model.tokenizer, text)
        for win in windows(len(enc), model.window, model.stride):
            ids, shapes, mask = pack(enc, [win])
            _assert_equal(model.run(ids, shapes, mask), reference.run(None, _feed(ids, shapes, mask)))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(min_value=0, max_value=30_000), min_size=1, max_size=254),
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=1, max_value=3),
)
def test_any_full_length_input_matches(model: OnnxModel, reference: ort.InferenceSession, tokens: list[int],
                                       shape: int, rows: int) -> None:
    ids = np.array([tokens] * rows, dtype=np.int64)
    shapes = np.full_like(ids, shape)
    mask = np.ones_like(ids)
    _assert_equal(model.run(ids, shapes, mask), reference.run(None, _feed(ids, shapes, mask)))


def test_padded_calls_use_the_artifacts_graph(reference: ort.InferenceSession) -> None:
    model = OnnxModel(DEFAULT_ARTIFACT)
    assert model._masked_session is None
    texts = [TEXTS[0], TEXTS[-1]]
    encs = [encode(model.tokenizer, t) for t in texts]
    rows = [pack(e, [windows(len(e), model.window, model.stride)[0]]) for e in encs]
    width = max(r[0].shape[1] for r in rows)

    def stacked(k: int, fill: int) -> np.ndarray:
        return np.concatenate([np.pad(r[k], ((0, 0), (0, width - r[k].shape[1])), constant_values=fill) for r in rows])

    # padding as pack() writes it: PAD ids, the special shape, mask 0
    ids, shapes, mask = stacked(0, PAD_ID), stacked(1, SPECIAL_SHAPE), stacked(2, 0)
    assert not mask.all()
    got = model.run(ids, shapes, mask)
    assert model._masked_session is not None and model._masked_session is not model.session
    _assert_equal(got, reference.run(None, _feed(ids, shapes, mask)))
    # without the bias the padded row's answers would differ: the rewrite is not valid here
    wrong = model.session.run(None, _feed(ids, shapes, mask))
    assert not all(np.array_equal(a, b) for a, b in zip(wrong, got))


def _toy_attention(tmp_path: Path, bias_from: str) -> Path:
    """scores (from the ids' values) + a bias that comes from the mask alone -> Softmax. The
    bias is the usual ``(1 - mask) * -10000`` (``bias_from="values"``: zero for a full mask),
    or a position bias built from the mask's shape (``"shape"``: never zero)."""
    h = onnx.helper
    nodes = [h.make_node("Cast", ["input_ids"], ["ids_f"], to=onnx.TensorProto.FLOAT),
             h.make_node("Unsqueeze", ["ids_f", "axis1"], ["scores"])]
    if bias_from == "values":
        nodes += [h.make_node("Cast", ["attention_mask"], ["mask_f"], to=onnx.TensorProto.FLOAT),
                  h.make_node("Sub", ["one", "mask_f"], ["inverted"]),
                  h.make_node("Mul", ["inverted", "big"], ["bias2d"]),
                  h.make_node("Unsqueeze", ["bias2d", "axis1"], ["bias"])]
    else:
        nodes += [h.make_node("Shape", ["attention_mask"], ["mask_shape"]),
                  h.make_node("Gather", ["mask_shape", "last"], ["length"]),
                  h.make_node("Range", ["zero_i", "length", "one_i"], ["positions"]),
                  h.make_node("Cast", ["positions"], ["bias"], to=onnx.TensorProto.FLOAT)]
    nodes += [h.make_node("Add", ["scores", "bias"], ["biased"]), h.make_node("Softmax", ["biased"], ["probs"])]
    init = [h.make_tensor("axis1", onnx.TensorProto.INT64, [1], [1]), h.make_tensor("one", onnx.TensorProto.FLOAT, [], [1.0]),
            h.make_tensor("big", onnx.TensorProto.FLOAT, [], [-10000.0]), h.make_tensor("last", onnx.TensorProto.INT64, [], [1]),
            h.make_tensor("zero_i", onnx.TensorProto.INT64, [], [0]), h.make_tensor("one_i", onnx.TensorProto.INT64, [], [1])]
    inputs = [h.make_tensor_value_info(n, onnx.TensorProto.INT64, ["b", "s"]) for n in ("input_ids", "attention_mask")]
    graph = h.make_graph(nodes, "toy", inputs, [h.make_tensor_value_info("probs", onnx.TensorProto.FLOAT, None)], init)
    path = tmp_path / f"toy-{bias_from}.onnx"
    onnx.save(h.make_model(graph, opset_imports=[h.make_opsetid("", 17)], ir_version=9), str(path))
    return path


def test_a_bias_of_the_mask_values_is_left_out_and_changes_nothing(tmp_path: Path) -> None:
    path = _toy_attention(tmp_path, "values")
    data = unpadded_graph(path)
    assert data is not None
    assert "bias" not in {i for n in onnx.load_from_string(data).graph.node for i in n.input}
    feed = {"input_ids": np.array([[3, 1, 4, 1, 5]], dtype=np.int64), "attention_mask": np.ones((1, 5), dtype=np.int64)}
    before = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feed)
    after = ort.InferenceSession(data, providers=["CPUExecutionProvider"]).run(None, feed)
    _assert_equal(after, before)


def test_a_bias_that_is_not_zero_for_a_full_mask_is_kept(tmp_path: Path) -> None:
    # it passes the structural test (from the mask alone), so only evaluating it catches it
    assert unpadded_graph(_toy_attention(tmp_path, "shape")) is None


def test_graph_without_a_mask_input_is_left_alone(tmp_path: Path) -> None:
    x = onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 4])
    y = onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1, 4])
    graph = onnx.helper.make_graph([onnx.helper.make_node("Softmax", ["x"], ["y"])], "g", [x], [y])
    path = tmp_path / "m.onnx"
    onnx.save(onnx.helper.make_model(graph), str(path))
    assert unpadded_graph(path) is None


def test_batched_predict_gives_each_message_its_answer_alone(model: OnnxModel) -> None:
    """The dynamically quantised artifact runs one unpadded window per call whatever the batch,
    so a message's answer does not depend on the messages beside it."""
    two = OnnxModel(DEFAULT_ARTIFACT, threads=2)
    batched = two.predict(TEXTS)
    for text, out in zip(TEXTS, batched):
        alone = model.predict([text])[0]
        assert np.array_equal(alone.intent_logits, out.intent_logits)
        assert alone.phi == out.phi and alone.insurance == out.insurance
        assert alone.phi_any is not None and out.phi_any is not None and np.array_equal(alone.phi_any, out.phi_any)


def test_a_failed_rewrite_keeps_the_artifacts_graph(monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    def broken(path: Path) -> bytes:
        raise RuntimeError("no room")

    monkeypatch.setattr("intakeflow.pipeline.model.runtime.unpadded_graph", broken)
    model = OnnxModel(DEFAULT_ARTIFACT)
    assert model._masked_session is model.session  # every call, padded or not, on the artifact's graph
    assert model.predict([TEXTS[0]])[0].intent_logits.shape == (len(model.intents),)
    assert "RuntimeError" in caplog.text and "no room" not in caplog.text


def test_padded_call_after_the_artifact_changed_is_refused(tmp_path: Path) -> None:
    import os
    import shutil

    from intakeflow.errors import ModelError

    artifact = tmp_path / "artifact"
    shutil.copytree(DEFAULT_ARTIFACT, artifact)
    model = OnnxModel(artifact)
    graph = artifact / "model.onnx"
    os.utime(graph, ns=(graph.stat().st_atime_ns, graph.stat().st_mtime_ns + 1_000_000_000))
    ids, shapes, mask = pack(encode(model.tokenizer, TEXTS[0]), [(0, 3)])
    model.run(ids, shapes, mask)  # unpadded: the session already loaded
    mask[0, -1] = 0
    with pytest.raises(ModelError, match="E011"):
        model.run(ids, shapes, mask)
