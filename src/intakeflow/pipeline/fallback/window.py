"""The excerpt sent to the frontier model, and the way back to message offsets.

A window is ``window_chars`` each side of its trigger(s), clipped to the message; nearby
windows merge while the result stays under three window widths. Confident spans already
found inside the window are replaced by ``[LABEL]`` (the model needs no more PHI than the
gap it is asked about). Only text inside a window ever leaves the process.
"""

from __future__ import annotations

from dataclasses import dataclass

from intakeflow.pipeline.fallback.triggers import Trigger
from intakeflow.spans import Span


@dataclass(frozen=True)
class Segment:
    """``excerpt[start:end]`` comes from ``text[orig:orig + end - start]``, or is a mask."""

    start: int
    end: int
    orig: int | None


@dataclass(frozen=True)
class Window:
    start: int
    end: int
    excerpt: str
    segments: tuple[Segment, ...]
    triggers: tuple[Trigger, ...]

    def to_original(self, a: int, b: int) -> tuple[int, int] | None:
        """Message offsets of ``excerpt[a:b]``, or ``None`` when it touches a mask."""
        for seg in self.segments:
            if seg.start <= a and b <= seg.end:
                if seg.orig is None:
                    return None
                return seg.orig + (a - seg.start), seg.orig + (b - seg.start)
        return None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(sorted({label for t in self.triggers for label in t.labels}))


def _ranges(text_len: int, triggers: list[Trigger], width: int, limit: int) -> list[tuple[int, int, list[Trigger]]]:
    out: list[tuple[int, int, list[Trigger]]] = []
    for t in triggers:
        a, b = max(0, t.start - width), min(text_len, t.end + width)
        if out and a <= out[-1][1] and max(b, out[-1][1]) - out[-1][0] <= 3 * width:
            prev = out[-1]
            out[-1] = (prev[0], max(b, prev[1]), [*prev[2], t])
            continue
        if len(out) == limit:
            break
        out.append((a, b, [t]))
    return out


def _mask_intervals(start: int, end: int, spans: list[Span]) -> list[tuple[int, int, str]]:
    """Union of the spans' parts inside ``[start, end)``, labelled by the first span."""
    merged: list[tuple[int, int, str]] = []
    for s in sorted(spans, key=lambda s: (s.start, s.end)):
        a, b = max(start, s.start), min(end, s.end)
        if a >= b:
            continue
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]), merged[-1][2])
        else:
            merged.append((a, b, s.label))
    return merged


def build_windows(text: str, triggers: list[Trigger], masked: list[Span], width: int, limit: int) -> list[Window]:
    windows = []
    for a, b, trig in _ranges(len(text), triggers, width, limit):
        pieces: list[str] = []
        segments: list[Segment] = []
        pos, cursor = 0, a
        for ma, mb, label in [*_mask_intervals(a, b, masked), (b, b, "")]:
            if ma > cursor:
                chunk = text[cursor:ma]
                segments.append(Segment(pos, pos + len(chunk), cursor))
                pieces.append(chunk)
                pos += len(chunk)
            if mb > ma:
                tag = f"[{label}]"
                segments.append(Segment(pos, pos + len(tag), None))
                pieces.append(tag)
                pos += len(tag)
            cursor = max(cursor, mb)
        windows.append(Window(a, b, "".join(pieces), tuple(segments), tuple(trig)))
    return windows
