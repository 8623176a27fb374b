"""The project's local-LLM settings (issue 13, part 5): ``store.ProjectInfo["llm"]``, off by default,
no endpoint by default, never a cloud default (see ``assist.llm``).

``{"enabled": false, "endpoint": "", "model": "", "timeout": 60, "max_passage_chars": 2000,
"allow_remote": false}``. No API key is ever stored here: it comes from ``TANDEM_LLM_API_KEY``.
"""
from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

import store
from assist.errors import AssistError
from assist.llm_http import api_key, check_endpoint
from i18n import _
from applog.program import command_name

__all__ = ["DEFAULTS", "KEY", "PASSAGE_RANGE", "TIMEOUT_RANGE", "configure", "ready", "settings"]

KEY = "llm"
DEFAULTS: dict[str, Any] = {"enabled": False, "endpoint": "", "model": "", "timeout": 60,
                            "max_passage_chars": 2000, "allow_remote": False}
#: Bounds of the numeric settings (inclusive).
TIMEOUT_RANGE = (1, 600)
PASSAGE_RANGE = (100, 20000)


# ---------------------------------------------------------------------------------------------- settings

def _number(value: Any, default: int, bounds: tuple[int, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return int(min(max(value, bounds[0]), bounds[1]))


def settings(session: Session) -> dict:
    """The project's LLM settings, defaults filled in, plus what follows from them.

    Returns
    -------
    dict
        ``enabled, endpoint, model, timeout`` (seconds), ``max_passage_chars``, ``allow_remote``
        (as stored) and ``remote`` (bool), ``warning`` (the text-leaves-the-machine sentence, or
        ""), ``api_key_set`` (whether ``TANDEM_LLM_API_KEY`` is set; the key itself never).
    """
    row = session.get(store.ProjectInfo, KEY)
    stored = row.value if row is not None and isinstance(row.value, dict) else {}
    out = dict(DEFAULTS)
    out["enabled"] = stored.get("enabled") is True
    out["allow_remote"] = stored.get("allow_remote") is True
    for name in ("endpoint", "model"):
        out[name] = stored[name].strip() if isinstance(stored.get(name), str) else ""
    out["timeout"] = _number(stored.get("timeout"), DEFAULTS["timeout"], TIMEOUT_RANGE)
    out["max_passage_chars"] = _number(stored.get("max_passage_chars"), DEFAULTS["max_passage_chars"],
                                       PASSAGE_RANGE)
    out["remote"], out["warning"] = False, ""
    if out["endpoint"]:
        try:
            _, warning = check_endpoint(out["endpoint"], allow_remote=True)
        except AssistError as exc:
            out["warning"] = str(exc)
        else:
            out["remote"], out["warning"] = warning is not None, warning or ""
    out["api_key_set"] = api_key() is not None
    return out


def _bounded(value: Any, message: str, bounds: tuple[int, int]) -> int:
    """``value`` as an int within ``bounds``, or ``AssistError(message)`` (placeholders low, high, value)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not bounds[0] <= value <= bounds[1]:
        raise AssistError(message.format(low=bounds[0], high=f"{bounds[1]:,}", value=repr(value)))
    return int(value)


def configure(session: Session, *, endpoint: str | None = None, model: str | None = None,
              enabled: bool | None = None, timeout: float | None = None, max_passage_chars: int | None = None,
              allow_remote: bool | None = None) -> dict:
    """Change the project's LLM settings (arguments left None keep their value) and return
    :func:`settings`.

    ``endpoint=""`` clears it (and turns the LLM off). Giving a new endpoint resets
    ``allow_remote`` to the value passed (False when not passed): a remote host is accepted only
    when the call that sets it says so.

    Raises
    ------
    AssistError
        A bad endpoint (``assist.llm_http.check_endpoint``), a remote one without
        ``allow_remote=True``, a model name that is blank or longer than 200 characters, a timeout
        outside 1–600 s, ``max_passage_chars`` outside 100–20,000, or enabling without an endpoint
        and a model. Nothing is changed then.
    """
    new = {k: v for k, v in settings(session).items() if k in DEFAULTS}
    if endpoint is not None:
        if not str(endpoint).strip():
            new.update(endpoint="", enabled=False, allow_remote=False)
        else:
            new["endpoint"], _warning = check_endpoint(str(endpoint), allow_remote=bool(allow_remote))
            new["allow_remote"] = bool(allow_remote)
    elif allow_remote is not None:
        new["allow_remote"] = bool(allow_remote)
        if new["endpoint"]:
            check_endpoint(new["endpoint"], allow_remote=new["allow_remote"])
    if model is not None:
        name = " ".join(str(model).split())
        if len(name) > 200 or (not name and enabled):
            raise AssistError(_("The model name must be 1 to 200 characters, e.g. qwen2.5:7b."))
        new["model"] = name
    if timeout is not None:
        new["timeout"] = _bounded(timeout, _("The timeout must be a number of seconds from {low} to {high}, got "
                                             "{value}."), TIMEOUT_RANGE)
    if max_passage_chars is not None:
        new["max_passage_chars"] = _bounded(max_passage_chars, _("The longest passage sent must be a number of "
                                            "characters from {low} to {high}, got {value}."), PASSAGE_RANGE)
    if enabled is not None:
        new["enabled"] = bool(enabled)
    if new["enabled"] and (not new["endpoint"] or not new["model"]):
        raise AssistError(_("Set an endpoint and a model before turning the LLM on."))
    row = session.get(store.ProjectInfo, KEY)
    if row is None:
        session.add(store.ProjectInfo(key=KEY, value=new))
    else:
        row.value = new
    session.flush()
    return settings(session)


def ready(session: Session) -> dict:
    cfg = settings(session)
    if not cfg["enabled"]:
        raise AssistError(_("The local LLM is off for this project; set its endpoint and model and turn it on "
                            "first ({cli} llm-config --endpoint URL --model NAME --enable).").format(cli=command_name()))
    if not cfg["endpoint"] or not cfg["model"]:
        raise AssistError(_("Set an endpoint and a model before turning the LLM on."))
    check_endpoint(cfg["endpoint"], allow_remote=cfg["allow_remote"])
    return cfg
