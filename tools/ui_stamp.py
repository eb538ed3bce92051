"""Digests of the console's sources (``ui/console/``) and of the bundle built from them
(``plugins/monitoring/static/console.js``): ``make ui`` writes both next to the sources after
building, and a test recomputes them, so that a change to the sources without a rebuild, or
a bundle edited by hand, fails the tests.

    python3 -m tools.ui_stamp            # print the stamp
    python3 -m tools.ui_stamp --write    # write ui/console/built-from.sha256
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "ui" / "console"
BUNDLE = REPO / "plugins" / "monitoring" / "static" / "console.js"
STAMP = ROOT / "built-from.sha256"
#: what the bundle is built from: the sources, the build settings and the locked dependencies
INPUTS = ("package.json", "package-lock.json", "tsconfig.json", "vite.config.ts")


def sources(root: Path = ROOT) -> list[Path]:
    return [root / name for name in INPUTS] + sorted(p for p in (root / "src").rglob("*") if p.is_file())


def digest(root: Path = ROOT) -> str:
    h = hashlib.sha256()
    for path in sources(root):
        h.update(path.relative_to(root).as_posix().encode() + b"\0")
        # line endings as committed, whatever a checkout on another system turned them into
        h.update(path.read_bytes().replace(b"\r\n", b"\n") + b"\0")
    return h.hexdigest()


def stamp() -> str:
    return f"sources {digest()}\nbundle {hashlib.sha256(BUNDLE.read_bytes()).hexdigest()}\n"


def main(argv: list[str]) -> int:
    value = stamp()
    if "--write" in argv:
        STAMP.write_text(value)
    print(value, end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
