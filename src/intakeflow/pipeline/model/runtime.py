"""Stage 1 at run time: the ONNX multi-task model (onnxruntime + tokenizers, no torch)."""

from __future__ import annotations

import ctypes
import json
import logging
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

from intakeflow.errors import E, ModelError
from intakeflow.pipeline.model.encoding import (
    SPECIAL_SHAPE,
    Encoded,
    decode_bio,
    encode,
    load_tokenizer,
    pack,
    window_owner,
    windows,
)
from intakeflow.pipeline.model.unpadded import unpadded_graph
from intakeflow.spans import Span

log = logging.getLogger(__name__)


def _bundled_artifact(name: str = "intakeflow-minilm") -> Path:
    """The committed artifact: package data beside this module in the wheel
    (``intakeflow/pipeline/model/artifacts/``), ``models/artifacts/`` in a source checkout
    (this module is ``src/intakeflow/pipeline/model/runtime.py`` there)."""
    here = Path(__file__).resolve().parent
    installed = here / "artifacts" / name
    return installed if installed.is_dir() else here.parents[3] / "models" / "artifacts" / name


DEFAULT_ARTIFACT = _bundled_artifact()


def artifact_version(artifact: Path | str = DEFAULT_ARTIFACT) -> str:
    """``name@version`` of an artifact, read without loading the model (staging and
    processing must agree on the pipeline version before any model is loaded)."""
    meta_file = Path(artifact) / "model.json"
    try:
        meta = json.loads(meta_file.read_text())
        return f'{meta["name"]}@{meta["version"]}'
    except (OSError, ValueError, KeyError):
        raise ModelError(E.E010_MODEL_MISSING, path=str(meta_file)) from None


@dataclass
class ModelOutput:
    intent_logits: np.ndarray  # (n_intents,), averaged over windows
    phi: list[Span]
    insurance: list[Span]
    #: per token: probability that it is PHI of any type (1 - P(O)), and its best PHI tag id;
    #: what :meth:`phi_at` decodes at a threshold below the arg-max decision
    phi_any: np.ndarray | None = None
    phi_best: np.ndarray | None = None
    offsets: list[tuple[int, int]] | None = None
    phi_labels: Sequence[str] = ()
    #: the arg-max tag ids the strict spans were decoded from
    phi_tags: np.ndarray | None = None

    def phi_at(self, threshold: float) -> list[Span]:
        """PHI spans of every token whose PHI probability is at least ``threshold``.

        Redaction leans to recall: a token the arg-max calls ``O`` at P(O) = 0.6 is still
        40 % likely to be PHI, and leaking it costs more than masking a word too many.
        """
        if self.phi_any is None or self.phi_best is None or self.offsets is None:
            return list(self.phi)
        tags = np.where(self.phi_any >= threshold, self.phi_best, 0)
        if self.phi_tags is not None and not np.any((tags > 0) & (self.phi_tags == 0)):
            # every token that reaches the threshold is tagged already: nothing to add
            return list(self.phi)
        return decode_bio(self.offsets, tags, self.phi_labels, self.phi_any)


def _stat(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def _return_freed_memory() -> None:
    """Hand the heap's free pages back to the system (glibc). Rewriting the graph frees about
    20 MB of protobuf that glibc would otherwise keep in this process for good."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory stays with the process
        pass


def _softmax(x: np.ndarray) -> np.ndarray:
    z = x - x.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


class OnnxModel:
    """Loads an artifact folder (``model.onnx``, ``tokenizer.json``, ``model.json``).

    ``threads`` is the number of window batches run at once (each with one intra-op
    thread); ``batch_windows`` the most windows per onnxruntime call, ``None`` for the
    artifact's choice.

    Windows share a call only when the artifact says its outputs are batch-invariant
    (``"batch_invariant": true`` in ``model.json``, written by ``models/quantize_static.py``:
    fixed activation scales and integer GEMMs give every window the same answer alone or in
    any batch). A dynamically quantised artifact scales activations over the whole input
    tensor, so a window's answer would depend on the messages sharing its call: it always
    runs one window per call, whatever ``batch_windows`` asks.

    Batches are length buckets: windows sorted by length, each call padded to its longest
    window, and a window joins a call only while the padding stays within ``pad_tokens`` +
    ``pad_fraction`` of the call's tokens. By default no padding at all: a padded token
    costs what a real one does, and batching saved nothing measurable on the AMD EPYC
    (AVX-512 VNNI) of issue 12 (int8 GEMMs ran at the same 180-190 GMAC/s on 96 rows as on
    1,536; callgrind: 100.87 M instructions per message one window per call, 101.00 M
    batched with 2 tokens of padding allowed, 103.44 M with 8 + 4 %). Windows of the same
    length (the full windows of long messages, above all) still share a call.
    """

    #: onnxruntime graph rewrites left out. SkipLayerNormalization (residual Add + LayerNorm in
    #: one kernel) ran 185 us per call on a 127-token window where the Add and the
    #: LayerNormalization it replaces take about 35 us together (onnxruntime 1.31, Sapphire
    #: Rapids, one thread): 2.45 ms per window without it against 2.90 ms with it
    DISABLED_OPTIMIZERS: tuple[str, ...] = ("SkipLayerNormFusion",)
    #: windows per call for a batch-invariant artifact when the caller does not say
    DEFAULT_BATCH_WINDOWS = 16
    #: padding a call may carry: this many tokens plus this share of its real tokens
    pad_tokens: int = 0
    pad_fraction: float = 0.0

    def __init__(self, artifact: Path | str = DEFAULT_ARTIFACT, threads: int = 1, batch_windows: int | None = None) -> None:
        artifact = Path(artifact)
        for name in ("model.onnx", "tokenizer.json", "model.json"):
            if not (artifact / name).is_file():
                raise ModelError(E.E010_MODEL_MISSING, path=str(artifact / name))
        self.meta: dict[str, Any] = json.loads((artifact / "model.json").read_text())
        self._graph_file = artifact / "model.onnx"
        # calls without padding (every call of a dynamically quantised artifact) run the graph
        # without its attention-mask bias: the same floats, less work (``unpadded.py``); the
        # artifact's own graph loads only if a padded call comes
        self._graph_stat = _stat(self._graph_file)
        self.session, unpadded = self._unpadded_session()
        self._masked_session: ort.InferenceSession | None = None if unpadded else self.session
        self._masked_lock = threading.Lock()
        self.tokenizer = load_tokenizer(artifact / "tokenizer.json")
        self.intents: list[str] = self.meta["intents"]
        self.phi_labels: list[str] = self.meta["phi_labels"]
        self.ins_labels: list[str] = self.meta["insurance_labels"]
        self.window: int = self.meta["window"]
        self.stride: int = self.meta["stride"]
        self.temperature: float = float(self.meta.get("temperature", 1.0))
        #: PHI probability from which a token is redacted (tuned leave-one-writer-out; 1.0:
        #: strict spans only, for artifacts trained before it existed)
        self.redaction_threshold: float = float(self.meta.get("redaction_threshold", 1.0))
        review = self.meta.get("review_threshold")
        self.review_threshold: float | None = None if review is None else float(review)
        # whole words the tokenizer knows: a capitalised word outside it is likely a name
        self.common_words: frozenset[str] = frozenset(
            w for w in self.tokenizer.get_vocab() if w.isalpha() and w.isascii() and len(w) > 1
        )
        self.version: str = artifact_version(artifact)
        #: the artifact's outputs do not depend on the other windows of an onnxruntime call
        self.batch_invariant: bool = self.meta.get("batch_invariant") is True
        if not self.batch_invariant:
            batch_windows = 1
        elif batch_windows is None:
            batch_windows = self.DEFAULT_BATCH_WINDOWS
        self.batch_windows: int = max(1, int(batch_windows))
        self.threads = max(1, threads)
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="intakeflow-onnx") if threads > 1 else None

    def _session(self, graph: bytes | Path) -> ort.InferenceSession:
        opts = ort.SessionOptions()
        # small matrices scale badly inside one run; several single-threaded runs side by
        # side use the cores better (measured: 451 vs 150 messages/s on 2 cores)
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers = ["CPUExecutionProvider"]
        if isinstance(graph, Path):
            return ort.InferenceSession(str(graph), opts, providers=providers, disabled_optimizers=self.DISABLED_OPTIMIZERS)
        # from a file, not from the bytes: a session made from bytes keeps about 19 MB more
        # resident for the life of the process (onnxruntime 1.31)
        with tempfile.TemporaryDirectory(prefix="intakeflow-model-") as tmp:
            path = Path(tmp) / "model.onnx"
            path.write_bytes(graph)
            return ort.InferenceSession(str(path), opts, providers=providers, disabled_optimizers=self.DISABLED_OPTIMIZERS)

    def _unpadded_session(self) -> tuple[ort.InferenceSession, bool]:
        """The session for unpadded calls, and whether it runs the rewritten graph. A rewrite
        that fails (an unusual graph, no room for the temporary file) costs speed, not the
        model: the artifact's own graph serves every call then."""
        try:
            unpadded = unpadded_graph(self._graph_file)
            if unpadded is not None:
                session = self._session(unpadded)
                del unpadded
                _return_freed_memory()
                return session, True
        except Exception as exc:  # noqa: BLE001 - the artifact's own graph is always right
            log.warning("model graph left as it is: %s while leaving out the attention-mask bias", type(exc).__name__)
        return self._session(self._graph_file), False

    def _session_for(self, mask: np.ndarray) -> ort.InferenceSession:
        if self._masked_session is self.session or mask.all():
            return self.session
        with self._masked_lock:
            if self._masked_session is None:
                # the first padded call loads the artifact's graph: it must be the one the
                # unpadded graph was made from, or padded and unpadded calls would disagree
                if _stat(self._graph_file) != self._graph_stat:
                    raise ModelError(E.E011_MODEL_INCOMPATIBLE, path=str(self._graph_file),
                                     why="model.onnx changed after the model was loaded; restart to load the new one")
                self._masked_session = self._session(self._graph_file)
            return self._masked_session

    def run(self, ids: np.ndarray, shapes: np.ndarray, mask: np.ndarray) -> list[np.ndarray]:
        out = self._session_for(mask).run(None, {"input_ids": ids, "shape_ids": shapes, "attention_mask": mask})
        return [np.asarray(o) for o in out]

    def predict(self, texts: list[str]) -> list[ModelOutput]:
        """All three answers for each text; long texts run in overlapping windows."""
        encs = [encode(self.tokenizer, t) for t in texts]
        plans = [windows(len(e), self.window, self.stride) if len(e) else [] for e in encs]
        # one flat list of (message, window); batches group windows of similar length
        flat = [(m, w) for m, ws in enumerate(plans) for w in range(len(ws))]
        flat.sort(key=lambda mw: plans[mw[0]][mw[1]][1] - plans[mw[0]][mw[1]][0])
        results: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

        def run_chunk(chunk: list[tuple[int, int]]) -> None:
            rows = [self._pack_one(encs[m], plans[m][w]) for m, w in chunk]
            width = max(r[0].shape[0] for r in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            shapes = np.full((len(rows), width), SPECIAL_SHAPE, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, (a, b, c) in enumerate(rows):
                ids[r, : len(a)], shapes[r, : len(b)], mask[r, : len(c)] = a, b, c
            il, pl, nl = self.run(ids, shapes, mask)
            for r, key in enumerate(chunk):
                n = len(rows[r][0])
                results[key] = (il[r], pl[r, 1 : n - 1], nl[r, 1 : n - 1])

        lengths = [plans[m][w][1] - plans[m][w][0] for m, w in flat]
        chunks = self._buckets(flat, lengths)
        if self._pool is not None and len(chunks) > 1:
            list(self._pool.map(run_chunk, chunks))
        else:
            for chunk in chunks:
                run_chunk(chunk)
        return [self._assemble(texts[m], encs[m], plans[m], results, m) for m in range(len(texts))]

    def _buckets(self, flat: list[tuple[int, int]], lengths: list[int]) -> list[list[tuple[int, int]]]:
        """Consecutive runs of the length-sorted windows, one onnxruntime call each: at most
        ``batch_windows`` windows, padded to the longest within the padding allowance."""
        # never fewer calls than threads: a pool thread without a call is a core idle
        most = min(self.batch_windows, -(-len(flat) // self.threads))
        if most <= 1:
            return [[key] for key in flat]
        chunks: list[list[tuple[int, int]]] = []
        chunk: list[tuple[int, int]] = []
        real = 0
        for key, n in zip(flat, lengths):
            n += 2  # CLS and SEP
            # sorted ascending: the new window is the longest, the others pad up to it
            if chunk and (
                len(chunk) == most
                or (len(chunk) + 1) * n - (real + n) > self.pad_tokens + self.pad_fraction * (real + n)
            ):
                chunks.append(chunk)
                chunk, real = [], 0
            chunk.append(key)
            real += n
        if chunk:
            chunks.append(chunk)
        return chunks

    @staticmethod
    def _pack_one(enc: Encoded, win: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        ids, shapes, mask = pack(enc, [win])
        return ids[0], shapes[0], mask[0]

    def _assemble(
        self,
        text: str,
        enc: Encoded,
        plan: list[tuple[int, int]],
        results: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]],
        m: int,
    ) -> ModelOutput:
        if not plan:
            return ModelOutput(np.zeros(len(self.intents), dtype=np.float32), [], [])
        sizes = np.array([e - s for s, e in plan], dtype=np.float32)
        intent = sum(results[(m, w)][0] * sizes[w] for w in range(len(plan))) / sizes.sum()
        owner = window_owner(len(enc), plan) if len(plan) > 1 else None
        spans: list[list[Span]] = []
        phi_any = phi_best = phi_tags = None
        for head, labels in ((1, self.phi_labels), (2, self.ins_labels)):
            if owner is None:
                logits = results[(m, 0)][head]
            else:
                logits = np.empty((len(enc), len(labels)), dtype=np.float32)
                for w, (s, e) in enumerate(plan):
                    sel = np.nonzero(owner[s:e] == w)[0]
                    logits[s + sel] = results[(m, w)][head][sel]
            tags = logits.argmax(-1)
            if head == 1:
                probs = _softmax(logits)
                scores = probs.max(-1)
                phi_any = 1.0 - probs[:, 0]
                phi_best = 1 + probs[:, 1:].argmax(-1)
                phi_tags = tags
            else:
                # softmax only where a span is: most tokens are "O" and need no score
                tagged = np.flatnonzero(tags)
                scores = np.zeros(len(tags), dtype=np.float32)
                if tagged.size:
                    scores[tagged] = _softmax(logits[tagged]).max(-1)
            spans.append(decode_bio(enc.offsets, tags, labels, scores))
        return ModelOutput(
            np.asarray(intent, dtype=np.float32), spans[0], spans[1], phi_any, phi_best, enc.offsets, self.phi_labels, phi_tags
        )

    def intent_probs(self, logits: np.ndarray) -> np.ndarray:
        return _softmax(logits / self.temperature)


@lru_cache(maxsize=4)
def shared_model(artifact: str, threads: int = 1) -> OnnxModel:
    """One loaded model per artifact and process, reused by every batch and pipeline of that
    process. Airflow 3 runs each task instance in a process of its own, so a process task
    loads the model once (about 130 ms, the graph rewrite of ``unpadded.py`` included) for
    all its batches; long-lived processes (the MLLP
    listener, the CLI, benchmarks) load it once in all."""
    return OnnxModel(artifact, threads)
