"""Airflow hook holding the Anthropic API key and model for the pipeline's LLM fallback."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseHook

from intakeflow.errors import E, IntakeflowError
from intakeflow.provider.hooks._extras import extra_float

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from intakeflow.pipeline.fallback import FallbackConfig

DEFAULT_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class AnthropicSettings:
    """API key, endpoint and model; ``repr`` never shows the key."""

    api_key: str
    model: str | None = None
    base_url: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S

    def __repr__(self) -> str:
        return (
            f"AnthropicSettings(model={self.model!r}, base_url={self.base_url!r}, "
            f"timeout_s={self.timeout_s!r})"
        )


def settings_from_connection(conn: Connection) -> AnthropicSettings:
    if not conn.password:
        raise IntakeflowError(E.E050_CONFIG, why="Anthropic connection has no API key (password)")
    extra: dict[str, Any] = conn.extra_dejson
    base_url = extra.get("base_url") or conn.host or None
    return AnthropicSettings(
        api_key=conn.password,
        model=extra.get("model") or None,
        base_url=str(base_url) if base_url else None,
        timeout_s=extra_float(extra, "timeout", DEFAULT_TIMEOUT_S),
    )


class AnthropicHook(BaseHook):
    """Credentials for the fallback LLM: API key in the password field, model and base_url in extra.

    Reads an ``anthropic`` connection: the API key is the password; ``extra.model`` names the
    model the fallback calls (``test_connection`` needs it; without it the fallback keeps its
    own default model), ``extra.base_url`` (or the host field) an endpoint other than the
    public API, and ``extra.timeout`` the per-request timeout in seconds (default 60). A
    connection without an API key, or a timeout that is not a positive number, raises E050.
    Naming this connection in ``ProcessMessagesOperator(anthropic_conn_id=...)`` switches the
    LLM fallback on: identifier windows are then sent to the API, which needs a business
    associate agreement.

    :param anthropic_conn_id: Airflow connection (type ``anthropic``) holding the API key,
        model, endpoint and timeout. Default ``anthropic_default``.
    """

    conn_name_attr = "anthropic_conn_id"
    default_conn_name = "anthropic_default"
    conn_type = "anthropic"
    hook_name = "Anthropic (intakeflow fallback)"

    def __init__(self, anthropic_conn_id: str = default_conn_name) -> None:
        super().__init__()
        self.anthropic_conn_id = anthropic_conn_id

    @cached_property
    def settings(self) -> AnthropicSettings:
        return settings_from_connection(self.get_connection(self.anthropic_conn_id))

    def fallback_config(self, base: FallbackConfig) -> FallbackConfig:
        """``base`` with this connection's key, model, endpoint and timeout, switched on.

        Naming a connection is the deployment's decision to send identifier windows to the
        API (a business associate agreement is needed), so it enables the fallback.
        """
        s = self.settings
        return replace(
            base, enabled=True, api_key=s.api_key, model=s.model or base.model, base_url=s.base_url, timeout_s=s.timeout_s
        )

    def get_conn(self) -> Any:
        """Return an ``anthropic.Anthropic`` client for this connection."""
        import anthropic

        s = self.settings
        return anthropic.Anthropic(api_key=s.api_key, base_url=s.base_url, timeout=s.timeout_s)

    def test_connection(self) -> tuple[bool, str]:
        """Look up the configured model: proves the key and endpoint without spending tokens."""
        try:
            s = self.settings
            if not s.model:
                return False, "connection extra 'model' is not set"
            client = self.get_conn()
            model = client.models.retrieve(s.model)
        except IntakeflowError as exc:
            return False, str(exc)
        except Exception as exc:  # noqa: BLE001 - the UI wants (False, reason), not a traceback
            return False, f"{type(exc).__name__} while looking up the model"
        return True, f"model {getattr(model, 'id', s.model)} is available"
