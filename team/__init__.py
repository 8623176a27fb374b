"""Team mode: users, passwords, logins, roles, and which projects a workbench may open.

Sits beside ``coding/`` and imports only ``store`` and ``corpus.names``. The Streamlit side
(login form, Users page, role checks on writes) lives in ``ui/``; the command line in
:mod:`team.cli` (``python cli.py users ...``).
"""
from team.errors import AccessDenied, TeamError
from team.guard import protect
from team.login import LoginResult, attempt_login, locked_for
from team.mode import env_team_mode, is_team, project_team_mode, set_team_mode
from team.paths import project_target
from team.roles import ACTIONS, ROLES, allowed, require
from team.users import (
    add_user, clean_user_name, get_user, list_users, remove_user, session_stamp, set_password, set_role,
)

__all__ = [
    "ACTIONS", "AccessDenied", "LoginResult", "ROLES", "TeamError", "add_user", "allowed", "attempt_login",
    "clean_user_name", "env_team_mode", "get_user", "is_team", "list_users", "locked_for", "project_target",
    "project_team_mode", "protect", "remove_user", "require", "session_stamp", "set_password", "set_role",
    "set_team_mode",
]
