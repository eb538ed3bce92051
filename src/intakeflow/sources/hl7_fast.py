"""hl7apy's structure verdict on a message, asked once per shape instead of once per message.

:func:`intakeflow.sources.hl7_parse.parse_hl7` lets hl7apy parse every message
(``find_groups=False``, tolerant validation) and quarantines it (E020) when hl7apy raises.
That verdict never depends on the values themselves, only on the message's structure:

* MSH-2 (the encoding characters), the message structure hl7apy reads from MSH-9 and the
  version it reads from MSH-12 (which decide the ``Message`` it builds), and the names of the
  segments (each ``Segment`` is built from its name alone);
* in each segment, field by field and repetition by repetition, where the component and
  subcomponent separators stand and whether each piece between separators is empty,
  blank (whitespace only: hl7apy's ``strip()`` skips it, yet it is a value) or not. That is
  the piece's *shape*: ``x^^w&x`` for ``Doe^^ &Jane``.

A value enters hl7apy only through its datatype's factory, and in tolerant mode a value the
datatype cannot hold (a 13th month, ``abc`` for NM) becomes ST instead of raising
(``tests/sources/test_hl7_fast_path.py`` checks this for every base datatype of every
version hl7apy ships). hl7apy parses each repetition of each field on its own and adds
each segment to the message on its own (no cardinality checks in tolerant mode).

So :func:`accepts` remembers hl7apy's own verdicts: per message key (the message built with
one bare segment per name), per segment shape, and per ``(segment, field, repetition
shape)`` piece hl7apy accepted. A segment of a new shape whose pieces were all seen costs
nothing; else hl7apy parses it with only its fields holding new pieces. A message whose every part
hl7apy accepted is accepted. hl7apy stays the parser of record: it decides every verdict,
and a message with any part it rejects, or with anything outside what this module models
(delimiters other than ``|^~\\&``, an odd MSH-9 or MSH-12), is left to the full parse
(``False``), which also gives the reason. So ``accepts`` returning True means the full parse
would raise nothing, and ``False`` leaves the message the full parse it had before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import get_message_info, parse_message, parse_segment

#: MSH-2 the shapes below are written for (a fifth character, the v2.7 truncation
#: character, is content to hl7apy's parser)
_ENCODING = "^~\\&"
# a piece's shape in three steps: every run of content -> x, every run of whitespace -> w,
# then every piece holding any x -> x (pieces alternate x and w after the first two steps)
_CONTENT = re.compile(r"[^|^~&\s]+")
_SPACE = re.compile(r"\s+")
_PIECE = re.compile(r"w?x(?:wx)*w?")
_STRUCTURE = re.compile(r"[A-Za-z0-9_]*")
_VERSION = re.compile(r"[0-9.]+")
#: answers remembered per kind; a feed has a few hundred shapes, a fuzzer many more (then
#: start over); a shape longer than _LONG (a flood of fields) is decided each time, never kept
_LIMIT = 10_000
_LONG = 512

_messages: dict[tuple[Any, ...], bool] = {}
_segments: dict[tuple[Any, ...], bool] = {}
_pieces: dict[tuple[Any, ...], bool] = {}


def shape(text: str) -> str:
    """``text`` with each piece between separators as ``x`` (content), ``w`` (blank) or
    nothing (empty); separators (``|^~&``) are kept."""
    return _PIECE.sub("x", _SPACE.sub("w", _CONTENT.sub("x", text)))


def accepts(segments: Sequence[str]) -> bool:
    """True if hl7apy would parse ``"\\r".join(segments)`` (``find_groups=False``,
    tolerant) into one child per segment without raising; False if it would not, or if
    this module cannot tell (the caller then runs the full parse)."""
    msh = segments[0]
    if not msh.startswith("MSH|"):
        return False
    try:
        encoding_chars, structure, version = get_message_info(msh)
    except Exception:  # noqa: BLE001 - InvalidEncodingChars, ParserError: the full parse says which
        return False
    msh2 = msh[4:].split("|", 1)[0]
    if msh2[:4] != _ENCODING or len(msh2) > 5 or not version or not _VERSION.fullmatch(version):
        return False
    if structure is not None and not _STRUCTURE.fullmatch(structure):
        return False
    names = frozenset(s.lstrip()[:3] for s in segments[1:])
    context = (version, msh2)
    if not _message_ok((*context, structure, names), encoding_chars):
        return False
    return all(_segment_ok(seg.strip(), context, encoding_chars) for seg in segments)


def clear() -> None:
    """Forget every remembered answer (tests; a long-running process never needs to)."""
    _messages.clear()
    _segments.clear()
    _pieces.clear()


# -- helpers ---------------------------------------------------------------------------------


def _remember(cache: dict[tuple[Any, ...], bool], key: tuple[Any, ...], value: bool) -> bool:
    if len(key[-1]) > _LONG:  # memory stays bounded: at most _LIMIT keys of at most _LONG
        return value
    if len(cache) >= _LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _message_ok(key: tuple[Any, ...], encoding_chars: dict[str, str]) -> bool:
    """The message as hl7apy builds it (MSH-1, MSH-2, structure, version) with one bare
    segment per name: what every message of this key shares."""
    known = _messages.get(key)
    if known is not None:
        return known
    version, msh2, structure, names = key
    fields = ["MSH", msh2, "", "", "", "", "", "", "" if structure is None else "^^" + structure, "", "", version]
    text = "\r".join(["|".join(fields), *sorted(names)])
    try:
        msg = parse_message(text, find_groups=False, validation_level=VALIDATION_LEVEL.TOLERANT)
        ok = len(msg.children) == 1 + len(names)
    except Exception:  # noqa: BLE001 - any refusal: the full parse gives the reason
        ok = False
    return _remember(_messages, key, ok)


def _segment_ok(seg: str, context: tuple[str, str], encoding_chars: dict[str, str]) -> bool:
    """``seg`` (stripped, as hl7apy strips it): known if its shape was seen, or if every
    non-blank repetition of every field was seen in segments hl7apy accepted; else hl7apy
    parses the segment with only its fields holding new pieces (the others left empty,
    which it skips), and when it accepts them they are remembered."""
    name = seg[:3]
    if name == "MSH":
        # MSH-1 and MSH-2 are the message's own (checked with it); MSH-3 on are fields
        head = "MSH|" + context[1]
        if seg != head and not seg.startswith(head + "|"):
            return False
        body, first = seg[len(head) :], 2
    elif len(seg) > 3 and seg[3] != "|":  # hl7apy would read the fields one place off
        return False
    else:
        head, body, first = name, seg[3:], 0
    body_shape = shape(body)
    key = (context, name, body_shape)
    known = _segments.get(key)
    if known is not None:
        return known
    fields = body.split("|")
    new: dict[int, list[tuple[Any, ...]]] = {}
    for index, field_shape in enumerate(body_shape.split("|")):
        if not index or field_shape in ("", "w"):  # a blank field: hl7apy skips it
            continue
        pieces = [(context, name, first + index, rep_shape) for rep_shape in field_shape.split("~")]
        if not all(_pieces.get(piece) for piece in pieces):
            new[index] = pieces
    if new:
        text = head + "|".join(fields[i] if i in new else "" for i in range(len(fields)))
        try:
            parse_segment(text, context[0], encoding_chars, VALIDATION_LEVEL.TOLERANT)
        except Exception:  # noqa: BLE001 - any refusal: the full parse gives the reason
            return _remember(_segments, key, False)
        for pieces in new.values():  # hl7apy parses each repetition of each field on its own
            for piece in pieces:
                _remember(_pieces, piece, True)
    return _remember(_segments, key, True)
