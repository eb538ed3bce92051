"""Read figures back from a rendered page the way a person reads them: the cards
(``data-figure``), the cells of a table (``data-row`` / ``data-col``) and the visible text,
so tests check what is shown, not the dicts it was rendered from."""

from __future__ import annotations

from html.parser import HTMLParser


class PageReader(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: dict[str, str] = {}
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self.text: list[str] = []
        self.links: list[str] = []
        self._card: str | None = None
        self._in_b = False
        self._table: list[str] = []
        self._row: str | None = None
        self._col: str | None = None
        self._skip = 0  # inside <style>, <title> or <script>: not visible text
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("style", "title", "script"):
            self._skip += 1
        elif tag == "div" and "data-figure" in a:
            self._card = a["data-figure"]
        elif tag == "b" and self._card:
            self._in_b = True
        elif tag == "table":
            self._table.append(a.get("class", ""))
            self.tables.setdefault(a.get("class", ""), {})
        elif tag == "tr":
            self._row = a.get("data-row")
        elif tag == "td" and self._row is not None and self._table:
            self._col = a.get("data-col")
            if self._col:
                self.tables[self._table[-1]].setdefault(self._row, {})[self._col] = ""
        elif tag == "a":
            self.links.append(a.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "script"):
            self._skip -= 1
        elif tag == "b":
            self._in_b = False
        elif tag == "div":
            self._card = None
        elif tag == "table" and self._table:
            self._table.pop()
        elif tag == "td":
            self._col = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._card and self._in_b:
            self.cards[self._card] = self.cards.get(self._card, "") + data
        if self._col and self._row is not None and self._table:
            cell = self.tables[self._table[-1]][self._row]
            cell[self._col] += data

    def visible(self) -> str:
        """The text as shown, whitespace collapsed (cells and blocks run together)."""
        return " ".join("".join(self.text).split())


def number(text: str) -> int:
    """A count as the page prints it (``1,234``)."""
    return int(text.replace(",", "").strip())
