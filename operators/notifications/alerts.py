"""Senders for the watchdog (``intakeflow.health.watchdog``) built on Airflow notifiers.

Each entry of the settings' ``notifiers`` names a ``type`` and the notifier's own arguments:

==================  ================================================================  =================
type                class                                                             alert goes in
==================  ================================================================  =================
``smtp``            ``airflow.providers.smtp.notifications.smtp.SmtpNotifier``        ``subject``, ``html_content``
``slack``           ``airflow.providers.slack.notifications.slack.SlackNotifier``     ``text``
``slack_webhook``   ``airflow.providers.slack.notifications.slack_webhook``           ``text``
                    ``.SlackWebhookNotifier``
``log``             :class:`LogNotifier` (the task log; no outside service)           ``text``
``class``           any ``BaseNotifier`` subclass named by ``class`` (a dotted path)   ``message_arg``
                                                                                      (default ``text``),
                                                                                      ``subject_arg``
==================  ================================================================  =================

e.g. ``{"type": "smtp", "to": ["oncall@example.org"], "smtp_conn_id": "smtp_default"}``: the
other keys (``name`` aside) are passed to the class as they are, and rendered with the
task's context first (``"to": "{{ var.value.oncall_email }}"`` works); the alert's own text
is set afterwards, so it is never rendered as a template. A fresh notifier is built per
alert. The Slack types need ``apache-airflow-providers-slack`` installed: without it that
notifier fails (E125) and the others still send.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from airflow.sdk import BaseNotifier

from intakeflow.health.message import AlertMessage
from intakeflow.health.state import Alert
from intakeflow.health.watchdog import Sender

#: type -> (class path, argument for the message, argument for the subject, message form)
BUILT_IN: dict[str, tuple[str, str, str | None, str]] = {
    "smtp": ("airflow.providers.smtp.notifications.smtp.SmtpNotifier", "html_content", "subject", "html"),
    "slack": ("airflow.providers.slack.notifications.slack.SlackNotifier", "text", None, "text"),
    "slack_webhook": ("airflow.providers.slack.notifications.slack_webhook.SlackWebhookNotifier", "text", None, "text"),
    "log": ("intakeflow.provider.notifications.alerts.LogNotifier", "text", "subject", "text"),
}
#: keys of a notifier entry that are ours, not the notifier class's arguments
OWN_KEYS = frozenset({"type", "name", "class", "message_arg", "subject_arg", "format"})


class LogNotifier(BaseNotifier):
    """Writes an alert to the log of the task that sends it (``WARNING``): no outside
    service, so the watchdog can be tried before SMTP or Slack is set up, and every alert
    is in Airflow's task logs whatever else is configured.

    :param text: The alert as plain text. (templated)
    :param subject: The alert's one-line subject. (templated)
    """

    template_fields = ("text", "subject")

    def __init__(self, text: str = "", subject: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = text
        self.subject = subject

    def notify(self, context: Any) -> None:
        self.log.warning("%s\n%s", self.subject, self.text)


def _class(path: str) -> type[BaseNotifier]:
    module, _, name = path.rpartition(".")
    found = getattr(importlib.import_module(module), name)
    if not (isinstance(found, type) and issubclass(found, BaseNotifier)):
        raise TypeError(f"{path} is not a BaseNotifier")
    return found


def build_sender(spec: Mapping[str, Any], context: Any) -> Sender:
    """A sender for one ``notifiers`` entry (checked by ``intakeflow.health.config``). The
    notifier class is imported at the first alert, so a missing provider fails that
    notifier only (E125), never the watchdog's checks."""
    kind = str(spec["type"])
    if kind == "class":
        path, message_arg = str(spec["class"]), str(spec.get("message_arg", "text"))
        subject_arg = spec.get("subject_arg")
        form = str(spec.get("format", "text"))
    else:
        path, message_arg, subject_arg, form = BUILT_IN[kind]
    kwargs = {k: v for k, v in spec.items() if k not in OWN_KEYS}

    def send(alert: Alert, message: AlertMessage) -> None:
        cls: Any = _class(path)  # its own arguments, not BaseNotifier's
        ours = {message_arg: "", **({str(subject_arg): ""} if subject_arg else {})}
        notifier = cls(**kwargs, **ours)
        notifier.render_template_fields(context)  # the entry's own templates; the alert is set after
        setattr(notifier, message_arg, message.html if form == "html" else message.text)
        if subject_arg:
            setattr(notifier, str(subject_arg), message.subject)
        notifier.notify(context)

    return send


def build_senders(names: list[str], specs: tuple[Mapping[str, Any], ...], context: Any) -> dict[str, Sender]:
    return {name: build_sender(spec, context) for name, spec in zip(names, specs, strict=True)}
