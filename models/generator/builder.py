"""Offset-tracking text assembly and the tiny template language the generator is written in.

Text is built from fragments ``(text, phi_label, insurance_label)``; a fragment with a
label becomes a span, so offsets are exact by construction. Cue words and titles live in
unlabelled fragments, so they can never end up inside a span.

Template language: ``{SLOT}`` is filled by a slot function, ``[a|b|c]`` picks one
alternative (nestable, ``[a|]`` makes ``a`` optional). Outside brackets ``|`` is literal,
so HL7 segment prefixes such as ``NTE|1|P|`` can be written as they are.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Frag = tuple[str, str | None, str | None]
Node = str | tuple[str, Any]  # literal, ("slot", name) or ("choice", [[Node]])


def lit(text: str) -> Frag:
    return (text, None, None)


def phi(text: str, label: str, ins: str | None = None) -> Frag:
    return (text, label, ins)


def ins(text: str, label: str) -> Frag:
    return (text, None, label)


@dataclass
class Style:
    """How a message is typed: applied to unlabelled fragments (case also to spans)."""

    lower: bool = False
    lower_spans: bool = False
    caps: bool = False
    abbrev: float = 0.0
    typo: float = 0.0
    drop_punct: float = 0.0
    drop_apostrophe: bool = False


@dataclass
class Ctx:
    """Per-message state: the random source, the channel, and memoised persona values."""

    rng: random.Random
    channel: str
    intent: str
    tier: str
    spoken: bool = False
    memo: dict[str, list[Frag]] = field(default_factory=dict)
    flags: dict[str, Any] = field(default_factory=dict)


SlotFn = Callable[[Ctx], list[Frag]]
SLOTS: dict[str, SlotFn] = {}


def slot(*names: str) -> Callable[[SlotFn], SlotFn]:
    """Register a slot function under one or more names."""

    def deco(fn: SlotFn) -> SlotFn:
        for n in names:
            SLOTS[n] = fn
        return fn

    return deco


_CACHE: dict[str, list[Node]] = {}


def _parse(src: str, i: int, in_choice: bool) -> tuple[list[Node], int, str]:
    """Parse until ``]`` or ``|`` (inside a choice) or the end; returns nodes, index, stop char."""
    nodes: list[Node] = []
    buf: list[str] = []
    n = len(src)
    while i < n:
        c = src[i]
        if c == "{":
            j = src.index("}", i)
            if buf:
                nodes.append("".join(buf))
                buf = []
            nodes.append(("slot", src[i + 1 : j]))
            i = j + 1
        elif c == "[":
            if buf:
                nodes.append("".join(buf))
                buf = []
            alts: list[list[Node]] = []
            i += 1
            while True:
                sub, i, stop = _parse(src, i, True)
                alts.append(sub)
                if stop == "]":
                    break
            nodes.append(("choice", alts))
        elif in_choice and c in "|]":
            if buf:
                nodes.append("".join(buf))
            return nodes, i + 1, c
        else:
            buf.append(c)
            i += 1
    if in_choice:
        raise ValueError("unclosed [ in template")
    if buf:
        nodes.append("".join(buf))
    return nodes, i, ""


def parse(src: str) -> list[Node]:
    got = _CACHE.get(src)
    if got is None:
        got = _parse(src, 0, False)[0]
        _CACHE[src] = got
    return got


def _emit(nodes: list[Node], ctx: Ctx, out: list[Frag]) -> None:
    for node in nodes:
        if isinstance(node, str):
            out.append((node, None, None))
        elif node[0] == "slot":
            out.extend(SLOTS[node[1]](ctx))
        else:
            alts = node[1]
            _emit(alts[ctx.rng.randrange(len(alts))], ctx, out)


def render(src: str, ctx: Ctx) -> list[Frag]:
    out: list[Frag] = []
    _emit(parse(src), ctx, out)
    return out


def pick(ctx: Ctx, templates: list[str] | tuple[str, ...]) -> list[Frag]:
    return render(templates[ctx.rng.randrange(len(templates))], ctx)


class Builder:
    """Appends fragments, applying the message style, and records span offsets."""

    def __init__(self, style: Style, rng: random.Random, noise: Callable[[str, Style, random.Random], str]):
        self.style = style
        self.rng = rng
        self.noise = noise
        self.parts: list[str] = []
        self.pos = 0
        self.phi: list[dict[str, Any]] = []
        self.ins: list[dict[str, Any]] = []

    def raw(self, text: str) -> None:
        """Structural text (newlines, field labels) that no style may touch."""
        self.parts.append(text)
        self.pos += len(text)

    def add(self, frags: list[Frag]) -> None:
        st = self.style
        for text, p, q in frags:
            if not text:
                continue
            if p is None and q is None:
                text = self.noise(text, st, self.rng)
            else:
                if st.caps:
                    up = text.upper()
                    text = up if len(up) == len(text) else text
                elif st.lower_spans:
                    low = text.lower()
                    text = low if len(low) == len(text) else text
                end = self.pos + len(text)
                if p is not None:
                    self.phi.append({"start": self.pos, "end": end, "label": p})
                if q is not None:
                    self.ins.append({"start": self.pos, "end": end, "label": q})
            self.parts.append(text)
            self.pos += len(text)

    def text(self) -> str:
        return "".join(self.parts)
