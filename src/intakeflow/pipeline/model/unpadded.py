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
input alone. It
drops them and whatever then feeds nothing. Other uses of the mask (the intent head's masked
mean pooling) stay, and still see an all-ones mask. The result is only valid for calls whose
mask is all ones; :class:`~intakeflow.pipeline.model.runtime.OnnxModel` uses it only for
those and keeps the artifact's own graph for padded calls.
"""

from __future__ import annotations

from pathlib import Path

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
    nodes = [n for n in graph.node if n.output[0] not in bypass]
    for node in nodes:
        for k, name in enumerate(node.input):
            if name in bypass:
                node.input[k] = bypass[name]
    # leave out what no longer leads to an output (the bias's own subgraph)
    needed = {o.name for o in graph.output}
    live = []
    for node in reversed(nodes):
        if any(o in needed for o in node.output):
            live.append(node)
            needed.update(i for i in node.input if i)
    live.reverse()
    del graph.node[:]
    graph.node.extend(live)
    return bytes(model.SerializeToString())
