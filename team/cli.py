"""``python cli.py users ...``: manage who may log in to a team workbench.

    python cli.py users list   --project P
    python cli.py users add    --project P --name NAME --role owner|coder|viewer [--password-stdin]
    python cli.py users passwd --project P --name NAME [--password-stdin]
    python cli.py users role   --project P --name NAME --role owner|coder|viewer
    python cli.py users remove --project P --name NAME
    python cli.py users mode   --project P on|off     (the project's own team-mode setting)

The password is read from the terminal with ``getpass`` (typed twice, not echoed), or, with
``--password-stdin``, as the first line of standard input (for scripts and tests). It is
never taken from the command line, where other users of the machine could read it in the
process list, and no message prints a password or a hash.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from typing import Callable, TextIO

from sqlalchemy.orm import Session

from i18n import _
from applog.program import command_name
from team.errors import TeamError
from team.mode import set_team_mode
from team.roles import ROLES
from team.users import add_user, clean_user_name, find_user, list_users, remove_user, set_password, set_role

__all__ = ["ACTIONS", "add_arguments", "read_password", "run"]

ACTIONS = ("list", "add", "passwd", "role", "remove", "mode")


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``users`` subcommand's arguments (``--project`` is added by cli.py)."""
    p.add_argument("action", choices=ACTIONS, help=_("what to do"))
    p.add_argument("value", nargs="?", choices=["on", "off"], help=_("for `mode`: on or off"))
    p.add_argument("--name", default=None, help=_("the user's name (add, passwd, role, remove)"))
    p.add_argument("--role", default=None, choices=ROLES, help=_("owner, coder or viewer (add, role)"))
    p.add_argument("--password-stdin", action="store_true",
                   help=_("read the password from the first line of standard input instead of the terminal"))
    p.add_argument("--password", default=None, help=argparse.SUPPRESS)  # refused in run(), never echoed


def read_password(name: str, from_stdin: bool, *, stdin: TextIO | None = None,
                  prompt: Callable[[str], str] = getpass.getpass) -> str:
    """The new password for ``name``: one line of ``stdin``, or typed twice at the terminal.

    Raises
    ------
    TeamError
        Standard input is empty, there is no terminal and ``--password-stdin`` was not
        given, or the two typed passwords differ.
    """
    stdin = stdin or sys.stdin
    if from_stdin:
        line = stdin.readline()
        if not line:
            raise TeamError(_("Standard input is empty; give the password as its first line."))
        return line.rstrip("\r\n")
    if not stdin.isatty():
        raise TeamError(_("No terminal to type the password in; pipe it with --password-stdin."))
    first = prompt(_("Password for {name}: ").format(name=name))
    if prompt(_("Repeat the password for {name}: ").format(name=name)) != first:
        raise TeamError(_("The two passwords differ; nothing was changed."))
    return first


def _need(args: argparse.Namespace, *names: str) -> None:
    missing = [f"--{n.replace('_', '-')}" for n in names if getattr(args, n) is None]
    if missing:
        raise TeamError(_("`users {action}` needs {names}.").format(action=args.action, names=_(" and ").join(missing)))


def run(session: Session, args: argparse.Namespace, *, stdin: TextIO | None = None,
        prompt: Callable[[str], str] = getpass.getpass) -> str:
    """Carry out ``args.action`` in ``session``; the message to print (no secrets in it).

    Raises
    ------
    TeamError, corpus.names.BadNameError
        Missing options, a refused name, role or password, the last owner, an unknown user.
    """
    action = args.action
    if getattr(args, "password", None) is not None:
        raise TeamError(_("Passwords are never taken from the command line, where others can read them; type it when "
                          "asked, or pipe it with --password-stdin."))
    if action != "mode" and args.value is not None:
        raise TeamError(_("`users {action}` takes no {value!r}; only `users mode` takes on or off.")
                        .format(action=action, value=args.value))
    if action == "list":
        users = list_users(session)
        if not users:
            return _("No users yet; add the owner with `{cli} users add --name NAME --role owner`.").format(
                cli=command_name())
        width = max(len(u["name"]) for u in users)
        return "\n".join(_("{name}  {role}  since {date}").format(
            name=f"{u['name']:<{width}}", role=f"{u['role']:<6}", date=f"{u['created']:%Y-%m-%d}") for u in users)
    if action == "mode":
        if args.value is None:
            raise TeamError(_("`users mode` needs on or off."))
        on = set_team_mode(session, args.value == "on")
        return (_("Team mode is on: the workbench asks for a login before showing this project.") if on else
                _("Team mode is off in the project (TANDEM_TEAM=1 on the server still turns it on)."))
    _need(args, "name")
    if action == "add":
        _need(args, "role")
        name = clean_user_name(args.name)
        taken = find_user(session, name)
        if taken is not None:  # say so before asking for a password
            raise TeamError(_("A user named {name!r} already exists; names may not differ only in case.")
                            .format(name=taken.name))
        user = add_user(session, name, read_password(name, args.password_stdin, stdin=stdin, prompt=prompt),
                        args.role)
        return _("Added {name} ({role}).").format(name=user["name"], role=user["role"])
    if action == "passwd":
        known = find_user(session, args.name)
        if known is None:  # say so before asking for a password
            raise TeamError(_("There is no user named {name!r}.").format(name=clean_user_name(args.name)))
        name = known.name
        user = set_password(session, name, read_password(name, args.password_stdin, stdin=stdin, prompt=prompt))
        return _("Changed the password of {name}.").format(name=user["name"])
    if action == "role":
        _need(args, "role")
        user = set_role(session, args.name, args.role)
        return _("{name} is now {role}.").format(name=user["name"], role=user["role"])
    if action == "remove":
        user = remove_user(session, args.name)
        return _("Removed {name} ({role}); their codings and history keep the name.").format(name=user["name"],
                                                                                            role=user["role"])
    raise TeamError(_("Unknown action {action!r}.").format(action=action))  # argparse's choices make this unreachable
