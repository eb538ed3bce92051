"""The model on other inference back-ends, one thread, CPU time per window:
``python -m tools.bench_backends [--messages 700] [--rounds 2]``.

Issue 12 names OpenVINO's int8 path beside onnxruntime's as a lever. The artifact is a
dynamically quantised graph (``DynamicQuantizeLinear`` + ``MatMulInteger``), so three graphs
run on up to two back-ends:

* ``ort int8``: the shipped graph in onnxruntime with the runtime's own settings (the
  reference every other variant is compared with);
* ``ort fp32``: a float graph made from the artifact, each ``MatMulInteger`` chain replaced by
  a ``MatMul`` with the dequantised weights (the weights' rounding kept, the activations' gone);
* ``openvino int8`` and ``openvino fp32``: the same two graphs in OpenVINO's CPU plug-in, when
  ``openvino`` is installed (``pip install openvino``; not a dependency of intakeflow), in
  float32 (OpenVINO's default on a CPU with AMX would be bf16);
* ``openvino bf16``: the float graph with bf16 inference, on a CPU whose OpenVINO capabilities
  list BF16 (AVX-512 BF16 or AMX).

The windows are those the runtime builds for the first ``--messages`` writer-corpus messages
(one window per call, as the runtime runs them). Prints CPU ms per window, the largest logit
difference from ``ort int8`` and how many arg-maxes differ. It asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from intakeflow.pipeline.model.encoding import encode
from intakeflow.pipeline.model.encoding import windows as window_plan
from intakeflow.pipeline.model.runtime import DEFAULT_ARTIFACT, OnnxModel
from tools.bench_peer import corpus_messages

Window = tuple[np.ndarray, np.ndarray, np.ndarray]
Runner = Callable[[Window], list[np.ndarray]]


def dequantised_graph(model_file: Path, out: Path) -> None:
    """``model_file`` with every ``MatMulInteger`` chain (activation quantiser, integer
    product, cast, scale) replaced by a float ``MatMul`` of the dequantised weights."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(model_file))
    graph = model.graph
    init = {i.name: i for i in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    consumers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    replaced: dict[int, Any] = {}
    dropped: set[int] = set()
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        activation = producer[node.input[0]].input[0]  # the DynamicQuantizeLinear's float input
        cast = consumers[node.output[0]][0]
        scale_mul = consumers[cast.output[0]][0]
        scales = producer[next(i for i in scale_mul.input if i != cast.output[0])]
        weight_scale = numpy_helper.to_array(init[next(i for i in scales.input if i in init)]).astype(np.float32)
        weights = numpy_helper.to_array(init[node.input[1]]).astype(np.float32)
        zero = numpy_helper.to_array(init[node.input[3]]).astype(np.float32)
        name = f"{node.name}_fp32_weights"
        graph.initializer.append(numpy_helper.from_array((weights - zero) * weight_scale, name))
        replaced[id(scale_mul)] = helper.make_node("MatMul", [activation, name], [scale_mul.output[0]], name=f"{node.name}_fp32")
        dropped |= {id(node), id(cast)}
    nodes = [replaced.get(id(n), n) for n in graph.node if id(n) not in dropped]
    live = {o.name for o in graph.output}
    kept = []
    for node in reversed(nodes):  # what no longer feeds an output goes
        if any(o in live for o in node.output):
            kept.append(node)
            live |= set(node.input)
    del graph.node[:]
    graph.node.extend(reversed(kept))
    used = {i for n in graph.node for i in n.input}
    initializers = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    onnx.save(model, str(out))


def ort_runner(graph: Path) -> Runner:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = opts.inter_op_num_threads = 1
    session = ort.InferenceSession(str(graph), opts, providers=["CPUExecutionProvider"],
                                   disabled_optimizers=list(OnnxModel.DISABLED_OPTIMIZERS))
    return lambda w: [np.asarray(o) for o in session.run(None, dict(zip(("input_ids", "shape_ids", "attention_mask"), w)))]


def openvino_runner(graph: Path, precision: str = "f32") -> Runner | None:
    try:
        import openvino as ov
    except ImportError:
        return None
    core = ov.Core()
    if precision == "bf16" and "BF16" not in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES"):
        return None
    compiled = core.compile_model(core.read_model(str(graph)), "CPU",
                                  {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": 1, "NUM_STREAMS": 1,
                                   "INFERENCE_PRECISION_HINT": precision})
    request = compiled.create_infer_request()

    def run(w: Window) -> list[np.ndarray]:
        result = request.infer(dict(zip(("input_ids", "shape_ids", "attention_mask"), w)))
        return [np.asarray(result[o]) for o in compiled.outputs]

    return run


def cpu() -> str:
    """The CPU's model name and which of the int8 and bf16 instruction sets it has."""
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")), "?")
    flags = set(next((line.split(":", 1)[1].split() for line in info.splitlines() if line.startswith("flags")), []))
    have = [f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8") if f in flags]
    return f"{name} ({', '.join(have) or 'none of avx2, avx512, vnni, amx'})"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--messages", type=int, default=700)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    model = OnnxModel(DEFAULT_ARTIFACT)
    windows: list[Window] = []
    for message in corpus_messages(args.messages):
        enc = encode(model.tokenizer, message["text"])
        for plan in window_plan(len(enc), model.window, model.stride):
            ids, shapes, mask = model._pack_one(enc, plan)
            windows.append((ids[None], shapes[None], mask[None]))
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        dequantised_graph(DEFAULT_ARTIFACT / "model.onnx", fp32)
        runners: dict[str, Runner | None] = {
            "ort int8": ort_runner(DEFAULT_ARTIFACT / "model.onnx"),
            "ort fp32": ort_runner(fp32),
            "openvino int8": openvino_runner(DEFAULT_ARTIFACT / "model.onnx"),
            "openvino fp32": openvino_runner(fp32),
            "openvino bf16": openvino_runner(fp32, "bf16"),
        }
        print(f"CPU: {cpu()}; onnxruntime {ort.__version__}")
        if runners["openvino int8"] is None:
            print("openvino is not installed: its rows are left out (pip install openvino)")
        tags = 2 * sum(w[0].shape[1] for w in windows)  # a PHI and an insurance tag per position
        print(f"{len(windows)} windows ({tags} token tags) of {args.messages} writer-corpus messages, one thread, "
              f"{args.rounds} alternating rounds")
        reference: list[list[np.ndarray]] = []
        for k in range(args.rounds):
            for name, runner in runners.items():
                if runner is None:
                    continue
                t = time.process_time()
                outs = [runner(w) for w in windows]
                ms = (time.process_time() - t) / len(windows) * 1000
                if not reference:
                    reference = outs
                worst = max(float(np.abs(o - r).max()) for out, ref in zip(outs, reference) for o, r in zip(out, ref))
                intents = sum(int(out[0].argmax() != ref[0].argmax()) for out, ref in zip(outs, reference))
                tokens = sum(int((o.argmax(-1) != r.argmax(-1)).sum())
                             for out, ref in zip(outs, reference) for o, r in zip(out[1:], ref[1:]))
                print(f"  round {k + 1}: {name:<14} {ms:6.2f} ms per window   largest logit difference {worst:6.3f}, "
                      f"intents differing {intents}, token tags differing {tokens}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
