"""The artifact's graph for calls that carry no padding: its attention-mask bias left out.

A BERT-style export turns ``attention_mask`` into an additive bias (0 where a token may be
attended to, the float minimum where it is padding) and adds it to every layer's attention
scores before the softmax. When no window of a call is padded the bias is all zeros, and
adding zero changes no float: the scores reach the softmax bit for bit as they were. So for
such calls the bias, the Add of each layer and the subgraph that builds the bias are work
with no effect (about 6 % of a window's time on Sapphire Rapids, onnxruntime 1.31:
2.31 against 2.46 ms per 127-token window, one thread).

:func:`unpadded_graph` finds those Adds by structure, not by name: an ``Add`` that feeds a
``Softmax`` and has exactly one input whose values come from the ``attention_mask`` graph
input alone. It drops them and whatever then feeds nothing. Other uses of the mask (the
intent head's masked mean pooling) stay, and still see an all-ones mask. Each bias it would
leave out is first evaluated with full masks of several lengths, and the graph is kept whole
unless every value is exactly zero (a bias built from the mask's shape alone would pass the
structural test). The result is only valid for calls whose mask is all ones;
:class:`~intakeflow.pipeline.model.runtime.OnnxModel` uses it only for those and keeps the
artifact's own graph for padded calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MASK_INPUT = "attention_mask"
#: operators whose output is a shape, whatever the values of their input
SHAPE_ONLY = frozenset({"Shape", "Size"})


def unpadded_graph(model_file: Path | str) -> bytes | None:
    """The serialised graph without its attention-mask bias, or ``None`` when the graph has
    none to leave out (no ``attention_mask`` input, or no mask Add before a softmax)."""
    import onnx  # imported here: only model loading needs it

    model = onnx.load(str(model_file))
    graph = model.graph
    if MASK_INPUT not in {i.name for i in graph.input}:
        return None
    # the bias: tensors whose values come from the mask and from no other input. A layer's
    # scores depend on the mask too (through the layers before), and the bias on the other
    # inputs' shapes (Shape), never on their values
    from_mask = {MASK_INPUT}
    from_data = {i.name for i in graph.input} - from_mask
    for node in graph.node:  # ONNX nodes are stored in topological order
        if any(i in from_mask for i in node.input):
            from_mask.update(node.output)
        if node.op_type not in SHAPE_ONLY and any(i in from_data for i in node.input):
            from_data.update(node.output)
    bias_only = from_mask - from_data
    softmax_inputs = {node.input[0] for node in graph.node if node.op_type == "Softmax"}
    bypass: dict[str, str] = {}
    for node in graph.node:
        if node.op_type != "Add" or node.output[0] not in softmax_inputs or len(node.input) != 2:
            continue
        bias = [i in bias_only for i in node.input]
        if bias.count(True) == 1:
            bypass[node.output[0]] = node.input[bias.index(False)]
    if not bypass:
        return None
    # "from the mask alone" does not make a bias zero for a full mask: a position bias built
    # from the mask's shape would pass the structural test. Leave out only what evaluates to
    # exactly zero
    biases = sorted({i for n in graph.node if n.output[0] in bypass for i in n.input if i in bias_only})
    if not _zero_for_full_masks(model, biases):
        return None
    nodes = [n for n in graph.node if n.output[0] not in bypass]
    for node in nodes:
        for k, name in enumerate(node.input):
            if name in bypass:
                node.input[k] = bypass[name]
    # leave out what no longer leads to an output (the bias's own subgraph)
    live = _leading_to(nodes, {o.name for o in graph.output})
    del graph.node[:]
    graph.node.extend(live)
    return bytes(model.SerializeToString())


def _leading_to(nodes: Any, tensors: set[str]) -> list[Any]:
    """The nodes, in their topological order, that compute ``tensors`` or what they need."""
    needed = set(tensors)
    live = []
    for node in reversed(nodes):
        if any(o in needed for o in node.output):
            live.append(node)
            needed.update(i for i in node.input if i)
    live.reverse()
    return live


#: (rows, tokens) of the full masks the biases are evaluated on
_PROBE_SHAPES = ((1, 1), (1, 7), (2, 40))


def _zero_for_full_masks(model: Any, biases: list[str]) -> bool:
    """Whether every tensor of ``biases`` is exactly zero when the mask is all ones, at
    several lengths. Runs only the nodes the biases depend on, in onnxruntime; the other
    inputs are zeros (a bias from the mask alone cannot depend on their values)."""
    import numpy as np
    import onnx
    import onnxruntime as ort

    graph = model.graph
    nodes = _leading_to(graph.node, set(biases))
    used = {i for n in nodes for i in n.input}
    probe = onnx.helper.make_graph(
        nodes, "bias_probe", list(graph.input),
        [onnx.helper.make_tensor_value_info(b, onnx.TensorProto.FLOAT, None) for b in biases],
        initializer=[t for t in graph.initializer if t.name in used],
    )
    probe_model = onnx.helper.make_model(probe, opset_imports=list(model.opset_import), ir_version=model.ir_version)
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # the probe's unused graph inputs are expected, not worth a warning
    try:
        session = ort.InferenceSession(probe_model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
        for rows, tokens in _PROBE_SHAPES:
            feed = {}
            for arg in session.get_inputs():
                dtype = np.int64 if arg.type == "tensor(int64)" else np.int32 if arg.type == "tensor(int32)" else np.float32
                value = 1 if arg.name == MASK_INPUT else 0
                feed[arg.name] = np.full((rows, tokens), value, dtype=dtype)
            if any(np.any(np.asarray(out) != 0) for out in session.run(None, feed)):
                return False
    except Exception:  # noqa: BLE001 - a graph this probe cannot run keeps its bias
        return False
    return True
