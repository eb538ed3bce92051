"""What an alert says: a subject line, plain text (chat notifiers) and HTML (e-mail).

Built from the alert row only: its code, the catalogue's title, sentence and action, its
figures and thresholds, the source name, the store schema and times. Never message text,
identifiers, patient references or a DSN: an alert goes to mailboxes and chat channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from intakeflow.health.checks import CHECKS, describe
from intakeflow.health.state import Alert

PREFIX = "[intakeflow]"


@dataclass(frozen=True)
class AlertMessage:
    subject: str
    text: str
    html: str


def _when(value: datetime | None) -> str:
    return "–" if value is None else value.strftime("%Y-%m-%d %H:%M:%S %Z").strip()


def figure_text(value: Any) -> str:
    """A check's figure or threshold as a person reads it (``–`` for unknown, yes/no, ``k v`` pairs)."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "–"
    return str(value)


def render(alert: Alert, *, schema: str, page_url: str | None = None) -> AlertMessage:
    """The message for ``alert`` in its current state (firing, or resolved)."""
    entry = CHECKS[alert.check]
    firing = alert.state == "firing"
    word = "FIRING" if firing else "RESOLVED"
    subject = f"{PREFIX} {word} {entry.code_id} {entry.title}: {alert.subject} ({schema})"
    sentence = describe(alert.check, alert.subject, alert.figures, alert.thresholds)
    when = (f"firing since {_when(alert.fired_at)}" if firing
            else f"resolved at {_when(alert.resolved_at)}, fired at {_when(alert.fired_at)}")
    figures = [(k, figure_text(v)) for k, v in sorted(alert.figures.items())]
    thresholds = [(k, figure_text(v)) for k, v in sorted(alert.thresholds.items())]
    hint = f"intakeflow health --schema {schema}"
    lines = [
        f"{word}: {entry.code_id} {entry.title}, {alert.check} of {alert.subject}, store {schema}",
        sentence if firing else f"The condition has cleared. When it fired: {sentence}",
        when + (f" (fired {alert.fire_count} times so far)" if alert.fire_count > 1 else ""),
        "",
        "figures: " + "; ".join(f"{k} {v}" for k, v in figures),
        "thresholds: " + "; ".join(f"{k} {v}" for k, v in thresholds),
        "",
        f"What to do: {entry.action}" if firing else "Nothing to do.",
        f"Now: {hint}" + (f", or the monitoring page {page_url}" if page_url else ""),
    ]

    def table(rows: list[tuple[str, str]]) -> str:
        body = "".join(f"<tr><th align=left>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows)
        return f"<table>{body}</table>"

    link = f' · <a href="{escape(page_url)}">monitoring page</a>' if page_url else ""
    html = "".join([
        f"<p><b>{escape(word)}</b>: {escape(entry.code_id)} {escape(entry.title)}, "
        f"<code>{escape(alert.check)}</code> of source <code>{escape(alert.subject)}</code>, store "
        f"<code>{escape(schema)}</code></p>",
        f"<p>{escape(lines[1])}</p><p>{escape(lines[2])}</p>",
        "<h4>Figures</h4>", table(figures), "<h4>Thresholds</h4>", table(thresholds),
        f"<p>{escape(lines[7])}</p>",
        f"<p>Now: <code>{escape(hint)}</code>{link}</p>",
        "<p><small>Counts, ages and catalogue codes only: alerts never carry message text.</small></p>",
    ])
    return AlertMessage(subject, "\n".join(lines), html)
