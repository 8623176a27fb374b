"""Whether a workbench runs in team mode (login required, roles enforced).

Team mode is on when the environment says so (``TANDEM_TEAM=1``, set by whoever starts the
server) or when the project says so (a ``project_info`` row ``team_mode`` = true, set with
``python cli.py users mode on``). The environment cannot switch off a project's setting: a
project marked for a team is never served without a login.
"""
from __future__ import annotations

import os

from sqlalchemy import select
from sqlalchemy.orm import Session

import store
from i18n import _
from applog.program import command_name
from team.errors import TeamError
from team.users import count_owners

__all__ = ["ENV", "KEY", "env_team_mode", "is_team", "project_team_mode", "set_team_mode"]

ENV = "TANDEM_TEAM"
KEY = "team_mode"
_ON = {"1", "true", "yes", "on"}
_OFF = {"", "0", "false", "no", "off"}


def env_team_mode(environ: dict[str, str] | None = None) -> bool:
    """What ``TANDEM_TEAM`` says (unset: False).

    Raises
    ------
    TeamError
        A value that is neither on (1/true/yes/on) nor off (0/false/no/off/empty): a typo
        must not serve a project without a login.
    """
    value = (os.environ if environ is None else environ).get(ENV, "")
    if value.strip().lower() in _ON:
        return True
    if value.strip().lower() in _OFF:
        return False
    raise TeamError(_("{env}={value!r} is not understood; use 1 for team mode or 0 for single-user mode.")
                    .format(env=ENV, value=value[:20]))


def project_team_mode(session: Session) -> bool:
    """Whether the project's ``team_mode`` setting is true."""
    value = session.scalar(select(store.ProjectInfo.value).where(store.ProjectInfo.key == KEY))
    return value is True or (isinstance(value, str) and value.strip().lower() in _ON)


def is_team(session: Session, environ: dict[str, str] | None = None) -> bool:
    """Team mode: the environment's ``TANDEM_TEAM`` or the project's ``team_mode`` setting."""
    return env_team_mode(environ) or project_team_mode(session)


def set_team_mode(session: Session, on: bool) -> bool:
    """Store the project's ``team_mode`` setting; returns it.

    Raises
    ------
    TeamError
        Switching on while the project has no owner (nobody could log in to manage it).
    """
    if on and count_owners(session) == 0:
        raise TeamError(_("The project has no owner yet; add one with `{cli} users add --role owner` first.")
                        .format(cli=command_name()))
    row = session.get(store.ProjectInfo, KEY)
    if row is None:
        session.add(store.ProjectInfo(key=KEY, value=bool(on)))
    else:
        row.value = bool(on)
    session.flush()
    return bool(on)
