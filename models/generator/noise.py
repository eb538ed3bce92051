"""Typing habits applied to unlabelled text only: abbreviations, typos, dropped punctuation, case.

Spans are never touched here, so offsets stay exact; an edit only ever happens inside a
word of one fragment, so a fragment boundary (where a span starts or ends) never moves.
"""

from __future__ import annotations

import random
import re

from .builder import Style

ABBREV: dict[str, tuple[str, ...]] = {
    "you": ("u",),
    "your": ("ur", "yr"),
    "you're": ("ur", "youre"),
    "are": ("r",),
    "please": ("pls", "plz"),
    "thanks": ("thx", "tks", "ty"),
    "thank you": ("ty", "thank u"),
    "appointment": ("appt", "apt"),
    "tomorrow": ("tmrw", "tmr"),
    "because": ("bc", "cuz", "b/c"),
    "with": ("w/",),
    "without": ("w/o",),
    "about": ("abt",),
    "before": ("b4",),
    "message": ("msg",),
    "prescription": ("rx", "script"),
    "doctor": ("dr", "doc"),
    "insurance": ("ins",),
    "information": ("info",),
    "probably": ("prob",),
    "really": ("rly",),
    "okay": ("ok", "k"),
    "know": ("kno",),
    "people": ("ppl",),
    "tonight": ("tonite",),
    "though": ("tho",),
    "going to": ("gonna",),
    "want to": ("wanna",),
    "as soon as possible": ("asap", "ASAP"),
    "question": ("q", "?"),
    "week": ("wk",),
    "patient": ("pt",),
    "number": ("#", "no."),
    "follow up": ("f/u", "followup"),
    "morning": ("am", "morn"),
    "something": ("smth", "sth"),
    "someone": ("some1",),
    "weeks": ("wks",),
    "hours": ("hrs",),
    "minutes": ("mins",),
}
_ABBREV_RE = re.compile(r"\b(" + "|".join(sorted((re.escape(k) for k in ABBREV), key=len, reverse=True)) + r")\b", re.I)
_WORD_RE = re.compile(r"[A-Za-z]{4,}")
_APOS_RE = re.compile(r"(?<=[A-Za-z])'(?=[A-Za-z])")
_KEYS = "qwertyuiopasdfghjklzxcvbnm"


def _typo(word: str, r: random.Random) -> str:
    i = r.randrange(1, len(word) - 1)
    k = r.randrange(4)
    if k == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if k == 1:
        return word[:i] + word[i + 1 :]
    if k == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + r.choice(_KEYS) + word[i + 1 :]


def noise(text: str, st: Style, r: random.Random) -> str:
    if st.abbrev and len(text) > 1:
        text = _ABBREV_RE.sub(lambda m: r.choice(ABBREV[m.group(1).lower()]) if r.random() < st.abbrev else m.group(1), text)
    if st.typo and len(text) > 3:
        text = _WORD_RE.sub(lambda m: _typo(m.group(0), r) if r.random() < st.typo else m.group(0), text)
    if st.drop_apostrophe and "'" in text:
        text = _APOS_RE.sub("", text)
    if st.drop_punct and r.random() < st.drop_punct:
        text = text.replace(",", "") if r.random() < 0.5 else text
        if text.endswith(".") and r.random() < 0.7:
            text = text[:-1]
        text = text.replace(". ", " ") if r.random() < 0.4 else text
    if st.caps:
        text = text.upper()
    elif st.lower:
        text = text.lower()
    return text


def style_for(channel: str, tier: str, r: random.Random) -> Style:
    """Realism tier x channel habits."""
    st = Style()
    if tier == "casual":
        st.abbrev = 0.15
        st.typo = 0.01
        st.drop_apostrophe = r.random() < 0.3
        st.lower = r.random() < 0.25
    elif tier == "messy":
        st.abbrev = 0.45
        st.typo = 0.05
        st.drop_apostrophe = r.random() < 0.7
        st.drop_punct = 0.6
        st.lower = r.random() < 0.5
        st.caps = not st.lower and r.random() < 0.2
    if channel == "sms":
        st.lower = st.lower or r.random() < 0.55
        st.abbrev = max(st.abbrev, 0.35)
        st.drop_punct = max(st.drop_punct, 0.5)
        st.drop_apostrophe = st.drop_apostrophe or r.random() < 0.5
    elif channel == "voicemail":
        st.typo = 0.0
        st.abbrev = 0.0
        st.caps = False
        st.lower = r.random() < 0.2
    elif channel == "hl7_note":
        st.abbrev = 0.0
        st.typo = min(st.typo, 0.02)
        st.lower = False
        st.caps = r.random() < 0.15
    elif channel in ("email", "web_form") and tier != "messy":
        st.lower = False
    st.lower_spans = st.lower and r.random() < 0.35
    return st
