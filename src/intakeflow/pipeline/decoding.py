"""Decoding rules that hold for every message, whatever the model saw in training.

The model tags word pieces; the spec labels words. These steps turn tagged pieces into
spans a person would draw (spec §2), after the model, the recognizers and the boundary
repair have run:

* **whole words**: a span never starts or ends inside a word ("Adelek|e" grows to the word);
* **one name, one span**: two NAME spans separated by a space or a hyphen are one name, and
  a name runs on over a following capitalised word the tokenizer does not know as a common
  word (a rare surname after a known first name);
* **one address, one span**: LOC pieces separated only by commas, line breaks or a state are
  one postal address;
* **the same string, the same label**: a value tagged once is tagged wherever it occurs, and
  so is each part of a tagged name (a surname that is PHI once is PHI everywhere);
* **amounts whole**: the currency sign and the cents belong to an amount, and a spoken amount
  runs to its last number word ("four hundred eighty two dollars and sixteen cents");
* **carrier and plan type apart**: a plan type the model folded into a carrier is split off,
  a trailing common word ("MetLife dental") trimmed, carrier pieces joined;
* **a plan type whole**: the letters of a spelled "H M O" and the words of "high deductible"
  tagged apart are one plan type;
* **a copay is named**: a COPAY with no copay word near it goes;
* **a payer's name whole**: a carrier tagged in part ("blue" of "blue cross blue shield of
  illinois") runs over the whole name where the payer list knows it;
* **lines and greetings**: a name, date or carrier never runs over a line break, and a one-word
  "name" that is a sign-off of another language ("Obrigado") is dropped;
* **streets whole**: a street name runs on over its street word ("Main" + "street"); an
  address never runs into the next line's form label ("City:");
* **postal prefixes**: ``RR 2``, ``Unit 28130``, ``Route 5`` before a box or house number are
  part of the address;
* **a spelled value is one value**: pieces of one spelled or spoken sequence ("X O F 9 1 1",
  "seven, X-ray, Romeo, Tango") that the model cut into several spans of several types become
  one span, typed by the pieces that cover most of it;
* **the cue names the type**: an identifier right after a specific cue phrase ("VIN", "serial
  number", "driver's license", "SSN") takes the cue's type when the model chose another
  identifier type (a licence number the model called an account number);
* **places by their names**: a place runs over the words that make its name ("Camp" + "Ripley",
  "Scott" + "AFB"); a town that starts a facility's name, and a state or country on its own, is
  no LOC;
* **no word pieces, no car makes**: an identifier span without a digit cut inside a word
  ("tology") goes from the strict spans; a plate written with a space is one plate, and a
  "plate" with no digit, no spoken number and not in capitals (a make or model) goes;
* **a file name is one name**: pieces of a photo's file name written with a space ("cigna"
  "front.jpg", "angio" "underscore zero four one seven dot dcm") are one PHOTO_REF, and so is
  a screenshot's default name ("Screenshot 2026-03-05 at 7.41.12 PM.png") the model cut into
  dates and numbers;
* **masks, states and cue words stay out**: a masked SSN (``xxx-xx-6092``) is its visible
  digits, as the spec's partial SSN (``4821``) is; a state code before or after a licence
  number (``TX 31847256``, ``B4827163 CA``) and a word such as "pic" or "photo" before a file
  name are not part of the identifier;
* **a web address whole**: a written address runs over its path (``pay.example.com/bill``)
  and starts at the address, not at the words before it ("online at"); pieces of a spoken
  one ("w w w dot" "stmarcellus health dot org slash") are one URL, and a spoken address
  that ends in "dot" or "slash" runs over the word that completes it;
* **an email address whole**: a spoken address runs back over its local part to the cue
  ("email is"), and an EMAIL span with no "@" and no spoken "at" is none;
* **a biometric record is named**: a BIOMETRIC span in a message that names no fingerprint,
  voiceprint, retina, DNA sample or enrolment leaves the strict spans (the redacted text keeps it);
* **paired labels, one edge**: an insurance identifier inside a longer PHI span of its paired
  type takes that span's edges, and one the PHI answer reads as another kind (a fax number,
  an SSN) or as nothing is dropped (``pair_with_phi``, run on the two answers together).

Each step takes and returns sorted, non-overlapping spans of one answer.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from intakeflow.pipeline.merge import non_overlapping
from intakeflow.pipeline.payers import ALIASES, canonical_payer
from intakeflow.pipeline.recognizers.cue_anchor import FILLER
from intakeflow.pipeline.recognizers.cue_index import find_cues
from intakeflow.spans import Span
from intakeflow.spec import COUNTRIES, INSURANCE_IDENTIFIERS, INSURANCE_PHI_TYPE, US_STATE_CODES, US_STATES

AMOUNT_TYPES = frozenset({"COPAY", "DEDUCTIBLE", "BILLED_AMOUNT"})
#: labels whose spans are words of running text (identifier types are grown by boundary repair)
WORD_TYPES = frozenset({"NAME", "SUBSCRIBER_NAME", "LOC", "CARRIER", "DATE", "AGE_OVER_89", "RELATIONSHIP", "PLAN_TYPE"})
NAME_TYPES = frozenset({"NAME", "SUBSCRIBER_NAME"})
#: PHI labels whose values are tagged at every occurrence (spec §2); values under 3 characters
#: (a DATE "12") are not propagated: too short to mean the same thing everywhere
PROPAGATED_PHI = frozenset(
    {"NAME", "LOC", "PHONE", "FAX", "EMAIL", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE", "VEHICLE", "DEVICE",
     "URL", "IP", "BIOMETRIC", "PHOTO_REF", "DATE"}
)  # fmt: skip

# a state name or a two-letter code (any, like a postal code: "MA", "AE" of an APO address)
_STATES = "|".join(map(re.escape, US_STATES)) + "|[A-Z]{2}|[A-Z]\\.[A-Z]\\."
# \Z, not $: "$" also matches before a final line break, and a line break is no name gap
_ADDRESS_GAP = re.compile(rf"[ \t]*(?:,[ \t]*)?(?:\r?\n[ \t]*)*(?:(?:{_STATES})[ \t]*,?[ \t]*)?(?:\r?\n[ \t]*)*\Z")
_NAME_GAP = re.compile(r"(?: |-|\u2010|\u2011)\Z")
_WORD_AFTER = re.compile(r"[ \t]([A-Z][\w'\u2019-]*\w)(?![\w'\u2019-])")
_NUMBER_WORDS = (
    "zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    "thousand|million"
)
_SPOKEN_TAIL = re.compile(
    rf"(?:[ -]+(?:{_NUMBER_WORDS})\b)*(?:[ ]+(?:dollars?|bucks)\b)?(?:[ ]+and[ ]+(?:(?:{_NUMBER_WORDS})[ -]*)+cents?\b)?",
    re.IGNORECASE,
)
_CENTS = re.compile(r"\.\d{2}(?!\d)")
#: the number words before a spoken amount the model began late ("one" of "one twenty five")
_SPOKEN_HEAD = re.compile(rf"(?<![\w-])(?:(?:{_NUMBER_WORDS})[ -]+)+\Z", re.IGNORECASE)
#: "a" of "a hundred and ten dollars"
_A_HEAD = re.compile(r"(?<![\w-])a[ ]+\Z", re.IGNORECASE)
_CENTS_WORD = re.compile(r"[ ]+cents?\b", re.IGNORECASE)
_PLAN_TAIL = re.compile(r"[ \t]+(PPO|HMO|EPO|POS|HDHP|Medicare Advantage|Medigap)$", re.IGNORECASE)
#: capitalised words that follow names without being part of them
_NOT_NAME = frozenset(
    "I Im I'm And But Or So The This That Thanks Thank Please Call Hi Hello Dear Regards Sincerely Sent From "
    "My Our Your His Her Their DOB MRN Re RE Fwd Fw Jr Sr II III IV MD DO RN NP PA PhD".split()
)
#: greetings and sign-offs of other languages that open or close a message like a name would
_SALUTATIONS = frozenset(
    "obrigado obrigada merci gracias danke grazie salamat spasibo shukran hola bonjour buenas tardes dias "
    "noches namaste salaam ciao adios saludos atentamente cordialmente xiexie arigato kamsahamnida".split()
)
#: postal prefixes before a house or box number that belong to the address
_ADDRESS_PREFIX = re.compile(
    r"\b(?:Unit|CMR|PSC|RR|HC|Rural\s+Route|Route|Rte|Star\s+Route|P\.?\s?O\.?)\s+(?:\d+[A-Z]?,?\s+)?\Z",
    re.IGNORECASE,
)
_DATE_JOIN = re.compile(r"[/.-]\d{1,4}")
#: a piece of a spelled or spoken value: a letter, a digit group, a number word, a word of the
#: spelling alphabet, "double" ("double five") or "dash"
_SPELL_TOKEN = (
    rf"(?:\b(?:{_NUMBER_WORDS}|double|triple|dash|dot|point|slash|underscore|alpha|alfa|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|"
    r"juliett?|kilo|lima|mike|november|oscar|papa|quebec|romeo|sierra|tango|uniform|victor|whiskey|x-ray|xray|"
    r"yankee|zulu)\b|(?<!['\u2019])\b[A-Za-z]\b(?!['\u2019])|\d+)"
)
_SPELLED = re.compile(rf"(?:{_SPELL_TOKEN}[ \t,.-]*)+\Z", re.IGNORECASE)
_SPELL_GAP = re.compile(rf"[ \t,-]*(?:{_SPELL_TOKEN}[ \t,-]*)*\Z", re.IGNORECASE)
_STREET_WORDS = (
    "street|st|avenue|ave|drive|dr|road|rd|boulevard|blvd|lane|ln|court|ct|way|place|pl|parkway|pkwy|highway|hwy|"
    "terrace|ter|circle|cir|trail|trl|square|sq"
)
_STREET_AFTER = re.compile(rf"[ ](?:{_STREET_WORDS})\b\.?", re.IGNORECASE)
_FORM_LABEL = re.compile(r"[ \t]*[:/]")
#: identifier types a cue phrase can decide between
_ID_TYPES = frozenset({"SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE", "VEHICLE", "DEVICE", "BIOMETRIC", "PHOTO_REF"})
#: cue phrases too common in other senses to overrule the model ("social worker", "tag along",
#: "the chart", "image" of a scan) or shared by several identifier kinds ("id #")
_WEAK_CUES = frozenset({"social", "tag", "template", "chart", "record", "image", "img", "picture", "dl", "sn", "id#"})
_CUE_GAP = re.compile(rf"{FILLER}{{0,6}}\Z")
#: a VIN's shape (17 characters, no I, O or Q), for a message that says "VIN" but whose check
#: digit a person mistyped
_VIN_SHAPE = re.compile(r"(?=[A-HJ-NPR-Z0-9]*[A-Z])(?=[A-HJ-NPR-Z0-9]*\d)[A-HJ-NPR-Z0-9]{17}")
_VIN_WORD = re.compile(r"\bVIN\b", re.IGNORECASE)
#: one piece of a plate written with a space ("8HTR 442", "MC 4T8J2")
_PLATE_PIECE = re.compile(r"[A-Z0-9]{1,5}")
_ACRONYM_PLURAL = re.compile(r"[A-Z]{2,}s")
#: a file name's extension, written ("front.jpg") or spoken ("four one seven dot dcm")
_FILE_EXTENSION = re.compile(r"(?:\.|\s+dot\s+)(?:jpe?g|png|heic|gif|tiff?|bmp|webp|dcm|pdf|mov|mp4)\Z", re.IGNORECASE)
#: the default names phones and desktops give screenshots
_SCREENSHOT_NAME = re.compile(
    r"\bScreen ?shot[ _-]\d{4}-?\d\d-?\d\d(?: at |[ _-])\d{1,2}[.:-]?\d\d[.:-]?\d\d"
    r"(?:[ _-]?[AP]M)?(?:[ _-]\w+)?(?: \(\d+\))?\.(?:png|jpe?g|heic)\b",
    re.IGNORECASE,
)


def _with(
    sp: Span, start: int | None = None, end: int | None = None, label: str | None = None, score: float | None = None
) -> Span:
    """``dataclasses.replace`` for spans, without its per-call introspection (a hot path)."""
    return Span(
        sp.start if start is None else start,
        sp.end if end is None else end,
        sp.label if label is None else label,
        sp.source,
        sp.score if score is None else score,
    )


def _sorted(spans: Iterable[Span]) -> list[Span]:
    return sorted(spans, key=Span.key)


def _one_span(spans: list[Span], pieces: list[Span], start: int, end: int, label: str) -> list[Span]:
    """``spans`` with ``pieces`` replaced by one span over ``start``-``end``."""
    whole = Span(start, end, label, pieces[0].source, max(sp.score for sp in pieces))
    return _sorted([sp for sp in spans if sp not in pieces] + [whole])


def _word_char(text: str, i: int) -> bool:
    """``text[i]`` belongs to a word: a letter or digit, or an apostrophe or hyphen inside one."""
    if not 0 <= i < len(text):
        return False
    ch = text[i]
    # combining marks (U+0300...) carry the accents of a decomposed name ("Adébáyọ̀")
    if ch.isalnum() or unicodedata.category(ch).startswith("M"):
        return True
    if not (ch in "'\u2019-" and 0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()):
        return False
    # a possessive 's ends the word ("Varga's office" -> "Varga"); O'Brien does not
    return not (ch != "-" and text[i + 1] in "sS" and not _word_char(text, i + 2))


def whole_words(text: str, spans: Iterable[Span]) -> list[Span]:
    """Grow word-type spans that start or end inside a word to the word's edges."""
    out = []
    for sp in spans:
        s, e = sp.start, sp.end
        if sp.label in WORD_TYPES:
            if _word_char(text, s) and _word_char(text, s - 1):
                while _word_char(text, s - 1):
                    s -= 1
            if _word_char(text, e - 1) and _word_char(text, e):
                while _word_char(text, e):
                    e += 1
            if sp.label == "DATE" and text[e - 1] in "/.-" and (m := _DATE_JOIN.match(text, e - 1)) is not None:
                e = m.end()  # "1/" of "1/10"
        out.append(sp if (s, e) == (sp.start, sp.end) else _with(sp, start=s, end=e))
    return non_overlapping(out)


def _join(text: str, spans: list[Span], labels: frozenset[str], gap: re.Pattern[str]) -> list[Span]:
    if len(spans) < 2:
        return list(spans)
    out: list[Span] = []
    for sp in _sorted(spans):
        prev = out[-1] if out else None
        between = text[prev.end : sp.start] if prev is not None else ""
        if (
            prev is not None
            and prev.label == sp.label
            and sp.label in labels
            and (gap.match(between) or _caps_comma(text, prev, sp, between))
        ):
            out[-1] = _with(prev, end=sp.end, score=max(prev.score, sp.score))
        else:
            out.append(sp)
    return out


def _caps_comma(text: str, a: Span, b: Span, between: str) -> bool:
    """``DELACROIX, ODETTE``: a record-style name, family name first, is one name."""
    return (
        a.label in NAME_TYPES
        and between == ", "
        and text[a.start : a.end].isupper()
        and text[b.start : b.end].isupper()
        and " " not in text[a.start : a.end]
    )


def join_names(text: str, spans: list[Span]) -> list[Span]:
    """First and last name tagged apart are one name; so are pieces of one word or of one
    carrier name (``Denali`` ``KidCare``)."""
    return _join(text, spans, NAME_TYPES | {"CARRIER"}, _NAME_GAP)


def join_touching(text: str, spans: list[Span]) -> list[Span]:
    """Pieces of one token tagged apart (``3/`` and ``9``) are one span."""
    return _join(text, spans, WORD_TYPES, re.compile(r"\Z"))


def split_lines(text: str, spans: list[Span]) -> list[Span]:
    """A name, date or carrier never runs over a line break: ``Alphonse Mugabe\nDOB`` keeps
    its first line, and each other line stays only if it still reads as one."""
    out = []
    for sp in spans:
        piece = text[sp.start : sp.end]
        if sp.label not in ("NAME", "SUBSCRIBER_NAME", "DATE", "CARRIER") or "\n" not in piece:
            out.append(sp)
            continue
        pos = sp.start
        for line in piece.split("\n"):
            st = pos + len(line) - len(line.lstrip())
            en = pos + len(line.rstrip())
            words = text[st:en]
            if en - st >= 2 and words not in _NOT_NAME and any(c.isalnum() for c in words):
                out.append(_with(sp, start=st, end=en))
            pos += len(line) + 1
    return non_overlapping(out)


def drop_salutations(text: str, spans: list[Span]) -> list[Span]:
    """A one-word NAME that is a greeting or sign-off of another language ("Obrigado") goes."""
    return [s for s in spans if not (s.label in NAME_TYPES and text[s.start : s.end].lower() in _SALUTATIONS)]


def address_prefixes(text: str, spans: list[Span]) -> list[Span]:
    """``RR 2 Box 14``, ``Unit 28130 Box 1142``, ``Route 5 Box 90``: the prefix before a
    box or house number is part of the LOC span."""
    out = []
    for sp in spans:
        if sp.label == "LOC" and (m := _ADDRESS_PREFIX.search(text[max(0, sp.start - 40) : sp.start])) is not None:
            sp = _with(sp, start=sp.start - (m.end() - m.start()))
        out.append(sp)
    return non_overlapping(out)


def whole_streets(text: str, spans: list[Span]) -> list[Span]:
    """Street words in, form labels of the next line out. (Cutting what follows a street,
    "Olive St Walgreens", gained little leave one writer out and cost redaction recall on
    public addresses: a unit or direction after the street word went with it.)"""
    out = []
    for sp in spans:
        if sp.label == "LOC":
            s, e = sp.start, sp.end
            piece = text[s:e]
            if "\n" in piece:  # "Jackson Heights\nState: NY": the label line is no part
                lines = piece.split("\n")
                while len(lines) > 1 and _FORM_LABEL.match(text, s + len("\n".join(lines))):
                    lines.pop()
                e = s + len("\n".join(lines).rstrip())
            elif (m := _STREET_AFTER.match(text, e)) is not None and not _word_char(text, m.end()):
                e = m.end() - (1 if text[m.end() - 1] == "." else 0)  # "Main" + " street"
            if (s, e) != (sp.start, sp.end):
                sp = _with(sp, end=e)
        out.append(sp)
    return non_overlapping(out)


def join_addresses(text: str, spans: list[Span]) -> list[Span]:
    """Street, city, state and ZIP tagged apart, or over several lines, are one address."""
    return _join(text, spans, frozenset({"LOC"}), _ADDRESS_GAP)


def continue_names(text: str, spans: list[Span], common_words: frozenset[str]) -> list[Span]:
    """A NAME runs on over the next capitalised word when that word is no common word."""
    out: list[Span] = []
    taken = _sorted(spans)
    for i, sp in enumerate(taken):
        if sp.label in NAME_TYPES:
            m = _WORD_AFTER.match(text, sp.end)
            nxt = taken[i + 1].start if i + 1 < len(taken) else len(text)
            word = m.group(1) if m else ""
            if (
                m
                and m.end() <= nxt
                and word not in _NOT_NAME
                and word.lower() not in common_words
                and not word.isupper()  # an acronym (ER, PPO) is no surname
                and not _ACRONYM_PLURAL.fullmatch(word)  # nor its plural (WCCs)
                and word not in text[sp.start : sp.end].split()  # "Jane Doe Jane Doe" is two names
            ):
                sp = _with(sp, end=m.end())
        out.append(sp)
    return non_overlapping(out)


_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+|\n\s*)$")


def _occurrences(text: str, value: str) -> Iterable[tuple[int, int]]:
    """Whole-word occurrences of ``value`` (str.find: a regex per value costs more)."""
    i = text.find(value)
    while i >= 0:
        j = i + len(value)
        before = text[i - 1] if i else " "
        after = text[j] if j < len(text) else " "
        if not (before.isalnum() or before in "_'\u2019-" or after.isalnum() or after in "_'\u2019-"):
            yield i, j
        i = text.find(value, i + 1)


def propagate(text: str, spans: list[Span], labels: frozenset[str], common_words: frozenset[str] = frozenset()) -> list[Span]:
    """Tag every occurrence of a value tagged with one of ``labels``, and of each part of a
    tagged name. A name part that is also a common word ("Will", "Rose") is not propagated
    to the start of a sentence, where it is more likely the word."""
    found = {(text[s.start : s.end], s.label) for s in spans if s.label in labels and s.end - s.start >= 3}
    parts = set()
    for s in spans:
        if s.label in NAME_TYPES and s.label in labels:
            for part in re.findall(r"[A-Z][\w'\u2019-]{2,}", text[s.start : s.end]):
                if part not in _NOT_NAME and (part, s.label) not in found:
                    parts.add((part, s.label))
    added = list(spans)
    for value, label in sorted(found | parts, key=lambda vl: -len(vl[0])):
        for st, en in _occurrences(text, value):
            if any(st < o.end and o.start < en for o in added):
                continue
            if (value, label) in parts and value.lower() in common_words and _SENTENCE_START.search(text, 0, st):
                continue
            added.append(Span(st, en, label, "propagated", 0.5))
    return _sorted(added)


def whole_amounts(text: str, spans: list[Span]) -> list[Span]:
    """Currency sign, cents and the rest of a spoken amount go inside amount spans, and so do
    the number words (or the "a" of "a hundred") the model left before a spoken one."""
    out = []
    for sp in spans:
        s, e = sp.start, sp.end
        if sp.label in AMOUNT_TYPES:
            # a number cut by the tokenizer ("$" | "1,200") is one amount
            while s > 0 and (text[s - 1].isdigit() or (text[s - 1] in ",." and s > 1 and text[s - 2].isdigit())):
                s -= 1
            while e < len(text) and (text[e].isdigit() or (text[e] in ",." and e + 1 < len(text) and text[e + 1].isdigit())):
                e += 1
            if s > 0 and text[s - 1] in "$\u20ac\u00a3" and not text[s:e].startswith(("$", "\u20ac", "\u00a3")):
                s -= 1
            if (m := _CENTS.match(text, e)) is not None and text[e - 1].isdigit():
                e = m.end()
            elif text[e - 1].isalpha() and (m := _SPOKEN_TAIL.match(text, e)) is not None:
                e = m.end()
                # "... dollars and forty" | "cents"
                if " and " in text[sp.start : e] and (m := _CENTS_WORD.match(text, e)) is not None:
                    e = m.end()
            if text[s].isalpha():
                if (m := _SPOKEN_HEAD.search(text, max(0, s - 80), s)) is not None:
                    s = m.start()
                if text[s : s + 8].lower().startswith(("hundred", "thousand")) and (m := _A_HEAD.search(text, max(0, s - 2), s)):
                    s = m.start()
        out.append(sp if (s, e) == (sp.start, sp.end) else _with(sp, start=s, end=e))
    return non_overlapping(out)


def trim_carriers(text: str, spans: list[Span], common_words: frozenset[str]) -> list[Span]:
    """A carrier is a proper name: a trailing lower-case common word ("MetLife dental",
    "Medicare plus") is no part of it."""
    out = []
    for sp in spans:
        if sp.label == "CARRIER":
            words = text[sp.start : sp.end].split(" ")
            while len(words) > 1 and words[-1].islower() and words[-1].isalpha() and words[-1] in common_words:
                words.pop()
            sp = _with(sp, end=sp.start + len(" ".join(words)))
        out.append(sp)
    return out


def split_plan_type(text: str, spans: list[Span]) -> list[Span]:
    """``Aetna PPO`` tagged as one CARRIER becomes CARRIER ``Aetna`` and PLAN_TYPE ``PPO``."""
    out = []
    for sp in spans:
        m = _PLAN_TAIL.search(text, sp.start, sp.end) if sp.label == "CARRIER" else None
        if m is not None and m.end() == sp.end and m.start() > sp.start:
            out += [_with(sp, end=m.start()), Span(m.start(1), m.end(1), "PLAN_TYPE", sp.source, sp.score)]
        else:
            out.append(sp)
    return non_overlapping(out)


def join_spelled(text: str, spans: list[Span]) -> list[Span]:
    """Spans that are pieces of one spelled or spoken sequence, with nothing but more of it
    between them, are one span, labelled by the label covering the most characters."""
    out: list[Span] = []
    group: list[Span] = []

    def close() -> None:
        if len(group) == 1:
            out.append(group[0])
        elif group:
            chars: dict[str, int] = {}
            for g in group:
                chars[g.label] = chars.get(g.label, 0) + g.end - g.start
            label = max(chars, key=lambda lb: (chars[lb], lb == group[0].label))
            out.append(_with(group[0], end=group[-1].end, label=label, score=max(g.score for g in group)))
        group.clear()

    def spelled_name(sp: Span) -> bool:
        """Letters that spell a word of a tagged name ("Farnsworth ... F A R N S W O R T H")."""
        letters = text[sp.start : sp.end].replace(" ", "").replace(",", "").replace("-", "").lower()
        return len(letters) >= 3 and letters.isalpha() and letters in name_words

    for sp in _sorted(spans):
        spelled = _SPELLED.match(text, sp.start, sp.end) is not None
        if group and spelled and _SPELL_GAP.match(text, group[-1].end, sp.start):
            group.append(sp)
            continue
        close()
        if spelled:
            group.append(sp)
        else:
            out.append(sp)
    close()
    name_words = {w.lower() for s in out if s.label in NAME_TYPES for w in re.findall(r"\w+", text[s.start : s.end])}
    return [_with(s, label="NAME") if s.label not in NAME_TYPES and spelled_name(s) else s for s in out]


def cue_types(text: str, spans: list[Span]) -> list[Span]:
    """An identifier announced by a specific cue phrase takes the cue's identifier type."""
    hits = [h for h in find_cues(text) if h.phrase not in _WEAK_CUES]
    vin_said = _VIN_WORD.search(text) is not None
    if not hits and not vin_said:
        return spans
    out = []
    for sp in spans:
        if sp.label in _ID_TYPES and vin_said and _VIN_SHAPE.fullmatch(text, sp.start, sp.end):
            sp = _with(sp, label="VEHICLE")
        elif sp.label in _ID_TYPES:
            before = [h for h in hits if h.end <= sp.start]
            if before and _CUE_GAP.match(text, before[-1].end, sp.start):
                types = before[-1].labels & _ID_TYPES
                if len(types) == 1 and sp.label not in types:
                    sp = _with(sp, label=next(iter(types)))
        out.append(sp)
    return out


#: words that make a place name with the name beside them ("Fort" "Leonard Wood", "Scott" "AFB")
_PLACE_BEFORE = re.compile(
    r"(?<![\w.])(Fort|Ft\.|Camp|Mount|Mt\.|Port|Lake|North|South|East|West|New|San|Santa|Los|Las|El|La|Le|St\.|"
    r"Saint|Point|Cape|Glen|Little|Big|Upper|Lower|Old|Grand|Broken|Bone|Rough|Red|White|Black|Green|Elk|Bear|"
    r"Cedar|Pine|Oak|Rock|Sandy|Twin|Sioux|Council)[ ]\Z"
)
_PLACE_AFTER = re.compile(
    r"[ ](AFB|Air Force Base|Base|Bay|Beach|City|Falls|Heights|Hills|Springs|Village|Valley|Junction|Creek|Harbor|"
    r"Harbour|Island|Lake|County|Parish|Township|Borough|Station|Ridge|Crossing|Bluff|Gap|Rapids|Landing|Mills?|"
    r"Grove|Hollow|Flats)\b"
)
#: a capitalised word that makes the place before it part of a practice, hospital or company
#: name ("Fairhaven Regional Medical Center", "Lakefront Legal Group"): not LOC (spec §2, NAME)
_FACILITY_AFTER = re.compile(
    r"[ ](?:Medical|Regional|Hospital|Health|Clinic|Family|Orthopa?edics?|Ortho|Legal|Law|Church|Community|"
    r"General|Memorial|Pediatrics|Dental|Urgent|Imaging|Women's|Children's|Surgical|Surgery|Specialty|Physicians|"
    r"Primary|Internal|Cardiology|Dermatology|Rheumatology|Behavioral|Cancer|Eye|Foot|Physical|"
    r"Rehab(?:ilitation)?|Center|Centre|Labs?|Laboratory|Pharmacy|Neurology|Oncology|Vision|Wellness|ENT|"
    r"Associates|Group|Partners|Institute|University|College|School|Academy|Insurance|Logistics|Landscaping|"
    r"Storage|Foods?|Supply|Manufacturing|Construction|Bank)\b"
)
_STATE_NAMES = frozenset(s.lower() for s in US_STATES)


def place_names(text: str, spans: list[Span]) -> list[Span]:
    """A place runs over the words that make its name ("Camp" + "Ripley", "Mountain Home" +
    "AFB"); then a place that starts a facility's name is no LOC, and neither is a state or a
    country on its own (spec §2, LOC)."""
    out = []
    for sp in spans:
        if sp.label == "LOC":
            s, e = sp.start, sp.end
            while (m := _PLACE_BEFORE.search(text, max(0, s - 12), s)) is not None:
                s = m.start(1)
            while (m := _PLACE_AFTER.match(text, e)) is not None:
                e = m.end()
            if _FACILITY_AFTER.match(text, e):
                continue
            value = text[s:e]
            if value.lower() in _STATE_NAMES or value in US_STATE_CODES or value.lower() in COUNTRIES:
                continue
            if (s, e) != (sp.start, sp.end):
                sp = _with(sp, start=s, end=e)
        out.append(sp)
    return non_overlapping(out)


def drop_fragments(text: str, spans: list[Span]) -> list[Span]:
    """An identifier span without a digit that starts or ends inside a run of letters
    ("tology" of "rheumatology", "habdo/AK") is a piece of a word, not an identifier."""
    out = []
    for sp in spans:
        if sp.label not in WORD_TYPES:
            cut = (sp.start > 0 and text[sp.start - 1].isalpha() and text[sp.start].isalpha()) or (
                sp.end < len(text) and text[sp.end - 1].isalpha() and text[sp.end].isalpha()
            )
            if cut and not any(c.isdigit() for c in text[sp.start : sp.end]):
                continue
        out.append(sp)
    return out


_SPOKEN_NUMBER = re.compile(rf"\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)


def join_plates(text: str, spans: list[Span]) -> list[Span]:
    """A plate written with a space ("8HTR 442") and tagged as two VEHICLE pieces is one plate;
    a VEHICLE span with no digit, no spoken number and not in capitals is a car's make or model
    ("the maroon Buick", "Kia Soul"), which identifies no vehicle (spec §2: plates and VINs)."""
    out: list[Span] = []
    for sp in _sorted(spans):
        if sp.label == "VEHICLE":
            value = text[sp.start : sp.end]
            if not value.isupper() and not any(c.isdigit() for c in value) and not _SPOKEN_NUMBER.search(value):
                continue
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.label == sp.label == "VEHICLE"
            and text[prev.end : sp.start] == " "
            and _PLATE_PIECE.fullmatch(text, prev.start, prev.end)
            and _PLATE_PIECE.fullmatch(text, sp.start, sp.end)
        ):
            out[-1] = _with(prev, end=sp.end, score=max(prev.score, sp.score))
        else:
            out.append(sp)
    return out


def whole_file_names(text: str, spans: list[Span]) -> list[Span]:
    """A photo's file name written with a space and tagged as two PHOTO_REF pieces is one
    name when the second piece, and only the second, ends in a file extension; a screenshot's default name that the
    model tagged any part of as PHOTO_REF is one PHOTO_REF over the whole name (spec §2: one
    span per identifier)."""
    out: list[Span] = []
    for sp in _sorted(spans):
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.label == sp.label == "PHOTO_REF"
            and text[prev.end : sp.start] == " "
            and _FILE_EXTENSION.search(text, sp.start, sp.end)
            and not _FILE_EXTENSION.search(text, prev.start, prev.end)  # two names in a list
        ):
            out[-1] = _with(prev, end=sp.end, score=max(prev.score, sp.score))
        else:
            out.append(sp)
    for m in _SCREENSHOT_NAME.finditer(text):
        inside = [sp for sp in out if sp.start < m.end() and sp.end > m.start()]
        if any(sp.label == "PHOTO_REF" for sp in inside):
            out = _one_span(out, inside, m.start(), m.end(), "PHOTO_REF")
    return out


#: an SSN with its first five digits masked ("xxx-xx-6092", "***-**-3381", "•••-••-5092")
_MASKED_SSN = re.compile(r"[xX*•#]{3}[- ]?[xX*•#]{2}[- ]?(\d{4})")
#: a word that announces a picture, not part of its file name ("pic drain_bulb_1530.jpg")
_PHOTO_CUE = re.compile(r"(?:pics?|photos?|pictures?|images?|attached|attachment|file)[ \t]+(?=\S)", re.IGNORECASE)
#: a written web address: a host with a dot, or a scheme or "www."
_WRITTEN_URL = re.compile(r"\S*(?:://|www\.|\w\.[a-z]{2,})\S*", re.IGNORECASE)
#: the rest of a written address's path or query after the tagged part
_URL_PATH = re.compile(r"[/?#][^\s]*")
_URL_TRAILING = ".,;:!?)]}'\""
_SPOKEN_URL_WORD = re.compile(r"\b(?:dot|slash|colon|underscore|dash|hyphen)\b", re.IGNORECASE)
_SPOKEN_URL_GAP = re.compile(r"[ \t]+(?:(?:dot|slash|colon|underscore|dash|hyphen)[ \t]+)?", re.IGNORECASE)
_NEXT_WORD = re.compile(r"[ \t]+([A-Za-z0-9][\w-]*)")


def masked_ssns(text: str, spans: list[Span]) -> list[Span]:
    """A masked SSN is its visible digits, under whatever identifier type the model gave it:
    the shape belongs to no other identifier."""
    out = []
    for sp in spans:
        m = _MASKED_SSN.fullmatch(text, sp.start, sp.end) if sp.label in _ID_TYPES else None
        out.append(_with(sp, start=m.start(1), end=m.end(1), label="SSN") if m else sp)
    return out


def licence_states(text: str, spans: list[Span]) -> list[Span]:
    """A two-letter state code before or after a licence number says which state issued it; a
    state is never PHI on its own (spec §2), and the code is a cue, not the number."""
    out = []
    for sp in spans:
        if sp.label == "LICENSE":
            words = text[sp.start : sp.end].split(" ")
            start, end = sp.start, sp.end
            if len(words) > 1 and words[0] in US_STATE_CODES:
                start += len(words[0]) + 1
            if len(words) > 1 and words[-1] in US_STATE_CODES and end - len(words[-1]) - 1 > start:
                end -= len(words[-1]) + 1
            if any(c.isdigit() for c in text[start:end]):
                sp = _with(sp, start=start, end=end)
        out.append(sp)
    return out


def photo_cues(text: str, spans: list[Span]) -> list[Span]:
    """A "pic", "photo" or "attached" before a file name is a cue word, outside the span."""
    out = []
    for sp in spans:
        m = _PHOTO_CUE.match(text, sp.start, sp.end) if sp.label == "PHOTO_REF" else None
        if m and _FILE_EXTENSION.search(text, m.end(), sp.end):
            sp = _with(sp, start=m.end())
        out.append(sp)
    return out


def whole_urls(text: str, spans: list[Span]) -> list[Span]:
    """A URL span is the address, all of it. Written: the words before the address ("online
    at") go, and its path runs on to the next space ("/bill"), trailing sentence punctuation
    out. Spoken: pieces separated by a space or a spoken "dot"/"slash" are one address, and
    one that ends in such a word runs over the next word."""
    out: list[Span] = []
    for sp in _sorted(spans):
        if sp.label != "URL":
            out.append(sp)
            continue
        written = [m for m in _WRITTEN_URL.finditer(text, sp.start, sp.end)]
        if written and " dot " not in text[sp.start : sp.end].lower():
            start, end = written[0].start(), written[-1].end()
            path = _URL_PATH.match(text, end)
            if path:
                end = path.end()
            while end > start and text[end - 1] in _URL_TRAILING:
                end -= 1
            sp = _with(sp, start=start, end=end)
        prev = out[-1] if out else None
        if prev is not None and prev.label == "URL" and _SPOKEN_URL_GAP.fullmatch(text, prev.end, sp.start):
            if _SPOKEN_URL_WORD.search(text, prev.start, sp.end):
                out[-1] = _with(prev, end=sp.end, score=max(prev.score, sp.score))
                continue
        out.append(sp)
    done = []
    for sp in out:
        last = text[sp.start : sp.end].rsplit(" ", 1)[-1]
        if sp.label == "URL" and " " in text[sp.start : sp.end] and _SPOKEN_URL_WORD.fullmatch(last):
            nxt = _NEXT_WORD.match(text, sp.end)
            if nxt and not any(o.start < nxt.end(1) and nxt.start(1) < o.end for o in out if o is not sp):
                sp = _with(sp, end=nxt.end(1))
        done.append(sp)
    return done


#: an address read out ("pip oyelowo at icloud dot com"): the local part is words before "at"
_SPOKEN_AT = re.compile(r"(?:^|\s)at\s", re.IGNORECASE)
_SPOKEN_DOT = re.compile(r"\bdot\b", re.IGNORECASE)
_WORD_BEFORE = re.compile(r"([A-Za-z0-9]+)[ \t]+\Z")
#: words that end a spoken address's local part going leftwards: the cue and its verbs
_EMAIL_STOP = frozenset(
    {"is", "email", "e-mail", "mail", "address", "at", "to", "me", "my", "its", "it", "was", "be", "send", "the",
     "and", "or", "please", "use", "reach", "contact", "write", "that", "this", "on", "under", "as", "i", "you",
     "her", "his", "their", "our", "com", "okay", "ok", "um", "uh", "yes", "so", "new", "old", "personal", "work",
     "s", "thats", "that's", "it's", "again", "also", "still", "now", "from"}
)  # fmt: skip
_SPOKEN_EMAIL_WORDS = 8
_WRITTEN_EMAIL = re.compile(r"\w@[\w-]+(?:\.[\w-]+)+")


def whole_emails(text: str, spans: list[Span], drop_non_addresses: bool = True) -> list[Span]:
    """An email address is one span, all of it. A spoken address ("l baptiste seventy one at
    gmail dot com") that the model began at its last word runs back over the words of its local
    part, up to the cue that announced it ("email is"), swallowing a piece of itself the model
    tagged apart ("s" "kearney walsh at ..."); an EMAIL span with neither an "@" nor a spoken
    "at" is no address ("dot com", "at"), nor is an "@" with no domain after it ("@home"); the
    recall-leaning redaction spans keep such pieces (``drop_non_addresses`` false)."""
    out: list[Span] = []
    for sp in _sorted(spans):
        if sp.label != "EMAIL":
            out.append(sp)
            continue
        value = text[sp.start : sp.end]
        if drop_non_addresses and (
            ("@" in value and not _WRITTEN_EMAIL.search(value)) or ("@" not in value and not _SPOKEN_AT.search(value))
        ):
            continue
        if "@" not in value and _SPOKEN_DOT.search(value):
            start = sp.start
            for _ in range(_SPOKEN_EMAIL_WORDS):
                m = _WORD_BEFORE.search(text, 0, start)
                if m is None or m.group(1).lower() in _EMAIL_STOP:
                    break
                before = [o for o in out if o.start < start and m.start(1) < o.end]
                if any(o.label != "EMAIL" for o in before):
                    break
                out = [o for o in out if o not in before]
                start = m.start(1)
            sp = _with(sp, start=start)
        out.append(sp)
    return out


#: what makes an identifier one of a biometric record (spec §2: fingerprint, voiceprint, retina
#: or DNA sample IDs): the kind of record or of sample, or the act of enrolling one
_BIOMETRIC_CONTEXT = re.compile(
    r"\b(?:finger ?prints?|thumb ?prints?|voice ?prints?|voice|palm|vein|retina|retinal|iris|face|facial|dna|"
    r"genetic|genes?|genomic|sample|kit|swab|saliva|cheek|biometrics?|templates?|enrol(?:l?ment|led|l))\b",
    re.IGNORECASE,
)


def biometric_context(text: str, spans: list[Span]) -> list[Span]:
    """A BIOMETRIC span in a message that names no biometric record, sample or enrolment is
    no identifier of one (a sleep-study or request number the model took for one): it leaves
    the strict spans. The redacted text keeps it, as an identifier of some kind."""
    if not any(sp.label == "BIOMETRIC" for sp in spans) or _BIOMETRIC_CONTEXT.search(text):
        return spans
    return [sp for sp in spans if sp.label != "BIOMETRIC"]


def decode_phi(text: str, spans: list[Span], common_words: frozenset[str], redaction: bool = False) -> list[Span]:
    """All PHI rules, in the order that lets each see the previous one's spans. For the
    recall-leaning redaction spans a word fragment stays: redacting a piece of a word costs
    little, leaving an identifier's piece costs recall (presidio-research street addresses)."""
    spans = drop_salutations(text, split_lines(text, spans))
    spans = join_touching(text, whole_words(text, spans))
    if not redaction:
        spans = biometric_context(text, drop_fragments(text, spans))
    spans = join_plates(text, cue_types(text, join_spelled(text, spans)))
    spans = whole_file_names(text, join_names(text, spans))
    spans = whole_urls(text, photo_cues(text, licence_states(text, masked_ssns(text, spans))))
    spans = whole_emails(text, spans, drop_non_addresses=not redaction)
    spans = address_prefixes(text, join_addresses(text, spans))
    spans = place_names(text, whole_streets(text, spans))
    spans = continue_names(text, spans, common_words)
    spans = non_overlapping(propagate(text, spans, PROPAGATED_PHI, common_words))
    # a repeat found by propagation may sit beside a piece of the same place ("Pago" "Pago")
    return join_addresses(text, spans)


def _payer_name_regex() -> re.Pattern[str]:
    """Every payer name and spelling of :mod:`payers`, longest first, words apart by any
    space or hyphen, a Blue plan with its "of <state>"."""
    names = {n.casefold() for canon, aliases in ALIASES.items() for n in (canon, *aliases)}
    words = [r"[\s-]+".join(map(re.escape, n.replace("&", " and ").split())) for n in sorted(names, key=len, reverse=True)]
    states = "|".join(sorted(map(re.escape, US_STATES), key=len, reverse=True))
    blue = r"blue[\s-]*cross(?:[\s-]+(?:and[\s-]+|&[\s-]*)?blue[\s-]*shield)?(?:[\s-]+of[\s-]+(?:" + states + r"))?"
    return re.compile(r"(?<![\w-])(?:" + blue + "|" + "|".join(words) + r")(?![\w-])", re.IGNORECASE)


_PAYER_NAME = _payer_name_regex()


def whole_carriers(text: str, spans: list[Span]) -> list[Span]:
    """A carrier the model tagged in part ("blue" of "blue cross blue shield of illinois",
    "Mutual" of "Medical Mutual", "Blue Cross" and "Blue Shield of Vermont" of one name) is the
    whole payer name it is part of, where :mod:`payers` knows that name and no other insurance
    field lies inside it. Runs after :func:`trim_carriers`, which would cut a lower-case name
    ("blue cross blue shield") back to its first word."""
    if not any(sp.label == "CARRIER" for sp in spans):
        return spans
    out = _sorted(spans)
    for m in _PAYER_NAME.finditer(text):
        inside = [sp for sp in out if sp.start < m.end() and m.start() < sp.end]
        if not inside or any(sp.label != "CARRIER" for sp in inside):
            continue
        # a name complete on its own stays as tagged: "TRICARE" of "TRICARE Select" is the
        # carrier and "Select" its product; "MetLife" of "MetLife dental" was trimmed on purpose
        if len(inside) == 1 and canonical_payer(text[inside[0].start : inside[0].end]) is not None:
            continue
        start, end = min(m.start(), inside[0].start), max(m.end(), inside[-1].end)
        if (start, end) != (inside[0].start, inside[-1].end) or len(inside) > 1:
            out = _one_span(out, inside, start, end, "CARRIER")
    return out


#: a copay is an amount named as one (spec §3), in English or Spanish, within a sentence or two
_COPAY_WORD = re.compile(r"co-?pays?|co-?payments?|copagos?", re.IGNORECASE)
_COPAY_REACH = 120


def copays_named(text: str, spans: list[Span]) -> list[Span]:
    """A COPAY span with no copay word within :data:`_COPAY_REACH` characters is no copay
    (a visit's price, an amount paid): it leaves the answer."""
    return [
        sp
        for sp in spans
        if sp.label != "COPAY" or _COPAY_WORD.search(text, max(0, sp.start - _COPAY_REACH), min(len(text), sp.end + _COPAY_REACH))
    ]


#: a plan type spelled out letter by letter ("H M O", "p-p-o"), or "high deductible"
_PLAN_PIECES = re.compile(
    r"(?<![\w-])(?:h[ .-]m[ .-]o|p[ .-]p[ .-]o|e[ .-]p[ .-]o|p[ .-]o[ .-]s|h[ .-]d[ .-]h[ .-]p|high[ -]deductible)(?![\w-])",
    re.IGNORECASE,
)


def whole_plan_types(text: str, spans: list[Span]) -> list[Span]:
    """A plan type the model tagged in pieces is one span: the letters of a spelled code
    ("H" "O" of "H M O"), the words of "high deductible". Two plan types side by side
    ("Medicare Advantage" "PPO") stay two."""
    out = _sorted(spans)
    for m in _PLAN_PIECES.finditer(text):
        inside = [sp for sp in out if sp.start < m.end() and m.start() < sp.end]
        if (
            inside
            and all(sp.label == "PLAN_TYPE" for sp in inside)
            and m.start() <= inside[0].start
            and inside[-1].end <= m.end()
        ):
            out = _one_span(out, inside, m.start(), m.end(), "PLAN_TYPE")
    return out


def decode_insurance(text: str, spans: list[Span], common_words: frozenset[str]) -> list[Span]:
    """All insurance rules."""
    spans = join_touching(text, whole_words(text, split_lines(text, spans)))
    spans = join_names(text, spans)
    spans = copays_named(text, whole_amounts(text, spans))
    spans = whole_plan_types(text, whole_carriers(text, trim_carriers(text, split_plan_type(text, spans), common_words)))
    # only the carrier is "every mention"; a subscriber is a subscriber where named as one
    return non_overlapping(propagate(text, spans, frozenset({"CARRIER"})))


def pair_with_phi(ins: list[Span], phi: list[Span]) -> list[Span]:
    """An insurance identifier is PHI too, over the same characters (spec §3: a member ID is
    HEALTH_PLAN and MEMBER_ID): an insurance span lying inside a longer PHI span of its paired
    type takes that span's edges ("771 302 445" of "771 302 445 X", "Lionel" of "Lionel
    Baptiste-Ward"). The PHI answer, decoded over whole names and spelled values, has the
    better edges; two pieces of one value become one span.

    An insurance *identifier* over characters the PHI answer reads as something else (a fax
    number after "referral from", an SSN, a phone) or as nothing is dropped: both heads saw
    the same value, and the PHI head, trained on every identifier type, is the better judge
    of what kind it is (in the leave-one-writer-out predictions of 2.2.0 such spans were
    wrong 37 times in 43)."""
    out = []
    for sp in ins:
        paired = INSURANCE_PHI_TYPE.get(sp.label)
        if paired is not None:
            over = [p for p in phi if p.start < sp.end and sp.start < p.end]
            if sp.label in INSURANCE_IDENTIFIERS and not any(p.label == paired for p in over):
                continue
            for p in over:
                if p.label == paired and p.start <= sp.start and sp.end <= p.end:
                    sp = _with(sp, start=p.start, end=p.end)
                    break
        out.append(sp)
    return non_overlapping(out)


def name_tails(text: str, spans: list[Span]) -> list[Span]:
    """For the redacted text only: a NAME runs on over the capitalised word right after it
    even when that word is also a common word ("Ottilie Baker", "Jun Long"), which
    :func:`continue_names` otherwise leaves to the model; redaction leans to recall."""
    return continue_names(text, spans, frozenset())


def cover(strict: list[Span], extra: list[Span]) -> list[Span]:
    """Strict spans plus whatever of ``extra`` they miss: overlapping spans become one span
    over both, labelled as the strict span (the redacted text never shows less)."""
    out: list[Span] = []
    for sp in sorted([*strict, *(_with(e, score=-1.0) for e in extra)], key=lambda s: (s.start, -s.end)):
        if out and sp.start < out[-1].end:
            last = out[-1]
            label = last.label if last.score >= 0 or sp.score < 0 else sp.label
            score = max(last.score, sp.score)
            out[-1] = _with(last, end=max(last.end, sp.end), label=label, score=score)
        else:
            out.append(sp)
    return [_with(s, score=0.5) if s.score < 0 else s for s in out]
