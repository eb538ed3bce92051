"""Dynamic-int8 artifact -> static (QDQ) int8 artifact whose outputs are batch-invariant.

``python -m models.quantize_static --src models/artifacts/intakeflow-minilm --out DIR``

Why: the shipped model is *dynamically* quantised: every ``DynamicQuantizeLinear`` scales
its activations over the whole input tensor, so a window's answer depends on the other
windows of its onnxruntime call and the runtime has to send windows one at a time. With
*static* quantisation each activation has a fixed scale and zero point (calibrated once);
integer GEMMs are exact, so a window's outputs are the same alone or in any batch, and
windows can be batched.

There is no fp32 checkpoint on the machines this runs on, and none is needed: the dynamic
artifact's weights are int8 with per-channel scales, so the effective fp32 weights are
exactly ``(q - zero_point) * scale``. The script

1. rebuilds an fp32 graph from the dynamic one: every ``DynamicQuantizeLinear ->
   MatMulInteger -> Cast -> Mul(scale)`` becomes one float ``MatMul`` with the dequantised
   weight (the embedding tables stay uint8 with their ``DequantizeLinear``: weight-only,
   already deterministic, and a float copy would quadruple the artifact); the intent
   head's mean pooling becomes a per-window MatMul and the head itself a 3-D MatMul
   (:func:`pool_by_matmul`, :func:`head_as_3d`: as exported, both summed in an order that
   depended on the batch size);
2. calibrates activation ranges by running that graph over texts of the writer corpus
   (``models/corpus/data``, the ``text`` field of writers w01-w19 only: never the dev
   sample, never the writers w20-w26 kept for evaluation), every window of every message,
   one window per run, tokenised and windowed exactly as at run time; half the records
   calibrate, the other half check (``split_corpus``);
3. quantises statically (``onnxruntime.quantization.quantize_static``, QDQ format,
   per-channel symmetric int8 weights, which re-derives the shipped int8 weights exactly,
   uint8 activations; only the weight MatMuls, as in the dynamic artifact: the attention
   products of two activations stay float), then lets only the MatMuls read the quantised
   activations (:func:`float_bypass`) and writes each as one ``MatMulIntegerToFloat`` with
   its bias (:func:`integer_matmuls`);
4. writes the artifact folder: ``model.onnx``, the source's ``tokenizer.json``, and its
   ``model.json`` with ``"batch_invariant": true`` (what lets the runtime batch windows),
   the calibration set, and how closely it follows the fp32 graph and the dynamic source
   on the corpus records not used for calibration.

What it does to accuracy is for ``intakeflow eval`` to say (dev sample, writers
w20-w26): on 2.2.0 either calibration moved some macro-F1 by more than 0.005, within the
spread that re-quantising alone gives on these small sets (`models/README.md`, "Static
quantisation").

Deterministic: the same source, corpus and onnxruntime give the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

from intakeflow.jsonl import read_gold
from intakeflow.pipeline.model.encoding import encode, load_tokenizer, pack, windows

CORPUS = Path(__file__).resolve().parent / "corpus" / "data"
#: the writers the shipped model was trained on; w20-w26 are held out for evaluation
CALIBRATION_WRITERS = tuple(f"w{i:02d}" for i in range(1, 20))
POOL_PREFIX = "/intent_pool"
OUTPUT_NAMES = ("intent_logits", "phi_logits", "insurance_logits")
#: activation-range calibration. ``minmax``: the widest range any calibration window
#: reached. ``minmax-average``: a running mean (constant 0.01) of each window's own min and
#: max, about the range dynamic quantisation gives a typical window; chosen as the default
#: because it follows the dynamic artifact more closely on the corpus records held apart
#: from calibration (PHI / insurance tag agreement 0.99937 / 0.99965 against 0.99935 /
#: 0.99960, mean |logit difference| 0.169 / 0.156 against 0.176 / 0.162). Histogram
#: methods (percentile, entropy) keep every activation of every window in memory: over
#: 24 GB for this calibration set, killed for want of memory on the 24 GB machine.
METHODS = {"minmax": False, "minmax-average": True}


def dequantize_dynamic(model: onnx.ModelProto) -> onnx.ModelProto:
    """The fp32 graph a ``quantize_dynamic`` model was made from, as far as weights go.

    Each ``DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q, x_zp, W_zp) -> Cast ->
    Mul(x_scale * W_scale)`` becomes ``MatMul(x, (W_q - W_zp) * W_scale)``; the other nodes
    (embedding ``Gather -> DequantizeLinear`` included) are kept as they are.
    """
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def only(nodes: list[onnx.NodeProto], op: str) -> onnx.NodeProto:
        if len(nodes) != 1 or nodes[0].op_type != op:
            raise ValueError(f"unexpected dynamic-quantisation pattern: wanted one {op}, got {[n.op_type for n in nodes]}")
        return nodes[0]

    dropped: set[str] = set()
    replaced: dict[str, onnx.NodeProto] = {}
    weights: list[onnx.TensorProto] = []
    for n in g.node:
        if n.op_type != "MatMulInteger":
            continue
        a_q, w_q, _a_zp, w_zp = n.input
        dql = producer[a_q]
        if dql.op_type != "DynamicQuantizeLinear":
            raise ValueError(f"MatMulInteger {n.name} is not fed by DynamicQuantizeLinear")
        cast = only(consumers[n.output[0]], "Cast")
        mul = only(consumers[cast.output[0]], "Mul")
        scales = producer[mul.input[1]]
        if scales.op_type != "Mul" or scales.input[0] != dql.output[1]:
            raise ValueError(f"MatMulInteger {n.name}: scale product not found")
        w_scale = numpy_helper.to_array(inits[scales.input[1]]).astype(np.float32)
        q = numpy_helper.to_array(inits[w_q]).astype(np.float32)
        zp = numpy_helper.to_array(inits[w_zp]).astype(np.float32)
        name = w_q.removesuffix("_quantized")
        weights.append(numpy_helper.from_array(((q - zp) * w_scale).astype(np.float32), name))
        node_name = n.name.removesuffix("_quant") or f"{name}_MatMul"
        replaced[n.output[0]] = helper.make_node("MatMul", [dql.input[0], name], [mul.output[0]], name=node_name)
        dropped.update(x.output[0] for x in (cast, mul, scales))
    dropped_dql = {producer[n.input[0]].output[0] for n in g.node if n.op_type == "MatMulInteger"}
    nodes = []
    for n in g.node:
        if n.op_type == "MatMulInteger":
            nodes.append(replaced[n.output[0]])
        elif n.output[0] not in dropped and n.output[0] not in dropped_dql:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept + weights)
    onnx.checker.check_model(model)
    return model


def _const_ints(model: onnx.ModelProto, name: str) -> list[int] | None:
    for init in model.graph.initializer:
        if init.name == name:
            return [int(v) for v in numpy_helper.to_array(init).ravel()]
    for n in model.graph.node:
        if n.op_type == "Constant" and n.output[0] == name:
            return [int(v) for v in numpy_helper.to_array(n.attribute[0].t).ravel()]
    return None


def pool_by_matmul(model: onnx.ModelProto) -> onnx.ModelProto:
    """The intent head's masked mean pooling, ``ReduceSum(hidden * mask, axis=1)``, as a
    batched ``MatMul(mask^T, hidden)``.

    onnxruntime reduces a (1, seq, 384) tensor over axis 1 in another order than a
    (batch, seq, 384) one, so the pooled vector moved in its last bits with the batch size
    and, through its fixed-scale quantisation, moved the intent logits by up to 1e-3. A
    batched MatMul is one (1 x seq) @ (seq x 384) product per window whatever the batch.
    """
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    target = None
    for n in g.node:
        if n.op_type != "ReduceSum" or len(n.input) < 2 or _const_ints(model, n.input[1]) != [1]:
            continue
        mul = producer.get(n.input[0])
        if mul is None or mul.op_type != "Mul":
            continue
        for hidden, mask in (mul.input, reversed(mul.input)):
            cast = producer.get(mask)
            unsq = producer.get(cast.input[0]) if cast is not None and cast.op_type == "Cast" else None
            if unsq is not None and unsq.op_type == "Unsqueeze" and unsq.input[0] == "attention_mask":
                target = (n, mul, hidden, mask)
    if target is None:
        raise ValueError("masked mean pooling (ReduceSum(hidden * mask, axis=1)) not found")
    red, mul, hidden, mask = target
    keepdims = next((a.i for a in red.attribute if a.name == "keepdims"), 1)
    pre = POOL_PREFIX
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), f"{pre}/axis1")
    summed = red.output[0] if keepdims else f"{pre}/sum"
    new = [
        helper.make_node("Transpose", [mask], [f"{pre}/maskT"], name=f"{pre}/Transpose", perm=[0, 2, 1]),
        helper.make_node("MatMul", [f"{pre}/maskT", hidden], [summed], name=f"{pre}/MatMul"),
    ]
    if not keepdims:
        new.append(helper.make_node("Squeeze", [f"{pre}/sum", axes.name], [red.output[0]], name=f"{pre}/Squeeze"))
    uses = sum(i == mul.output[0] for n in g.node for i in n.input)
    nodes = []
    for n in g.node:
        if n is red:
            nodes.extend(new)
        elif not (n is mul and uses == 1):
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.append(axes)
    onnx.checker.check_model(model)
    return model


def head_as_3d(model: onnx.ModelProto, output: str = "intent_logits", float_head: bool = False) -> onnx.ModelProto:
    """``output = x @ W + b`` on a 2-D ``x`` computed as ``(x[:, None] @ W + b)[:, 0]``.

    onnxruntime fuses a 2-D MatMul + Add into a float Gemm before it fuses the QDQ nodes
    around the MatMul, so the intent head ran in float with its rows summed in a
    batch-size-dependent order (logits moved by about 1e-5). On 3-D input the MatMul is
    fused into ``MatMulIntegerToFloat`` like every other weight product: integer sums, exact.

    ``float_head``: the head stays float instead, and ``W`` is expanded to one copy per
    window, ``(batch, in, out)``, so that the product is one (1 x in) @ (in x out) GEMM per
    window whatever the batch (a shared 2-D ``W`` lets onnxruntime fold the batch into one
    GEMM of ``batch`` rows); a weight that is no initializer is also left unquantised.
    """
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    weights = {i.name for i in g.initializer}
    add = producer[output]
    matmul = next((producer[i] for i in add.input if i in producer and producer[i].op_type == "MatMul"), None)
    if add.op_type != "Add" or matmul is None or matmul.input[1] not in weights:
        raise ValueError(f"{output} is not MatMul(x, W) + b")
    axes = numpy_helper.from_array(np.array([1], dtype=np.int64), f"{output}/axis1")
    x3, out3 = f"{matmul.input[0]}/3d", f"{output}/3d"
    new_in = [helper.make_node("Unsqueeze", [matmul.input[0], axes.name], [x3], name=f"{output}/Unsqueeze")]
    extra_inits = [axes]
    if float_head:
        w = next(i for i in g.initializer if i.name == matmul.input[1])
        tail = numpy_helper.from_array(np.array(w.dims, dtype=np.int64), f"{output}/wdims")
        first = numpy_helper.from_array(np.array([0], dtype=np.int64), f"{output}/axis0")
        extra_inits += [tail, first]
        new_in += [
            helper.make_node("Shape", [matmul.input[0]], [f"{output}/xshape"], name=f"{output}/Shape"),
            helper.make_node("Gather", [f"{output}/xshape", first.name], [f"{output}/batch"], name=f"{output}/Batch", axis=0),
            helper.make_node("Concat", [f"{output}/batch", tail.name], [f"{output}/wshape"], name=f"{output}/WShape", axis=0),
            helper.make_node("Expand", [matmul.input[1], f"{output}/wshape"], [f"{output}/w3d"], name=f"{output}/Expand"),
        ]
        matmul.input[1] = f"{output}/w3d"
    sq = helper.make_node("Squeeze", [out3, axes.name], [output], name=f"{output}/Squeeze")
    matmul.input[0] = x3
    add.output[0] = out3
    # shapes recorded for the old 2-D tensors no longer hold
    stale = {matmul.output[0], output}
    kept = [v for v in g.value_info if v.name not in stale]
    del g.value_info[:]
    g.value_info.extend(kept)
    nodes = []
    for n in g.node:
        if n is matmul:
            nodes.extend(new_in)
        nodes.append(n)
        if n is add:
            nodes.append(sq)
    del g.node[:]
    g.node.extend(nodes)
    g.initializer.extend(extra_inits)
    onnx.checker.check_model(model)
    return model


def head_matmuls(model: onnx.ModelProto, outputs: tuple[str, ...] = OUTPUT_NAMES) -> list[str]:
    """Names of the MatMuls of the output heads (``MatMul -> Add [-> Squeeze] -> output``)."""
    producer = {o: n for n in model.graph.node for o in n.output}
    names = []
    for out in outputs:
        node = producer[out]
        while node.op_type in ("Squeeze", "Add"):
            node = next(producer[i] for i in node.input if i in producer and producer[i].op_type in ("MatMul", "Add"))
        if node.op_type != "MatMul":
            raise ValueError(f"no MatMul behind {out}")
        names.append(node.name)
    return names


def float_bypass(model: onnx.ModelProto) -> onnx.ModelProto:
    """Only the MatMuls read the quantised copy of an activation; every other consumer
    (residual Adds, the pooling) reads the float tensor again, as in the dynamic artifact.

    ``quantize_static`` hands the ``QuantizeLinear -> DequantizeLinear`` output of a tensor
    to all its consumers, which would add rounding noise to the residual stream of every
    layer and cost a DequantizeLinear per tensor at run time.
    """
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    rewire: dict[str, str] = {}
    for n in g.node:
        if n.op_type == "DequantizeLinear" and n.input[0] in producer and producer[n.input[0]].op_type == "QuantizeLinear":
            rewire[n.output[0]] = producer[n.input[0]].input[0]
    for n in g.node:
        if n.op_type == "MatMul":
            continue
        for k, name in enumerate(n.input):
            if name in rewire:
                n.input[k] = rewire[name]
    used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    # a QDQ pair that no MatMul reads any more goes
    while True:
        dead = [n for n in g.node if n.op_type in ("QuantizeLinear", "DequantizeLinear") and n.output[0] not in used]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
        used = {i for n in g.node for i in n.input} | {o.name for o in g.output}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    onnx.checker.check_model(model)
    return model


def integer_matmuls(model: onnx.ModelProto) -> onnx.ModelProto:
    """Each ``DequantizeLinear(x_q) @ DequantizeLinear(W_q) (+ bias)`` as one
    ``com.microsoft.MatMulIntegerToFloat`` with the bias inside.

    onnxruntime makes the same kernel out of the QDQ pattern itself but leaves the bias Add
    apart: 18 more element-wise passes per window than the dynamic artifact, which fuses
    its biases (measured: the static graph was ~3 % slower before this). Integer sums and
    per-element scale and bias: still independent of the batch.
    """
    g = model.graph
    producer = {o: n for n in g.node for o in n.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    inits = {i.name: i for i in g.initializer}
    outputs = {o.name for o in g.output}
    replace: dict[str, onnx.NodeProto] = {}  # first node of a pattern -> its fused node
    gone: set[str] = set()
    for n in g.node:
        if n.op_type != "MatMul":
            continue
        dq_a, dq_w = (producer.get(i) for i in n.input)
        if dq_a is None or dq_w is None or dq_a.op_type != "DequantizeLinear" or dq_w.op_type != "DequantizeLinear":
            continue
        if dq_w.input[0] not in inits or dq_a.input[0] in inits:
            continue
        out, last = n.output[0], n
        users = consumers.get(out, [])
        bias = ""
        if out not in outputs and len(users) == 1 and users[0].op_type == "Add":
            add = users[0]
            other = add.input[1] if add.input[0] == out else add.input[0]
            if other in inits and len(inits[other].dims) == 1:
                bias, last = other, add
        a_q, a_s, a_zp = [*dq_a.input, ""][:3]
        w_q, w_s, w_zp = [*dq_w.input, ""][:3]
        fused = helper.make_node(
            "MatMulIntegerToFloat",
            [a_q, w_q, a_s, w_s, a_zp, w_zp, bias],
            [last.output[0]],
            name=n.name,
            domain="com.microsoft",
        )
        replace[n.output[0]] = fused
        gone.add(n.output[0])
        if last is not n:
            gone.add(last.output[0])
    nodes = []
    for n in g.node:
        if n.output[0] in replace:
            nodes.append(replace[n.output[0]])
        elif n.output[0] not in gone:
            nodes.append(n)
    del g.node[:]
    g.node.extend(nodes)
    used = {i for n in g.node for i in n.input}
    dead = [n for n in g.node if n.op_type == "DequantizeLinear" and n.output[0] not in used]
    for n in dead:
        g.node.remove(n)
    if not any(o.domain == "com.microsoft" for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    onnx.checker.check_model(model)
    return model


def split_corpus(corpus: Path = CORPUS, writers: tuple[str, ...] = CALIBRATION_WRITERS) -> tuple[list[str], list[str]]:
    """(calibration texts, check texts): each writer's records in id order, alternately."""
    calib: list[str] = []
    check: list[str] = []
    for w in writers:
        recs = sorted(read_gold(corpus / f"{w}.jsonl"), key=lambda r: r["id"])
        for i, rec in enumerate(recs):
            (calib if i % 2 == 0 else check).append(rec["text"])
    return calib, check


def model_windows(texts: list[str], tokenizer_path: Path, meta: dict[str, Any]) -> list[dict[str, np.ndarray]]:
    """Every window of every text as one model feed (batch of one, no padding)."""
    tok = load_tokenizer(tokenizer_path)
    feeds = []
    for text in texts:
        enc = encode(tok, text)
        if not len(enc):
            continue
        for win in windows(len(enc), meta["window"], meta["stride"]):
            ids, shapes, mask = pack(enc, [win])
            feeds.append({"input_ids": ids, "shape_ids": shapes, "attention_mask": mask})
    return feeds


class WindowReader(CalibrationDataReader):
    def __init__(self, feeds: list[dict[str, np.ndarray]]) -> None:
        self.feeds = feeds
        self._it: Iterator[dict[str, np.ndarray]] = iter(feeds)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._it, None)

    def rewind(self) -> None:
        self._it = iter(self.feeds)

    def __len__(self) -> int:
        return len(self.feeds)


def _session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def fidelity(reference: Path, candidate: Path, feeds: list[dict[str, np.ndarray]]) -> dict[str, float]:
    """How closely ``candidate`` follows ``reference``: arg-max agreement per head (intent per
    window, PHI and insurance per token) and the largest absolute logit difference."""
    ref, cand = _session(reference), _session(candidate)
    same = np.zeros(3)
    total = np.zeros(3)
    worst = np.zeros(3)
    diff = np.zeros(3)
    for feed in feeds:
        for h, (r, c) in enumerate(zip(ref.run(None, feed), cand.run(None, feed))):
            r, c = np.asarray(r), np.asarray(c)
            same[h] += float((r.argmax(-1) == c.argmax(-1)).sum())
            total[h] += r.argmax(-1).size
            worst[h] = max(worst[h], float(np.abs(r - c).max()))
            diff[h] += float(np.abs(r - c).mean(-1).sum())
    out: dict[str, float] = {}
    for n, s, t, w, d in zip(("intent", "phi", "insurance"), same, total, worst, diff):
        out[f"{n}_argmax_agreement"] = round(float(s / t), 5)
        out[f"{n}_mean_abs_logit_diff"] = round(float(d / t), 4)
        out[f"{n}_max_abs_logit_diff"] = round(float(w), 4)
    return out


def quantize(
    src: Path,
    out: Path,
    method: str = "minmax-average",
    attention: bool = False,
    check: bool = True,
    bypass: bool = True,
    float_heads: bool = False,
    corpus: Path = CORPUS,
    calibration_cache: Path | None = None,
    max_records: int | None = None,
) -> dict[str, Any]:
    """Write the static artifact folder ``out`` from the dynamic artifact ``src``; returns
    its ``model.json``. ``max_records`` calibrates on the first so many records of the
    calibration half only (quick artifacts for tests; never for one that ships)."""
    meta = json.loads((src / "model.json").read_text())
    if meta.get("batch_invariant"):
        raise SystemExit(f"{src} is statically quantised already")
    source = {
        "version": meta["version"],
        "quantization": meta.get("quantization"),
        "model_onnx_sha256": hashlib.sha256((src / "model.onnx").read_bytes()).hexdigest(),
    }
    calib_texts, check_texts = split_corpus(corpus)
    if max_records is not None:
        calib_texts = calib_texts[:max_records]
    feeds = model_windows(calib_texts, src / "tokenizer.json", meta)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model.fp32.onnx"
        dynamic = Path(tmp) / "model.dynamic.onnx"  # --out may be --src
        shutil.copy(src / "model.onnx", dynamic)
        graph_fp32 = head_as_3d(pool_by_matmul(dequantize_dynamic(onnx.load(str(dynamic)))), float_head=float_heads)
        onnx.save(graph_fp32, str(fp32))
        graph = graph_fp32.graph
        weight_names = {i.name for i in graph.initializer}
        matmuls = [n.name for n in graph.node if n.op_type == "MatMul" and (attention or n.input[1] in weight_names)]
        # never the pooling product: a 0/1 mask times the hidden state, float like the ReduceSum it was
        matmuls = [m for m in matmuls if not m.startswith(POOL_PREFIX)]
        if float_heads:
            heads = set(head_matmuls(graph_fp32))
            matmuls = [m for m in matmuls if m not in heads]
        extra: dict[str, Any] = {
            # MatMul B is (in, out): one scale per output column, like the dynamic weights
            "QDQOpTypePerChannelSupportToAxis": {"MatMul": 1},
            # inputs only, as in the dynamic artifact: a MatMul's float output goes on to its
            # bias Add (onnxruntime fuses DQ + DQ + MatMul into MatMulIntegerToFloat)
            "OpTypesToExcludeOutputQuantization": ["MatMul"],
            "CalibMaxIntermediateOutputs": 256,
        }
        if METHODS[method]:
            extra["CalibMovingAverage"] = True
        quantize_static(
            str(fp32),
            str(out / "model.onnx"),
            WindowReader(feeds),
            quant_format=QuantFormat.QDQ,
            op_types_to_quantize=["MatMul"],
            nodes_to_quantize=matmuls,
            per_channel=True,
            reduce_range=False,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            extra_options=extra,
            calibration_cache_path=calibration_cache,
        )
        qdq = onnx.load(str(out / "model.onnx"))
        if bypass:
            qdq = float_bypass(qdq)
        onnx.save(integer_matmuls(qdq), str(out / "model.onnx"))
        report = {}
        if check:
            check_feeds = model_windows(check_texts, src / "tokenizer.json", meta)
            report = {
                "static_vs_fp32": fidelity(fp32, out / "model.onnx", check_feeds),
                "dynamic_source_vs_fp32": fidelity(fp32, dynamic, check_feeds),
                "static_vs_dynamic_source": fidelity(dynamic, out / "model.onnx", check_feeds),
            }
    if src.resolve() != out.resolve():
        shutil.copy(src / "tokenizer.json", out / "tokenizer.json")
    meta = dict(meta)
    meta["quantization"] = "int8 static QDQ per-channel (uint8 activations, int8 weights)"
    meta["batch_invariant"] = True
    meta["static_quantization"] = {
        "source": source,
        "calibration": {
            "corpus": "models/corpus/data",
            "writers": f"{CALIBRATION_WRITERS[0]}-{CALIBRATION_WRITERS[-1]}",
            "field": "text",
            "selection": "each writer's records in id order, even positions (0, 2, 4, ...)"
            + (f", the first {max_records}" if max_records is not None else ""),
            "records": len(calib_texts),
            "windows": len(feeds),
            "method": method,
        },
        "quantized_ops": ("every MatMul" if attention else "MatMul with a weight (attention products stay float)")
        + ("; the three output heads stay float" if float_heads else ""),
        "onnxruntime": ort.__version__,
        "fidelity_on_records_held_apart": report,
    }
    (out / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", type=Path, required=True, help="dynamic-int8 artifact folder")
    ap.add_argument("--out", type=Path, required=True, help="artifact folder to write (may be --src)")
    ap.add_argument("--method", choices=sorted(METHODS), default="minmax-average", help="activation-range calibration")
    ap.add_argument("--attention", action="store_true", help="also quantise the attention products")
    ap.add_argument("--no-bypass", action="store_true", help="let every consumer read the quantised activations")
    ap.add_argument("--float-heads", action="store_true", help="leave the three output heads in float")
    ap.add_argument("--calibration-cache", type=Path, help="JSON of calibrated ranges: reused if it exists, else written")
    ap.add_argument("--max-records", type=int, help="calibrate on this many records only (quick trials, not to ship)")
    ap.add_argument("--no-check", action="store_true", help="skip the fidelity check against fp32")
    ap.add_argument("--version", help="version to write into model.json (default: the source's)")
    args = ap.parse_args(argv)
    meta = quantize(
        args.src,
        args.out,
        method=args.method,
        attention=args.attention,
        check=not args.no_check,
        bypass=not args.no_bypass,
        float_heads=args.float_heads,
        calibration_cache=args.calibration_cache,
        max_records=args.max_records,
    )
    if args.version:
        meta["version"] = args.version
        (args.out / "model.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(json.dumps(meta["static_quantization"], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
