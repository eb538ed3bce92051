"""References to identifying photographs: image file names ("IMG_4471.jpg") and photo IDs.

A file name with an image extension is a format match and counts as validated; a photo
ID needs its cue ("photo ID P-1234").
"""

from __future__ import annotations

import re
from typing import ClassVar

from intakeflow.pipeline.recognizers.base import Detection
from intakeflow.pipeline.recognizers.cue_anchor import NEAR_RE, VALUE_RE, CueAnchoredRecognizer, cue_context

IMAGE_FILE_RE = re.compile(
    r"(?<![\w./\\-])[\w-]+(?:\.[\w-]+)*?\.(?:jpe?g|png|heic|heif|gif|bmp|tiff?|webp|dng)(?![\w])",
    re.IGNORECASE,
)


class PhotoRefRecognizer(CueAnchoredRecognizer):
    NAME: ClassVar[str] = "photo_ref"
    VERSION: ClassVar[str] = "1.0.0"
    PATTERNS: ClassVar[tuple[re.Pattern[str], ...]] = (NEAR_RE, VALUE_RE, IMAGE_FILE_RE)
    PATTERN_NAMES: ClassVar[tuple[str, ...]] = ("near", "value", "image_file")
    CONTEXT: ClassVar[tuple[str, ...]] = cue_context("PHOTO_REF")
    CUE_LABEL: ClassVar[str] = "PHOTO_REF"
    PHI_LABEL: ClassVar[str | None] = "PHOTO_REF"
    MIN_ALNUM: ClassVar[int] = 4
    # "photo" is too common a word to look further than the next few words.
    FAR_CHARS: ClassVar[int] = 0

    def analyze(self, text: str) -> list[Detection]:
        files = [self._det(m.start(), m.end(), "PHOTO_REF", validated=True) for m in self.pat["image_file"].finditer(text)]
        cued = [d for d in super().analyze(text) if not any(d.start < f.end and f.start < d.end for f in files)]
        return files + cued
